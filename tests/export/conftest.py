"""Fixtures for the bundle tests: approved versions of each kind, unzipping, and moto_server on loopback."""

from __future__ import annotations

import hashlib
import io
import json
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from listings import services
from listings.export.service import bundle_build, bundle_start
from listings.storage import export_storage
from tests.processes import moto_server


def approve(listing, seller, reviewer):
    from tests.helpers import submitted_version

    version = submitted_version(listing, seller)
    services.review_approve(version=version, actor=reviewer)
    version.refresh_from_db()
    return version


@pytest.fixture
def approved_model_package(ready_listing, alice, rita):
    return approve(ready_listing, alice, rita)


@pytest.fixture
def approved_algorithm(team_a, alice, rita):
    from tests.listing_builder import complete_listing

    return approve(complete_listing(team_a, alice, "algorithm"), alice, rita)


def export(version, actor, options=None):
    """What the web export does, with the worker's part run in this process."""
    bundle = bundle_start(version=version, actor=actor, options=options)
    return bundle_build(bundle_id=bundle.pk)


def bundle_bytes(bundle) -> bytes:
    with export_storage().open(bundle.storage_key, "rb") as fh:
        return fh.read()


class Unzipped:
    def __init__(self, data: bytes):
        self.data = data
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        assert self.zip.testzip() is None
        self.names = self.zip.namelist()
        self.manifest = json.loads(self.zip.read("manifest.json"))

    def read(self, name: str) -> bytes:
        return self.zip.read(name)

    def json(self, name: str):
        return json.loads(self.zip.read(name))

    def text(self, name: str) -> str:
        return self.zip.read(name).decode()

    def check_manifest(self) -> None:
        """Every file but the manifest is listed with its sha256 and size, and every embedded entry is there."""
        listed = {f["path"]: f for f in self.manifest["files"]}
        assert set(self.names) - {"manifest.json"} == {p for p, f in listed.items() if f.get("embedded", True)}
        for name in self.names:
            if name == "manifest.json":
                continue
            data = self.read(name)
            assert hashlib.sha256(data).hexdigest() == listed[name]["sha256"], name
            assert len(data) == listed[name]["size"], name


@pytest.fixture
def unzip():
    return Unzipped


@pytest.fixture
def blob_path():
    """The stored file of a digest; every blob a test touches is put back as it was afterwards (the artifact
    storage is shared by the whole session and content-addressed, so a damaged blob would outlive the test)."""
    from listings.storage import artifact_storage, key_for_digest

    saved: dict[Path, bytes] = {}

    def path_of(sha256: str) -> Path:
        path = Path(artifact_storage().path(key_for_digest(sha256)))
        saved.setdefault(path, path.read_bytes())
        return path

    yield path_of
    for path, data in saved.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


# ------------------------------------------------------------------------------------------------ moto_server


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory):
    """A moto_server on loopback for the hand-off (never AWS)."""
    with moto_server(tmp_path_factory.mktemp("moto-export")) as endpoint:
        yield endpoint


FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing-secret-key",
                    "AWS_SESSION_TOKEN": "testing-session-token"}


@pytest.fixture
def sandbox(moto_endpoint, settings, monkeypatch):
    """The worker's own (fake) AWS identity from the environment, and AWS_ENDPOINT_URL pointing at moto."""
    for name, value in {**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    settings.AWS_ENDPOINT_URL = moto_endpoint
    urllib.request.urlopen(urllib.request.Request(moto_endpoint + "/moto-api/reset", method="POST"), timeout=5).close()
    return moto_endpoint
