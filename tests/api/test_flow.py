"""A seller's pipeline from empty to exported bundle through the API — sections, artifact uploads, validation,
submission, review, export and download, nothing but HTTP calls (the workers' parts run in-process) — and
listings that round-trip unchanged."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from listings.export.service import bundle_build
from tests.api.conftest import (
    KINDS,
    complete_snapshot,
    fill_listing,
    own_snapshot,
    required_artifacts,
    section_bodies,
    upload_artifacts,
    validated_and_submitted,
)
from tests.helpers import execute_run

pytestmark = pytest.mark.django_db


def _content(snapshot: dict) -> dict:
    """The parts a seller writes: every key but the listing's id and its artifacts (uploaded separately)."""
    return {k: v for k, v in snapshot.items() if k not in ("id", "artifacts")}


@pytest.mark.parametrize("kind", KINDS)
def test_a_complete_listing_round_trips_unchanged(api, alice, team_a, kind):
    sent = complete_snapshot(kind)
    client = api(alice)
    listing = fill_listing(client, team_a, sent)

    assert _content(listing["snapshot"]) == _content(sent)
    assert listing["snapshot"]["id"] == listing["id"] and listing["snapshot"]["artifacts"] == []
    for name, body in section_bodies(sent).items():
        got = client.get(f"/api/v1/listings/{listing['id']}/sections/{name}/").json()
        assert got == {**body, "lock_version": listing["sections"][name]["lock_version"]}, name
    # Reading a section and writing it back changes nothing but the lock version.
    for name in section_bodies(sent):
        got = client.get(f"/api/v1/listings/{listing['id']}/sections/{name}/").json()
        again = client.put(f"/api/v1/listings/{listing['id']}/sections/{name}/", got, format="json")
        assert again.status_code == 200
        assert again.json() == {**got, "lock_version": got["lock_version"] + 1}
    assert _content(client.get(f"/api/v1/listings/{listing['id']}/").json()["snapshot"]) == _content(sent)


@pytest.mark.parametrize("kind", KINDS)
def test_our_own_complete_listings_round_trip_too(api, alice, team_a, kind):
    """Besides the shared fixtures: ours use other corners (™ and accents, a custom EULA, a null free trial)."""
    sent = own_snapshot(kind)
    listing = fill_listing(api(alice), team_a, sent)
    assert _content(listing["snapshot"]) == _content(sent)


@pytest.mark.parametrize("kind", KINDS)
def test_from_empty_to_downloaded_bundle_with_http_calls_only(api, alice, rita, team_a, kind):
    seller, reviewer = api(alice), api(rita)
    sent = complete_snapshot(kind)
    listing = fill_listing(seller, team_a, sent)
    base = f"/api/v1/listings/{listing['id']}"

    # The files: the notebook as a resumable upload in three chunks, the logo and the samples single-shot.
    wanted = required_artifacts(kind)
    uploaded = upload_artifacts(seller, listing["id"], kind)
    assert [(a["kind"], a["name"]) for a in uploaded] == [(w["kind"], w["name"]) for w in wanted]
    listed = seller.get(f"{base}/artifacts/", {"limit": 100}).json()
    assert listed["count"] == len(wanted)
    assert sorted(a["id"] for a in listed["results"]) == sorted(a["id"] for a in uploaded)
    for artifact, item in zip(uploaded, wanted):
        assert artifact["sha256"] == hashlib.sha256(item["content"]).hexdigest()
        assert artifact["size"] == len(item["content"])
        assert artifact["tags"] == item.get("tags", {})
        download = seller.get(artifact["download_url"])
        assert download.status_code == 200, artifact["name"]
        assert b"".join(download.streaming_content) == item["content"], artifact["name"]
    snapshot_artifacts = seller.get(f"{base}/").json()["snapshot"]["artifacts"]
    assert sorted(a["sha256"] for a in snapshot_artifacts) == sorted(a["sha256"] for a in uploaded)

    started = seller.post(f"{base}/validate/", format="json")
    assert started.status_code == 202 and started["Location"] == started.json()["url"]
    run = started.json()
    assert run["status"] == "queued" and run["verdict"] == "" and run["is_current"] is True
    execute_run(run["id"])  # what the worker does with the queued task

    finished = seller.get(f"/api/v1/runs/{run['id']}/").json()
    assert finished["status"] == "succeeded" and finished["progress"] == 100
    assert finished["checks_done"] == finished["checks_total"] > 0
    failed = [f"{f['code']} ({f['severity']}) at {f['location']}: {f['message']}"
              for f in finished["findings"] if f["outcome"] == "failed"]
    assert finished["verdict"] == "passed", "\n".join(failed)
    assert {"code", "severity", "outcome", "message", "hint", "location", "source"} <= set(finished["findings"][0])
    failed_only = seller.get(f"/api/v1/runs/{run['id']}/", {"outcome": "failed"}).json()["findings"]
    assert all(f["outcome"] == "failed" for f in failed_only)
    assert seller.get(f"{base}/runs/").json()["results"][0]["id"] == run["id"]
    assert seller.get(f"{base}/").json()["latest_run"]["verdict"] == "passed"

    submitted = seller.post(f"{base}/submit/", format="json")
    assert submitted.status_code == 201, submitted.json()
    version = submitted.json()
    assert version["number"] == 1 and version["status"] == "submitted"
    assert _content(version["snapshot"]) == _content(sent)
    assert seller.get(f"{base}/").json()["status"] == "submitted"
    assert seller.get(f"{base}/versions/").json()["results"][0]["id"] == version["id"]

    queue = reviewer.get("/api/v1/review/queue/").json()
    assert [v["id"] for v in queue["results"]] == [version["id"]]
    approved = reviewer.post(f"/api/v1/versions/{version['id']}/approve/", format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == "rita"
    assert reviewer.get("/api/v1/review/queue/").json()["count"] == 0

    exported = seller.post(f"/api/v1/versions/{version['id']}/export/", format="json")
    assert exported.status_code == 202
    bundle = exported.json()
    assert bundle["status"] == "queued" and bundle["download_url"] is None
    early = seller.get(f"/api/v1/bundles/{bundle['id']}/download/")
    assert early.status_code == 409 and early.json()["error"]["current"]["status"] == "queued"
    bundle_build(bundle_id=bundle["id"])  # what the export worker does

    built = seller.get(f"/api/v1/bundles/{bundle['id']}/").json()
    assert built["status"] == "succeeded" and len(built["sha256"]) == 64 and built["size"] > 0
    assert built["download_url"].endswith(f"/api/v1/bundles/{bundle['id']}/download/")
    download = seller.get(built["download_url"], HTTP_ACCEPT="application/zip")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert "attachment" in download["Content-Disposition"]
    data = b"".join(download.streaming_content)
    assert len(data) == built["size"]
    with zipfile.ZipFile(io.BytesIO(data)) as bundle_zip:
        listing_json = json.loads(bundle_zip.read("listing/listing.json"))
    assert _content(listing_json) == _content(sent)
    assert sorted((a["kind"], a["name"], a["sha256"], a["size"]) for a in listing_json["artifacts"]) == sorted(
        (a["kind"], a["name"], a["sha256"], a["size"]) for a in uploaded)
    assert [b["id"] for b in seller.get(f"/api/v1/versions/{version['id']}/").json()["bundles"]] == [bundle["id"]]


def test_request_changes_needs_a_reason_and_reopens_the_listing(api, alice, rita, team_a):
    seller, reviewer = api(alice), api(rita)
    listing = fill_listing(seller, team_a, complete_snapshot("model_package"))
    version = validated_and_submitted(seller, listing["id"])

    url = f"/api/v1/versions/{version['id']}/request-changes/"
    missing = reviewer.post(url, {}, format="json")
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "invalid" and missing.json()["error"]["fields"]["reason"][0]["code"] == "required"
    blank = reviewer.post(url, {"reason": "   "}, format="json")
    assert blank.status_code == 400

    done = reviewer.post(url, {"reason": "Add a GPU instance type."}, format="json")
    assert done.status_code == 200
    assert done.json()["status"] == "changes_requested" and done.json()["decision_reason"] == "Add a GPU instance type."
    assert seller.get(f"/api/v1/listings/{listing['id']}/").json()["status"] == "changes_requested"
    again = reviewer.post(f"/api/v1/versions/{version['id']}/approve/", format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def test_submit_without_a_current_passing_run_is_refused(api, alice, team_a):
    seller = api(alice)
    listing = fill_listing(seller, team_a, complete_snapshot("model_package"))
    response = seller.post(f"/api/v1/listings/{listing['id']}/submit/", format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert "Validate this exact content first" in response.json()["error"]["message"]
