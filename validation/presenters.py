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
