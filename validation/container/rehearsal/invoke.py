"""POST /invocations with every sample of a run's mode, each answer judged (E008–E015, W012, E019).

Samples over the hard payload limit are never sent (only their size is judged); each answer's status, time,
Content-Type, metering header and bytes (against the seller's sample output) become findings.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

from validation.container.rehearsal.compare import base_type, compare
from validation.container.rehearsal.probes import Phase, Sample, fmt_ms
from validation.container.secrets import mask_text
from validation.rules.rehearsal import RULES_BY_CODE as R

METERING = "X-Amzn-Inference-Metering"


def _declared(value: object) -> list[str]:
    return [base_type(t) for t in value if isinstance(t, str) and t.strip()] if isinstance(value, list) else []


def _excerpt(path: Path, n: int = 300) -> str:
    try:
        return mask_text(path.read_bytes()[:n].decode("utf-8", "replace"))
    except OSError:
        return ""


def invocations(ph: Phase, samples: list[Sample], endpoint: dict, per_inference: bool) -> None:
    """POST /invocations with each sample of this phase's mode (E008–E015, W012, E019)."""
    b = ph.budgets
    accepted = _declared(endpoint.get("input_content_types"))
    answers = _declared(endpoint.get("response_mime_types"))
    mine = [s for s in samples if s.mode == ph.mode and s.direction == "input"]
    have = {s.content_type for s in mine}
    for ctype in accepted:
        if ctype not in have:
            ph.add(R["rehearsal.E008"].not_run(ph.msg(f"no {ph.mode} sample input with content type {ctype} to send."),
                                               location="field:endpoint.input_content_types"))
    time_rule = R["rehearsal.E009"] if ph.mode == "realtime" else R["rehearsal.E010"]
    limit = b.invoke_realtime if ph.mode == "realtime" else b.invoke_batch
    for s in mine:
        loc = f"file:{s.name}"
        if ph.mode == "realtime" and s.size > b.payload_max:
            ph.add(R["rehearsal.E014"].failed(ph.msg(f"{s.name} is {s.size:,} bytes; not sent."), location=loc,
                                              size=s.size, limit=b.payload_max))
            continue
        if ph.mode == "batch" and s.size > b.payload_batch_max:
            ph.add(R["rehearsal.E015"].failed(ph.msg(f"{s.name} is {s.size:,} bytes; not sent."), location=loc,
                                              size=s.size, limit=b.payload_batch_max))
            continue
        if ph.mode == "realtime":
            if s.size > b.payload_warn:
                ph.add(R["rehearsal.W013"].failed(ph.msg(f"{s.name} is {s.size:,} bytes."), location=loc, size=s.size))
            else:
                ph.add(R["rehearsal.W013"].passed(ph.msg(f"{s.name}: {s.size:,} bytes."), location=loc, size=s.size))
            ph.add(R["rehearsal.E014"].passed(ph.msg(f"{s.name}: {s.size:,} bytes."), location=loc, size=s.size))
        else:
            ph.add(R["rehearsal.E015"].passed(ph.msg(f"{s.name}: {s.size:,} bytes."), location=loc, size=s.size))
        _invoke(ph, s, loc, accepted, answers, per_inference, time_rule, limit)
        ph.watch()


def _invoke(ph: Phase, s: Sample, loc: str, accepted: list[str], answers: list[str], per_inference: bool,
            time_rule, limit: float) -> None:
    b = ph.budgets
    accept = s.expected.content_type if s.expected else (answers[0] if answers else "*/*")
    out = ph.scratch / f"response-{ph.mode}-{ph.answered + ph.failed}.out"
    r = ph.running.agent.call("http", method="POST", path="/invocations", port=ph.port, timeout=limit, wait=limit,
                              body=str(s.path), out=str(out), max_body=b.response_max,
                              headers={"Content-Type": s.content_type, "Accept": accept})
    ms = float(r.get("ms", 0.0))
    note = "" if not accepted or s.content_type in accepted else " (this content type is not declared)"
    status = r.get("status")
    ph.say(ph.msg(f"POST /invocations {s.name} as {s.content_type} → {status or r.get('error')} in {fmt_ms(ms)}"))
    measured = {"status": status, "ms": round(ms, 1), "content_type": s.content_type}
    if r.get("error") == "timeout" or ms > limit * 1000:
        ph.add(time_rule.failed(ph.msg(f"{s.name}: no complete answer within {limit:g} s."), location=loc, **measured))
    else:
        ph.add(time_rule.passed(ph.msg(f"{s.name}: answered in {fmt_ms(ms)}."), location=loc, **measured))
    if status is None or not 200 <= status < 300:
        ph.failed += 1
        what = f"answered {status}: {_excerpt(out)!r}" if status else f"gave no answer ({r.get('detail', r.get('error'))})"
        ph.add(R["rehearsal.E008"].failed(ph.msg(f"{s.name} as {s.content_type}{note} {what}."), location=loc,
                                          **measured))
        return
    ph.answered += 1
    ph.add(R["rehearsal.E008"].passed(ph.msg(f"{s.name} as {s.content_type}{note} → {status}."), location=loc,
                                      **measured))
    headers = {k.lower(): v for k, v in r.get("headers", [])}
    got = base_type(headers.get("content-type"))
    ctype_rule = R["rehearsal.E011"]
    if not answers:
        ph.add(ctype_rule.not_run(ph.msg("no response MIME types are declared."), location="field:endpoint.response_mime_types"))
    elif got and any(fnmatch.fnmatchcase(got, pattern) for pattern in answers):
        ph.add(ctype_rule.passed(ph.msg(f"{s.name}: answered {got}."), location=loc, content_type=got))
    else:
        ph.add(ctype_rule.failed(ph.msg(f"{s.name}: answered {got or 'no Content-Type'}, declared: "
                                        f"{', '.join(answers)}."), location=loc, content_type=got))
    if s.expected is None:
        ph.add(R["rehearsal.W012"].not_run(ph.msg(f"{s.name}: no sample output to compare with."), location=loc))
    elif r.get("truncated"):
        ph.add(R["rehearsal.W012"].not_run(ph.msg(f"{s.name}: the answer is over {b.response_max:,} bytes; not "
                                                  "compared."), location=loc))
    else:
        same, how, diff = compare(out.read_bytes(), s.expected.path.read_bytes(), got or s.expected.content_type,
                                  rel_tol=b.csv_rel_tol, abs_tol=b.csv_abs_tol)
        rule = R["rehearsal.W012"]
        ph.add(rule.passed(ph.msg(f"{s.name}: matches {s.expected.name} ({how})."), location=loc) if same else
               rule.failed(ph.msg(f"{s.name}: differs from {s.expected.name} ({how}): {diff}."), location=loc,
                           compared_as=how, difference=diff))
    if per_inference and ph.mode == "realtime":
        _metering(ph, s, loc, headers.get(METERING.lower()))


def _metering(ph: Phase, s: Sample, loc: str, value: str | None) -> None:
    rule = R["rehearsal.E019"]
    if value is None:
        ph.add(rule.failed(ph.msg(f"{s.name}: no {METERING} header."), location=loc))
        return
    try:
        doc = json.loads(value)
    except ValueError:
        doc = None
    units = doc.get("ConsumedUnits") if isinstance(doc, dict) else None
    if (isinstance(doc, dict) and doc.get("Dimension") == "inference.count" and isinstance(units, int)
            and not isinstance(units, bool) and units >= 1):
        ph.add(rule.passed(ph.msg(f"{s.name}: {METERING}: {value}"), location=loc, consumed_units=units))
    else:
        ph.add(rule.failed(ph.msg(f"{s.name}: {METERING} is {value[:200]!r}."), location=loc))
