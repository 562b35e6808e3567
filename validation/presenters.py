"""Shapes a run for the page: failures first, then what did not run, then (folded) what passed."""

from __future__ import annotations

from validation.models import ValidationRun
from validation.selectors import previous_finished_run

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
    }
    if not run.is_active:
        previous = previous_finished_run(run)
        if previous is not None:
            before = {_key(f) for f in previous.findings.filter(outcome="failed")}
            now = {_key(f) for f in failed}
            context["changes"] = {"fixed": len(before - now), "new": len(now - before), "still": len(now & before)}
    return context


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
