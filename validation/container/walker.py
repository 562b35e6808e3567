"""Stream each layer once: check digests, refuse hostile members, feed the tree and the content scanner."""

from __future__ import annotations

import hashlib
import heapq
import posixpath
import tarfile
from collections.abc import Callable, Iterator
from functools import partial

from validation.container.archive import LayerRef
from validation.container.content import ContentScanner
from validation.container.filesystem import FileRec, LayeredTree, ThroughSymlink
from validation.container.limits import ReadLimits
from validation.container.report import ImageReport, LayerReport, WastedFile
from validation.container.streams import Guard, LayerBomb, LayerReadError, StreamStats, layer_bytes, sniff
from validation.container.tarstream import ChunkSource, TarEntry, TarFormatError, TarReader, TarTruncated

# ``streams.layer_bytes`` with its source (file offset or HTTP body) already bound: keyword arguments only.
LayerBytes = Callable[..., Iterator[bytes]]

_DEVICES = {tarfile.CHRTYPE: "character device", tarfile.BLKTYPE: "block device"}


def safe_path(name: str) -> tuple[str, str]:
    """(normalised path without leading slash, problem or "")."""
    if name.startswith("/"):
        return "", "absolute path"
    parts = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            return "", "path climbs out of the image root with '..'"
        parts.append(part)
    return "/".join(parts), ""


def escapes(path: str, target: str) -> bool:
    """Does a relative link target at ``path`` climb above the image root (lexically)?"""
    depth = path.count("/")  # depth of the link's directory
    for part in target.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


class LayerWalker:
    def __init__(self, report: ImageReport, limits: ReadLimits, scanner: ContentScanner,
                 meter: Callable[[int], None]) -> None:
        self.report, self.limits, self.scanner, self.meter = report, limits, scanner, meter
        self.tree = LayeredTree(self._hidden)
        self.entries = 0
        self._image_budget = [limits.max_image_uncompressed]
        self._top: list[tuple[int, str, int, int, str]] = []  # min-heap of the largest wasted files
        self._layers: list[LayerReport] = []

    def _hidden(self, path: str, rec: FileRec, by: int, how: str) -> None:
        self.scanner.forget(path)
        size = rec[1]
        if not size:
            return
        self._layers[rec[0]].wasted_bytes += size
        if how == "deleted":
            self.report.deleted_bytes += size
        else:
            self.report.overwritten_bytes += size
        item = (size, "/" + path, rec[0], by, how)
        if len(self._top) < self.limits.top_waste:
            heapq.heappush(self._top, item)
        elif item > self._top[0]:
            heapq.heapreplace(self._top, item)

    def top_wasted(self) -> list[WastedFile]:
        return [WastedFile(p, s, layer, by, how) for s, p, layer, by, how in sorted(self._top, reverse=True)]

    def read(self, fd: int, ref: LayerRef, lr: LayerReport) -> None:
        self._layers.append(lr)
        where = f"layer:{ref.index}"
        try:
            self._read(fd, ref, lr)
        except LayerBomb as exc:
            self.report.problem(exc.code, f"Layer {ref.index}: {exc}", where)
        except LayerReadError as exc:
            self.report.problem(exc.code, f"Layer {ref.index}: {exc}", where)
        except TarTruncated as exc:
            self.report.problem("container.E001", f"Layer {ref.index} is truncated: {exc}.", where)

    def _hashers(self, ref: LayerRef, compression: str) -> tuple[dict, dict]:
        blob = {ref.digest: hashlib.new(ref.digest.split(":")[0])} if ref.digest else {}
        diff = {}
        if ref.diff_id and ":" in ref.diff_id:
            if compression == "none" and ref.diff_id.split(":")[0] == ref.digest.split(":")[0]:
                diff = {ref.diff_id: next(iter(blob.values()))}  # the same bytes: hash once
            else:
                try:
                    diff = {ref.diff_id: hashlib.new(ref.diff_id.split(":")[0])}
                except ValueError:
                    pass
        return blob, diff

    def _read(self, fd: int, ref: LayerRef, lr: LayerReport) -> None:
        m = ref.member
        lr.size_compressed = m.size
        if ref.declared_size is not None and ref.declared_size != m.size:
            self.report.problem("container.E004", f"Layer {ref.index} is {m.size:,} bytes but the manifest says "
                                f"{ref.declared_size:,}.", f"layer:{ref.index}", size=m.size,
                                declared=ref.declared_size)
        compression = sniff(fd, m.offset, m.size)
        self._walk_layer(ref, lr, compression, partial(layer_bytes, fd, m.offset, m.size))

    def _walk_layer(self, ref: LayerRef, lr: LayerReport, compression: str, open_bytes: LayerBytes) -> None:
        """Hash, decompress and walk one layer, then check its digests. ``open_bytes`` is ``streams.layer_bytes``
        bound to where the blob comes from (archive or registry), so both sources share one walk."""
        lr.compression = compression
        blob, diff = self._hashers(ref, compression)
        diff_list = [h for h in diff.values() if all(h is not b for b in blob.values())]
        stats = StreamStats()
        chunks = open_bytes(compression=compression, blob_hashers=list(blob.values()), diff_hashers=diff_list,
                            meter=self.meter, guard=Guard(self.limits, self._image_budget), stats=stats,
                            limits=self.limits)
        src = ChunkSource(chunks)
        reader = TarReader(src, max_ext=self.limits.max_header_ext)
        try:
            try:
                for entry in reader:
                    self.entries += 1
                    if self.entries > self.limits.max_entries:
                        raise LayerBomb(f"more than {self.limits.max_entries:,} files in the image")
                    lr.files += 1
                    self._entry(entry, ref.index, reader)
            except TarTruncated:
                raise  # nothing more can be read: reported by ``read``
            except TarFormatError as exc:
                self.report.problem("container.E001", f"Layer {ref.index} is not a valid tar stream: {exc}.",
                                    f"layer:{ref.index}")
            src.drain()  # the rest of the blob still counts for its digest
        finally:
            lr.size_uncompressed = stats.uncompressed  # as far as it got, also when stopped as a bomb
        ok = True
        checks = list(blob.items()) + [(k, h) for k, h in diff.items() if k not in blob]
        for expected, h in checks:
            got = f"{expected.split(':')[0]}:{h.hexdigest()}"
            if got != expected:
                ok = False
                what = "blob" if expected in blob else "uncompressed content (diff_id)"
                self.report.problem("container.E004", f"Layer {ref.index}: the {what} is {got}, but the "
                                    f"{'manifest' if expected in blob else 'config'} says {expected}.",
                                    f"layer:{ref.index}", expected=expected, actual=got)
        lr.complete = ok and reader.ended_cleanly

    def _entry(self, entry: TarEntry, layer: int, reader: TarReader) -> None:
        path, bad = safe_path(entry.name)
        loc = f"layer:{layer}:{entry.name}"
        if bad:
            self.report.problem("container.E006", f"Unsafe member name {entry.name!r} ({bad}).", loc)
            return
        if not path:
            return  # the root directory itself
        base = posixpath.basename(path)
        if base.startswith(".wh."):
            parent = posixpath.dirname(path)
            try:
                if base == ".wh..wh..opq":
                    self.tree.opaque(parent, layer)
                else:
                    self.tree.whiteout(posixpath.join(parent, base[4:]) if parent else base[4:], layer)
            except ThroughSymlink as exc:
                self.report.problem("container.E007", f"Whiteout {entry.name!r} passes through the symbolic "
                                    f"link /{exc}.", loc)
            return
        kind, link = "o", ""
        t = entry.type
        if t in _DEVICES:
            self.report.problem("container.E008", f"{_DEVICES[t].capitalize()} /{path} "
                                f"({entry.devmajor},{entry.devminor}) in a layer.", loc)
            return
        if t == tarfile.SYMTYPE:
            kind, link = "l", entry.linkname
            if link.startswith("/"):
                self.report.absolute_symlinks += 1
            elif escapes(path, link):
                self.report.problem("container.E007", f"Symbolic link /{path} → {link!r} climbs out of the "
                                    "image root.", loc, target=link)
                return
        elif t == tarfile.LNKTYPE:
            kind = "h"
            target, bad = safe_path(entry.linkname)
            if bad or not target:
                self.report.problem("container.E007", f"Hard link /{path} → {entry.linkname!r} points outside "
                                    f"the image ({bad or 'empty target'}).", loc, target=entry.linkname)
                return
            link = target
        elif t == tarfile.DIRTYPE:
            kind = "d"
        elif entry.is_file or t not in tarfile.SUPPORTED_TYPES:
            kind = "f"
        try:
            self.tree.add(path, layer, kind, entry.size, entry.mode, link)
        except ThroughSymlink as exc:
            self.report.problem("container.E007", f"/{path} is written through the symbolic link /{exc} — a way "
                                "to place files outside the image root.", loc)
            return
        if kind == "f" and entry.size:
            self.scanner.on_file(path, entry.size, layer, reader.read_data)
