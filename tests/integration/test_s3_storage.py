"""The S3 path of artifact storage, through django-storages, against ``moto_server`` on loopback (never AWS).

The ``artifacts`` storage is pointed at a bucket on a moto server started here; uploads go through the real
views, downloads redirect to presigned URLs that moto serves, and the same bytes are written once.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from listings.models import Artifact
from listings.storage import artifact_storage, key_for_digest
from tests.listings.test_artifacts import chunked_upload, image_tar, model_tar_gz, notebook
from tests.processes import moto_server

pytestmark = pytest.mark.django_db
BUCKET = "marketplace-prep-test"


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory):
    with moto_server(tmp_path_factory.mktemp("moto")) as endpoint:
        yield endpoint


@pytest.fixture
def s3(moto_endpoint, settings, monkeypatch):
    """Fake credentials from the environment, as boto3 reads them; no instance metadata, no proxy."""
    import boto3

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_EC2_METADATA_DISABLED": "true", "NO_PROXY": "127.0.0.1,localhost",
                        "no_proxy": "127.0.0.1,localhost"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "artifacts": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BUCKET, "location": "artifacts", "default_acl": "private", "querystring_auth": True,
            "querystring_expire": 300, "file_overwrite": False, "endpoint_url": moto_endpoint,
            "region_name": "us-east-1",
        },
    }}
    yield client
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in listed:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def count_writes(monkeypatch):
    from storages.backends.s3 import S3Storage

    writes = []
    original = S3Storage._save

    def counting(self, name, content):
        writes.append(name)
        return original(self, name, content)

    monkeypatch.setattr(S3Storage, "_save", counting)
    return writes


def _key(data: bytes) -> str:
    return "artifacts/" + key_for_digest(hashlib.sha256(data).hexdigest())


def test_upload_lands_in_s3_under_its_digest_and_downloads_through_a_presigned_url(client, s3, count_writes,
                                                                                       listing, alice):
    assert hasattr(artifact_storage(), "bucket_name")  # the override took: this is the S3 path
    data = notebook()
    client.force_login(alice)
    response = client.post(reverse("artifact-upload", args=[listing.id]),
                           {"kind": "notebook", "file": SimpleUploadedFile("demo.ipynb", data)},
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 201, response.content
    head = s3.head_object(Bucket=BUCKET, Key=_key(data))
    assert head["ContentLength"] == len(data)

    artifact = Artifact.objects.get()
    download = client.get(reverse("artifact-download", args=[listing.id, artifact.id]))
    assert download.status_code == 302
    location = download["Location"]
    assert location.startswith(s3.meta.endpoint_url)
    assert "Signature=" in location and "Expires=" in location.replace("X-Amz-Expires=", "Expires=")  # presigned
    with urllib.request.urlopen(location, timeout=10) as fetched:
        assert fetched.read() == data
        assert "demo.ipynb" in fetched.headers.get("Content-Disposition", "")

    # The same bytes again (another name, another path in): stored once, not written twice.
    again = chunked_upload(client, listing, "notebook", "copy.ipynb", data, chunk=100)
    assert again.status_code == 201, again.content
    assert count_writes == [key_for_digest(hashlib.sha256(data).hexdigest())]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="artifacts/").get("Contents", [])]
    assert keys == [_key(data)]
    assert Artifact.objects.filter(sha256=hashlib.sha256(data).hexdigest()).count() == 2


def test_a_large_resumable_upload_goes_to_s3_in_parts(client, s3, listing, alice):
    data = image_tar(os.urandom(12 * 1024 * 1024))  # over boto3's 8 MB multipart threshold
    client.force_login(alice)
    response = chunked_upload(client, listing, "image", "image.tar", data, chunk=4 * 1024 * 1024)
    assert response.status_code == 201, response.content
    body = s3.get_object(Bucket=BUCKET, Key=_key(data))["Body"].read()
    assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()


def test_refused_and_removed_files_leave_nothing_in_the_bucket(client, s3, listing, alice, monkeypatch,
                                                                  django_capture_on_commit_callbacks):
    from validation import tasks

    monkeypatch.setattr(tasks.run_validation, "delay", lambda *args, **kwargs: None)
    client.force_login(alice)
    tar_not_gz = model_tar_gz()[:-40]  # cut short
    refused = client.post(reverse("artifact-upload", args=[listing.id]),
                          {"kind": "model_data", "file": SimpleUploadedFile("model.tar.gz", tar_not_gz)},
                          HTTP_ACCEPT="application/json")
    assert refused.status_code == 400
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)

    data = model_tar_gz()
    client.post(reverse("artifact-upload", args=[listing.id]),
                {"kind": "model_data", "file": SimpleUploadedFile("model.tar.gz", data)})
    artifact = Artifact.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("artifact-remove", args=[listing.id, artifact.id]))
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)
