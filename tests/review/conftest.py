"""Review workflow fixtures on top of the personas: ruth is a second reviewer; ``long_short_description``
makes a listing that validates with one failed warning (listing.W007: longer than AWS's guide suggests)."""

from __future__ import annotations

import pytest

from listings.models import ListingSection
from tests.factories import make_reviewer

LONG = ("Classifies English product reviews and support messages as positive, negative or neutral, with a "
        "confidence score from 0 to 1. Runs on CPU or GPU real-time endpoints and in batch transform jobs; "
        "accepts JSON or CSV input with one text per line. Fine-tuned on 1.2 million public English reviews "
        "from 2015 to 2023, balanced across the three classes, macro F1 0.91 on held-out data.")


@pytest.fixture
def ruth(db):
    return make_reviewer("ruth")


def set_product(listing, **changes) -> None:
    """Change product fields directly (what the section form would save), bumping nothing else."""
    section = ListingSection.objects.get(listing=listing, name="product")
    section.data = {"product": section.data["product"] | changes}
    section.save(update_fields=["data"])
    if "title" in changes:
        listing.title = changes["title"]
        listing.save(update_fields=["title"])


def set_section(listing, name: str, key: str, value) -> None:
    section = ListingSection.objects.get(listing=listing, name=name)
    section.data = section.data | {key: value}
    section.save(update_fields=["data"])


@pytest.fixture
def warning_listing(ready_listing):
    assert len(LONG) > 350
    set_product(ready_listing, short_description=LONG)
    return ready_listing
