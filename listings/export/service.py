"""Building a submission bundle: plan every entry, stream them into a zip, store it, record its digest, and
hand it off (optional S3 upload and API dry run).

* ``plan_bundle`` builds every generated document in memory (they are small), validates both AWS requests and
  checks that every artifact is in storage — all before a byte is written. Anything wrong is an
  ``ExportError`` with a message for the seller.
* ``write_bundle`` streams the plan into a ``BundleWriter``: artifacts are read from storage once, in 1 MiB
  pieces, and checked against their sha256 on the way (memory is flat in artifact size).
* ``bundle_build`` (the export task) writes to a scratch file first, so a failure — a missing artifact, bytes
  that no longer match their sha256 — leaves nothing in the export storage and the bundle row failed with the
  reason shown on the page.
* ``export_to_path`` is the same bundle for ``python manage.py prep export``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from listings.errors import NotAllowed, ServiceError
from listings.events import record_event
from listings.export import config
from listings.export.aws_requests import BundleRequests, bundle_requests
from listings.export.documents import GENERATOR, PlannedFile, json_bytes, manifest, text_bytes
from listings.export.errors import ExportError
from listings.export.layout import ArtifactEntry, artifact_entries
from listings.export.notebook import generate_notebook
from listings.export.options import ExportOptions, parse_s3_uri
from listings.export.readme import ReadmeContext, readme
from listings.export.reports import review_report, validation_csv, validation_html, validation_report
from listings.export.sbom import bundle_sboms
from listings.export.zipstream import BundleWriter, IntegrityError
from listings.jobs import JobStatus
from listings.models import ListingVersion, SubmissionBundle, VersionStatus
from listings.permissions import can_edit
from listings.storage import artifact_storage, export_storage, key_for_digest, open_blob
from validation.markdown_render import render_markdown

log = logging.getLogger(__name__)

__all__ = ["BundlePlan", "bundle_build", "bundle_fail", "bundle_start", "export_to_path", "plan_bundle",
           "write_bundle"]

_KIND_LABELS = {"image": "container image", "model_data": "model data", "notebook": "notebook",
                "sample_data": "sample data", "logo": "logo", "documentation": "documentation"}
_USAGE_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src https:; style-src 'unsafe-inline'">
<title>Usage instructions</title>
</head>
<body>
{body}
</body>
</html>
"""


@dataclass(frozen=True)
class BundlePlan:
    files: list[PlannedFile]  # sorted by arcname; manifest.json included
    manifest: dict[str, Any]
    requests: BundleRequests

    @property
    def embedded_bytes(self) -> int:
        return sum(f.size for f in self.files if f.embedded)


# ---------------------------------------------------------------------------------------------------- planning


def _label(entry: ArtifactEntry) -> str:
    return f"{_KIND_LABELS.get(entry.kind, entry.kind)} “{entry.name}” (sha256 {entry.sha256[:12]}…)"


def _reference_uri(entry: ArtifactEntry, snapshot: dict[str, Any], options: ExportOptions) -> str:
    model_uri = str((snapshot.get("aws") or {}).get("model_data_uri", "") or "")
    if entry.kind == "model_data" and model_uri.startswith("s3://"):
        return model_uri  # where SageMaker reads it, and where the request points
    if not options.reference_prefix:
        raise ExportError(f"The {_label(entry)} is to be referenced, but no S3 prefix was given for large files.")
    try:
        parse_s3_uri(options.reference_prefix)
    except ValueError as exc:
        raise ExportError(f"The S3 prefix for large files is not usable: {exc}") from None
    return f"{options.reference_prefix.rstrip('/')}/{entry.arcname}"


def _check_stored(entry: ArtifactEntry, *, referenced: bool) -> None:
    """A missing artifact stops the export before anything is written. Referenced files are not read, so
    their size is what can be checked; embedded files are checked against their sha256 while streaming."""
    storage = artifact_storage()
    try:
        key = key_for_digest(entry.sha256)
    except ValueError:
        raise ExportError(f"The {_label(entry)} has no valid sha256 in the frozen version.") from None
    if not storage.exists(key):
        raise ExportError(f"Export stopped: the {_label(entry)} is missing from artifact storage. Nothing was "
                          "exported. Ask an operator to restore it from backup, then export again.")
    if referenced and storage.size(key) != entry.size:
        raise ExportError(f"Export stopped: the stored {_label(entry)} is {storage.size(key)} bytes, not the "
                          f"{entry.size} bytes it was submitted with. Nothing was exported.")


def _flags(report: dict[str, Any]) -> dict[str, set[str]]:
    """Rule codes that warned about a seller's file, by file name (e.g. formulas in a CSV: data.W010)."""
    out: dict[str, set[str]] = {}
    for f in report["findings"]:
        location = str(f.get("location") or "")
        if f.get("outcome") == "failed" and f.get("code") == "data.W010" and location.startswith("file:"):
            out.setdefault(location[5:].split(":", 1)[0], set()).add(f["code"])
    return out


def _open_warnings(report: dict[str, Any]) -> list[dict[str, str]]:
    seen, out = set(), []
    for f in report["findings"]:
        if f.get("outcome") == "failed" and f.get("severity") == "warning" and (f["code"], f["location"]) not in seen:
            seen.add((f["code"], f["location"]))
            out.append({"code": f["code"], "message": f["message"], "location": f["location"]})
    return out[:50]


def plan_bundle(version: ListingVersion, options: ExportOptions | None = None) -> BundlePlan:
    """Everything the bundle will hold, in order, validated; raises ``ExportError`` before any write."""
    options = options or ExportOptions()
    snapshot = version.snapshot
    requests = bundle_requests(snapshot, version_number=version.number)
    report = validation_report(version)
    flags = _flags(report)
    entries = artifact_entries(snapshot)

    files: list[PlannedFile] = []
    for entry in entries:
        referenced = options.references(entry.size)
        _check_stored(entry, referenced=referenced)
        files.append(PlannedFile(
            arcname=entry.arcname, size=entry.size, sha256=entry.sha256,
            uri=_reference_uri(entry, snapshot, options) if referenced else None, label=_label(entry),
            flags=tuple(sorted(flags.get(entry.name, ()))) if entry.kind == "sample_data" else (),
            content_type=entry.content_type,
        ))

    product, version_section = snapshot.get("product") or {}, snapshot.get("version") or {}
    usage = str(version_section.get("usage_instructions", "") or "")
    files += [
        PlannedFile.from_bytes("listing/listing.json", json_bytes(snapshot)),
        PlannedFile.from_bytes("listing/usage.md", text_bytes(usage)),
        PlannedFile.from_bytes("listing/usage.html", _USAGE_PAGE.format(body=render_markdown(usage)).encode()),
        PlannedFile.from_bytes(requests.sagemaker_arcname, requests.sagemaker.to_json().encode()),
        PlannedFile.from_bytes("marketplace/change_set.json", requests.change_set.to_json().encode()),
        PlannedFile.from_bytes("reports/validation.json", json_bytes(report)),
        PlannedFile.from_bytes("reports/validation.csv", validation_csv(report)),
        PlannedFile.from_bytes("reports/validation.html", validation_html(
            report, title=str(product.get("title", "")), version_number=version.number)),
        PlannedFile.from_bytes("reports/review.json", json_bytes(review_report(version))),
    ]
    if not any(e.kind == "notebook" for e in entries):
        arn = str((snapshot.get("aws") or {}).get("sagemaker_arn", "") or "") or _predicted_arn(snapshot, version)
        files.append(PlannedFile.from_bytes(f"notebook/{requests.resource_name or 'sample'}.ipynb",
                                            generate_notebook(snapshot, entries, name=requests.resource_name, arn=arn)))
    images = [(e.name, e.sha256) for e in entries if e.kind == "image"]
    files += [PlannedFile.from_bytes(arcname, data)
              for arcname, data in bundle_sboms(version.validation_run, images, snapshot)]

    run = version.validation_run
    approved_by = version.decided_by
    version_info: dict[str, Any] = {
        "listing": {"id": str(snapshot.get("id", "")), "kind": snapshot.get("kind"), "title": product.get("title", "")},
        "version": {"number": version.number, "title": version_section.get("version_title", ""),
                    "content_hash": version.content_hash},
        "policy": run.policy if run else None,
        "validation": {"run": str(run.id), "verdict": run.verdict} if run else None,
        "approved_at": version.decided_at.isoformat() if version.decided_at else None,
        "approved_by": (getattr(approved_by, "email", "") or approved_by.get_username()) if approved_by else None,
        "requests": {"sagemaker": requests.sagemaker_arcname, "operation": requests.sagemaker.operation,
                     "name": requests.resource_name, "change_set": "marketplace/change_set.json"},
        "options": options.bytes_affecting(),
    }
    readme_text = readme(ReadmeContext(
        snapshot=snapshot, version_number=version.number, requests=requests, files=sorted(files, key=lambda f: f.arcname),
        approved_at=version_info["approved_at"], approved_by=version_info["approved_by"], policy=version_info["policy"],
        warnings=_open_warnings(report)))
    files.append(PlannedFile.from_bytes("README.md", text_bytes(readme_text)))
    manifest_bytes = manifest(files=files, version_info=version_info)
    files.append(PlannedFile.from_bytes("manifest.json", manifest_bytes))
    return BundlePlan(files=sorted(files, key=lambda f: f.arcname), manifest=json.loads(manifest_bytes),
                      requests=requests)


def _predicted_arn(snapshot: dict[str, Any], version: ListingVersion) -> str:
    from validation.aws_requests import predicted_arn

    return predicted_arn(snapshot, kind=str(snapshot.get("kind")), version_number=version.number)


# ----------------------------------------------------------------------------------------------------- writing


class _HashingWriter:
    """Hashes the zip as it is written, so its sha256 costs no second read; counts bytes for progress."""

    def __init__(self, fileobj: BinaryIO, on_bytes: Callable[[int], None] | None = None):
        self.fileobj, self.digest, self.size, self.on_bytes = fileobj, hashlib.sha256(), 0, on_bytes

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        written = self.fileobj.write(data)
        if self.on_bytes is not None:
            self.on_bytes(self.size)
        return written


def write_bundle(files: list[PlannedFile] | BundlePlan, out: BinaryIO, *,
                 on_progress: Callable[[int, str], None] | None = None) -> tuple[str, int]:
    """Stream the plan into ``out``; returns the zip's sha256 and size. ``on_progress(bytes, arcname)``.

    A missing or damaged artifact raises ``ExportError``; ``out`` then holds no central directory (not a zip)
    and must be discarded.
    """
    planned = files.files if isinstance(files, BundlePlan) else files
    current = {"name": ""}
    hashing = _HashingWriter(out, (lambda n: on_progress(n, current["name"])) if on_progress else None)
    with BundleWriter(hashing) as writer:
        for f in planned:
            current["name"] = f.arcname
            if not f.embedded:
                continue
            if f.data is not None:
                writer.add_bytes(f.arcname, f.data, compress=f.compress)
                continue
            try:
                source = open_blob(f.sha256)
            except (FileNotFoundError, OSError) as exc:
                raise ExportError(f"Export stopped: the {f.label or f.arcname} cannot be read from artifact storage "
                                  f"({exc.__class__.__name__}). Nothing was exported.") from exc
            try:
                with source:
                    writer.add_file(f.arcname, source, size=f.size, expected_sha256=f.sha256)
            except IntegrityError as exc:
                raise ExportError(f"Export stopped: the stored bytes of the {f.label or f.arcname} no longer match "
                                  "their sha256 — the stored copy is damaged. Nothing was exported. Ask an operator "
                                  "to restore it from backup, then export again.") from exc
    return hashing.digest.hexdigest(), hashing.size


# -------------------------------------------------------------------------------------------------- the service


def bundle_start(*, version: ListingVersion, actor, options: ExportOptions | None = None) -> SubmissionBundle:
    """Queue an export of an approved version with the seller's options (the export task builds it)."""
    from listings.tasks import build_bundle

    if version.status != VersionStatus.APPROVED:
        raise ServiceError("Only an approved version can be exported.")
    if not can_edit(actor, version.listing):
        raise NotAllowed("Only owners and editors can export a bundle.")
    options = options or ExportOptions()
    if options.dry_run and not config.dry_run_available():
        raise ServiceError("The API dry run is not available: no sandbox endpoint (AWS_ENDPOINT_URL) is configured.")
    with transaction.atomic():
        bundle = SubmissionBundle.objects.create(version=version, requested_by=actor, options=options.as_dict())
        record_event(listing=version.listing, type="bundle.requested", actor=actor,
                     data={"version": version.number, "bundle": str(bundle.id), "options": options.as_dict()})
        transaction.on_commit(lambda: build_bundle.delay(str(bundle.id)))
    return bundle


def _claim(bundle_id) -> SubmissionBundle | None:
    now = timezone.now()
    claimed = SubmissionBundle.objects.filter(pk=bundle_id, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    return SubmissionBundle.objects.select_related("version", "version__listing").get(pk=bundle_id) if claimed else None


class _Progress:
    """Writes progress and the heartbeat at most every few seconds (the stale-job sweep reads the heartbeat)."""

    def __init__(self, bundle_id, total: int, *, start: int = 0, span: int = 90):
        self.bundle_id, self.total, self.start, self.span = bundle_id, max(total, 1), start, span
        self.last = 0.0

    def note(self, text: str, percent: int | None = None) -> None:
        fields: dict[str, Any] = {"progress_note": text[:200], "heartbeat_at": timezone.now()}
        if percent is not None:
            fields["progress"] = percent
        SubmissionBundle.objects.filter(pk=self.bundle_id, status=JobStatus.RUNNING).update(**fields)
        self.last = time.monotonic()

    def __call__(self, written: int, arcname: str) -> None:
        if time.monotonic() - self.last >= config.heartbeat_seconds():
            percent = self.start + min(self.span, int(self.span * written / self.total))
            self.note(f"Writing {arcname}", percent)


def _hand_off(bundle: SubmissionBundle, path: Path, sha256: str, plan: BundlePlan, progress: _Progress) -> dict:
    """The optional S3 upload and API dry run. Their failures are reported, not fatal: the bundle is good."""
    from botocore.exceptions import BotoCoreError, ClientError

    from listings.export import dryrun, s3

    options = ExportOptions.from_dict(bundle.options)
    listing = bundle.version.listing
    results: dict[str, Any] = {}
    if options.upload_to:
        bucket, prefix = parse_s3_uri(options.upload_to)
        key = s3.object_key(prefix, bundle.filename)
        progress.note(f"Uploading to s3://{bucket}/{key}", 92)
        try:
            results["s3_upload"] = s3.upload_bundle(path, bucket=bucket, key=key, sha256=sha256)
        except (BotoCoreError, ClientError, OSError) as exc:
            results["s3_upload"] = {"uri": f"s3://{bucket}/{key}", "error": f"{type(exc).__name__}: {exc}"[:500]}
            record_event(listing=listing, type="bundle.upload_failed",
                         data={"bundle": str(bundle.id), **results["s3_upload"]})
        else:
            record_event(listing=listing, type="bundle.uploaded",
                         data={"bundle": str(bundle.id), "uri": results["s3_upload"]["uri"],
                               "parts": results["s3_upload"]["parts"], "sha256": sha256})
    if options.dry_run:
        progress.note("Dry run of the SageMaker and Catalog API calls", 96)
        region = str((bundle.version.snapshot.get("aws") or {}).get("region", ""))
        try:
            results["dry_run"] = dryrun.dry_run(plan.requests, region=region)
        except ExportError as exc:
            results["dry_run"] = [{"service": "", "operation": "", "outcome": "unavailable", "message": str(exc)}]
        record_event(listing=listing, type="bundle.dry_run",
                     data={"bundle": str(bundle.id), "results": results["dry_run"]})
    return results


def bundle_build(*, bundle_id) -> SubmissionBundle | None:
    """The export task: build, store, hand off. Idempotent: a finished bundle is left alone."""
    bundle = _claim(bundle_id)
    if bundle is None:
        return None
    version = bundle.version
    progress = _Progress(bundle.pk, 1)
    progress.note("Checking the version and building the AWS requests", 1)
    try:
        plan = plan_bundle(version, ExportOptions.from_dict(bundle.options))
    except ExportError as exc:
        bundle_fail(bundle_id=bundle.pk, error=str(exc))
        bundle.refresh_from_db()
        return bundle
    progress.total = max(plan.embedded_bytes, 1)
    settings.SCRATCH_ROOT.mkdir(parents=True, exist_ok=True)
    storage, key = export_storage(), ""
    try:
        # Written to a scratch file first: a failure leaves no partial bundle in the export storage.
        with tempfile.NamedTemporaryFile(dir=settings.SCRATCH_ROOT, prefix="bundle-", suffix=".zip") as scratch:
            try:
                sha256, size = write_bundle(plan, scratch, on_progress=progress)
            except ExportError as exc:
                bundle_fail(bundle_id=bundle.pk, error=str(exc))
                bundle.refresh_from_db()
                return bundle
            scratch.flush()
            progress.note("Storing the bundle", 90)
            scratch.seek(0)
            key = storage.save(f"bundles/{bundle.id}.zip", File(scratch, name=f"{bundle.id}.zip"))
            handoff = _hand_off(bundle, Path(scratch.name), sha256, plan, progress)
        with transaction.atomic():
            SubmissionBundle.objects.filter(pk=bundle.pk).update(
                status=JobStatus.SUCCEEDED, sha256=sha256, size=size, storage_key=key, progress=100,
                progress_note="", finished_at=timezone.now(), manifest=plan.manifest,
                options={**bundle.options, **handoff},
            )
            record_event(listing=version.listing, type="bundle.exported",
                         data={"version": version.number, "bundle": str(bundle.id), "sha256": sha256, "size": size,
                               "generator": GENERATOR})
    except BaseException:
        if key:  # stored but not recorded: remove it so no bundle exists that no row vouches for
            try:
                storage.delete(key)
            except Exception:
                log.exception("could not remove the unrecorded bundle %s", key)
        raise
    bundle.refresh_from_db()
    return bundle


def bundle_fail(*, bundle_id, error: str) -> None:
    with transaction.atomic():
        failed = SubmissionBundle.objects.filter(pk=bundle_id, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).update(
            status=JobStatus.FAILED, error=error[:2000], progress_note="", finished_at=timezone.now()
        )
        if failed:
            bundle = SubmissionBundle.objects.select_related("version__listing").get(pk=bundle_id)
            record_event(listing=bundle.version.listing, type="bundle.failed",
                         data={"bundle": str(bundle_id), "error": error[:500]})


def export_to_path(version: ListingVersion, path: Path, options: ExportOptions | None = None) -> tuple[str, int]:
    """The bundle written to ``path`` (the command line); nothing is left at ``path`` on failure."""
    plan = plan_bundle(version, options)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with open(partial, "wb") as out:
            sha256, size = write_bundle(plan, out)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return sha256, size
