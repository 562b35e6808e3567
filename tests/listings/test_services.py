from __future__ import annotations

import pytest

from listings import services
from listings.errors import Conflict, NotAllowed, ServiceError
from listings.models import ListingEvent, ListingStatus, VersionStatus
from listings.snapshot import build_snapshot
from tests.factories import ListingFactory
from tests.helpers import submitted_version, validate_now

pytestmark = pytest.mark.django_db


def test_creating_a_listing_records_who_created_it(team_a, alice):
    listing = services.listing_create(team=team_a, actor=alice, kind="algorithm", title="Churn", short_description="x")
    event = ListingEvent.objects.get(listing=listing)
    assert (event.type, event.actor_email) == ("listing.created", "alice@example.com")


def _product(listing, **changes):
    return {"product": build_snapshot(listing)["product"] | changes}


def _save_product(listing, actor, lock_version=None, **changes):
    if lock_version is None:
        lock_version = listing.sections.get(name="product").lock_version
    return services.section_save(listing=listing, actor=actor, section="product", data=_product(listing, **changes),
                                 lock_version=lock_version)


def test_viewer_cannot_create_or_edit(team_a, vera, listing):
    with pytest.raises(NotAllowed):
        services.listing_create(team=team_a, actor=vera, kind="algorithm", title="x")
    with pytest.raises(NotAllowed):
        _save_product(listing, vera, title="y")


def test_stale_section_save_is_refused_and_shows_the_teammates_value(listing, alice, bob):
    seen = listing.sections.get(name="product").lock_version
    _save_product(listing, alice, seen, title="Alice's title")
    with pytest.raises(Conflict) as exc:
        _save_product(listing, bob, seen, title="Bob's title")
    assert exc.value.current["data"]["product"]["title"] == "Alice's title"
    listing.refresh_from_db()
    assert listing.title == "Alice's title"


def test_teammates_saving_different_sections_do_not_collide(listing, alice, bob):
    _save_product(listing, alice, title="Alice's title")
    legal = listing.sections.get(name="legal")
    services.section_save(listing=listing, actor=bob, section="legal", lock_version=legal.lock_version,
                          data={"legal": {"eula": "standard", "eula_url": "", "refund_policy": "Refunds within 30 days."}})
    snapshot = build_snapshot(listing)
    assert snapshot["product"]["title"] == "Alice's title"
    assert snapshot["legal"]["refund_policy"] == "Refunds within 30 days."


def test_a_value_aws_would_reject_is_refused_at_its_field(listing, alice):
    with pytest.raises(services.InvalidSection) as exc:
        _save_product(listing, alice, title="t" * 73)
    assert {f.location for f in exc.value.findings} == {"field:product.title"}


def test_malformed_section_data_is_refused(listing, alice):
    lock = listing.sections.get(name="product").lock_version
    for data in ({"product": []}, {"nope": {}}, {"product": {"unknown_field": 1}}, []):
        with pytest.raises(ServiceError):
            services.section_save(listing=listing, actor=alice, section="product", data=data, lock_version=lock)
    with pytest.raises(ServiceError):
        services.section_save(listing=listing, actor=alice, section="hyperparameters", data={}, lock_version=lock)


def test_submit_needs_a_finished_passing_run_of_this_exact_content(ready_listing, alice):
    listing = ready_listing
    with pytest.raises(ServiceError, match="Validate"):
        services.listing_submit(listing=listing, actor=alice)
    validate_now(listing, alice)
    _save_product(listing, alice, title="Changed")
    with pytest.raises(ServiceError, match="Validate"):
        services.listing_submit(listing=listing, actor=alice)


def test_submit_is_refused_while_blocking_findings_remain(team_a, alice):
    listing = ListingFactory(team=team_a, title="t" * 73)
    run = validate_now(listing, alice)
    assert run.verdict == "failed"
    with pytest.raises(ServiceError, match="problems"):
        services.listing_submit(listing=listing, actor=alice)


def test_submit_freezes_version_one(ready_listing, alice):
    listing = ready_listing
    version = submitted_version(listing, alice)
    listing.refresh_from_db()
    assert version.number == 1
    assert version.snapshot["product"]["title"] == listing.title
    assert listing.status == ListingStatus.SUBMITTED


def test_double_submit_leaves_one_version(ready_listing, alice):
    listing = ready_listing
    submitted_version(listing, alice)
    with pytest.raises(ServiceError):
        services.listing_submit(listing=listing, actor=alice)
    assert listing.versions.count() == 1


def test_reviewer_approves_and_the_listing_is_approved(ready_listing, alice, rita):
    listing = ready_listing
    version = submitted_version(listing, alice)
    services.review_approve(version=version, actor=rita)
    listing.refresh_from_db()
    version.refresh_from_db()
    assert (listing.status, version.status, version.decided_by) == ("approved", "approved", rita)
    assert listing.events.filter(type="review.approved", actor=rita).exists()


def test_seller_cannot_approve_and_reviewer_cannot_approve_own_team(ready_listing, alice, team_a, rita):
    listing = ready_listing
    version = submitted_version(listing, alice)
    with pytest.raises(NotAllowed):
        services.review_approve(version=version, actor=alice)
    team_a.memberships.create(user=rita, role="viewer")
    with pytest.raises(NotAllowed):
        services.review_approve(version=version, actor=rita)


def test_second_decision_loses_and_is_told_who_decided(ready_listing, alice, rita):
    listing = ready_listing
    from tests.factories import make_reviewer

    other = make_reviewer("ruth")
    version = submitted_version(listing, alice)
    services.review_approve(version=version, actor=rita)
    with pytest.raises(Conflict, match="rita already decided"):
        services.review_request_changes(version=version, actor=other, reason="Needs a logo")
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED


def test_request_changes_needs_a_reason(ready_listing, alice, rita):
    listing = ready_listing
    version = submitted_version(listing, alice)
    with pytest.raises(ServiceError, match="reason"):
        services.review_request_changes(version=version, actor=rita, reason="  ")


def test_editing_an_approved_listing_starts_a_new_draft_and_keeps_the_version(ready_listing, alice, rita):
    listing = ready_listing
    version = submitted_version(listing, alice)
    services.review_approve(version=version, actor=rita)
    listing.refresh_from_db()
    _save_product(listing, alice, title="v2 title")
    listing.refresh_from_db()
    version.refresh_from_db()
    assert listing.status == ListingStatus.DRAFT
    assert version.snapshot["product"]["title"] != "v2 title"


def test_audit_events_are_append_only(listing, alice):
    from listings.events import record_event

    event = record_event(listing=listing, type="listing.updated", actor=alice)
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_audit_trail_survives_deleting_the_user(listing):
    from listings.events import record_event
    from tests.factories import UserFactory

    zoe = UserFactory(username="zoe")
    record_event(listing=listing, type="listing.updated", actor=zoe)
    zoe.delete()
    kept = listing.events.get(type="listing.updated")
    assert kept.actor is None and kept.actor_email == "zoe@example.com"
