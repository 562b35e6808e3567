"""A page's query count does not grow with the number of rows (DESIGN.md "Non-functional targets").

Each page and API list is requested with 5 rows of everything it shows, then with 200: the second request
may not make more queries than the first. Rows grow everywhere at once — listings of the user's teams
(each with sections, a run with findings, a submitted version, events), and on the listing the detail page
and the per-listing API lists show: runs, findings of its latest run, versions with bundles, events,
artifacts; the user's teams grow too. Timings are not asserted here: ``bench/bench_pages.py`` measures them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from listings.models import Artifact, Listing, ListingEvent, ListingVersion, Membership, SubmissionBundle, Team
from listings.services import create_sections
from listings.sections import empty_section_value
from tests.factories import ListingFactory, UserFactory
from validation.models import Finding, ValidationRun

pytestmark = pytest.mark.django_db

SMALL, LARGE = 5, 200


class World:
    """Grows every kind of row the measured pages show, up to ``n`` of each."""

    def __init__(self, team, owner):
        self.team, self.owner, self.n = team, owner, 0
        self.listing = ListingFactory(team=team, created_by=owner)  # the one the detail page and API show
        # Its latest run stays the latest (newer than any run added later), with findings that grow.
        self.latest = ValidationRun.objects.create(
            listing=self.listing, content_hash="f" * 64, policy="strict", status="succeeded", verdict="failed",
            created_at=timezone.now() + timedelta(days=1), started_at=timezone.now(), finished_at=timezone.now())

    def grow(self, n: int) -> None:
        k, start, now = n - self.n, self.n, timezone.now()
        if k <= 0:
            return
        listings = Listing.objects.bulk_create(
            Listing(team=self.team, kind="model_package", status="submitted", title=f"Grown {start + i}",
                    created_by=self.owner) for i in range(k))
        for listing in listings:
            create_sections(listing, product=empty_section_value("product") | {"title": listing.title})
        runs = ValidationRun.objects.bulk_create(
            ValidationRun(listing=listing, content_hash="0" * 64, policy="strict", status="succeeded",
                          verdict="failed", created_by=self.owner, started_at=now, finished_at=now)
            for listing in listings)
        Finding.objects.bulk_create(
            Finding(run=run, check_name="listing.product", code="listing.E001", severity="error",
                    outcome=outcome, message="x", position=p)
            for run in runs for p, outcome in enumerate(("failed", "passed")))
        ListingVersion.objects.bulk_create(
            ListingVersion(listing=listing, number=1, snapshot={}, content_hash="0" * 64, validation_run=run,
                           created_by=self.owner) for listing, run in zip(listings, runs))
        ListingEvent.objects.bulk_create(
            ListingEvent(listing=listing, type=t, actor=self.owner, actor_email=self.owner.email)
            for listing in listings for t in ("listing.created", "listing.submitted"))

        # The detail listing's own rows.
        listing = self.listing
        older = ValidationRun.objects.bulk_create(
            ValidationRun(listing=listing, content_hash="1" * 64, policy="strict", status="succeeded",
                          verdict="failed", created_at=now - timedelta(minutes=start + i + 1), started_at=now,
                          finished_at=now, created_by=self.owner) for i in range(k))
        Finding.objects.bulk_create(
            Finding(run=run, check_name="listing.product", code="listing.E002", severity="error",
                    outcome="failed", message="before", position=0) for run in older)
        Finding.objects.bulk_create(
            Finding(run=self.latest, check_name=f"check{i % 7}", code=f"listing.E00{i % 9 + 1}",
                    severity=("error", "warning", "info")[i % 3], outcome=("failed", "passed", "not_run")[i % 3],
                    message=f"finding {i}", hint="fix it", location=f"field:product.title{i}", position=i)
            for i in range(start, n))
        versions = ListingVersion.objects.bulk_create(
            ListingVersion(listing=listing, number=start + i + 1, snapshot={}, content_hash="2" * 64,
                           status="approved", validation_run=older[i], created_by=self.owner,
                           decided_by=self.owner, decided_at=now) for i in range(k))
        SubmissionBundle.objects.bulk_create(
            SubmissionBundle(version=v, requested_by=self.owner, status="succeeded", sha256="3" * 64, size=10,
                             storage_key=f"bundles/{v.id}.zip") for v in versions)
        ListingEvent.objects.bulk_create(
            ListingEvent(listing=listing, type="validation.queued", actor=self.owner, actor_email=self.owner.email)
            for _ in range(k))
        Artifact.objects.bulk_create(
            Artifact(listing=listing, kind="sample_data", sha256=f"{start + i:064x}", size=10,
                     original_name=f"sample{start + i}.csv", content_type="text/csv",
                     tags={"mode": "realtime", "direction": "input", "content_type": "text/csv"},
                     uploaded_by=self.owner) for i in range(k))
        teams = Team.objects.bulk_create(Team(name=f"Grown team {start + i}") for i in range(k))
        Membership.objects.bulk_create(Membership(team=t, user=self.owner, role="viewer") for t in teams)
        self.n = n


@pytest.fixture
def world(team_a, alice):
    return World(team_a, alice)


@pytest.fixture
def ada(db):
    user = UserFactory(username="ada")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def _queries(get, url: str) -> tuple[int, list[str]]:
    get(url)  # warm: per-process caches (content types, the user's groups) are not the page's cost
    with CaptureQueriesContext(connection) as ctx:
        response = get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def _assert_constant(world, get, url_of) -> None:
    world.grow(SMALL)
    small, small_sql = _queries(get, url_of(world))
    world.grow(LARGE)
    large, large_sql = _queries(get, url_of(world))
    extra = "\n".join(large_sql[small:small + 10])
    assert large <= small, f"{url_of(world)}: {small} queries with {SMALL} rows, {large} with {LARGE}:\n{extra}"


PAGES = {
    "listing list": ("alice", lambda w: reverse("listing-list")),
    # Paginated pages: a later page, and a filter riding along, cost what the first page costs.
    "listing list page 3": ("alice", lambda w: reverse("listing-list") + "?page=3"),
    "listing list filtered, page 2": ("alice", lambda w: reverse("listing-list") + "?status=submitted&page=2"),
    "listing page": ("alice", lambda w: reverse("listing-detail", args=[w.listing.id])),
    "review queue": ("rita", lambda w: reverse("review-queue")),
    "review queue page 3": ("rita", lambda w: reverse("review-queue") + "?page=3"),
    "review queue filtered, page 2": (
        "rita", lambda w: reverse("review-queue") + f"?view=unassigned&team={w.team.pk}&kind=model_package&q=Grown"
                                                    "&page=2"),
    "review queue decided, page 2": ("rita", lambda w: reverse("review-queue") + "?view=decided&page=2"),
    "dashboard": ("ada", lambda w: reverse("dashboard")),  # its figures come from the cache after the warm-up
    "dashboard, figures computed": ("ada", lambda w: reverse("dashboard")),
}


@pytest.mark.parametrize("page", PAGES)
def test_page_queries_do_not_grow_with_rows(page, world, client, request):
    from listings.dashboard.metrics import forget_metrics

    persona, url_of = PAGES[page]
    client.force_login(request.getfixturevalue(persona))
    get = client.get
    if page == "dashboard, figures computed":
        def get(url):  # every request computes the figures, as when the cached ones expire
            forget_metrics()
            return client.get(url)
    _assert_constant(world, get, url_of)


API_LISTS = {
    "listings": ("alice", lambda w: "/api/v1/listings/"),
    "teams": ("alice", lambda w: "/api/v1/teams/"),
    "listing runs": ("alice", lambda w: f"/api/v1/listings/{w.listing.id}/runs/"),
    "listing versions": ("alice", lambda w: f"/api/v1/listings/{w.listing.id}/versions/"),
    "listing artifacts": ("alice", lambda w: f"/api/v1/listings/{w.listing.id}/artifacts/"),
    "listing detail": ("alice", lambda w: f"/api/v1/listings/{w.listing.id}/"),
    "latest run": ("alice", lambda w: f"/api/v1/runs/{w.latest.id}/"),
    "review queue": ("rita", lambda w: "/api/v1/review/queue/"),
}


@pytest.mark.parametrize("endpoint", API_LISTS)
def test_api_queries_do_not_grow_with_rows(endpoint, world, request, monkeypatch):
    from django.core.cache.backends.locmem import LocMemCache

    from listings.api import throttling

    # Rate-limit counters live in the shared cache; this test's requests must not count against others.
    monkeypatch.setattr(throttling._RateFromSettings, "cache", LocMemCache(f"perf-{endpoint}", {}), raising=False)
    persona, url_of = API_LISTS[endpoint]
    token, _ = Token.objects.get_or_create(user=request.getfixturevalue(persona))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    _assert_constant(world, lambda url: api.get(url, HTTP_ACCEPT="application/json"), url_of)
