"""BundleWriter: deterministic, streaming zip (plain pytest, no Django)."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import struct
import subprocess
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from listings.export import zipstream
from listings.export.zipstream import CHUNK_SIZE, BundleWriter, Entry, IntegrityError

UNZIP = shutil.which("unzip") or "unzip"  # Debian package unzip; a second, independent reader


class WriteOnly:
    """Non-seekable output: exposes write() and nothing else (like a pipe, socket or multipart upload)."""

    def __init__(self) -> None:
        self._buf = io.BytesIO()

    def write(self, data: bytes) -> int:
        return self._buf.write(data)

    def getvalue(self) -> bytes:
        return self._buf.getvalue()


class ShortWrites(WriteOnly):
    """Accepts at most 1000 bytes per call, like a raw fd or a socket may."""

    def write(self, data: bytes) -> int:
        return self._buf.write(bytes(data[:1000]))


class KeepsChunks:
    """Keeps references to what it is given instead of copying (a queue-based uploader)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.parts.append(data)

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


class Zeros:
    """Source of n zero bytes without a size (no seek/fileno) that hands out one shared chunk object."""

    CHUNK = bytes(CHUNK_SIZE)

    def __init__(self, n: int) -> None:
        self.left = n

    def read(self, k: int) -> bytes:
        k = min(k, self.left)
        self.left -= k
        return self.CHUNK if k == CHUNK_SIZE else bytes(k)


def sample_tree(tmp_path: Path) -> dict[str, bytes]:
    files = {
        "data/input/batch/a.csv": b"x,y\n1,2\n" * 1000,
        "data/input/real-time/b.bin": os.urandom(3 * CHUNK_SIZE + 17),  # several chunks, not aligned
        "listing/logo.png": os.urandom(5000),
        "notebook/caf\u00e9.ipynb": b"{}",  # non-ASCII name -> UTF-8 flag
        "sbom/empty.json": b"",
    }
    for name, data in files.items():
        p = tmp_path / "src" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return files


MANIFEST = b'{"version": 1}\n' * 50


def write_bundle(tmp_path: Path, out: object, files: dict[str, bytes]) -> list[Entry]:
    with BundleWriter(out) as w:  # type: ignore[arg-type]
        for name in sorted([*files, "manifest.json"]):
            if name == "manifest.json":
                w.add_bytes(name, MANIFEST, compress=True)
            else:
                w.add_file(name, tmp_path / "src" / name)
    return list(w.entries)


def test_reproducible_bytes(tmp_path: Path) -> None:
    files = sample_tree(tmp_path)
    first = WriteOnly()
    write_bundle(tmp_path, first, files)
    # Same contents, different mtimes and modes: must not change a byte.
    for p in (tmp_path / "src").rglob("*"):
        if p.is_file():
            os.utime(p, (1_700_000_000, 1_700_000_000))
            p.chmod(0o600)
    second = WriteOnly()
    write_bundle(tmp_path, second, files)
    assert first.getvalue() == second.getvalue()


def test_readable_by_zipfile_with_fixed_metadata(tmp_path: Path) -> None:
    files = sample_tree(tmp_path)
    out = WriteOnly()
    entries = write_bundle(tmp_path, out, files)
    expected = {"manifest.json": MANIFEST, **files}
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as zf:
        assert zf.testzip() is None
        infos = zf.infolist()
        assert [i.filename for i in infos] == sorted(expected)  # sorted entry order
        for info, entry in zip(infos, entries):
            data = zf.read(info)
            assert data == expected[info.filename]
            assert info.CRC == entry.crc32 == zlib.crc32(data)
            assert entry.size == info.file_size == len(data)
            assert entry.sha256 == hashlib.sha256(data).hexdigest()
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.create_system == 3
            assert info.external_attr >> 16 == 0o100644
            assert info.extra == b""
            assert info.flag_bits & 0x08  # data descriptor
            assert info.compress_type == (zipfile.ZIP_DEFLATED if info.filename == "manifest.json" else 0)
        assert zf.getinfo("notebook/caf\u00e9.ipynb").flag_bits & 0x800


def test_unzip_cli_accepts_it(tmp_path: Path) -> None:
    files = sample_tree(tmp_path)
    bundle = tmp_path / "bundle.zip"
    with open(bundle, "wb") as fh:
        write_bundle(tmp_path, fh, files)
    res = subprocess.run([UNZIP, "-t", str(bundle)], check=False, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "No errors detected" in res.stdout


@pytest.mark.parametrize("out_cls", [WriteOnly, ShortWrites, KeepsChunks])
def test_non_seekable_outputs_give_same_bytes_as_a_file(tmp_path: Path, out_cls: type) -> None:
    files = sample_tree(tmp_path)
    reference = tmp_path / "ref.zip"
    with open(reference, "wb") as fh:
        write_bundle(tmp_path, fh, files)
    out = out_cls()
    write_bundle(tmp_path, out, files)
    assert out.getvalue() == reference.read_bytes()


def test_sources_path_fileobj_offset_and_unknown_size(tmp_path: Path) -> None:
    p = tmp_path / "f.bin"
    p.write_bytes(b"HEADER" + b"payload" * 100)
    out = WriteOnly()
    with BundleWriter(out) as w, open(p, "rb") as fh:
        w.add_file("a", str(p))
        fh.seek(6)  # file objects are read from their current position
        w.add_file("b", fh)
        w.add_file("c", Zeros(10))  # size unknown -> written as ZIP64 so it could be any size
    zf = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    assert zf.testzip() is None
    assert zf.read("b") == b"payload" * 100
    assert zf.read("c") == bytes(10)
    assert [e.size for e in w.entries] == [706, 700, 10]
    raw = out.getvalue()
    off = zf.getinfo("c").header_offset
    assert struct.unpack_from("<H", raw, off + 28)[0] == 20  # local ZIP64 extra, 64-bit descriptor follows


def test_sorted_order_enforced_and_rejections_do_not_break_the_writer() -> None:
    out = WriteOnly()
    with BundleWriter(out) as w:
        w.add_bytes("b", b"1")
        with pytest.raises(ValueError, match="sorted order"):
            w.add_bytes("a", b"2")
        with pytest.raises(ValueError, match="duplicate"):
            w.add_bytes("b", b"3")
        w.add_bytes("c", b"5")
        with pytest.raises(ValueError, match="is a file"):
            w.add_bytes("c/d", b"6")
    zf = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    assert zf.namelist() == ["b", "c"] and zf.testzip() is None


def test_missing_source_file_leaves_writer_usable(tmp_path: Path) -> None:
    out = WriteOnly()
    with BundleWriter(out) as w:
        with pytest.raises(FileNotFoundError):
            w.add_file("a", tmp_path / "nope")
        w.add_bytes("a", b"retry")  # the name was not taken by the failed attempt
    assert zipfile.ZipFile(io.BytesIO(out.getvalue())).read("a") == b"retry"


def test_case_and_normalization_collisions_rejected() -> None:
    with BundleWriter(WriteOnly()) as w:
        w.add_bytes("A.txt", b"")
        with pytest.raises(ValueError, match="case"):
            w.add_bytes("a.txt", b"")
        w.add_bytes("e\u0301", b"")  # NFD
        with pytest.raises(ValueError, match="case/normalization"):
            w.add_bytes("\u00e9", b"")  # NFC of the same name


@pytest.mark.parametrize(
    "name",
    ["", "/etc/passwd", "../x", "a/../b", "a/..", "./a", "a//b", "a/", "a\\b", "C:/x", "c:x",
     "a\x00b", "a\nb", "a\tb", "a\x7fb", "a\x85b", "a\udcffb"],
)
def test_unsafe_names_rejected(name: str) -> None:
    w = BundleWriter(WriteOnly())
    with pytest.raises(ValueError):
        w.add_bytes(name, b"x")


def test_integrity_mismatch_leaves_no_central_directory(tmp_path: Path) -> None:
    data = b"artifact" * 1000
    bundle = tmp_path / "bundle.zip"
    with open(bundle, "wb") as fh, pytest.raises(IntegrityError, match="sha256"), BundleWriter(fh) as w:
        w.add_bytes("a", b"ok")
        w.add_file("b", io.BytesIO(data), expected_sha256="0" * 64)
    raw = bundle.read_bytes()
    assert b"PK\x01\x02" not in raw and b"PK\x05\x06" not in raw  # no central dir, no end record
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(bundle)


def test_failed_writer_refuses_more_work() -> None:
    w = BundleWriter(WriteOnly())
    with pytest.raises(IntegrityError, match="declared"):
        w.add_file("a", io.BytesIO(b"short"), size=10)  # file changed / truncated under us
    with pytest.raises(RuntimeError, match="discarded"):
        w.add_bytes("b", b"")
    with pytest.raises(RuntimeError, match="discarded"):
        w.close()  # so a caller that swallowed the error still cannot finish a valid-looking zip


def test_expected_sha256_match_passes() -> None:
    data = os.urandom(CHUNK_SIZE + 1)
    with BundleWriter(WriteOnly()) as w:
        e = w.add_file("a", io.BytesIO(data), expected_sha256=hashlib.sha256(data).hexdigest().upper())
    assert e == Entry("a", len(data), hashlib.sha256(data).hexdigest(), zlib.crc32(data))
    with pytest.raises(ValueError, match="64 hex"):
        BundleWriter(WriteOnly()).add_file("a", io.BytesIO(b""), expected_sha256="abc")


def test_memory_flat_in_entry_size() -> None:
    tracemalloc.start()
    try:
        sink = type("Null", (), {"write": lambda self, d: len(d)})()
        with BundleWriter(sink) as w:
            w.add_file("big", Zeros(64 * CHUNK_SIZE))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * CHUNK_SIZE


def test_zip64_paths_with_lowered_thresholds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Exercise every ZIP64 branch (local extra, 64-bit descriptor, central extra with sizes and offset,
    ZIP64 end record + locator) with small data, then check zipfile and unzip read it."""
    monkeypatch.setattr(zipstream, "ZIP64_LIMIT", 1000)
    monkeypatch.setattr(zipstream, "ZIP64_COUNT_LIMIT", 3)
    sizes = {"a": 10, "f0": 1000, "f1": 10, "f2": 5000, "f3": 20}
    blobs = {name: os.urandom(n) for name, n in sizes.items()}
    bundle = tmp_path / "z64.zip"
    with open(bundle, "wb") as fh, BundleWriter(fh) as w:
        for name in sorted(blobs):
            w.add_bytes(name, blobs[name], compress=name == "f2")
    raw = bundle.read_bytes()
    assert b"PK\x06\x06" in raw and b"PK\x06\x07" in raw  # ZIP64 end record and locator (5 >= 3 entries)
    with zipfile.ZipFile(bundle) as zf:
        assert zf.testzip() is None
        assert {n: zf.read(n) for n in zf.namelist()} == blobs
        extra_len = {i.filename: len(i.extra) for i in zf.infolist()}
    # ZIP64 only where needed: none / sizes / offset / sizes + offset / offset.
    assert extra_len == {"a": 0, "f0": 4 + 16, "f1": 4 + 8, "f2": 4 + 24, "f3": 4 + 8}
    res = subprocess.run([UNZIP, "-t", str(bundle)], check=False, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_zip64_more_than_65535_entries() -> None:
    out = WriteOnly()
    n = 0xFFFF + 2
    with BundleWriter(out) as w:
        for i in range(n):
            w.add_bytes(f"{i:06d}", b"")
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as zf:
        names = zf.namelist()
    assert len(names) == n and names[-1] == f"{n - 1:06d}"


class SparseSink:
    """Writes real bytes but seeks over the shared zero chunk, so a 4 GiB entry costs no disk."""

    def __init__(self, fh: io.BufferedWriter) -> None:
        self.fh = fh

    def write(self, data: bytes) -> int:
        if data is Zeros.CHUNK:
            self.fh.seek(len(data), os.SEEK_CUR)
        else:
            self.fh.write(data)
        return len(data)


def test_zip64_real_entry_over_4gib(tmp_path: Path) -> None:
    """A real > 4 GiB entry at the real limits, then an entry whose offset is past 4 GiB, so the sizes
    extra, the offset extra, the 64-bit descriptor and the ZIP64 end record are all real. ~5 s (hashing
    4 GiB); reading the 4 GiB back (zipfile.testzip, unzip -t: another 6-16 s) runs with
    ZIPSTREAM_FULL_4GIB=1, otherwise the descriptor is checked in place against an independent CRC."""
    size = (1 << 32) + 5
    bundle = tmp_path / "big.zip"
    with open(bundle, "wb") as fh:
        with BundleWriter(SparseSink(fh)) as w:
            w.add_bytes("a", b"first")
            big = w.add_file("big", Zeros(size), size=size)
            w.add_bytes("z", b"last")
        fh.truncate()
    crc = 0
    for _ in range(size // CHUNK_SIZE):
        crc = zlib.crc32(Zeros.CHUNK, crc)
    crc = zlib.crc32(bytes(size % CHUNK_SIZE), crc)
    assert big.crc32 == crc and big.size == size
    with zipfile.ZipFile(bundle) as zf:
        info = zf.getinfo("big")
        assert (info.file_size, info.compress_size, info.CRC) == (size, size, crc)
        assert zf.read("a") == b"first"
        assert zf.read("z") == b"last" and zf.getinfo("z").header_offset > 0xFFFFFFFF
        data_end = info.header_offset + 30 + len("big") + 20 + size
    with open(bundle, "rb") as fh:
        fh.seek(data_end)
        assert struct.unpack("<IIQQ", fh.read(24)) == (0x08074B50, crc, size, size)
    # unzip's listing parses the ZIP64 central directory without reading 4 GiB.
    res = subprocess.run([UNZIP, "-l", str(bundle)], check=False, capture_output=True, text=True)
    assert res.returncode == 0 and str(size) in res.stdout, res.stdout + res.stderr
    if os.environ.get("ZIPSTREAM_FULL_4GIB"):
        with zipfile.ZipFile(bundle) as zf:
            assert zf.testzip() is None
        res = subprocess.run([UNZIP, "-t", str(bundle)], check=False, capture_output=True, text=True)
        assert res.returncode == 0 and "No errors detected" in res.stdout, res.stdout + res.stderr
