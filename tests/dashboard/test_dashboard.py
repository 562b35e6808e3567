from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from listings.models import Listing, ListingEvent
from validation.models import Finding, ValidationRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    from tests.factories import UserFactory

    user = UserFactory(username="ada")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def _grow(team, n: int) -> None:
    listings = Listing.objects.bulk_create(Listing(team=team, kind="model_package", title=f"L{i}") for i in range(n))
    runs = ValidationRun.objects.bulk_create(
        ValidationRun(listing=listing, content_hash="0" * 64, policy="strict", status="succeeded", verdict="failed")
        for listing in listings)
    Finding.objects.bulk_create(
        Finding(run=run, check_name="listing.product", code=f"listing.E00{i % 3 + 1}", severity="error",
                outcome="failed", message="x", position=i) for run in runs for i in range(2))
    ListingEvent.objects.bulk_create(ListingEvent(listing=listing, type="listing.created") for listing in listings)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_query_count_does_not_grow_with_10000_listings(client, admin_user, team_a):
    from listings.dashboard.metrics import forget_metrics

    client.force_login(admin_user)
    url = reverse("dashboard")
    _grow(team_a, 10)
    small = _queries(client, url)  # computed: the cache starts empty
    _grow(team_a, 10_000)
    forget_metrics()
    assert _queries(client, url) == small


def test_dashboard_figures_are_cached_for_a_minute(client, admin_user, team_a):
    from listings.dashboard import metrics

    client.force_login(admin_user)
    url = reverse("dashboard")
    _grow(team_a, 3)
    computed = _queries(client, url)
    _grow(team_a, 2)
    cached = _queries(client, url)
    response = client.get(url)
    assert cached < computed  # the figures came from the cache: only the request's own queries are left
    assert {b.label: b.value for b in response.context["outcomes"]}["Problems found"] == 3  # as computed
    assert b"data-testid=\"metrics-as-of\"" in response.content and b"refreshed every 60 s" in response.content
    metrics.forget_metrics()  # what an expired entry does
    response = client.get(url)
    assert {b.label: b.value for b in response.context["outcomes"]}["Problems found"] == 5


def test_dashboard_works_when_the_cache_does_not(client, admin_user, team_a, monkeypatch):
    from listings.dashboard import metrics

    class Down:
        def get(self, *a, **k):
            raise ConnectionError("cache down")

        set = delete = get

    monkeypatch.setattr(metrics, "cache", Down())
    _grow(team_a, 2)
    client.force_login(admin_user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert {b.label: b.value for b in response.context["outcomes"]}["Problems found"] == 2


def test_dashboard_counts_and_top_rules(client, admin_user, team_a):
    _grow(team_a, 5)
    client.force_login(admin_user)
    response = client.get(reverse("dashboard"))
    top = {r["code"]: r for r in response.context["top_rules"]}
    assert top["listing.E001"]["listings"] == 5
    assert {b.label: b.value for b in response.context["outcomes"]}["Problems found"] == 5


def test_operations_panel_reports_queues_and_stuck_runs(client, admin_user, listing, settings):
    from django.utils import timezone

    run = ValidationRun.objects.create(listing=listing, content_hash="1" * 64, policy="strict", status="running",
                                       heartbeat_at=timezone.now() - timezone.timedelta(hours=3))
    client.force_login(admin_user)
    response = client.get(reverse("dashboard-operations"))
    assert set(response.context["queues"]) == {"default", "validation", "containers", "exports"}
    assert all(isinstance(v, int) for v in response.context["queues"].values())  # Redis answered
    assert [r.pk for r in response.context["stuck"]] == [run.pk]


def test_admin_retries_a_stuck_run_and_it_is_audited(client, admin_user, listing, django_capture_on_commit_callbacks):
    from django.utils import timezone

    run = ValidationRun.objects.create(listing=listing, content_hash="1" * 64, policy="strict", status="running",
                                       heartbeat_at=timezone.now() - timezone.timedelta(hours=3))
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("dashboard-run-retry", args=[run.id]))
    run.refresh_from_db()
    assert run.status == "queued" and len(callbacks) == 1
    assert listing.events.filter(type="validation.retried", actor=admin_user).exists()


def test_sellers_and_reviewers_cannot_see_the_dashboard(client, alice, rita):
    for user in (alice, rita):
        client.force_login(user)
        assert client.get(reverse("dashboard")).status_code == 403
        assert client.get(reverse("dashboard-operations")).status_code == 403
