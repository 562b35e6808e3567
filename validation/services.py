"""Starting and executing validation runs; the only code that writes runs and findings."""

from __future__ import annotations

import logging
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from listings.errors import NotAllowed
from listings.events import record_event
from listings.jobs import JobStatus
from listings.models import Listing
from listings.permissions import can_edit
from listings.snapshot import build_snapshot, content_hash
from validation.checks.registry import Subject
from validation.engine import run_checks, verdict_of
from validation.models import Finding, ValidationRun

log = logging.getLogger(__name__)


def validation_run_start(*, listing: Listing, actor, policy: str | None = None, trigger: str = "requested") -> ValidationRun:
    from validation.tasks import run_validation

    if actor is not None and not can_edit(actor, listing):
        raise NotAllowed("Only owners and editors can start a validation run.")
    snapshot = build_snapshot(listing)
    with transaction.atomic():
        run = ValidationRun.objects.create(
            listing=listing, content_hash=content_hash(snapshot), policy=policy or settings.VALIDATION_POLICY,
            created_by=actor,
        )
        record_event(listing=listing, type="validation.queued", actor=actor,
                     data={"run": str(run.id), "trigger": trigger, "policy": run.policy})
        transaction.on_commit(lambda: run_validation.delay(str(run.id)))
    return run


def _subject_for(run: ValidationRun) -> Subject:
    # The run checks what is stored now; if the content moved on since it was queued, the run says so by
    # its content hash, and the submit rule (latest run of *this* content) keeps that honest.
    return Subject(listing=build_snapshot(run.listing))


def _claim(run_id) -> ValidationRun | None:
    """Compare-and-set queued → running, so a re-delivered task never runs a run twice at once."""
    now = timezone.now()
    claimed = ValidationRun.objects.filter(pk=run_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, attempts=1
    )
    if claimed:
        return ValidationRun.objects.select_related("listing").get(pk=run_id)
    # A worker killed mid-run leaves the row running; the broker re-delivers the task (acks_late). Take it
    # over and start clean: the earlier attempt's findings are removed in the same transaction.
    with transaction.atomic():
        run = ValidationRun.objects.select_for_update().filter(pk=run_id, status=JobStatus.RUNNING).first()
        if run is None:
            return None  # finished or failed already: nothing to do (idempotent)
        run.findings.all().delete()
        run.attempts += 1
        run.started_at = run.heartbeat_at = timezone.now()
        run.checks_done = 0
        run.save(update_fields=["attempts", "started_at", "heartbeat_at", "checks_done"])
    return ValidationRun.objects.select_related("listing").get(pk=run_id)


def validation_run_execute(*, run_id) -> ValidationRun | None:
    run = _claim(run_id)
    if run is None:
        return None
    record_event(listing=run.listing, type="validation.started", data={"run": str(run.id), "attempt": run.attempts})
    subject = _subject_for(run)
    position = 0

    def on_progress(done: int, total: int, check) -> None:
        ValidationRun.objects.filter(pk=run.pk).update(
            checks_total=total, checks_done=done, progress=int(100 * done / max(total, 1)),
            progress_note=check.title, heartbeat_at=timezone.now(),
        )

    def on_findings(check, findings) -> None:
        nonlocal position
        rows = []
        for f in findings:
            rows.append(Finding(run=run, check_name=check.name, code=f.code, severity=f.severity,
                                outcome=f.outcome, message=f.message, hint=f.hint, location=f.location,
                                source=f.source, measured=f.measured, position=position))
            position += 1
        Finding.objects.bulk_create(rows)

    results = run_checks(subject, policy=run.policy, on_progress=on_progress, on_findings=on_findings)
    all_findings = [f for _, fs in results for f in fs]
    summary = Counter(f"{f.outcome}_{f.severity}" if f.outcome == "failed" else str(f.outcome) for f in all_findings)
    verdict = verdict_of(all_findings)
    with transaction.atomic():
        ValidationRun.objects.filter(pk=run.pk, status=JobStatus.RUNNING).update(
            status=JobStatus.SUCCEEDED, verdict=verdict, progress=100, checks_done=len(results),
            progress_note="", finished_at=timezone.now(), summary=dict(summary),
        )
        record_event(listing=run.listing, type=f"validation.{verdict}",
                     data={"run": str(run.id), "summary": dict(summary)})
    run.refresh_from_db()
    return run


def validation_run_fail(*, run_id, error: str, actor=None) -> None:
    """The failure hook (and the admin's button): a run whose task broke is marked failed, never left running."""
    with transaction.atomic():
        failed = ValidationRun.objects.filter(pk=run_id, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).update(
            status=JobStatus.FAILED, error=error[:2000], finished_at=timezone.now()
        )
        if failed:
            run = ValidationRun.objects.select_related("listing").get(pk=run_id)
            record_event(listing=run.listing, type="validation.errored", actor=actor,
                         data={"run": str(run_id), "error": error[:500]})


def validation_run_retry(*, run_id, actor) -> ValidationRun | None:
    """An admin sends a stuck (or failed) run back to the queue; its partial findings are dropped."""
    from validation.tasks import run_validation

    with transaction.atomic():
        run = (ValidationRun.objects.select_for_update()
               .filter(pk=run_id, status__in=(JobStatus.RUNNING, JobStatus.FAILED)).first())
        if run is None:
            return None
        run.findings.all().delete()
        run.status, run.verdict, run.error, run.progress, run.checks_done = JobStatus.QUEUED, "", "", 0, 0
        run.started_at = run.finished_at = run.heartbeat_at = None
        run.save()
        record_event(listing=run.listing, type="validation.retried", actor=actor, data={"run": str(run.id)})
        transaction.on_commit(lambda: run_validation.delay(str(run.id)))
    return run
