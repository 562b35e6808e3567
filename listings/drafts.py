"""Autosaved drafts of the section forms: nothing a seller typed is lost to a closed tab or a switched device.

While a seller types, the section page posts the form as it stands to ``listing-section-draft`` (htmx, a second
and a half after the last keystroke). ``section_draft_save`` keeps those raw values — unvalidated, and never
applied to the listing — as the person's one draft of that section. Opening the section again draws the form
from the draft, under a banner saying so; saving the section (``services.section_save(clear_draft=True)``) or
discarding (``section_draft_discard``) deletes it.

The draft remembers the section's lock version its form was drawn with. If a teammate saved the section since,
the banner says so, and saving the draft meets the existing conflict display (their values beside the draft's)
instead of overwriting their work.

Autosaves write no audit event: they are private, come every few seconds, and change nothing anybody else sees.
Discarding does (``listing.draft_discarded``), since it throws typed work away on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.http import QueryDict
from django.utils import timezone

from listings.display import megabytes
from listings.errors import NotAllowed, ServiceError
from listings.events import record_event
from listings.models import Listing, ListingSection, SectionDraft
from listings.permissions import can_edit
from listings.section_forms.base import SectionForm
from listings.sections import BY_NAME
from validation.checks.sections import section_findings

# A section form of 100 hyperparameter rows is far below this; the limit only stops a paste of a file into a
# text field from filling the database one keystroke at a time.
DRAFT_MAX_BYTES = 1024 * 1024

# Posted with the form but not part of what was typed: the CSRF token, and the lock version (kept apart, as
# ``base_lock_version``).
_NOT_TYPED = ("csrfmiddlewaretoken", "lock_version")

VIEWERS_CANNOT_EDIT = "Viewers cannot edit listings. Ask an owner of your team for the editor role."


class DraftTooLarge(ServiceError):
    """More form data than a draft keeps; the page says so instead of pretending it was saved."""

    status_code = 413


def _section_row(listing: Listing, section: str) -> ListingSection:
    spec = BY_NAME.get(section)
    if spec is None or listing.kind not in spec.kinds:
        raise ServiceError(f"A {listing.get_kind_display().lower()} has no section “{section}”.")
    return ListingSection.objects.get(listing=listing, name=section)


def typed_pairs(data: QueryDict) -> list[list[str]]:
    """The posted form as ``[name, value]`` pairs, in the order posted, without what the person did not type."""
    return [[name, value] for name, values in data.lists() if name not in _NOT_TYPED for value in values]


def pairs_size(pairs: list[list[str]]) -> int:
    """Bytes of form data: names and values in UTF-8, as a person would count what they typed."""
    return sum(len(name.encode()) + len(value.encode()) for name, value in pairs)


def section_draft_save(*, listing: Listing, actor, section: str, data: QueryDict) -> SectionDraft:
    """Keep what ``actor`` has typed into ``section``'s form so far, exactly as posted. Nothing is checked but
    who may edit and how much there is; the listing is not touched."""
    row = _section_row(listing, section)
    if not can_edit(actor, listing):
        raise NotAllowed(VIEWERS_CANNOT_EDIT)
    try:
        base_lock_version = int(data.get("lock_version", ""))
    except ValueError:
        raise ServiceError("The form has lost its lock version, so this draft was not kept. Save the section to "
                           "keep what you typed.") from None
    pairs = typed_pairs(data)
    size = pairs_size(pairs)
    if size > DRAFT_MAX_BYTES:
        raise DraftTooLarge(f"Not autosaved: the form holds {megabytes(size)} of text, more than the "
                            f"{megabytes(DRAFT_MAX_BYTES)} a draft keeps. Shorten the longest field, or save the "
                            "section to keep it.")
    now = timezone.now()
    draft, _ = SectionDraft.objects.update_or_create(
        section=row, user=actor,
        defaults={"data": pairs, "base_lock_version": base_lock_version, "updated_at": now},
        create_defaults={"data": pairs, "base_lock_version": base_lock_version, "created_at": now,
                         "updated_at": now},
    )
    return draft


def section_draft_discard(*, listing: Listing, actor, section: str) -> bool:
    """Throw ``actor``'s draft of ``section`` away; the form shows the saved values again. True if there was one."""
    row = _section_row(listing, section)
    if not can_edit(actor, listing):
        raise NotAllowed(VIEWERS_CANNOT_EDIT)
    deleted, _ = SectionDraft.objects.filter(section=row, user=actor).delete()
    if deleted:
        record_event(listing=listing, type="listing.draft_discarded", actor=actor, data={"section": section})
    return bool(deleted)


def section_draft_clear(*, listing: Listing, section: str, actor) -> None:
    """The section was saved from its form, so the draft is in it now. Called inside ``section_save``'s
    transaction: a save that is refused or rolled back keeps the draft."""
    SectionDraft.objects.filter(section__listing=listing, section__name=section, user=actor).delete()


# ------------------------------------------------------------------------------------------------ reading


def draft_of(*, row: ListingSection, user) -> SectionDraft | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return SectionDraft.objects.filter(section=row, user=user).first()


def draft_post_data(draft: SectionDraft) -> QueryDict:
    """The draft as the form would post it again, armed with the lock version its form was drawn with."""
    data = QueryDict(mutable=True)
    for pair in draft.data if isinstance(draft.data, list) else []:
        if isinstance(pair, (list, tuple)) and len(pair) == 2:
            data.appendlist(str(pair[0]), str(pair[1]))
    data["lock_version"] = str(draft.base_lock_version)
    return data


@dataclass(frozen=True)
class RestoredDraft:
    """A draft drawn into its section's form, for the page's banner."""

    draft: SectionDraft
    form: SectionForm
    saved_since: bool  # someone saved the section after the draft's form was drawn: saving shows both values
    saved_by: str  # who saved the section last, in the banner's words ("You", "bob", "A teammate")
    saved_at: datetime

    @property
    def updated_at(self) -> datetime:
        return self.draft.updated_at


def restore_draft(*, row: ListingSection, user, form_class: type[SectionForm], snapshot: dict) -> RestoredDraft | None:
    """``user``'s draft of the section as a bound form, with the live checks' findings; None when there is no
    draft, or when it holds nothing the section does not (typing undone; an autosave that arrived after the save).
    """
    draft = draft_of(row=row, user=user)
    if draft is None:
        return None
    form = form_class(draft_post_data(draft), snapshot=snapshot)
    if form.is_valid():
        value = form.to_data()
        unchanged = all(value[key] == row.data.get(key) for key in value)
        if unchanged:
            return None
        form.snapshot = snapshot | value
        form.show_findings(section_findings(form.snapshot, row.name))
    if row.updated_by_id is not None and row.updated_by_id == user.pk:
        saved_by = "You"
    else:
        saved_by = row.updated_by.get_username() if row.updated_by else "A teammate"
    return RestoredDraft(draft=draft, form=form, saved_since=draft.base_lock_version < row.lock_version,
                         saved_by=saved_by, saved_at=row.updated_at)
