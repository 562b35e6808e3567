"""Build tiny container images for tests: docker-save and OCI-layout archives, made in a temp dir.

The only binary is Debian's static busybox (``/bin/busybox`` from busybox-static); the rest are small
scripts and text files. Layers are built in memory (they are tiny); hooks let a test damage an archive
in the ways hostile uploads do (altered layer, missing blob, garbage manifest, truncation).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import zstandard

BUSYBOX = Path("/bin/busybox")


@dataclass(frozen=True)
class F:
    """One layer member. ``type``: file | dir | symlink | hardlink | chr | blk | fifo."""

    data: bytes = b""
    mode: int = 0o644
    type: str = "file"
    link: str = ""
    major: int = 0
    minor: int = 0


Files = Mapping[str, "bytes | str | F"]
_TYPES = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
          "hardlink": tarfile.LNKTYPE, "chr": tarfile.CHRTYPE, "blk": tarfile.BLKTYPE, "fifo": tarfile.FIFOTYPE}


@lru_cache(maxsize=1)
def busybox() -> bytes:
    return BUSYBOX.read_bytes()


def exe(script: str) -> F:
    return F(script.encode(), 0o755)


def layer_tar(files: Files) -> bytes:
    """A layer as an uncompressed tar, members in the mapping's order (names written as given)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, spec in files.items():
            if not isinstance(spec, F):
                spec = F(spec.encode() if isinstance(spec, str) else spec)
            info = tarfile.TarInfo(name)
            info.type = _TYPES[spec.type]
            info.mode = spec.mode if spec.type != "dir" else 0o755
            info.mtime = 0
            info.linkname = spec.link
            info.devmajor, info.devminor = spec.major, spec.minor
            if spec.type == "file":
                info.size = len(spec.data)
                tar.addfile(info, io.BytesIO(spec.data))
            else:
                tar.addfile(info)
    return buf.getvalue()


def base_layer(**extra: bytes | str | F) -> dict:
    """busybox, a shell, os-release and a dpkg database that lists busybox-static."""
    files: dict = {
        "bin/": F(type="dir"),
        "bin/busybox": F(busybox(), 0o755),
        "bin/sh": F(type="symlink", link="busybox"),
        "etc/": F(type="dir"),
        "etc/os-release": 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
        "var/lib/dpkg/status": (
            "Package: busybox-static\nStatus: install ok installed\nPriority: extra\nArchitecture: amd64\n"
            "Version: 1:1.35.0-4+b3\nDescription: Standalone rescue shell\n multi-line\n\n"
            "Package: removed-thing\nStatus: deinstall ok config-files\nVersion: 1.0\n\n"
        ),
    }
    files.update(extra)
    return files


def config(layers: list[bytes], *, entrypoint: list[str] | None = None, cmd: list[str] | None = None,
           env: Mapping[str, str] | None = None, labels: Mapping[str, str] | None = None, user: str = "",
           architecture: str = "amd64", os: str = "linux", exposed: tuple[str, ...] = ("8080/tcp",),
           history: list[str] | None = None) -> dict:
    env = {"PATH": "/opt/program:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", **(env or {})}
    cfg: dict = {"Env": [f"{k}={v}" for k, v in env.items()], "User": user}
    if entrypoint is not None:
        cfg["Entrypoint"] = entrypoint
    if cmd is not None:
        cfg["Cmd"] = cmd
    if labels:
        cfg["Labels"] = dict(labels)
    if exposed:
        cfg["ExposedPorts"] = {p: {} for p in exposed}
    hist = history or [f"RUN /bin/sh -c build step {i}" for i in range(len(layers))]
    return {
        "architecture": architecture, "os": os, "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(t).hexdigest() for t in layers]},
        "history": [{"created_by": h} for h in hist],
    }


def compress(data: bytes, how: str) -> bytes:
    if how == "gzip":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if how == "zstd":
        return zstandard.ZstdCompressor(level=3).compress(data)
    return data


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_outer(path: Path, members: list[tuple[str, bytes]], links: Mapping[str, str] | None = None) -> Path:
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return path


Mutate = Callable[[int, bytes], bytes]


def docker_save(path: Path, layers: list[bytes], cfg: dict, *, new_format: bool = False,
                tags: tuple[str, ...] = ("seller/model:1.0",), mutate_layer: Mutate | None = None,
                omit: tuple[str, ...] = (), manifest: bytes | None = None, dedup_symlink: bool = False) -> Path:
    """``docker save``: old layout (<id>/layer.tar, manifest.json written *last*) or Docker 25+ (blobs/)."""
    cfg_bytes = json.dumps(cfg).encode()
    members: list[tuple[str, bytes]] = []
    links: dict[str, str] = {}
    layer_names = []
    for i, tar in enumerate(layers):
        data = mutate_layer(i, tar) if mutate_layer else tar
        if new_format:
            name = f"blobs/sha256/{_sha(tar)}"
        else:
            layer_id = hashlib.sha256(f"{i}:{_sha(tar)}".encode()).hexdigest()
            name = f"{layer_id}/layer.tar"
            members.append((f"{layer_id}/VERSION", b"1.0"))
            members.append((f"{layer_id}/json", json.dumps({"id": layer_id}).encode()))
        layer_names.append(name)
        if dedup_symlink and i > 0 and tar == layers[0]:
            links[name] = f"../{layer_names[0]}"  # docker save dedups identical layers with a symlink
        elif name not in omit:
            members.append((name, data))
    cfg_name = f"blobs/sha256/{_sha(cfg_bytes)}" if new_format else f"{_sha(cfg_bytes)}.json"
    members.append((cfg_name, cfg_bytes))
    doc = [{"Config": cfg_name, "RepoTags": list(tags), "Layers": layer_names}]
    if new_format:
        members.append(("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'))
    members.append(("manifest.json", manifest if manifest is not None else json.dumps(doc).encode()))
    members.append(("repositories", b"{}"))
    return _write_outer(path, members, links)


def oci_layout(path: Path, images: list[tuple[list[bytes], dict]], *, compression: str = "gzip",
               mutate_layer: Mutate | None = None, omit_layer: int | None = None,
               platforms: list[str] | None = None, index: bytes | None = None, attestation: bool = False) -> Path:
    """An OCI image layout tar. Several images → an image index with platforms (e.g. linux/amd64, linux/arm64)."""
    members: dict[str, bytes] = {}
    descs = []
    for n, (layers, cfg) in enumerate(images):
        cfg_bytes = json.dumps(cfg).encode()
        members[f"blobs/sha256/{_sha(cfg_bytes)}"] = cfg_bytes
        layer_descs = []
        for i, tar in enumerate(layers):
            blob = compress(tar, compression)
            suffix = {"gzip": "+gzip", "zstd": "+zstd"}.get(compression, "")
            layer_descs.append({"mediaType": f"application/vnd.oci.image.layer.v1.tar{suffix}",
                                "digest": f"sha256:{_sha(blob)}", "size": len(blob)})
            if omit_layer == i:
                continue
            members[f"blobs/sha256/{_sha(blob)}"] = mutate_layer(i, blob) if mutate_layer else blob
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": f"sha256:{_sha(cfg_bytes)}", "size": len(cfg_bytes)},
            "layers": layer_descs,
        }).encode()
        members[f"blobs/sha256/{_sha(manifest)}"] = manifest
        desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": f"sha256:{_sha(manifest)}",
                "size": len(manifest)}
        if platforms:
            os_, arch = platforms[n].split("/")[:2]
            desc["platform"] = {"os": os_, "architecture": arch}
        descs.append(desc)
    if attestation:  # buildx adds unknown/unknown attestation manifests next to the images
        descs.insert(0, {**descs[0], "platform": {"os": "unknown", "architecture": "unknown"}})
    if len(descs) > 1 or platforms:
        inner = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                            "manifests": descs}).encode()
        members[f"blobs/sha256/{_sha(inner)}"] = inner
        top = [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": f"sha256:{_sha(inner)}",
                "size": len(inner)}]
    else:
        top = descs
    members["oci-layout"] = b'{"imageLayoutVersion": "1.0.0"}'
    members["index.json"] = index if index is not None else json.dumps(
        {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": top}).encode()
    return _write_outer(path, sorted(members.items()))


def good_serve_layers(**extra: bytes | str | F) -> list[bytes]:
    """A SageMaker-style inference image: `serve` on the PATH, torch's dist-info, no entrypoint."""
    app = {
        "opt/program/serve": exe("#!/bin/sh\n# start the model server\n"
                                 "exec busybox httpd -f -p 8080 -h /opt/program/www\n"),
        "opt/program/www/ping": "ok\n",
        "opt/program/predictor.py": "import torch\nmodel = torch.load('/opt/ml/model/model.pt')\n",
        "usr/local/lib/python3.11/site-packages/torch-2.1.0.dist-info/METADATA":
            "Metadata-Version: 2.1\nName: torch\nVersion: 2.1.0\nLicense: BSD-3-Clause\n\nTensors and dynamic "
            "neural networks in Python\n",
        "usr/local/lib/python3.11/site-packages/torch/__init__.py": "__version__ = '2.1.0'\n",
    }
    app.update(extra)
    return [layer_tar(base_layer()), layer_tar(app)]
