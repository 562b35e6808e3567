"""What the admin dashboard shows, each figure one aggregate query, so the page costs the same at any size.

The figures are aggregates over every listing, run and finding: ``dashboard_metrics`` computes them together
and keeps them in the cache for ``CACHE_SECONDS``, so a busy dashboard costs the database one computation a
minute, not one per view. The live operations panel (queues, workers, stuck runs) is not cached.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Count, Max, Min, Q
from django.db.models.functions import TruncDay
from django.utils import timezone

from listings.jobs import JobStatus
from listings.models import Listing, ListingEvent, ListingStatus, ListingVersion, SubmissionBundle, VersionStatus
from validation.models import Finding, ValidationRun

log = logging.getLogger(__name__)

WINDOW_DAYS = 30
CACHE_SECONDS = 60
CACHE_KEY = "dashboard:metrics:v1"  # bump the suffix when the shape of the cached dict changes
TRACKED_EVENTS = ("listing.created", "listing.submitted", "review.approved", "review.changes_requested")


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    link: str = ""


def listings_by_status() -> list[Bar]:
    counts = dict(Listing.objects.values_list("status").annotate(n=Count("id")).order_by())
    return [Bar(label, counts.get(value, 0), f"?status={value}") for value, label in ListingStatus.choices]


def activity_over_time(now=None) -> dict:
    """Listings created, submitted, approved and sent back per day over the window (a line per event type)."""
    now = now or timezone.now()
    start = (now - timedelta(days=WINDOW_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (ListingEvent.objects.filter(created_at__gte=start, type__in=TRACKED_EVENTS)
            .annotate(day=TruncDay("created_at")).values_list("day", "type").annotate(n=Count("id")).order_by())
    days = [(start + timedelta(days=i)).date() for i in range(WINDOW_DAYS + 1)]
    series = {t: [0] * len(days) for t in TRACKED_EVENTS}
    index = {d: i for i, d in enumerate(days)}
    for day, type_, n in rows:
        if day.date() in index:
            series[type_][index[day.date()]] = n
    return {"days": days, "series": series}


def validation_outcomes(now=None) -> list[Bar]:
    since = (now or timezone.now()) - timedelta(days=WINDOW_DAYS)
    agg = ValidationRun.objects.filter(created_at__gte=since).aggregate(
        passed=Count("id", filter=Q(verdict="passed")),
        failed=Count("id", filter=Q(verdict="failed")),
        errored=Count("id", filter=Q(status=JobStatus.FAILED)),
        active=Count("id", filter=Q(status__in=(JobStatus.QUEUED, JobStatus.RUNNING))),
    )
    return [Bar("Passed", agg["passed"]), Bar("Problems found", agg["failed"]),
            Bar("Could not finish", agg["errored"]), Bar("Queued or running", agg["active"])]


def top_failing_rules(limit: int = 10, now=None) -> list[dict]:
    since = (now or timezone.now()) - timedelta(days=WINDOW_DAYS)
    return list(
        Finding.objects.filter(outcome="failed", run__created_at__gte=since)
        .values("code").annotate(failures=Count("id"), listings=Count("run__listing", distinct=True))
        .order_by("-failures", "code")[:limit]
    )


def review_queue_health(now=None) -> dict:
    from listings.review.policy import review_sla_hours  # the admin-set SLA, else settings.REVIEW_SLA_HOURS

    now = now or timezone.now()
    sla_hours = review_sla_hours()
    sla = timedelta(hours=sla_hours)
    agg = ListingVersion.objects.filter(status=VersionStatus.SUBMITTED).aggregate(
        waiting=Count("id"), oldest=Min("created_at"), overdue=Count("id", filter=Q(created_at__lt=now - sla)),
    )
    decided = ListingVersion.objects.filter(decided_at__gte=now - timedelta(days=WINDOW_DAYS)).aggregate(
        decided=Count("id"), newest=Max("decided_at"))
    oldest_hours = (now - agg["oldest"]).total_seconds() / 3600 if agg["oldest"] else 0
    return {**agg, **decided, "sla_hours": sla_hours, "oldest_hours": round(oldest_hours, 1)}


def bundle_exports(now=None) -> list[Bar]:
    since = (now or timezone.now()) - timedelta(days=WINDOW_DAYS)
    counts = dict(SubmissionBundle.objects.filter(created_at__gte=since).values_list("status")
                  .annotate(n=Count("id")).order_by())
    return [Bar(label, counts.get(value, 0)) for value, label in JobStatus.choices]


def team_activity(limit: int = 10, now=None) -> list[dict]:
    since = (now or timezone.now()) - timedelta(days=WINDOW_DAYS)
    return list(
        ListingEvent.objects.filter(created_at__gte=since, listing__isnull=False)
        .values("listing__team__name").annotate(events=Count("id"), listings=Count("listing", distinct=True))
        .order_by("-events")[:limit]
    )


def stuck_runs(now=None) -> list[ValidationRun]:
    """Runs still running past the longest a task may take: their worker is probably gone."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS)
    return list(ValidationRun.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff)
                .select_related("listing", "listing__team").order_by("heartbeat_at")[:50])


def oldest_waiting() -> dict:
    """The oldest job still queued — the truest "oldest waiting task", since every task has a job row."""
    run = ValidationRun.objects.filter(status=JobStatus.QUEUED).aggregate(oldest=Min("created_at"), n=Count("id"))
    bundle = SubmissionBundle.objects.filter(status=JobStatus.QUEUED).aggregate(oldest=Min("created_at"), n=Count("id"))
    return {"runs": run, "bundles": bundle}


def average_run_seconds(now=None) -> float | None:
    since = (now or timezone.now()) - timedelta(days=WINDOW_DAYS)
    from django.db.models import DurationField, ExpressionWrapper, F

    value = ValidationRun.objects.filter(created_at__gte=since, finished_at__isnull=False, started_at__isnull=False) \
        .aggregate(avg=Avg(ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())))["avg"]
    return value.total_seconds() if value else None


def compute_metrics(now=None) -> dict:
    """Every figure of the dashboard, fresh (a constant number of queries whatever the data)."""
    now = now or timezone.now()
    return {
        "by_status": listings_by_status(),
        "activity": activity_over_time(now),
        "outcomes": validation_outcomes(now),
        "top_rules": top_failing_rules(now=now),
        "review": review_queue_health(now),
        "bundles": bundle_exports(now),
        "teams": team_activity(now=now),
        "average_run_seconds": average_run_seconds(now),
        "computed_at": now,
    }


def dashboard_metrics() -> dict:
    """The dashboard's figures, at most ``CACHE_SECONDS`` old (fresh ones when the cache does not answer)."""
    try:
        metrics = cache.get(CACHE_KEY)
    except Exception as exc:  # the cache (Redis) is down: the page still shows, at full price
        log.warning("dashboard cache unavailable: %s", exc)
        return compute_metrics()
    if metrics is None:
        metrics = compute_metrics()
        try:
            cache.set(CACHE_KEY, metrics, CACHE_SECONDS)
        except Exception as exc:
            log.warning("dashboard cache unavailable: %s", exc)
    return metrics


def forget_metrics() -> None:
    """The next view computes the figures afresh (after an admin action the dashboard shows)."""
    try:
        cache.delete(CACHE_KEY)
    except Exception as exc:
        log.warning("dashboard cache unavailable: %s", exc)
