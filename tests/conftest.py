"""Personas (STYLE.md 10): alice (owner) and bob (editor) and vera (viewer) on team A, charlie on team B,
rita a reviewer. Tests run on real PostgreSQL and Redis — `make test` points the settings at them."""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings

from tests.factories import ListingFactory, MembershipFactory, TeamFactory, UserFactory, make_reviewer


def pytest_configure(config):
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine or not os.environ.get("REDIS_URL"):
        raise pytest.UsageError(
            "The suite runs on real PostgreSQL and Redis. Use `make test` (it sets DATABASE_URL and REDIS_URL)."
        )


@pytest.fixture(scope="session", autouse=True)
def _fresh_var_dir():
    """Artifacts, exports and scratch of this run live in VAR_DIR (var/test); start it empty."""
    for root in (settings.ARTIFACT_ROOT, settings.EXPORT_ROOT, settings.SCRATCH_ROOT):
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _fresh_cached_figures():
    """What the cache (real Redis) keeps for a while, not under its content's own key, is forgotten before each
    test: the dashboard's figures (a minute) and the review queue's team filter (five minutes)."""
    from listings.dashboard.metrics import forget_metrics
    from listings.review.selectors import forget_queue_teams

    forget_metrics()
    forget_queue_teams()
    yield


@pytest.fixture
def team_a(db):
    return TeamFactory(name="Team A")


@pytest.fixture
def team_b(db):
    return TeamFactory(name="Team B")


@pytest.fixture
def alice(team_a):
    return MembershipFactory(team=team_a, user=UserFactory(username="alice"), role="owner").user


@pytest.fixture
def bob(team_a):
    return MembershipFactory(team=team_a, user=UserFactory(username="bob"), role="editor").user


@pytest.fixture
def vera(team_a):
    return MembershipFactory(team=team_a, user=UserFactory(username="vera"), role="viewer").user


@pytest.fixture
def charlie(team_b):
    return MembershipFactory(team=team_b, user=UserFactory(username="charlie"), role="owner").user


@pytest.fixture
def rita(db):
    return make_reviewer("rita")


@pytest.fixture
def listing(team_a, alice):
    """A fresh draft: a title and a short description, every other section empty, no artifacts."""
    return ListingFactory(team=team_a, created_by=alice)


@pytest.fixture
def ready_listing(team_a, alice):
    """A complete model package AWS would accept: sections from tests/fixtures/listings, real artifacts."""
    from tests.listing_builder import complete_listing

    return complete_listing(team_a, alice)


from tests.worker import celery_worker_process  # noqa: E402,F401  (fixture)
from tests.browser import browser, new_page  # noqa: E402,F401  (fixtures: one Playwright for the session)
