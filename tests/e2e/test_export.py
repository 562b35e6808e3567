"""Export in Debian's chromium: the seller exports an approved version from the listing page, the real worker
builds the bundle, and the browser downloads it; a damaged artifact shows why the export failed."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest

from listings import services
from tests.e2e.conftest import screenshot
from tests.export.conftest import Unzipped, blob_path  # noqa: F401  (blob_path: fixture)
from tests.worker import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def approve(listing, seller, reviewer):
    """Validated by the real worker (runs are enqueued on commit here), submitted and approved."""
    from validation.models import ValidationRun
    from validation.services import validation_run_start

    run = validation_run_start(listing=listing, actor=seller)
    wait_for(lambda: not ValidationRun.objects.get(pk=run.pk).is_active, timeout=120, what="the validation run")
    listing.refresh_from_db()
    version = services.listing_submit(listing=listing, actor=seller)
    services.review_approve(version=version, actor=reviewer)
    version.refresh_from_db()
    return version


def test_seller_exports_and_downloads_the_bundle(new_page, live_server, celery_worker_process, ready_listing, alice,
                                                 rita, tmp_path):
    version = approve(ready_listing, alice, rita)
    seller = new_page(alice)
    seller.goto(f"{live_server.url}/listings/{ready_listing.id}/")
    seller.click("summary:has-text('Export options')")
    assert seller.is_visible("input[name=reference_large_files]")
    assert seller.is_disabled("input[name=dry_run]")  # no sandbox endpoint configured
    seller.click("[data-testid=version-1] button:has-text('Export bundle')")
    seller.wait_for_selector("[data-testid=bundle] a:has-text('Download bundle')", timeout=60000)
    shown = seller.get_attribute("[data-testid=bundle-sha256]", "title")
    with seller.expect_download() as download_info:
        seller.click("[data-testid=bundle] a:has-text('Download bundle')")
    path = tmp_path / "bundle.zip"
    download_info.value.save_as(path)
    screenshot(seller, "export-downloaded")

    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == shown  # the digest the page shows is the file's
    bundle = Unzipped(data)
    bundle.check_manifest()
    assert bundle.manifest["version"]["number"] == version.number
    assert "sagemaker/create_model_package.json" in bundle.names and "marketplace/change_set.json" in bundle.names
    assert json.loads(bundle.read("listing/listing.json"))["id"] == str(ready_listing.id)
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
    seller.wait_for_selector("#timeline:has-text('bundle.exported')")


def test_a_damaged_artifact_shows_why_the_export_failed(new_page, live_server, celery_worker_process, ready_listing,
                                                        alice, rita, blob_path):
    version = approve(ready_listing, alice, rita)
    sample = next(a for a in version.snapshot["artifacts"] if a["name"] == "input.json")
    path = blob_path(sample["sha256"])
    path.write_bytes(path.read_bytes().replace(b"5.1", b"9.9"))
    seller = new_page(alice)
    seller.goto(f"{live_server.url}/listings/{ready_listing.id}/")
    seller.click("[data-testid=version-1] button:has-text('Export bundle')")
    error = seller.wait_for_selector("[data-testid=bundle-error]", timeout=60000)
    assert "input.json" in error.inner_text() and "no longer match their sha256" in error.inner_text()
    assert seller.locator("[data-testid=bundle] a:has-text('Download bundle')").count() == 0
    screenshot(seller, "export-failed")
