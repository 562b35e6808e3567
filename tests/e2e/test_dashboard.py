"""The admins' dashboard in Debian's chromium, after real activity: charts drawn server-side as SVG, and the
operations panel (loaded by htmx) showing the queues and the live worker."""

from __future__ import annotations

import re

import pytest

from listings import services
from tests.e2e.conftest import screenshot
from tests.factories import UserFactory
from tests.listing_builder import complete_listing
from tests.worker import wait_for
from validation.models import ValidationRun
from validation.services import validation_run_start

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ada(db):
    user = UserFactory(username="ada")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def test_admin_sees_charts_and_the_live_worker(new_page, live_server, celery_worker_process, alice, ada, team_a):
    # Activity: a listing validated by the real worker, then submitted; a second one validated with problems.
    listing = complete_listing(team_a, alice)
    run = validation_run_start(listing=listing, actor=alice)  # the worker picks it up from Redis
    done = wait_for(lambda: ValidationRun.objects.filter(pk=run.pk, status="succeeded").first(), timeout=60,
                    what="the worker to finish the run")
    assert done.verdict == "passed"
    listing.refresh_from_db()
    services.listing_submit(listing=listing, actor=alice)
    draft = services.listing_create(team=team_a, actor=alice, kind="algorithm", title="Churn Forecaster",
                                    short_description="Forecasts churn from usage.")
    failing = validation_run_start(listing=draft, actor=alice)
    wait_for(lambda: ValidationRun.objects.filter(pk=failing.pk, status="succeeded").exists(), timeout=60,
             what="the second run")

    page = new_page(ada)
    page.click("nav a:has-text('Dashboard')")
    page.wait_for_selector("h1:has-text('Pipeline dashboard')")

    # Charts: SVG drawn by the server, with the numbers of what just happened.
    charts = page.locator("svg.chart")
    assert charts.count() >= 4  # listings by state, run outcomes, activity over time, bundle exports
    for i in range(charts.count()):
        assert charts.nth(i).bounding_box()["height"] > 0
    states = page.locator("section.card", has=page.locator("h2:has-text('Listings by state')"))
    assert states.locator("svg rect").count() >= 1
    assert "Draft: 1 · Submitted for review: 1" in states.inner_text()
    assert page.locator("svg.chart polyline").count() >= 1  # the activity lines
    assert page.inner_text("[data-testid=review-waiting]") == "1"
    top = page.locator("[data-testid=top-rules] tbody tr")
    assert top.count() >= 1 and re.fullmatch(r"[a-z_]+\.[EW]\d{3}", top.first.locator("code").inner_text())
    assert "Team A" in page.inner_text("body")
    assert not page.locator("script[src^='http']").count()  # nothing from a CDN

    # The operations panel comes in by htmx: queues from Redis, the live worker from Celery's inspect API.
    page.wait_for_selector("#operations [data-testid=queues]")
    queues = page.inner_text("#operations [data-testid=queues]")
    for queue in ("default", "validation", "containers", "exports"):
        assert queue in queues
    assert "unknown" not in queues  # Redis answered
    page.wait_for_selector("#operations [data-testid=workers]")
    workers = page.inner_text("#operations [data-testid=workers]")
    assert "test-worker@" in workers and "validation" in workers
    assert "No worker answered" not in page.inner_text("#operations")
    screenshot(page, "dashboard")
    page.goto("about:blank")  # stop the panel's polling before the live server goes away
