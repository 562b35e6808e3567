"""Reads of the review workflow, scoped to the user (STYLE.md 3): "missing" and "not yours" are both a 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from listings.models import (
    Listing,
    ListingVersion,
    Membership,
    Notification,
    Review,
    ReviewComment,
    SectionApproval,
    Team,
    VersionStatus,
    Waiver,
)
from listings.permissions import REVIEWERS_GROUP, is_reviewer
from listings.review.areas import areas_for
from listings.review.policy import review_sla_hours

QUEUE_VIEWS = {
    "waiting": "Waiting for a decision",
    "mine": "Assigned to me",
    "unassigned": "Not claimed",
    "overdue": "Overdue",
    "decided": "Decided in the last 30 days",
}


@dataclass
class QueueFilters:
    view: str = "waiting"
    team: str = ""
    kind: str = ""
    q: str = ""


def review_queue(user, filters: QueueFilters | None = None, *, now=None) -> QuerySet[ListingVersion]:
    """Versions for the reviewer's queue, oldest first (the one closest to its due time on top).

    Rows only: no aggregate over related tables here (a GROUP BY over every version would be paid for rows
    the page never shows). ``presenters.queue_rows`` adds the validation counts and sign-offs of the rows
    on the page, one query each."""
    filters = filters or QueueFilters()
    if not is_reviewer(user):
        return ListingVersion.objects.none()
    now = now or timezone.now()
    qs = ListingVersion.objects.all()
    if filters.view == "decided":
        qs = qs.filter(status__in=(VersionStatus.APPROVED, VersionStatus.CHANGES_REQUESTED),
                       decided_at__gte=now - timedelta(days=30)).order_by("-decided_at", "-id")
    else:
        qs = qs.filter(status=VersionStatus.SUBMITTED).order_by("created_at", "id")
        if filters.view == "mine":
            qs = qs.filter(review__assignee=user)
        elif filters.view == "unassigned":
            qs = qs.filter(Q(review__assignee__isnull=True) | Q(review__isnull=True))
        elif filters.view == "overdue":
            qs = qs.filter(created_at__lt=now - timedelta(hours=review_sla_hours()))
    if filters.team:
        try:
            qs = qs.filter(listing__team_id=filters.team)
        except (ValueError, TypeError, ValidationError):
            qs = qs.none()
    if filters.kind:
        qs = qs.filter(listing__kind=filters.kind)
    if filters.q:
        qs = qs.filter(listing__title__icontains=filters.q)
    return qs


# What a queue row shows (presenters.queue_rows): plain values, no model instances; the versions' snapshots and
# the runs' JSON (summary, live log) stay in the database.
QUEUE_ROW_VALUES = (
    "id", "number", "status", "created_at", "decided_at", "validation_run_id",
    "listing__title", "listing__kind", "listing__team__name", "review__assignee", "review__assignee__username",
)


def queue_page_values(versions: QuerySet[ListingVersion], *, decided: bool = False):
    """The queue's rows as dicts (``QUEUE_ROW_VALUES``, and ``signed``: the areas signed off; with who decided,
    in the "decided" view). The sign-offs are counted by a subquery, which PostgreSQL runs for the rows of the
    page only."""
    signed = (SectionApproval.objects.filter(version=OuterRef("pk")).order_by().values("version")
              .annotate(n=Count("pk")).values("n"))
    return (versions.annotate(signed=Coalesce(Subquery(signed), 0))
            .values(*QUEUE_ROW_VALUES, "signed", *(("decided_by__username",) if decided else ())))


QUEUE_TEAMS_KEY = "review:queue-teams:v1"
QUEUE_TEAMS_SECONDS = 5 * 60  # a renamed team shows under its new name within this; a new one at once


def queue_teams() -> list[tuple[str, str]]:
    """``(id, name)`` of the teams with at least one version, by name: the queue's team filter. Read on every
    view of the queue, and changed only by a team's first submission (``forget_queue_teams``): cached."""
    from django.core.cache import cache

    teams = cache.get(QUEUE_TEAMS_KEY)
    if teams is None:
        teams = [(str(pk), name) for pk, name in
                 Team.objects.filter(Exists(ListingVersion.objects.filter(listing__team=OuterRef("pk"))))
                 .order_by("name").values_list("id", "name")]
        cache.set(QUEUE_TEAMS_KEY, teams, QUEUE_TEAMS_SECONDS)
    return teams


def forget_queue_teams() -> None:
    from django.core.cache import cache

    cache.delete(QUEUE_TEAMS_KEY)


def queue_counts(user, *, now=None) -> dict[str, int]:
    """The queue tabs' counts: versions waiting, claimed by ``user``, unassigned, and past the SLA.

    Written as SQL, like ``permissions.user_facts``: on every view of the queue, ``aggregate()`` spent three
    times longer building this statement than the database spends answering it."""
    from django.db import connection

    if not is_reviewer(user):
        return {}
    overdue_before = (now or timezone.now()) - timedelta(hours=review_sla_hours())
    q, version, review = connection.ops.quote_name, ListingVersion._meta, Review._meta
    assignee = f"r.{q(review.get_field('assignee').column)}"
    sql = (
        f"SELECT COUNT(*), COUNT(*) FILTER (WHERE {assignee} = %s), COUNT(*) FILTER (WHERE {assignee} IS NULL),"
        f" COUNT(*) FILTER (WHERE v.{q(version.get_field('created_at').column)} < %s)"
        f" FROM {q(version.db_table)} v LEFT JOIN {q(review.db_table)} r"
        f" ON r.{q(review.pk.column)} = v.{q(version.pk.column)}"
        f" WHERE v.{q(version.get_field('status').column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, connection.ops.adapt_datetimefield_value(overdue_before),
                             VersionStatus.SUBMITTED.value])
        waiting, mine, unassigned, overdue = cursor.fetchone()
    return {"waiting": waiting, "mine": mine, "unassigned": unassigned, "overdue": overdue}


RUN_COUNTS_KEY = "review:run-counts:v1:"  # + the run's id: its findings' counts (never stale: they never change)
RUN_COUNTS_SECONDS = 7 * 24 * 3600  # only to let the cache forget runs no page shows any more


def queue_run_counts(versions) -> dict:
    """For the versions of one queue page (``queue_page_values``): ``{run_id: {"failed_error": n,
    "failed_warning": n, "not_run": n}}`` counted from the runs' findings. No query when every run's counts
    are in the cache; else two (which of the others have finished, and their counts)."""
    from django.core.cache import cache

    from validation.models import Finding, ValidationRun

    run_ids = {v["validation_run_id"] for v in versions if v["validation_run_id"]}
    # A run that succeeded never changes again (only a running or failed run is retried, its findings dropped):
    # its counts are kept in the cache under its id, and only the other runs are counted.
    keys = {f"{RUN_COUNTS_KEY}{run_id}": run_id for run_id in run_ids}
    summaries: dict = {keys[k]: counts for k, counts in cache.get_many(list(keys)).items()} if keys else {}
    missing = run_ids - summaries.keys()
    if missing:
        # Which have finished, asked before their findings are counted: a run that finishes in between is
        # counted in full and cached next time, never cached with part of its findings.
        finished = set(ValidationRun.objects.filter(pk__in=missing, status="succeeded").exclude(verdict="")
                       .values_list("pk", flat=True))
        rows = (Finding.objects.filter(run_id__in=missing).exclude(outcome="passed")
                .values_list("run_id", "outcome", "severity").annotate(n=Count("id")).order_by())
        fresh: dict = {run_id: {} for run_id in missing}
        for run_id, outcome, severity, n in rows:
            key = f"failed_{severity}" if outcome == "failed" else outcome
            counts = fresh[run_id]
            counts[key] = counts.get(key, 0) + n
        summaries.update(fresh)
        if keep := {f"{RUN_COUNTS_KEY}{run_id}": fresh[run_id] for run_id in missing & finished}:
            cache.set_many(keep, RUN_COUNTS_SECONDS)
    return summaries


@cache
def areas_total(kind: str) -> int:
    return len(areas_for(kind))


def eligible_reviewers(listing: Listing):
    """Reviewers who may decide on ``listing``: reviewers (or admins) outside its team."""
    return (get_user_model().objects.filter(Q(groups__name=REVIEWERS_GROUP) | Q(is_superuser=True), is_active=True)
            .exclude(memberships__team_id=listing.team_id).distinct().order_by("username"))


def previous_versions(version: ListingVersion) -> QuerySet[ListingVersion]:
    return ListingVersion.objects.filter(listing_id=version.listing_id, number__lt=version.number).order_by("-number")


def last_approved_before(version: ListingVersion) -> ListingVersion | None:
    return previous_versions(version).filter(status=VersionStatus.APPROVED).first()


def review_note_flags() -> dict:
    """Annotations for the listing page's query: whether the listing has any review thread or waiver. Most
    listings have neither, and then the review card asks nothing more (``listing_review_comments``)."""
    return {"has_threads": Exists(ReviewComment.objects.filter(listing=OuterRef("pk"), parent__isnull=True)),
            "has_waivers": Exists(Waiver.objects.filter(listing=OuterRef("pk")))}


def threads_of(listing: Listing) -> list[ReviewComment]:
    """Every thread on the listing, open ones first, each with its replies."""
    replies = ReviewComment.objects.filter(parent__isnull=False).order_by("created_at")
    threads = (ReviewComment.objects.filter(listing=listing, parent__isnull=True)
               .select_related("version").prefetch_related(Prefetch("replies", queryset=replies)))
    return sorted(threads, key=lambda t: (t.resolved_at is not None, t.created_at))


def get_thread_for_user(user, comment_id) -> ReviewComment:
    """A comment the user may see: any for a reviewer, else only on the user's team's listings."""
    qs = ReviewComment.objects.select_related("listing", "parent", "version")
    if not is_reviewer(user):
        qs = qs.filter(listing__team__in=Membership.objects.filter(user=user).values("team"))
    try:
        return qs.get(pk=comment_id)
    except (ReviewComment.DoesNotExist, ValueError):
        raise Http404("No such comment.")


def get_waiver_for_reviewer(user, waiver_id) -> Waiver:
    if not is_reviewer(user):
        raise Http404("No such waiver.")
    try:
        return Waiver.objects.select_related("listing").get(pk=waiver_id)
    except (Waiver.DoesNotExist, ValueError):
        raise Http404("No such waiver.")


def waivers_of(listing: Listing) -> QuerySet[Waiver]:
    return Waiver.objects.filter(listing=listing).select_related("version").order_by("-created_at")


def notifications_for(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).select_related("listing").order_by("-created_at")


def unread_count(user) -> int:
    from listings.permissions import user_facts
    from marketplace_prep.request_memo import in_request

    if not user.is_authenticated:
        return 0
    if in_request():
        return user_facts(user)[1]  # asked with the reviewer check, once per request
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
