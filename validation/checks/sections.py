"""One section's findings, for the section's form and the REST API (the same checks as a full run).

Runs every metadata-stage listing check over the snapshot (cheap: no files, no network) and keeps the findings
whose location falls in the section's keys (``validation.snapshot_schema.SECTION_KEYS``). A listing check that
crashed or overran is kept too: what did not run must never look green on any form.
"""

from __future__ import annotations

# Imported for their registrations: section_findings needs every listing check, whoever imported this module.
from validation.checks import consistency, listing, listing_aws, listing_endpoint  # noqa: F401
from validation.checks import listing_hyperparameters, listing_instances, listing_legal  # noqa: F401
from validation.checks import listing_pricing, listing_training, listing_version  # noqa: F401
from validation.checks.registry import STAGE_METADATA, Check, Subject, ordered_checks
from validation.engine import run_check
from validation.findings import Finding, Outcome
from validation.rules import DEFAULT_POLICY, apply_policy
from validation.snapshot_schema import SECTION_KEYS, section_of


def listing_checks() -> list[Check]:
    """The metadata-stage checks of the listing area (``listing.*``), in run order."""
    return [c for c in ordered_checks() if c.stage == STAGE_METADATA and c.name.startswith("listing.")]


def section_findings(snapshot: dict, section: str, *, policy: str = DEFAULT_POLICY) -> list[Finding]:
    """Findings of all listing checks located in ``section`` (e.g. ``training`` owns channels, metrics, objectives)."""
    if section not in SECTION_KEYS:
        raise ValueError(f"unknown section {section!r}; choose one of {', '.join(SECTION_KEYS)}")
    subject = Subject(listing=snapshot)
    kept: list[Finding] = []
    for check in listing_checks():
        for finding in run_check(check, subject):
            if section_of(finding.location) == section or (
                finding.outcome == Outcome.NOT_RUN and finding.location == f"check:{check.name}"
            ):
                kept.append(apply_policy(finding, policy))
    return kept
