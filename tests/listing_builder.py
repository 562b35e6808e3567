"""A complete, valid listing of either kind — sections from tests/fixtures/listings, artifacts from the fixture
files — for tests that need a listing AWS would accept (submit, review, export)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from listings import services
from listings.models import Artifact, Listing, ListingSection
from listings.sections import sections_for
from listings.storage import sha256_of, store_blob

FIXTURES = Path(__file__).resolve().parent / "fixtures"

SAMPLES = {
    "model_package": [
        # (fixture file or bytes, name, mode, direction, content type)
        ("data/realtime_input.csv", "input.csv", "realtime", "input", "text/csv"),
        (b'{"instances": [[5.1, 3.5, 1.4, 0.2]]}\n', "input.json", "realtime", "input", "application/json"),
        ("data/realtime_output.json", "output.json", "realtime", "output", "application/json"),
        ("data/realtime_input.csv", "batch.csv", "batch", "input", "text/csv"),
        (b'{"instances": [[6.2, 2.9, 4.3, 1.3]]}\n', "batch.json", "batch", "input", "application/json"),
        ("data/realtime_output.json", "batch.out.json", "batch", "output", "application/json"),
    ],
    "algorithm": [
        ("data/realtime_input.csv", "input.csv", "realtime", "input", "text/csv"),
        (b"0.97\n0.12\n0.55\n", "output.csv", "realtime", "output", "text/csv"),
        ("data/realtime_input.csv", "batch.csv", "batch", "input", "text/csv"),
        (b"0.97\n0.12\n0.55\n", "batch.out.csv", "batch", "output", "text/csv"),
    ],
}


def attach(listing: Listing, *, kind: str, content: bytes, name: str, content_type: str = "", tags=None,
           actor=None) -> Artifact:
    sha256, size = sha256_of(io.BytesIO(content))
    store_blob(io.BytesIO(content), sha256=sha256)
    return Artifact.objects.create(listing=listing, kind=kind, sha256=sha256, size=size, original_name=name,
                                   content_type=content_type, tags=tags or {}, uploaded_by=actor)


def _bytes(source) -> bytes:
    return source if isinstance(source, bytes) else (FIXTURES / source).read_bytes()


def complete_listing(team, actor, kind: str = "model_package") -> Listing:
    snapshot = json.loads((FIXTURES / "listings" / f"{kind}.json").read_text())
    listing = services.listing_create(team=team, actor=actor, kind=kind, title=snapshot["product"]["title"],
                                      short_description=snapshot["product"]["short_description"])
    return fill(listing, actor, keep_product=False)


def fill(listing: Listing, actor, *, keep_product: bool = True) -> Listing:
    """Fill every section of ``listing`` from the fixture of its kind and attach the artifacts it needs;
    ``keep_product`` keeps the title and short description the seller typed."""
    kind = listing.kind
    snapshot = json.loads((FIXTURES / "listings" / f"{kind}.json").read_text())
    if keep_product:
        current = ListingSection.objects.get(listing=listing, name="product").data["product"]
        snapshot["product"].update(title=current["title"], short_description=current["short_description"])
    for section in sections_for(kind):
        ListingSection.objects.filter(listing=listing, name=section.name).update(
            data={key: snapshot[key] for key in section.keys})
    notebook = "model_package_template.ipynb" if kind == "model_package" else "algorithm_template.ipynb"
    attach(listing, kind="notebook", content=(FIXTURES / "notebooks" / notebook).read_bytes(), name=notebook,
           content_type="application/x-ipynb+json", actor=actor)
    attach(listing, kind="logo", content=(FIXTURES / "logos" / "logo_transparent.png").read_bytes(),
           name="logo.png", content_type="image/png", actor=actor)
    for source, name, mode, direction, content_type in SAMPLES[kind]:
        attach(listing, kind="sample_data", content=_bytes(source), name=name, content_type=content_type,
               tags={"mode": mode, "direction": direction, "content_type": content_type}, actor=actor)
    listing.refresh_from_db()
    return listing
