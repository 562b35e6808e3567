"""Every write a seller or reviewer makes (STYLE.md 2): validate, save, audit, enqueue after commit."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from listings.drafts import section_draft_clear
from listings.errors import Conflict, NotAllowed, ServiceError
from listings.events import record_event
from listings.models import (
    Listing,
    ListingSection,
    ListingStatus,
    ListingVersion,
    Membership,
    ProductKind,
    Team,
)
from listings.sections import BY_NAME, Section, sections_for
from listings.permissions import can_edit
from listings.snapshot import build_snapshot, content_hash
from listings.transitions import EDITABLE_STATUSES, TransitionError, transition
from listings.sections import empty_section_value
from validation.checks.sections import section_findings
from validation.snapshot_schema import empty_snapshot, is_empty, value_at

class InvalidSection(ServiceError):
    """The section holds values AWS would reject; ``findings`` says which, located at their fields."""

    def __init__(self, findings):
        super().__init__("Some values would be rejected by AWS. Fix the fields marked below and save again.")
        self.findings = findings


def listing_create(*, team: Team, actor, kind: str, title: str, short_description: str = "") -> Listing:
    if not Membership.objects.filter(team=team, user=actor, role__in=("owner", "editor")).exists():
        raise NotAllowed("Only owners and editors of the team can create listings.")
    if kind not in ProductKind.values:
        raise ServiceError(f"Choose what you are listing: {', '.join(ProductKind.labels).lower()}.")
    product = empty_section_value("product") | {"title": title, "short_description": short_description}
    # The same rules a section save applies: what AWS would reject in the title is refused at creation too.
    snapshot = empty_snapshot(kind) | {"product": product}
    blocking = blocking_findings(section_findings(snapshot, "product"), snapshot)
    if blocking:
        raise InvalidSection(blocking)
    with transaction.atomic():
        listing = Listing.objects.create(team=team, kind=kind, title=title, created_by=actor)
        create_sections(listing, product=product, actor=actor)
        record_event(listing=listing, type="listing.created", actor=actor, data={"kind": kind, "title": title})
    return listing


def create_sections(listing: Listing, *, product: dict, actor=None) -> None:
    """Every section of the listing's kind, empty but for the product information given."""
    ListingSection.objects.bulk_create([
        ListingSection(listing=listing, name=section.name, updated_by=actor,
                       data={key: product if key == "product" else empty_section_value(key) for key in section.keys})
        for section in sections_for(listing.kind)
    ])


def _normalised(section: Section, data: dict) -> dict:
    """Keep the keys the section owns, in the types SNAPSHOT.md promises; refuse anything else."""
    if not isinstance(data, dict):
        raise ServiceError("A section is a JSON object.")
    unknown = set(data) - set(section.keys)
    if unknown:
        raise ServiceError(f"The {section.title.lower()} section has no {', '.join(sorted(unknown))}.")
    value = {}
    for key in section.keys:
        empty = empty_section_value(key)
        given = data.get(key, empty)
        if type(given) is not type(empty):
            raise ServiceError(f"“{key}” must be a JSON {'object' if isinstance(empty, dict) else 'list'}.")
        if isinstance(empty, dict):
            extra = set(given) - set(empty)
            if extra:
                raise ServiceError(f"“{key}” has no field {', '.join(sorted(extra))}.")
            given = empty | given
        value[key] = given
    return value


def blocking_findings(findings, snapshot: dict) -> list:
    """Values AWS would reject. What is still missing — an empty field, or a rule about completeness — does
    not block a save (drafts are saved as they grow); it blocks submission, through the validation run."""
    from validation.rules import CATALOG

    return [f for f in findings if f.blocking
            and "required" not in getattr(CATALOG.get(f.code), "tags", ())
            and not is_empty(value_at(snapshot, f.location))]


def section_save(*, listing: Listing, actor, section: str, data: dict, lock_version: int,
                 clear_draft: bool = False) -> ListingSection:
    """Save one section if nobody saved it since ``lock_version``; otherwise refuse and show theirs.

    ``clear_draft``: the values come from the section's form, so the actor's autosaved draft of it
    (listings/drafts.py) is in them and goes with the save. Other clients (the REST API) leave the draft alone:
    what was typed in a browser is not theirs to throw away."""
    spec = BY_NAME.get(section)
    if spec is None or listing.kind not in spec.kinds:
        raise ServiceError(f"A {listing.get_kind_display().lower()} has no section “{section}”.")
    if not can_edit(actor, listing):
        raise NotAllowed("Viewers cannot edit listings. Ask an owner of your team for the editor role.")
    if listing.status not in EDITABLE_STATUSES:
        raise ServiceError("This listing is waiting for review. Withdraw the submission to edit it.")
    value = _normalised(spec, data)
    snapshot = build_snapshot(listing) | value
    blocking = blocking_findings(section_findings(snapshot, section), snapshot)
    if blocking:
        raise InvalidSection(blocking)
    with transaction.atomic():
        if listing.status == ListingStatus.APPROVED:
            # The approved version stays frozen; editing starts the next draft.
            transition(listing, to=ListingStatus.DRAFT, actor=actor, event="listing.reopened")
        now = timezone.now()
        saved = ListingSection.objects.filter(listing=listing, name=section, lock_version=lock_version).update(
            data=value, lock_version=F("lock_version") + 1, updated_by=actor, updated_at=now
        )
        if not saved:
            current = ListingSection.objects.select_related("updated_by").get(listing=listing, name=section)
            who = current.updated_by.get_username() if current.updated_by else "A teammate"
            raise Conflict(
                f"{who} saved this section while you were editing. Your changes were not saved: compare them "
                "with the saved values shown here, then save again.",
                current={"data": current.data, "lock_version": current.lock_version},
            )
        changes = {"lock_version": F("lock_version") + 1, "updated_at": now}
        if section == "product":
            changes["title"] = value["product"]["title"][:255]
        Listing.objects.filter(pk=listing.pk).update(**changes)
        if clear_draft:
            section_draft_clear(listing=listing, section=section, actor=actor)
        record_event(listing=listing, type="listing.section_saved", actor=actor, data={"section": section})
    listing.refresh_from_db()
    return ListingSection.objects.get(listing=listing, name=section)


def listing_submit(*, listing: Listing, actor) -> ListingVersion:
    """Freeze the current content as the next version and send it to review.

    Allowed only when the latest validation run of exactly this content has no blocking failure.
    """
    from listings.review.gate import submission_blockers
    from listings.review.services import review_open

    from validation.selectors import latest_run_for_content

    if not can_edit(actor, listing):
        raise NotAllowed("Only owners and editors can submit a listing.")
    snapshot = build_snapshot(listing)
    digest = content_hash(snapshot)
    run = latest_run_for_content(listing, digest)
    if run is None or run.is_active:
        raise ServiceError("Validate this exact content first; submit when the run has finished.")
    # Failed errors block, and no waiver can lift them; failed warnings go to the reviewer, who waives each
    # or asks for a fix before approving (listings/review/gate.py).
    blockers = submission_blockers(run)
    if blockers or run.verdict != "passed":
        codes = ", ".join(sorted({f.code for f in blockers}))
        raise ServiceError("The latest validation found problems AWS would reject"
                           f"{f' ({codes})' if codes else ''}. Fix them and validate again; errors cannot be waived.")
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
            review_open(version=version, actor=actor)
    except TransitionError as exc:
        raise Conflict(str(exc)) from exc
    except IntegrityError as exc:  # a double-clicked submit: the second one finds the version already open
        raise Conflict("This listing was already submitted.") from exc
    return version


# Exports are started by the export service (options, dry run); the name stays importable from here.
from listings.export.service import bundle_start as bundle_request  # noqa: E402,F401

# The reviewer's decisions live with the rest of the review workflow; these names stay importable from here.
from listings.review.services import review_approve, review_request_changes  # noqa: E402,F401
