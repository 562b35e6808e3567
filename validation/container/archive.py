"""Open an uploaded image archive: ``docker save`` (old and new layouts) or an OCI image layout, as a tar.

Strategy (why it stays streaming and memory-flat): ``docker save`` may write ``manifest.json`` *last*, so we
cannot know which members are layers until the end. The upload is a local file, so a first pass reads only
the outer tar's headers, seeking over member data, and records each member's offset. Then the small JSON
documents (manifest, index, config) are read from their offsets, and each layer is streamed from its offset
in layer order. Nothing is extracted; no layer is ever held whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from validation.container.limits import ReadLimits
from validation.container.report import Problem
from validation.container.streams import GZIP_MAGIC, ZSTD_MAGIC
from validation.container.tarstream import FileSource, TarFormatError, TarReader, TarTruncated

INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
MANIFEST_TYPES = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
}
_BLOB = re.compile(r"^blobs/(sha256|sha512)/([0-9a-f]{64}|[0-9a-f]{128})$")
_HEX_JSON = re.compile(r"^([0-9a-f]{64})\.json$")
_DIGEST = re.compile(r"^(sha256|sha512):([0-9a-f]+)$")


class ImageError(Exception):
    """The archive cannot yield an image; carries the finding it becomes."""

    def __init__(self, code: str, message: str, location: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.location = code, message, location


@dataclass(frozen=True)
class Member:
    name: str
    offset: int  # of the data
    size: int
    type: bytes
    linkname: str


@dataclass
class LayerRef:
    index: int
    member: Member
    digest: str = ""  # "sha256:…" of the blob as stored, when known
    diff_id: str = ""  # "sha256:…" of the uncompressed tar, from the config
    media_type: str = ""
    declared_size: int | None = None


@dataclass
class ImageLayout:
    format: str  # docker-save | oci
    config: dict
    config_digest: str
    layers: list[LayerRef]
    manifest_digest: str = ""
    repo_tags: list[str] = field(default_factory=list)
    platforms_available: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _clean(name: str) -> str:
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/")


def index_members(fd: int, size: int, limits: ReadLimits, problems: list[Problem]) -> dict[str, Member]:
    """Pass one: every outer member's offset and size, reading headers only."""
    head = os.pread(fd, 4, 0)
    if head.startswith(GZIP_MAGIC) or head.startswith(ZSTD_MAGIC):
        raise ImageError("container.E001", "The archive is compressed as a whole; upload the plain .tar that "
                         "`docker save` or `skopeo copy … oci-archive:` writes (decompress it first).")
    members: dict[str, Member] = {}
    reader = TarReader(FileSource(fd, size), max_ext=limits.max_header_ext)
    try:
        for entry in reader:
            if len(members) >= limits.max_outer_members:
                raise ImageError("container.E001", f"More than {limits.max_outer_members:,} members in the archive.")
            # Data must lie inside the file; a truncated upload shows up here at the latest.
            if entry.offset_data + entry.size > size:
                raise TarTruncated(f"member {entry.name!r} runs past the end of the file")
            members[_clean(entry.name)] = Member(_clean(entry.name), entry.offset_data, entry.size,
                                                 entry.type, entry.linkname)
    except TarTruncated as exc:
        # Keep what we indexed: a missing end marker after complete members still lets us explain more.
        problems.append(Problem("container.E001", f"The archive is truncated: {exc}.", "archive",
                                {"bytes": size}))
    except TarFormatError as exc:
        if not members:
            raise ImageError("container.E001", f"This is not a tar archive ({exc}).") from None
        problems.append(Problem("container.E001", f"The archive is corrupt after {len(members)} members: {exc}.",
                                "archive"))
    return members


class ArchiveIndex:
    """The outer archive: members by name, plus bounded reads of small documents."""

    def __init__(self, fd: int, size: int, members: dict[str, Member], limits: ReadLimits) -> None:
        self.fd, self.size, self.members, self.limits = fd, size, members, limits

    def resolve(self, name: str) -> Member | None:
        """A member by name, following the outer tar's own links (``docker save`` dedups layers that way)."""
        name = _clean(name)
        for _ in range(8):
            m = self.members.get(name)
            if m is None or m.type not in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                return m
            base = posixpath.dirname(name) if m.type == tarfile.SYMTYPE else ""
            target = posixpath.normpath(posixpath.join(base, m.linkname))
            if target.startswith("../") or target == ".." or m.linkname.startswith("/"):
                raise ImageError("container.E007", f"Archive member {name!r} links outside the archive "
                                 f"({m.linkname!r}).", f"archive:{name}")
            name = _clean(target)
        raise ImageError("container.E007", f"Archive member {name!r} is a loop of links.", f"archive:{name}")

    def read_small(self, m: Member, what: str) -> bytes:
        if m.size > self.limits.max_json:
            raise ImageError("container.E002", f"The {what} is {m.size:,} bytes, over the "
                             f"{self.limits.max_json:,}-byte limit.", f"archive:{m.name}")
        data = os.pread(self.fd, m.size, m.offset)
        if len(data) < m.size:
            raise ImageError("container.E001", f"The archive is truncated inside the {what}.", f"archive:{m.name}")
        return data

    def json_member(self, name: str, what: str) -> tuple[object, bytes]:
        m = self.resolve(name)
        if m is None:
            raise ImageError("container.E003", f"The {what} ({name}) is not in the archive.", f"archive:{name}")
        data = self.read_small(m, what)
        try:
            return json.loads(data), data
        except (ValueError, UnicodeDecodeError) as exc:
            raise ImageError("container.E002", f"The {what} ({name}) is not valid JSON: {exc}.",
                             f"archive:{name}") from None

    def blob(self, digest: str, what: str) -> tuple[object, bytes]:
        """A JSON blob by digest from ``blobs/<alg>/<hex>``, checked against its digest."""
        m = _DIGEST.match(digest or "")
        if not m:
            raise ImageError("container.E002", f"The {what} digest {digest!r} is not valid.")
        name = f"blobs/{m.group(1)}/{m.group(2)}"
        doc, raw = self.json_member(name, what)
        if hashlib.new(m.group(1), raw).hexdigest() != m.group(2):
            raise ImageError("container.E004", f"The {what} does not match its digest {digest}.", f"archive:{name}")
        return doc, raw


def _obj(doc: object, what: str, location: str) -> dict:
    if not isinstance(doc, dict):
        raise ImageError("container.E002", f"The {what} is not a JSON object.", location)
    return doc


def _platform(p: object) -> str:
    if not isinstance(p, dict):
        return ""
    s = f"{p.get('os', '')}/{p.get('architecture', '')}"
    return s + (f"/{p['variant']}" if p.get("variant") else "")


def _choose(descs: list[dict], prefer: Sequence[str], notes: list[str], available: list[str]) -> dict:
    """One image out of an index: the first preferred platform; attestations (unknown/unknown) never."""
    usable = [d for d in descs if isinstance(d, dict) and _platform(d.get("platform")) != "unknown/unknown"]
    if not usable:
        raise ImageError("container.E002", "The index lists no image manifest.")
    plats = [_platform(d.get("platform")) for d in usable]
    available.extend(p for p in plats if p and p not in available)
    for want in prefer:
        for d, p in zip(usable, plats):
            if p == want or p.startswith(want + "/"):
                return d
    if len(usable) > 1:
        notes.append(f"The index has {len(usable)} images and none for {', '.join(prefer)}; the first was read.")
    return usable[0]


def _oci(ix: ArchiveIndex, prefer: Sequence[str]) -> ImageLayout:
    layout, _ = ix.json_member("oci-layout", "oci-layout file")
    if not isinstance(layout, dict) or not layout.get("imageLayoutVersion"):
        raise ImageError("container.E002", "oci-layout has no imageLayoutVersion.", "archive:oci-layout")
    doc, _ = ix.json_member("index.json", "image index")
    notes: list[str] = []
    available: list[str] = []
    digest = ""
    for depth in range(5):  # index → (index →)* manifest; bounded against loops
        doc = _obj(doc, "image index", "archive:index.json" if depth == 0 else digest)
        if "manifests" in doc or doc.get("mediaType") in INDEX_TYPES:
            descs = doc.get("manifests")
            if not isinstance(descs, list):
                raise ImageError("container.E002", "The index has no manifests list.", digest or "index.json")
            chosen = _choose(descs, prefer, notes, available)
            digest = str(chosen.get("digest", ""))
            doc, _ = ix.blob(digest, "image manifest")
            continue
        if "schemaVersion" in doc and doc.get("schemaVersion") == 1:
            raise ImageError("container.E002", "Docker schema-1 manifests are not supported by ECR or SageMaker.")
        if not isinstance(doc.get("layers"), list) or not isinstance(doc.get("config"), dict):
            raise ImageError("container.E002", "The image manifest has no layers or config.", digest)
        cfg_digest = str(doc["config"].get("digest", ""))
        config, _ = ix.blob(cfg_digest, "image config")
        layers = []
        for i, d in enumerate(doc["layers"]):
            d = _obj(d, f"layer {i} descriptor", digest)
            ldig = str(d.get("digest", ""))
            dm = _DIGEST.match(ldig)
            if not dm:
                raise ImageError("container.E002", f"Layer {i} has no valid digest.", f"layer:{i}")
            member = ix.resolve(f"blobs/{dm.group(1)}/{dm.group(2)}")
            if member is None:
                raise ImageError("container.E003", f"Layer {i} blob {ldig} is not in the archive"
                                 + (" (a foreign layer with URLs)." if d.get("urls") else "."), f"layer:{i}")
            size = d.get("size")
            layers.append(LayerRef(i, member, ldig, "", str(d.get("mediaType", "")),
                                   size if isinstance(size, int) else None))
        return ImageLayout("oci", _obj(config, "image config", cfg_digest), cfg_digest, layers, digest,
                           platforms_available=available, notes=notes)
    raise ImageError("container.E002", "The index nests deeper than 5 levels.")


def _docker(ix: ArchiveIndex) -> ImageLayout:
    doc, _ = ix.json_member("manifest.json", "manifest.json")
    if not isinstance(doc, list) or not doc or not isinstance(doc[0], dict):
        raise ImageError("container.E002", "manifest.json is not a list of images.", "archive:manifest.json")
    notes = [f"The archive holds {len(doc)} images; the first was read."] if len(doc) > 1 else []
    entry = doc[0]
    cfg_name, layer_names = entry.get("Config"), entry.get("Layers")
    if not isinstance(cfg_name, str) or not isinstance(layer_names, list):
        raise ImageError("container.E002", "manifest.json has no Config or Layers.", "archive:manifest.json")
    config, raw = ix.json_member(cfg_name, "image config")
    cfg_digest = ""
    named = _BLOB.match(_clean(cfg_name)) or _HEX_JSON.match(posixpath.basename(cfg_name))
    if named:
        alg, hexd = (named.group(1), named.group(2)) if named.re is _BLOB else ("sha256", named.group(1))
        cfg_digest = f"{alg}:{hexd}"
        if hashlib.new(alg, raw).hexdigest() != hexd:
            raise ImageError("container.E004", "The image config does not match its digest.", f"archive:{cfg_name}")
    layers = []
    for i, name in enumerate(layer_names):
        if not isinstance(name, str):
            raise ImageError("container.E002", f"Layer {i} in manifest.json is not a path.", "archive:manifest.json")
        member = ix.resolve(name)
        if member is None:
            raise ImageError("container.E003", f"Layer {i} ({name}) is not in the archive.", f"layer:{i}")
        blob = _BLOB.match(_clean(name))
        layers.append(LayerRef(i, member, f"{blob.group(1)}:{blob.group(2)}" if blob else ""))
    tags = entry.get("RepoTags") or []
    return ImageLayout("docker-save", _obj(config, "image config", cfg_name), cfg_digest, layers,
                       repo_tags=[t for t in tags if isinstance(t, str)], notes=notes)


def open_layout(ix: ArchiveIndex, prefer: Sequence[str]) -> ImageLayout:
    """Find the image in an indexed archive; attach diff_ids from the config (their count must match)."""
    if "manifest.json" in ix.members:  # docker save, including Docker 25+ which also writes index.json
        layout = _docker(ix)
    elif "index.json" in ix.members:
        layout = _oci(ix, prefer)
    else:
        raise ImageError("container.E002", "Neither manifest.json (docker save) nor index.json (OCI layout) is "
                         "in the archive.")
    rootfs = layout.config.get("rootfs")
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(diff_ids, list) or len(diff_ids) != len(layout.layers):
        raise ImageError("container.E002", f"The config lists {len(diff_ids) if isinstance(diff_ids, list) else 0} "
                         f"diff_ids for {len(layout.layers)} layers.", "config:rootfs")
    for ref, diff in zip(layout.layers, diff_ids):
        ref.diff_id = diff if isinstance(diff, str) else ""
    return layout
