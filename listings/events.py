"""The audit trail's one writer (STYLE.md 5)."""

from __future__ import annotations

from typing import Any

from listings.models import Listing, ListingEvent


def record_event(*, listing: Listing | None, type: str, actor=None, data: dict[str, Any] | None = None) -> ListingEvent:
    email = getattr(actor, "email", "") or getattr(actor, "username", "") if actor is not None else ""
    return ListingEvent.objects.create(
        listing=listing,
        type=type,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_email=email or "",
        data=data or {},
    )
