"""``rehearse``: run the seller's container the way SageMaker will, with no network, and judge every probe.

Model packages: the model data is unpacked into /opt/ml/model (read-only), then a real-time `serve` run
and — when there are batch samples — a batch `serve` run with SageMaker's batch environment.
Algorithms: a `train` run first, then the same `serve` runs on the model it wrote.
Every rule of ``validation.rules.rehearsal`` ends with at least one finding (passed, failed or not run with
why). The scratch folder (root, model, logs, responses) is removed at the end, whatever happened.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from validation.container.rehearsal import invoke, probes, summary, train
from validation.container.rehearsal.budgets import DEFAULT_BUDGETS, MiB, Budgets
from validation.container.rehearsal.inputs import Inputs, inputs_from
from validation.container.rehearsal.logs import LogCapture
from validation.container.rehearsal.model import ModelDataError, extract_model
from validation.container.rehearsal.runners import Runner, available_runner
from validation.container.rehearsal.sandbox import Mount, Prepared, RunSpec, SandboxError
from validation.container.rehearsal.unpack import UnpackError, mount_point, place_file
from validation.container.secrets import scan_env, sensitive_name
from validation.findings import Finding
from validation.rules.rehearsal import RULES_BY_CODE as R

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BIND_LABEL = "com.amazonaws.sagemaker.capabilities.accept-bind-to-port"


@dataclass
class RehearsalResult:
    findings: list[Finding] = field(default_factory=list)
    runner: str = ""
    limits: str = ""
    logs: dict[str, str] = field(default_factory=dict)  # run label → captured log (capped, masked)
    timings: dict[str, dict] = field(default_factory=dict)  # run label → measured figures
    outbound: list[dict] = field(default_factory=list)  # every DNS look-up / connection attempt seen
    probes: list[dict] = field(default_factory=list)  # {"t": seconds, "text": …} as reported live
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["findings"] = [f.as_dict() for f in self.findings]
        return out

    def of(self, code: str, outcome: str | None = None) -> list[Finding]:
        return [f for f in self.findings if f.code == code and (outcome is None or f.outcome == outcome)]


class Session:
    def __init__(self, inputs: Inputs, listing: dict, runner: Runner, budgets: Budgets, scratch: Path,
                 progress: Callable[[str], None] | None, result: RehearsalResult) -> None:
        self.inputs, self.listing, self.runner, self.budgets = inputs, listing, runner, budgets
        self.scratch, self.progress, self.result = scratch, progress, result
        self.where = f"artifact:{inputs.image_name}"
        self.t0 = time.monotonic()
        self.endpoint = listing.get("endpoint") if isinstance(listing.get("endpoint"), dict) else {}
        self.logs: list[LogCapture] = []
        self._said: set[tuple] = set()

    # -- reporting ---------------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        self.result.probes.append({"t": round(time.monotonic() - self.t0, 3), "text": text})
        if self.progress:
            self.progress(text)

    def add(self, finding: Finding) -> None:
        self.result.findings.append(finding)

    def left(self) -> float:
        return self.budgets.total - (time.monotonic() - self.t0)

    # -- how the container is started ----------------------------------------------------------------------
    @staticmethod
    def _cfg(prepared: Prepared) -> dict:
        c = prepared.config.get("config") if isinstance(prepared.config, dict) else None
        return c if isinstance(c, dict) else {}

    def argv(self, prepared: Prepared, word: str) -> list[str]:
        ep = self._cfg(prepared).get("Entrypoint")
        ep = [ep] if isinstance(ep, str) else [str(a) for a in ep] if isinstance(ep, list) else []
        return ep + [word]  # `docker run IMAGE serve`: the word replaces CMD

    def workdir(self, prepared: Prepared) -> str:
        wd = str(self._cfg(prepared).get("WorkingDir") or "/")
        return self.dest(prepared, wd) if prepared.root else wd

    def dest(self, prepared: Prepared, path: str) -> str:
        return mount_point(prepared.root, path) if prepared.root else path

    def image_env(self, prepared: Prepared) -> dict[str, str]:
        env = {}
        for item in self._cfg(prepared).get("Env") or []:
            name, _, value = str(item).partition("=")
            env[name] = value
        return env

    def env(self, prepared: Prepared, extra: dict[str, str]) -> dict[str, str]:
        env = {"PATH": DEFAULT_PATH, "HOME": "/root", "HOSTNAME": train.HOST, **self.image_env(prepared)}
        listed = self.endpoint.get("environment")
        if isinstance(listed, dict):
            env.update({str(k): str(v) for k, v in listed.items()})
        env.update(extra)
        return env

    def secret_values(self, prepared: Prepared) -> list[str]:
        env = self.env(prepared, {})
        _, hits = scan_env(env)
        flagged = {h.location.split(":", 1)[1] for h in hits if h.location.startswith("env:")}
        return [v for k, v in env.items() if v and (k in flagged or sensitive_name(k))]

    def port(self, prepared: Prepared) -> tuple[int, dict[str, str]]:
        labels = self._cfg(prepared).get("Labels")
        if isinstance(labels, dict) and str(labels.get(BIND_LABEL, "")).lower() == "true":
            return self.budgets.bind_port, {"SAGEMAKER_BIND_TO_PORT": str(self.budgets.bind_port)}
        return self.budgets.port, {}

    # -- after each run ---------------------------------------------------------------------------------
    def watch(self, running, label: str) -> list[dict]:
        """The run's outbound attempts so far; new ones are reported at once."""
        events = running.agent.events()
        wall0 = time.time() - running.elapsed()
        for ev in events:
            ev["run"] = label
            ev["at_s"] = round(max(0.0, ev.pop("first", wall0) - wall0), 3)
            key = (label, ev["kind"], ev.get("name"), ev.get("dst"), ev.get("port"))
            if key not in self._said:
                self._said.add(key)
                self.say(f"{label}: outbound {summary.describe(ev)} at {ev['at_s']:.2f} s")
        return events

    def collect(self, running, label: str) -> None:
        self.result.outbound.extend(self.watch(running, label))
        state = running.agent.state
        if state.get("capture") is not True or state.get("routes") is not True or state.get("dns") is not True:
            self.result.notes.append(f"{label}: outbound watch partial (routes {state.get('routes')}, DNS "
                                     f"{state.get('dns')}, packet capture {state.get('capture')}).")
        self.result.limits = running.limits
        running.close()
        self.logs.append(running.log)
        self.result.logs[label] = running.log.text()
        self.add(R["rehearsal.I023"].passed(f"{label}: {running.log.lines:,} lines, {running.log.bytes:,} bytes "
                                            "logged.", location=self.where, run=label, log=running.log.text()))

    # -- one `serve` run -----------------------------------------------------------------------------------
    def serve(self, prepared: Prepared, label: str, mode: str, model_dir: Path, extra: dict[str, str],
              first: bool) -> probes.Phase | None:
        if self.left() < 5:
            self.say(f"{label}: not run (the rehearsal's time budget is used up)")
            return None
        port, bind = self.port(prepared)
        log = LogCapture(self.scratch / f"log-{label.lower().replace(' ', '-')}.txt", cap=self.budgets.log_cap,
                         tail_lines=self.budgets.log_tail_lines, secrets=self.secret_values(prepared))
        spec = RunSpec(self.argv(prepared, "serve"), self.env(prepared, {**bind, **extra}), self.workdir(prepared),
                       [Mount(model_dir, self.dest(prepared, "/opt/ml/model"))], train.HOST, log, self.budgets,
                       self.scratch)
        self.say(f"{label}: starting `{' '.join(spec.argv)}` ({self.runner.name}), probing port {port}")
        try:
            running = self.runner.start(prepared, spec)
        except SandboxError as exc:
            self.add(R["rehearsal.E002"].not_run(f"{label}: the sandbox could not start the container: {exc}",
                                                 location=self.where))
            return None
        ph = probes.Phase(label, mode, running, self.budgets, port, self.where, self.add, self.say, self.scratch,
                          watch=lambda: self.watch(running, label))
        ph.stats["argv"] = " ".join(spec.argv)
        try:
            probes.wait_listening(ph)
            if probes.wait_healthy(ph):
                if first:
                    ph.stats["execution_parameters"] = probes.execution_parameters(ph)
                pricing = self.listing.get("pricing")
                per_inference = isinstance(pricing, dict) and pricing.get("model") == "per_inference"
                invoke.invocations(ph, self.inputs.samples, self.endpoint, per_inference)
                probes.final_ping(ph)
            probes.shutdown(ph)
        finally:
            ph.stats["ran_s"] = round(running.elapsed(), 3)
            self.collect(running, label)
            self.result.timings[label] = {k: v for k, v in ph.stats.items() if k != "argv"}
        return ph

    def batch_env(self, params: dict | None) -> dict[str, str]:
        params = params or {}
        strategy = self.endpoint.get("batch_strategy") or params.get("BatchStrategy") or "MultiRecord"
        mb = self.endpoint.get("max_payload_mb") or params.get("MaxPayloadInMB") or self.budgets.payload_warn // MiB
        return {"SAGEMAKER_BATCH": "true", "SAGEMAKER_MAX_PAYLOAD_IN_MB": str(mb),
                "SAGEMAKER_BATCH_STRATEGY": "SINGLE_RECORD" if "single" in str(strategy).lower() else "MULTI_RECORD",
                "SAGEMAKER_MAX_CONCURRENT_TRANSFORMS": str(params.get("MaxConcurrentTransforms") or 1)}

    def serve_all(self, prepared: Prepared, model_dir: Path, summary_code: str | None) -> None:
        prefix = "Trained model" if summary_code else ""
        label = f"{prefix} (real-time)" if prefix else "Real-time"
        rt = self.serve(prepared, label, "realtime", model_dir, {}, first=True)
        phases = [rt]
        if any(s.mode == "batch" and s.direction == "input" for s in self.inputs.samples):
            env = self.batch_env(rt.stats.get("execution_parameters") if rt else None)
            bt = self.serve(prepared, f"{prefix} (batch)" if prefix else "Batch", "batch", model_dir, env, first=False)
            phases.append(bt)
            rule = R["rehearsal.E017"]
            shown = ", ".join(f"{k}={v}" for k, v in env.items())
            if bt is None:
                self.add(rule.not_run(f"Batch run not started ({shown}).", location=self.where))
            elif bt.healthy and bt.answered and not bt.failed:
                self.add(rule.passed(f"With {shown}: healthy and answered {bt.answered} batch samples.",
                                     location=self.where, environment=env))
            else:
                what = f"answered {bt.answered}, failed {bt.failed}" if bt.healthy else "never healthy"
                self.add(rule.failed(f"With {shown}: {what}.", location=self.where, environment=env))
        if summary_code:
            ok = all(p is not None and p.healthy and not p.failed for p in phases)
            rule = R[summary_code]
            self.add(rule.passed("`serve` loaded the trained model and answered every sample.", location=self.where)
                     if ok else rule.failed("`serve` with the trained model failed (see the findings above).",
                                            location=self.where))


# -- the whole rehearsal --------------------------------------------------------------------------------------
def rehearse(subject_or_paths: object, listing: dict | None = None, *,
             progress: Callable[[str], None] | None = None, runner: Runner | None = None,
             budgets: Budgets = DEFAULT_BUDGETS, scratch_root: str | Path | None = None) -> RehearsalResult:
    """Run the image as SageMaker would; ``progress(text)`` hears each probe as it happens.

    ``subject_or_paths``: a ``Subject`` (files ``image``, ``model_data``, ``sample_data``), a mapping with
    those keys, or an image path. ``runner``: default ``available_runner()``.
    """
    inputs = inputs_from(subject_or_paths)
    if listing is None:
        listing = getattr(subject_or_paths, "listing", None) or {}
    result = RehearsalResult()
    runner = runner or available_runner()
    result.runner = runner.name
    if inputs.image is None:
        result.findings = summary.all_not_run("Not run: no container image is attached.", "artifact:image")
        return result
    ok, why = runner.available()
    if not ok:
        if progress:
            progress(f"Not run: no sandbox available ({why})")
        result.findings = summary.all_not_run(f"Not run: no sandbox available ({why}).", f"artifact:{inputs.image_name}")
        return result
    result.notes.append(f"Runner: {why}.")
    scratch = Path(tempfile.mkdtemp(prefix="rehearsal-", dir=scratch_root))
    s = Session(inputs, listing, runner, budgets, scratch, progress, result)
    prepared: list[Prepared] = []
    try:
        _run(s, prepared)
    finally:
        for p in prepared:
            runner.release(p)
        shutil.rmtree(scratch, ignore_errors=True)
    summary.summarise(s)
    return result


def _prepare(s: Session, image: Path, name: str, folder: str) -> Prepared | None:
    s.say(f"Preparing {name} ({s.runner.name})")
    try:
        work = s.scratch / folder
        work.mkdir()
        prepared = s.runner.prepare(image, work, s.budgets, s.say)
    except (UnpackError, SandboxError, OSError) as exc:
        s.add(R["rehearsal.E002"].failed(f"The image {name} cannot be prepared to run: {exc}.", location=s.where))
        return None
    if prepared.root is not None:  # the runtime's own files, written inside the root (never through links)
        for rel in ("proc", "dev", "tmp"):  # real folders, whatever the image put there
            spot = prepared.root / rel
            if spot.is_symlink() or (spot.exists() and not spot.is_dir()):
                spot.unlink()
            spot.mkdir(exist_ok=True)
        place_file(prepared.root, "etc/resolv.conf", b"nameserver 127.0.0.53\noptions timeout:1 attempts:1\n")
        place_file(prepared.root, "etc/hosts", f"127.0.0.1 localhost {train.HOST}\n::1 localhost\n".encode())
        place_file(prepared.root, "etc/hostname", f"{train.HOST}\n".encode())
    s.result.notes.extend(prepared.notes)
    for note in prepared.notes:
        s.say(note)
    return prepared


def _model_data(s: Session) -> Path:
    folder = s.scratch / "model"
    folder.mkdir()
    rule = R["rehearsal.E029"]
    if s.inputs.model_data is None:
        s.add(rule.not_run("No model data attached: /opt/ml/model is empty in the run.", location="artifact:model_data"))
        return folder
    loc = f"artifact:{s.inputs.model_name}"
    try:
        files, size = extract_model(s.inputs.model_data, folder, max_bytes=s.budgets.model_max,
                                    max_files=s.budgets.model_files_max)
    except ModelDataError as exc:
        s.add(rule.failed(f"{s.inputs.model_name} cannot be used: {exc}.", location=loc))
        shutil.rmtree(folder)
        folder.mkdir()
        return folder
    s.add(rule.passed(f"{s.inputs.model_name}: {files} members, {size:,} bytes into /opt/ml/model (read-only).",
                      location=loc, files=files, bytes=size))
    s.say(f"Model data unpacked: {files} members, {size:,} bytes")
    return folder


def _run(s: Session, prepared: list[Prepared]) -> None:
    serve_img = _prepare(s, s.inputs.image, s.inputs.image_name, "image")
    if serve_img is None:
        return
    prepared.append(serve_img)
    if s.listing.get("kind") == "algorithm":
        train_img = serve_img
        if s.inputs.train_image is not None:
            train_img = _prepare(s, s.inputs.train_image, s.inputs.train_image_name, "train-image")
            if train_img is None:
                return
            prepared.append(train_img)
        model = train.run_train(s, train_img)
        if model is None:
            s.add(R["rehearsal.E028"].not_run("`train` produced no model to serve.", location=s.where))
            return
        s.serve_all(serve_img, model, summary_code="rehearsal.E028")
    else:
        s.serve_all(serve_img, _model_data(s), summary_code=None)


__all__ = ["RehearsalResult", "rehearse"]
