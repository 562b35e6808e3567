"""Telling people what happened: an in-app list (the bell in the top bar) and e-mail through Django's mail
framework (the console backend by default; SMTP when ``EMAIL_URL`` says so).

Services call these with ``transaction.on_commit``, after the decision is stored. Nothing here may undo or
block a transition: every step is caught and logged, so a mail server that is down, a bad address or even a
failing insert of the in-app row leaves the decision in place and the request successful.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse

log = logging.getLogger(__name__)


def absolute(path: str) -> str:
    return getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/") + path


def _deliver(*, users: Iterable, kind: str, title: str, url: str, listing=None, body: str = "",
             email_template: str | None = None, context: dict | None = None) -> None:
    from listings.models import Notification

    users = [u for u in users if u.is_active]
    try:
        Notification.objects.bulk_create([
            Notification(recipient=u, kind=kind, listing=listing, title=title[:255], body=body, url=url) for u in users
        ])
    except Exception:
        log.exception("could not store %s notifications", kind)
    if email_template is None:
        return
    try:
        connection = get_connection(fail_silently=False)
    except Exception:
        log.exception("no e-mail connection for %s", kind)
        return
    for user in users:
        if not user.email:
            continue
        try:
            text = render_to_string(email_template, {**(context or {}), "user": user, "url": absolute(url),
                                                     "title": title})
            # One message per person: addresses of other teams' people never show up in a To line.
            EmailMessage(subject=f"[marketplace_prep] {title}", body=text, to=[user.email],
                         connection=connection).send()
        except Exception:
            log.exception("could not e-mail %s about %s", user.pk, kind)


def _safe(func):
    def wrapper(**kwargs):
        try:
            func(**kwargs)
        except Exception:
            log.exception("notification %s failed", func.__name__)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def reviewers_for(listing):
    """Everyone who may decide on ``listing``: reviewers and admins outside its team."""
    from listings.permissions import REVIEWERS_GROUP

    return (get_user_model().objects.filter(Q(groups__name=REVIEWERS_GROUP) | Q(is_superuser=True), is_active=True)
            .exclude(memberships__team_id=listing.team_id).distinct())


def team_of(listing):
    return get_user_model().objects.filter(memberships__team_id=listing.team_id, is_active=True).distinct()


@_safe
def notify_submitted(*, version_id) -> None:
    """Reviewers, on a new submission."""
    from listings.models import ListingVersion
    from listings.review.policy import due_at

    version = ListingVersion.objects.select_related("listing", "listing__team", "review__baseline").get(pk=version_id)
    listing = version.listing
    fresh = version.review.baseline is not None if hasattr(version, "review") else False
    title = f"New submission: {listing.title} v{version.number} ({listing.team.name})"
    _deliver(users=reviewers_for(listing), kind="review.submitted", listing=listing, title=title,
             url=reverse("review-version", args=[version.id]),
             body="A re-submission: unchanged sections keep their sign-off." if fresh else "",
             email_template="email/review_submitted.txt",
             context={"version": version, "listing": listing, "due": due_at(version.created_at)})


@_safe
def notify_decided(*, version_id) -> None:
    """The listing's team, on a decision."""
    from listings.models import ListingVersion, ReviewComment

    version = ListingVersion.objects.select_related("listing", "decided_by").get(pk=version_id)
    listing = version.listing
    approved = version.status == "approved"
    title = (f"Approved: {listing.title} v{version.number}" if approved
             else f"Changes requested: {listing.title} v{version.number}")
    open_threads = ReviewComment.objects.filter(listing=listing, parent__isnull=True, resolved_at__isnull=True).count()
    _deliver(users=team_of(listing), kind=f"review.{version.status}", listing=listing, title=title,
             url=reverse("listing-detail", args=[listing.id]), body=version.decision_reason,
             email_template="email/review_decided.txt",
             context={"version": version, "listing": listing, "approved": approved, "open_threads": open_threads})


@_safe
def notify_assigned(*, version_id, assignee_id, by_id) -> None:
    from listings.models import ListingVersion

    version = ListingVersion.objects.select_related("listing").get(pk=version_id)
    users = get_user_model().objects.filter(pk=assignee_id)
    by = get_user_model().objects.filter(pk=by_id).first()
    title = f"Assigned to you: {version.listing.title} v{version.number}"
    _deliver(users=users, kind="review.assigned", listing=version.listing, title=title,
             url=reverse("review-version", args=[version.id]), body=f"by {by.get_username() if by else 'someone'}",
             email_template="email/review_assigned.txt", context={"version": version, "by": by})


@_safe
def notify_comment(*, comment_id) -> None:
    """In-app only (comments come in bursts): a reviewer's comment tells the team; a seller's answer tells the
    reviewers in the thread and the one the latest version is assigned to."""
    from listings.models import Review, ReviewComment

    comment = ReviewComment.objects.select_related("listing", "parent").get(pk=comment_id)
    listing = comment.listing
    root = comment.parent or comment
    if comment.by_reviewer:
        users = team_of(listing)
        url = reverse("listing-detail", args=[listing.id]) + f"#thread-{root.id}"
    else:
        ids = set(ReviewComment.objects.filter(Q(pk=root.pk) | Q(parent=root), by_reviewer=True)
                  .exclude(author=None).values_list("author_id", flat=True))
        latest = Review.objects.filter(version__listing=listing).order_by("-version__number").first()
        if latest is not None and latest.assignee_id:
            ids.add(latest.assignee_id)
        users = get_user_model().objects.filter(pk__in=ids)
        version_id = latest.version_id if latest is not None else None
        url = (reverse("review-version", args=[version_id]) if version_id else "") + f"#thread-{root.id}"
    who = comment.author_email or "someone"
    verb = "replied" if comment.parent_id else "commented"
    title = f"{who} {verb} on {listing.title}"
    _deliver(users=[u for u in users if u.pk != comment.author_id], kind="comment.added", listing=listing,
             title=title, url=url, body=comment.body[:300])
