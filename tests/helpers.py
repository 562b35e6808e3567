from __future__ import annotations

from listings import services
from validation.services import validation_run_execute, validation_run_start


def validate_now(listing, actor):
    """Queue a run and execute it in this process (unit tests); the worker tests use a real worker."""
    run = validation_run_start(listing=listing, actor=actor)
    return validation_run_execute(run_id=run.id)


def submitted_version(listing, actor):
    validate_now(listing, actor)
    listing.refresh_from_db()
    return services.listing_submit(listing=listing, actor=actor)
