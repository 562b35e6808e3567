"""Artifacts through the REST API: single-shot and resumable uploads (interrupted, resumed from the server's
offset), refusals that leave nothing behind, downloads that give back the same bytes, tenancy and roles with
the API's one error body — and, against a moto S3 server on loopback, the presigned direct upload."""

from __future__ import annotations

import hashlib
import io
import json
import urllib.error
import urllib.request
import uuid

import pytest

from listings.artifacts.receiving import scratch_dir, scratch_path
from listings.models import Artifact, ListingEvent, UploadSession
from listings.storage import artifact_storage, key_for_digest
from tests.api.conftest import put_chunk, start_upload, upload_chunked, upload_single

pytestmark = pytest.mark.django_db

def csv(rows: int = 1500) -> bytes:
    """About 24 bytes a row of text/csv, different on every call (stored bytes outlive a test's database)."""
    salt = uuid.uuid4().hex.encode()
    return b"id,review,stars\n" + b"".join(b"%d,review %s,%d\n" % (i, salt[:8], i % 5 + 1) for i in range(rows))


SAMPLE_TAGS = {"mode": "realtime", "direction": "input", "content_type": "text/csv"}


def notebook(cells: int = 1, *, salt: str = "") -> bytes:
    return json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": [f"# Step {i} {salt}"]}
                                 for i in range(cells)],
                       "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                   "language": "python"}},
                       "nbformat": 4, "nbformat_minor": 5}).encode()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored(data: bytes) -> bool:
    return artifact_storage().exists(key_for_digest(sha(data)))


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    return body["error"]


def assert_nothing_left(listing, data: bytes, scratch_before: set) -> None:
    assert not Artifact.objects.filter(listing=listing).exists()
    assert not stored(data), "a refused upload left its bytes in storage"
    assert set(scratch_dir().iterdir()) - scratch_before == set(), "a refused upload left a scratch file"
    assert not UploadSession.objects.filter(listing=listing).exists()
    assert not ListingEvent.objects.filter(listing=listing, type="artifact.added").exists()


class DroppingBody:
    """A request body whose connection drops after ``keep`` bytes: reading past them fails as a dead socket
    does under a real server (the WSGI input raises an OSError)."""

    def __init__(self, data: bytes, keep: int):
        self._data = io.BytesIO(data[:keep])

    def read(self, size: int = -1) -> bytes:
        chunk = self._data.read(size if size and size > 0 else -1)
        if not chunk:
            raise OSError("connection reset by peer")
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self._data.readline(size)


def _download(client, artifact: dict) -> bytes:
    response = client.get(artifact["download_url"])
    assert response.status_code == 200, response.content[:300]
    assert response["X-Content-SHA256"] == artifact["sha256"]
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


# -- single-shot -----------------------------------------------------------------------------------------------

def test_single_shot_upload_lists_downloads_and_removes(api, alice, listing):
    client = api(alice)
    data = notebook(3)
    response = upload_single(client, listing.id, kind="notebook", name="demo.ipynb", content=data,
                             sha256=f"sha256:{sha(data)}")
    assert response.status_code == 201, response.json()
    artifact = response.json()["artifact"]
    assert response["Location"] == artifact["url"]
    assert {k: artifact[k] for k in ("kind", "name", "size", "sha256", "content_type", "tags", "uploaded_by")} == {
        "kind": "notebook", "name": "demo.ipynb", "size": len(data), "sha256": sha(data),
        "content_type": "application/x-ipynb+json", "tags": {}, "uploaded_by": "alice"}
    assert artifact["listing"] == str(listing.id) and artifact["created_at"]
    assert "validation_run" in response.json()
    assert stored(data)

    listed = client.get(f"/api/v1/listings/{listing.id}/artifacts/").json()
    assert listed["count"] == 1 and listed["results"][0] == artifact
    assert client.get(f"/api/v1/listings/{listing.id}/artifacts/", {"kind": "logo"}).json()["count"] == 0
    error_of(client.get(f"/api/v1/listings/{listing.id}/artifacts/", {"kind": "photo"}), 400, "invalid")
    assert client.get(artifact["url"]).json() == artifact
    assert _download(client, artifact) == data

    removed = client.delete(artifact["url"])
    assert removed.status_code == 204
    assert client.get(f"/api/v1/listings/{listing.id}/artifacts/").json()["count"] == 0
    error_of(client.get(artifact["download_url"]), 404, "not_found")
    error_of(client.delete(artifact["url"]), 404, "not_found")


def test_sample_tags_go_as_json_or_as_fields_and_are_required(api, alice, listing):
    client = api(alice)
    as_json = upload_single(client, listing.id, kind="sample_data", name="input.csv", content=csv(), tags=SAMPLE_TAGS)
    assert as_json.status_code == 201, as_json.json()
    assert as_json.json()["artifact"]["tags"] == SAMPLE_TAGS
    as_fields = upload_single(client, listing.id, kind="sample_data", name="batch.csv", content=csv(),
                              tags={**SAMPLE_TAGS, "mode": "batch"}, as_fields=True)
    assert as_fields.status_code == 201, as_fields.json()
    assert as_fields.json()["artifact"]["tags"] == {**SAMPLE_TAGS, "mode": "batch"}

    untagged = upload_single(client, listing.id, kind="sample_data", name="x.csv", content=b"a,b\n1,2\n")
    assert "real-time inference or batch" in error_of(untagged, 400, "bad_request")["message"]
    bad_json = client.post(f"/api/v1/listings/{listing.id}/artifacts/",
                           {"kind": "sample_data", "tags": "{not json", "file": io.BytesIO(b"a\n")},
                           format="multipart")
    assert "tags" in error_of(bad_json, 400, "invalid")["fields"]
    no_file = client.post(f"/api/v1/listings/{listing.id}/artifacts/", {"kind": "notebook"}, format="multipart")
    assert "file" in error_of(no_file, 400, "invalid")["fields"]
    as_json_body = client.post(f"/api/v1/listings/{listing.id}/artifacts/", {"kind": "notebook"}, format="json")
    error_of(as_json_body, 415, "unsupported_media_type")
    assert Artifact.objects.filter(listing=listing).count() == 2


def test_a_multipart_body_django_will_not_parse_is_a_400(api, alice, listing, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    before = set(scratch_dir().iterdir())
    fields = {f"field{i}": "x" for i in range(20)}
    response = api(alice).post(f"/api/v1/listings/{listing.id}/artifacts/",
                               {"kind": "notebook", "file": io.BytesIO(notebook()), **fields}, format="multipart")
    assert "could not be read" in error_of(response, 400, "bad_request")["message"]
    assert set(scratch_dir().iterdir()) - before == set()


@pytest.mark.parametrize("case", ["wrong_kind", "wrong_sha256", "too_large_by_length", "too_large_by_limit"])
def test_a_refused_single_shot_upload_leaves_nothing(api, alice, listing, settings, case):
    settings.ARTIFACT_MAX_BYTES = {"logo": 2000}
    before = set(scratch_dir().iterdir())
    client = api(alice)
    if case == "wrong_kind":
        data = csv(10)
        response = upload_single(client, listing.id, kind="logo", name="logo.png", content=data)
        assert "looks like" in error_of(response, 400, "bad_request")["message"]
    elif case == "wrong_sha256":
        data = notebook(salt=uuid.uuid4().hex)
        response = upload_single(client, listing.id, kind="notebook", name="nb.ipynb", content=data,
                                 sha256="0" * 64)
        assert "changed on its way here" in error_of(response, 400, "bad_request")["message"]
    elif case == "too_large_by_length":  # refused by Content-Length, before the body is read
        data = b"\x89PNG\r\n\x1a\n" + b"\0" * 100_000
        response = client.post(f"/api/v1/listings/{listing.id}/artifacts/?kind=logo",
                               {"kind": "logo", "file": io.BytesIO(data)}, format="multipart")
        assert "upload limit" in error_of(response, 413, "bad_request")["message"]
    else:  # no hint: the body is read, and the kind's limit refuses it
        data = b"\x89PNG\r\n\x1a\n" + b"\0" * 3000
        response = upload_single(client, listing.id, kind="logo", name="logo.png", content=data)
        assert "over the 2.0 KB limit" in error_of(response, 400, "bad_request")["message"]
    assert_nothing_left(listing, data, before)


# -- resumable ---------------------------------------------------------------------------------------------

def test_a_chunked_upload_survives_an_interruption_and_resumes_from_the_servers_offset(api, alice, listing):
    client = api(alice)
    data, chunk = csv(), 10_000
    assert len(data) > 3 * chunk
    started = start_upload(client, listing.id, kind="sample_data", name="reviews.csv", size=len(data),
                           tags=SAMPLE_TAGS, sha256=sha(data))
    assert started.status_code == 201, started.json()
    session = started.json()
    assert started["Location"] == session["url"] == session["upload_url"]
    assert session["received"] == 0 and session["complete"] is False and session["size"] == len(data)
    assert session["direct_upload"] is None and session["expires_at"]
    listed = client.get(f"/api/v1/listings/{listing.id}/uploads/").json()
    assert [s["id"] for s in listed["results"]] == [session["id"]]

    first = put_chunk(client, session["upload_url"], data[:chunk], 0, len(data))
    assert first.status_code == 200 and first.json()["received"] == chunk

    # Completing early is a 409 that says how far the upload got.
    early = client.post(session["complete_url"], format="json")
    assert error_of(early, 409, "conflict")["current"]["received"] == chunk

    # The second chunk's connection drops after 4,321 bytes: the server keeps what arrived.
    second = data[chunk:2 * chunk]
    client.generic("PUT", session["upload_url"], b"", content_type="application/octet-stream",
                   HTTP_CONTENT_RANGE=f"bytes {chunk}-{2 * chunk - 1}/{len(data)}", CONTENT_LENGTH=str(len(second)),
                   **{"wsgi.input": DroppingBody(second, keep=4321)})
    offset = client.get(session["url"]).json()["received"]
    assert offset == chunk + 4321

    # Sending the whole second chunk again overlaps what arrived; skipping ahead leaves a gap: both 409,
    # with the session as it stands so the client resumes from there.
    for start_at in (chunk, offset + 1):
        conflict = put_chunk(client, session["upload_url"], data[start_at:start_at + chunk], start_at, len(data))
        current = error_of(conflict, 409, "conflict")["current"]
        assert current["received"] == offset and current["id"] == session["id"]

    # Resume from the server's offset, in chunks, to the end.
    while offset < len(data):
        sent = put_chunk(client, session["upload_url"], data[offset:offset + chunk], offset, len(data))
        assert sent.status_code == 200, sent.json()
        offset = sent.json()["received"]
    assert client.get(session["url"]).json()["complete"] is True

    done = client.post(session["complete_url"], format="json")
    assert done.status_code == 201, done.json()
    artifact = done.json()["artifact"]
    assert done["Location"] == artifact["url"]
    assert artifact["sha256"] == sha(data) and artifact["size"] == len(data) and artifact["tags"] == SAMPLE_TAGS
    assert _download(client, artifact) == data
    error_of(client.get(session["url"]), 404, "not_found")  # finished: the session is gone
    assert not scratch_path(session["id"]).exists()
    assert client.get(f"/api/v1/listings/{listing.id}/uploads/").json()["count"] == 0


def test_chunk_headers_are_checked(api, alice, listing):
    client = api(alice)
    data = notebook(40)
    session = start_upload(client, listing.id, kind="notebook", name="nb.ipynb", size=len(data)).json()
    url = session["upload_url"]
    missing = client.generic("PUT", url, data[:100], content_type="application/octet-stream")
    assert "Content-Range" in error_of(missing, 400, "invalid")["fields"]
    mismatched = client.generic("PUT", url, data[:100], content_type="application/octet-stream",
                                HTTP_CONTENT_RANGE=f"bytes 0-199/{len(data)}")
    assert "does not match" in error_of(mismatched, 400, "invalid")["fields"]["Content-Range"][0]["message"]
    wrong_total = put_chunk(client, url, data[:100], 0, len(data) + 1)
    assert "the chunk says the file has" in error_of(wrong_total, 400, "bad_request")["message"]
    past_end = put_chunk(client, url, data[:100], len(data) - 50, len(data))
    assert "does not fit" in error_of(past_end, 400, "bad_request")["message"]
    assert client.get(session["url"]).json()["received"] == 0

    cancelled = client.delete(session["url"])
    assert cancelled.status_code == 204
    error_of(client.get(session["url"]), 404, "not_found")
    assert not scratch_path(session["id"]).exists()


def test_a_resumable_upload_of_the_wrong_kind_is_refused_and_leaves_nothing(api, alice, listing):
    client = api(alice)
    before = set(scratch_dir().iterdir())
    # Refused on its first chunk: a CSV is not a PNG.
    data = csv()
    session = start_upload(client, listing.id, kind="logo", name="logo.png", size=len(data)).json()
    refused = put_chunk(client, session["upload_url"], data[:10_000], 0, len(data))
    assert "looks like" in error_of(refused, 400, "bad_request")["message"]
    error_of(client.get(session["url"]), 404, "not_found")
    assert_nothing_left(listing, data, before)

    # Refused when complete: JSON all along, but not a notebook.
    fake = json.dumps({"cells": "none", "padding": uuid.uuid4().hex * 1000}).encode()
    response = upload_chunked(client, listing.id, kind="notebook", name="nb.ipynb", content=fake, chunk=10_000)
    assert "not a Jupyter notebook" in error_of(response, 400, "bad_request")["message"]
    assert_nothing_left(listing, fake, before)

    # Refused before the first byte: over the kind's limit, or a sample without its tags.
    huge = start_upload(client, listing.id, kind="logo", name="logo.png", size=10**9)
    assert "limit for logo" in error_of(huge, 400, "bad_request")["message"]
    untagged = start_upload(client, listing.id, kind="sample_data", name="x.csv", size=10)
    assert "real-time inference or batch" in error_of(untagged, 400, "bad_request")["message"]
    assert not UploadSession.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_finishing_an_upload_reports_the_validation_run_it_started(api, alice, listing, monkeypatch):
    """With real commits, as in production: the run starts when the artifact's transaction commits."""
    from validation import tasks

    monkeypatch.setattr(tasks.run_validation, "delay", lambda *args, **kwargs: None)
    client = api(alice)
    data = notebook(200, salt=uuid.uuid4().hex)
    done = upload_chunked(client, listing.id, kind="notebook", name="nb.ipynb", content=data,
                          chunk=len(data) // 3 + 1)
    assert done.status_code == 201, done.json()
    run = done.json()["validation_run"]
    assert run is not None and run["status"] == "queued" and run["is_current"] is True
    assert client.get(run["url"]).json()["id"] == run["id"]


def test_direct_uploads_need_s3(api, alice, listing):
    response = start_upload(api(alice), listing.id, kind="notebook", name="nb.ipynb", size=100, direct=True)
    assert "S3" in error_of(response, 400, "invalid")["fields"]["direct"][0]["message"]
    assert not UploadSession.objects.exists()


# -- who reaches what --------------------------------------------------------------------------------------

@pytest.fixture
def objects(api, alice, listing) -> dict:
    """Team A's listing with one artifact and one unfinished upload of alice's."""
    client = api(alice)
    artifact = upload_single(client, listing.id, kind="notebook", name="nb.ipynb", content=notebook()).json()
    session = start_upload(client, listing.id, kind="notebook", name="nb2.ipynb", size=len(notebook(2))).json()
    return {"listing": str(listing.id), "artifact": artifact["artifact"]["id"], "upload": session["id"],
            "upload_size": session["size"]}


def _routes(ids: dict) -> list[tuple[str, str, str]]:
    listing, artifact, upload = (f"/api/v1/listings/{ids['listing']}", f"/api/v1/artifacts/{ids['artifact']}",
                                 f"/api/v1/uploads/{ids['upload']}")
    return [
        ("get", f"{listing}/artifacts/", ""), ("post", f"{listing}/artifacts/", "multipart"),
        ("get", f"{listing}/uploads/", ""), ("post", f"{listing}/uploads/", "json"),
        ("get", f"{artifact}/", ""), ("delete", f"{artifact}/", ""), ("get", f"{artifact}/download/", ""),
        ("get", f"{upload}/", ""), ("put", f"{upload}/", "chunk"), ("delete", f"{upload}/", ""),
        ("post", f"{upload}/complete/", "json"),
    ]


def _call(client, method: str, url: str, body: str, ids: dict):
    if body == "multipart":
        return client.post(url, {"kind": "notebook", "file": io.BytesIO(notebook())}, format="multipart")
    if body == "json":
        return client.post(url, {"kind": "notebook", "name": "x.ipynb", "size": 10}, format="json")
    if body == "chunk":
        return put_chunk(client, url, notebook(2)[:10], 0, ids["upload_size"])
    return getattr(client, method)(url)


def test_another_teams_artifacts_and_uploads_are_404_everywhere(api, objects, charlie, bob):
    for method, url, body in _routes(objects):
        response = _call(api(charlie), method, url, body, objects)
        error_of(response, 404, "not_found")
    # An upload belongs to whoever started it, even within the team.
    for method, url, body in _routes(objects):
        if "/uploads/" in url and not url.endswith("/uploads/"):
            error_of(_call(api(bob), method, url, body, objects), 404, "not_found")
    assert Artifact.objects.count() == 1 and UploadSession.objects.get().received == 0


def test_a_viewer_reads_and_downloads_but_every_write_is_403(api, objects, vera):
    client = api(vera)
    listing = f"/api/v1/listings/{objects['listing']}"
    assert client.get(f"{listing}/artifacts/").json()["count"] == 1
    artifact = client.get(f"/api/v1/artifacts/{objects['artifact']}/").json()
    assert _download(client, artifact) == notebook()
    before = set(scratch_dir().iterdir())
    for response in (
        client.post(f"{listing}/artifacts/", {"kind": "notebook", "file": io.BytesIO(notebook())},
                    format="multipart"),
        client.post(f"{listing}/uploads/", {"kind": "notebook", "name": "x.ipynb", "size": 10}, format="json"),
        client.post(f"{listing}/uploads/", {}, format="json"),  # refused for the role before the body's checks
        client.delete(f"/api/v1/artifacts/{objects['artifact']}/"),
    ):
        assert "Viewers" in error_of(response, 403, "forbidden")["message"]
    assert set(scratch_dir().iterdir()) - before == set()
    assert Artifact.objects.count() == 1 and UploadSession.objects.count() == 1


def test_anonymous_callers_get_401_on_every_artifact_route(api, objects):
    for method, url, body in _routes(objects):
        response = _call(api(), method, url, body, objects)
        error_of(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"] == "Token"


def test_the_artifact_routes_render_in_the_browsable_api(client, alice, objects):
    client.force_login(alice)
    for method, url, _ in _routes(objects):
        if method == "get" and not url.endswith("/download/"):
            response = client.get(url, HTTP_ACCEPT="text/html")
            assert response.status_code == 200, (url, response.status_code)
            assert response["Content-Type"].startswith("text/html"), url


def test_the_artifact_routes_are_in_the_schema():
    from django.core.management import call_command

    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    for path in ("/api/v1/listings/{listing_id}/artifacts/", "/api/v1/listings/{listing_id}/uploads/",
                 "/api/v1/artifacts/{artifact_id}/download/", "/api/v1/uploads/{upload_id}/complete/"):
        assert path in schema, path
    assert "application/octet-stream" in schema and "multipart/form-data" in schema


# -- direct to S3 (moto on loopback) -----------------------------------------------------------------------

from tests.integration.test_s3_storage import BUCKET, moto_endpoint, s3  # noqa: E402,F401  (fixtures)


def _put(url: str, data: bytes) -> int:
    request = urllib.request.Request(url, data=data, method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def _keys(s3) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_a_direct_upload_to_s3_is_verified_inspected_and_moved_to_its_digest_key(api, alice, listing, s3):
    client = api(alice)
    data = notebook(50)
    started = start_upload(client, listing.id, kind="notebook", name="direct.ipynb", size=len(data),
                           sha256=sha(data), direct=True)
    assert started.status_code == 201, started.json()
    session = started.json()
    direct = session["direct_upload"]
    assert direct["method"] == "PUT" and direct["url"].startswith(s3.meta.endpoint_url)
    assert session["received"] == 0

    early = client.post(session["complete_url"], format="json")
    assert error_of(early, 409, "conflict")["current"]["received"] == 0

    assert _put(direct["url"], data) == 200
    assert _keys(s3) == [f"artifacts/incoming/{session['id'].replace('-', '')}"]
    done = client.post(session["complete_url"], format="json")
    assert done.status_code == 201, done.json()
    artifact = done.json()["artifact"]
    assert artifact["sha256"] == sha(data) and artifact["size"] == len(data)
    assert _keys(s3) == ["artifacts/" + key_for_digest(sha(data))]  # moved: the scratch object is gone
    error_of(client.get(session["url"]), 404, "not_found")

    download = client.get(artifact["download_url"])
    assert download.status_code == 302
    with urllib.request.urlopen(download["Location"], timeout=10) as fetched:
        assert fetched.read() == data


@pytest.mark.parametrize("case", ["wrong_kind", "wrong_size", "wrong_sha256"])
def test_a_refused_direct_upload_deletes_the_scratch_object(api, alice, listing, s3, case):
    client = api(alice)
    data = notebook(20)
    declared = {"size": len(data)}
    sent = data
    if case == "wrong_kind":
        sent = csv()[:len(data)]
    elif case == "wrong_size":
        sent = data + b"\n\n"
    else:
        declared["sha256"] = "f" * 64
    session = start_upload(client, listing.id, kind="notebook", name="nb.ipynb", direct=True, **declared).json()
    assert _put(session["direct_upload"]["url"], sent) == 200
    refused = client.post(session["complete_url"], format="json")
    message = error_of(refused, 400, "bad_request")["message"]
    assert {"wrong_kind": "looks like", "wrong_size": "arrived with", "wrong_sha256": "changed on its way"}[case] \
        in message
    assert _keys(s3) == []
    assert not Artifact.objects.exists() and not UploadSession.objects.exists()
    assert not scratch_path(session["id"]).exists()


def test_cancelling_a_direct_upload_deletes_its_object(api, alice, listing, s3):
    client = api(alice)
    data = notebook()
    session = start_upload(client, listing.id, kind="notebook", name="nb.ipynb", size=len(data), direct=True).json()
    assert _put(session["direct_upload"]["url"], data) == 200
    assert client.delete(session["url"]).status_code == 204
    assert _keys(s3) == [] and not UploadSession.objects.exists()
