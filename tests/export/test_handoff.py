"""The hand-off, against moto_server on loopback (never AWS): multipart upload to the seller's bucket with a
short-lived link, and the dry run of the SageMaker and Catalog calls. No credential is stored or bundled."""

from __future__ import annotations

import hashlib
import json
import urllib.request

import boto3
import pytest
from django.urls import reverse

from listings.errors import ServiceError
from listings.export.options import ExportOptions
from listings.export.service import bundle_start
from tests.export.conftest import FAKE_CREDENTIALS, bundle_bytes, export

pytestmark = pytest.mark.django_db
BUCKET = "seller-bundles"


def _s3(endpoint):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


def _no_credentials_in(*texts: str) -> None:
    for text in texts:
        for secret in FAKE_CREDENTIALS.values():
            assert secret not in text


def test_upload_to_the_sellers_bucket_is_multipart_and_links_are_made_per_click(
        approved_model_package, alice, client, sandbox, settings, tmp_path):
    settings.EXPORT_MULTIPART_CHUNK_BYTES = 5 * 1024 * 1024  # S3's smallest part: a 6 MiB bundle takes 2 parts
    from listings.storage import sha256_of, store_file

    big = tmp_path / "weights.bin"
    big.write_bytes(bytes(range(256)) * (6 * 4096))
    with open(big, "rb") as fh:
        digest, size = sha256_of(fh)
    store_file(big, sha256=digest)
    version = approved_model_package
    snapshot = dict(version.snapshot)
    snapshot["artifacts"] = snapshot["artifacts"] + [{"kind": "model_data", "name": "model.tar.gz", "sha256": digest,
                                                      "size": size, "content_type": "application/gzip", "tags": {}}]
    type(version).objects.filter(pk=version.pk).update(snapshot=snapshot)
    version.refresh_from_db()
    _s3(sandbox).create_bucket(Bucket=BUCKET)

    bundle = export(version, alice, ExportOptions(upload_to=f"s3://{BUCKET}/marketplace/"))
    assert bundle.status == "succeeded", bundle.error
    upload = bundle.options["s3_upload"]
    assert upload["uri"] == f"s3://{BUCKET}/marketplace/{bundle.filename}" and upload["parts"] == 2
    obj = _s3(sandbox).get_object(Bucket=BUCKET, Key=upload["key"])
    data = obj["Body"].read()
    assert data == bundle_bytes(bundle) and hashlib.sha256(data).hexdigest() == bundle.sha256
    assert obj["ETag"].strip('"').endswith("-2") and obj["Metadata"]["sha256"] == bundle.sha256
    assert version.listing.events.filter(type="bundle.uploaded").exists()

    # The link is made on each click, never stored; it works, and it expires.
    client.force_login(alice)
    response = client.get(reverse("bundle-s3-copy", args=[bundle.pk]))
    assert response.status_code == 302 and response["Location"].startswith(sandbox)
    assert "X-Amz-Expires=900" in response["Location"]
    with urllib.request.urlopen(response["Location"], timeout=10) as fetched:
        assert hashlib.sha256(fetched.read()).hexdigest() == bundle.sha256
    page = client.get(reverse("listing-detail", args=[version.listing_id])).content.decode()
    assert f"s3://{BUCKET}/marketplace/" in page and "link to the S3 copy" in page

    # Neither the bundle row, its events nor the zip hold a credential or a signed link.
    bundle.refresh_from_db()
    events = json.dumps(list(version.listing.events.values_list("data", flat=True)))
    _no_credentials_in(json.dumps(bundle.options), json.dumps(bundle.manifest), events)
    assert "X-Amz-" not in json.dumps(bundle.options) + events
    assert all(secret.encode() not in data for secret in FAKE_CREDENTIALS.values())


def test_a_failed_upload_is_reported_and_the_bundle_still_stands(approved_model_package, alice, sandbox):
    bundle = export(approved_model_package, alice, ExportOptions(upload_to="s3://no-such-bucket/x"))
    assert bundle.status == "succeeded"
    assert "NoSuchBucket" in bundle.options["s3_upload"]["error"]
    assert approved_model_package.listing.events.filter(type="bundle.upload_failed").exists()


def test_dry_run_sends_both_calls_to_the_sandbox_and_reports_each(approved_model_package, alice, client, sandbox):
    bundle = export(approved_model_package, alice, ExportOptions(dry_run=True))
    assert bundle.status == "succeeded", bundle.error
    results = {r["operation"]: r for r in bundle.options["dry_run"]}
    created = results["CreateModelPackage"]
    assert created["outcome"] == "accepted", created
    assert "model-package/sentiment-analyzer-for-english-reviews-v1" in created["message"]
    # The dry run deletes what it created; moto has no DeleteModelPackage, and the result says so.
    sagemaker = boto3.client("sagemaker", endpoint_url=sandbox, region_name="us-east-1")
    left = sagemaker.list_model_packages()["ModelPackageSummaryList"]
    assert left == [] or "could not be deleted again" in created["message"], created
    # moto has no Catalog API: that call is reported as not available, never as passed.
    catalog = results["StartChangeSet"]
    assert catalog["service"] == "marketplace-catalog" and catalog["outcome"] == "unavailable", catalog
    client.force_login(alice)
    row = client.get(reverse("bundle-status", args=[bundle.pk])).content.decode()
    assert 'data-testid="dry-run"' in row and "accepted" in row and "unavailable" in row
    # The dry run does not change the bundle: same bytes as a plain export.
    assert export(approved_model_package, alice).sha256 == bundle.sha256


def test_dry_run_is_refused_without_a_sandbox_endpoint(approved_model_package, alice, settings):
    settings.AWS_ENDPOINT_URL = None
    with pytest.raises(ServiceError, match="AWS_ENDPOINT_URL"):
        bundle_start(version=approved_model_package, actor=alice, options=ExportOptions(dry_run=True))


def test_artifacts_in_s3_storage_are_streamed_into_the_bundle(sandbox, settings, team_a, alice, rita):
    """With the artifact storage in S3 the export reads each object's body as a stream (django-storages' own
    file object would hold the whole object in memory first)."""
    import io
    import tracemalloc

    from listings.export.service import plan_bundle, write_bundle
    from listings.models import ListingVersion
    from listings.storage import sha256_of, store_blob
    from tests.export.conftest import Unzipped, approve
    from tests.listing_builder import complete_listing

    _s3(sandbox).create_bucket(Bucket="mp-artifacts")
    settings.STORAGES = {**settings.STORAGES, "artifacts": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": "mp-artifacts", "location": "artifacts", "default_acl": "private",
                    "querystring_auth": True, "file_overwrite": False, "endpoint_url": sandbox,
                    "region_name": "us-east-1"},
    }}
    version = approve(complete_listing(team_a, alice), alice, rita)
    weights = bytes(range(256)) * (40 * 4096)  # 40 MiB
    digest, size = sha256_of(io.BytesIO(weights))
    store_blob(io.BytesIO(weights), sha256=digest)
    assert _s3(sandbox).head_object(Bucket="mp-artifacts", Key=f"artifacts/sha256/{digest[:2]}/{digest}")
    snapshot = dict(version.snapshot)
    snapshot["artifacts"] = snapshot["artifacts"] + [{"kind": "model_data", "name": "model.tar.gz", "sha256": digest,
                                                      "size": size, "content_type": "", "tags": {}}]
    ListingVersion.objects.filter(pk=version.pk).update(snapshot=snapshot)
    version.refresh_from_db()
    del weights

    plan = plan_bundle(version)

    class Sink:
        def __init__(self):
            self.parts = []

        def write(self, data):
            self.parts.append(hashlib.sha256(data).digest())  # keep nothing but a digest of each write
            return len(data)

    tracemalloc.start()
    try:
        write_bundle(plan, Sink())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"peak {peak / 2**20:.1f} MiB for a 40 MiB artifact"
    bundle = export(version, alice)
    assert bundle.status == "succeeded", bundle.error
    z = Unzipped(bundle_bytes(bundle))
    z.check_manifest()
    assert hashlib.sha256(z.read("artifacts/model/model.tar.gz")).hexdigest() == digest
