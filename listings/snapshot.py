"""The listing as data — the one shape checks, versions and the bundle share (validation/SNAPSHOT.md)."""

from __future__ import annotations

import hashlib
import json

from listings.models import Listing
from listings.sections import BY_NAME
from validation.snapshot_schema import empty_snapshot


def build_snapshot(listing: Listing) -> dict:
    artifacts = [
        {"kind": a.kind, "name": a.original_name, "sha256": a.sha256, "size": a.size,
         "content_type": a.content_type, "tags": a.tags}
        for a in sorted(listing.artifacts.all(), key=lambda a: (a.kind, a.original_name, a.sha256))
    ]
    snapshot = empty_snapshot(listing.kind)
    for section in listing.sections.all():
        if section.name in BY_NAME and listing.kind in BY_NAME[section.name].kinds:
            snapshot.update({key: section.data[key] for key in BY_NAME[section.name].keys if key in section.data})
    # Sections that do not apply to the kind keep their empty values, so every key is always present.
    snapshot.update(id=str(listing.id), kind=listing.kind, artifacts=artifacts)
    return snapshot


def canonical_json(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(snapshot: dict) -> str:
    """Identifies exactly this content: a validation run counts for a submission only if the hashes match."""
    return hashlib.sha256(canonical_json(snapshot)).hexdigest()
