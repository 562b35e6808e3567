"""Every write of the review workflow (STYLE.md 2): decisions, claims, section sign-offs, comments, waivers.

Each is keyword-only, checks who may do it, changes rows with a compare-and-set where two people could race,
writes its audit event in the same transaction, and sends notifications only after the commit (a mail server
that is down never undoes or blocks a decision: listings/notifications.py catches and logs).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from listings import notifications
from listings.errors import Conflict, NotAllowed, ServiceError
from listings.events import record_event
from listings.models import (
    CommentAnchor,
    Listing,
    ListingStatus,
    ListingVersion,
    Review,
    ReviewComment,
    SectionApproval,
    VersionStatus,
    Waiver,
)
from listings.permissions import can_edit, can_review, is_reviewer, role_in_team
from listings.review.areas import area_hashes, area_of_anchor, areas_for
from listings.review.gate import approval_blockers, finding_key, is_waivable
from listings.review.policy import WAIVER_MAX_DAYS
from listings.review.selectors import forget_queue_teams
from listings.transitions import TransitionError, transition

MAX_COMMENT_CHARS = 5000
MAX_REASON_CHARS = 5000


def _email(user) -> str:
    return (getattr(user, "email", "") or getattr(user, "username", "")) if user is not None else ""


def _name(user) -> str:
    return user.get_username() if user is not None else "someone"


# ------------------------------------------------------------------------------------------ opening a review
def review_open(*, version: ListingVersion, actor) -> Review:
    """Called by ``listing_submit`` inside its transaction: the review row, and the sign-offs that carry over.

    An area (section or files) keeps its sign-off when its content is exactly that of the previous version and
    a reviewer signed it off there; everything else needs a fresh look.
    """
    baseline = (ListingVersion.objects.filter(listing_id=version.listing_id, number__lt=version.number)
                .order_by("-number").first())
    # The reviewer who had the previous version keeps the listing: they know what they asked for.
    previous_review = Review.objects.filter(version=baseline).select_related("assignee").first() if baseline else None
    assignee = previous_review.assignee if previous_review else None
    if assignee is not None and not (assignee.is_active and can_review(assignee, version.listing)):
        assignee = None
    review = Review.objects.create(version=version, baseline=baseline, assignee=assignee,
                                   assigned_at=timezone.now() if assignee else None)
    if baseline is None:  # perhaps the team's first version: the queue's team filter may gain it
        transaction.on_commit(forget_queue_teams)
    carried, fresh = [], []
    hashes = area_hashes(version.snapshot, version.listing.kind)
    previous: dict[str, SectionApproval] = {}
    baseline_hashes: dict[str, str] = {}
    if baseline is not None:
        previous = {a.area: a for a in baseline.section_approvals.all()}
        baseline_hashes = area_hashes(baseline.snapshot, version.listing.kind)
    for area, digest in hashes.items():
        approval = previous.get(area)
        if approval is not None and baseline_hashes.get(area) == digest:
            SectionApproval.objects.create(
                version=version, area=area, content_hash=digest, approved_by=approval.approved_by,
                approved_by_email=approval.approved_by_email, approved_at=approval.approved_at,
                carried_from=approval.carried_from or baseline,
            )
            carried.append(area)
        else:
            fresh.append(area)
    record_event(listing=version.listing, type="review.scoped", actor=actor,
                 data={"version": version.number, "baseline": baseline.number if baseline else None,
                       "needs_review": fresh, "carried_over": carried})
    transaction.on_commit(lambda: notifications.notify_submitted(version_id=version.pk))
    return review


# --------------------------------------------------------------------------------------------- claim, assign
def _review_of(version: ListingVersion) -> Review:
    review, _ = Review.objects.get_or_create(version=version)
    return review


def _require_open(version: ListingVersion) -> None:
    if version.status != VersionStatus.SUBMITTED:
        raise Conflict(f"Version {version.number} is already decided: {version.get_status_display().lower()}.")


def review_claim(*, version: ListingVersion, actor) -> Review:
    """Take an unclaimed version. Compare-and-set: of two reviewers claiming at once, one gets it."""
    if not can_review(actor, version.listing):
        raise NotAllowed("Only reviewers outside the listing's team can claim it.")
    _require_open(version)
    _review_of(version)
    with transaction.atomic():
        taken = Review.objects.filter(version=version, assignee__isnull=True).update(
            assignee=actor, assigned_at=timezone.now())
        if not taken:
            current = Review.objects.select_related("assignee").get(version=version)
            if current.assignee_id == actor.pk:
                return current
            raise Conflict(f"{_name(current.assignee)} claimed this version first.")
        record_event(listing=version.listing, type="review.claimed", actor=actor, data={"version": version.number})
    return Review.objects.select_related("assignee").get(version=version)


def review_assign(*, version: ListingVersion, actor, assignee) -> Review:
    """Give the version to a reviewer (or to nobody, with ``assignee=None``)."""
    if not is_reviewer(actor) or role_in_team(actor, version.listing.team_id) is not None:
        raise NotAllowed("Only reviewers outside the listing's team can assign it.")
    if assignee is not None and not can_review(assignee, version.listing):
        raise ServiceError(f"{assignee.get_username()} cannot review this listing: assign a reviewer outside "
                           "the listing's team.")
    _require_open(version)
    review = _review_of(version)
    if review.assignee_id == (assignee.pk if assignee else None):
        return review
    with transaction.atomic():
        # Compare-and-set on the assignee the page showed, so two reassignments do not silently cross.
        moved = Review.objects.filter(version=version, assignee_id=review.assignee_id).update(
            assignee=assignee, assigned_at=timezone.now() if assignee else None)
        if not moved:
            raise Conflict("Someone else changed the assignment first; look again.")
        record_event(listing=version.listing, type="review.assigned" if assignee else "review.released", actor=actor,
                     data={"version": version.number, "assignee": _email(assignee) if assignee else None,
                           "previous": _email(review.assignee) if review.assignee_id else None})
        if assignee is not None and assignee.pk != actor.pk:
            transaction.on_commit(lambda: notifications.notify_assigned(version_id=version.pk, assignee_id=assignee.pk,
                                                                        by_id=actor.pk))
    return Review.objects.select_related("assignee").get(version=version)


def review_release(*, version: ListingVersion, actor) -> Review:
    return review_assign(version=version, actor=actor, assignee=None)


# --------------------------------------------------------------------------------------- section sign-offs
def _check_area(version: ListingVersion, area: str) -> str:
    names = [a.name for a in areas_for(version.listing.kind)]
    if area not in names:
        raise ServiceError(f"A {version.listing.get_kind_display().lower()} has no section “{area}”.")
    return area


def review_section_approve(*, version: ListingVersion, actor, area: str) -> SectionApproval:
    """A reviewer signs off one section while reviewing (the decision signs off the rest)."""
    if not can_review(actor, version.listing):
        raise NotAllowed("Only reviewers outside the listing's team can sign off a section.")
    _require_open(version)
    _check_area(version, area)
    digest = area_hashes(version.snapshot, version.listing.kind)[area]
    with transaction.atomic():
        approval, created = SectionApproval.objects.get_or_create(
            version=version, area=area,
            defaults={"content_hash": digest, "approved_by": actor, "approved_by_email": _email(actor)},
        )
        if created:
            record_event(listing=version.listing, type="review.section_approved", actor=actor,
                         data={"version": version.number, "section": area})
    return approval


def review_section_reopen(*, version: ListingVersion, actor, area: str) -> None:
    """Take back a sign-off (or a carried-over one): the section needs a look again."""
    if not can_review(actor, version.listing):
        raise NotAllowed("Only reviewers outside the listing's team can reopen a section.")
    _require_open(version)
    _check_area(version, area)
    with transaction.atomic():
        deleted, _ = SectionApproval.objects.filter(version=version, area=area).delete()
        if deleted:
            record_event(listing=version.listing, type="review.section_reopened", actor=actor,
                         data={"version": version.number, "section": area})


def areas_with_open_threads(version: ListingVersion) -> list[str]:
    return sorted(set(
        ReviewComment.objects.filter(listing_id=version.listing_id, parent__isnull=True, resolved_at__isnull=True)
        .exclude(area="").values_list("area", flat=True)
    ))


def _sign_off(version: ListingVersion, actor, *, except_areas: set[str]) -> None:
    hashes = area_hashes(version.snapshot, version.listing.kind)
    SectionApproval.objects.filter(version=version, area__in=except_areas).delete()
    existing = set(version.section_approvals.values_list("area", flat=True))
    SectionApproval.objects.bulk_create([
        SectionApproval(version=version, area=area, content_hash=digest, approved_by=actor,
                        approved_by_email=_email(actor))
        for area, digest in hashes.items() if area not in existing and area not in except_areas
    ])


# ---------------------------------------------------------------------------------------------- decisions
def _decide(*, version: ListingVersion, actor, to_version: str, to_listing: str, event: str, reason: str,
            changes_in: set[str] | None = None) -> ListingVersion:
    """One decision per version: ``UPDATE … WHERE status = 'submitted'`` (PostgreSQL makes a second, concurrent
    UPDATE wait for the first to commit and then find nothing to change), the listing's transition and its
    audit event, the section sign-offs — all in one transaction. The loser is told who decided what."""
    if not can_review(actor, version.listing):
        raise NotAllowed("Only reviewers outside the listing's team can decide on it.")
    now = timezone.now()
    with transaction.atomic():
        decided = ListingVersion.objects.filter(pk=version.pk, status=VersionStatus.SUBMITTED).update(
            status=to_version, decided_by=actor, decided_at=now, decision_reason=reason
        )
        if not decided:
            current = ListingVersion.objects.select_related("decided_by").get(pk=version.pk)
            who = current.decided_by.get_username() if current.decided_by else "someone"
            when = f" at {current.decided_at:%H:%M:%S} UTC" if current.decided_at else ""
            raise Conflict(f"{who} already decided on this version{when}: {current.get_status_display().lower()}. "
                           "Your decision was not recorded.",
                           current={"status": current.status, "decided_by": who,
                                    "decision_reason": current.decision_reason})
        if to_version == VersionStatus.APPROVED:
            blockers = approval_blockers(version, at=now)
            if blockers:  # raising rolls the compare-and-set back: the version stays submitted
                codes = ", ".join(sorted({f.code for f in blockers}))
                raise ServiceError(
                    f"{len(blockers)} failed check{'s' if len(blockers) != 1 else ''} ({codes}) "
                    f"{'are' if len(blockers) != 1 else 'is'} neither fixed nor waived. Waive each warning with a "
                    "reason and an expiry, or request changes. Errors cannot be waived.")
        try:
            transition(version.listing, to=to_listing, actor=actor, event=event,
                       data={"version": version.number, "reason": reason,
                             **({"sections": sorted(changes_in)} if changes_in else {})})
        except TransitionError as exc:
            raise Conflict(str(exc)) from exc
        _sign_off(version, actor, except_areas=changes_in or set())
        transaction.on_commit(lambda: notifications.notify_decided(version_id=version.pk))
    version.refresh_from_db()
    return version


def review_approve(*, version: ListingVersion, actor) -> ListingVersion:
    return _decide(version=version, actor=actor, to_version=VersionStatus.APPROVED,
                   to_listing=ListingStatus.APPROVED, event="review.approved", reason="")


def review_request_changes(*, version: ListingVersion, actor, reason: str,
                           sections: list[str] | None = None) -> ListingVersion:
    """Send the version back with a reason (mandatory). ``sections`` names what needs changing; every other
    section is signed off and, if the next version leaves it unchanged, is not reviewed again. Without
    ``sections`` (the API), the sections with unresolved comment threads are the ones that need changing."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Say what needs to change: the reason is sent to the seller team.")
    if len(reason) > MAX_REASON_CHARS:
        raise ServiceError(f"Keep the reason under {MAX_REASON_CHARS} characters; put details in comments.")
    if sections is None:
        sections = areas_with_open_threads(version)
    changes_in = {_check_area(version, area) for area in sections}
    return _decide(version=version, actor=actor, to_version=VersionStatus.CHANGES_REQUESTED,
                   to_listing=ListingStatus.CHANGES_REQUESTED, event="review.changes_requested", reason=reason,
                   changes_in=changes_in)


# ----------------------------------------------------------------------------------------------- comments
def can_comment(user, listing: Listing) -> bool:
    """Reviewers, and the listing team's owners and editors; viewers read only."""
    return is_reviewer(user) or can_edit(user, listing)


def _check_anchor(version: ListingVersion | None, anchor_kind: str, anchor: str) -> str:
    from validation.snapshot_schema import value_at

    anchor = (anchor or "").strip()
    if anchor_kind not in CommentAnchor.values:
        raise ServiceError("Choose what the comment is about.")
    if anchor_kind == CommentAnchor.GENERAL:
        return ""
    if not anchor:
        raise ServiceError("Say which field, finding, cell or file the comment is about.")
    if version is None:
        return anchor
    snapshot = version.snapshot
    if anchor_kind == CommentAnchor.FIELD:
        top = anchor.split(".", 1)[0].split("[", 1)[0]
        if top not in snapshot or (anchor != top and value_at(snapshot, f"field:{anchor}") is None):
            raise ServiceError(f"This version has no field “{anchor}”.")
    elif anchor_kind == CommentAnchor.FINDING:
        code, _, location = anchor.partition("@")
        run = version.validation_run
        if run is None or not run.findings.filter(code=code, location=location).exists():
            raise ServiceError(f"The validation report of this version has no finding {code} at “{location}”.")
    elif anchor_kind == CommentAnchor.ARTIFACT:
        names = {f"{a.get('kind')}/{a.get('name')}" for a in snapshot.get("artifacts") or []}
        if anchor not in names:
            raise ServiceError(f"This version has no file “{anchor}”.")
    elif anchor_kind == CommentAnchor.CELL:
        name, _, index = anchor.rpartition("#")
        notebooks = {a.get("name") for a in snapshot.get("artifacts") or [] if a.get("kind") == "notebook"}
        if name not in notebooks or not index.isdigit():
            raise ServiceError(f"This version has no notebook cell “{anchor}”.")
    return anchor


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ServiceError("Write something: the comment is empty.")
    if len(body) > MAX_COMMENT_CHARS:
        raise ServiceError(f"Keep a comment under {MAX_COMMENT_CHARS} characters.")
    return body


def comment_add(*, listing: Listing, actor, body: str, anchor_kind: str = CommentAnchor.GENERAL, anchor: str = "",
                version: ListingVersion | None = None) -> ReviewComment:
    """Start a thread, anchored to a field, a finding, a notebook cell, a file, or the version as a whole."""
    if not can_comment(actor, listing):
        raise NotAllowed("Viewers cannot comment. Ask an owner of your team for the editor role.")
    if version is not None and version.listing_id != listing.pk:
        raise ServiceError("That version belongs to another listing.")
    anchor = _check_anchor(version, anchor_kind, anchor)
    body = _clean_body(body)
    with transaction.atomic():
        comment = ReviewComment.objects.create(
            listing=listing, version=version, anchor_kind=anchor_kind, anchor=anchor,
            area=area_of_anchor(anchor_kind, anchor), body=body, author=actor, author_email=_email(actor),
            by_reviewer=is_reviewer(actor) and role_in_team(actor, listing.team_id) is None,
        )
        record_event(listing=listing, type="comment.added", actor=actor,
                     data={"comment": str(comment.id), "anchor": f"{anchor_kind}:{anchor}" if anchor else anchor_kind,
                           "version": version.number if version else None})
        transaction.on_commit(lambda: notifications.notify_comment(comment_id=comment.pk))
    return comment


def comment_reply(*, thread: ReviewComment, actor, body: str) -> ReviewComment:
    """Answer in the thread (sellers and reviewers alike). Replying to a reply answers its thread."""
    root = thread.parent or thread
    if not can_comment(actor, root.listing):
        raise NotAllowed("Viewers cannot reply. Ask an owner of your team for the editor role.")
    body = _clean_body(body)
    with transaction.atomic():
        reply = ReviewComment.objects.create(
            listing=root.listing, version=root.version, parent=root, anchor_kind=root.anchor_kind,
            anchor=root.anchor, area=root.area, body=body, author=actor, author_email=_email(actor),
            by_reviewer=is_reviewer(actor) and role_in_team(actor, root.listing.team_id) is None,
        )
        record_event(listing=root.listing, type="comment.replied", actor=actor,
                     data={"comment": str(root.id), "reply": str(reply.id)})
        transaction.on_commit(lambda: notifications.notify_comment(comment_id=reply.pk))
    return reply


def _set_resolved(*, thread: ReviewComment, actor, resolved: bool) -> ReviewComment:
    root = thread.parent or thread
    if not can_comment(actor, root.listing):
        raise NotAllowed("Viewers cannot resolve threads.")
    with transaction.atomic():
        query = ReviewComment.objects.filter(pk=root.pk, resolved_at__isnull=resolved)
        if resolved:
            changed = query.update(resolved_at=timezone.now(), resolved_by=actor, resolved_by_email=_email(actor))
        else:
            changed = query.update(resolved_at=None, resolved_by=None, resolved_by_email="")
        if changed:
            record_event(listing=root.listing, type="comment.resolved" if resolved else "comment.reopened",
                         actor=actor, data={"comment": str(root.id)})
    root.refresh_from_db()
    return root


def comment_resolve(*, thread: ReviewComment, actor) -> ReviewComment:
    return _set_resolved(thread=thread, actor=actor, resolved=True)


def comment_reopen(*, thread: ReviewComment, actor) -> ReviewComment:
    return _set_resolved(thread=thread, actor=actor, resolved=False)


# ------------------------------------------------------------------------------------------------- waivers
def waiver_grant(*, version: ListingVersion, finding_id: int, actor, reason: str, expires_at: datetime) -> Waiver:
    """Let one failed warning of ``version`` stand, for a reason, until ``expires_at``. Errors: never."""
    if not can_review(actor, version.listing):
        raise NotAllowed("Only reviewers outside the listing's team can waive a finding.")
    _require_open(version)
    run = version.validation_run
    finding = run.findings.filter(pk=finding_id).first() if run is not None else None
    if finding is None:
        raise ServiceError("That finding is not in this version's validation report.")
    if not is_waivable(finding):
        raise ServiceError(f"{finding.code} cannot be waived: only failed warnings (best practice) can. An error is "
                           "something AWS rejects; the seller has to fix it.")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Say why this warning may stand: the reason is shown to the seller and kept in the audit.")
    now = timezone.now()
    if expires_at <= now:
        raise ServiceError("Choose an expiry in the future.")
    if expires_at > now + timedelta(days=WAIVER_MAX_DAYS + 1):  # + 1: the form's day ends at 23:59:59 UTC
        raise ServiceError(f"A waiver lasts at most {WAIVER_MAX_DAYS} days; choose an earlier expiry.")
    code, location = finding_key(finding)
    with transaction.atomic():
        # A new waiver of the same finding replaces the standing (perhaps expired) one.
        Waiver.objects.filter(listing=version.listing, code=code, location=location, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=actor, revoked_by_email=_email(actor))
        waiver = Waiver.objects.create(
            listing=version.listing, version=version, code=code, location=location, severity=finding.severity,
            reason=reason, expires_at=expires_at, created_by=actor, created_by_email=_email(actor),
        )
        record_event(listing=version.listing, type="waiver.granted", actor=actor,
                     data={"version": version.number, "code": code, "location": location, "reason": reason,
                           "expires_at": expires_at.isoformat()})
    return waiver


def waiver_revoke(*, waiver: Waiver, actor) -> Waiver:
    if not can_review(actor, waiver.listing):
        raise NotAllowed("Only reviewers outside the listing's team can revoke a waiver.")
    with transaction.atomic():
        revoked = Waiver.objects.filter(pk=waiver.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor, revoked_by_email=_email(actor))
        if revoked:
            record_event(listing=waiver.listing, type="waiver.revoked", actor=actor,
                         data={"code": waiver.code, "location": waiver.location})
    waiver.refresh_from_db()
    return waiver


# ------------------------------------------------------------------------------------------- notifications
def notifications_mark_read(*, user, notification_id=None) -> int:
    from listings.models import Notification

    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())

