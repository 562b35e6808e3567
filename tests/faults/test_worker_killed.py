"""A real worker process killed with SIGKILL in the middle of a validation run.

What really happens (Celery 5 prefork, ``acks_late`` + ``reject_on_worker_lost``, Redis broker):

- **the pool child is killed** (the OOM killer's usual victim): the worker's main process sees the child die,
  raises ``WorkerLostError`` for the task and — because of ``reject_on_worker_lost`` — rejects the message with
  ``requeue=True``. Redis puts it back on the queue at once, a fresh child takes it, and the service's
  compare-and-set claim (``_claim``) takes the abandoned ``running`` row over: the first attempt's findings are
  deleted and the run completes once (``attempts == 2``). Nothing waits for the visibility timeout.
- **the whole worker is killed** (main process and child, e.g. the machine or container died): nobody is left to
  requeue. The message stays in Redis' ``unacked`` set until the visibility timeout (2 h in production) and the
  run's heartbeat stops. The periodic sweep (``sweep_stale_jobs``) fails the run once the heartbeat is older
  than ``JOB_STALE_AFTER_SECONDS``; when the message is finally re-delivered, the claim finds the run failed and
  leaves it alone — no resurrection, no second set of findings.

The run is made slow deterministically by ``tests/faults/slowcheck.py``, a check loaded only into this worker.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections import Counter
from unittest import mock

import pytest
from django.test import override_settings

from listings.jobs import JobStatus
from tests.faults.conftest import producer_broker
from tests.worker import start_worker, stop_worker, wait_for
from validation.models import ValidationRun
from validation.services import validation_run_start

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

INCLUDE = ("--include", "tests.faults.slowcheck")


def _worker_env(private_redis, marker, **extra) -> dict:
    return {"REDIS_URL": private_redis.url, "FAULTS_SLOW_MARKER": str(marker), "FAULTS_SLOW_SECONDS": "120",
            **extra}


def _finished(run_id):
    def check():
        run = ValidationRun.objects.get(pk=run_id)
        return run if run.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) else None
    return check


def _blocked_in_slow_check(run_id, marker):
    """The run is ``running`` and its worker sits in the slow check: the check wrote the marker (its process
    id) as it began to sleep. (The check is never imported here: it would join this process's checks.)"""
    def check():
        run = ValidationRun.objects.get(pk=run_id)
        return marker.exists() and marker.read_text() and run.status == JobStatus.RUNNING
    return check


def _key(findings) -> Counter:
    return Counter((f.check_name, f.code, f.outcome, f.location) for f in findings)


def _reference_findings(listing, actor) -> Counter:
    """What one clean run of the same content finds, executed here (nothing sent to a broker)."""
    from tests.helpers import validate_now
    from validation import tasks

    with mock.patch.object(tasks.run_validation, "delay"), mock.patch.object(tasks.run_container_validation, "delay"):
        run = validate_now(listing, actor)
    assert run.status == JobStatus.SUCCEEDED
    return _key(run.findings.all())


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_a_killed_pool_child_is_requeued_and_the_run_completes_once(private_redis, ready_listing, alice, tmp_path):
    from validation.checks.registry import REGISTRY

    assert "zz_faults.slow" not in REGISTRY  # only the test worker has the slow check
    listing, marker, log = ready_listing, tmp_path / "slow-started", tmp_path / "worker.log"
    worker = start_worker(log, env=_worker_env(private_redis, marker), extra_args=INCLUDE)
    try:
        with producer_broker(private_redis.url):
            run = validation_run_start(listing=listing, actor=alice)
        wait_for(_blocked_in_slow_check(run.pk, marker), timeout=30, what="the run to block in the slow check")
        child = int(marker.read_text())
        assert child != worker.pid  # the task runs in the pool's child process, not in the main process
        first_attempt = ValidationRun.objects.get(pk=run.pk)
        assert first_attempt.attempts == 1 and first_attempt.findings.exists()  # earlier checks already saved

        _kill(child)
        done = wait_for(_finished(run.pk), timeout=60, what="the re-delivered run to finish")
        assert worker.poll() is None  # the main process survived and replaced its child
    finally:
        stop_worker(worker)

    text = log.read_text(errors="replace")
    assert "SIGKILL" in text or "WorkerLostError" in text, text[-3000:]
    assert done.status == JobStatus.SUCCEEDED and done.verdict == "passed", done.error
    assert done.attempts == 2
    # Completed once: exactly the findings one clean run of this content has — none twice, none missing.
    assert _key(done.findings.all()) == _reference_findings(listing, alice)
    starts = list(listing.events.filter(type="validation.started", data__run=str(run.pk))
                  .values_list("data__attempt", flat=True))
    assert sorted(starts) == [1, 2]
    verdicts = listing.events.filter(type__in=("validation.passed", "validation.failed"), data__run=str(run.pk))
    assert verdicts.count() == 1
    assert private_redis.client().hlen("unacked") == 0  # acknowledged: nothing left to re-deliver


def test_a_killed_worker_is_failed_by_the_sweep_and_a_late_redelivery_changes_nothing(
        private_redis, ready_listing, alice, tmp_path):
    from validation.tasks import sweep_stale_jobs

    listing, marker, log = ready_listing, tmp_path / "slow-started", tmp_path / "worker.log"
    worker = start_worker(log, env=_worker_env(private_redis, marker), extra_args=INCLUDE)
    try:
        with producer_broker(private_redis.url):
            run = validation_run_start(listing=listing, actor=alice)
        wait_for(_blocked_in_slow_check(run.pk, marker), timeout=30, what="the run to block in the slow check")
        child = int(marker.read_text())
        _kill(worker.pid)  # the main process first, so nobody is left to requeue the task …
        _kill(child)  # … then the child, as when the whole machine or container dies
        worker.wait(timeout=10)
    finally:
        stop_worker(worker)
    task_id = re.search(r"run_validation\[([0-9a-f-]+)\] received", log.read_text()).group(1)

    stranded = ValidationRun.objects.get(pk=run.pk)
    assert stranded.status == JobStatus.RUNNING  # left behind: only the sweep can tell it is dead
    assert private_redis.client().hlen("unacked") == 1  # the message waits for the visibility timeout
    findings_left = stranded.findings.count()

    # The sweep (celery beat runs it every minute) fails a run whose heartbeat stopped.
    time.sleep(1.5)
    with override_settings(JOB_STALE_AFTER_SECONDS=1):
        assert sweep_stale_jobs() == 1
    swept = ValidationRun.objects.get(pk=run.pk)
    assert swept.status == JobStatus.FAILED and "stopped responding" in swept.error
    assert listing.events.filter(type="validation.errored", data__run=str(run.pk)).count() == 1
    with override_settings(JOB_STALE_AFTER_SECONDS=1):
        assert sweep_stale_jobs() == 0  # a second sweep finds nothing more to do

    # The visibility timeout passes and a new worker gets the message again: the failed run stays failed.
    log2 = tmp_path / "worker2.log"
    worker2 = start_worker(log2, env=_worker_env(private_redis, marker, CELERY_VISIBILITY_TIMEOUT="1"),
                           hostname="late-worker", extra_args=INCLUDE)
    try:
        wait_for(lambda: f"run_validation[{task_id}] succeeded" in log2.read_text(errors="replace"), timeout=40,
                 what="the late re-delivery to be handled")
    finally:
        stop_worker(worker2)
    after = ValidationRun.objects.get(pk=run.pk)
    assert (after.status, after.attempts, after.error) == (swept.status, swept.attempts, swept.error)
    assert after.findings.count() == findings_left
    assert private_redis.client().hlen("unacked") == 0 and private_redis.client().llen("validation") == 0
