"""Building a submission bundle: plan every entry, stream them into a zip, store it, record its digest."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from listings.events import record_event
from listings.export.documents import PlannedFile, json_bytes, manifest
from listings.export.zipstream import BundleWriter
from listings.jobs import JobStatus
from listings.models import ListingVersion, SubmissionBundle
from listings.storage import export_storage, open_blob

log = logging.getLogger(__name__)


class _HashingWriter:
    """Hashes the zip as it is written, so its sha256 costs no second read."""

    def __init__(self, fileobj):
        self.fileobj, self.digest, self.size = fileobj, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.fileobj.write(data)


def _validation_report(version: ListingVersion) -> dict:
    run = version.validation_run
    if run is None:
        return {"run": None, "findings": []}
    return {
        "run": str(run.id), "policy": run.policy, "verdict": run.verdict, "content_hash": run.content_hash,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "findings": [
            {"code": f.code, "severity": f.severity, "outcome": f.outcome, "message": f.message,
             "hint": f.hint, "location": f.location, "source": f.source}
            for f in run.findings.order_by("position")
        ],
    }


def plan_bundle(version: ListingVersion) -> list[PlannedFile]:
    snapshot = version.snapshot
    files = [
        PlannedFile.from_bytes("listing/listing.json", json_bytes(snapshot)),
        PlannedFile.from_bytes("reports/validation.json", json_bytes(_validation_report(version))),
    ]
    version_info = {
        "listing": snapshot["id"], "kind": snapshot["kind"], "version": version.number,
        "content_hash": version.content_hash,
        "policy": version.validation_run.policy if version.validation_run else None,
        "approved_at": version.decided_at.isoformat() if version.decided_at else None,
    }
    files.append(PlannedFile.from_bytes("manifest.json", manifest(files=files, version_info=version_info)))
    return sorted(files, key=lambda f: f.arcname)


def write_bundle(files: list[PlannedFile], out) -> tuple[str, int]:
    hashing = _HashingWriter(out)
    with BundleWriter(hashing) as writer:
        for planned in files:
            if planned.data is not None:
                writer.add_bytes(planned.arcname, planned.data)
            else:
                with open_blob(planned.sha256) as source:
                    writer.add_file(planned.arcname, source, size=planned.size, expected_sha256=planned.sha256)
    return hashing.digest.hexdigest(), hashing.size


def _claim(bundle_id) -> SubmissionBundle | None:
    now = timezone.now()
    claimed = SubmissionBundle.objects.filter(pk=bundle_id, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    return SubmissionBundle.objects.select_related("version", "version__listing").get(pk=bundle_id) if claimed else None


def bundle_build(*, bundle_id) -> SubmissionBundle | None:
    bundle = _claim(bundle_id)
    if bundle is None:
        return None
    version = bundle.version
    settings.SCRATCH_ROOT.mkdir(parents=True, exist_ok=True)
    # Written to a scratch file first: a failure leaves no partial bundle in the export storage.
    with tempfile.NamedTemporaryFile(dir=settings.SCRATCH_ROOT, suffix=".zip") as scratch:
        sha256, size = write_bundle(plan_bundle(version), scratch)
        scratch.flush()
        scratch.seek(0)
        key = export_storage().save(f"bundles/{bundle.id}.zip", File(scratch))
    with transaction.atomic():
        SubmissionBundle.objects.filter(pk=bundle.pk).update(
            status=JobStatus.SUCCEEDED, sha256=sha256, size=size, storage_key=key, progress=100,
            finished_at=timezone.now(),
        )
        record_event(listing=version.listing, type="bundle.exported",
                     data={"version": version.number, "bundle": str(bundle.id), "sha256": sha256, "size": size})
    bundle.refresh_from_db()
    return bundle


def bundle_fail(*, bundle_id, error: str) -> None:
    with transaction.atomic():
        failed = SubmissionBundle.objects.filter(pk=bundle_id, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).update(
            status=JobStatus.FAILED, error=error[:2000], finished_at=timezone.now()
        )
        if failed:
            bundle = SubmissionBundle.objects.select_related("version__listing").get(pk=bundle_id)
            record_event(listing=bundle.version.listing, type="bundle.failed",
                         data={"bundle": str(bundle_id), "error": error[:500]})
