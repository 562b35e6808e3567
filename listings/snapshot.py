"""The listing as data — the one shape checks, versions and the bundle share (validation/SNAPSHOT.md)."""

from __future__ import annotations

import hashlib
import json

from listings.models import Listing

SCHEMA_VERSION = 1


def build_snapshot(listing: Listing) -> dict:
    artifacts = [
        {"kind": a.kind, "name": a.original_name, "sha256": a.sha256, "size": a.size,
         "content_type": a.content_type, "tags": a.tags}
        for a in sorted(listing.artifacts.all(), key=lambda a: (a.kind, a.original_name, a.sha256))
    ]
    return {
        "schema": SCHEMA_VERSION,
        "id": str(listing.id),
        "kind": listing.kind,
        "product": {"title": listing.title, "short_description": listing.short_description},
        "artifacts": artifacts,
    }


def canonical_json(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(snapshot: dict) -> str:
    """Identifies exactly this content: a validation run counts for a submission only if the hashes match."""
    return hashlib.sha256(canonical_json(snapshot)).hexdigest()
