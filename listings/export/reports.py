"""``reports/``: the validation run of the version (JSON, HTML, CSV) and the review record (JSON).

The run and the review are frozen with the version (a run is tied to its content hash, decisions and events
are append-only), so these documents are as reproducible as the snapshot: no "generated at" times, rows in
a stable order. Review models added later (waivers, comments) are read when they exist.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.apps import apps
from django.db.models import Q
from django.template.loader import render_to_string

from listings.export.csvsafe import csv_bytes
from listings.models import ListingEvent, ListingVersion

__all__ = ["review_report", "validation_csv", "validation_html", "validation_report"]

# Events only a reviewer causes (``review.scoped`` is written when the seller submits, so it names no reviewer).
REVIEWER_EVENTS = frozenset({"review.claimed", "review.assigned", "review.section_approved", "review.section_reopened",
                             "review.approved", "review.changes_requested", "waiver.granted", "waiver.revoked"})
DECISION_EVENTS = frozenset({"review.approved", "review.changes_requested"})
FINDING_COLUMNS = ("code", "severity", "outcome", "message", "hint", "location", "source", "check")


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _who(user) -> str | None:
    if user is None:
        return None
    return getattr(user, "email", "") or user.get_username()


def validation_report(version: ListingVersion) -> dict[str, Any]:
    run = version.validation_run
    if run is None:
        return {"run": None, "findings": []}
    findings = list(run.findings.order_by("position"))
    counts = Counter(f"{f.outcome}_{f.severity}" if f.outcome == "failed" else str(f.outcome) for f in findings)
    return {
        "run": str(run.id), "policy": run.policy, "verdict": run.verdict, "content_hash": run.content_hash,
        "started_at": _iso(run.started_at), "finished_at": _iso(run.finished_at),
        "summary": dict(sorted(counts.items())),
        "findings": [
            {"code": f.code, "severity": f.severity, "outcome": f.outcome, "message": f.message,
             "hint": f.hint, "location": f.location, "source": f.source, "check": f.check_name}
            for f in findings
        ],
    }


def validation_csv(report: dict[str, Any]) -> bytes:
    """The findings as a spreadsheet; seller text in it (messages quote cells) is neutralised."""
    return csv_bytes(FINDING_COLUMNS, ([f.get(c, "") for c in FINDING_COLUMNS] for f in report["findings"]))


def validation_html(report: dict[str, Any], *, title: str, version_number: int) -> bytes:
    groups = [
        ("Failed", [f for f in report["findings"] if f["outcome"] == "failed"]),
        ("Not run", [f for f in report["findings"] if f["outcome"] == "not_run"]),
        ("Passed", [f for f in report["findings"] if f["outcome"] == "passed"]),
    ]
    html = render_to_string("listings/export/validation_report.html", {
        "report": report, "title": title, "version_number": version_number, "groups": groups,
    })
    return html.encode()


# ------------------------------------------------------------------------------------------------ review
#
# The review record is taken as it stood when the version was decided: rows and events after the decision
# (a waiver revoked later, a comment resolved later) do not change an exported bundle, so re-exports stay
# byte-identical. Review models are read when the app has them (listings/review), and skipped otherwise.


def _model(name: str):
    try:
        return apps.get_model("listings", name)
    except LookupError:
        return None


def _until(value: dt.datetime | None, cutoff: dt.datetime | None) -> bool:
    return value is not None and (cutoff is None or value <= cutoff)


def _number(version: ListingVersion | None) -> int | None:
    return version.number if version is not None else None


def _waivers(version: ListingVersion, cutoff: dt.datetime | None) -> list[dict[str, Any]] | None:
    Waiver = _model("Waiver")
    if Waiver is None:
        return None
    out = []
    for w in Waiver.objects.filter(listing=version.listing).select_related("version").order_by("created_at", "pk"):
        if not _until(w.created_at, cutoff) or _until(getattr(w, "revoked_at", None), cutoff):
            continue
        expires = getattr(w, "expires_at", None)
        if cutoff is not None and expires is not None and expires <= cutoff:
            continue  # expired before the decision: it did not count
        out.append({"code": w.code, "location": getattr(w, "location", ""), "severity": getattr(w, "severity", ""),
                    "reason": w.reason, "by": getattr(w, "created_by_email", "") or None, "at": _iso(w.created_at),
                    "expires_at": _iso(expires), "waived_on_version": _number(getattr(w, "version", None))})
    return out


def _comments(version: ListingVersion, cutoff: dt.datetime | None) -> list[dict[str, Any]] | None:
    ReviewComment = _model("ReviewComment")
    if ReviewComment is None:
        return None
    out = []
    for c in ReviewComment.objects.filter(listing=version.listing, version=version).order_by("created_at", "pk"):
        if not _until(c.created_at, cutoff):
            continue
        resolved = _until(getattr(c, "resolved_at", None), cutoff)
        out.append({"id": str(c.pk), "reply_to": str(c.parent_id) if getattr(c, "parent_id", None) else None,
                    "anchor_kind": getattr(c, "anchor_kind", ""), "anchor": getattr(c, "anchor", ""),
                    "area": getattr(c, "area", ""), "body": c.body, "by": getattr(c, "author_email", "") or None,
                    "by_reviewer": bool(getattr(c, "by_reviewer", False)), "at": _iso(c.created_at),
                    "resolved_at": _iso(c.resolved_at) if resolved else None,
                    "resolved_by": (getattr(c, "resolved_by_email", "") or None) if resolved else None})
    return out


def _section_approvals(version: ListingVersion, cutoff: dt.datetime | None) -> list[dict[str, Any]] | None:
    SectionApproval = _model("SectionApproval")
    if SectionApproval is None:
        return None
    rows = SectionApproval.objects.filter(version=version).select_related("carried_from").order_by("area", "pk")
    return [{"area": a.area, "by": getattr(a, "approved_by_email", "") or None, "at": _iso(a.approved_at),
             "carried_from_version": _number(getattr(a, "carried_from", None))}
            for a in rows if _until(a.approved_at, cutoff)]


def _assignment(version: ListingVersion) -> dict[str, Any] | None:
    Review = _model("Review")
    if Review is None:
        return None
    review = Review.objects.filter(version=version).select_related("assignee", "baseline").first()
    if review is None:
        return None
    return {"assignee": _who(getattr(review, "assignee", None)), "assigned_at": _iso(getattr(review, "assigned_at", None)),
            "compared_with_version": _number(getattr(review, "baseline", None))}


def review_report(version: ListingVersion) -> dict[str, Any]:
    """Decisions, waivers, reviewers (and approvals per section and comments, when the review app has them)."""
    candidates = [
        e for e in ListingEvent.objects.filter(Q(type__startswith="review.") | Q(type__startswith="waiver."),
                                               listing=version.listing)
        .order_by("created_at", "id")
        if isinstance(e.data, dict) and (e.data.get("version") == version.number
                                         or e.data.get("version_id") == str(version.id))
    ]
    # Everything up to the decision itself (its event is written just after ``decided_at`` is set).
    decision = next((e for e in reversed(candidates) if e.type in DECISION_EVENTS), None)
    events = [e for e in candidates if decision is None or (e.created_at, e.id) <= (decision.created_at, decision.id)]
    cutoff = max(filter(None, (version.decided_at, decision.created_at if decision else None)), default=None)
    decided_by = _who(version.decided_by)
    report: dict[str, Any] = {
        "version": version.number,
        "submitted": {"by": _who(version.created_by), "at": _iso(version.created_at)},
        "decision": {"status": version.status, "by": decided_by, "at": _iso(version.decided_at),
                     "reason": version.decision_reason},
        "events": [{"type": e.type, "by": e.actor_email or None, "at": _iso(e.created_at), "data": e.data}
                   for e in events],
    }
    reviewers = {e.actor_email for e in events if e.actor_email and e.type in REVIEWER_EVENTS}
    if decided_by:
        reviewers.add(decided_by)
    assignment = _assignment(version)
    if assignment is not None:
        report["assignment"] = assignment
        if assignment["assignee"]:
            reviewers.add(assignment["assignee"])
    for key, rows in (("section_approvals", _section_approvals(version, cutoff)),
                      ("waivers", _waivers(version, cutoff)), ("comments", _comments(version, cutoff))):
        if rows is not None:
            report[key] = rows
    report.setdefault("waivers", [])
    reviewers |= {a["by"] for a in report.get("section_approvals", []) if a["by"]}
    reviewers |= {w["by"] for w in report["waivers"] if w["by"]}
    reviewers |= {c["by"] for c in report.get("comments", []) if c["by_reviewer"] and c["by"]}
    report["reviewers"] = sorted(reviewers)
    return report
