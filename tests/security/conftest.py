"""Shared pieces of the security suite: isolated rate limits, and a world of two teams whose team A has taken a
listing all the way to an exported bundle.

Building that world (validate, submit, approve, export) costs seconds, and the sweeps only read it, so it is
built once per module inside a transaction that is rolled back when the module is done — Django's
``TestCase.setUpTestData`` pattern; each test still runs in its own savepoint on top.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.utils import timezone

from listings.api import throttling


@pytest.fixture(autouse=True)
def _isolated_rate_limits(monkeypatch):
    """API rate-limit counters live in the shared cache (Redis) for an hour; each test counts from zero."""
    monkeypatch.setattr(throttling._RateFromSettings, "cache", LocMemCache(f"sec-throttle-{uuid.uuid4()}", {}),
                        raising=False)


@dataclass
class World:
    """The personas and everything team A owns that a URL can name."""

    alice: object  # team A owner
    bob: object  # team A editor
    vera: object  # team A viewer
    charlie: object  # team B owner
    rita: object  # reviewer
    ada: object  # operator admin (staff, not a reviewer)
    listing: object  # a model package: validated, submitted, approved, exported
    algorithm: object  # an algorithm draft (its hyperparameters and training routes)
    run: object
    version: object
    bundle: object
    artifact: object  # the listing's logo
    upload: object  # alice's unfinished resumable upload
    report: object  # a report kept with the run (validation/models.py RunReport)
    thread: object  # a reviewer's comment thread on the listing
    waiver: object  # a reviewer's waiver of a warning on the version
    notification: object  # one of alice's notifications


def build_world() -> World:
    from listings import services
    from listings.artifacts.receiving import scratch_path
    from listings.export.service import bundle_build
    from listings.models import Notification, ReviewComment, UploadSession, Waiver
    from tests.factories import ListingFactory, MembershipFactory, TeamFactory, UserFactory, make_reviewer
    from tests.helpers import submitted_version
    from tests.listing_builder import complete_listing

    team_a, team_b = TeamFactory(name="Team A"), TeamFactory(name="Team B")
    alice = MembershipFactory(team=team_a, user=UserFactory(username="alice"), role="owner").user
    bob = MembershipFactory(team=team_a, user=UserFactory(username="bob"), role="editor").user
    vera = MembershipFactory(team=team_a, user=UserFactory(username="vera"), role="viewer").user
    charlie = MembershipFactory(team=team_b, user=UserFactory(username="charlie"), role="owner").user
    rita = make_reviewer("rita")
    ada = UserFactory(username="ada", is_staff=True)

    listing = complete_listing(team_a, alice)
    version = submitted_version(listing, alice)
    services.review_approve(version=version, actor=rita)
    version.refresh_from_db()
    bundle = services.bundle_request(version=version, actor=alice)
    bundle_build(bundle_id=bundle.id)
    bundle.refresh_from_db()
    assert bundle.status == "succeeded", bundle.error
    # As if the bundle had also been copied to the seller's bucket (its link is signed locally, with fake keys).
    bundle.options = {**bundle.options, "s3_upload": {"bucket": "team-a-bucket", "key": "bundles/v1.zip"}}
    bundle.save(update_fields=["options"])
    upload = UploadSession.objects.create(listing=listing, kind="documentation", original_name="notes.md", size=5,
                                          created_by=alice)
    scratch_path(upload.id).touch()
    algorithm = ListingFactory(team=team_a, kind="algorithm", created_by=alice, title="Team A Secret Algorithm")
    run = version.validation_run
    report = run.reports.create(kind="image", label="image.tar", check_name="container.static",
                                data={"format": "docker", "layers": []})
    thread = ReviewComment.objects.create(listing=listing, version=version, body="Is the logo final?", author=rita,
                                          by_reviewer=True)
    waiver = Waiver.objects.create(listing=listing, version=version, code="listing.W007",
                                   location="field:product.short_description", reason="Accepted for launch.",
                                   expires_at=timezone.now() + timedelta(days=30), created_by=rita)
    notification = Notification.objects.create(recipient=alice, kind="review.approved", listing=listing,
                                               title=f"Approved: {listing.title} v1",
                                               url=f"/listings/{listing.id}/")
    listing.refresh_from_db()
    return World(alice=alice, bob=bob, vera=vera, charlie=charlie, rita=rita, ada=ada, listing=listing,
                 algorithm=algorithm, run=run, version=version, bundle=bundle,
                 artifact=listing.artifacts.get(kind="logo"), upload=upload, report=report, thread=thread,
                 waiver=waiver, notification=notification)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def fake_aws_keys(monkeypatch):
    """Presigned S3 links (the bundle's copy in the seller's bucket) are signed locally: fake keys do, and no
    request leaves. Only for tests that execute no validation run (the registry check would use them)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


@pytest.fixture
def team_a_world(world, db):
    """The world, for one test (its writes roll back with the test's savepoint)."""
    for obj in (world.listing, world.algorithm, world.version, world.upload, world.bundle, world.thread,
                world.waiver, world.notification):
        obj.refresh_from_db()
    return world
