"""The bundle's entries and its manifest, built in memory (generated documents are small) before anything is
written.

Everything here is a pure function of the frozen version (and of the export options that change bytes), so the
same version always yields the same bytes: no clocks, no random ids, sorted keys, fixed line endings.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

GENERATOR = "marketplace_prep/0.2"  # bump when the bundle's layout or any generated document changes
MANIFEST_SCHEMA = 1


@dataclass(frozen=True)
class PlannedFile:
    """One entry of the bundle: generated ``data``, or an artifact read from storage by ``sha256``.

    ``uri`` set means the file is *referenced*, not embedded: the manifest lists it with its sha256, size and
    S3 URI, and the zip does not contain it (the seller chose this for large files).
    """

    arcname: str
    size: int
    sha256: str
    data: bytes | None = None
    uri: str | None = None
    label: str = ""  # how error messages name the file: 'sample data "batch.csv"'
    flags: tuple[str, ...] = field(default=())  # rule codes that warned about this file (e.g. data.W010)
    content_type: str = ""  # sample data: what it is sent as
    compress: bool = False

    @classmethod
    def from_bytes(cls, arcname: str, data: bytes, *, compress: bool = False) -> PlannedFile:
        return cls(arcname, len(data), hashlib.sha256(data).hexdigest(), data, compress=compress)

    @property
    def embedded(self) -> bool:
        return self.uri is None


def json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def text_bytes(text: str) -> bytes:
    """UTF-8, LF line endings, exactly one trailing newline."""
    return (text.replace("\r\n", "\n").rstrip("\n") + "\n").encode()


def manifest(*, files: list[PlannedFile], version_info: dict[str, Any]) -> bytes:
    """``manifest.json``: every other file with sha256 and size (referenced ones with their URI too)."""
    rows = []
    for f in sorted(files, key=lambda f: f.arcname):
        row: dict[str, Any] = {"path": f.arcname, "sha256": f.sha256, "size": f.size}
        if f.uri is not None:
            row.update(embedded=False, uri=f.uri)
        if f.flags:
            row["flags"] = list(f.flags)
        rows.append(row)
    return json_bytes({"schema": MANIFEST_SCHEMA, "generator": GENERATOR, **version_info, "files": rows})
