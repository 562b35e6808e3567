"""Artifacts: uploads that stream, bytes stored once under their sha256, hostile files refused with nothing
left behind, resumable uploads, tenancy and roles, and a validation run after every change."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import tarfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from listings.artifacts import limits, services as artifact_services, sniff
from listings.artifacts.receiving import scratch_dir
from listings.models import Artifact, ListingEvent, ListingVersion, UploadSession
from listings.storage import artifact_storage, key_for_digest

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024


# -- small files of every kind, made here --------------------------------------------------------------------

def _tar(members: dict[str, bytes], *, fmt=tarfile.PAX_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def image_tar(tag: bytes = b"") -> bytes:
    layer = _tar({"app/serve": b"#!/bin/sh\necho serving " + tag + b"\n"})
    layer_digest = hashlib.sha256(layer).hexdigest()
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_digest}"]}}).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps([{"Config": config_name, "RepoTags": ["demo:1"], "Layers": [f"{layer_digest}/layer.tar"]}])
    return _tar({config_name: config, f"{layer_digest}/layer.tar": layer, "manifest.json": manifest.encode()})


def model_tar_gz(payload: bytes = b"weights" * 100) -> bytes:
    return gzip.compress(_tar({"model.pt": payload, "config.json": b'{"labels": 3}'}), mtime=0)


def notebook() -> bytes:
    return json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# Demo"]}],
                       "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                       "nbformat": 4, "nbformat_minor": 5}).encode()


def png(width: int = 200, height: int = 200, *, noisy: bool = False) -> bytes:
    from PIL import Image

    img = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    if noisy:
        img = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge canvas: a decompression bomb if anything decoded it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    rows = zlib.compress(b"\x00" * (1 + (width + 7) // 8) * 64, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def pdf(*, complete: bool = True) -> bytes:
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n"
    return body + (b"%%EOF\n" if complete else b"")


CSV = b"review,stars\nGreat product,5\nBroke after a week,1\n"

KINDS = {
    "image": ("image.tar", image_tar(), {}),
    "model_data": ("model.tar.gz", model_tar_gz(), {}),
    "notebook": ("demo.ipynb", notebook(), {}),
    "sample_data": ("input.csv", CSV, {"mode": "realtime", "direction": "input", "content_type": "text/csv"}),
    "logo": ("logo.png", png(), {}),
    "documentation": ("README.md", b"# Sentiment classifier\n\nSend CSV, get labels.\n", {}),
}
EXPECTED_TYPES = {"image": "application/x-tar", "model_data": "application/gzip",
                  "notebook": "application/x-ipynb+json", "sample_data": "text/csv", "logo": "image/png",
                  "documentation": "text/markdown"}


# -- helpers -------------------------------------------------------------------------------------------------

def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored(data: bytes) -> bool:
    return artifact_storage().exists(key_for_digest(sha(data)))


def scratch_files() -> list[Path]:
    return sorted(scratch_dir().iterdir())


def assert_nothing_left(listing, data: bytes) -> None:
    assert not Artifact.objects.filter(listing=listing).exists()
    assert not stored(data), "a refused upload left its bytes in storage"
    assert scratch_files() == [], "a refused upload left a scratch file"
    assert not UploadSession.objects.exists()
    assert not ListingEvent.objects.filter(listing=listing, type="artifact.added").exists()


def form_upload(client, listing, kind, name, data, *, query="", **fields):
    body = {"kind": kind, "file": SimpleUploadedFile(name, data), **fields}
    return client.post(reverse("artifact-upload", args=[listing.id]) + query, body, HTTP_ACCEPT="application/json")


def start(client, listing, kind, name, size, **fields):
    return client.post(reverse("artifact-upload-start", args=[listing.id]),
                       {"kind": kind, "name": name, "size": size, **fields}, HTTP_ACCEPT="application/json")


def put_chunk(client, url, data: bytes, start_at: int, total: int, **extra):
    return client.generic("PUT", url, data=data, content_type="application/octet-stream",
                          HTTP_CONTENT_RANGE=f"bytes {start_at}-{start_at + len(data) - 1}/{total}", **extra)


def chunked_upload(client, listing, kind, name, data, *, chunk=64 * 1024, **fields):
    """The browser's protocol: start, PUT every chunk, complete. Returns the last response."""
    response = start(client, listing, kind, name, len(data), **fields)
    if response.status_code != 201:
        return response
    session = response.json()
    for offset in range(0, len(data), chunk):
        response = put_chunk(client, session["url"], data[offset:offset + chunk], offset, len(data))
        if response.status_code != 200:
            return response
    return client.post(session["complete_url"], HTTP_ACCEPT="application/json")


def upload(path, client, listing, kind, name, data, **fields):
    if path == "form":
        return form_upload(client, listing, kind, name, data, **fields)
    return chunked_upload(client, listing, kind, name, data, **fields)


@pytest.fixture(autouse=True)
def _own_storage(request, settings, tmp_path):
    """Each test stores into empty folders of its own, so "nothing left behind" means exactly that."""
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):  # the subprocess test uses the configured folders
        return
    settings.SCRATCH_ROOT = tmp_path / "scratch"
    settings.STORAGES = {**settings.STORAGES, "artifacts": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "artifacts")},
    }}


@pytest.fixture
def no_broker(monkeypatch):
    """Runs queued after commit stay rows: nothing is sent to Redis from these tests."""
    from validation import tasks

    sent = []
    monkeypatch.setattr(tasks.run_validation, "delay", lambda *args, **kwargs: sent.append(args))
    return sent


# -- uploads that work ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["form", "chunked"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_uploads_and_is_stored_under_its_sha256(client, listing, alice, kind, path):
    name, data, fields = KINDS[kind]
    client.force_login(alice)
    response = upload(path, client, listing, kind, name, data, **fields)
    assert response.status_code == 201, response.content
    body = response.json()["artifact"]
    artifact = Artifact.objects.get(listing=listing)
    assert (artifact.kind, artifact.sha256, artifact.size, artifact.original_name) == (kind, sha(data), len(data), name)
    assert artifact.content_type == EXPECTED_TYPES[kind]
    assert body["sha256"] == sha(data)
    with artifact_storage().open(key_for_digest(sha(data)), "rb") as f:
        assert f.read() == data
    if kind == "sample_data":
        assert artifact.tags == {"mode": "realtime", "direction": "input", "content_type": "text/csv"}
    event = listing.events.get(type="artifact.added")
    assert event.data["sha256"] == sha(data) and event.actor == alice
    assert scratch_files() == [] and not UploadSession.objects.exists()


def test_the_same_bytes_uploaded_twice_are_stored_once(client, listing, alice, bob, team_a):
    from tests.factories import ListingFactory

    data = model_tar_gz(b"dedupe me" * 1000)
    client.force_login(alice)
    assert form_upload(client, listing, "model_data", "model.tar.gz", data).status_code == 201
    other = ListingFactory(team=team_a)
    client.force_login(bob)
    assert chunked_upload(client, other, "model_data", "copy.tar.gz", data, chunk=1024).status_code == 201
    rows = Artifact.objects.filter(sha256=sha(data))
    assert rows.count() == 2
    folder = Path(artifact_storage().path(key_for_digest(sha(data)))).parent
    assert [p.name for p in folder.iterdir()] == [sha(data)]
    stored_flags = sorted(e.data["stored"] for e in ListingEvent.objects.filter(type="artifact.added"))
    assert stored_flags == [False, True]  # the second upload wrote nothing


def test_a_chunked_upload_resumes_after_an_interruption(client, listing, alice):
    data = image_tar(os.urandom(300 * 1024))  # several chunks, incompressible
    chunk = 128 * 1024
    client.force_login(alice)
    session = start(client, listing, "image", "big-image.tar", len(data), sha256=sha(data)).json()
    assert session["received"] == 0
    assert put_chunk(client, session["url"], data[:chunk], 0, len(data)).json()["received"] == chunk

    class DroppedConnection(io.RawIOBase):
        """The browser goes away half-way through the second chunk."""

        def __init__(self, payload: bytes):
            self._left = payload

        def read(self, n=-1):
            if not self._left:
                raise OSError("connection reset by peer")
            piece, self._left = self._left[:n], self._left[n:]
            return piece

    half = chunk // 2
    put_chunk(client, session["url"], data[chunk:2 * chunk], chunk, len(data),
              **{"wsgi.input": DroppedConnection(data[chunk:chunk + half])})
    # The page reloads; the browser asks where the upload stands and resumes from the last byte received.
    status = client.get(session["url"]).json()
    assert status["received"] == chunk + half and not status["complete"]
    stale = put_chunk(client, session["url"], data[:chunk], 0, len(data))  # a retried old chunk
    assert stale.status_code == 409 and stale.json()["received"] == chunk + half
    early = client.post(session["complete_url"], HTTP_ACCEPT="application/json")
    assert early.status_code == 409  # not all bytes yet
    offset = status["received"]
    while offset < len(data):
        response = put_chunk(client, session["url"], data[offset:offset + chunk], offset, len(data))
        assert response.status_code == 200, response.content
        offset = response.json()["received"]
    done = client.post(session["complete_url"], HTTP_ACCEPT="application/json")
    assert done.status_code == 201, done.content
    assert done.json()["artifact"]["sha256"] == sha(data)
    with artifact_storage().open(key_for_digest(sha(data)), "rb") as f:
        assert f.read() == data
    assert scratch_files() == [] and not UploadSession.objects.exists()


def test_an_upload_can_be_cancelled(client, listing, alice):
    data = image_tar()
    client.force_login(alice)
    session = start(client, listing, "image", "image.tar", len(data)).json()
    put_chunk(client, session["url"], data[:1024], 0, len(data))
    assert client.delete(session["url"]).status_code == 204
    assert_nothing_left(listing, data)


# -- hostile and broken files --------------------------------------------------------------------------------

def _truncated_png() -> bytes:
    whole = png(300, 300, noisy=True)
    return whole[: len(whole) * 2 // 3]


def _gzip_bomb() -> bytes:
    # 64 MB of zeros in a tar, gzip-compressed to ~64 KB: a ratio of ~1000.
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
        info = tarfile.TarInfo("zeros.bin")
        info.size = 64 * MiB
        gz.write(info.tobuf(format=tarfile.USTAR_FORMAT))
        zeros = bytes(MiB)
        for _ in range(64):
            gz.write(zeros)
        gz.write(bytes(1024))
    return buf.getvalue()


HOSTILE = [
    # (id, kind, name, bytes, fields, what the message must say)
    ("png-renamed-csv", "sample_data", "reviews.csv", png(), {"mode": "batch", "direction": "input"},
     "looks like a PNG image"),
    ("html-posing-as-notebook", "notebook", "demo.ipynb",
     b"<!DOCTYPE html><html><head><title>demo.ipynb - Jupyter</title></head><body></body></html>", {},
     "looks like an HTML page"),
    ("json-that-is-no-notebook", "notebook", "demo.ipynb", b'{"hello": "world"}', {}, "not a Jupyter notebook"),
    ("tar-posing-as-tar-gz", "model_data", "model.tar.gz", _tar({"model.pt": b"w" * 1000}), {},
     "looks like a tar archive"),
    ("gzip-without-tar", "model_data", "model.tar.gz", gzip.compress(b"just some text\n" * 100), {},
     "rather than a tar archive"),
    ("truncated-tar-gz", "model_data", "model.tar.gz", model_tar_gz(os.urandom(50_000))[:30_000], {},
     "cut short"),
    ("gzip-bomb", "model_data", "model.tar.gz", _gzip_bomb(), {}, "decompression bomb"),
    ("png-posing-as-image", "image", "image.tar", png(), {}, "looks like a PNG image"),
    ("gzipped-image", "image", "image.tar.gz", gzip.compress(image_tar()), {}, "gzip-compressed"),
    ("tar-that-is-no-image", "image", "image.tar", _tar({"hello.txt": b"hi"}), {}, "not of a container image"),
    ("truncated-image", "image", "image.tar", image_tar(os.urandom(20_000))[:15_000], {}, "cut short"),
    ("decompression-bomb-png", "logo", "logo.png", png_claiming(5000, 5000), {}, "decode safely"),
    ("giant-decompression-bomb-png", "logo", "logo.png", png_claiming(60000, 60000), {}, "decode safely"),
    ("truncated-png", "logo", "logo.png", _truncated_png(), {}, "truncated"),
    ("svg-logo", "logo", "logo.png", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', {},
     "looks like an SVG image"),
    ("zip-as-documentation", "documentation", "guide.docx", b"PK\x03\x04" + os.urandom(200), {},
     "looks like a ZIP archive"),
    ("truncated-pdf", "documentation", "guide.pdf", pdf(complete=False), {}, "cut short"),
    ("binary-as-csv", "sample_data", "data.csv", b"\x00\x01\x02\x03" * 100,
     {"mode": "realtime", "direction": "input", "content_type": "text/csv"}, "looks like binary data"),
]


@pytest.mark.parametrize("path", ["form", "chunked"])
@pytest.mark.parametrize("case", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_files_are_refused_and_leave_nothing_behind(client, listing, alice, settings, case, path):
    _id, kind, name, data, fields, says = case
    settings.ARTIFACT_UPLOAD_GUARDS = {"gzip_ratio_floor": 1 * MiB}
    client.force_login(alice)
    response = upload(path, client, listing, kind, name, data, **fields)
    assert response.status_code == 400, response.content
    message = response.json()["error"]
    assert says in message, message
    assert name in message  # the seller sees which file
    assert_nothing_left(listing, data)


def test_a_wrong_kind_is_refused_after_the_first_chunk_not_at_the_end(client, listing, alice):
    data = png(400, 400, noisy=True)
    client.force_login(alice)
    session = start(client, listing, "image", "image.tar", len(data)).json()
    response = put_chunk(client, session["url"], data[:64 * 1024], 0, len(data))
    assert response.status_code == 400 and "looks like a PNG image" in response.json()["error"]
    assert client.get(session["url"]).status_code == 404  # the session is gone with its bytes
    assert_nothing_left(listing, data)


def test_an_empty_file_is_refused(client, listing, alice):
    client.force_login(alice)
    assert start(client, listing, "notebook", "empty.ipynb", 0).status_code == 400
    response = form_upload(client, listing, "documentation", "empty.md", b"")
    assert response.status_code == 400 and "empty" in response.json()["error"]
    assert_nothing_left(listing, b"")


def test_the_logo_size_limit_comes_from_the_rules_catalog(client, listing, alice):
    assert limits.max_bytes("logo") == limits.rule_limit("logo.E003") == 5 * MiB
    data = png() + bytes(5 * MiB)  # a PNG with junk after IEND, just over the limit
    client.force_login(alice)
    before_start = start(client, listing, "logo", "logo.png", len(data))
    assert before_start.status_code == 400 and "over the 5 MB limit for logo" in before_start.json()["error"]
    form = form_upload(client, listing, "logo", "logo.png", data)
    assert form.status_code == 400 and "over the 5 MB limit" in form.json()["error"]
    streamed = form_upload(client, listing, "logo", "logo.png", data, query="?kind=logo")
    assert streamed.status_code == 413  # stopped while streaming, at the logo's limit
    assert_nothing_left(listing, data)


def test_oversize_per_kind_from_settings(client, listing, alice, settings):
    settings.ARTIFACT_MAX_BYTES = {"notebook": 1000}
    data = notebook() + b" " * 2000
    client.force_login(alice)
    response = form_upload(client, listing, "notebook", "demo.ipynb", data, query="?kind=notebook")
    assert response.status_code == 413
    assert start(client, listing, "notebook", "demo.ipynb", len(data)).status_code == 400
    assert_nothing_left(listing, data)


@pytest.mark.parametrize("path", ["form", "chunked"])
def test_a_checksum_mismatch_is_refused_and_nothing_is_stored(client, listing, alice, path):
    data = notebook()
    client.force_login(alice)
    response = upload(path, client, listing, "notebook", "demo.ipynb", data, sha256="0" * 64)
    assert response.status_code == 400
    assert "changed on its way here" in response.json()["error"]
    assert_nothing_left(listing, data)


def test_a_matching_checksum_is_accepted(client, listing, alice):
    data = notebook()
    client.force_login(alice)
    assert chunked_upload(client, listing, "notebook", "demo.ipynb", data, sha256=sha(data)).status_code == 201


def test_sample_data_must_say_what_it_is(client, listing, alice):
    client.force_login(alice)
    response = form_upload(client, listing, "sample_data", "input.csv", CSV, direction="input")
    assert response.status_code == 400 and "real-time inference or batch" in response.json()["error"]
    response = form_upload(client, listing, "sample_data", "blob.bin", CSV, mode="batch", direction="input")
    assert response.status_code == 201  # octet-stream: no signature to contradict
    assert Artifact.objects.get().tags == {"mode": "batch", "direction": "input",
                                           "content_type": "application/octet-stream"}


def test_the_file_name_is_kept_for_display_only(client, listing, alice):
    client.force_login(alice)
    response = form_upload(client, listing, "documentation", "../../etc/\u202egnp.md", b"# hi\n")
    assert response.status_code == 201
    artifact = Artifact.objects.get()
    assert artifact.original_name == "gnp.md"
    download = client.get(reverse("artifact-download", args=[listing.id, artifact.id]))
    assert download["Content-Disposition"] == 'attachment; filename="gnp.md"'


# -- tenancy and roles ---------------------------------------------------------------------------------------

def _artifact_urls(listing, artifact, session):
    return [
        ("get", reverse("artifact-list", args=[listing.id])),
        ("get", reverse("artifact-panel", args=[listing.id])),
        ("post", reverse("artifact-upload", args=[listing.id])),
        ("post", reverse("artifact-upload-start", args=[listing.id])),
        ("get", reverse("artifact-upload-session", args=[listing.id, session.id])),
        ("put", reverse("artifact-upload-session", args=[listing.id, session.id])),
        ("delete", reverse("artifact-upload-session", args=[listing.id, session.id])),
        ("post", reverse("artifact-upload-complete", args=[listing.id, session.id])),
        ("get", reverse("artifact-download", args=[listing.id, artifact.id])),
        ("post", reverse("artifact-remove", args=[listing.id, artifact.id])),
    ]


def _fixtures(client, listing, alice):
    client.force_login(alice)
    form_upload(client, listing, "notebook", "demo.ipynb", notebook())
    session = UploadSession.objects.get(pk=start(client, listing, "image", "image.tar", 10_000).json()["id"])
    client.logout()
    return Artifact.objects.get(), session


def test_charlie_gets_404_on_every_artifact_url(client, listing, alice, charlie):
    artifact, session = _fixtures(client, listing, alice)
    client.force_login(charlie)
    for method, url in _artifact_urls(listing, artifact, session):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)
    assert Artifact.objects.filter(pk=artifact.pk).exists() and UploadSession.objects.filter(pk=session.pk).exists()


def test_an_upload_session_belongs_to_whoever_started_it(client, listing, alice, bob):
    _artifact, session = _fixtures(client, listing, alice)
    client.force_login(bob)
    assert client.get(reverse("artifact-upload-session", args=[listing.id, session.id])).status_code == 404


def test_anonymous_is_sent_to_login(client, listing, alice):
    artifact, session = _fixtures(client, listing, alice)
    for method, url in _artifact_urls(listing, artifact, session):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_viewers_can_download_but_not_change(client, listing, alice, vera):
    artifact, _session = _fixtures(client, listing, alice)
    client.force_login(vera)
    assert form_upload(client, listing, "notebook", "x.ipynb", notebook()).status_code == 403
    assert start(client, listing, "notebook", "x.ipynb", 100).status_code == 403
    assert client.post(reverse("artifact-remove", args=[listing.id, artifact.id])).status_code == 403
    download = client.get(reverse("artifact-download", args=[listing.id, artifact.id]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == notebook()
    panel = client.get(reverse("artifact-panel", args=[listing.id])).content.decode()
    assert "demo.ipynb" in panel and "upload-form" not in panel and "Remove" not in panel
    assert Artifact.objects.count() == 1


def test_a_submitted_listing_keeps_its_files(client, listing, alice):
    artifact, _session = _fixtures(client, listing, alice)
    type(listing).objects.filter(pk=listing.pk).update(status="submitted")
    client.force_login(alice)
    response = form_upload(client, listing, "notebook", "other.ipynb", notebook() + b" ")
    assert response.status_code == 400 and "waiting for review" in response.json()["error"]
    client.post(reverse("artifact-remove", args=[listing.id, artifact.id]))
    assert Artifact.objects.filter(pk=artifact.pk).exists()


# -- what a change sets off ----------------------------------------------------------------------------------

def test_an_upload_queues_a_validation_run(client, listing, alice, no_broker, django_capture_on_commit_callbacks):
    from validation.models import ValidationRun

    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = form_upload(client, listing, "notebook", "demo.ipynb", notebook())
    assert response.status_code == 201
    run = ValidationRun.objects.get(listing=listing)
    queued = listing.events.get(type="validation.queued")
    assert queued.data["trigger"] == "artifact" and queued.data["run"] == str(run.id)
    assert no_broker == [(str(run.id),)]


def test_changing_an_approved_listing_starts_a_new_draft(client, listing, alice):
    type(listing).objects.filter(pk=listing.pk).update(status="approved")
    client.force_login(alice)
    assert form_upload(client, listing, "notebook", "demo.ipynb", notebook()).status_code == 201
    listing.refresh_from_db()
    assert listing.status == "draft"
    assert listing.events.get(type="listing.reopened").data == {"from": "approved", "to": "draft"}


def test_removing_keeps_bytes_another_artifact_or_a_version_needs(client, listing, alice, no_broker,
                                                                   django_capture_on_commit_callbacks):
    data, other = notebook(), model_tar_gz(b"only here" * 50)
    client.force_login(alice)
    form_upload(client, listing, "notebook", "a.ipynb", data)
    form_upload(client, listing, "notebook", "b.ipynb", data)
    form_upload(client, listing, "model_data", "model.tar.gz", other)
    first, second = Artifact.objects.filter(sha256=sha(data)).order_by("original_name")
    model = Artifact.objects.get(sha256=sha(other))
    ListingVersion.objects.create(listing=listing, number=1, content_hash="0" * 64, created_by=alice,
                                  snapshot={"artifacts": [{"kind": "model_data", "sha256": sha(other)}]})

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("artifact-remove", args=[listing.id, first.id])).status_code == 302
    assert stored(data), "another artifact still names these bytes"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("artifact-remove", args=[listing.id, model.id]))
    assert stored(other), "a frozen version still needs these bytes"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("artifact-remove", args=[listing.id, second.id]))
    assert not stored(data), "nothing needs these bytes any more"
    assert list(Artifact.objects.all()) == []
    removed = listing.events.filter(type="artifact.removed")
    assert removed.count() == 3 and {e.data["name"] for e in removed} == {"a.ipynb", "b.ipynb", "model.tar.gz"}
    assert listing.events.filter(type="validation.queued", data__trigger="artifact").count() == 3


def test_removing_through_htmx_answers_the_list_and_names_the_run(client, listing, alice):
    client.force_login(alice)
    form_upload(client, listing, "notebook", "demo.ipynb", notebook())
    artifact = Artifact.objects.get()
    response = client.post(reverse("artifact-remove", args=[listing.id, artifact.id]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="artifact-list"' in response.content.decode()
    assert "artifact-run-started" in json.loads(response["HX-Trigger"])


# -- the page ------------------------------------------------------------------------------------------------

def test_the_listing_page_loads_the_panel_and_the_panel_groups_by_kind(client, listing, alice):
    client.force_login(alice)
    form_upload(client, listing, "sample_data", "in.csv", CSV, mode="batch", direction="input")
    form_upload(client, listing, "logo", "logo.png", png())
    detail = client.get(reverse("listing-detail", args=[listing.id])).content.decode()
    assert reverse("artifact-panel", args=[listing.id]) in detail and "js/upload.js" in detail
    panel = client.get(reverse("artifact-panel", args=[listing.id])).content.decode()
    for label in ("Container image", "Model data", "Sample notebook", "Sample data", "Logo", "Documentation"):
        assert label in panel
    assert "in.csv" in panel and "batch" in panel and sha(CSV)[:12] in panel
    assert 'class="upload-form"' in panel and "style=" not in panel and "onclick" not in panel
    page = client.get(reverse("artifact-list", args=[listing.id]))
    assert page.status_code == 200 and "logo.png" in page.content.decode()


def test_a_plain_form_post_without_javascript_redirects_with_a_message(client, listing, alice):
    client.force_login(alice)
    response = client.post(reverse("artifact-upload", args=[listing.id]),
                           {"kind": "notebook", "file": SimpleUploadedFile("demo.ipynb", notebook())}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("listing-detail", args=[listing.id])
    assert "Uploaded “demo.ipynb”" in response.content.decode()
    refused = client.post(reverse("artifact-upload", args=[listing.id]),
                          {"kind": "notebook", "file": SimpleUploadedFile("x.ipynb", b"<html></html>")}, follow=True)
    assert "looks like an HTML page" in refused.content.decode()


def test_stale_uploads_are_swept_with_their_scratch_files(client, listing, alice):
    from datetime import timedelta

    from django.utils import timezone

    client.force_login(alice)
    session = start(client, listing, "image", "image.tar", 5000).json()
    UploadSession.objects.update(updated_at=timezone.now() - timedelta(days=2))
    orphan = scratch_dir() / ("f" * 32 + ".part")
    orphan.write_bytes(b"left by a crashed request")
    os.utime(orphan, (0, 0))
    assert artifact_services.sweep_stale_uploads() == 2
    assert not UploadSession.objects.exists() and scratch_files() == []
    assert client.get(session["url"]).status_code == 404


# -- sniffing, without a database ----------------------------------------------------------------------------

@pytest.mark.parametrize("head, key", [
    (png(), "png"), (b"\xff\xd8\xff\xe0", "jpeg"), (b"GIF89a", "gif"), (b"%PDF-1.7", "pdf"),
    (gzip.compress(b"x"), "gzip"), (_tar({"a": b"b"}), "tar"), (b"<!doctype html><p>", "html"),
    (b'{"a": 1}', "json"), (b"a,b\n1,2\n", "text"), (b"ID3,artist\n", "text"), (b"\x00\x00\x01", "binary"),
    (b"", "empty"),
])
def test_describe_reads_the_bytes(head, key):
    assert sniff.describe(head).key == key


def test_display_names_are_never_paths():
    assert sniff.display_name("C:\\Users\\me\\model.tar.gz") == "model.tar.gz"
    assert sniff.display_name("../../../etc/passwd") == "passwd"
    assert sniff.display_name("\x00\x1b[31mred.csv") == "[31mred.csv"
    assert sniff.display_name("..") == "upload"
    long = sniff.display_name("a" * 500 + ".ipynb")
    assert len(long) <= 200 and long.endswith(".ipynb")


# -- memory stays flat ---------------------------------------------------------------------------------------

MEMORY_SCRIPT = r"""
import json, os, resource, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from listings.models import Listing
from validation import tasks

tasks.run_validation.delay = lambda *a, **k: None
listing = Listing.objects.get(pk=sys.argv[1])
user = get_user_model().objects.get(pk=sys.argv[2])
paths = sys.argv[3:5]
client = Client()
client.force_login(user)
client.get(reverse("artifact-panel", args=[listing.id]))

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

class Stream:
    # A request body read lazily from parts: bytes, or an open file read 1 MiB at a time.
    def __init__(self, parts):
        self.parts = list(parts)
    def read(self, n=-1):
        out = b""
        while self.parts and (n < 0 or len(out) < n):
            part = self.parts[0]
            want = -1 if n < 0 else n - len(out)
            if isinstance(part, bytes):
                piece, rest = (part, b"") if want < 0 else (part[:want], part[want:])
                if rest:
                    self.parts[0] = rest
                else:
                    self.parts.pop(0)
            else:
                piece = part.read(1 << 20 if want < 0 else min(want, 1 << 20))
                if not piece:
                    self.parts.pop(0)
            out += piece
        return out
    def readline(self, n=-1):
        return self.read(n)

base = peak()
# 1. a plain multipart post of the first file
boundary = "memoryboundary"
size = os.path.getsize(paths[0])
head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nimage\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.tar\"\r\n"
        "Content-Type: application/x-tar\r\n\r\n").encode()
tail = f"\r\n--{boundary}--\r\n".encode()
with open(paths[0], "rb") as f:
    response = client.request(**{
        "REQUEST_METHOD": "POST", "PATH_INFO": reverse("artifact-upload", args=[listing.id]),
        "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}", "CONTENT_LENGTH": str(len(head) + size + len(tail)),
        "HTTP_ACCEPT": "application/json", "wsgi.input": Stream([head, f, tail]),
    })
assert response.status_code == 201, response.content
after_form = peak()
# 2. a resumable upload of the second file, 8 MiB per chunk
size = os.path.getsize(paths[1])
session = client.post(reverse("artifact-upload-start", args=[listing.id]),
                      {"kind": "image", "name": "big2.tar", "size": size}).json()
chunk = 8 << 20
with open(paths[1], "rb") as f:
    for offset in range(0, size, chunk):
        length = min(chunk, size - offset)
        r = client.generic("PUT", session["url"], data=b"x", content_type="application/octet-stream",
                           HTTP_CONTENT_RANGE=f"bytes {offset}-{offset + length - 1}/{size}",
                           **{"CONTENT_LENGTH": str(length), "wsgi.input": Stream([f.read(length)])})
        assert r.status_code == 200, r.content
response = client.post(session["complete_url"])
assert response.status_code == 201, response.content
print(json.dumps({"base": base, "after_form": after_form, "after_chunked": peak(),
                  "digests": [a.sha256 for a in listing.artifacts.all()]}))
"""


def _sparse_image(path: Path, size: int, tag: bytes) -> None:
    """A docker-save-shaped tar with one big all-zero layer, written sparse (no disk blocks for the zeros)."""
    manifest = json.dumps([{"Config": "c.json", "Layers": ["l/layer.tar"], "tag": tag.decode()}]).encode()
    with open(path, "wb") as f:
        for name, data in (("manifest.json", manifest), ("c.json", b"{}")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            f.write(info.tobuf(format=tarfile.USTAR_FORMAT))
            f.write(data + bytes(-len(data) % 512))
        info = tarfile.TarInfo("l/layer.tar")
        info.size = size
        f.write(info.tobuf(format=tarfile.USTAR_FORMAT))
        f.seek(size + (-size % 512) + 1024, os.SEEK_CUR)
        f.truncate()


@pytest.mark.django_db(transaction=True)
def test_memory_stays_flat_for_a_200_mb_upload(tmp_path, listing, alice):
    from tests.worker import _database_url

    paths = [tmp_path / "one.tar", tmp_path / "two.tar"]
    for i, path in enumerate(paths):
        _sparse_image(path, 200 * MiB, f"v{i}".encode())
    env = {**os.environ, "DATABASE_URL": _database_url(), "CONN_MAX_AGE": "0",
           "DJANGO_SETTINGS_MODULE": "marketplace_prep.settings"}
    result = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(listing.id), str(alice.pk), *map(str, paths)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    numbers = json.loads(result.stdout.strip().splitlines()[-1])
    try:
        grown = (numbers["after_chunked"] - numbers["base"]) / MiB
        assert grown < 50, f"peak memory grew by {grown:.0f} MB while 400 MB were uploaded"
        assert len(numbers["digests"]) == 2
    finally:
        for digest in numbers["digests"]:
            artifact_storage().delete(key_for_digest(digest))
