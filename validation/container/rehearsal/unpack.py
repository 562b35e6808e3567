"""Unpack an image's layers into a root folder, the way a container runtime does — and nothing outside it.

The archive is read with the static analysis' own machinery (``archive`` for the outer tar and the
manifest, ``streams`` for decompression with digests and bomb guards, ``tarstream`` for the members,
``walker.safe_path``/``escapes`` for hostile names): no second tar parser. What differs is the consumer:
members are written to disk, whiteouts delete, opaque markers clear lower layers.

Safety: every parent folder is resolved *inside* the root the way the container will see it (absolute
symlinks re-rooted, ``..`` stopping at the root — containerd's ``RootPath``), the final component is never
followed (an existing symlink is replaced, not written through), hard links must name a regular file inside
the root, relative symlinks that climb out of the root are refused, device nodes are skipped (the sandbox
provides /dev). A layer whose digest does not match aborts the unpack.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import stat
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from validation.container.archive import ArchiveIndex, ImageError, LayerRef, index_members, open_layout
from validation.container.limits import DEFAULT_LIMITS, ReadLimits
from validation.container.streams import Guard, LayerReadError, StreamStats, layer_bytes, sniff
from validation.container.tarstream import ChunkSource, TarEntry, TarFormatError, TarReader
from validation.container.walker import escapes, safe_path

_CHUNK = 1024 * 1024
_MAX_HOPS = 40
_NOTES_KEPT = 20


class UnpackError(Exception):
    """The image cannot be turned into a root folder (broken, hostile or too big)."""


@dataclass
class Unpacked:
    root: Path
    config: dict  # the image config ("config": {Env, Entrypoint, Cmd, WorkingDir, Labels, …})
    format: str
    layers: int = 0
    files: int = 0
    bytes: int = 0
    refused: list[str] = field(default_factory=list)  # members not written, and why
    skipped_devices: int = 0


def _lexists(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _remove(path: str) -> None:
    st = _lexists(path)
    if st is None:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)  # fd-based on Linux: never follows symlinks inside
    else:
        os.unlink(path)


def resolve_in_root(root: str, rel: str, *, create: bool) -> str | None:
    """The real folder ``rel`` names inside ``root``, following symlinks as the container would.

    Returns None when a component is missing and ``create`` is False. Raises UnpackError on link loops.
    """
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    done: list[str] = []
    hops = _MAX_HOPS
    while parts:
        name = parts.pop(0)
        if name == "..":
            if done:
                done.pop()
            continue
        cur = os.path.join(root, *done, name)
        st = _lexists(cur)
        if st is None:
            if not create:
                return None
            os.mkdir(cur, 0o755)
        elif stat.S_ISLNK(st.st_mode):
            hops -= 1
            if hops < 0:
                raise UnpackError(f"too many symbolic links resolving /{rel}")
            target = os.readlink(cur)
            if target.startswith("/"):
                done = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        elif not stat.S_ISDIR(st.st_mode):
            if not create:
                return None
            os.unlink(cur)  # a file where a later layer puts a folder
            os.mkdir(cur, 0o755)
        done.append(name)
    return os.path.join(root, *done)


class _Writer:
    def __init__(self, out: Unpacked, max_bytes: int) -> None:
        self.out, self.root, self.max_bytes = out, str(out.root), max_bytes
        self.layer_paths: set[str] = set()

    def refuse(self, name: str, why: str) -> None:
        if len(self.out.refused) < _NOTES_KEPT:
            self.out.refused.append(f"/{name}: {why}")

    def entry(self, e: TarEntry, reader: TarReader) -> None:
        path, bad = safe_path(e.name)
        if bad:
            return self.refuse(e.name, bad)
        if not path:
            return
        parent_rel, base = posixpath.split(path)
        if base.startswith(".wh."):
            parent = resolve_in_root(self.root, parent_rel, create=False)
            if parent is None:
                return
            if base == ".wh..wh..opq":
                for child in os.listdir(parent):
                    full = os.path.join(parent, child)
                    if full not in self.layer_paths:
                        _remove(full)
            else:
                _remove(os.path.join(parent, base[4:]))
            return
        t = e.type
        if t in (tarfile.CHRTYPE, tarfile.BLKTYPE):
            self.out.skipped_devices += 1
            return
        if t == tarfile.SYMTYPE and not e.linkname.startswith("/") and escapes(path, e.linkname):
            return self.refuse(path, f"symbolic link to {e.linkname!r} climbs out of the image root")
        parent = resolve_in_root(self.root, parent_rel, create=True)
        assert parent is not None
        target = os.path.join(parent, base)
        self.layer_paths.add(target)
        mode = e.mode & 0o1777  # no setuid/setgid bits: everything runs as root anyway
        if t == tarfile.DIRTYPE:
            st = _lexists(target)
            if st is None or not stat.S_ISDIR(st.st_mode):
                _remove(target)
                os.mkdir(target, 0o755)
            os.chmod(target, mode | 0o700)
            return
        _remove(target)
        self.out.files += 1
        if t == tarfile.SYMTYPE:
            os.symlink(e.linkname, target)
        elif t == tarfile.LNKTYPE:
            self._hardlink(path, e.linkname, target)
        elif t == tarfile.FIFOTYPE:
            os.mkfifo(target, mode)
        elif e.is_file or t not in tarfile.SUPPORTED_TYPES:
            self._file(target, e, reader, mode)

    def _hardlink(self, path: str, linkname: str, target: str) -> None:
        rel, bad = safe_path(linkname)
        src_dir = resolve_in_root(self.root, posixpath.dirname(rel), create=False) if rel and not bad else None
        src = os.path.join(src_dir, posixpath.basename(rel)) if src_dir else ""
        st = _lexists(src) if src else None
        if st is None or not stat.S_ISREG(st.st_mode):
            self.out.files -= 1
            return self.refuse(path, f"hard link to {linkname!r}, which is not a file inside the image")
        os.link(src, target, follow_symlinks=False)

    def _file(self, target: str, e: TarEntry, reader: TarReader, mode: int) -> None:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            while True:
                data = reader.read_data(_CHUNK)
                if not data:
                    break
                self.out.bytes += len(data)
                if self.out.bytes > self.max_bytes:
                    raise UnpackError(f"the image unpacks to more than {self.max_bytes:,} bytes")
                os.write(fd, data)
            os.fchmod(fd, mode)
        finally:
            os.close(fd)


def _hashers(ref: LayerRef) -> list[tuple[str, object]]:
    out = []
    for digest in (ref.digest, ref.diff_id):
        if digest and ":" in digest:
            try:
                out.append((digest, hashlib.new(digest.split(":")[0])))
            except ValueError:
                pass
    return out


def _layer(fd: int, ref: LayerRef, writer: _Writer, limits: ReadLimits, budget: list[int]) -> None:
    m = ref.member
    compression = sniff(fd, m.offset, m.size)
    hashes = _hashers(ref)
    blob = [h for d, h in hashes if d == ref.digest]
    diff = [h for d, h in hashes if d != ref.digest]
    if compression == "none":  # the blob is the tar: both digests over the same bytes
        blob, diff = blob + diff, []
    chunks = layer_bytes(fd, m.offset, m.size, compression=compression, blob_hashers=blob, diff_hashers=diff,
                         meter=lambda n: None, guard=Guard(limits, budget), stats=StreamStats(), limits=limits)
    src = ChunkSource(chunks)
    reader = TarReader(src, max_ext=limits.max_header_ext)
    writer.layer_paths = set()
    for entry in reader:
        writer.entry(entry, reader)
    src.drain()
    for expected, h in hashes:
        got = f"{expected.split(':')[0]}:{h.hexdigest()}"
        if got != expected:
            raise UnpackError(f"layer {ref.index} does not match its digest ({got}, expected {expected})")


def unpack_image(archive: str | os.PathLike, root: Path, *, max_bytes: int,
                 limits: ReadLimits = DEFAULT_LIMITS, platforms: tuple[str, ...] = ("linux/amd64",),
                 progress: Callable[[int, int, Unpacked], None] | None = None) -> Unpacked:
    """Write the image's final file system into ``root`` (created empty). Raises UnpackError.

    ``progress(layers done, layers, so far)`` is called after each layer."""
    root.mkdir(mode=0o755)
    try:
        fd = os.open(archive, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise UnpackError(f"the image archive cannot be opened: {exc.strerror}") from None
    try:
        size = os.fstat(fd).st_size
        problems: list = []
        ix = ArchiveIndex(fd, size, index_members(fd, size, limits, problems), limits)
        if problems:
            raise UnpackError(problems[0].message)
        layout = open_layout(ix, platforms)
        out = Unpacked(root, layout.config, layout.format, len(layout.layers))
        writer = _Writer(out, max_bytes)
        budget = [limits.max_image_uncompressed]
        for ref in layout.layers:
            _layer(fd, ref, writer, limits, budget)
            if progress:
                progress(ref.index + 1, len(layout.layers), out)
        return out
    except ImageError as exc:
        raise UnpackError(exc.message) from None
    except (LayerReadError, TarFormatError) as exc:
        raise UnpackError(f"a layer cannot be read: {exc}") from None
    finally:
        os.close(fd)


def read_config(archive: str | os.PathLike, *, limits: ReadLimits = DEFAULT_LIMITS,
                platforms: tuple[str, ...] = ("linux/amd64",)) -> dict:
    """Only the image config (for runners that do not unpack). Raises UnpackError."""
    try:
        fd = os.open(archive, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise UnpackError(f"the image archive cannot be opened: {exc.strerror}") from None
    try:
        size = os.fstat(fd).st_size
        ix = ArchiveIndex(fd, size, index_members(fd, size, limits, []), limits)
        return open_layout(ix, platforms).config
    except ImageError as exc:
        raise UnpackError(exc.message) from None
    finally:
        os.close(fd)


def place_file(root: Path, rel: str, data: bytes) -> None:
    """Write a runtime file (``/etc/resolv.conf`` …) inside the root, replacing a symlink rather than following it."""
    parent = resolve_in_root(str(root), posixpath.dirname(rel), create=True)
    assert parent is not None
    target = os.path.join(parent, posixpath.basename(rel))
    _remove(target)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def mount_point(root: Path, rel: str, *, is_file: bool = False) -> str:
    """Make sure ``rel`` exists as a real folder (or file) inside the root; return its in-root path.

    The sandbox mounts there, so the path must not pass through a symlink that would lead the mount
    elsewhere: the returned path is the resolved one (e.g. /usr/opt/ml/model when /opt → /usr/opt).
    """
    if is_file:
        parent = resolve_in_root(str(root), posixpath.dirname(rel), create=True)
        assert parent is not None
        target = os.path.join(parent, posixpath.basename(rel))
        st = _lexists(target)
        if st is None or not stat.S_ISREG(st.st_mode):
            _remove(target)
            open(target, "xb").close()
    else:
        target = resolve_in_root(str(root), rel, create=True) or ""
    rel_path = os.path.relpath(target, root)
    return "/" if rel_path == "." else "/" + rel_path
