"""A real Celery worker process for integration and browser tests, on the test database and Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
QUEUES = "default,validation,containers,exports"


def _database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{connection.settings_dict['NAME']}"


def start_worker(log_path: Path, *, concurrency: int = 1, hostname: str = "test-worker", env: dict | None = None,
                 extra_args: tuple[str, ...] = ()) -> subprocess.Popen:
    """``env`` adds to (or overrides) the environment, e.g. a private ``REDIS_URL``; ``extra_args`` go to
    ``celery worker``, e.g. ``("--include", "tests.faults.slowcheck")``."""
    env = {**os.environ, "DATABASE_URL": _database_url(), "CONN_MAX_AGE": "0", **(env or {})}
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "marketplace_prep", "worker", "--loglevel=INFO",
         f"--concurrency={concurrency}", f"--queues={QUEUES}", f"--hostname={hostname}@%h", "--without-mingle",
         "--without-gossip", *extra_args],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Celery worker exited early; see {log_path}:\n{log_path.read_text()[-3000:]}")
        if b" ready." in log_path.read_bytes():
            return proc
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"the Celery worker did not become ready; see {log_path}")


def stop_worker(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    from marketplace_prep.celery import app

    # Tasks left in Redis by an earlier, interrupted run would only confuse this one. ``control.purge()`` empties
    # only the queues this process has declared so far, so each queue the worker reads is named here.
    app.control.purge()
    with app.connection_for_write() as conn:
        for queue in QUEUES.split(","):
            conn.default_channel.queue_purge(queue)
    proc = start_worker(tmp_path_factory.mktemp("worker") / "worker.log")
    yield proc
    stop_worker(proc)


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
