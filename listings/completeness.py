"""How complete each section is: the required rules it passes, and its open problems (one pass of the checks).

The listing page and every section page show this, so it is cheap: the metadata checks (pure functions over
the snapshot, well under a millisecond each) run inline in the request rather than each in a thread of its own
as a validation run does, and their findings are kept per process for the last few hundred contents
(``content_hash``), so an unchanged listing is not checked again on every view. A check that raises still
becomes the engine's not-run finding.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from listings.sections import sections_for
from validation.checks.registry import Subject
from validation.checks.sections import listing_checks
from validation.engine import run_check
from validation.findings import Finding, Outcome, Severity
from validation.rules import CATALOG
from validation.snapshot_schema import section_of


@dataclass
class SectionStatus:
    required_total: int = 0
    required_passed: int = 0
    errors: int = 0
    warnings: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def percent(self) -> int:
        if not self.required_total:
            return 0 if self.errors else 100
        return round(100 * self.required_passed / self.required_total)


MEMO_SIZE = 256
_memo: OrderedDict[str, tuple[Finding, ...]] = OrderedDict()
_memo_lock = threading.Lock()


def _run_inline(check, subject: Subject) -> list[Finding]:
    try:
        return list(check.func(subject))
    except Exception:
        # Pure checks: run it again under the engine, which turns the crash into its not-run finding.
        return run_check(check, subject)


def metadata_findings(snapshot: dict, digest: str | None = None) -> list[Finding]:
    """Every listing check's findings on ``snapshot``; ``digest`` (its ``content_hash``) when the caller has it."""
    from listings.snapshot import content_hash

    key = digest or content_hash(snapshot)
    with _memo_lock:
        found = _memo.get(key)
        if found is not None:
            _memo.move_to_end(key)
            return list(found)
    subject = Subject(listing=snapshot)
    found = tuple(f for check in listing_checks() for f in _run_inline(check, subject))
    if any(f.code.startswith("engine.") for f in found):
        return list(found)  # a check crashed or overran: ask again next time rather than remember that
    with _memo_lock:
        _memo[key] = found
        while len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)
    return list(found)


def listing_completeness(snapshot: dict, digest: str | None = None) -> tuple[dict[str, SectionStatus], int]:
    statuses = {s.name: SectionStatus() for s in sections_for(snapshot["kind"])}
    for finding in metadata_findings(snapshot, digest):
        status = statuses.get(section_of(finding.location) or "")
        if status is None:
            continue
        status.findings.append(finding)
        if "required" in getattr(CATALOG.get(finding.code), "tags", ()):
            status.required_total += 1
            status.required_passed += finding.outcome == Outcome.PASSED
        if finding.outcome == Outcome.FAILED:
            if finding.severity == Severity.ERROR:
                status.errors += 1
            elif finding.severity == Severity.WARNING:
                status.warnings += 1
    total = sum(s.required_total for s in statuses.values())
    passed = sum(s.required_passed for s in statuses.values())
    overall = round(100 * passed / total) if total else 100
    return statuses, overall
