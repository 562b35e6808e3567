"""How complete each section is: the required rules it passes, and its open problems (one pass of the checks)."""

from __future__ import annotations

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


def metadata_findings(snapshot: dict) -> list[Finding]:
    subject = Subject(listing=snapshot)
    return [f for check in listing_checks() for f in run_check(check, subject)]


def listing_completeness(snapshot: dict) -> tuple[dict[str, SectionStatus], int]:
    statuses = {s.name: SectionStatus() for s in sections_for(snapshot["kind"])}
    for finding in metadata_findings(snapshot):
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
