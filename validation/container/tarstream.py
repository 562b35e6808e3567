"""A forward-only tar reader: headers parsed one at a time, member data skipped or read in bounded pieces.

``tarfile`` can stream (``mode="r|"``) but skips data in 10 KiB reads and hides where a member's bytes are;
here the data of big files passes straight through (hashed by the source) and only headers, long names and
pax records are ever copied. Header decoding itself is ``tarfile.TarInfo.frombuf`` (checksums, base-256
numbers, ustar prefixes), so the format corner cases stay the standard library's.

The same reader indexes the outer archive (``FileSource``: data skipped by seeking) and walks each layer
(``ChunkSource``: data skipped by reading, because the bytes must be hashed anyway).
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

BLOCK = 512
_ZERO = bytes(BLOCK)


class TarFormatError(Exception):
    """The bytes are not a well-formed tar stream."""


class TarTruncated(TarFormatError):
    """The stream ended inside a header or inside member data."""


class Source(Protocol):
    position: int

    def read(self, n: int) -> bytes: ...

    def skip(self, n: int) -> int: ...


class FileSource:
    """A seekable local file: skipping is a seek, so indexing a 4 GB archive reads only its headers."""

    def __init__(self, fd: int, size: int, start: int = 0) -> None:
        self._fd = fd
        self._size = size
        self.position = start

    def read(self, n: int) -> bytes:
        data = os.pread(self._fd, max(0, min(n, self._size - self.position)), self.position)
        self.position += len(data)
        return data

    def skip(self, n: int) -> int:
        step = max(0, min(n, self._size - self.position))
        self.position += step
        return step


class ChunkSource:
    """Bytes arriving as an iterator of chunks (a decompressor's output), read or skipped without rejoining."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = b""
        self._pos = 0
        self.position = 0

    def _fill(self) -> bool:
        for chunk in self._chunks:
            if chunk:
                self._buf, self._pos = chunk, 0
                return True
        self._buf, self._pos = b"", 0
        return False

    def read(self, n: int) -> bytes:
        end = self._pos + n
        if end <= len(self._buf):  # the common case: a header inside the current chunk
            out = self._buf[self._pos:end]
            self._pos = end
            self.position += n
            return out
        parts = [self._buf[self._pos:]]
        got = len(parts[0])
        self._pos = len(self._buf)
        while got < n and self._fill():
            take = min(n - got, len(self._buf))
            parts.append(self._buf[:take])
            self._pos = take
            got += take
        out = b"".join(parts)
        self.position += len(out)
        return out

    def skip(self, n: int) -> int:
        done = 0
        while n > 0:
            avail = len(self._buf) - self._pos
            if avail <= 0:
                if not self._fill():
                    break
                continue
            step = min(avail, n)
            self._pos += step
            n -= step
            done += step
        self.position += done
        return done

    def drain(self) -> int:
        """Consume everything left (so the whole blob is hashed); returns how many bytes were not zero."""
        nonzero = 0
        rest = self._buf[self._pos:]
        while True:
            if rest.count(0) != len(rest):
                nonzero += len(rest) - rest.count(0)
            self.position += len(rest)
            if not self._fill():
                return nonzero
            rest, self._pos = self._buf, len(self._buf)


@dataclass(slots=True)
class TarEntry:
    name: str
    type: bytes  # a tarfile type constant: REGTYPE, DIRTYPE, SYMTYPE, LNKTYPE, CHRTYPE …
    size: int
    mode: int
    linkname: str
    devmajor: int
    devminor: int
    offset: int  # of the (first) header in the stream
    offset_data: int

    @property
    def is_file(self) -> bool:
        return self.type in tarfile.REGULAR_TYPES


def _padded(n: int) -> int:
    return (n + BLOCK - 1) // BLOCK * BLOCK


def _parse_pax(data: bytes) -> dict[str, str]:
    """Pax records ``"<len> <key>=<value>\\n"``; malformed records are a format error, never a crash."""
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        if data[pos] == 0:  # NUL padding after the last record
            break
        space = data.find(b" ", pos)
        if space < 0 or not data[pos:space].isdigit():
            raise TarFormatError("malformed pax header")
        length = int(data[pos:space])
        record = data[space + 1:pos + length]
        if length <= 0 or pos + length > len(data) or not record.endswith(b"\n") or b"=" not in record:
            raise TarFormatError("malformed pax record")
        key, _, value = record[:-1].partition(b"=")
        out[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


class TarReader:
    """Iterate the members of a tar stream; read a bounded prefix of the current member's data if wanted."""

    def __init__(self, src: Source, *, max_ext: int = 1 << 20) -> None:
        self._src = src
        self._max_ext = max_ext
        self._left = 0  # unread data bytes of the current member
        self._pad = 0  # padding after them
        self.ended_cleanly = False  # saw the end-of-archive block

    def _read_exact(self, n: int, what: str) -> bytes:
        data = self._src.read(n)
        if len(data) < n:
            raise TarTruncated(f"archive ends inside {what}")
        return data

    def _skip_current(self) -> None:
        want = self._left + self._pad
        if want and self._src.skip(want) < want:
            raise TarTruncated("archive ends inside member data")
        self._left = self._pad = 0

    def read_data(self, limit: int) -> bytes:
        """Up to ``limit`` bytes from the start of the current member (the rest is skipped later)."""
        n = min(limit, self._left)
        data = self._read_exact(n, "member data") if n else b""
        self._left -= n
        return data

    def __iter__(self) -> Iterator[TarEntry]:
        while True:
            self._skip_current()
            start = self._src.position
            hdr = self._src.read(BLOCK)
            if not hdr:
                raise TarTruncated("archive ends without the end-of-archive marker")
            if len(hdr) < BLOCK:
                raise TarTruncated("archive ends inside a header")
            if hdr == _ZERO:
                self.ended_cleanly = True
                return
            yield self._entry(hdr, start)

    def _ext_data(self, size: int, what: str) -> bytes:
        if size < 0 or size > self._max_ext:
            raise TarFormatError(f"{what} of {size} bytes is over the {self._max_ext}-byte limit")
        data = self._read_exact(_padded(size), what)
        return data[:size]

    def _entry(self, hdr: bytes, start: int) -> TarEntry:
        long_name: str | None = None
        long_link: str | None = None
        pax: dict[str, str] = {}
        while True:
            try:
                info = tarfile.TarInfo.frombuf(hdr, "utf-8", "surrogateescape")
            except tarfile.HeaderError as exc:
                raise TarFormatError(f"invalid tar header at byte {self._src.position - BLOCK}: {exc}") from None
            kind = info.type
            if kind in (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK):
                text = self._ext_data(info.size, "a GNU long name").split(b"\0", 1)[0]
                value = text.decode("utf-8", "surrogateescape")
                if kind == tarfile.GNUTYPE_LONGNAME:
                    long_name = value
                else:
                    long_link = value
            elif kind == tarfile.XHDTYPE:
                pax.update(_parse_pax(self._ext_data(info.size, "a pax header")))
            elif kind == tarfile.XGLTYPE:
                self._ext_data(info.size, "a global pax header")  # global defaults: nothing we rely on
            else:
                break
            hdr = self._read_exact(BLOCK, "a header")
            if hdr == _ZERO:
                raise TarFormatError("extended header not followed by a member")
        size = info.size
        if "size" in pax:
            if not pax["size"].isdigit():
                raise TarFormatError("pax size is not a number")
            size = int(pax["size"])
        if size < 0:
            raise TarFormatError("negative member size")
        name = pax.get("path", long_name if long_name is not None else info.name)
        linkname = pax.get("linkpath", long_link if long_link is not None else info.linkname)
        # tarfile's own rule: regular files and unknown types carry data; links, dirs and devices don't.
        has_data = info.type in tarfile.REGULAR_TYPES or info.type not in tarfile.SUPPORTED_TYPES
        self._left = size if has_data else 0
        self._pad = _padded(self._left) - self._left
        return TarEntry(name, info.type, self._left, info.mode, linkname, info.devmajor, info.devminor,
                        start, self._src.position)
