"""The probes of one `serve` run, each turned into findings with the figure it measured (AWS_RULES.md §5).

Order: the port opens (connection timing) → /ping until healthy (503 while loading is fine) →
/execution-parameters → /invocations with every sample (``invoke``) → a last /ping → SIGTERM. Everything goes through
the agent inside the container's network namespace; ``say`` reports each step as it happens.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from validation.container.rehearsal.budgets import MiB, Budgets
from validation.container.rehearsal.sandbox import Running
from validation.findings import Finding
from validation.rules.rehearsal import RULES_BY_CODE as R

STRATEGIES = {"MULTI_RECORD", "SINGLE_RECORD", "MultiRecord", "SingleRecord"}  # the env form and the API form


@dataclass
class Sample:
    path: Path
    name: str
    mode: str  # realtime | batch
    direction: str  # input | output
    content_type: str
    size: int
    expected: Sample | None = None  # the seller's sample output for this input


@dataclass
class Phase:
    """One `serve` run: what it is called, where findings point, and how to report."""

    label: str  # "Real-time", "Batch", "Trained model"
    mode: str  # realtime | batch
    running: Running
    budgets: Budgets
    port: int
    where: str
    add: Callable[[Finding], None]
    say: Callable[[str], None]
    scratch: Path
    watch: Callable[[], None] = lambda: None  # reports new outbound attempts as they happen
    healthy: bool = False
    answered: int = 0
    failed: int = 0
    stats: dict = field(default_factory=dict)

    def msg(self, text: str) -> str:
        return f"{self.label}: {text}"


def fmt_ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"


def wait_listening(ph: Phase) -> bool:
    """Poll the port until it accepts, then time a few connections (E003)."""
    b, run = ph.budgets, ph.running
    opened = None
    while run.elapsed() < b.startup and run.alive():
        r = run.agent.call("connect", port=ph.port, timeout=1.0, wait=1.0)
        if r.get("ok"):
            opened = run.elapsed()
            break
        if int(run.elapsed() * 50) % 25 == 0:
            ph.watch()
        time.sleep(0.02)
    rule = R["rehearsal.E003"]
    if opened is None:
        if run.alive():
            ph.add(rule.failed(ph.msg(f"nothing listened on port {ph.port} within {b.startup:g} s."),
                               location=ph.where, port=ph.port, waited_s=round(run.elapsed(), 2)))
        else:
            ph.add(rule.not_run(ph.msg("not measured: the container stopped before listening."), location=ph.where))
        return False
    times = []
    for _ in range(b.accept_samples):  # one at a time, as SageMaker's front end connects; not a burst
        time.sleep(0.05)
        times.append(run.agent.call("connect", port=ph.port, timeout=b.accept * 4 + 1, wait=b.accept * 4 + 1))
    ms = [t["ms"] for t in times if t.get("ok")]
    worst = max(ms) if len(ms) == len(times) else None
    ph.stats["listening_after_s"] = round(opened, 3)
    ph.say(ph.msg(f"port {ph.port} open after {opened:.2f} s; connections accepted in "
                  f"{fmt_ms(worst) if worst is not None else 'not all attempts'}"))
    measured = {"port": ph.port, "listening_after_s": round(opened, 3), "accept_ms": [round(x, 2) for x in ms]}
    if worst is None or worst > b.accept * 1000:
        shown = "some connections failed" if worst is None else f"the slowest took {fmt_ms(worst)}"
        ph.add(rule.failed(ph.msg(f"port {ph.port}: {shown}; the limit is {b.accept * 1000:g} ms."),
                           location=ph.where, **measured))
    else:
        ph.add(rule.passed(ph.msg(f"port {ph.port} listening {opened:.2f} s after start; {len(ms)} connections accepted in at "
                                  f"most {fmt_ms(worst)}."), location=ph.where, **measured))
    return True


def wait_healthy(ph: Phase) -> bool:
    """GET /ping until 200 (E004, W005, E006, W007)."""
    b, run = ph.budgets, ph.running
    statuses: Counter = Counter()
    odd: Counter = Counter()
    slow: list[float] = []
    worst = 0.0
    healthy_at = None
    last = None
    while run.elapsed() < b.startup and run.alive():
        r = run.agent.call("http", path="/ping", port=ph.port, timeout=b.ping_timeout, wait=b.ping_timeout)
        ms = float(r.get("ms", 0.0))
        worst = max(worst, ms)
        if r.get("error") == "timeout" or ms > b.ping_timeout * 1000:
            slow.append(ms)
        state = r.get("status") or r.get("error")
        if "status" in r:
            statuses[r["status"]] += 1
            if r["status"] not in (200, 503):
                odd[str(r["status"])] += 1
        elif r.get("error") == "reset":
            odd["closed without an answer"] += 1
        if state != last:
            ph.say(ph.msg(f"/ping → {state} at {run.elapsed():.2f} s ({fmt_ms(ms)})"))
            last = state
        ph.watch()
        if r.get("status") == 200:
            healthy_at = run.elapsed()
            break
        time.sleep(b.ping_interval)
    ph.stats.update(pings=sum(statuses.values()), ping_statuses=dict(statuses), healthy_after_s=healthy_at)
    seen = ", ".join(f"{k}×{v}" for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))) or "no answer"
    measured = {"healthy_after_s": round(healthy_at, 3) if healthy_at is not None else None,
                "statuses": {str(k): v for k, v in statuses.items()}}
    if healthy_at is None:
        why = "stopped" if not run.alive() else f"was not healthy after {b.startup:g} s"
        ph.add(R["rehearsal.E004"].failed(ph.msg(f"the container {why} (/ping answered: {seen})."),
                                          location=ph.where, **measured))
        ph.add(R["rehearsal.W005"].not_run(ph.msg("never healthy."), location=ph.where))
    else:
        ph.add(R["rehearsal.E004"].passed(ph.msg(f"healthy {healthy_at:.2f} s after start (/ping answered: {seen})."),
                                          location=ph.where, **measured))
        warn = R["rehearsal.W005"]
        if healthy_at > b.startup_warn:
            ph.add(warn.failed(ph.msg(f"healthy only after {healthy_at:.1f} s (recommended: under "
                                      f"{b.startup_warn:g} s)."), location=ph.where, **measured))
        else:
            ph.add(warn.passed(ph.msg(f"healthy after {healthy_at:.2f} s."), location=ph.where, **measured))
    ping_ms = {"slowest_ms": round(worst, 1), "slow": len(slow), "pings": sum(statuses.values()) + len(slow)}
    if slow:
        ph.add(R["rehearsal.E006"].failed(ph.msg(f"{len(slow)} /ping requests took longer than {b.ping_timeout:g} s."),
                                          location=ph.where, **ping_ms))
    elif statuses:
        ph.add(R["rehearsal.E006"].passed(ph.msg(f"every /ping answered within {fmt_ms(worst)}."), location=ph.where,
                                          **ping_ms))
    if odd:
        shown = ", ".join(f"{k} ×{v}" for k, v in odd.items())
        ph.add(R["rehearsal.W007"].failed(ph.msg(f"/ping answered {shown} while starting."), location=ph.where,
                                          statuses=dict(odd)))
    elif statuses:
        ph.add(R["rehearsal.W007"].passed(ph.msg(f"/ping answered only 200/503 ({seen})."), location=ph.where))
    ph.healthy = healthy_at is not None
    return ph.healthy


def execution_parameters(ph: Phase) -> dict | None:
    """GET /execution-parameters (optional): validate what it says (E016)."""
    rule = R["rehearsal.E016"]
    out = ph.scratch / "execution-parameters.out"
    r = ph.running.agent.call("http", path="/execution-parameters", port=ph.port, timeout=10.0, wait=10.0,
                              out=str(out), max_body=65536)
    if r.get("status") != 200:
        ph.add(rule.passed(ph.msg(f"not offered (answered {r.get('status') or r.get('error')}); it is optional."),
                           location=ph.where))
        return None
    try:
        doc = json.loads(out.read_bytes())
    except ValueError:
        ph.add(rule.failed(ph.msg("/execution-parameters answered 200 but not JSON."), location=ph.where))
        return None
    max_mb = ph.budgets.payload_batch_max // MiB
    problems = []
    if not isinstance(doc, dict):
        problems.append("the answer is not a JSON object")
        doc = {}
    mct, strategy, payload = doc.get("MaxConcurrentTransforms"), doc.get("BatchStrategy"), doc.get("MaxPayloadInMB")
    if not isinstance(mct, int) or isinstance(mct, bool) or mct < 1:
        problems.append(f"MaxConcurrentTransforms is {mct!r} (an integer ≥ 1)")
    if strategy not in STRATEGIES:
        problems.append(f"BatchStrategy is {strategy!r} (MULTI_RECORD or SINGLE_RECORD)")
    if not isinstance(payload, int) or isinstance(payload, bool) or not 0 <= payload <= max_mb:
        problems.append(f"MaxPayloadInMB is {payload!r} (an integer from 0 to {max_mb})")
    ph.say(ph.msg(f"/execution-parameters → {json.dumps(doc)[:200]}"))
    if problems:
        ph.add(rule.failed(ph.msg("; ".join(problems) + "."), location=ph.where, answer=doc))
        return None
    ph.add(rule.passed(ph.msg(f"valid: {json.dumps(doc)}."), location=ph.where, answer=doc))
    return doc


def final_ping(ph: Phase) -> None:
    r = ph.running.agent.call("http", path="/ping", port=ph.port, timeout=ph.budgets.ping_timeout,
                              wait=ph.budgets.ping_timeout)
    if r.get("status") != 200 or float(r.get("ms", 0)) > ph.budgets.ping_timeout * 1000:
        ph.add(R["rehearsal.E006"].failed(ph.msg(f"/ping after the invocations answered "
                                                 f"{r.get('status') or r.get('error')} in {fmt_ms(float(r.get('ms', 0)))}."),
                                          location=ph.where))


def shutdown(ph: Phase) -> None:
    """SIGTERM, then SIGKILL after the grace period (E018); E002 is judged just before."""
    run, b = ph.running, ph.budgets
    if run.alive():
        ph.add(R["rehearsal.E002"].passed(ph.msg(f"`{ph.stats.get('argv', 'serve')}` kept running for "
                                                 f"{run.elapsed():.1f} s."), location=ph.where))
    else:
        ph.add(R["rehearsal.E002"].failed(ph.msg(f"the container exited with code {run.exit_code} after "
                                                 f"{run.elapsed():.1f} s. Last lines:\n{_tail(run)}"),
                                          location=ph.where, exit_code=run.exit_code))
        ph.add(R["rehearsal.E018"].not_run(ph.msg("the container had already stopped."), location=ph.where))
        return
    ok, took, code = run.stop(b.sigterm_grace)
    ph.say(ph.msg(f"SIGTERM → {'exited' if ok else 'still running; killed'} after {took:.2f} s (code {code})"))
    rule = R["rehearsal.E018"]
    if ok:
        ph.add(rule.passed(ph.msg(f"exited {took:.2f} s after SIGTERM (code {code})."), location=ph.where,
                           seconds=round(took, 3), exit_code=code))
    else:
        ph.add(rule.failed(ph.msg(f"still running {b.sigterm_grace:g} s after SIGTERM; killed."), location=ph.where,
                           seconds=round(took, 3)))


def _tail(run: Running) -> str:
    time.sleep(0.05)  # let the log reader catch the last lines
    run.log.close(timeout=2.0)
    return run.log.tail(15)
