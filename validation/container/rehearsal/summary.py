"""The verdicts that need the whole rehearsal: sandbox facts (I001), outbound attempts (E020), refused writes
(W021), secrets in the log (W022), and a "not run, because …" for every rule no run reached."""

from __future__ import annotations

from validation.findings import Finding
from validation.rules.rehearsal import CODES, RULES_BY_CODE as R

_EVENTS_SHOWN = 20


def describe(ev: dict) -> str:
    if ev["kind"] == "dns":
        server = f" (to {ev['dst']})" if ev.get("dst") else ""
        return f"DNS look-up of {ev.get('name') or '?'}{server}"
    port = f":{ev['port']}" if ev.get("port") is not None else ""
    target = f"{ev['name']}{port} ({ev['dst']}, the address our resolver gave)" if ev.get("name") else \
        f"{ev['dst']}{port}"
    if ev["kind"] == "icmp":
        return f"ping (ICMP echo) to {target}"
    return f"{ev['kind'].upper()} connection to {target}"


_NOT_APPLICABLE = {
    "algorithm": {"rehearsal.E029": "Not run: an algorithm serves the model its `train` run wrote."},
    "model_package": {code: "Not run: model packages are not trained." for code in
                      ("rehearsal.E024", "rehearsal.E025", "rehearsal.W026", "rehearsal.W027", "rehearsal.E028")},
}


def summarise(s) -> None:
    result, where = s.result, s.where
    ran = bool(s.logs)
    if ran:
        shown = "; ".join(f"{k}: {v.get('ran_s', '?')} s" for k, v in result.timings.items())
        s.add(R["rehearsal.I001"].passed(f"Ran with {s.runner.name}, no network but loopback. Limits: "
                                         f"{result.limits}. Runs: {shown or 'train only'}.", location=where,
                                         runner=s.runner.name, limits=result.limits, timings=result.timings))
        _outbound(s)
        lines = [line for log in s.logs for line in log.readonly]
        rule = R["rehearsal.W021"]
        s.add(rule.failed(f"Writes were refused (read-only file system): {' | '.join(lines[:3])}", location=where,
                          lines=lines) if lines else rule.passed("No write outside /tmp was refused.", location=where))
        count = sum(len(log.secret_lines) for log in s.logs)
        rule = R["rehearsal.W022"]
        s.add(rule.failed(f"{count} log lines held secret-looking values (masked in the captured log).",
                          location=where, lines=count) if count else
              rule.passed("No secret-looking value in the log.", location=where))
    kind = "algorithm" if s.listing.get("kind") == "algorithm" else "model_package"
    pricing = s.listing.get("pricing") if isinstance(s.listing.get("pricing"), dict) else {}
    reasons = dict(_NOT_APPLICABLE[kind])
    if pricing.get("model") != "per_inference":
        reasons["rehearsal.E019"] = "Not run: the pricing is not per inference, so no metering header is needed."
    if not any(x.mode == "batch" and x.direction == "input" for x in s.inputs.samples):
        for code in ("rehearsal.E010", "rehearsal.E015", "rehearsal.E017"):
            reasons[code] = "Not run: no batch sample input, so there was no batch run."
    if not any(x.mode == "realtime" and x.direction == "input" for x in s.inputs.samples):
        for code in ("rehearsal.E009", "rehearsal.W013", "rehearsal.E014"):
            reasons[code] = "Not run: no real-time sample input."
    seen = {f.code for f in result.findings}
    for code in CODES:
        if code not in seen:
            s.add(R[code].not_run(reasons.get(code, "Not run: not reached (see the findings above)."), location=where))


def _outbound(s) -> None:
    rule, events = R["rehearsal.E020"], s.result.outbound
    if not events:
        partial = [n for n in s.result.notes if "outbound watch partial" in n]
        s.add(rule.passed("No DNS look-up and no connection to another host" +
                          (f" ({partial[0]})" if partial else " (watched: DNS, TCP, UDP)") + ".", location=s.where))
        return
    for ev in events[:_EVENTS_SHOWN]:
        s.add(rule.failed(f"{ev['run']}: {describe(ev)} at {ev['at_s']:.2f} s"
                          + (f" (×{ev['count']})" if ev.get("count", 1) > 1 else "") + ".", location=s.where,
                          **{k: v for k, v in ev.items() if k in ("kind", "name", "dst", "port", "count", "at_s", "run")}))
    if len(events) > _EVENTS_SHOWN:
        s.add(rule.failed(f"… and {len(events) - _EVENTS_SHOWN} more attempts.", location=s.where))


def all_not_run(reason: str, where: str) -> list[Finding]:
    return [R[code].not_run(reason, location=where) for code in CODES]
