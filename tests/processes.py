"""Helper processes the tests start on loopback: free ports, waiting for an HTTP answer, stopping cleanly, and
``moto_server`` (AWS APIs are never called; moto answers for S3, ECR, SageMaker and the Catalog API)."""

from __future__ import annotations

import contextlib
import http.client
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port: int, path: str = "/", timeout: float = 15.0, proc: subprocess.Popen | None = None,
              tls: bool = False, log: Path | None = None) -> None:
    """Until anything answers ``GET path`` on the port; fails early (with the log's tail) if ``proc`` exits."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}\n{tail}")
        try:
            conn = (http.client.HTTPSConnection("127.0.0.1", port, timeout=1, context=ssl._create_unverified_context())
                    if tls else http.client.HTTPConnection("127.0.0.1", port, timeout=1))
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.05)
    tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port}{path} within {timeout} s\n{tail}")


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def moto_server_command() -> str:
    beside = Path(sys.executable).with_name("moto_server")
    found = str(beside) if beside.exists() else shutil.which("moto_server")
    if not found:
        raise RuntimeError("moto_server is missing: install requirements-dev.txt (moto[server]).")
    return found


@contextlib.contextmanager
def moto_server(workdir: Path) -> Iterator[str]:
    """``moto_server`` on a free loopback port, logging to ``workdir/moto.log``; yields its endpoint URL."""
    port = free_port()
    log = workdir / "moto.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([moto_server_command(), "-H", "127.0.0.1", "-p", str(port)], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_http(port, "/moto-api/", timeout=30, proc=proc, log=log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)
