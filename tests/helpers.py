from __future__ import annotations

from listings import services
from validation.services import validation_run_execute, validation_run_execute_container, validation_run_start


def execute_run(run_id):
    """What the workers do with a queued run, in this process: the quick phase, then the container phase."""
    run = validation_run_execute(run_id=run_id)
    if run is not None and run.phase == "container" and run.is_active:
        run = validation_run_execute_container(run_id=run_id)
    return run


def validate_now(listing, actor):
    """Queue a run and execute it in this process (unit tests); the worker tests use a real worker."""
    run = validation_run_start(listing=listing, actor=actor)
    return execute_run(run.id)


def submitted_version(listing, actor):
    validate_now(listing, actor)
    listing.refresh_from_db()
    return services.listing_submit(listing=listing, actor=actor)
