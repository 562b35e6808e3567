"""Reads that depend on the user, scoped to the user's teams (STYLE.md 3).

"Missing" and "not yours" look the same from outside: both are a 404.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.http import Http404

from listings.models import Listing, ListingVersion, SubmissionBundle, VersionStatus
from listings.permissions import is_reviewer, remember_role


def listings_visible_to(user) -> QuerySet[Listing]:
    if not user.is_authenticated:
        return Listing.objects.none()
    return Listing.objects.filter(team__memberships__user=user).select_related("team")


def get_listing_for_user(user, listing_id, **annotations) -> Listing:
    """The listing, if the user's team owns it; ``annotations``: more facts read in the same query (the
    listing page's ``review.selectors.review_note_flags``)."""
    try:
        # The membership row that makes it visible also says the user's role: the page's permission checks
        # (role_in_team) need no query of their own.
        listing = (listings_visible_to(user).annotate(my_role=F("team__memberships__role"), **annotations)
                   .get(pk=listing_id))
    except (Listing.DoesNotExist, ValueError, ValidationError):
        raise Http404("No such listing.")
    remember_role(user, listing.team_id, listing.my_role)
    return listing


def review_queue(user) -> QuerySet[ListingVersion]:
    if not is_reviewer(user):
        return ListingVersion.objects.none()
    return (
        ListingVersion.objects.filter(status=VersionStatus.SUBMITTED)
        .select_related("listing", "listing__team", "created_by", "validation_run")
        .order_by("created_at")
    )


def get_version_for_reviewer(user, version_id) -> ListingVersion:
    if not is_reviewer(user):
        raise Http404("No such version.")
    try:
        return ListingVersion.objects.select_related("listing", "listing__team").get(pk=version_id)
    except (ListingVersion.DoesNotExist, ValueError):
        raise Http404("No such version.")


def get_version_for_user(user, version_id) -> ListingVersion:
    """A version the user's team owns, or any version for a reviewer."""
    qs = ListingVersion.objects.select_related("listing", "listing__team")
    if not is_reviewer(user):
        qs = qs.filter(listing__team__memberships__user=user)
    try:
        return qs.get(pk=version_id)
    except (ListingVersion.DoesNotExist, ValueError):
        raise Http404("No such version.")


def get_bundle_for_user(user, bundle_id) -> SubmissionBundle:
    qs = SubmissionBundle.objects.select_related("version", "version__listing")
    if not is_reviewer(user):
        qs = qs.filter(version__listing__team__memberships__user=user)
    try:
        return qs.get(pk=bundle_id)
    except (SubmissionBundle.DoesNotExist, ValueError):
        raise Http404("No such bundle.")
