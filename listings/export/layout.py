"""Where each of the version's artifacts goes in the bundle (DESIGN.md "Export: the submission bundle").

::

    listing/logo.<ext>                       the logo (png, jpg or gif)
    listing/documentation/<name>             documentation files
    notebook/<name>.ipynb                    the seller's notebook(s)
    data/<input|output>/<real-time|batch>/<name>   sample data, by the artifact's tags
    artifacts/image/<name>                   the uploaded image archive (docker save / OCI layout)
    artifacts/model/<name>                   the model data tarball

Names come from the seller's file names, made safe for every unzip (no folders, no control characters, no
leading dot) and unique per folder even on case-insensitive file systems. Pure: the same snapshot always
gives the same layout.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

__all__ = ["ArtifactEntry", "artifact_entries", "safe_name", "sample_folder"]

MAX_NAME = 150
_UNSAFE = re.compile(r"[^\w.\-+()@ ]")
_LOGO_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/jpg": "jpg", "image/gif": "gif"}
_MODE_FOLDER = {"realtime": "real-time", "batch": "batch"}
_KIND_FOLDER = {"image": "artifacts/image", "model_data": "artifacts/model",
                "documentation": "listing/documentation", "notebook": "notebook"}


@dataclass(frozen=True)
class ArtifactEntry:
    arcname: str
    kind: str
    name: str  # the seller's file name
    sha256: str
    size: int
    content_type: str
    tags: dict[str, Any]


def safe_name(name: str, *, default: str = "file") -> str:
    """A single path component any unzip accepts: the base name, controls and separators replaced."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", str(name)))[-1]
    base = "".join("_" if unicodedata.category(c).startswith("C") else c for c in base)
    base = _UNSAFE.sub("_", base).strip(" .")
    base = re.sub(r"_{2,}", "_", base)
    if not base:
        base = default
    if len(base) > MAX_NAME:
        stem, dot, ext = base.rpartition(".")
        keep = ext if dot and 0 < len(ext) <= 16 else ""
        base = base[: MAX_NAME - len(keep) - 1].rstrip(" .") + ("." + keep if keep else "")
    return base


def sample_folder(tags: dict[str, Any]) -> str | None:
    mode = _MODE_FOLDER.get(str(tags.get("mode", "")))
    direction = str(tags.get("direction", ""))
    if mode is None or direction not in ("input", "output"):
        return None
    return f"data/{direction}/{mode}"


def _ext_of(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem and ext.isalnum() and len(ext) <= 8 else ""


class _Names:
    """Unique names per folder, compared the way macOS and Windows compare them (NFC, case-folded)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def claim(self, folder: str, name: str) -> str:
        stem, dot, ext = name.rpartition(".")
        if not dot or not stem:
            stem, ext = name, ""
        candidate, n = name, 1
        while f"{folder}/{candidate}".casefold() in self.taken:
            n += 1
            candidate = f"{stem}-{n}" + (f".{ext}" if ext else "")
        self.taken.add(f"{folder}/{candidate}".casefold())
        return f"{folder}/{candidate}"


def artifact_entries(snapshot: dict[str, Any]) -> list[ArtifactEntry]:
    """Every artifact of the frozen version with its place in the bundle, in the snapshot's order."""
    names = _Names()
    out: list[ArtifactEntry] = []
    artifacts = snapshot.get("artifacts") if isinstance(snapshot.get("artifacts"), list) else []
    for item in artifacts:
        if not isinstance(item, dict):
            continue
        kind = str(item.get("kind", ""))
        name = str(item.get("name", ""))
        tags = item.get("tags") if isinstance(item.get("tags"), dict) else {}
        content_type = str(item.get("content_type", "") or "")
        if kind == "logo":
            ext = _LOGO_EXT.get(content_type.lower()) or _ext_of(name) or "png"
            arcname = names.claim("listing", f"logo.{ext}")
        elif kind == "sample_data":
            folder = sample_folder(tags) or "data/other"
            arcname = names.claim(folder, safe_name(name, default="sample"))
        elif kind == "notebook":
            base = safe_name(name, default="notebook")
            if not base.lower().endswith(".ipynb"):
                base += ".ipynb"
            arcname = names.claim("notebook", base)
        else:
            arcname = names.claim(_KIND_FOLDER.get(kind, "artifacts/other"), safe_name(name))
        out.append(ArtifactEntry(arcname=arcname, kind=kind, name=name, sha256=str(item.get("sha256", "")),
                                 size=int(item.get("size") or 0), content_type=content_type, tags=dict(tags)))
    return out
