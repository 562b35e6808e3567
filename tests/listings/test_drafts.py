"""Autosaved drafts (listings/drafts.py): what a seller typed is kept on the server as they type, comes back when
they open the section again, and goes when they save or discard it; a teammate's save in between is never
overwritten (the draft's Save meets the conflict display)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from listings import drafts, services
from listings.models import ListingEvent, ListingSection, ListingStatus, SectionDraft
from tests.factories import ListingFactory
from tests.listings.test_section_forms import HYPERPARAMETERS, _flat, browser_post

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _draft_url(listing, name="product"):
    return reverse("listing-section-draft", args=[listing.id, name])


def _discard_url(listing, name="product"):
    return reverse("listing-section-draft-discard", args=[listing.id, name])


def _section_url(listing, name="product"):
    return reverse("listing-section", args=[listing.id, name])


def _page_post(client, listing, name="product", **changes) -> dict[str, list[str]]:
    """What the browser posts for the section page as drawn now, with ``changes`` typed into it."""
    data = browser_post(client.get(_section_url(listing, name)).content.decode())
    data.update({key: [value] for key, value in changes.items()})
    return data


def _autosave(client, listing, data, name="product", **extra):
    return client.post(_draft_url(listing, name), _flat(data), **HTMX, **extra)


def _row(listing, name="product") -> ListingSection:
    return ListingSection.objects.get(listing=listing, name=name)


def _draft(listing, user, name="product") -> SectionDraft | None:
    return SectionDraft.objects.filter(section__listing=listing, section__name=name, user=user).first()


# ---------------------------------------------------------------------------------------------- autosaving


def test_autosave_keeps_the_raw_form_without_touching_the_section(client, listing, alice):
    client.force_login(alice)
    before = _row(listing)
    data = _page_post(client, listing, title="A better title", long_description="Line one\r\nLine two")
    response = _autosave(client, listing, data)
    assert response.status_code == 200
    assert "Draft saved" in response.content.decode()
    draft = _draft(listing, alice)
    assert ["title", "A better title"] in draft.data
    assert ["long_description", "Line one\r\nLine two"] in draft.data  # raw, as posted: not cleaned
    assert not any(name in ("csrfmiddlewaretoken", "lock_version") for name, _ in draft.data)
    assert draft.base_lock_version == before.lock_version
    after = _row(listing)
    assert (after.data, after.lock_version, after.updated_at) == (before.data, before.lock_version, before.updated_at)
    listing.refresh_from_db()
    assert listing.title != "A better title"
    assert not ListingEvent.objects.filter(listing=listing).exists()  # private, and every few seconds: no audit


def test_autosave_replaces_the_persons_one_draft_of_the_section(client, listing, alice):
    client.force_login(alice)
    data = _page_post(client, listing, title="First")
    _autosave(client, listing, data)
    _autosave(client, listing, data | {"title": ["Second"]})
    assert SectionDraft.objects.filter(user=alice).count() == 1
    assert ["title", "Second"] in _draft(listing, alice).data


def test_values_aws_would_reject_are_still_autosaved(client, listing, alice):
    """Nothing is validated: a title AWS refuses, a malformed resource line — all kept as typed."""
    client.force_login(alice)
    data = _page_post(client, listing, title="Churn ™ " + "t" * 80, additional_resources="no pipe, not a url")
    assert _autosave(client, listing, data).status_code == 200
    assert ["title", "Churn ™ " + "t" * 80] in _draft(listing, alice).data
    # And a row form's value that would not even parse (a hyperparameter row on an algorithm).
    algorithm = ListingFactory(team=listing.team, kind="algorithm")
    rows = _page_post(client, algorithm, "hyperparameters")
    rows.update({"hyperparameters-TOTAL_FORMS": ["1"], "hyperparameters-0-name": ["depth"],
                 "hyperparameters-0-ORDER": ["not a number"]})
    assert _autosave(client, algorithm, rows, "hyperparameters").status_code == 200
    assert ["hyperparameters-0-ORDER", "not a number"] in _draft(algorithm, alice, "hyperparameters").data


def test_a_viewer_cannot_autosave(client, listing, vera):
    client.force_login(vera)
    data = _page_post(client, listing, title="Viewer's title")
    response = _autosave(client, listing, data)
    assert response.status_code == 403
    assert "Viewers cannot edit listings" in response.content.decode()
    assert response["X-Draft-Status"] == "refused"
    assert not SectionDraft.objects.exists()


def test_charlie_gets_404_for_team_as_drafts(client, listing, alice, charlie):
    client.force_login(alice)
    data = _page_post(client, listing, title="Alice's draft")
    _autosave(client, listing, data)
    client.force_login(charlie)
    assert _autosave(client, listing, data | {"title": ["Charlie's"]}).status_code == 404
    assert client.post(_discard_url(listing)).status_code == 404
    assert ["title", "Alice's draft"] in _draft(listing, alice).data
    assert not SectionDraft.objects.filter(user=charlie).exists()


def test_anonymous_cannot_autosave(client, listing, alice):
    client.force_login(alice)
    data = _page_post(client, listing, title="x")
    client.logout()
    plain = client.post(_draft_url(listing), _flat(data))
    assert plain.status_code == 302 and "/accounts/login/" in plain["Location"]
    htmx = _autosave(client, listing, data)  # no redirect to a login page to swap into the status line
    assert htmx.status_code == 401 and "logged out" in htmx.content.decode()
    assert client.post(_discard_url(listing)).status_code == 302
    assert not SectionDraft.objects.exists()


def test_autosave_is_post_only_and_honours_csrf(listing, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get(_draft_url(listing)).status_code == 405
    data = _page_post(client, listing, title="Forged")
    forged = {k: v for k, v in data.items() if k != "csrfmiddlewaretoken"}
    assert _autosave(client, listing, forged).status_code == 403
    assert not SectionDraft.objects.exists()
    assert _autosave(client, listing, data).status_code == 200  # the page's own token


def test_an_unknown_section_is_a_404(client, listing, alice):
    client.force_login(alice)
    data = _page_post(client, listing, title="x")
    assert _autosave(client, listing, data, "hyperparameters").status_code == 404  # not on a model package
    assert _autosave(client, listing, data, "nope").status_code == 404


def test_more_than_a_megabyte_is_refused_with_a_clear_413(client, listing, alice):
    client.force_login(alice)
    data = _page_post(client, listing, title="Fits")
    _autosave(client, listing, data)
    huge = data | {"long_description": ["é" * (drafts.DRAFT_MAX_BYTES // 2 + 1)]}  # 2 bytes each in UTF-8
    response = _autosave(client, listing, huge)
    assert response.status_code == 413
    body = response.content.decode()
    assert "Not autosaved: the form holds 1.01 MB of text, more than the 1 MB a draft keeps" in body
    assert response["X-Draft-Status"] == "refused"
    assert ["title", "Fits"] in _draft(listing, alice).data  # the last draft that fitted stays


def test_a_form_without_its_lock_version_is_not_kept(client, listing, alice):
    client.force_login(alice)
    data = _page_post(client, listing, title="x")
    del data["lock_version"]
    assert _autosave(client, listing, data).status_code == 400
    assert not SectionDraft.objects.exists()


# ------------------------------------------------------------------------------------ opening the section again


def test_opening_the_section_draws_the_form_from_the_draft_with_a_banner(client, listing, alice):
    client.force_login(alice)
    _autosave(client, listing, _page_post(client, listing, title="Typed, never saved"))
    body = client.get(_section_url(listing)).content.decode()
    assert 'data-testid="draft-banner"' in body
    assert "You have unsaved changes from" in body and "they are in the form below" in body
    assert 'value="Typed, never saved"' in body
    assert 'data-testid="draft-stale"' not in body
    assert _discard_url(listing) in body


def test_a_draft_is_its_authors_alone(client, listing, alice, bob):
    client.force_login(alice)
    _autosave(client, listing, _page_post(client, listing, title="Alice typing"))
    client.force_login(bob)
    body = client.get(_section_url(listing)).content.decode()
    assert 'data-testid="draft-banner"' not in body and "Alice typing" not in body


def test_a_draft_that_holds_what_is_saved_shows_no_banner(client, listing, alice):
    """Typing undone, or an autosave that landed after the save: nothing unsaved to speak of."""
    client.force_login(alice)
    _autosave(client, listing, _page_post(client, listing))
    assert 'data-testid="draft-banner"' not in client.get(_section_url(listing)).content.decode()


def test_a_draft_of_rows_comes_back_exactly_as_typed(client, team_a, alice):
    algorithm = ListingFactory(team=team_a, kind="algorithm")
    ListingSection.objects.filter(listing=algorithm, name="hyperparameters").update(
        data={"hyperparameters": HYPERPARAMETERS})
    client.force_login(alice)
    typed = _page_post(client, algorithm, "hyperparameters")
    total = int(typed["hyperparameters-TOTAL_FORMS"][0])
    typed["hyperparameters-0-name"] = ["renamed_in_the_draft"]
    typed["hyperparameters-1-DELETE"] = ["on"]
    typed["hyperparameters-TOTAL_FORMS"] = [str(total + 1)]
    typed.update({f"hyperparameters-{total}-name": ["added_row"], f"hyperparameters-{total}-type": ["Integer"],
                  f"hyperparameters-{total}-ORDER": [str(total + 1)]})
    assert _autosave(client, algorithm, typed, "hyperparameters").status_code == 200
    page = client.get(_section_url(algorithm, "hyperparameters")).content.decode()
    assert 'data-testid="draft-banner"' in page
    drawn = browser_post(page)
    for name in ("hyperparameters-0-name", "hyperparameters-1-DELETE", "hyperparameters-TOTAL_FORMS",
                 f"hyperparameters-{total}-name", f"hyperparameters-{total}-type"):
        assert drawn.get(name) == typed[name], name


def test_a_teammates_save_since_the_draft_is_told_and_saving_shows_both(client, listing, alice, bob):
    client.force_login(alice)
    mine = _page_post(client, listing, title="Alice's draft title")
    _autosave(client, listing, mine)
    client.force_login(bob)
    assert client.post(_section_url(listing), _flat(_page_post(client, listing, title="Bob's title"))).status_code == 302
    client.force_login(alice)
    page = client.get(_section_url(listing))
    body = page.content.decode()
    assert 'data-testid="draft-stale"' in body and "bob saved this section" in body
    assert 'value="Alice&#x27;s draft title"' in body
    # Saving the draft as drawn: the conflict display, both values, nothing overwritten; the draft stays.
    response = client.post(_section_url(listing), _flat(browser_post(body)))
    assert response.status_code == 409
    conflict = response.content.decode()
    assert "Bob&#x27;s title" in conflict and "Alice&#x27;s draft title" in conflict
    listing.refresh_from_db()
    assert listing.title == "Bob's title"
    assert _draft(listing, alice) is not None


def test_my_own_save_elsewhere_since_the_draft_is_told_as_mine(client, listing, alice):
    client.force_login(alice)
    stale = _page_post(client, listing, title="Typed in the old tab")
    assert client.post(_section_url(listing), _flat(_page_post(client, listing, title="Saved in a new tab"))).status_code == 302
    _autosave(client, listing, stale)  # the old tab keeps autosaving with its old lock version
    body = client.get(_section_url(listing)).content.decode()
    assert "You saved this section" in body and "another tab or on another device" in body


def test_a_draft_waits_while_the_listing_is_in_review(client, listing, alice):
    client.force_login(alice)
    _autosave(client, listing, _page_post(client, listing, title="Typed before the submit"))
    type(listing).objects.filter(pk=listing.pk).update(status=ListingStatus.SUBMITTED)
    body = client.get(_section_url(listing)).content.decode()
    assert 'data-testid="draft-held"' in body and 'data-testid="draft-banner"' not in body
    assert "Typed before the submit" not in body  # the read-only form shows the saved values
    assert _draft(listing, alice) is not None


# ------------------------------------------------------------------------------------------ saving, discarding


def test_saving_the_section_deletes_the_draft(client, listing, alice):
    client.force_login(alice)
    _autosave(client, listing, _page_post(client, listing, title="From the draft"))
    body = client.get(_section_url(listing)).content.decode()
    response = client.post(_section_url(listing), _flat(browser_post(body)))
    assert response.status_code == 302
    assert _draft(listing, alice) is None
    listing.refresh_from_db()
    assert listing.title == "From the draft"
    assert 'data-testid="draft-banner"' not in client.get(_section_url(listing)).content.decode()


def test_a_refused_save_keeps_the_draft(client, listing, alice):
    client.force_login(alice)
    data = _page_post(client, listing, title="t" * 73)
    _autosave(client, listing, data)
    assert client.post(_section_url(listing), _flat(data)).status_code == 400
    assert _draft(listing, alice) is not None


def test_saving_deletes_only_my_draft_of_that_section(client, listing, alice, bob):
    client.force_login(bob)
    _autosave(client, listing, _page_post(client, listing, title="Bob's draft"))
    client.force_login(alice)
    _autosave(client, listing, _page_post(client, listing, "legal"), "legal")
    assert client.post(_section_url(listing), _flat(_page_post(client, listing, title="Alice saves"))).status_code == 302
    assert _draft(listing, bob) is not None and _draft(listing, alice, "legal") is not None


def test_an_api_save_leaves_the_browsers_draft(listing, alice):
    """Only a save from the form carries the draft's values; another client's save must not throw them away."""
    draft_data = _product_query(listing, title="Typed in the browser")
    drafts.section_draft_save(listing=listing, actor=alice, section="product", data=draft_data)
    row = _row(listing)
    services.section_save(listing=listing, actor=alice, section="product", lock_version=row.lock_version,
                          data={"product": row.data["product"] | {"title": "From the API"}})
    assert _draft(listing, alice) is not None


def test_discard_deletes_the_draft_and_records_it(client, listing, alice):
    client.force_login(alice)
    _autosave(client, listing, _page_post(client, listing, title="Throw me away"))
    response = client.post(_discard_url(listing), follow=True)
    assert response.redirect_chain[-1][0] == _section_url(listing)
    body = response.content.decode()
    assert "were discarded" in body and 'data-testid="draft-banner"' not in body and "Throw me away" not in body
    assert _draft(listing, alice) is None
    event = ListingEvent.objects.get(listing=listing, type="listing.draft_discarded")
    assert (event.actor, event.data) == (alice, {"section": "product"})


def test_a_viewer_cannot_discard(client, listing, vera):
    client.force_login(vera)
    assert client.post(_discard_url(listing)).status_code == 403
    assert client.get(_discard_url(listing)).status_code == 405


def _product_query(listing, **changes):
    from django.http import QueryDict

    from listings.section_forms import form_for
    from listings.section_forms.rows import form_post_data
    from listings.snapshot import build_snapshot

    form_class = form_for("product")
    snapshot = build_snapshot(listing)
    form = form_class(initial={"lock_version": _row(listing).lock_version,
                               **form_class.initial_from(snapshot["product"])}, snapshot=snapshot)
    data: QueryDict = form_post_data(form)
    for key, value in changes.items():
        data[key] = value
    return data
