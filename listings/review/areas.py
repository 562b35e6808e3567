"""What a re-review is scoped by: the listing's sections, plus its files, each with a content hash.

A new version whose area hashes equal the previous version's keeps that area's sign-off; everything else
"needs a fresh look". Pure: works on snapshots (validation/SNAPSHOT.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from listings.sections import sections_for

FILES = "files"


@dataclass(frozen=True)
class Area:
    name: str
    title: str
    keys: tuple[str, ...]  # snapshot keys it covers


def areas_for(kind: str) -> list[Area]:
    return [Area(s.name, s.title, s.keys) for s in sections_for(kind)] + [Area(FILES, "Files", ("artifacts",))]


def area_titles(kind: str) -> dict[str, str]:
    return {a.name: a.title for a in areas_for(kind)}


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def area_content(snapshot: dict, area: Area):
    if area.name == FILES:
        # A file is its bytes (sha256) plus what the listing says about it; size and upload time follow.
        return sorted(
            ((a.get("kind", ""), a.get("name", ""), a.get("sha256", ""), _canonical(a.get("tags") or {}).decode())
             for a in snapshot.get("artifacts") or []),
        )
    return {key: snapshot.get(key) for key in area.keys}


def area_hashes(snapshot: dict, kind: str | None = None) -> dict[str, str]:
    kind = kind or snapshot.get("kind", "model_package")
    return {a.name: hashlib.sha256(_canonical(area_content(snapshot, a))).hexdigest() for a in areas_for(kind)}


def area_of_anchor(anchor_kind: str, anchor: str) -> str:
    """The area a comment's anchor lies in: ``field`` product.title → product; a cell or a file → files."""
    from validation.snapshot_schema import section_of

    if anchor_kind == "field":
        return section_of(f"field:{anchor}") or ""
    if anchor_kind == "finding":
        location = anchor.split("@", 1)[1] if "@" in anchor else ""
        if location.startswith("field:"):
            return section_of(location) or ""
        return FILES if location else ""
    if anchor_kind in ("cell", "artifact"):
        return FILES
    return ""
