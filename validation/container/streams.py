"""One layer blob as a stream of uncompressed bytes: read from the archive, hashed, decompressed, bounded.

Memory per layer is a few chunks (``ReadLimits.chunk_size``) whatever the layer size: compressed bytes are
read with ``os.pread`` (no shared file position, so the outer index and the layers never disturb each
other), hashed on the way in, and decompressed with an output cap per call — a 1 MiB gzip chunk of zeros
would otherwise inflate to 1 GiB in a single call.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import zstandard

from validation.container.limits import ReadLimits

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_UNSUPPORTED = {b"BZh": "bzip2", b"\xfd7zXZ": "xz"}


class LayerReadError(Exception):
    """A layer could not be read to the end; ``code`` is the rule it breaks."""

    code = "container.E001"


class LayerTruncated(LayerReadError):
    pass


class LayerBomb(LayerReadError):
    code = "container.E005"


def sniff(fd: int, offset: int, size: int) -> str:
    """``gzip``, ``zstd`` or ``none`` from the blob's first bytes (media types lie; magic numbers don't)."""
    head = os.pread(fd, min(8, size), offset)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    for magic, name in _UNSUPPORTED.items():
        if head.startswith(magic):
            raise LayerReadError(f"the layer is {name}-compressed; OCI layers are tar, gzip or zstd")
    return "none"


@dataclass
class StreamStats:
    compression: str = "none"
    compressed: int = 0  # bytes of the blob read so far
    uncompressed: int = 0  # bytes produced so far


class Region:
    """``size`` bytes at ``offset`` of the archive; every byte read is hashed and reported to ``meter``."""

    def __init__(self, fd: int, offset: int, size: int, hashers: list, meter: Callable[[int], None],
                 stats: StreamStats) -> None:
        self._fd, self._offset, self._size = fd, offset, size
        self._hashers, self._meter, self._stats = hashers, meter, stats
        self._done = 0

    def read(self, n: int = -1) -> bytes:
        left = self._size - self._done
        n = left if n is None or n < 0 else min(n, left)
        if n <= 0:
            return b""
        data = os.pread(self._fd, n, self._offset + self._done)
        if len(data) < n:
            raise LayerTruncated("the archive ends inside this layer (truncated upload?)")
        for h in self._hashers:
            h.update(data)
        self._done += n
        self._stats.compressed += n
        self._meter(n)
        return data


class Guard:
    """Decompression-bomb limits for one layer, plus the image-wide total carried between layers."""

    def __init__(self, limits: ReadLimits, image_budget: list[int]) -> None:
        self._limits = limits
        self._image_budget = image_budget  # one-element list: bytes the whole image may still expand to

    def check(self, stats: StreamStats, produced: int) -> None:
        stats.uncompressed += produced
        self._image_budget[0] -= produced
        lim = self._limits
        if stats.uncompressed > lim.max_layer_uncompressed:
            raise LayerBomb(f"the layer expands past {lim.max_layer_uncompressed:,} bytes")
        if self._image_budget[0] < 0:
            raise LayerBomb(f"the image expands past {lim.max_image_uncompressed:,} bytes")
        if (stats.compression != "none" and stats.uncompressed > lim.ratio_floor
                and stats.uncompressed > lim.max_ratio * max(stats.compressed, 1)):
            raise LayerBomb(
                f"{stats.compressed:,} compressed bytes expanded to {stats.uncompressed:,} "
                f"(over {lim.max_ratio:g}×): a decompression bomb"
            )


def _gzip(region: Region, chunk: int) -> Iterator[bytes]:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    while True:
        data = region.read(chunk)
        if not data:
            break
        while data:
            try:
                out = d.decompress(data, chunk)
            except zlib.error as exc:
                raise LayerReadError(f"the gzip stream is corrupt: {exc}") from None
            data = d.unconsumed_tail
            if out:
                yield out
            if d.eof:
                rest = d.unused_data + data
                if rest.startswith(GZIP_MAGIC):  # concatenated members (pigz, some builders)
                    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    data = rest
                elif rest.count(0) == len(rest):
                    data = b""  # zero padding after the stream: harmless, still hashed
                else:
                    raise LayerReadError("bytes after the end of the gzip stream")
    while not d.eof:  # output zlib still holds for the input it has (bounded per call)
        out = d.decompress(b"", chunk)
        if not out:
            raise LayerTruncated("the gzip stream ends early (truncated layer)")
        yield out


def _zstd(region: Region, chunk: int) -> Iterator[bytes]:
    reader = zstandard.ZstdDecompressor().stream_reader(region, read_size=chunk, read_across_frames=True)
    try:
        while True:
            out = reader.read(chunk)
            if not out:
                break
            yield out
    except zstandard.ZstdError as exc:
        raise LayerReadError(f"the zstd stream is corrupt or truncated: {exc}") from None


def _plain(region: Region, chunk: int) -> Iterator[bytes]:
    while True:
        data = region.read(chunk)
        if not data:
            return
        yield data


def layer_bytes(fd: int, offset: int, size: int, *, compression: str, blob_hashers: list,
                diff_hashers: list, meter: Callable[[int], None], guard: Guard, stats: StreamStats,
                limits: ReadLimits) -> Iterator[bytes]:
    """The uncompressed tar bytes of one layer, in chunks, hashed (blob and diff) on the way through."""
    stats.compression = compression
    if compression == "none":
        # One pass of hashing serves both digests: the blob *is* the uncompressed tar.
        region = Region(fd, offset, size, blob_hashers + diff_hashers, meter, stats)
        for data in _plain(region, limits.chunk_size):
            guard.check(stats, len(data))
            yield data
        return
    region = Region(fd, offset, size, blob_hashers, meter, stats)
    produce = _gzip if compression == "gzip" else _zstd
    for out in produce(region, limits.chunk_size):
        for h in diff_hashers:
            h.update(out)
        guard.check(stats, len(out))
        yield out
    if region.read(1):  # a zstd reader may stop at the frame end with blob bytes left
        raise LayerReadError("bytes after the end of the compressed stream")
