from __future__ import annotations

import json
import re

from django.db.models import FilteredRelation, OuterRef, Q, Subquery
from django.http import Http404

from listings.models import Listing
from validation.models import RunReport, ValidationRun

REPORTS_PREFIX = "reports/sha256"
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def latest_run(listing: Listing) -> ValidationRun | None:
    return listing.validation_runs.order_by("-created_at").first()


def latest_run_with_previous(listing: Listing) -> ValidationRun | None:
    """``latest_run``, annotated with ``previous_finished_id``: the run ``previous_failed_keys`` compares it
    with (the listing page keys its cached panel on it: one query for both)."""
    previous = (ValidationRun.objects.filter(listing_id=OuterRef("listing_id"), created_at__lt=OuterRef("created_at"))
                .exclude(verdict="").order_by("-created_at").values("pk")[:1])
    return listing.validation_runs.annotate(previous_finished_id=Subquery(previous)).order_by("-created_at").first()


def latest_run_for_content(listing: Listing, content_hash: str) -> ValidationRun | None:
    return listing.validation_runs.filter(content_hash=content_hash).order_by("-created_at").first()


def get_run_for_listing(listing: Listing, run_id) -> ValidationRun:
    try:
        return listing.validation_runs.get(pk=run_id)
    except (ValidationRun.DoesNotExist, ValueError):
        raise Http404("No such validation run.")


def previous_finished_run(run: ValidationRun) -> ValidationRun | None:
    return (
        ValidationRun.objects.filter(listing_id=run.listing_id, created_at__lt=run.created_at)
        .exclude(verdict="")
        .order_by("-created_at")
        .first()
    )


def previous_failed_keys(run: ValidationRun) -> set[tuple[str, str]] | None:
    """``(code, location)`` of every failed finding of the run before ``run`` (``previous_finished_run``), or
    ``None`` when there is no such run. One query: the run page compares the two on every view."""
    previous = (ValidationRun.objects.filter(listing_id=run.listing_id, created_at__lt=run.created_at)
                .exclude(verdict="").order_by("-created_at").values("pk")[:1])
    rows = (ValidationRun.objects.filter(pk=Subquery(previous))
            .annotate(failed=FilteredRelation("findings", condition=Q(findings__outcome="failed")))
            .values_list("failed__code", "failed__location"))
    keys = None
    for code, location in rows:  # no row: no previous run; one row of None: a previous run with no failure
        keys = set() if keys is None else keys
        if code is not None:
            keys.add((code, location))
    return keys


# -- what the container checks kept with a run (``Subject.attach``; stored by ``validation.services``) ---------
def report_key(sha256: str) -> str:
    """Where a report's content lives in the artifact storage (apart from the artifacts' own ``sha256/``)."""
    if not _DIGEST.match(sha256):
        raise ValueError("not a sha256 hex digest")
    return f"{REPORTS_PREFIX}/{sha256[:2]}/{sha256}"


def run_reports(run: ValidationRun, kind: str | None = None) -> list[RunReport]:
    reports = run.reports.all()
    return list(reports.filter(kind=kind) if kind else reports)


def report_bytes(report: RunReport) -> bytes:
    """The report's content as stored (JSON kept in the row is re-serialised)."""
    if report.storage_key:
        from listings.storage import artifact_storage

        with artifact_storage().open(report.storage_key, "rb") as fh:
            return fh.read()
    return json.dumps(report.data, ensure_ascii=False, indent=2).encode("utf-8")


def report_data(report: RunReport):
    """The report as Python data: the JSON kept in the row, or the stored content parsed when it is JSON."""
    if not report.storage_key:
        return report.data
    content = report_bytes(report)
    return json.loads(content) if "json" in report.content_type else content.decode("utf-8", "replace")


def run_sboms(run: ValidationRun) -> list[tuple[str, bytes]]:
    """Each image's CycloneDX SBOM (JSON bytes) with the image's name, in the order the checks kept them."""
    return [(r.label, report_bytes(r)) for r in run_reports(run, "sbom")]


def run_sbom(run: ValidationRun) -> bytes | None:
    """The CycloneDX JSON SBOM of the run's image (the serving image's when there are two), or ``None`` when
    the run read no image. For the bundle's ``sbom/``."""
    sboms = run_sboms(run)
    return sboms[0][1] if sboms else None
