"""Shapes a run for the page: failures first, then what did not run, then (folded) what passed."""

from __future__ import annotations

import datetime as dt

from validation.models import ValidationRun
from validation.selectors import previous_failed_keys, report_data, run_reports

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _key(finding) -> tuple:
    return (finding.code, finding.location)


def run_panel_context(run: ValidationRun, *, current: bool) -> dict:
    findings = list(run.findings.all())
    failed = sorted((f for f in findings if f.outcome == "failed"), key=lambda f: (_SEVERITY_ORDER[f.severity], f.position))
    context = {
        "run": run,
        "run_is_current": current,
        "failed": failed,
        "not_run": [f for f in findings if f.outcome == "not_run"],
        "not_run_groups": _group_not_run([f for f in findings if f.outcome == "not_run"]),
        "failed_groups": _group_failed(failed),
        "passed": [f for f in findings if f.outcome == "passed"],
        "blocking": sum(1 for f in failed if f.severity == "error"),
        "changes": None,
        "container": container_context(run, findings),
    }
    if not run.is_active:
        before = previous_failed_keys(run)  # None: no earlier finished run to compare with
        if before is not None:
            now = {_key(f) for f in failed}
            context["changes"] = {"fixed": len(before - now), "new": len(now - before), "still": len(now & before)}
    return context


PANEL_CACHE_KEY = "validation:run-panel:v1:"
PANEL_CACHE_SECONDS = 7 * 24 * 3600  # only to let the cache forget runs nobody looks at: the key is the stamp


def cached_run_panel_context(run: ValidationRun, *, current: bool, listing=None, can_open: bool = False) -> dict:
    """``run_panel_context`` for the listing page, with the panel's body (``validation/_run_findings.html``:
    the summary, the container sub-panel and every finding) rendered once per state of a finished run and
    kept in the cache.

    A finished run's findings and reports never change (a retry first makes it active again, with new
    ``attempts``/``finished_at``), so the key is everything the fragment shows: the run's id, status, verdict,
    finish time and attempts, the run it is compared with (``previous_finished_id``, from
    ``selectors.latest_run_with_previous``), whether it matches the listing's content, and whether group
    titles link to the section pages (``can_open``). Any write that changes one of these changes the key, so
    the page never shows a stale panel. An active run is never cached (it polls itself). The fragment holds no
    form and no CSRF token."""
    from django.core.cache import cache
    from django.template.loader import render_to_string

    if run.is_active or not hasattr(run, "previous_finished_id") or run.finished_at is None:
        return run_panel_context(run, current=current)
    key = (f"{PANEL_CACHE_KEY}{run.pk}:{run.status}:{run.verdict}:{run.finished_at.timestamp()}:{run.attempts}:"
           f"{run.previous_finished_id}:{int(bool(current))}:{int(bool(can_open))}")
    html = cache.get(key)
    if html is None:
        context = run_panel_context(run, current=current)
        html = render_to_string("validation/_run_findings.html", {
            **context, "listing": listing, "can_edit": can_open, "editable": can_open})
        cache.set(key, html, PANEL_CACHE_SECONDS)
    from django.utils.safestring import mark_safe

    return {"run": run, "run_is_current": current, "run_findings_html": mark_safe(html)}


def _group_not_run(findings) -> list[dict]:
    """Checks skipped for one reason are one line ("26 checks not run: no container image is attached"),
    with their codes folded beneath — still never shown green."""
    groups: dict[str, dict] = {}
    for f in findings:
        group = groups.setdefault(f.message, {"message": f.message, "findings": [], "location": f.location})
        group["findings"].append(f)
    return list(groups.values())


_AREA_TITLES = {"notebook": "Sample notebook", "data": "Sample data", "logo": "Logo", "docs": "Documentation",
                "container": "Container image", "registry": "Container registry", "rehearsal": "Rehearsal run",
                "request": "AWS API requests", "engine": "Validation engine"}


def _group_failed(findings) -> list[dict]:
    """Problems grouped where the seller fixes them: a section's page, or the artifact they concern."""
    from listings.sections import BY_NAME, section_of_location

    groups: dict[str, dict] = {}
    for f in findings:
        section = section_of_location(f.location)
        key = section or f.code.split(".", 1)[0]
        title = BY_NAME[section].title if section else _AREA_TITLES.get(key, key)
        group = groups.setdefault(key, {"key": key, "title": title, "section": section, "findings": [], "errors": 0})
        group["findings"].append(f)
        group["errors"] += f.severity == "error"
    return sorted(groups.values(), key=lambda g: (-g["errors"], g["title"]))


# -- the container sub-panel ---------------------------------------------------------------------------------
CONTAINER_CHECKS = {"container.static": "Static analysis", "container.registry": "Static analysis (registry)",
                    "container.rehearsal": "Rehearsal run"}
LOG_SHOWN_CHARS = 200_000  # per run label; the captured log is capped well below this already


def _clock(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {seconds % 60:04.1f} s"


def _line_kind(text: str) -> str:
    low = text.lower()
    if "outbound" in low:
        return "outbound"
    if "restarted" in low or "not run" in low or "could not" in low or "killed" in low:
        return "warning"
    return ""


def _target(m: dict) -> str:
    """Where the container tried to go, as the seller would write it: host:port (address) or address:port."""
    port = f":{m['port']}" if m.get("port") is not None else ""
    if m.get("kind") == "dns":
        return str(m.get("name") or "?")
    if m.get("name"):
        return f"{m['name']}{port} ({m.get('dst')})" if m.get("dst") else f"{m['name']}{port}"
    return f"{m.get('dst') or '?'}{port}"


_OUTBOUND_WHAT = {"dns": "DNS look-up", "tcp": "TCP connection", "udp": "UDP packet", "icmp": "ping (ICMP echo)"}


def container_context(run: ValidationRun, findings: list) -> dict | None:
    """The "Container" sub-panel: the phase's live lines with their times, what the container tried to reach,
    the image facts with the SBOM, the counts per container check, and the captured logs."""
    if run.phase != "container" and not run.live_log:
        return None
    started = run.container_started_at
    lines, stage = [], None
    for item in run.live_log or []:
        t = float(item.get("t", 0))
        this, text = _stage_of(str(item.get("text", "")))
        at = started + dt.timedelta(seconds=t) if started else None
        lines.append({"t": t, "when": _clock(t), "at": at, "text": text, "kind": _line_kind(text),
                      "group": this, "stage": this if this != stage else ""})
        stage = this
    ours = [f for f in findings if f.check_name in CONTAINER_CHECKS]
    checks = []
    for name, title in CONTAINER_CHECKS.items():
        of = [f for f in ours if f.check_name == name]
        if not of or (name != "container.rehearsal" and all(f.outcome == "not_run" for f in of)):
            continue  # e.g. the registry check when an archive is attached: nothing to say
        checks.append({"name": name, "title": title, "failed": sum(f.outcome == "failed" for f in of),
                       "blocking": sum(f.blocking for f in of), "passed": sum(f.outcome == "passed" for f in of),
                       "not_run": sum(f.outcome == "not_run" for f in of)})
    outbound: dict[tuple, dict] = {}  # one entry per place tried, with the runs that tried it
    for f in ours:
        m = f.measured or {}
        if f.code == "rehearsal.E020" and f.outcome == "failed" and m.get("kind"):
            what = _OUTBOUND_WHAT.get(m["kind"], str(m["kind"]).upper())
            entry = outbound.setdefault((what, _target(m)), {"what": what, "target": _target(m), "runs": [],
                                                            "count": 0, "first": None})
            entry["count"] += int(m.get("count") or 1)
            if m.get("run") and m["run"] not in entry["runs"]:
                entry["runs"].append(m["run"])
            if m.get("at_s") is not None and (entry["first"] is None or m["at_s"] < entry["first"]):
                entry["first"] = m["at_s"]
    images, sboms, logs, rehearsal = [], [], [], None
    for report in run_reports(run):
        if report.kind == "sbom":
            sboms.append({"id": report.pk, "label": report.label, "size": report.size})
            continue
        try:
            data = report_data(report)
        except Exception:  # a report whose stored content went missing: the rest of the page still shows
            continue
        if not isinstance(data, dict):
            continue
        if report.kind == "image":
            images.append(_image_facts(report.label, data))
        elif report.kind == "rehearsal":
            rehearsal = {"runner": data.get("runner", ""), "limits": data.get("limits", ""),
                         "notes": [str(n) for n in data.get("notes") or []]}
            kept = data.get("logs") or []
            if isinstance(kept, dict):
                kept = [{"run": k, "text": v} for k, v in kept.items()]
            for item in kept:
                text = str(item.get("text") or "")
                logs.append({"label": item.get("run", ""), "text": text[:LOG_SHOWN_CHARS],
                             "lines": text.count("\n"), "cut": len(text) > LOG_SHOWN_CHARS})
    for image in images:
        image["sbom"] = next((s for s in sboms if s["label"] == image["label"]), None)
    waiting = run.is_active and started is None
    duration = None
    if not run.is_active and started and run.finished_at:
        duration = _clock((run.finished_at - started).total_seconds())
    now = lines[-1]["text"] if lines else ""
    doing = "Rehearsal: running the image with no network" if stage == "Rehearsal" else "Static analysis: reading the image"
    for entry in outbound.values():
        entry["first"] = f"{entry['first']:.2f}" if entry["first"] is not None else None
    return {"lines": lines, "waiting": waiting, "active": run.is_active and started is not None, "doing": doing,
            "now": now, "duration": duration, "checks": checks, "outbound": list(outbound.values()),
            "images": images, "logs": logs, "rehearsal": rehearsal}


def _stage_of(text: str) -> tuple[str, str]:
    """The stage a live line belongs to (shown once as a heading) and the line without its prefix."""
    if text.startswith("Rehearsal: "):
        return "Rehearsal", text.removeprefix("Rehearsal: ")
    if text.startswith("Image "):
        return "Static analysis", text
    return "", text


def _image_facts(label: str, data: dict) -> dict:
    cfg = data.get("config") if isinstance(data.get("config"), dict) else {}
    arch = "/".join(x for x in (cfg.get("os"), cfg.get("architecture"), cfg.get("variant")) if x)
    command = " ".join(str(a) for a in (cfg.get("entrypoint") or []) + (cfg.get("cmd") or []))
    frameworks = ", ".join(f"{p.get('name')} {p.get('version')}".strip() for p in data.get("frameworks") or []
                           if isinstance(p, dict))
    return {"label": label, "format": data.get("format", ""), "platform": arch, "layers": len(data.get("layers") or []),
            "size": data.get("size_uncompressed") or 0, "compressed": data.get("size_compressed") or 0,
            "wasted": data.get("wasted_bytes") or 0, "packages": data.get("packages") or 0,
            "user": cfg.get("user") or "root (not set)", "command": command, "frameworks": frameworks,
            "os": (data.get("os_release") or {}).get("PRETTY_NAME", ""), "role": data.get("role", "")}
