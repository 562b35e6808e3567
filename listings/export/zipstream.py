"""Deterministic, streaming zip writer for the submission bundle.

Pure standard library, no Django: the export task, the benchmark and the tests all use it directly.

Design
------
* **Streaming, non-seekable output.** The writer only ever calls ``fileobj.write(bytes)``; it never seeks or
  tells, so the output can be a pipe, a socket or an S3 multipart uploader. Because CRC-32 and sizes are
  only known after the data has gone out, every entry sets general-purpose bit 3: the local header carries
  zeros and a *data descriptor* (signature, CRC-32, sizes) follows the data. Readers take the authoritative
  values from the central directory, which is written by :meth:`BundleWriter.close`. Each source is read
  exactly once, in ``CHUNK_SIZE`` pieces, and CRC-32 + SHA-256 are computed on the way through, so memory
  is flat in file size and the product gets each entry's sha256 for the manifest for free.

* **Byte-for-byte reproducible.** Every entry gets the same DOS timestamp (1980-01-01 00:00:00), Unix
  ``create_system`` (3), mode ``0o100644``, no comment, and no extra field except ZIP64 when it is needed.
  The output is therefore a function of (names, contents, compress flags) only — not of mtimes, umask,
  uid or the host OS.

* **Sorted order is the caller's job, and enforced.** A zip stores each entry's data right after its local
  header, so on a non-seekable stream the data order *is* the entry order. Sorting inside the writer would
  mean buffering data (or spooling to temp files), which breaks the flat-memory goal. The caller always
  knows its file list up front, so it sorts the names (``sorted()``, i.e. code-point order, which equals
  UTF-8 byte order) and the writer rejects any name that is not strictly greater than the previous one.
  Only the small per-entry metadata (name, sizes, CRC, offset) is kept, for the central directory.

* **ZIP64 only when needed, decided from the declared size.** Whether an entry uses ZIP64 has to be fixed
  when its local header is written (the descriptor's width follows from it). The size comes from ``size=``,
  or from ``stat`` for paths and real files, or from seek/tell for other seekable sources. An entry of
  unknown size (a pipe) is written as ZIP64 so it can grow without limit — the one case where the bytes
  depend on how the source was passed, not only on its content. The actual size must equal the declared
  one (a file that changed while being read raises :class:`IntegrityError`). The archive switches to the
  ZIP64 end records when there are >= 65535 entries or the central directory lies past 4 GiB.

* **Never a valid-looking zip on error.** Any failure while an entry is written (read error,
  :class:`IntegrityError`, bad size) marks the writer failed: nothing more can be added, ``close()``
  raises, and leaving the ``with`` block by an exception does not write the central directory. Without the
  end-of-central-directory record ``zipfile``/``unzip`` refuse the file; the caller discards it.

* **STORED by default.** Bundle artifacts (images, tarballs, parquet) are already compressed and
  throughput matters. ``compress=True`` deflates an entry (for small text such as JSON/Markdown); zlib's
  output is deterministic for a given zlib build and level, which is all a re-export on the same
  deployment needs — STORED entries are reproducible everywhere.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from types import TracebackType
from typing import Any, BinaryIO, Protocol, Self, Union, cast

__all__ = ["CHUNK_SIZE", "BundleWriter", "Entry", "IntegrityError"]

CHUNK_SIZE = 1 << 20  # 1 MiB: large enough that per-chunk Python overhead is noise, small enough to be flat

# Values >= these limits do not fit the classic fields (the all-ones value is the "look in ZIP64" marker).
# Module-level so tests can lower them to exercise the ZIP64 paths without writing 4 GiB.
ZIP64_LIMIT = 0xFFFFFFFF
ZIP64_COUNT_LIMIT = 0xFFFF

DEFLATE_LEVEL = 6  # fixed: the level is part of what makes deflated output reproducible

_DOS_TIME = 0  # 00:00:00
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, the earliest DOS date
_CREATE_SYSTEM_UNIX = 3
_EXTERNAL_ATTR = (stat.S_IFREG | 0o644) << 16  # Unix mode lives in the high 16 bits
_FLAG_DATA_DESCRIPTOR = 0x0008
_FLAG_UTF8 = 0x0800
_STORED, _DEFLATED = 0, 8
_VERSION_DEFAULT, _VERSION_ZIP64 = 20, 45

_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")
_DESCRIPTOR32 = struct.Struct("<IIII")
_DESCRIPTOR64 = struct.Struct("<IIQQ")
_EOCD = struct.Struct("<IHHHHIIH")
_EOCD64 = struct.Struct("<IQHHIIQQQQ")
_EOCD64_LOCATOR = struct.Struct("<IIQI")
_SIG_LOCAL, _SIG_CENTRAL, _SIG_DESCRIPTOR = 0x04034B50, 0x02014B50, 0x08074B50
_SIG_EOCD, _SIG_EOCD64, _SIG_EOCD64_LOCATOR = 0x06054B50, 0x06064B50, 0x07064B50
# Local ZIP64 extra with both sizes zero: the real values follow in the (64-bit) data descriptor.
_LOCAL_ZIP64_EXTRA = struct.pack("<HHQQ", 0x0001, 16, 0, 0)

_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")


class IntegrityError(Exception):
    """Streamed bytes did not match ``expected_sha256`` or the declared size. The output is incomplete."""


class _Writable(Protocol):
    def write(self, data: bytes, /) -> int | None: ...


class _Readable(Protocol):
    def read(self, n: int, /) -> bytes: ...


Source = Union[BinaryIO, _Readable, "os.PathLike[str]", str]


@dataclass(frozen=True)
class Entry:
    name: str
    size: int
    sha256: str  # lowercase hex
    crc32: int


@dataclass(frozen=True)
class _Record:
    """What the central directory needs about one entry; kept for every entry, never the data."""

    entry: Entry
    name_bytes: bytes
    flags: int
    method: int
    compressed_size: int
    offset: int
    zip64_local: bool  # local header had a ZIP64 extra (so the descriptor was 64-bit)


def _validate_name(name: str) -> bytes:
    if not isinstance(name, str):
        raise TypeError(f"arcname must be str, not {type(name).__name__}")
    if not name:
        raise ValueError("arcname must not be empty")
    if "\\" in name:
        raise ValueError(f"arcname {name!r} contains a backslash; use '/' as the separator")
    if name.startswith("/") or _DRIVE_RE.match(name):
        raise ValueError(f"arcname {name!r} is absolute; it must be relative to the bundle root")
    bad = next((ch for ch in name if unicodedata.category(ch) == "Cc"), None)
    if bad is not None:  # "Cc" covers NUL, C0, DEL and C1 controls
        raise ValueError(f"arcname {name!r} contains control character U+{ord(bad):04X}")
    for part in name.split("/"):
        if part in ("", ".", ".."):
            raise ValueError(
                f"arcname {name!r} has an empty, '.' or '..' path component (no traversal, no directories)"
            )
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates from os.fsdecode of undecodable bytes
        raise ValueError(f"arcname {name!r} is not valid Unicode: {exc}") from None
    if len(encoded) > 0xFFFF:
        raise ValueError(f"arcname is {len(encoded)} bytes in UTF-8; the zip limit is 65535")
    return encoded


def _known_size(source: object) -> int | None:
    """Bytes left in ``source`` if that can be known without reading it, else None (pipe, socket...)."""
    f: Any = source  # duck-typed: any of fileno/tell/seekable/seek may be missing
    try:
        st = os.fstat(f.fileno())
        if stat.S_ISREG(st.st_mode):
            return int(st.st_size - f.tell())
    except (AttributeError, OSError, ValueError):
        pass  # no real fd (BytesIO raises UnsupportedOperation, an OSError) or not a regular file
    try:
        if f.seekable():
            pos = f.tell()
            end = f.seek(0, os.SEEK_END)
            f.seek(pos)
            return int(end - pos)
    except (AttributeError, OSError, ValueError):
        pass
    return None


class BundleWriter:
    """Write a deterministic zip to a write-only, possibly non-seekable binary stream.

    Use as a context manager; add entries in strictly increasing arcname order; the central directory is
    written on a clean exit (or an explicit :meth:`close`). The caller owns ``fileobj`` and closes it.
    Each ``write()`` call receives a fresh ``bytes`` object, so writers that keep references to the chunks
    they are given (queue-based multipart uploaders) are safe.
    """

    def __init__(self, fileobj: _Writable) -> None:
        self._out = fileobj
        self._offset = 0  # bytes written so far; we track it because the output may not support tell()
        self._records: list[_Record] = []
        self._last_name: str | None = None
        self._folded: set[str] = set()  # NFC + casefold, to catch names that collide on macOS/Windows
        self._files: set[str] = set()  # to reject "a" as a file and later "a/b" (a is not a directory)
        self._state = "open"  # open -> closed | failed

    # -- public API ---------------------------------------------------------------------------------

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(r.entry for r in self._records)

    def add_bytes(self, arcname: str, data: bytes, *, compress: bool = False) -> Entry:
        return self.add_file(arcname, _BytesSource(data), size=len(data), compress=compress)

    def add_file(
        self,
        arcname: str,
        source: Source,
        size: int | None = None,
        expected_sha256: str | None = None,
        *,
        compress: bool = False,
    ) -> Entry:
        """Stream ``source`` (a path, or a binary file object — anything with ``read(n)`` — read from its
        current position to EOF).

        ``size`` is the number of bytes expected; if omitted it is taken from the file when possible.
        Raises :class:`IntegrityError` if the bytes read differ from ``size`` or ``expected_sha256``; the
        writer is then failed and the output must be discarded.
        """
        self._check_open()
        name_bytes, folded = self._check_name(arcname)
        if expected_sha256 is not None and not _SHA256_RE.match(expected_sha256):
            raise ValueError(f"expected_sha256 for {arcname!r} is not 64 hex digits")
        if size is not None and size < 0:
            raise ValueError(f"size for {arcname!r} must be >= 0")
        if isinstance(source, (str, os.PathLike)):
            # Unbuffered: we read 1 MiB at a time anyway, a BufferedReader would only add a copy.
            with open(source, "rb", buffering=0) as fh:  # a missing file fails here, writer still usable
                self._register(arcname, folded)
                return self._add_stream(arcname, name_bytes, fh, size, expected_sha256, compress)
        self._register(arcname, folded)
        return self._add_stream(arcname, name_bytes, source, size, expected_sha256, compress)

    def close(self) -> None:
        """Write the central directory and end records. Does not close the underlying stream."""
        if self._state == "closed":
            return
        self._check_open()
        self._write_central_directory()
        self._state = "closed"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._state = "failed"  # abandon: no central directory, so the partial file is not a zip

    # -- internals ----------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._state == "failed":
            raise RuntimeError("BundleWriter failed earlier; its output is incomplete and must be discarded")
        if self._state == "closed":
            raise RuntimeError("BundleWriter is closed")

    def _check_name(self, name: str) -> tuple[bytes, str]:
        """Validate without recording: a rejected name leaves the writer usable."""
        encoded = _validate_name(name)
        if self._last_name is not None:
            if name == self._last_name:
                raise ValueError(f"duplicate arcname {name!r}")
            if name < self._last_name:
                raise ValueError(
                    f"arcname {name!r} added after {self._last_name!r}: entries must be added in sorted "
                    "order (sorted() of the names) so the bundle is reproducible"
                )
        folded = unicodedata.normalize("NFC", name).casefold()
        if folded in self._folded:
            raise ValueError(f"arcname {name!r} differs from an earlier one only by case/normalization")
        parts = name.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            if parent in self._files:
                raise ValueError(f"arcname {name!r} needs {parent!r} to be a directory, but it is a file")
        return encoded, folded

    def _register(self, name: str, folded: str) -> None:
        # Just before the local header goes out: if writing fails from here on, the writer is dead anyway.
        self._last_name = name
        self._folded.add(folded)
        self._files.add(name)

    def _write(self, data: bytes) -> None:
        n = self._out.write(data)
        if n is not None and n < len(data):  # raw/unbuffered streams may do short writes (rare)
            view, done = memoryview(data), 0
            while n is not None and done + n < len(data):
                if n <= 0:
                    raise OSError("output stream accepted no bytes (non-blocking streams are not supported)")
                done += n
                # A view of immutable bytes: no copy, and still safe for writers that keep what they get.
                n = self._out.write(cast(bytes, view[done:]))
        self._offset += len(data)  # None: file objects that don't report a count wrote it all

    def _add_stream(
        self,
        arcname: str,
        name_bytes: bytes,
        source: _Readable,
        size: int | None,
        expected_sha256: str | None,
        compress: bool,
    ) -> Entry:
        if size is None:
            size = _known_size(source)
        method = _DEFLATED if compress else _STORED
        # Deflate can expand incompressible data slightly; 5% headroom is what CPython's zipfile uses.
        bound = None if size is None else (size * 105 // 100 + 64 if compress else size)
        zip64 = bound is None or bound >= ZIP64_LIMIT
        flags = _FLAG_DATA_DESCRIPTOR | (0 if name_bytes.isascii() else _FLAG_UTF8)
        offset = self._offset
        try:
            self._write(
                _LOCAL_HEADER.pack(
                    _SIG_LOCAL, _VERSION_ZIP64 if zip64 else _VERSION_DEFAULT, flags, method,
                    _DOS_TIME, _DOS_DATE, 0, 0, 0, len(name_bytes), len(_LOCAL_ZIP64_EXTRA) if zip64 else 0,
                )
                + name_bytes
                + (_LOCAL_ZIP64_EXTRA if zip64 else b"")
            )
            crc, digest, n_in, n_out = self._stream(source, compress)
            if size is not None and n_in != size:
                raise IntegrityError(f"{arcname!r}: declared {size} bytes, read {n_in} (file changed?)")
            if expected_sha256 is not None and digest != expected_sha256.lower():
                raise IntegrityError(f"{arcname!r}: sha256 {digest} != expected {expected_sha256.lower()}")
            if not zip64 and max(n_in, n_out) >= ZIP64_LIMIT:  # only reachable if deflate beat the bound
                raise IntegrityError(f"{arcname!r}: compressed size overflows a non-ZIP64 entry")
            desc = _DESCRIPTOR64 if zip64 else _DESCRIPTOR32
            self._write(desc.pack(_SIG_DESCRIPTOR, crc, n_out, n_in))
        except BaseException:
            self._state = "failed"  # local header (and maybe data) is out: the stream is not a zip anymore
            raise
        entry = Entry(name=arcname, size=n_in, sha256=digest, crc32=crc)
        self._records.append(_Record(entry, name_bytes, flags, method, n_out, offset, zip64))
        return entry

    def _stream(self, source: _Readable, compress: bool) -> tuple[int, str, int, int]:
        crc = 0
        sha = hashlib.sha256()
        n_in = n_out = 0
        comp = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15) if compress else None  # raw deflate
        read = source.read
        while True:
            chunk = read(CHUNK_SIZE)  # fresh bytes each time (see class docstring), short reads are fine
            if not chunk:
                if chunk is None:  # a non-blocking raw stream with no data yet: not EOF, don't truncate
                    raise OSError("source returned None (non-blocking streams are not supported)")
                break
            crc = zlib.crc32(chunk, crc)
            sha.update(chunk)
            n_in += len(chunk)
            out = comp.compress(chunk) if comp is not None else chunk
            if out:
                self._write(out)
                n_out += len(out)
        if comp is not None:
            tail = comp.flush()
            self._write(tail)
            n_out += len(tail)
        return crc, sha.hexdigest(), n_in, n_out

    def _write_central_directory(self) -> None:
        cd_offset = self._offset
        buf: list[bytes] = []
        buffered = 0
        for r in self._records:
            extra_vals: list[int] = []
            usize, csize, off = r.entry.size, r.compressed_size, r.offset
            # Mirror the local header: an entry written as ZIP64 keeps its sizes in the ZIP64 extra.
            if r.zip64_local or usize >= ZIP64_LIMIT or csize >= ZIP64_LIMIT:
                extra_vals += [usize, csize]
                usize = csize = 0xFFFFFFFF
            if off >= ZIP64_LIMIT:
                extra_vals.append(off)
                off = 0xFFFFFFFF
            extra = struct.pack(f"<HH{len(extra_vals)}Q", 0x0001, 8 * len(extra_vals), *extra_vals) if extra_vals else b""
            version = _VERSION_ZIP64 if extra_vals else _VERSION_DEFAULT
            rec = (
                _CENTRAL_HEADER.pack(
                    _SIG_CENTRAL, (_CREATE_SYSTEM_UNIX << 8) | version, version, r.flags, r.method,
                    _DOS_TIME, _DOS_DATE, r.entry.crc32, csize, usize, len(r.name_bytes), len(extra),
                    0, 0, 0, _EXTERNAL_ATTR, off,
                )
                + r.name_bytes
                + extra
            )
            buf.append(rec)
            buffered += len(rec)
            if buffered >= CHUNK_SIZE:  # batch small records into ~1 MiB writes
                self._write(b"".join(buf))
                buf, buffered = [], 0
        if buf:
            self._write(b"".join(buf))
        cd_size = self._offset - cd_offset
        count = len(self._records)
        big_count = count >= ZIP64_COUNT_LIMIT
        big_size, big_offset = cd_size >= ZIP64_LIMIT, cd_offset >= ZIP64_LIMIT
        if big_count or big_size or big_offset:
            eocd64_offset = self._offset
            self._write(
                _EOCD64.pack(
                    _SIG_EOCD64, _EOCD64.size - 12, (_CREATE_SYSTEM_UNIX << 8) | _VERSION_ZIP64,
                    _VERSION_ZIP64, 0, 0, count, count, cd_size, cd_offset,
                )
                + _EOCD64_LOCATOR.pack(_SIG_EOCD64_LOCATOR, 0, eocd64_offset, 1)
            )
        n16 = 0xFFFF if big_count else count  # all-ones marks "see the ZIP64 end record"
        self._write(
            _EOCD.pack(
                _SIG_EOCD, 0, 0, n16, n16,
                0xFFFFFFFF if big_size else cd_size, 0xFFFFFFFF if big_offset else cd_offset, 0,
            )
        )


class _BytesSource:
    """Minimal reader over a bytes object (no size probing needed: add_bytes passes size)."""

    __slots__ = ("_pos", "_view")

    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)
        self._pos = 0

    def read(self, n: int) -> bytes:
        chunk = bytes(self._view[self._pos : self._pos + n])
        self._pos += len(chunk)
        return chunk
