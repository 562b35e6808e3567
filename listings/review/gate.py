"""What stands between a version and the next step: submission, then approval.

The issue's rule is "no failed blocking check, unless each remaining failure carries a reviewer-approved
waiver", and waivers exist only for warnings. So:

- **Errors** (what AWS rejects) block submission, always. They can never be waived, enforced three times over:
  ``is_waivable`` refuses any finding that is not a failed warning of a best-practice rule in the catalog (so no
  policy or hand-written finding can relabel an AWS rejection); the ``waiver_only_for_warnings`` database
  constraint refuses a waiver row of any other severity; and ``submission_blockers`` never looks at waivers.
- **Warnings** (AWS's best practice) do not stop a seller from submitting — the reviewer must see them to judge
  them — but they stop the *approval* until each one is fixed or carries an active waiver (reason, reviewer,
  expiry). Waivers carry over to later versions of the listing until they expire, so a seller who resubmits
  is not asked again about what a reviewer accepted.
"""

from __future__ import annotations

from django.utils import timezone

WAIVABLE_SEVERITY = "warning"


def finding_key(finding) -> tuple[str, str]:
    return (finding.code, finding.location or "")


def is_waivable(finding) -> bool:
    from validation.rules import CATALOG

    rule = CATALOG.get(finding.code)
    return (
        finding.outcome == "failed"
        and finding.severity == WAIVABLE_SEVERITY
        and rule is not None
        and str(rule.severity) == WAIVABLE_SEVERITY
        and not rule.aws_rejects
    )


def active_waivers(listing, *, at=None) -> dict[tuple[str, str], object]:
    from listings.models import Waiver

    at = at or timezone.now()
    waivers = Waiver.objects.filter(listing=listing, revoked_at__isnull=True, expires_at__gt=at).select_related("created_by")
    return {(w.code, w.location): w for w in waivers}


def failed_findings(run) -> list:
    if run is None:
        return []
    return list(run.findings.filter(outcome="failed").order_by("position"))


def submission_blockers(run) -> list:
    """Failed errors: each blocks submission, and nothing can waive it."""
    return [f for f in failed_findings(run) if f.severity == "error"]


def approval_blockers(version, *, at=None) -> list:
    """What must be fixed (errors) or waived (warnings) before ``version`` can be approved."""
    findings = failed_findings(version.validation_run)
    waivers = active_waivers(version.listing, at=at)
    return [f for f in findings
            if f.severity == "error" or (f.severity == WAIVABLE_SEVERITY and finding_key(f) not in waivers)]
