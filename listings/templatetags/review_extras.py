"""Template helpers of the review pages and the top bar's bell."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils import timezone

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    from listings.review.selectors import unread_count

    return unread_count(user)


@register.filter
def span(delta: timedelta | None) -> str:
    """A duration as people say it: "40 min", "5 h", "2 d 3 h"."""
    if delta is None:
        return ""
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes and hours < 6 else f"{hours} h"
    return f"{max(minutes, 1)} min"


@register.filter
def threads_at(threads_by_anchor: dict, key: str) -> list:
    return (threads_by_anchor or {}).get(key, [])


@register.filter
def short_sha(value: str) -> str:
    return (value or "")[:12]


@register.filter
def plus1(value) -> int:
    try:
        return int(value) + 1
    except (TypeError, ValueError):
        return 0


@register.simple_tag
def anchor_key(kind: str, anchor: str) -> str:
    return f"{kind}:{anchor}"


_SIMPLE = {
    "listing.created": "created the listing",
    "listing.submitted": "submitted the listing for review",
    "listing.reopened": "started a new draft after approval",
    "validation.passed": "validation passed",
    "validation.failed": "validation found problems",
    "validation.started": "validation started",
    "validation.errored": "validation could not finish",
    "review.approved": "approved",
    "review.changes_requested": "requested changes",
    "review.claimed": "claimed the review",
    "review.released": "released the review",
    "comment.added": "commented",
    "comment.replied": "replied in a thread",
    "comment.resolved": "resolved a thread",
    "comment.reopened": "reopened a thread",
    "waiver.revoked": "revoked a waiver",
}


@register.filter
def event_summary(event) -> str:
    """One line a person can read for an audit event (the dotted type stays beside it)."""
    data = event.data or {}
    kind = event.type
    if kind == "version.created":
        return f"froze version {data.get('version')}"
    if kind == "review.scoped":
        fresh, carried = data.get("needs_review") or [], data.get("carried_over") or []
        if data.get("baseline") is None:
            return f"version {data.get('version')}: every section needs a review"
        return (f"version {data.get('version')}: {len(fresh)} section{'s' if len(fresh) != 1 else ''} to review "
                f"({', '.join(fresh) or 'none'}); {len(carried)} carried over from version {data.get('baseline')}")
    if kind == "review.assigned":
        return f"assigned the review to {data.get('assignee')}"
    if kind in ("review.section_approved", "review.section_reopened"):
        verb = "signed off" if kind.endswith("approved") else "reopened"
        return f"{verb} {data.get('section')} on version {data.get('version')}"
    if kind == "waiver.granted":
        return f"waived {data.get('code')} until {str(data.get('expires_at', ''))[:10]}"
    if kind in ("review.approved", "review.changes_requested") and data.get("version"):
        return f"{_SIMPLE[kind]} on version {data.get('version')}"
    if kind == "listing.section_saved":
        return f"saved {data.get('section')}"
    if kind == "listing.draft_discarded":
        return f"discarded unsaved changes to {data.get('section')}"
    return _SIMPLE.get(kind, kind.replace(".", " ").replace("_", " "))


@register.inclusion_tag("review/_listing_comments.html", takes_context=True)
def listing_review_comments(context, listing):
    """The seller's side of the review on the listing page: threads to answer, and waivers granted."""
    from listings.review.presenters import thread_list
    from listings.review.selectors import waivers_of
    from listings.review.services import can_comment

    request = context.get("request")
    # The listing page read whether there is anything to show with the listing (review_note_flags).
    threads = thread_list(listing) if getattr(listing, "has_threads", True) else []
    waivers = list(waivers_of(listing)[:20]) if getattr(listing, "has_waivers", True) else []
    return {
        "listing": listing, "threads": threads, "request": request, "csrf_token": context.get("csrf_token"),
        "open_threads": sum(1 for t in threads if t.root.resolved_at is None),
        "can_write": can_comment(request.user, listing) if request else False,
        "waivers": waivers, "back": request.path if request else "", "now": timezone.now(),
    }


@register.simple_tag
def version_review_state(version) -> dict:
    """For the versions card: who reviews it, when it is due, and what needs a fresh look."""
    from listings.review.areas import area_titles
    from listings.review.policy import due_at

    review = getattr(version, "review", None) if hasattr(version, "review") else None
    titles = area_titles(version.listing.kind)
    signed = set(version.section_approvals.values_list("area", flat=True))
    return {
        "assignee": review.assignee if review else None,
        "due": due_at(version.created_at) if version.status == "submitted" else None,
        "to_review": [titles[a] for a in titles if a not in signed],
        "baseline": review.baseline if review else None,
    }
