"""A listing's status changes only here: allowed moves, compare-and-set, audit event — one transaction.

django-oscar's ``pipeline`` + healthchecks' compare-and-set: ``UPDATE … WHERE status = <what we saw>``; if
another request moved the listing first, nothing is written and the caller learns what happened instead.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from listings.events import record_event
from listings.models import Listing, ListingStatus

S = ListingStatus

ALLOWED_MOVES: dict[str, set[str]] = {
    S.DRAFT: {S.SUBMITTED},
    S.SUBMITTED: {S.APPROVED, S.CHANGES_REQUESTED, S.DRAFT},  # DRAFT: the seller withdrew it
    S.CHANGES_REQUESTED: {S.SUBMITTED, S.DRAFT},
    S.APPROVED: {S.DRAFT},  # editing an approved listing starts a new draft; the approved version stays
}

EDITABLE_STATUSES = (S.DRAFT, S.CHANGES_REQUESTED, S.APPROVED)


class TransitionError(Exception):
    """The move is not allowed, or someone else moved the listing first."""

    def __init__(self, message: str, *, current: str | None = None):
        super().__init__(message)
        self.current = current


def transition(listing: Listing, *, to: str, actor, event: str, data: dict | None = None) -> Listing:
    source = listing.status
    if to not in ALLOWED_MOVES.get(source, set()):
        raise TransitionError(
            f"A listing that is {S(source).label.lower()} cannot become {S(to).label.lower()}.", current=source
        )
    now = timezone.now()
    with transaction.atomic():
        moved = Listing.objects.filter(pk=listing.pk, status=source).update(status=to, updated_at=now)
        if not moved:
            current = Listing.objects.filter(pk=listing.pk).values_list("status", flat=True).first()
            label = S(current).label.lower() if current else "deleted"
            raise TransitionError(f"Someone else changed this listing first: it is now {label}.", current=current)
        record_event(listing=listing, type=event, actor=actor, data={"from": source, "to": to, **(data or {})})
    listing.status, listing.updated_at = to, now
    return listing
