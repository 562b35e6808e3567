"""Findings for one section, for forms and the API: the same metadata checks a validation run performs."""

from __future__ import annotations

from validation.checks.registry import STAGE_METADATA, Subject, ordered_checks
from validation.engine import run_check
from validation.findings import Finding
from validation.snapshot_schema import section_of_location

def section_findings(snapshot: dict, section: str) -> list[Finding]:
    subject = Subject(listing=snapshot)
    findings: list[Finding] = []
    for check in ordered_checks():
        if check.stage == STAGE_METADATA and check.name.startswith("listing."):
            findings.extend(f for f in run_check(check, subject) if section_of_location(f.location) == section)
    return findings
