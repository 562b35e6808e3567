"""A real worker process takes tasks through Redis and writes results the web process reads."""

from __future__ import annotations

import io
import zipfile

import pytest

from listings import services
from listings.jobs import JobStatus
from listings.storage import export_storage
from validation.models import ValidationRun
from validation.services import validation_run_start
from tests.worker import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _finished(model, pk):
    def check():
        obj = model.objects.get(pk=pk)
        return obj if obj.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) else None
    return check


def test_validation_run_goes_through_redis_to_the_worker_and_back(celery_worker_process, ready_listing, alice):
    listing = ready_listing
    run = validation_run_start(listing=listing, actor=alice)
    done = wait_for(_finished(ValidationRun, run.pk), what="the worker to finish the run")
    assert done.status == JobStatus.SUCCEEDED
    assert done.verdict == "passed"
    assert done.findings.filter(code="listing.E002", outcome="passed").exists()
    assert listing.events.filter(type="validation.passed").exists()


def test_a_flawed_listing_gets_its_findings_from_the_worker(celery_worker_process, team_a, alice):
    from tests.factories import ListingFactory

    listing = ListingFactory(team=team_a, title="x" * 80, short_description="")
    run = validation_run_start(listing=listing, actor=alice)
    done = wait_for(_finished(ValidationRun, run.pk), what="the worker to finish the run")
    failed = set(done.findings.filter(outcome="failed").values_list("code", flat=True))
    assert {"listing.E002", "listing.E005"} <= failed
    assert done.verdict == "failed"


def test_export_task_writes_a_bundle_with_manifest_and_listing(celery_worker_process, ready_listing, alice, rita):
    listing = ready_listing
    from listings.models import SubmissionBundle

    run = validation_run_start(listing=listing, actor=alice)
    wait_for(_finished(ValidationRun, run.pk), what="validation")
    listing.refresh_from_db()
    version = services.listing_submit(listing=listing, actor=alice)
    services.review_approve(version=version, actor=rita)
    version.refresh_from_db()
    bundle = services.bundle_request(version=version, actor=alice)
    done = wait_for(_finished(SubmissionBundle, bundle.pk), what="the export")
    assert done.status == JobStatus.SUCCEEDED, done.error
    data = export_storage().open(done.storage_key, "rb").read()
    import hashlib, json

    assert hashlib.sha256(data).hexdigest() == done.sha256 and len(data) == done.size
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        listed = {f["path"]: f for f in manifest["files"]}
        assert "listing/listing.json" in listed
        for name in zf.namelist():
            if name != "manifest.json":
                assert hashlib.sha256(zf.read(name)).hexdigest() == listed[name]["sha256"]
                assert len(zf.read(name)) == listed[name]["size"]
        assert json.loads(zf.read("listing/listing.json"))["product"]["title"] == listing.title
