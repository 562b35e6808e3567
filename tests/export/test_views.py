"""The export button and its options on the listing page, the bundle row, downloads, and who may do what."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from listings.export.service import bundle_build, bundle_start
from listings.models import SubmissionBundle
from tests.export.conftest import Unzipped

pytestmark = pytest.mark.django_db


def test_the_listing_page_offers_export_with_options(approved_model_package, alice, client):
    client.force_login(alice)
    page = client.get(reverse("listing-detail", args=[approved_model_package.listing_id])).content.decode()
    assert 'data-testid="export-form"' in page and "Export options" in page
    assert 'name="reference_large_files"' in page and 'name="upload_to"' in page
    assert re.search(r'<input type="checkbox" name="dry_run"[^>]* disabled', page)  # no sandbox endpoint in tests
    assert "no sandbox endpoint (AWS_ENDPOINT_URL) is configured" in page
    assert 'id="id_export_v1_upload_to"' in page


def test_export_with_options_records_them_and_downloads_the_zip(approved_model_package, alice, client):
    client.force_login(alice)
    response = client.post(reverse("version-export", args=[approved_model_package.pk]), {
        "reference_large_files": "on", "reference_min_mb": "5", "reference_prefix": "s3://seller-bucket/large/",
        "upload_to": "s3://seller-bucket/bundles",
    })
    assert response.status_code == 302
    bundle = SubmissionBundle.objects.get(version=approved_model_package)
    assert bundle.options == {"reference_large_files": True, "reference_min_bytes": 5 * 1024 * 1024,
                              "reference_prefix": "s3://seller-bucket/large/", "upload_to": "s3://seller-bucket/bundles",
                              "dry_run": False}
    assert bundle.requested_by == alice
    assert approved_model_package.listing.events.filter(type="bundle.requested").exists()


def test_invalid_options_are_explained_and_start_nothing(approved_model_package, alice, client):
    client.force_login(alice)
    response = client.post(reverse("version-export", args=[approved_model_package.pk]), {
        "reference_large_files": "on", "upload_to": "s3://Not_A_Bucket/x"}, follow=True)
    text = response.content.decode()
    assert "is not an S3 bucket name" in text and "Say where the large files are kept" in text
    assert not SubmissionBundle.objects.exists()


def test_a_built_bundle_downloads_with_its_sha256(approved_model_package, alice, client):
    bundle = bundle_build(bundle_id=bundle_start(version=approved_model_package, actor=alice).pk)
    client.force_login(alice)
    row = client.get(reverse("bundle-status", args=[bundle.pk])).content.decode()
    assert "Download bundle" in row and bundle.sha256 in row
    response = client.get(reverse("bundle-download", args=[bundle.pk]))
    data = b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/zip" and response["X-Content-SHA256"] == bundle.sha256
    Unzipped(data).check_manifest()
    assert client.get(reverse("bundle-s3-copy", args=[bundle.pk])).status_code == 404  # no copy in S3


def test_viewers_cannot_export_and_other_teams_get_404(approved_model_package, alice, vera, charlie, client):
    bundle = bundle_build(bundle_id=bundle_start(version=approved_model_package, actor=alice).pk)
    client.force_login(vera)
    assert client.post(reverse("version-export", args=[approved_model_package.pk])).status_code == 403
    client.force_login(charlie)
    assert client.post(reverse("version-export", args=[approved_model_package.pk])).status_code == 404
    for name in ("bundle-download", "bundle-status", "bundle-s3-copy"):
        assert client.get(reverse(name, args=[bundle.pk])).status_code == 404, name
