"""The review services: decisions, the approval gate and waivers, scoped re-review, claims, comments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from listings import services
from listings.errors import Conflict, NotAllowed, ServiceError
from listings.models import ListingEvent, Notification, ReviewComment, SectionApproval, VersionStatus, Waiver
from listings.review import services as review
from tests.factories import ListingFactory
from tests.helpers import submitted_version, validate_now
from tests.review.conftest import set_product, set_section

pytestmark = pytest.mark.django_db(transaction=False)


def _warning(version):
    return version.validation_run.findings.get(code="listing.W007", outcome="failed")


def _resubmit(listing, alice):
    listing.refresh_from_db()
    return submitted_version(listing, alice)


# ------------------------------------------------------------------------------------------- submission gate
def test_errors_block_submission_and_no_waiver_exists_for_them(team_a, alice):
    listing = ListingFactory(team=team_a, title="t" * 73)
    run = validate_now(listing, alice)
    with pytest.raises(ServiceError, match="listing.E002.*cannot be waived"):
        services.listing_submit(listing=listing, actor=alice)
    error = run.findings.filter(outcome="failed", severity="error").first()
    from listings.review.gate import is_waivable

    assert not is_waivable(error)


def test_the_database_refuses_a_waiver_of_anything_but_a_warning(ready_listing, alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        Waiver.objects.create(listing=ready_listing, code="listing.E002", severity="error", reason="x",
                              expires_at=timezone.now() + timedelta(days=1))


def test_warnings_do_not_block_submission_but_block_approval_until_waived(warning_listing, alice, rita):
    version = submitted_version(warning_listing, alice)
    with pytest.raises(ServiceError, match="neither fixed nor waived"):
        review.review_approve(version=version, actor=rita)
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED  # the refused approval left nothing behind
    assert not warning_listing.events.filter(type="review.approved").exists()

    review.waiver_grant(version=version, finding_id=_warning(version).pk, actor=rita,
                        reason="The longer description reads well on the listing page.",
                        expires_at=timezone.now() + timedelta(days=30))
    review.review_approve(version=version, actor=rita)
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED
    assert warning_listing.events.filter(type="waiver.granted", actor=rita).exists()


def test_an_error_finding_cannot_be_waived_by_the_service(warning_listing, alice, rita):
    version = submitted_version(warning_listing, alice)
    passed = version.validation_run.findings.filter(outcome="passed", severity="error").first()
    with pytest.raises(ServiceError, match="cannot be waived"):
        review.waiver_grant(version=version, finding_id=passed.pk, actor=rita, reason="no",
                            expires_at=timezone.now() + timedelta(days=1))


def test_a_waiver_needs_a_reason_and_a_future_expiry_within_a_year(warning_listing, alice, rita):
    version = submitted_version(warning_listing, alice)
    finding = _warning(version)
    for reason, expires in (("", timezone.now() + timedelta(days=1)),
                            ("ok", timezone.now() - timedelta(minutes=1)),
                            ("ok", timezone.now() + timedelta(days=400))):
        with pytest.raises(ServiceError):
            review.waiver_grant(version=version, finding_id=finding.pk, actor=rita, reason=reason, expires_at=expires)


def test_an_expired_waiver_no_longer_counts(warning_listing, alice, rita):
    version = submitted_version(warning_listing, alice)
    waiver = review.waiver_grant(version=version, finding_id=_warning(version).pk, actor=rita, reason="fine",
                                 expires_at=timezone.now() + timedelta(days=1))
    Waiver.objects.filter(pk=waiver.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ServiceError, match="neither fixed nor waived"):
        review.review_approve(version=version, actor=rita)


def test_a_waiver_carries_to_the_next_version_until_it_expires(warning_listing, alice, rita):
    v1 = submitted_version(warning_listing, alice)
    review.waiver_grant(version=v1, finding_id=_warning(v1).pk, actor=rita, reason="fine",
                        expires_at=timezone.now() + timedelta(days=30))
    review.review_request_changes(version=v1, actor=rita, reason="Add a keyword.", sections=["product"])
    set_product(warning_listing, search_keywords=["sentiment", "reviews", "nlp", "text classification"])
    v2 = _resubmit(warning_listing, alice)
    review.review_approve(version=v2, actor=rita)  # W007 is still there, still waived


def test_a_seller_cannot_waive_and_a_reviewer_not_on_their_own_team(warning_listing, alice, rita, team_a):
    version = submitted_version(warning_listing, alice)
    finding = _warning(version)
    with pytest.raises(NotAllowed):
        review.waiver_grant(version=version, finding_id=finding.pk, actor=alice, reason="x",
                            expires_at=timezone.now() + timedelta(days=1))
    team_a.memberships.create(user=rita, role="viewer")
    rita._is_reviewer = None
    with pytest.raises(NotAllowed):
        review.waiver_grant(version=version, finding_id=finding.pk, actor=rita, reason="x",
                            expires_at=timezone.now() + timedelta(days=1))


# ---------------------------------------------------------------------------------------- scoped re-review
def test_version_one_needs_every_section(ready_listing, alice):
    version = submitted_version(ready_listing, alice)
    assert not version.section_approvals.exists()
    assert version.review.baseline is None


def test_unchanged_sections_keep_their_sign_off_in_the_next_version(ready_listing, alice, rita):
    v1 = submitted_version(ready_listing, alice)
    review.review_request_changes(version=v1, actor=rita, reason="Shorter title, please.", sections=["product"])
    assert set(v1.section_approvals.values_list("area", flat=True)) == {
        "version", "instance_types", "endpoint", "pricing", "legal", "aws", "files"}
    set_product(ready_listing, title="Sentiment Analyzer")
    v2 = _resubmit(ready_listing, alice)
    carried = {a.area: a for a in v2.section_approvals.all()}
    assert "product" not in carried and set(carried) == {
        "version", "instance_types", "endpoint", "pricing", "legal", "aws", "files"}
    assert all(a.carried_from_id == v1.pk and a.approved_by_email == "rita@example.com" for a in carried.values())
    scoped = ready_listing.events.filter(type="review.scoped").first()
    assert scoped.data["needs_review"] == ["product"]


def test_a_changed_section_needs_a_fresh_look_even_if_it_was_signed_off(ready_listing, alice, rita):
    v1 = submitted_version(ready_listing, alice)
    review.review_request_changes(version=v1, actor=rita, reason="Check pricing.", sections=[])
    set_section(ready_listing, "legal", "legal", {"eula": "standard", "eula_url": "",
                                                   "refund_policy": "Refunds within 14 days."})
    v2 = _resubmit(ready_listing, alice)
    assert "legal" not in set(v2.section_approvals.values_list("area", flat=True))
    assert v2.section_approvals.count() == 7


def test_a_section_flagged_for_changes_is_reviewed_again_even_if_unchanged(ready_listing, alice, rita):
    v1 = submitted_version(ready_listing, alice)
    review.review_request_changes(version=v1, actor=rita, reason="Pricing too high?", sections=["pricing"])
    set_product(ready_listing, title="Sentiment Analyzer")
    v2 = _resubmit(ready_listing, alice)
    areas = set(v2.section_approvals.values_list("area", flat=True))
    assert "pricing" not in areas and "product" not in areas


def test_request_changes_without_sections_flags_those_with_open_threads(ready_listing, alice, rita):
    v1 = submitted_version(ready_listing, alice)
    review.comment_add(listing=ready_listing, version=v1, actor=rita, anchor_kind="field", anchor="pricing.model",
                       body="Why hourly?")
    review.review_request_changes(version=v1, actor=rita, reason="See the comment.")
    assert "pricing" not in set(v1.section_approvals.values_list("area", flat=True))


def test_approving_signs_off_every_section(ready_listing, alice, rita):
    v1 = submitted_version(ready_listing, alice)
    review.review_approve(version=v1, actor=rita)
    assert v1.section_approvals.count() == 8


def test_section_sign_off_and_reopen(ready_listing, alice, rita):
    v1 = submitted_version(ready_listing, alice)
    review.review_section_approve(version=v1, actor=rita, area="legal")
    assert SectionApproval.objects.filter(version=v1, area="legal").exists()
    review.review_section_reopen(version=v1, actor=rita, area="legal")
    assert not SectionApproval.objects.filter(version=v1, area="legal").exists()
    with pytest.raises(ServiceError):
        review.review_section_approve(version=v1, actor=rita, area="hyperparameters")  # not a model package's
    with pytest.raises(NotAllowed):
        review.review_section_approve(version=v1, actor=alice, area="legal")


# --------------------------------------------------------------------------------------------- decisions
def test_request_changes_needs_a_reason_and_records_it(ready_listing, alice, rita):
    version = submitted_version(ready_listing, alice)
    with pytest.raises(ServiceError, match="reason"):
        review.review_request_changes(version=version, actor=rita, reason=" ")
    review.review_request_changes(version=version, actor=rita, reason="Fix the logo.")
    event = ready_listing.events.get(type="review.changes_requested")
    assert event.data["reason"] == "Fix the logo." and event.actor_email == "rita@example.com"


def test_the_second_decision_is_refused_and_says_who_decided(ready_listing, alice, rita, ruth):
    version = submitted_version(ready_listing, alice)
    review.review_approve(version=version, actor=rita)
    with pytest.raises(Conflict, match="rita already decided on this version .*approved"):
        review.review_request_changes(version=version, actor=ruth, reason="Too late")
    assert ready_listing.events.filter(type__startswith="review.", type__in=[
        "review.approved", "review.changes_requested"]).count() == 1


def test_the_old_import_path_still_works(ready_listing, alice, rita):
    version = submitted_version(ready_listing, alice)
    services.review_approve(version=version, actor=rita)


# ------------------------------------------------------------------------------------------ claim, assign
def test_claim_is_first_come(ready_listing, alice, rita, ruth):
    version = submitted_version(ready_listing, alice)
    review.review_claim(version=version, actor=rita)
    with pytest.raises(Conflict, match="rita claimed"):
        review.review_claim(version=version, actor=ruth)
    review.review_claim(version=version, actor=rita)  # claiming your own again is fine
    assert ready_listing.events.filter(type="review.claimed").count() == 1


def test_the_reviewer_of_the_previous_version_keeps_the_next_one(ready_listing, alice, rita):
    v1 = submitted_version(ready_listing, alice)
    review.review_claim(version=v1, actor=rita)
    review.review_request_changes(version=v1, actor=rita, reason="Title", sections=["product"])
    set_product(ready_listing, title="Sentiment Analyzer")
    v2 = _resubmit(ready_listing, alice)
    assert v2.review.assignee == rita


def test_assign_only_to_reviewers_outside_the_team(ready_listing, alice, rita, ruth, bob,
                                                   django_capture_on_commit_callbacks):
    version = submitted_version(ready_listing, alice)
    with django_capture_on_commit_callbacks(execute=True):
        review.review_assign(version=version, actor=rita, assignee=ruth)
    assert version.review.__class__.objects.get(version=version).assignee == ruth
    with pytest.raises(ServiceError):
        review.review_assign(version=version, actor=rita, assignee=bob)
    with pytest.raises(NotAllowed):
        review.review_assign(version=version, actor=alice, assignee=rita)
    review.review_release(version=version, actor=ruth)
    assert ready_listing.events.filter(type="review.released").exists()
    assert Notification.objects.filter(recipient=ruth, kind="review.assigned").exists()


# ------------------------------------------------------------------------------------------------ comments
def test_comments_are_anchored_and_threads_resolve(ready_listing, alice, bob, rita, vera):
    version = submitted_version(ready_listing, alice)
    thread = review.comment_add(listing=ready_listing, version=version, actor=rita, anchor_kind="field",
                                anchor="product.title", body="Too long for mobile.")
    assert (thread.area, thread.by_reviewer) == ("product", True)
    reply = review.comment_reply(thread=thread, actor=bob, body="Shortened in the next version.")
    assert reply.parent_id == thread.pk and not reply.by_reviewer
    with pytest.raises(NotAllowed):
        review.comment_reply(thread=thread, actor=vera, body="I am only a viewer")
    review.comment_resolve(thread=reply, actor=rita)  # resolving from a reply resolves its thread
    thread.refresh_from_db()
    assert thread.resolved_at is not None and thread.resolved_by_email == "rita@example.com"
    review.comment_reopen(thread=thread, actor=bob)
    thread.refresh_from_db()
    assert thread.resolved_at is None
    types = list(ready_listing.events.filter(type__startswith="comment.").values_list("type", flat=True))
    assert sorted(types) == ["comment.added", "comment.reopened", "comment.replied", "comment.resolved"]


@pytest.mark.parametrize("kind,anchor,ok", [
    ("field", "product.title", True),
    ("field", "product.nope", False),
    ("field", "pricing.prices[ml.m5.large.m.i.r]", True),
    ("artifact", "logo/logo.png", True),
    ("artifact", "logo/other.png", False),
    ("cell", "model_package_template.ipynb#3", True),
    ("cell", "missing.ipynb#3", False),
    ("finding", "listing.E002@field:product.title", True),
    ("finding", "listing.E999@field:product.title", False),
    ("nonsense", "x", False),
])
def test_anchors_must_name_something_in_the_version(ready_listing, alice, rita, kind, anchor, ok):
    version = submitted_version(ready_listing, alice)

    def add():
        return review.comment_add(listing=ready_listing, version=version, actor=rita, anchor_kind=kind,
                                  anchor=anchor, body="Look here")

    if ok:
        assert add().anchor == anchor
    else:
        with pytest.raises(ServiceError):
            add()


def test_a_comment_needs_a_body_of_sane_length(ready_listing, alice, rita):
    version = submitted_version(ready_listing, alice)
    for body in ("", "   ", "x" * 5001):
        with pytest.raises(ServiceError):
            review.comment_add(listing=ready_listing, version=version, actor=rita, body=body)


# -------------------------------------------------------------------------------------------- audit trail
def test_the_timeline_survives_deleting_the_reviewer(ready_listing, alice, rita):
    version = submitted_version(ready_listing, alice)
    thread = review.comment_add(listing=ready_listing, version=version, actor=rita, body="Nice work")
    review.review_approve(version=version, actor=rita)
    rita.delete()
    event = ListingEvent.objects.get(listing=ready_listing, type="review.approved")
    assert event.actor is None and event.actor_email == "rita@example.com"
    thread.refresh_from_db()
    assert thread.author is None and thread.author_email == "rita@example.com"
    assert SectionApproval.objects.filter(version=version, approved_by_email="rita@example.com").count() == 8
    with pytest.raises(ValueError):
        event.delete()


# -------------------------------------------------------------------------------------------- notifications
def test_submission_tells_reviewers_and_decisions_tell_the_team(ready_listing, alice, bob, rita, charlie,
                                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        version = submitted_version(ready_listing, alice)
    assert [m.to for m in mail.outbox] == [["rita@example.com"]]
    assert "New submission" in mail.outbox[0].subject and str(version.id) in mail.outbox[0].body
    assert Notification.objects.filter(recipient=rita, kind="review.submitted").count() == 1
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review.review_request_changes(version=version, actor=rita, reason="Shorter title.")
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]
    assert "Shorter title." in mail.outbox[0].body
    assert not Notification.objects.filter(recipient=charlie).exists()


def test_a_failing_mail_server_never_blocks_a_decision(ready_listing, alice, rita, settings, monkeypatch,
                                                       django_capture_on_commit_callbacks, caplog):
    version = submitted_version(ready_listing, alice)

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("SMTP is down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    with django_capture_on_commit_callbacks(execute=True):
        review.review_approve(version=version, actor=rita)
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED
    assert "could not e-mail" in caplog.text
    assert Notification.objects.filter(kind="review.approved", recipient__username="alice").exists()


def test_a_comment_by_a_reviewer_tells_the_team_in_app(ready_listing, alice, rita,
                                                       django_capture_on_commit_callbacks):
    version = submitted_version(ready_listing, alice)
    with django_capture_on_commit_callbacks(execute=True):
        thread = review.comment_add(listing=ready_listing, version=version, actor=rita, body="Hi")
    assert Notification.objects.filter(recipient=alice, kind="comment.added").exists()
    with django_capture_on_commit_callbacks(execute=True):
        review.comment_reply(thread=thread, actor=alice, body="Hello")
    assert Notification.objects.filter(recipient=rita, kind="comment.added").exists()
    assert ReviewComment.objects.count() == 2
