"""Runs checks over a subject: cheap first, each under a time limit, a crash becoming a finding.

Pure (no ORM): the web worker, the REST API and ``manage.py prep check`` all call ``run_checks`` and so print
the same codes. The caller passes ``on_progress`` to persist progress and ``on_findings`` to save results.
"""

from __future__ import annotations

import concurrent.futures
import logging
import traceback
from dataclasses import replace
from collections.abc import Callable, Iterable

from validation.checks.registry import Check, Subject, ordered_checks
from validation.findings import Finding
from validation.rules import apply_policy, rule

log = logging.getLogger(__name__)

ENGINE_CRASH_CODE = "engine.E001"
ENGINE_TIMEOUT_CODE = "engine.E002"


def _run_one(check: Check, subject: Subject) -> list[Finding]:
    return list(check.func(subject))


def run_check(check: Check, subject: Subject) -> list[Finding]:
    """One check, with its time limit; never raises."""
    # A thread keeps the check in-process (pure functions, cheap start); a check that overruns is reported
    # and abandoned. The Celery hard time limit is the backstop for code that never returns.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"check-{check.name}")
    future = pool.submit(_run_one, check, subject)
    try:
        return future.result(timeout=check.time_limit)
    except concurrent.futures.TimeoutError:
        timeout = rule(ENGINE_TIMEOUT_CODE).not_run(
            f"“{check.title}” did not finish within {check.time_limit:g} s and was stopped.",
            location=f"check:{check.name}")
        return [replace(timeout, hint=rule(ENGINE_TIMEOUT_CODE).hint_text())]
    except Exception as exc:  # a crashing check yields a finding, not a dead run
        log.exception("check %s crashed", check.name)
        crash = rule(ENGINE_CRASH_CODE).not_run(
            f"“{check.title}” could not finish: {type(exc).__name__}: {str(exc)[:300]}", location=f"check:{check.name}")
        return [replace(crash, hint=rule(ENGINE_CRASH_CODE).hint_text(),
                        measured={"trace": traceback.format_exc(limit=5)[-2000:]})]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def run_checks(
    subject: Subject,
    *,
    policy: str,
    checks: Iterable[Check] | None = None,
    on_progress: Callable[[int, int, Check], None] | None = None,
    on_findings: Callable[[Check, list[Finding]], None] | None = None,
) -> list[tuple[Check, list[Finding]]]:
    selected = list(checks) if checks is not None else ordered_checks()
    results = []
    for done, check in enumerate(selected):
        if on_progress:
            on_progress(done, len(selected), check)
        findings = [apply_policy(f, policy) for f in run_check(check, subject)]
        results.append((check, findings))
        if on_findings:
            on_findings(check, findings)
    return results


def verdict_of(findings: Iterable[Finding]) -> str:
    return "failed" if any(f.blocking for f in findings) else "passed"
