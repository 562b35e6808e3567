"""Shared plumbing for the benchmarks: the bench database, the environment children get, Django set-up,
tools installed on demand, and the one-table printer ``run_all.py`` uses.

Benchmarks never touch the development or test databases: they use their own PostgreSQL databases
(``marketplace_prep_bench`` by default, from ``BENCH_DATABASE_URL``), their own Redis database number
(a private ``redis-server`` on a free loopback port while a bench runs — see ``private_redis`` — else
``BENCH_REDIS_URL``, default ``redis://127.0.0.1:6379/12``) and their own ``VAR_DIR``. A private Redis matters:
a worker of another checkout listening on the same Redis database and queue names takes the bench's tasks. The ambient
``DATABASE_URL`` is deliberately ignored, so a bench can never reseed a real database by accident.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "bench"
PYTHON = sys.executable

DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/marketplace_prep_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
# A fixed key for bench processes only: the page bench logs in by creating a session in one process and
# sending its cookie to gunicorn, and the session's auth hash is signed with this key.
BENCH_SECRET_KEY = "bench-only-not-a-secret-" + "x" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def private_redis() -> Iterator[str]:
    """A throw-away ``redis-server`` (no persistence) for this bench and the processes it starts; its URL is
    put in ``BENCH_REDIS_URL`` meanwhile. An explicit ``BENCH_REDIS_URL``, or no ``redis-server`` binary,
    means the shared server is used instead."""
    exe = shutil.which("redis-server")
    if os.environ.get("BENCH_REDIS_URL") or exe is None:
        yield os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
        return
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench_redis_") as tmp:
        proc = subprocess.Popen([exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                                 "--dir", tmp, "--protected-mode", "yes"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                        conn.sendall(b"PING\r\n")
                        if conn.recv(16).startswith(b"+PONG"):
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the bench's private redis-server did not start")
                time.sleep(0.05)
            url = f"redis://127.0.0.1:{port}/0"
            os.environ["BENCH_REDIS_URL"] = url
            try:
                yield url
            finally:
                os.environ.pop("BENCH_REDIS_URL", None)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def bench_db_url(suffix: str = "") -> str:
    """The bench database URL; ``suffix`` gives a sibling database (e.g. ``_validation``)."""
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB_URL)
    if not suffix:
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))


def db_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def bench_var_dir(name: str) -> Path:
    root = Path(os.environ.get("BENCH_VAR_DIR", Path(tempfile.gettempdir()) / "marketplace_prep_bench"))
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def bench_env(db_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a bench process and of everything it starts (gunicorn, Celery workers)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace_prep.settings",
        "DATABASE_URL": db_url,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        "VAR_DIR": str(var_dir),
        "STATIC_ROOT": str(var_dir / "static"),
        "SECRET_KEY": BENCH_SECRET_KEY,
        "LOG_LEVEL": "WARNING",
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONPATH": str(REPO),
    }
    env.pop("AWS_STORAGE_BUCKET_NAME", None)  # local artifact storage: the bench measures the app, not S3
    env.update(extra)
    return env


def setup_django(db_url: str, var_dir: Path, **extra: str) -> None:
    """Point this process at the bench database and start Django."""
    os.environ.update(bench_env(db_url, var_dir, **extra))
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()


def ensure_database(db_url: str) -> bool:
    """Creates the database when missing; returns True when it was created."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(db_url)
    name = db_name(db_url)
    conn = psycopg2.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
                            user=parts.username or "postgres", password=parts.password, dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone():
                return False
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        conn.close()


def migrate(db_url: str, var_dir: Path) -> None:
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO,
                   env=bench_env(db_url, var_dir), check=True)


def refuse_non_bench(db_url: str) -> None:
    if "bench" not in db_name(db_url):
        raise SystemExit(f"refusing to reseed {db_name(db_url)!r}: a bench database's name contains 'bench'")


def ensure_tools(*tools: str) -> None:
    """Installs Debian packages for bench-only tools (wrk, hyperfine) when missing; root only."""
    missing = [t for t in tools if shutil.which(t) is None]
    if not missing:
        return
    if os.geteuid() != 0:
        raise SystemExit(f"missing {' '.join(missing)}: install them with apt-get (bench-only tools)")
    print(f"installing {' '.join(missing)} from Debian", file=sys.stderr)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, stdout=subprocess.DEVNULL)


def emit_results(rows: list[dict], path: str | None) -> None:
    """Machine-readable results for run_all.py: one JSON list of rows (name, measured, unit, target, …)."""
    if path:
        Path(path).write_text(json.dumps(rows, indent=1, default=str))
