"""The broker and the database go away and come back.

- Redis restarted (SHUTDOWN, then started again on its own folder) while runs wait in the queue: every queued run
  is still there and completes, and the web process, whose pooled connection died with the old server, queues
  new runs without being restarted. Only a private ``redis-server`` is restarted, never the shared one.
- PostgreSQL drops the web's connections and refuses new ones for a moment: a page answers a clear 503 (the API
  its JSON error), and the next request after the database is back succeeds — same gunicorn process, no restart.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from listings.jobs import JobStatus
from tests.factories import ListingFactory
from tests.faults.conftest import free_port, producer_broker, queue_length
from tests.worker import ROOT, _database_url, start_worker, stop_worker, wait_for
from validation.models import ValidationRun
from validation.services import validation_run_start

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_runs_queued_across_a_redis_restart_all_complete(private_redis, team_a, alice, tmp_path):
    listings = [ListingFactory(team=team_a, created_by=alice) for _ in range(6)]
    with producer_broker(private_redis.url):
        runs = [validation_run_start(listing=listing, actor=alice) for listing in listings[:4]]
        assert queue_length(private_redis) == 4

        private_redis.shutdown()
        private_redis.start()  # same folder: the append-only file is replayed
        assert queue_length(private_redis) == 4, "queued runs were lost in the restart"

        # The producer's pooled connection died with the old server; sending again reconnects by itself.
        runs += [validation_run_start(listing=listing, actor=alice) for listing in listings[4:]]
        assert queue_length(private_redis) == 6

    worker = start_worker(tmp_path / "worker.log", env={"REDIS_URL": private_redis.url})
    try:
        def all_done():
            return all(r.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
                       for r in ValidationRun.objects.filter(pk__in=[r.pk for r in runs]))
        wait_for(all_done, timeout=60, what="every queued run to finish")
    finally:
        stop_worker(worker)
    finished = ValidationRun.objects.filter(pk__in=[r.pk for r in runs])
    assert {(r.status, r.attempts) for r in finished} == {(JobStatus.SUCCEEDED, 1)}
    assert all(r.findings.exists() for r in finished)
    assert queue_length(private_redis) == 0 and private_redis.client().hlen("unacked") == 0


# -- PostgreSQL ----------------------------------------------------------------------------------------------

def _admin_connection():
    """A superuser connection to the maintenance database, from which the test database can be cut off."""
    db = connection.settings_dict
    conn = psycopg2.connect(dbname="postgres", user=db["USER"], host=db["HOST"] or "127.0.0.1",
                            port=db["PORT"] or 5432, password=db.get("PASSWORD") or None)
    conn.autocommit = True
    return conn


def _cut_off(admin, name: str, *, allow: bool) -> int:
    """Refuse (or allow again) new connections to ``name``; when refusing, also end every existing one."""
    with admin.cursor() as cur:
        cur.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if allow else "false"}')
        if allow:
            return 0
        cur.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", [name])
        return cur.fetchone()[0]


def _get(url: str, headers: dict) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture
def gunicorn(tmp_path):
    """The web app as production runs it: gunicorn, one sync worker, persistent DB connections."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "DATABASE_URL": _database_url(), "CONN_MAX_AGE": "60"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "marketplace_prep.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--timeout", "30", "--error-logfile", str(log), "--capture-output"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: _healthy(base), timeout=20, what="gunicorn to answer")
    yield base, proc, log
    proc.terminate()
    proc.wait(timeout=15)


def _healthy(base: str) -> bool:
    try:
        return _get(f"{base}/healthz", {})[0] == 200
    except OSError:
        return False


def test_a_dropped_database_answers_503_and_recovers_without_a_restart(gunicorn, alice, client):
    from rest_framework.authtoken.models import Token

    base, proc, log = gunicorn
    client.force_login(alice)
    page = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    api = {"Authorization": f"Token {Token.objects.create(user=alice).key}", "Accept": "application/json"}
    name = connection.settings_dict["NAME"]
    assert _get(f"{base}/listings/", page)[0] == 200
    assert _get(f"{base}/api/v1/listings/", api)[0] == 200

    admin = _admin_connection()
    try:
        assert _cut_off(admin, name, allow=False) >= 1  # gunicorn's connection (and ours) are gone
        status, headers, body = _get(f"{base}/listings/", page)
        assert status == 503, body[:2000]
        assert "briefly unavailable" in body.lower() and "try again" in body.lower()
        assert headers.get("Retry-After") == "5"
        status, headers, body = _get(f"{base}/api/v1/listings/", api)
        assert status == 503 and '"service_unavailable"' in body, body[:2000]
        assert _get(f"{base}/healthz", {})[0] == 200  # the process itself is fine
    finally:
        _cut_off(admin, name, allow=True)
        admin.close()
        connection.close()  # ours was terminated too: reconnect on next use

    status, _, body = _get(f"{base}/listings/", page)
    assert status == 200, body[:2000]
    assert _get(f"{base}/api/v1/listings/", api)[0] == 200
    assert proc.poll() is None
    assert Path(log).read_text().count("Booting worker") == 1  # the same worker: nothing was restarted
