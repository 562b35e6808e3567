"""The review desk's settings: the SLA an admin sets in the Django admin (``ReviewSettings``), falling back to
``settings.REVIEW_SLA_HOURS``; and how long a waiver may last."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

# A waiver is a decision to revisit: it must expire, and within a year.
WAIVER_DEFAULT_DAYS = 90
WAIVER_MAX_DAYS = 365


def review_sla_hours() -> int:
    from listings.models import ReviewSettings
    from marketplace_prep.request_memo import memoized

    def stored() -> int | None:
        return ReviewSettings.objects.filter(pk=1).values_list("sla_hours", flat=True).first()

    hours = memoized("review_sla_hours", stored)  # one query per request, however many rows ask
    return hours if hours else settings.REVIEW_SLA_HOURS


def due_at(submitted_at: datetime, sla_hours: int | None = None) -> datetime:
    return submitted_at + timedelta(hours=sla_hours if sla_hours is not None else review_sla_hours())
