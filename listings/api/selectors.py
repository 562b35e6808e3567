"""Reads the API needs beyond listings/selectors.py, built on its team scoping (STYLE.md 3).

Runs and bundles are reached by their own ids in the API (``/api/v1/runs/{id}/``), so each read here starts
from what the user may see: their teams' listings, or — for a reviewer — the versions under review. Anything
else is a 404, exactly like a missing id.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from listings.models import ListingVersion, Membership, SubmissionBundle
from listings.permissions import is_reviewer
from listings.selectors import listings_visible_to
from validation.models import ValidationRun


def memberships_of(user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("team").order_by("team__name")


def runs_visible_to(user) -> QuerySet[ValidationRun]:
    if not user.is_authenticated:
        return ValidationRun.objects.none()
    visible = Q(listing__in=listings_visible_to(user).values("pk"))
    if is_reviewer(user):
        # A reviewer reads the run a version was submitted with, as the review page shows it.
        visible |= Q(pk__in=ListingVersion.objects.filter(validation_run__isnull=False).values("validation_run_id"))
    return ValidationRun.objects.filter(visible).select_related("listing", "created_by")


def get_run_for_user(user, run_id) -> ValidationRun:
    try:
        return runs_visible_to(user).get(pk=run_id)
    except (ValidationRun.DoesNotExist, ValueError):
        raise Http404("No such validation run.")


def versions_of_listing(listing) -> QuerySet[ListingVersion]:
    return listing.versions.select_related("listing", "listing__team", "created_by", "decided_by").order_by("-number")


def bundles_of_version(version) -> list[SubmissionBundle]:
    return list(SubmissionBundle.objects.filter(version=version).select_related("version", "requested_by"))
