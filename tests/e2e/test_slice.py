"""The whole way through in Debian's chromium: create → validate → submit → approve → export → download."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest

from listings.models import Listing
from tests.listing_builder import fill
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_seller_to_reviewer_to_bundle(new_page, live_server, celery_worker_process, alice, rita, tmp_path):
    seller = new_page(alice)
    seller.click("text=New listing")
    seller.check("input[value=model_package]")
    seller.fill("#id_title", "Acme Churn ™")  # AWS refuses a space before ™
    seller.fill("#id_short_description", "Predicts which customers will cancel next month.")
    seller.click("button:has-text('Create listing')")
    error = seller.locator(".field.has-error .errorlist")
    assert "™" in error.inner_text()
    screenshot(seller, "create-error")

    seller.fill("#id_title", "Acme Churn™")
    seller.click("button:has-text('Create listing')")
    seller.wait_for_selector("h1:has-text('Acme Churn™')")
    listing_url = seller.url

    # A new listing has everything else still to fill: validation says so, at each field.
    seller.click("#validation-panel button:has-text('Validate')")
    seller.wait_for_selector("[data-testid=run-status]:has-text('Problems found')")
    panel = seller.locator("#validation-panel")
    assert "Product information" in panel.inner_text()  # problems grouped by the section where they are fixed
    assert "listing.E009" in panel.text_content()  # the long description is missing (in a folded group)
    screenshot(seller, "validated-incomplete")

    # The rest of the listing (sections and artifacts) is filled as the section forms' own tests do.
    fill(Listing.objects.get(), alice)
    seller.reload()

    # Validate: the panel polls itself (htmx) while the worker runs, no full reload.
    seller.evaluate("window.__noReload = true")
    seller.click("#validation-panel button:has-text('Validate')")
    seller.wait_for_selector("[data-testid=run-status]:has-text('Passed')")
    assert seller.evaluate("window.__noReload") is True
    assert "checks passed" in seller.inner_text("#validation-panel")
    screenshot(seller, "validated")

    seller.once("dialog", lambda dialog: dialog.accept())
    seller.click("button:has-text('Submit for review')")
    seller.wait_for_selector("[data-testid=listing-status]:has-text('Submitted')")
    assert "Version 1" in seller.inner_text("[data-testid=version-1]")

    reviewer = new_page(rita)
    reviewer.goto(f"{live_server.url}/review/")
    reviewer.click("a:has-text('Acme Churn™')")
    screenshot(reviewer, "review")
    reviewer.once("dialog", lambda dialog: dialog.accept())
    reviewer.click("button:has-text('Approve')")
    reviewer.wait_for_selector("text=Nothing is waiting for review")

    seller.goto(listing_url)
    assert "Approved" in seller.inner_text("[data-testid=listing-status]")
    seller.click("button:has-text('Export bundle')")
    seller.wait_for_selector("a:has-text('Download bundle')")  # the bundle row polls itself until ready
    with seller.expect_download() as download_info:
        seller.click("a:has-text('Download bundle')")
    path = tmp_path / "bundle.zip"
    download_info.value.save_as(path)
    screenshot(seller, "exported")

    with zipfile.ZipFile(path) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        for entry in manifest["files"]:
            assert hashlib.sha256(bundle.read(entry["path"])).hexdigest() == entry["sha256"]
        assert json.loads(bundle.read("listing/listing.json"))["product"]["title"] == "Acme Churn™"

    seller.wait_for_selector("#timeline:has-text('bundle.exported')")  # refreshed by htmx, no reload
    timeline = seller.inner_text("ol.timeline")
    for event in ("listing.created", "validation.passed", "listing.submitted", "review.approved", "bundle.exported"):
        assert event in timeline
    assert Listing.objects.get().status == "approved"
