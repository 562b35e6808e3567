"""The runners: Docker when an engine answers, else Linux namespaces (bubblewrap, as root), else none.

Why bubblewrap for the namespace runner rather than ``unshare`` + ``chroot``: one command builds the whole
SageMaker-shaped sandbox — new network (loopback only, brought up by bwrap), pid, ipc, uts and mount
namespaces; the unpacked root bound read-only with ``pivot_root`` (a root process cannot climb out the way
it can out of a ``chroot``); /proc, a fresh /dev, a size-capped tmpfs /tmp; /opt/ml/model bound read-only;
Docker's default capability set instead of full root; ``--die-with-parent`` so a dead worker leaves no
container behind. ``--info-fd`` hands us the container's pid and ``--block-fd`` holds the program back until
the limits are applied and the agent is listening inside its network namespace — so nothing the program
does at start-up goes unseen. ``--as-pid-1`` makes the program PID 1, exactly as under ``docker run``
(which matters: PID 1 ignores SIGTERM unless it handles it, and SageMaker's stop relies on that signal).
"""

from __future__ import annotations

import functools
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from validation.container.rehearsal.sandbox import (
    Agent, Prepared, Running, RunSpec, SandboxError, apply_limits, remove_cgroup,
)
from validation.container.rehearsal.unpack import read_config, unpack_image

# Docker's default capability set — what a container's root may do under `docker run` (and SageMaker) —
# less CAP_MKNOD: Docker pairs it with a device cgroup we do not have, and /opt/ml/model and /opt/ml/output
# of a `train` run are host folders, where a device node would open the host's disks.
DOCKER_CAPS = ("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_NET_RAW",
               "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
               "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE")


class Runner:
    name = "none"

    def available(self) -> tuple[bool, str]:
        raise NotImplementedError

    def prepare(self, archive: Path, scratch: Path, budgets, say: Callable[[str], None] | None = None) -> Prepared:
        raise NotImplementedError

    def start(self, prepared: Prepared, spec: RunSpec) -> Running:
        raise NotImplementedError

    def release(self, prepared: Prepared) -> None:
        """Forget the prepared image (the scratch folder itself is removed by the caller)."""


class NoRunner(Runner):
    def __init__(self, reason: str) -> None:
        self.reason = reason

    def available(self) -> tuple[bool, str]:
        return False, self.reason


# -- Linux namespaces ----------------------------------------------------------------------------------------
class _BwrapRunning(Running):
    runner = "namespaces"

    def __init__(self, proc: subprocess.Popen, pid: int, agent: Agent, log, limits: str, group) -> None:
        super().__init__(pid, agent, log, limits)
        self.proc, self.group = proc, group

    def poll(self) -> int | None:
        if self.exit_code is None:
            self.exit_code = self.proc.poll()  # bwrap exits with the program's status (128+N for signal N)
        return self.exit_code

    def signal(self, sig: int) -> None:
        try:
            os.kill(self.pid, sig)  # the program itself: PID 1 of its pid namespace
        except ProcessLookupError:
            pass
        if sig == signal.SIGKILL:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass

    def _cleanup(self) -> None:
        self.proc.wait()
        remove_cgroup(self.group)


class NamespaceRunner(Runner):
    name = "namespaces"

    def available(self) -> tuple[bool, str]:
        return _namespaces_work()

    def prepare(self, archive: Path, scratch: Path, budgets, say: Callable[[str], None] | None = None) -> Prepared:
        def told(done: int, total: int, un) -> None:
            if say:
                say(f"Unpacked layer {done}/{total} ({un.files:,} files, {un.bytes:,} bytes so far)")

        un = unpack_image(archive, scratch / "rootfs", max_bytes=budgets.rootfs_max, progress=told)
        notes = [f"Unpacked {un.layers} layers: {un.files:,} files, {un.bytes:,} bytes."]
        if un.refused:
            notes.append("Not unpacked: " + "; ".join(un.refused))
        if un.skipped_devices:
            notes.append(f"{un.skipped_devices} device nodes skipped (the sandbox provides /dev).")
        return Prepared(un.config, root=un.root, notes=notes)

    def start(self, prepared: Prepared, spec: RunSpec) -> Running:
        assert prepared.root is not None
        b = spec.budgets
        r_info, w_info = os.pipe()
        r_block, w_block = os.pipe()
        cmd = ["bwrap", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
               "--unshare-cgroup-try", "--hostname", spec.hostname, "--die-with-parent", "--as-pid-1",
               "--new-session", "--ro-bind", str(prepared.root), "/", "--proc", "/proc", "--dev", "/dev",
               "--size", str(b.tmp_bytes), "--tmpfs", "/tmp"]
        for m in spec.mounts:
            cmd += ["--bind" if m.writable else "--ro-bind", str(m.host), m.dest]
        cmd += ["--chdir", spec.workdir or "/", "--cap-drop", "ALL"]
        for cap in DOCKER_CAPS:
            cmd += ["--cap-add", cap]
        cmd += ["--info-fd", str(w_info), "--block-fd", str(r_block), "--", *spec.argv]
        try:
            proc = subprocess.Popen(cmd, env=spec.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, pass_fds=(w_info, r_block), start_new_session=True)
        finally:
            os.close(w_info)
            os.close(r_block)
        spec.log.follow(proc.stdout)
        try:
            info = _read_info(r_info, 20.0)
            pid = int(info["child-pid"])
        except (SandboxError, KeyError, ValueError) as exc:
            os.close(w_block)
            proc.kill()
            proc.wait()
            spec.log.close()
            raise SandboxError(f"bwrap did not start the sandbox ({exc}): {spec.log.tail(5)}") from None
        finally:
            os.close(r_info)
        group = None
        try:
            limits, group = apply_limits(pid, b)
            agent = Agent(f"/proc/{pid}/ns/net", spec.scratch / f"agent-{pid}.log")
        except (OSError, SandboxError) as exc:
            os.close(w_block)
            proc.kill()
            proc.wait()
            remove_cgroup(group)
            spec.log.close()
            raise SandboxError(str(exc)) from None
        running = _BwrapRunning(proc, pid, agent, spec.log, limits, group)
        os.write(w_block, b"1")  # the program starts now
        running.started = time.monotonic()
        os.close(w_block)
        return running


def _read_info(fd: int, timeout: float) -> dict:
    data, deadline = b"", time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise SandboxError("no sandbox information in time")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise SandboxError("bwrap exited")
        data += chunk
        try:
            return json.loads(data)
        except ValueError:
            continue


@functools.lru_cache(maxsize=1)
def _namespaces_work() -> tuple[bool, str]:
    if os.geteuid() != 0:
        return False, "the namespace runner needs root (it mounts the image root and enters network namespaces)"
    missing = [c for c in ("bwrap", "nsenter", "ip") if shutil.which(c) is None]
    if missing:
        return False, f"missing {', '.join(missing)} (Debian packages bubblewrap, util-linux, iproute2)"
    try:
        r = subprocess.run(["bwrap", "--unshare-net", "--unshare-pid", "--ro-bind", "/", "/", "--proc", "/proc",
                            "--dev", "/dev", "--", "true"], capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"bwrap cannot run: {exc}"
    if r.returncode != 0:
        return False, f"namespaces are not permitted here: {r.stderr.decode(errors='replace').strip()[:200]}"
    return True, "Linux namespaces (bubblewrap as root)"


# -- Docker --------------------------------------------------------------------------------------------------
class _DockerRunning(Running):
    runner = "docker"

    def __init__(self, cid: str, pid: int, agent: Agent, log, logs_proc: subprocess.Popen) -> None:
        super().__init__(pid, agent, log, "docker: --memory, --cpus, --pids-limit, --read-only, --network none")
        self.cid, self.logs_proc = cid, logs_proc

    def poll(self) -> int | None:
        if self.exit_code is None:
            out = _docker("inspect", "-f", "{{.State.Running}} {{.State.ExitCode}}", self.cid, check=False)
            running, _, code = out.strip().partition(" ")
            if running == "false":
                self.exit_code = int(code or 0)
        return self.exit_code

    def signal(self, sig: int) -> None:
        _docker("kill", "-s", signal.Signals(sig).name, self.cid, check=False)

    def _cleanup(self) -> None:
        _docker("rm", "-f", self.cid, check=False)
        self.logs_proc.wait(10)


def _docker(*args: str, check: bool = True, timeout: float = 600) -> str:
    r = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise SandboxError(f"docker {args[0]} failed: {r.stderr.strip()[:300]}")
    return r.stdout


def engine_ping(host: str, timeout: float = 2.0) -> tuple[bool, str]:
    """Does a Docker engine answer ``GET /_ping`` at ``host`` (``unix://…`` or ``tcp://host:port``)?"""
    try:
        if host.startswith("unix://"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(host[len("unix://"):])
        elif host.startswith("tcp://"):
            name, _, port = host[len("tcp://"):].rstrip("/").rpartition(":")
            sock = socket.create_connection((name, int(port)), timeout=timeout)
        else:
            return False, f"unsupported DOCKER_HOST {host!r}"
        with sock:
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            reply = sock.recv(1024)
    except (OSError, ValueError) as exc:
        return False, f"no Docker engine answers on {host} ({exc.__class__.__name__}: {exc})"
    if b" 200 " not in reply.split(b"\r\n", 1)[0]:
        return False, f"{host} answered, but not as a Docker engine"
    return True, f"Docker engine on {host}"


class DockerRunner(Runner):
    """``docker run --network none`` plus our agent in the container's netns (engine on this host only)."""

    name = "docker"

    def __init__(self, host: str | None = None) -> None:
        self.host = host or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"

    def available(self) -> tuple[bool, str]:
        if shutil.which("docker") is None:
            return False, "the docker command is not installed"
        ok, why = engine_ping(self.host)
        if not ok:
            return False, why
        if not self.host.startswith("unix://"):
            return False, f"{why}, but not on this host: the prober must enter the container's network namespace"
        if os.geteuid() != 0 or shutil.which("nsenter") is None:
            return False, f"{why}, but entering the container's network namespace needs root and nsenter"
        return True, why

    def prepare(self, archive: Path, scratch: Path, budgets, say: Callable[[str], None] | None = None) -> Prepared:
        out = _docker("load", "-q", "-i", str(archive))
        ref = out.strip().splitlines()[-1].split(": ", 1)[-1] if out.strip() else ""
        if not ref:
            raise SandboxError("docker load named no image")
        return Prepared(read_config(archive), image=ref, notes=[f"Loaded as {ref}."])

    def release(self, prepared: Prepared) -> None:
        if prepared.image:
            _docker("rmi", "-f", prepared.image, check=False)

    def start(self, prepared: Prepared, spec: RunSpec) -> Running:
        b = spec.budgets
        env_file = spec.scratch / f"env-{time.monotonic_ns()}"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in spec.env.items() if "\n" not in v))
        cmd = ["create", "--network", "none", "--read-only", "--tmpfs", f"/tmp:rw,size={b.tmp_bytes}",
               "--memory", str(b.memory_bytes), "--cpus", f"{b.cpus:g}", "--pids-limit", str(b.pids),
               "--hostname", spec.hostname, "--env-file", str(env_file), "--workdir", spec.workdir or "/",
               "--entrypoint", spec.argv[0]]
        for m in spec.mounts:
            cmd += ["-v", f"{m.host}:{m.dest}:{'rw' if m.writable else 'ro'}"]
        cid = _docker(*cmd, prepared.image, *spec.argv[1:]).strip()
        _docker("start", cid)
        pid = int(_docker("inspect", "-f", "{{.State.Pid}}", cid).strip() or 0)
        logs = subprocess.Popen(["docker", "logs", "-f", cid], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        spec.log.follow(logs.stdout)
        try:
            agent = Agent(f"/proc/{pid}/ns/net", spec.scratch / f"agent-{pid}.log")
        except SandboxError:
            _docker("rm", "-f", cid, check=False)
            raise
        return _DockerRunning(cid, pid, agent, spec.log, logs)


def available_runner() -> Runner:
    """Docker when an engine answers, else namespaces when root and bwrap work, else a runner that says why not."""
    reasons = []
    for runner in (DockerRunner(), NamespaceRunner()):
        ok, why = runner.available()
        if ok:
            return runner
        reasons.append(f"{runner.name}: {why}")
    return NoRunner("; ".join(reasons))
