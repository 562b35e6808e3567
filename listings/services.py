"""Every write a seller or reviewer makes (STYLE.md 2): validate, save, audit, enqueue after commit."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from listings.errors import Conflict, NotAllowed, ServiceError
from listings.events import record_event
from listings.models import Listing, ListingStatus, ListingVersion, Membership, SubmissionBundle, Team, VersionStatus
from listings.permissions import can_edit, can_review
from listings.snapshot import build_snapshot, content_hash
from listings.transitions import EDITABLE_STATUSES, TransitionError, transition

EDITABLE_FIELDS = ("title", "short_description")


def listing_create(*, team: Team, actor, kind: str, title: str, short_description: str = "") -> Listing:
    if not Membership.objects.filter(team=team, user=actor, role__in=("owner", "editor")).exists():
        raise NotAllowed("Only owners and editors of the team can create listings.")
    with transaction.atomic():
        listing = Listing.objects.create(
            team=team, kind=kind, title=title, short_description=short_description, created_by=actor
        )
        record_event(listing=listing, type="listing.created", actor=actor, data={"kind": kind, "title": title})
    return listing


def listing_update(*, listing: Listing, actor, lock_version: int, changes: dict) -> Listing:
    """Save edited fields if nobody saved since ``lock_version``; otherwise refuse with their values."""
    if not can_edit(actor, listing):
        raise NotAllowed("Viewers cannot edit listings. Ask an owner of your team for the editor role.")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if listing.status not in EDITABLE_STATUSES:
        raise ServiceError("This listing is waiting for review. Withdraw the submission to edit it.")
    changed = {k: v for k, v in changes.items() if getattr(listing, k) != v}
    if not changed:
        return listing
    with transaction.atomic():
        if listing.status == ListingStatus.APPROVED:
            # The approved version stays frozen; editing starts the next draft.
            transition(listing, to=ListingStatus.DRAFT, actor=actor, event="listing.reopened")
        now = timezone.now()
        saved = Listing.objects.filter(pk=listing.pk, lock_version=lock_version).update(
            **changed, lock_version=F("lock_version") + 1, updated_at=now
        )
        if not saved:
            current = Listing.objects.get(pk=listing.pk)
            raise Conflict(
                "A teammate saved this listing while you were editing. Your changes were not saved; "
                "compare them with the saved values below and save again.",
                current={k: getattr(current, k) for k in changes} | {"lock_version": current.lock_version},
            )
        record_event(listing=listing, type="listing.updated", actor=actor, data={"fields": sorted(changed)})
    listing.refresh_from_db()
    return listing


def listing_submit(*, listing: Listing, actor) -> ListingVersion:
    """Freeze the current content as the next version and send it to review.

    Allowed only when the latest validation run of exactly this content has no blocking failure.
    """
    from validation.selectors import latest_run_for_content

    if not can_edit(actor, listing):
        raise NotAllowed("Only owners and editors can submit a listing.")
    snapshot = build_snapshot(listing)
    digest = content_hash(snapshot)
    run = latest_run_for_content(listing, digest)
    if run is None or run.is_active:
        raise ServiceError("Validate this exact content first; submit when the run has finished.")
    if run.verdict != "passed":
        raise ServiceError("The latest validation found problems AWS would reject. Fix them and validate again.")
    try:
        with transaction.atomic():
            transition(listing, to=ListingStatus.SUBMITTED, actor=actor, event="listing.submitted")
            number = (listing.versions.aggregate(n=Max("number"))["n"] or 0) + 1
            version = ListingVersion.objects.create(
                listing=listing, number=number, snapshot=snapshot, content_hash=digest,
                validation_run=run, created_by=actor,
            )
            record_event(listing=listing, type="version.created", actor=actor,
                         data={"version": number, "content_hash": digest, "run": str(run.id)})
    except TransitionError as exc:
        raise Conflict(str(exc)) from exc
    except IntegrityError as exc:  # a double-clicked submit: the second one finds the version already open
        raise Conflict("This listing was already submitted.") from exc
    return version


def _decide(*, version: ListingVersion, actor, to_version: str, to_listing: str, event: str, reason: str) -> ListingVersion:
    if not can_review(actor, version.listing):
        raise NotAllowed("Only reviewers outside the listing's team can decide on it.")
    now = timezone.now()
    with transaction.atomic():
        decided = ListingVersion.objects.filter(pk=version.pk, status=VersionStatus.SUBMITTED).update(
            status=to_version, decided_by=actor, decided_at=now, decision_reason=reason
        )
        if not decided:
            current = ListingVersion.objects.get(pk=version.pk)
            who = current.decided_by.get_username() if current.decided_by else "someone"
            raise Conflict(f"{who} already decided on this version: {current.get_status_display().lower()}.")
        try:
            transition(version.listing, to=to_listing, actor=actor, event=event,
                       data={"version": version.number, "reason": reason})
        except TransitionError as exc:
            raise Conflict(str(exc)) from exc
    version.refresh_from_db()
    return version


def review_approve(*, version: ListingVersion, actor) -> ListingVersion:
    return _decide(version=version, actor=actor, to_version=VersionStatus.APPROVED,
                   to_listing=ListingStatus.APPROVED, event="review.approved", reason="")


def review_request_changes(*, version: ListingVersion, actor, reason: str) -> ListingVersion:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Say what needs to change: the reason is sent to the seller team.")
    return _decide(version=version, actor=actor, to_version=VersionStatus.CHANGES_REQUESTED,
                   to_listing=ListingStatus.CHANGES_REQUESTED, event="review.changes_requested", reason=reason)


def bundle_request(*, version: ListingVersion, actor) -> SubmissionBundle:
    from listings.tasks import build_bundle

    if version.status != VersionStatus.APPROVED:
        raise ServiceError("Only an approved version can be exported.")
    if not can_edit(actor, version.listing):
        raise NotAllowed("Only owners and editors can export a bundle.")
    with transaction.atomic():
        bundle = SubmissionBundle.objects.create(version=version, requested_by=actor)
        record_event(listing=version.listing, type="bundle.requested", actor=actor,
                     data={"version": version.number, "bundle": str(bundle.id)})
        transaction.on_commit(lambda: build_bundle.delay(str(bundle.id)))
    return bundle
