"""API test helpers: token-authenticated clients, isolated rate limits, complete listings to send."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

import pytest
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from listings.api import throttling
from listings.sections import sections_for

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).parents[1] / "fixtures" / "listings"
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


def validated_and_submitted(client, listing_id) -> dict:
    """Validate (the worker's part run in-process, as tests/helpers.py does) and submit; returns the version."""
    from tests.helpers import execute_run

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
