"""Hostile uploads, end to end: through the upload endpoints, into storage, through a validation run and the
unpackers the rehearsal uses — refused, or kept as inert bytes, and nothing written outside the folders the
service owns.

tests/listings/test_artifacts.py already refuses the common cases at upload (wrong kinds, truncations, the
gzip bomb of model data, PNG decompression bombs, SVG logos); this module adds what those do not reach: zip
bombs, tar bombs (member count, giant headers), traversal, escaping symbolic and hard links and device nodes
inside accepted archives — unpacked by the real unpackers — JPEG and GIF pixel bombs, image bombs in sample
data, and polyglot files (a PNG that is also a ZIP or an HTML page; a "sample" that is JavaScript).

Every test snapshots the service's folders (artifacts, scratch, exports) and the shared temp folder before and
after: a refusal changes nothing; an acceptance adds exactly one blob under the artifact store.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import struct
import tarfile
import tempfile
import uuid
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from listings.models import Artifact
from tests.container import imagebuild as ib

pytestmark = pytest.mark.django_db
MiB = 1024 * 1024


# -- the service's folders, before and after -----------------------------------------------------------------

@pytest.fixture
def folders(settings, tmp_path):
    """Artifacts, exports and scratch in empty folders of this test's own (so a snapshot means something)."""
    root = tmp_path / "var"
    settings.SCRATCH_ROOT = root / "scratch"
    settings.STORAGES = {**settings.STORAGES,
                         "artifacts": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                       "OPTIONS": {"location": str(root / "artifacts")}},
                         "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                     "OPTIONS": {"location": str(root / "exports")}}}
    for sub in ("scratch/uploads", "artifacts", "exports"):
        (root / sub).mkdir(parents=True)
    return root


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every entry under ``root`` (links not followed) with its type and size."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file" if path.is_file() else "other"
            out[str(path.relative_to(root))] = (kind, st.st_size if kind == "file" else 0)
    return out


def tmp_names() -> set[str]:
    return set(os.listdir(tempfile.gettempdir()))


def blobs(root: Path) -> list[str]:
    return [p for p, (kind, _) in snapshot(root / "artifacts").items() if kind == "file"]


def upload(client, listing, kind: str, name: str, data: bytes, **fields):
    body = {"kind": kind, "file": SimpleUploadedFile(name, data), **fields}
    return client.post(reverse("artifact-upload", args=[listing.id]), body, HTTP_ACCEPT="application/json")


def assert_refused_and_untouched(response, root: Path, before: dict, says: str) -> None:
    assert response.status_code in (400, 413), response.content
    assert says in response.json()["error"], response.json()["error"]
    assert snapshot(root) == before, "a refused upload changed the service's folders"


@pytest.fixture
def seller(client, listing, alice, folders):
    client.force_login(alice)
    return client


# -- archives ------------------------------------------------------------------------------------------------

def _tar(members: dict[str, tarfile.TarInfo | bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, spec in members.items():
            if isinstance(spec, tarfile.TarInfo):
                tf.addfile(spec)
            else:
                info = tarfile.TarInfo(name)
                info.size = len(spec)
                tf.addfile(info, io.BytesIO(spec))
    return buf.getvalue()


def _special(name: str, kind: bytes, link: str = "", major: int = 0, minor: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.devmajor, info.devminor = kind, link, major, minor
    return info


def zip_bomb(unpacked_mb: int = 200) -> bytes:
    """One entry of zeros: ~200 MB that deflate to ~200 KB (a ratio near 1000)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("zeros.csv", "w", force_zip64=True) as entry:
            chunk = bytes(MiB)
            for _ in range(unpacked_mb):
                entry.write(chunk)
    return buf.getvalue()


def test_a_zip_bomb_is_never_unpacked(seller, listing, alice, folders):
    bomb = zip_bomb()
    before = snapshot(folders)
    # As documentation (Markdown, text, HTML or PDF) a ZIP is refused outright …
    assert_refused_and_untouched(upload(seller, listing, "documentation", "guide.zip", bomb), folders, before,
                                 "looks like a ZIP archive")
    # … as model data too (it must be a .tar.gz) …
    assert_refused_and_untouched(upload(seller, listing, "model_data", "model.tar.gz", bomb), folders, before,
                                 "looks like a ZIP archive")
    # … and as sample data declared application/zip it is kept as the bytes it is: nothing unpacks it.
    response = upload(seller, listing, "sample_data", "batch.zip", bomb, mode="batch", direction="input",
                      content_type="application/zip")
    assert response.status_code == 201, response.content
    from tests.helpers import validate_now

    run = validate_now(listing, alice)
    assert run.status == "succeeded"
    after = snapshot(folders)
    [blob] = blobs(folders)  # one blob, the bytes as sent …
    assert after[f"artifacts/{blob}"] == ("file", len(bomb))
    assert max(size for _kind, size in after.values()) == len(bomb)  # … and nothing larger anywhere
    assert [p for p, (kind, _) in after.items() if p.startswith("scratch/") and kind == "file"] == []


@pytest.fixture
def small_guards(settings):
    settings.ARTIFACT_UPLOAD_GUARDS = {"tar_max_members": 200, "tar_max_header_ext": 64 * 1024,
                                       "gzip_ratio_floor": 1 * MiB}


def test_tar_bombs_are_refused(seller, listing, folders, small_guards):
    layers = [ib.layer_tar({"app/serve": b"#!/bin/sh\n"})]
    saved = ib.docker_save(folders.parent / "image.tar", layers, ib.config(layers)).read_bytes()
    with tarfile.open(fileobj=io.BytesIO(saved)) as tf:  # the image's own members, then 1,000 more
        members = {m.name: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}
    image = _tar({**members, **{f"junk{i:05d}": b"" for i in range(1000)}})
    model = gzip.compress(_tar({f"w{i:05d}.bin": b"" for i in range(1000)}), mtime=0)
    huge_header = tarfile.TarInfo("model.pt")
    huge_header.pax_headers = {"comment": "x" * (200 * 1024)}  # one 200 KB pax record
    header_bomb = gzip.compress(_tar({"model.pt": huge_header}), mtime=0)
    before = snapshot(folders)
    assert_refused_and_untouched(upload(seller, listing, "image", "image.tar", image), folders, before,
                                 "more than 200 entries")
    assert_refused_and_untouched(upload(seller, listing, "model_data", "model.tar.gz", model), folders, before,
                                 "more than 200 files")
    response = upload(seller, listing, "model_data", "model.tar.gz", header_bomb)
    assert_refused_and_untouched(response, folders, before, "model.tar.gz")


# -- hostile members inside archives that are accepted as bytes -----------------------------------------------

def hostile_members(escape: Path) -> dict[str, tarfile.TarInfo | bytes]:
    """Every way out of an extraction folder, aimed at ``escape`` (a path outside it)."""
    up = "../" * 12
    return {
        f"{up}{str(escape).lstrip('/')}-traversal": b"pwned by ..",
        f"{escape}-absolute": b"pwned by an absolute name",
        "out": _special("out", tarfile.SYMTYPE, link=f"{up}{str(escape.parent).lstrip('/')}"),
        f"out/{escape.name}-through-symlink": b"pwned through a symbolic link",
        "root": _special("root", tarfile.SYMTYPE, link="/"),
        f"root/{str(escape).lstrip('/')}-through-root": b"pwned through a link to /",
        "passwd": _special("passwd", tarfile.LNKTYPE, link="/etc/passwd"),
        "climb": _special("climb", tarfile.LNKTYPE, link=f"{up}etc/passwd"),
        "dev/mem": _special("dev/mem", tarfile.CHRTYPE, major=1, minor=1),
        "dev/sda": _special("dev/sda", tarfile.BLKTYPE, major=8, minor=0),
        "fifo": _special("fifo", tarfile.FIFOTYPE),
        "model.pt": b"weights",
    }


def _escaped(escape: Path) -> list[str]:
    return sorted(p.name for p in escape.parent.iterdir() if p.name.startswith(escape.name))


def test_model_data_with_every_way_out_is_contained_by_the_unpacker(seller, listing, folders):
    """The upload keeps a model.tar.gz as bytes (only its tar headers are read); the rehearsal's unpacker is
    what would write it to disk, and it refuses each hostile member before writing anything outside."""
    from listings.storage import open_blob
    from validation.container.rehearsal.model import ModelDataError, extract_model

    outside = folders.parent / "outside"
    outside.mkdir()
    escape = outside / f"escape-{uuid.uuid4().hex[:8]}"
    passwd_before = Path("/etc/passwd").read_bytes()
    tmp_before = tmp_names()
    refusals = []
    for name, member in hostile_members(escape).items():
        if name == "model.pt":
            continue
        members = {name: member, "model.pt": b"weights"}
        if name.startswith("out/"):
            members = {"out": hostile_members(escape)["out"], **members}
        if name.startswith("root/"):
            members = {"root": hostile_members(escape)["root"], **members}
        data = gzip.compress(_tar(members), mtime=0)
        response = upload(seller, listing, "model_data", "model.tar.gz", data)
        assert response.status_code == 201, (name, response.content)
        artifact = Artifact.objects.get(pk=response.json()["artifact"]["id"])
        dest = folders / "scratch" / f"model-{uuid.uuid4().hex[:8]}"
        dest.mkdir()
        archive = folders / "scratch" / "model.tar.gz"
        with open_blob(artifact.sha256) as src, open(archive, "wb") as out:
            out.write(src.read())
        try:
            extract_model(archive, dest, max_bytes=10 * MiB, max_files=100)
        except ModelDataError as exc:
            refusals.append(name)
            assert "unsafe member" in str(exc), (name, exc)
        else:
            # Only an absolute name is not refused: PEP 706's data filter strips the leading "/" and the file
            # lands inside the folder, where it belongs.
            assert name.startswith("/"), f"the member {name!r} was extracted"
            assert (dest / name.lstrip("/")).read_bytes() == member
        archive.unlink()
        Artifact.objects.filter(pk=artifact.pk).delete()
    assert len(refusals) == len(hostile_members(escape)) - 2  # all but model.pt and the absolute name
    assert _escaped(escape) == [] and list(outside.iterdir()) == []
    assert Path("/etc/passwd").read_bytes() == passwd_before
    assert tmp_names() - tmp_before == set()


def test_an_image_with_every_way_out_is_reported_and_unpacked_inside_its_root(seller, listing, alice, folders):
    """Uploaded, analysed by a validation run (the failures named per member), and unpacked the way the
    rehearsal does it: traversal and climbing links refused, absolute links re-rooted, devices skipped."""
    from listings.storage import open_blob
    from tests.helpers import validate_now
    from validation.container.rehearsal import unpack_image

    outside = folders.parent / "outside"
    outside.mkdir()
    escape = outside / f"escape-{uuid.uuid4().hex[:8]}"
    files = {}
    for name, member in hostile_members(escape).items():
        if isinstance(member, bytes):
            files[name] = member
        else:
            kind = {tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink", tarfile.CHRTYPE: "chr",
                    tarfile.BLKTYPE: "blk", tarfile.FIFOTYPE: "fifo"}[member.type]
            files[name] = ib.F(type=kind, link=member.linkname, major=member.devmajor, minor=member.devminor)
    layers = [ib.layer_tar(ib.base_layer()), ib.layer_tar(files)]
    image = ib.docker_save(folders.parent / "evil.tar", layers, ib.config(layers)).read_bytes()
    response = upload(seller, listing, "image", "image.tar", image)
    assert response.status_code == 201, response.content
    tmp_before = tmp_names()

    run = validate_now(listing, alice)
    failed = {f.code for f in run.findings.filter(outcome="failed")}
    assert {"container.E006", "container.E007", "container.E008"} <= failed, failed
    assert run.findings.filter(code="container.E006", outcome="failed").count() >= 2  # .. and an absolute name

    root = folders / "scratch" / "rootfs"
    with open_blob(hashlib.sha256(image).hexdigest()) as src:
        archive = folders / "scratch" / "image.tar"
        archive.write_bytes(src.read())
    unpacked = unpack_image(archive, root, max_bytes=64 * MiB)
    assert unpacked.skipped_devices == 2  # the sandbox provides /dev
    specials = [p for p in root.rglob("*") if not p.is_symlink() and (p.is_char_device() or p.is_block_device())]
    assert specials == []
    assert _escaped(escape) == [] and list(outside.iterdir()) == []
    for path in root.rglob("*"):  # every link left inside the root resolves inside it (re-rooted)
        if path.is_symlink():
            target = os.readlink(path)
            assert not target.startswith("..") or not (path.parent / target).resolve().is_relative_to(outside)
    assert tmp_names() - tmp_before == set()


# -- images --------------------------------------------------------------------------------------------------

def jpeg_claiming(width: int, height: int) -> bytes:
    """A JPEG whose frame header claims ``width`` x ``height`` (the rest is a tiny real image's)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, format="JPEG")
    data = bytearray(buf.getvalue())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def gif_claiming(width: int, height: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("P", (8, 8)).save(buf, format="GIF")
    data = bytearray(buf.getvalue())
    struct.pack_into("<HH", data, 6, width, height)  # the logical screen
    return bytes(data)


def png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024, 9))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("name,data", [("logo.jpg", jpeg_claiming(65000, 65000)),
                                       ("logo.gif", gif_claiming(65535, 65535))])
def test_pixel_bombs_in_other_formats_are_refused_as_logos(seller, listing, folders, name, data):
    before = snapshot(folders)
    assert_refused_and_untouched(upload(seller, listing, "logo", name, data), folders, before, "pixels")


def test_a_pixel_bomb_sent_as_sample_data_is_judged_without_decoding(seller, listing, alice, folders):
    """Sample data may be any bytes the seller's model takes; the checks read the header and stop."""
    from tests.helpers import validate_now

    bomb = png_claiming(60000, 60000)  # 3.6 billion pixels: 10 GB of RGB if anything decoded it
    response = upload(seller, listing, "sample_data", "input.png", bomb, mode="realtime", direction="input",
                      content_type="image/png")
    assert response.status_code == 201, response.content
    run = validate_now(listing, alice)
    [finding] = run.findings.filter(code="data.E012", outcome="failed")
    assert "Not decoded" in finding.message


# -- polyglots -----------------------------------------------------------------------------------------------

def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", (200, 200), (255, 255, 255, 0)).save(buf, format="PNG")
    return buf.getvalue()


def png_with_text(text: bytes) -> bytes:
    png = _png()
    body = b"Comment\x00" + text
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF)
    return png[:33] + chunk + png[33:]  # after IHDR


def _zip_of(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(name, data)
    return buf.getvalue()


SCRIPT = b"<html><body><script>alert(document.cookie)</script><img src=x onerror=alert(1)></body></html>"
POLYGLOTS = [
    ("png-and-zip", _png() + _zip_of("index.html", SCRIPT)),  # a valid PNG, and a valid ZIP from its end
    ("png-and-html", png_with_text(SCRIPT)),  # a valid PNG that a sniffing browser could take for HTML
]


def _served_inert(response) -> None:
    """Bytes served back are never something a browser would run: an image type or a download, never sniffed."""
    content_type = response["Content-Type"].split(";")[0].strip()
    assert response["X-Content-Type-Options"] == "nosniff"
    assert content_type in ("image/png", "image/jpeg", "image/gif", "application/octet-stream", "application/zip",
                            "application/gzip", "application/x-tar", "text/csv", "application/json",
                            "text/plain", "application/pdf", "application/x-ipynb+json"), content_type
    if content_type not in ("image/png", "image/jpeg", "image/gif"):
        assert response["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("case", POLYGLOTS, ids=[c[0] for c in POLYGLOTS])
def test_polyglot_logos_are_kept_as_images_and_served_inert(seller, listing, folders, case):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    _id, data = case
    response = upload(seller, listing, "logo", "logo.png", data)
    assert response.status_code == 201, response.content  # a valid PNG: kept, as an image
    artifact = response.json()["artifact"]
    assert artifact["content_type"] == "image/png"
    _served_inert(seller.get(artifact["download_url"]))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=listing.created_by).key}")
    _served_inert(api.get(f"/api/v1/artifacts/{artifact['id']}/download/"))


@pytest.mark.parametrize("declared", ["text/html", "application/javascript", "image/svg+xml", "text/xml",
                                      "application/xhtml+xml", "text/javascript"])
def test_sample_data_declared_as_a_web_type_is_downloaded_never_rendered(seller, listing, folders, declared):
    """A seller's sample can be any content type their model takes — including ones a browser runs. Served
    from our origin with that type, it would be a script our own CSP (script-src 'self') trusts."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    body = b"alert(document.domain)//" if "javascript" in declared else SCRIPT
    response = upload(seller, listing, "sample_data", "sample.txt", body, mode="realtime", direction="input",
                      content_type=declared)
    if declared in ("image/svg+xml", "text/xml"):  # the bytes are no SVG or XML: refused at upload
        assert response.status_code == 400, response.content
        return
    assert response.status_code == 201, response.content
    artifact = response.json()["artifact"]
    _served_inert(seller.get(artifact["download_url"]))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=listing.created_by).key}")
    _served_inert(api.get(f"/api/v1/artifacts/{artifact['id']}/download/"))


def test_an_html_page_with_a_zip_appended_is_refused_as_documentation(seller, listing, folders):
    before = snapshot(folders)
    data = b"<!doctype html><title>Guide</title>" + SCRIPT + _zip_of("payload.exe", b"MZ" + bytes(512))
    assert_refused_and_untouched(upload(seller, listing, "documentation", "guide.html", data), folders, before,
                                 "documentation must be Markdown, plain text, HTML or PDF")


def test_documentation_html_is_downloaded_never_rendered(seller, listing, folders):
    response = upload(seller, listing, "documentation", "guide.html", b"<!doctype html><title>Guide</title>" + SCRIPT)
    assert response.status_code == 201, response.content
    _served_inert(seller.get(response.json()["artifact"]["download_url"]))
