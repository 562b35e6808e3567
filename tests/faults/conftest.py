"""Fault tests break real things: a private Redis they may restart, real worker processes they may kill.

The machine's Redis on 6379 is shared with other sessions, so it is never restarted here, and the fault tests
do not queue on it either: each test gets a ``redis-server`` of its own (``private_redis``), and the web side of
the test (the producer) is pointed at it with ``producer_broker``.
"""

from __future__ import annotations

import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis as redis_client
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.processes import free_port


class PrivateRedis:
    """A ``redis-server`` on a free loopback port, persisting to an append-only file in its own folder, so a
    clean restart (SHUTDOWN, start again on the same folder) keeps every queued message."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis_client.Redis:
        # No retries: a refused connection should fail at once (redis-py retries with back-off by default).
        return redis_client.Redis(host="127.0.0.1", port=self.port, db=0, socket_timeout=5,
                                  retry=Retry(NoBackoff(), 0))

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--dir", str(self.folder), "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except redis_client.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}; see {self.folder / 'redis.log'}")

    def shutdown(self) -> None:
        """SHUTDOWN as an operator restarting Redis does: the append-only file is flushed, the process exits."""
        try:
            self.client().shutdown()
        except redis_client.ConnectionError:
            pass
        self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def private_redis(tmp_path):
    folder = tmp_path / "redis"
    folder.mkdir()
    server = PrivateRedis(folder)
    server.start()
    yield server
    server.stop()


@contextmanager
def producer_broker(url: str):
    """Send this process's tasks (``run_validation.delay`` after commit) to ``url`` instead of the shared Redis."""
    from marketplace_prep.celery import app

    def reset() -> None:  # what Celery itself does after a fork: forget pooled connections and producers
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    app.conf.broker_url = url
    reset()
    try:
        yield app
    finally:
        app.conf.broker_url = previous
        reset()


def queue_length(server: PrivateRedis, queue: str = "validation") -> int:
    return server.client().llen(queue)
