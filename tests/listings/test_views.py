"""Pages as users use them: tenancy (charlie gets 404 everywhere), roles, forms with errors at the field."""

from __future__ import annotations

import pytest
from django.urls import reverse

from listings import services
from tests.helpers import submitted_version, validate_now

pytestmark = pytest.mark.django_db


def _urls_for(listing, version=None, run=None, bundle=None):
    urls = [
        ("get", reverse("listing-detail", args=[listing.id])),
        ("get", reverse("listing-timeline", args=[listing.id])),
        ("get", reverse("listing-section", args=[listing.id, "product"])),
        ("post", reverse("listing-section", args=[listing.id, "product"])),
        ("post", reverse("listing-section-check", args=[listing.id, "product"])),
        ("post", reverse("listing-submit", args=[listing.id])),
        ("post", reverse("validation-start", args=[listing.id])),
    ]
    if run:
        urls.append(("get", reverse("validation-run", args=[listing.id, run.id])))
    if version:
        urls.append(("post", reverse("version-export", args=[version.id])))
    if bundle:
        urls.append(("get", reverse("bundle-download", args=[bundle.id])))
        urls.append(("get", reverse("bundle-status", args=[bundle.id])))
    return urls


def test_charlie_gets_404_on_every_url_of_team_as_listing(client, ready_listing, alice, charlie, rita):
    listing = ready_listing
    run = validate_now(listing, alice)
    version = submitted_version(listing, alice)
    services.review_approve(version=version, actor=rita)
    bundle = services.bundle_request(version=version, actor=alice)
    client.force_login(charlie)
    for method, url in _urls_for(listing, version, run, bundle):
        response = getattr(client, method)(url)
        assert response.status_code == 404, url


def test_anonymous_is_sent_to_login(client, listing):
    for method, url in _urls_for(listing):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_listing_list_shows_only_my_teams(client, listing, alice, charlie, team_b):
    from tests.factories import ListingFactory

    other = ListingFactory(team=team_b, title="Team B secret model")
    client.force_login(alice)
    body = client.get(reverse("listing-list")).content.decode()
    assert listing.title in body and other.title not in body


def _rows(body: str) -> list[str]:
    """The titles of the listing list's rows, in order."""
    import re

    return re.findall(r'<tr data-testid="listing-row">\s*<td><a href="[^"]+">([^<]+)</a>', body)


def _bulk_listings(team, n: int, *, status: str = "draft", prefix: str = "Row", minutes: int = 0) -> None:
    """``n`` listings, ``{prefix} 000`` the most recently updated; ``minutes`` shifts them all into the past."""
    from datetime import timedelta

    from django.utils import timezone

    from listings.models import Listing

    now = timezone.now() - timedelta(minutes=minutes)
    Listing.objects.bulk_create(
        Listing(team=team, kind="model_package", status=status, title=f"{prefix} {i:03}",
                updated_at=now - timedelta(minutes=2 * i)) for i in range(n))


def test_listing_list_shows_50_a_page_newest_first(client, alice, team_a):
    _bulk_listings(team_a, 60)
    client.force_login(alice)
    url = reverse("listing-list")
    body = client.get(url).content.decode()
    assert _rows(body) == [f"Row {i:03}" for i in range(50)]
    assert "1–50 of 60 listings" in body and 'href="?page=2" rel="next"' in body
    second = client.get(url, {"page": 2}).content.decode()
    assert _rows(second) == [f"Row {i:03}" for i in range(50, 60)]  # the next rows, none twice
    assert "51–60 of 60 listings" in second and 'href="?page=1" rel="prev"' in second and 'rel="next"' not in second
    assert _rows(client.get(url, {"page": 99}).content.decode()) == _rows(second)  # past the end: the last page
    assert _rows(client.get(url, {"page": "x"}).content.decode()) == _rows(body)  # not a number: the first


def test_listing_list_pages_keep_the_status_filter(client, alice, team_a):
    _bulk_listings(team_a, 55, status="approved", prefix="Approved")
    _bulk_listings(team_a, 55, status="draft", prefix="Draft", minutes=1)  # interleaved with the approved ones
    client.force_login(alice)
    url = reverse("listing-list")
    body = client.get(url, {"status": "approved"}).content.decode()
    assert _rows(body) == [f"Approved {i:03}" for i in range(50)]
    assert 'href="?status=approved&amp;page=2" rel="next"' in body  # the page link keeps the filter
    assert "1–50 of 55 listings" in body
    second = client.get(url, {"status": "approved", "page": 2}).content.decode()
    assert _rows(second) == [f"Approved {i:03}" for i in range(50, 55)]
    assert 'href="?status=approved&amp;page=1" rel="prev"' in second
    assert 'aria-current="page" data-testid="status-filter-approved"' in second  # the tab stays chosen
    unfiltered = client.get(url, {"page": 2}).content.decode()
    assert _rows(unfiltered)[:2] == ["Approved 025", "Draft 025"] and "51–100 of 110 listings" in unfiltered
    assert 'data-testid="status-filter-draft">Draft <span class="count">55</span>' in unfiltered
    assert _rows(client.get(url, {"status": "bogus"}).content.decode()) == _rows(client.get(url).content.decode())


def test_create_form_shows_aws_limit_next_to_the_field(client, alice, team_a):
    client.force_login(alice)
    response = client.post(reverse("listing-create"), {"team": team_a.pk, "kind": "model_package", "title": "x" * 73,
                                                       "short_description": "Fine."})
    assert response.status_code == 200
    form = response.context["form"]
    assert "at most 72 characters" in " ".join(form.errors["title"])


def test_create_form_rejects_space_before_trademark(client, alice, team_a):
    client.force_login(alice)
    response = client.post(reverse("listing-create"), {"team": team_a.pk, "kind": "model_package", "title": "Churn ™",
                                                       "short_description": "Fine."})
    assert "™" in " ".join(response.context["form"].errors["title"])


def _product_post(listing, lock_version, **changes):
    from listings.snapshot import build_snapshot

    product = build_snapshot(listing)["product"] | changes
    return {**{k: "\n".join(v) if isinstance(v, list) else v for k, v in product.items() if k != "additional_resources"},
            "additional_resources": "", "lock_version": lock_version}


def test_stale_form_is_refused_with_both_values_shown(client, listing, alice, bob):
    url = reverse("listing-section", args=[listing.id, "product"])
    seen = listing.sections.get(name="product").lock_version
    client.force_login(bob)
    assert client.post(url, _product_post(listing, seen, title="Bob's title")).status_code == 302
    client.force_login(alice)
    response = client.post(url, _product_post(listing, seen, title="Alice's title"))
    assert response.status_code == 409
    body = response.content.decode()
    assert "saved this section while you were editing" in body
    assert "Bob&#x27;s title" in body and "Alice&#x27;s title" in body  # theirs in the banner, mine in the form
    listing.refresh_from_db()
    assert listing.title == "Bob's title"


def test_section_form_shows_the_aws_limit_at_the_field(client, listing, alice):
    client.force_login(alice)
    seen = listing.sections.get(name="product").lock_version
    response = client.post(reverse("listing-section", args=[listing.id, "product"]),
                           _product_post(listing, seen, title="t" * 73))
    assert response.status_code == 400
    assert "at most 72" in " ".join(response.context["form"].errors["title"])


def test_live_check_reports_problems_without_saving(client, listing, alice):
    client.force_login(alice)
    seen = listing.sections.get(name="product").lock_version
    response = client.post(reverse("listing-section-check", args=[listing.id, "product"]),
                           _product_post(listing, seen, title="Churn ™"))
    assert response.status_code == 200 and "listing.E004" in response.content.decode()
    listing.refresh_from_db()
    assert "™" not in listing.title


def test_viewer_sees_a_read_only_section_and_cannot_post(client, listing, vera):
    client.force_login(vera)
    url = reverse("listing-section", args=[listing.id, "product"])
    assert "<fieldset disabled" in client.get(url).content.decode()
    response = client.post(url, _product_post(listing, 1, title="x"))
    assert response.status_code == 403


def test_model_package_has_no_hyperparameters_section(client, listing, alice):
    client.force_login(alice)
    assert client.get(reverse("listing-section", args=[listing.id, "hyperparameters"])).status_code == 404


def test_seller_cannot_open_the_review_queue_or_approve(client, ready_listing, alice):
    listing = ready_listing
    version = submitted_version(listing, alice)
    client.force_login(alice)
    assert client.get(reverse("review-queue")).status_code == 403
    assert client.post(reverse("review-approve", args=[version.id])).status_code == 404


def test_reviewer_queue_lists_submitted_versions(client, ready_listing, alice, rita):
    listing = ready_listing
    submitted_version(listing, alice)
    client.force_login(rita)
    assert listing.title in client.get(reverse("review-queue")).content.decode()


def test_login_is_rate_limited(client, alice, settings):
    from django.core.cache import cache

    cache.delete("login-attempts:127.0.0.1:alice")  # the cache is real Redis: forget earlier runs' attempts
    settings.LOGIN_ATTEMPTS_PER_WINDOW = 3
    for _ in range(3):
        assert client.post(reverse("login"), {"username": "alice", "password": "wrong"}).status_code == 200
    response = client.post(reverse("login"), {"username": "alice", "password": "correct-horse-battery-staple"})
    assert response.status_code == 429


def test_rules_page_lists_the_catalog(client, alice):
    client.force_login(alice)
    body = client.get(reverse("rules")).content.decode()
    assert "listing.E002" in body and "72" in body
