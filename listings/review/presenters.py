"""Shapes the review pages: the queue's rows, the review page's scope, report, diff, preview and threads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone
from django.utils.safestring import mark_safe

from listings.models import ListingVersion, ProductKind, ReviewComment, SectionApproval, VersionStatus
from listings.review.areas import FILES, area_hashes, area_titles, areas_for
from listings.review.diff import SectionDiff, diff_snapshots
from listings.review.gate import active_waivers, approval_blockers, finding_key, is_waivable
from listings.review.notebooks import notebook_diffs
from listings.review.policy import WAIVER_DEFAULT_DAYS, due_at, review_sla_hours
from listings.review.selectors import areas_total, last_approved_before, previous_versions, threads_of


# --------------------------------------------------------------------------------------------------- queue
@dataclass
class QueueRow:
    """One row of the queue, flat and ready to print (listings/display.py): only what the row shows, so that
    the rendered row can be cached under these values (``queue_row_html``)."""

    id: object  # the version's
    number: int
    status: str
    status_label: str
    title: str
    team: str
    kind: str  # "Model package"
    url: str  # the review page
    claim_url: str
    assignee: str  # the user name of who has it, if anyone
    mine: bool  # the viewer has it
    decided_by: str
    overdue: bool
    due_soon: bool
    not_run: int
    to_look_at: int
    areas: int
    badges: tuple = ()  # the validation cell: (badge class, text), e.g. ("error", "2 errors")
    scope: str = ""  # the "To look at" cell when no number stands out: "All 8 sections", "Nothing changed", "—"
    age_label: str = ""  # "2 d 3 h"
    overdue_by: str = ""
    due_in: str = ""  # when due soon: "5 h 20 min"
    submitted_iso: str = ""
    submitted_label: str = ""  # "2025-01-31 14:05"
    due_iso: str = ""
    due_label: str = ""  # "Jan 31, 14:05"
    decided_iso: str = ""
    decided_label: str = ""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _badges(errors: int, warnings: int, has_run: bool) -> tuple:
    badges = []
    if errors:
        badges.append(("error", _plural(errors, "error")))
    if warnings:
        badges.append(("warning", _plural(warnings, "warning")))
    return tuple(badges) or ((("passed", "No problems"),) if has_run else (("not_run", "No run"),))


def _scope(status: str, to_look_at: int, areas: int) -> str:
    if status != "submitted":
        return "—"
    if to_look_at == areas:
        return f"All {areas} sections"
    return "" if to_look_at else "Nothing changed"  # "": the template shows "<strong>n</strong> of m sections"


def queue_rows(versions, *, viewer, now=None, sla: int | None = None, decided: bool = False) -> list[QueueRow]:
    """The rows of one queue page (``selectors.queue_page_values``: one dict a version) as ``viewer`` sees
    them, with each version's validation counts (one query, or none: ``selectors.queue_run_counts``).
    ``decided``: the rows of the "decided" view, which shows decisions rather than due times."""
    from listings.display import iso, local, short, stamp, url_for_each
    from listings.review.selectors import queue_run_counts
    from listings.templatetags.review_extras import span

    versions = list(versions)
    now = now or timezone.now()
    sla = sla if sla is not None else review_sla_hours()
    soon = now + timedelta(hours=max(sla // 4, 1))
    tz = timezone.get_current_timezone()
    summaries = queue_run_counts(versions)
    review_url, claim_url = url_for_each("review-version"), url_for_each("review-claim")
    kinds, statuses = dict(ProductKind.choices), dict(VersionStatus.choices)
    rows = []
    for v in versions:
        run_id, status, created_at, kind = v["validation_run_id"], v["status"], v["created_at"], v["listing__kind"]
        summary = summaries.get(run_id, {}) if run_id else {}
        errors, warnings = summary.get("failed_error", 0), summary.get("failed_warning", 0)
        due = due_at(created_at, sla)
        areas = areas_total(kind)
        to_look_at = max(areas - v["signed"], 0)
        waiting = status == "submitted"
        overdue = waiting and due < now
        due_soon = waiting and now <= due < soon
        row = QueueRow(
            id=v["id"], number=v["number"], status=status, status_label=statuses.get(status, status),
            title=v["listing__title"], team=v["listing__team__name"], kind=kinds.get(kind, kind),
            url=review_url(v["id"]), claim_url=claim_url(v["id"]),
            assignee=v["review__assignee__username"] or "", mine=v["review__assignee"] == viewer.pk,
            decided_by=v.get("decided_by__username") or "",
            overdue=overdue, due_soon=due_soon, due_in=span(due - now) if due_soon else "",
            not_run=summary.get("not_run", 0), to_look_at=to_look_at, areas=areas,
            badges=_badges(errors, warnings, bool(run_id)), scope=_scope(status, to_look_at, areas),
        )
        if decided:
            decided_at = local(v["decided_at"], tz)
            row.decided_iso, row.decided_label = iso(decided_at), stamp(decided_at)
        else:
            submitted, due_local = local(created_at, tz), local(due, tz)
            row.age_label, row.overdue_by = span(now - created_at), span(now - due) if overdue else ""
            row.submitted_iso, row.submitted_label = iso(submitted), stamp(submitted)
            row.due_iso, row.due_label = iso(due_local), short(due_local)
        rows.append(row)
    return rows


def queue_row_html(rows: list[QueueRow], *, decided: bool = False) -> list:
    """Each row's ``<tr>``, from the fragment cache when the row shows what it showed before."""
    from listings.fragments import render_each

    return render_each("review/_queue_row.html", [{"r": row, "decided_view": decided} for row in rows])


# ------------------------------------------------------------------------------------------ re-review scope
@dataclass
class AreaState:
    name: str
    title: str
    approval: SectionApproval | None
    changed: bool | None  # against the baseline; None when there is no baseline (version 1)
    flagged_in_baseline: bool  # the baseline's reviewer asked for changes here
    open_threads: int = 0

    @property
    def needs_look(self) -> bool:
        return self.approval is None

    @property
    def reason(self) -> str:
        if self.approval is not None:
            who = self.approval.approved_by_email or "a reviewer"
            if self.approval.carried_from_id:
                return f"Unchanged since v{self.approval.carried_from.number} · signed off there by {who}"
            return f"Signed off on this version by {who}"
        if self.changed is None:
            return "First version: everything is new"
        if self.changed:
            return "Changed since the previous version"
        if self.flagged_in_baseline:
            return "Unchanged, but the last review asked for changes here"
        return "Not signed off in the previous version"


def area_states(version: ListingVersion, baseline: ListingVersion | None, threads) -> list[AreaState]:
    approvals = {a.area: a for a in version.section_approvals.select_related("carried_from")}
    hashes = area_hashes(version.snapshot, version.listing.kind)
    baseline_hashes = area_hashes(baseline.snapshot, version.listing.kind) if baseline else {}
    baseline_signed = set(baseline.section_approvals.values_list("area", flat=True)) if baseline else set()
    open_by_area: dict[str, int] = {}
    for t in threads:
        if t.resolved_at is None and t.area:
            open_by_area[t.area] = open_by_area.get(t.area, 0) + 1
    return [
        AreaState(
            name=a.name, title=a.title, approval=approvals.get(a.name),
            changed=None if baseline is None else baseline_hashes.get(a.name) != hashes[a.name],
            flagged_in_baseline=baseline is not None and baseline.status == "changes_requested"
            and a.name not in baseline_signed,
            open_threads=open_by_area.get(a.name, 0),
        )
        for a in areas_for(version.listing.kind)
    ]


# -------------------------------------------------------------------------------------------------- report
@dataclass
class ReportFinding:
    finding: object
    waiver: object | None
    waivable: bool

    @property
    def anchor(self) -> str:
        return f"{self.finding.code}@{self.finding.location}"


def report_findings(version: ListingVersion) -> list[ReportFinding]:
    run = version.validation_run
    if run is None:
        return []
    waivers = active_waivers(version.listing)
    failed = sorted(run.findings.filter(outcome="failed"),
                    key=lambda f: ({"error": 0, "warning": 1}.get(f.severity, 2), f.position))
    return [ReportFinding(f, waivers.get(finding_key(f)), is_waivable(f)) for f in failed]


# ---------------------------------------------------------------------------------------------- thread labels
def anchor_label(kind: str, anchor: str, titles: dict[str, str]) -> str:
    from listings.review.areas import area_of_anchor
    from listings.review.diff import label_for

    if kind == "general" or not anchor:
        return "The whole version"
    if kind == "field":
        area = area_of_anchor(kind, anchor)
        last = anchor.rsplit(".", 1)[-1]
        return f"{titles.get(area, area)} › {label_for(last.split('[', 1)[0])}" + (
            f" ({anchor})" if "[" in anchor or anchor.count(".") > 1 else "")
    if kind == "finding":
        code, _, location = anchor.partition("@")
        return f"Finding {code}" + (f" at {location.removeprefix('field:')}" if location else "")
    if kind == "cell":
        name, _, index = anchor.rpartition("#")
        return f"Notebook {name}, cell {int(index) + 1}" if index.isdigit() else anchor
    if kind == "artifact":
        return f"File {anchor}"
    return anchor


@dataclass
class Thread:
    root: ReviewComment
    label: str
    comments: list[ReviewComment] = field(default_factory=list)


def thread_list(listing) -> list[Thread]:
    titles = area_titles(listing.kind)
    return [Thread(root=t, label=anchor_label(t.anchor_kind, t.anchor, titles), comments=[t, *t.replies.all()])
            for t in threads_of(listing)]


def threads_by_anchor(threads: list[Thread]) -> dict[str, list[Thread]]:
    by: dict[str, list[Thread]] = {}
    for t in threads:
        by.setdefault(f"{t.root.anchor_kind}:{t.root.anchor}", []).append(t)
    return by


# --------------------------------------------------------------------------------------------------- diff
def compare(old: ListingVersion | None, new: ListingVersion) -> list[SectionDiff]:
    diffs = diff_snapshots(old.snapshot if old else None, new.snapshot)
    for section in diffs:
        if section.area == FILES:
            section.notebooks = notebook_diffs((old.snapshot.get("artifacts") if old else []) or [],
                                               new.snapshot.get("artifacts") or [])
    return diffs


def comparison_base(version: ListingVersion, against: str | None) -> tuple[ListingVersion | None, str]:
    """The version to diff against: the one asked for, else the last approved one, else the previous one."""
    earlier = list(previous_versions(version))
    if against:
        chosen = next((v for v in earlier if str(v.number) == against), None)
        if chosen is not None:
            return chosen, f"version {chosen.number} (chosen)"
    approved = last_approved_before(version)
    if approved is not None:
        return approved, f"version {approved.number}, the last approved one"
    if earlier:
        return earlier[0], f"version {earlier[0].number} (no version has been approved yet)"
    return None, ""


# --------------------------------------------------------------------------------------------------- preview
def buyer_preview(snapshot: dict) -> dict:
    """The listing page as AWS Marketplace buyers read it, rendered the one safe way (markdown → nh3)."""
    from validation.markdown_render import render_markdown

    product, version = snapshot.get("product") or {}, snapshot.get("version") or {}
    logo = next((a for a in snapshot.get("artifacts") or [] if a.get("kind") == "logo"), None)
    return {
        "product": product, "version": version, "logo": logo,
        # render_markdown's output is cleaned by nh3 (an allow-list), so it is safe to place as HTML.
        "long_description": mark_safe(render_markdown(product.get("long_description") or "")),  # noqa: S308
        "usage_instructions": mark_safe(render_markdown(version.get("usage_instructions") or "")),  # noqa: S308
        "instance_types": snapshot.get("instance_types") or {}, "pricing": snapshot.get("pricing") or {},
        "legal": snapshot.get("legal") or {}, "endpoint": snapshot.get("endpoint") or {},
    }


# ------------------------------------------------------------------------------------------------ whole page
def review_page_context(version: ListingVersion, user, *, against: str | None = None) -> dict:
    from listings.permissions import can_review
    from listings.review.forms import AssignForm, CommentForm, RequestChangesForm, WaiverForm
    from listings.review.selectors import eligible_reviewers

    listing = version.listing
    review = getattr(version, "review", None) if hasattr(version, "review") else None
    baseline = review.baseline if review is not None else previous_versions(version).first()
    threads = thread_list(listing)
    states = area_states(version, baseline, [t.root for t in threads])
    base, base_label = comparison_base(version, against)
    findings = report_findings(version)
    diff = compare(base, version)
    anchors = threads_by_anchor(threads)
    for section in diff:  # a notebook with comments on its cells shows its cells unfolded
        for nb in section.notebooks:
            nb.has_threads = any(key.startswith(f"cell:{nb.name}#") for key in anchors)
    may_decide = can_review(user, listing) and version.status == "submitted"
    now = timezone.now()
    due = due_at(version.created_at)
    flagged = [s.name for s in states if s.open_threads]
    context = {
        "version": version, "listing": listing, "snapshot": version.snapshot, "review": review,
        "baseline": baseline, "areas": states, "needs_look": [s for s in states if s.needs_look],
        "signed_off": [s for s in states if not s.needs_look],
        "changed_areas": [s for s in states if s.changed],
        "compare_base": base, "compare_label": base_label, "diff": diff,
        "earlier_versions": list(previous_versions(version)),
        "findings": findings, "errors": [f for f in findings if f.finding.severity == "error"],
        "warnings": [f for f in findings if f.finding.severity != "error"],
        "blockers": approval_blockers(version) if version.status == "submitted" else [],
        "threads": threads, "threads_by_anchor": anchors,
        "open_threads": sum(1 for t in threads if t.root.resolved_at is None),
        "preview": buyer_preview(version.snapshot),
        "may_decide": may_decide, "own_team": not can_review(user, listing),
        "due": due, "overdue": version.status == "submitted" and due < now, "sla_hours": review_sla_hours(),
        "form": RequestChangesForm(areas=areas_for(listing.kind), initial={"sections": flagged}),
        "comment_form": CommentForm(), "waiver_form": WaiverForm(initial={
            "expires_on": (now + timedelta(days=WAIVER_DEFAULT_DAYS)).date()}),
        "assign_form": AssignForm(reviewers=eligible_reviewers(listing),
                                  initial={"assignee": review.assignee_id if review else None}),
        "events": listing.events.select_related("actor")[:100],
    }
    if version.validation_run is not None:
        from validation.presenters import run_panel_context

        context.update({k: v for k, v in run_panel_context(version.validation_run, current=True).items()
                        if k in ("run", "not_run_groups", "passed", "not_run")})
    return context
