"""A form body Django will not read (over DATA_UPLOAD_MAX_MEMORY_SIZE, or too many fields) is refused before
any view runs. The seller is told what was too large and what to do, the autosave line says it in its own
words, and nothing is saved (marketplace_prep/errors.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from listings.models import ListingSection, SectionDraft
from tests.listings.test_drafts import HTMX, _page_post
from tests.listings.test_section_forms import _flat

pytestmark = pytest.mark.django_db


def _product(listing) -> dict:
    return ListingSection.objects.get(listing=listing, name="product").data


def test_a_section_form_over_the_limit_gets_a_page_that_says_so_and_saves_nothing(client, listing, alice,
                                                                                   settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    client.force_login(alice)
    before = _product(listing)
    data = _page_post(client, listing, long_description="x" * (65 * 1024))
    response = client.post(reverse("listing-section", args=[listing.id, "product"]), _flat(data))
    assert response.status_code == 413
    body = response.content.decode()
    assert "larger than the 0.07 MB a form may send, so nothing was saved" in body
    assert "Files page" in body and "Back button" in body
    assert _product(listing) == before


def test_an_autosave_over_the_limit_is_refused_in_the_status_line(client, listing, alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    client.force_login(alice)
    data = _page_post(client, listing, long_description="x" * (65 * 1024))
    response = client.post(reverse("listing-section-draft", args=[listing.id, "product"]), _flat(data), **HTMX)
    assert response.status_code == 413
    assert response["X-Draft-Status"] == "refused"  # sections.js shows the words, not "the server answered 413"
    body = response.content.decode()
    assert body.startswith('<span class="autosave-error"') and "Not autosaved: what this form sent is larger" in body
    assert "so no draft was kept" in body
    assert not SectionDraft.objects.exists()


def test_too_many_fields_get_a_page_that_says_so(client, listing, alice, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    client.force_login(alice)
    before = _product(listing)
    data = _page_post(client, listing) | {f"extra{i}": ["x"] for i in range(30)}
    response = client.post(reverse("listing-section", args=[listing.id, "product"]), _flat(data))
    assert response.status_code == 400
    assert "more than 20 fields" in response.content.decode()
    assert _product(listing) == before


def test_any_other_bad_request_is_djangos_own(client, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = client.get(reverse("login"), HTTP_HOST="evil.example")  # DisallowedHost: a 400, not a form's size
    assert response.status_code == 400 and "form may send" not in response.content.decode()
