"""What every runner shares: the run spec, a running container's handle, the in-netns agent, the limits.

A runner (``runners``) starts the container; the ``Agent`` is then started inside the container's network
namespace (``nsenter --net``) *before* the container's program runs, so DNS look-ups and connections made
at start-up are seen. Probes talk to the agent; the agent talks to 127.0.0.1:<port> in that namespace.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from validation.container.rehearsal.budgets import Budgets
from validation.container.rehearsal.logs import LogCapture

AGENT = Path(__file__).with_name("agent.py")


class SandboxError(Exception):
    """The sandbox could not start the container (not the container's fault)."""


@dataclass(frozen=True)
class Mount:
    host: Path
    dest: str  # inside the container, already resolved inside the root (see unpack.mount_point)
    writable: bool = False


@dataclass
class RunSpec:
    argv: list[str]
    env: dict[str, str]
    workdir: str
    mounts: list[Mount]
    hostname: str
    log: LogCapture
    budgets: Budgets
    scratch: Path  # for the runner's own files (agent log, env file)


@dataclass
class Prepared:
    """An image made ready to run: a root folder (namespaces) or an engine's image id (Docker)."""

    config: dict
    root: Path | None = None
    image: str = ""
    notes: list[str] = field(default_factory=list)


class Agent:
    """The prober/watcher process inside the container's network namespace (see ``agent.py``)."""

    def __init__(self, netns: str, log_path: Path, timeout: float = 20.0) -> None:
        self._err = open(log_path, "wb")
        try:
            self.proc = subprocess.Popen(
                ["nsenter", f"--net={netns}", "--", sys.executable, "-I", str(AGENT)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err, start_new_session=True)
        except OSError as exc:
            self._err.close()
            raise SandboxError(f"the prober cannot start: {exc}") from None
        self._buf = b""
        ready = self._read(timeout)
        if not ready.get("ready"):
            self.close()
            raise SandboxError(f"the prober did not start in the container's network namespace ({ready})")
        self.state = ready

    def _read(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return {"error": "agent-timeout"}
            chunk = os.read(fd, 65536)
            if not chunk:
                return {"error": "agent-exited"}
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        try:
            return json.loads(line)
        except ValueError:
            return {"error": "agent-garbled"}

    def call(self, op: str, *, wait: float = 10.0, **req: object) -> dict:
        try:
            self.proc.stdin.write(json.dumps({"op": op, **req}).encode() + b"\n")
            self.proc.stdin.flush()
        except (OSError, ValueError):
            return {"error": "agent-exited"}
        return self._read(wait + 5.0)

    def events(self) -> list[dict]:
        return self.call("events").get("events", [])

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b'{"op": "quit"}\n')
                self.proc.stdin.close()
                self.proc.wait(3)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        self._err.close()


class Running:
    """A started container. ``started`` is the monotonic time its program was released to run."""

    runner = "?"

    def __init__(self, pid: int, agent: Agent, log: LogCapture, limits: str) -> None:
        self.pid, self.agent, self.log, self.limits = pid, agent, log, limits
        self.started = time.monotonic()
        self.exit_code: int | None = None

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    # -- to be provided by each runner -------------------------------------------------------------------
    def poll(self) -> int | None:
        raise NotImplementedError

    def signal(self, sig: int) -> None:
        raise NotImplementedError

    def _cleanup(self) -> None:
        pass

    # -- shared ------------------------------------------------------------------------------------------
    def alive(self) -> bool:
        return self.poll() is None

    def wait(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while True:
            code = self.poll()
            if code is not None or time.monotonic() >= deadline:
                return code
            time.sleep(0.02)

    def stop(self, grace: float) -> tuple[bool, float, int | None]:
        """SIGTERM, then SIGKILL after ``grace`` s. Returns (exited in time, seconds taken, exit code)."""
        if self.poll() is not None:
            return True, 0.0, self.exit_code
        t0 = time.monotonic()
        self.signal(signal.SIGTERM)
        code = self.wait(grace)
        took = time.monotonic() - t0
        if code is None:
            self.signal(signal.SIGKILL)
            code = self.wait(10.0)
            return False, took, code
        return True, took, code

    def close(self) -> None:
        """Everything stopped and released, whatever state the container is in."""
        if self.poll() is None:
            self.signal(signal.SIGKILL)
            self.wait(10.0)
        self.agent.close()
        self._cleanup()
        self.log.close()


# -- limits ------------------------------------------------------------------------------------------------
def apply_limits(pid: int, budgets: Budgets) -> tuple[str, object]:
    """Limit the container's first process before it runs. Returns (what was applied, cleanup handle)."""
    group = _cgroup_v2(pid, budgets)
    if group is not None:
        return (f"cgroup v2 ({group.name}): memory.max {budgets.memory_bytes:,} B, cpu.max {budgets.cpus:g} CPUs, "
                f"pids.max {budgets.pids}"), group
    # No writable cgroup v2 here: per-process rlimits, inherited by everything the container starts.
    # RLIMIT_DATA (heap and private mappings since Linux 4.7) rather than RLIMIT_AS, which breaks runtimes
    # that reserve large address ranges (Go, JVM, CUDA). CPU time is bounded per process; CPU *share* is not.
    # RLIMIT_NPROC counts every task of the user (root) on the host; the container, having no
    # CAP_SYS_RESOURCE, is held to what root runs now plus its budget — enough to stop a fork bomb.
    cpu = max(1, int(budgets.total))
    nproc = _root_tasks() + budgets.pids
    for which, value in ((resource.RLIMIT_DATA, budgets.memory_bytes), (resource.RLIMIT_CPU, cpu),
                         (resource.RLIMIT_NPROC, nproc), (resource.RLIMIT_FSIZE, budgets.model_max),
                         (resource.RLIMIT_CORE, 0)):  # no core files (nor the host's core handler)
        resource.prlimit(pid, which, (value, value))
    return (f"rlimit (no writable cgroup v2): RLIMIT_DATA {budgets.memory_bytes:,} B and RLIMIT_CPU {cpu} s per "
            f"process, RLIMIT_NPROC {nproc} (root's tasks + {budgets.pids}), RLIMIT_FSIZE {budgets.model_max:,} B, "
            "no core dumps; CPU share not limited"), None


def _root_tasks() -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == 0:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return count


def _cgroup_v2(pid: int, budgets: Budgets) -> Path | None:
    base = Path("/sys/fs/cgroup")
    try:
        if "memory" not in (base / "cgroup.controllers").read_text().split():
            return None
        own = next(line.split("::", 1)[1].strip() for line in Path("/proc/self/cgroup").read_text().splitlines()
                   if line.startswith("0::"))
        parent = base / own.lstrip("/")
        group = parent / f"rehearsal-{os.getpid()}-{pid}"
        (parent / "cgroup.subtree_control").write_text("+memory +cpu +pids")
        group.mkdir()
    except (OSError, StopIteration):
        return None
    try:
        (group / "memory.max").write_text(str(budgets.memory_bytes))
        (group / "cpu.max").write_text(f"{int(budgets.cpus * 100000)} 100000")
        (group / "pids.max").write_text(str(budgets.pids))
        (group / "cgroup.procs").write_text(str(pid))
        return group
    except OSError:
        remove_cgroup(group)
        return None


def remove_cgroup(group: object) -> None:
    if isinstance(group, Path):
        try:
            group.rmdir()
        except OSError:
            pass
