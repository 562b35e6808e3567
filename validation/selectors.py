from __future__ import annotations

from django.http import Http404

from listings.models import Listing
from validation.models import ValidationRun


def latest_run(listing: Listing) -> ValidationRun | None:
    return listing.validation_runs.order_by("-created_at").first()


def latest_run_for_content(listing: Listing, content_hash: str) -> ValidationRun | None:
    return listing.validation_runs.filter(content_hash=content_hash).order_by("-created_at").first()


def get_run_for_listing(listing: Listing, run_id) -> ValidationRun:
    try:
        return listing.validation_runs.get(pk=run_id)
    except (ValidationRun.DoesNotExist, ValueError):
        raise Http404("No such validation run.")


def previous_finished_run(run: ValidationRun) -> ValidationRun | None:
    return (
        ValidationRun.objects.filter(listing_id=run.listing_id, created_at__lt=run.created_at)
        .exclude(verdict="")
        .order_by("-created_at")
        .first()
    )
