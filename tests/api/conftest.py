"""API test helpers: token-authenticated clients, isolated rate limits, complete listings to send."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from listings.api import throttling
from listings.sections import sections_for

DATA = Path(__file__).parent / "data"
FIXTURES = Path(__file__).parents[1] / "fixtures"
SHARED = FIXTURES / "listings"
KINDS = ("model_package", "algorithm")


@pytest.fixture(autouse=True)
def _isolated_rate_limits(monkeypatch):
    """Rate-limit counters live in the shared cache (Redis) for an hour; each test counts from zero."""
    monkeypatch.setattr(throttling._RateFromSettings, "cache", LocMemCache(f"api-throttle-{uuid.uuid4()}", {}),
                        raising=False)


@pytest.fixture
def api():
    """``api(user)``: an APIClient sending the user's token; ``api()``: an anonymous one."""

    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


def own_snapshot(kind: str) -> dict:
    """Our own complete, valid listing of ``kind`` (tests/api/data/), with no artifacts."""
    return json.loads((DATA / f"{kind}.json").read_text())


def shared_snapshot(kind: str) -> dict | None:
    """The suite's complete valid listing (tests/fixtures/listings/<kind>.json), when it is there."""
    path = SHARED / f"{kind}.json"
    return json.loads(path.read_text()) if path.exists() else None


def complete_snapshot(kind: str) -> dict:
    """A complete, valid listing of ``kind`` as validation/SNAPSHOT.md describes it: the suite's shared fixture
    when present, else ours. Artifacts are not part of it here: their upload is another part of the API."""
    snapshot = shared_snapshot(kind) or own_snapshot(kind)
    return {**snapshot, "artifacts": []}


def section_bodies(snapshot: dict) -> dict[str, dict]:
    """section name → the body to PUT (without lock_version), for the sections of the snapshot's kind."""
    return {spec.name: {key: copy.deepcopy(snapshot[key]) for key in spec.keys}
            for spec in sections_for(snapshot["kind"])}


def create_listing(client, team, snapshot: dict) -> dict:
    response = client.post("/api/v1/listings/", {
        "team": str(team.id), "kind": snapshot["kind"], "title": snapshot["product"]["title"],
        "short_description": snapshot["product"]["short_description"]}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def put_section(client, listing_id, name: str, body: dict, lock_version: int):
    return client.put(f"/api/v1/listings/{listing_id}/sections/{name}/", {**body, "lock_version": lock_version},
                      format="json")


def fill_listing(client, team, snapshot: dict) -> dict:
    """Create the listing and PUT every section of its kind; returns the listing as GET shows it afterwards."""
    created = create_listing(client, team, snapshot)
    for name, body in section_bodies(snapshot).items():
        response = put_section(client, created["id"], name, body, created["sections"][name]["lock_version"])
        assert response.status_code == 200, (name, response.json())
    return client.get(f"/api/v1/listings/{created['id']}/").json()


# ------------------------------------------------------------------------------------------------ artifacts
def put_chunk(client, url: str, data: bytes, start: int, total: int, **extra):
    """One chunk of a resumable upload: the raw bytes with their Content-Range."""
    return client.generic("PUT", url, data, content_type="application/octet-stream",
                          HTTP_CONTENT_RANGE=f"bytes {start}-{start + len(data) - 1}/{total}", **extra)


def upload_single(client, listing_id, *, kind: str, name: str, content: bytes, tags: dict | None = None,
                  as_fields: bool = False, **fields):
    """``POST /listings/{id}/artifacts/`` (multipart). Sample tags go as a JSON ``tags`` field, or with
    ``as_fields`` as the separate ``mode``/``direction``/``content_type`` fields. Returns the response."""
    body = {"kind": kind, "file": SimpleUploadedFile(name, content), **fields}
    if tags and as_fields:
        body.update(tags)
    elif tags:
        body["tags"] = json.dumps(tags)
    return client.post(f"/api/v1/listings/{listing_id}/artifacts/", body, format="multipart")


def start_upload(client, listing_id, *, kind: str, name: str, size: int, **fields):
    return client.post(f"/api/v1/listings/{listing_id}/uploads/", {"kind": kind, "name": name, "size": size,
                                                                   **fields}, format="json")


def upload_chunked(client, listing_id, *, kind: str, name: str, content: bytes, chunk: int,
                   tags: dict | None = None, **fields):
    """A whole resumable upload: start, PUT every chunk in order, complete. Returns the complete response."""
    started = start_upload(client, listing_id, kind=kind, name=name, size=len(content), tags=tags or {}, **fields)
    assert started.status_code == 201, started.json()
    session = started.json()
    for offset in range(0, len(content), chunk):
        sent = put_chunk(client, session["upload_url"], content[offset:offset + chunk], offset, len(content))
        assert sent.status_code == 200, sent.json()
        assert sent.json()["received"] == min(offset + chunk, len(content))
    return client.post(session["complete_url"], format="json")


def required_artifacts(kind: str) -> list[dict]:
    """What a complete listing of ``kind`` needs (tests/listing_builder.py): the notebook, the logo, and sample
    data for every mode, direction and content type its sections name."""
    from tests.listing_builder import SAMPLES

    notebook = "model_package_template.ipynb" if kind == "model_package" else "algorithm_template.ipynb"
    files = [
        {"kind": "notebook", "name": notebook, "content": (FIXTURES / "notebooks" / notebook).read_bytes()},
        {"kind": "logo", "name": "logo.png", "content": (FIXTURES / "logos" / "logo_transparent.png").read_bytes()},
    ]
    for source, name, mode, direction, content_type in SAMPLES[kind]:
        content = source if isinstance(source, bytes) else (FIXTURES / source).read_bytes()
        files.append({"kind": "sample_data", "name": name, "content": content,
                      "tags": {"mode": mode, "direction": direction, "content_type": content_type}})
    return files


def upload_artifacts(client, listing_id, kind: str) -> list[dict]:
    """Upload every artifact a complete listing needs, over HTTP only: the notebook as a resumable upload in
    chunks, the rest single-shot (sample tags alternately as JSON and as separate fields). Returns them."""
    uploaded = []
    for index, item in enumerate(required_artifacts(kind)):
        if item["kind"] == "notebook":
            size = len(item["content"])
            response = upload_chunked(client, listing_id, kind=item["kind"], name=item["name"],
                                      content=item["content"], chunk=max(size // 3 + 1, 1))
        else:
            response = upload_single(client, listing_id, kind=item["kind"], name=item["name"],
                                     content=item["content"], tags=item.get("tags"), as_fields=bool(index % 2))
        assert response.status_code == 201, (item["name"], response.json())
        uploaded.append(response.json()["artifact"])
    return uploaded


def validated_and_submitted(client, listing_id) -> dict:
    """Validate (the worker's part run in-process, as tests/helpers.py does) and submit; returns the version.
    A listing without artifacts gets the ones a complete listing needs first, uploaded through the API."""
    from tests.helpers import execute_run

    listing = client.get(f"/api/v1/listings/{listing_id}/").json()
    if not listing["snapshot"]["artifacts"]:
        upload_artifacts(client, listing_id, listing["kind"])
    run = client.post(f"/api/v1/listings/{listing_id}/validate/", format="json").json()
    execute_run(run["id"])
    response = client.post(f"/api/v1/listings/{listing_id}/submit/", format="json")
    assert response.status_code == 201, response.json()
    return {**response.json(), "run_id": run["id"]}


@pytest.fixture
def exported(api, alice, rita, team_a) -> dict:
    """Team A's complete model package taken all the way: a run, an approved version, a built bundle (ids)."""
    from listings.export.service import bundle_build

    client = api(alice)
    listing = fill_listing(client, team_a, complete_snapshot("model_package"))
    version = validated_and_submitted(client, listing["id"])
    assert api(rita).post(f"/api/v1/versions/{version['id']}/approve/", format="json").status_code == 200
    bundle = client.post(f"/api/v1/versions/{version['id']}/export/", format="json").json()
    bundle_build(bundle_id=bundle["id"])
    return {"listing": listing["id"], "run": version["run_id"], "version": version["id"], "bundle": bundle["id"]}
