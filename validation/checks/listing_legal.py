"""Legal checks (AWS_RULES.md §3, Offer ``UpdateLegalTerms`` and the refund policy of ``UpdateSupportTerms``)."""

from __future__ import annotations

from collections.abc import Iterator

from validation.checks.listing_pricing import is_paid
from validation.checks.listing_values import Report, is_web_url, loc, shown
from validation.checks.registry import STAGE_METADATA, Subject, check
from validation.findings import Finding


def _eula(report: Report, legal: dict) -> None:
    where = loc("legal", "eula")
    eula = report.text(legal, "eula", where)
    if eula is None:
        return
    allowed = report.check("listing.E100", where)
    if eula not in allowed:
        report.fail("listing.E100", f"{shown(eula)} is not a EULA choice." if eula else "No EULA is chosen.", where)
        return
    if eula != "custom":
        return
    where = loc("legal", "eula_url")
    url = report.text(legal, "eula_url", where)
    if url is None:
        return
    report.check("listing.E101", where)
    if not is_web_url(url.strip()):
        report.fail("listing.E101", f"The custom EULA link {shown(url)} is not an absolute https:// address."
                    if url.strip() else "A custom EULA is chosen but its link is empty.", where)
    report.length("listing.E026", url, where, "The EULA link")


def _refund_policy(report: Report, legal: dict) -> None:
    where = loc("legal", "refund_policy")
    policy = report.text(legal, "refund_policy", where)
    if policy is None:
        return
    if is_paid(report.listing):
        report.required("listing.E102", policy, where, "The refund policy of a paid product")
    report.length("listing.E103", policy, where, "The refund policy")
    extra = report.check("listing.E104", where)
    # ASCII is allowed (its control characters are listing.E008's to report), plus AWS's few signs.
    refused = sorted({c for c in policy if ord(c) > 0x7E and c not in extra})
    if refused:
        report.fail("listing.E104", f"The refund policy uses {len(refused)} character{'s' if len(refused) > 1 else ''} "
                                    f"AWS refuses: {' '.join(refused[:10])}.", where, characters=refused[:20])


@check(
    name="listing.legal",
    title="EULA and refund policy",
    stage=STAGE_METADATA,
    codes=("listing.E026", "listing.E029", "listing.E100", "listing.E101", "listing.E102", "listing.E103",
           "listing.E104"),
)
def legal_rules(subject: Subject) -> Iterator[Finding]:
    report = Report(subject.listing)
    legal = report.section("legal")
    _eula(report, legal)
    _refund_policy(report, legal)
    yield from report.findings()
