"""The bundle's generated documents, built in memory (they are small) before anything is written.

Everything here is a pure function of the frozen version, so the same version always yields the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

GENERATOR = "marketplace_prep/0.1"


@dataclass(frozen=True)
class PlannedFile:
    """One entry of the bundle: generated ``data``, or an artifact read from storage by ``sha256``."""

    arcname: str
    size: int
    sha256: str
    data: bytes | None = None

    @classmethod
    def from_bytes(cls, arcname: str, data: bytes) -> PlannedFile:
        return cls(arcname, len(data), hashlib.sha256(data).hexdigest(), data)


def json_bytes(data) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def manifest(*, files: list[PlannedFile], version_info: dict) -> bytes:
    return json_bytes({
        "generator": GENERATOR,
        **version_info,
        "files": [{"path": f.arcname, "sha256": f.sha256, "size": f.size} for f in sorted(files, key=lambda f: f.arcname)],
    })
