"""The algorithm's `train` run: SageMaker's /opt/ml layout built from the listing, then judged (E024–W027).

/opt/ml/input/config/hyperparameters.json holds the listing's defaults as strings (SageMaker passes every
value as a string), inputdataconfig.json one entry per channel we fill, resourceconfig.json a single host
``algo-1``; /opt/ml/input/data/<channel> holds the sample files. /opt/ml/model and /opt/ml/output are
writable (they are read back afterwards); the rest of the root stays read-only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

from validation.container.rehearsal.logs import LogCapture
from validation.container.rehearsal.sandbox import Mount, Prepared, RunSpec, SandboxError
from validation.rules.rehearsal import RULES_BY_CODE as R

HOST = "algo-1"


def hyperparameters(listing: dict) -> dict[str, str]:
    out = {}
    for h in listing.get("hyperparameters") or []:
        if isinstance(h, dict) and h.get("name") and h.get("default") not in (None, ""):
            out[str(h["name"])] = str(h["default"])
    return out


def channel_data(listing: dict, inputs) -> dict[str, tuple[str, list[Path]]]:
    """channel name → (content type, files)."""
    declared = [c for c in listing.get("channels") or [] if isinstance(c, dict) and c.get("name")]
    types = {str(c["name"]): (c.get("content_types") or ["text/csv"])[0] for c in declared}
    if inputs.channels:
        return {name: (str(types.get(name, "text/csv")), files) for name, files in inputs.channels.items()}
    first = str(declared[0]["name"]) if declared else "training"
    files = [s.path for s in inputs.samples if s.direction == "input"]
    ctype = types.get(first) or (inputs.samples[0].content_type if inputs.samples else "text/csv")
    return {first: (str(ctype), files)} if files else {}


def _metrics(listing: dict, where: str, add) -> list[tuple[str, re.Pattern, int]]:
    out = []
    for i, m in enumerate(listing.get("metrics") or []):
        if not isinstance(m, dict) or not m.get("name") or not m.get("regex"):
            continue
        try:
            out.append((str(m["name"]), re.compile(str(m["regex"])), i))
        except re.error as exc:
            add(R["rehearsal.W027"].failed(f"Metric {m['name']}: the regex does not compile ({exc}).",
                                           location=f"field:metrics[{i}].regex"))
    return out


def _layout(root: Path, listing: dict, inputs) -> tuple[Path, Path, Path, dict]:
    inp, model, output = root / "input", root / "model", root / "output"
    (inp / "config").mkdir(parents=True)
    model.mkdir()
    (output / "data").mkdir(parents=True)
    channels = channel_data(listing, inputs)
    config = {name: {"ContentType": ctype, "TrainingInputMode": "File", "S3DistributionType": "FullyReplicated",
                     "RecordWrapperType": "None"} for name, (ctype, _) in channels.items()}
    for name, (_, files) in channels.items():
        folder = inp / "data" / name
        folder.mkdir(parents=True)
        for f in files:
            shutil.copyfile(f, folder / f.name)
    (inp / "config" / "hyperparameters.json").write_text(json.dumps(hyperparameters(listing), indent=1))
    (inp / "config" / "inputdataconfig.json").write_text(json.dumps(config, indent=1))
    (inp / "config" / "resourceconfig.json").write_text(json.dumps(
        {"current_host": HOST, "hosts": [HOST], "network_interface_name": "eth0"}))
    return inp, model, output, {name: len(files) for name, (_, files) in channels.items()}


def _tree(folder: Path) -> tuple[int, int, list[str]]:
    files = size = 0
    names: list[str] = []
    for dirpath, _, filenames in os.walk(folder):
        for n in filenames:
            p = Path(dirpath) / n
            files += 1
            size += p.lstat().st_size
            if len(names) < 10:
                names.append("/opt/ml/model/" + str(p.relative_to(folder)))
    return files, size, names


def run_train(s, prepared: Prepared) -> Path | None:
    """Run `train` (``s`` is the rehearsal session). Returns the trained model folder, or None."""
    b, where = s.budgets, s.where
    root = s.scratch / "train"
    inp, model, output, counts = _layout(root, s.listing, s.inputs)
    metrics = _metrics(s.listing, where, s.add)
    log = LogCapture(s.scratch / "log-train.txt", cap=b.log_cap, tail_lines=b.log_tail_lines,
                     secrets=s.secret_values(prepared), metrics=[(name, rx) for name, rx, _ in metrics])
    mounts = [Mount(inp, s.dest(prepared, "/opt/ml/input")), Mount(model, s.dest(prepared, "/opt/ml/model"), True),
              Mount(output, s.dest(prepared, "/opt/ml/output"), True)]
    spec = RunSpec(s.argv(prepared, "train"), s.env(prepared, {"TRAINING_JOB_NAME": "rehearsal"}),
                   s.workdir(prepared), mounts, HOST, log, b, s.scratch)
    shown = ", ".join(f"{k} ({v} files)" for k, v in counts.items()) or "no channel data"
    s.say(f"Train: starting `{' '.join(spec.argv)}` with {len(hyperparameters(s.listing))} hyperparameters; {shown}")
    try:
        running = s.runner.start(prepared, spec)
    except SandboxError as exc:
        s.add(R["rehearsal.E024"].not_run(f"Train: the sandbox could not start the container: {exc}", location=where))
        return None
    try:
        deadline = time.monotonic() + max(1.0, min(b.train, s.left()))
        while True:  # outbound attempts are reported while it trains
            code = running.wait(max(0.0, min(0.5, deadline - time.monotonic())))
            s.watch(running, "Train")
            if code is not None or time.monotonic() >= deadline:
                break
        took = running.elapsed()
        if code is None:
            running.stop(b.sigterm_grace)
    finally:
        s.collect(running, "Train")
    s.say(f"Train: {'exited with code ' + str(code) if code is not None else 'still running; stopped'} "
          f"after {took:.1f} s")
    failure = output / "failure"
    reason = failure.read_text(errors="replace")[: b.failure_chars] if failure.is_file() else ""
    if code == 0:
        s.add(R["rehearsal.E024"].passed(f"Train: exited 0 after {took:.1f} s.", location=where, exit_code=0,
                                         seconds=round(took, 2)))
        s.add(R["rehearsal.W026"].not_run("Train: succeeded, so no failure file was expected.", location=where))
    else:
        what = f"exited with code {code}" if code is not None else f"did not finish within {b.train:g} s"
        detail = f" /opt/ml/output/failure: {reason!r}" if reason else f" Last lines:\n{log.tail(15)}"
        s.add(R["rehearsal.E024"].failed(f"Train: {what}.{detail}", location=where, exit_code=code,
                                         seconds=round(took, 2), failure=reason))
        rule = R["rehearsal.W026"]
        s.add(rule.passed(f"Train: failure reason written: {reason!r}", location=where) if reason else
              rule.failed("Train: failed without writing /opt/ml/output/failure.", location=where))
    files, size, names = _tree(model)
    if files:
        s.add(R["rehearsal.E025"].passed(f"Train: wrote {files} files ({size:,} bytes) to /opt/ml/model: "
                                         f"{', '.join(names)}.", location=where, files=files, bytes=size))
    else:
        s.add(R["rehearsal.E025"].failed("Train: /opt/ml/model is empty after the run.", location=where))
    for name, _, i in metrics:
        values = log.metric_values.get(name, [])
        rule = R["rehearsal.W027"]
        loc = f"field:metrics[{i}].regex"
        s.add(rule.passed(f"Metric {name}: {values[-1]} (matched {len(values)} log lines).", location=loc,
                          values=values[-20:]) if values else
              rule.failed(f"Metric {name}: the regex matched no line of the training log.", location=loc))
    return model if code == 0 and files else None
