"""Thin tasks: ids in, a service call, nothing else (STYLE.md 6)."""

from __future__ import annotations

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from validation import services


class JobTask(Task):
    """Marks the job row failed when the task fails for good (exception, time limit, retries used up)."""

    fail_job = None  # set per task: a callable (job_id, error) -> None

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        if self.fail_job and args:
            type(self).fail_job(args[0], f"{type(exc).__name__}: {exc}")


class ValidationJobTask(JobTask):
    @staticmethod
    def fail_job(run_id, error):
        services.validation_run_fail(run_id=run_id, error=error)


@shared_task(base=ValidationJobTask, soft_time_limit=5 * 60, time_limit=6 * 60)
def run_validation(run_id: str) -> None:
    services.validation_run_execute(run_id=run_id)


@shared_task(base=ValidationJobTask, soft_time_limit=55 * 60, time_limit=60 * 60)
def run_container_validation(run_id: str) -> None:
    services.validation_run_execute_container(run_id=run_id)


@shared_task(soft_time_limit=60, time_limit=90)
def sweep_stale_jobs() -> int:
    """Fails jobs whose worker vanished: no heartbeat for longer than any task may run."""
    from listings.jobs import JobStatus
    from listings.models import SubmissionBundle
    from validation.models import ValidationRun

    cutoff = timezone.now() - timezone.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS)
    count = 0
    for run_id in ValidationRun.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff).values_list("pk", flat=True):
        services.validation_run_fail(run_id=run_id, error="The worker stopped responding; the run was abandoned.")
        count += 1
    from listings.export.service import bundle_fail

    for bundle_id in SubmissionBundle.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff).values_list("pk", flat=True):
        bundle_fail(bundle_id=bundle_id, error="The worker stopped responding; the export was abandoned.")
        count += 1
    return count
