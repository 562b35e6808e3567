"""The listing page and the review queue keep parts of themselves in the cache (issue 9, "Pages under load").

Every cached part is keyed by a stamp that changes with each write it shows (never by time alone): these tests
make the write, then look at the page, and expect the new state at once.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from listings import services
from listings.models import ListingSection
from listings.review import services as review_services
from tests.helpers import submitted_version, validate_now

pytestmark = pytest.mark.django_db


def _detail(client, listing) -> str:
    response = client.get(reverse("listing-detail", args=[listing.id]))
    assert response.status_code == 200
    return response.content.decode()


def _panel(body: str) -> str:
    """The validation panel, its CSRF tokens (fresh on every view, never cached) blanked."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "",
                  body[body.index('id="validation-panel"'):body.index('id="timeline"')])


def test_the_cached_run_panel_follows_edits_and_new_runs(client, listing, alice):
    client.force_login(alice)
    first = validate_now(listing, alice)
    body = _detail(client, listing)
    assert "Problems found" in body  # a draft with empty sections
    assert "The listing changed after this run" not in body
    assert _panel(_detail(client, listing)) == _panel(body)  # the second view: from the cache, the same

    # An edit: the run no longer matches the content, and the cached panel says so at once.
    section = ListingSection.objects.get(listing=listing, name="product")
    product = dict(section.data["product"])
    product["short_description"] = (product.get("short_description") or "") + " Now longer."
    data = dict(section.data, product=product)
    services.section_save(listing=listing, actor=alice, section="product", data=data,
                          lock_version=section.lock_version)
    assert "The listing changed after this run" in _detail(client, listing)

    # A new run: the page shows it, compared with the first one.
    second = validate_now(listing, alice)
    assert second.pk != first.pk
    body = _detail(client, listing)
    assert "The listing changed after this run" not in body
    assert "since the previous run:" in body
    assert _panel(body).count('class="finding failed') > 0


def test_a_retried_run_is_not_shown_from_the_cache(client, listing, alice, settings):
    from validation.models import ValidationRun

    client.force_login(alice)
    run = validate_now(listing, alice)
    assert "Problems found" in _detail(client, listing)
    # The run goes back to the queue (as an admin's retry does): the page shows it running, not the old panel.
    ValidationRun.objects.filter(pk=run.pk).update(status="queued", verdict="", finished_at=None)
    body = _detail(client, listing)
    assert "Problems found" not in body
    assert "Validate again" in body and "disabled" in body


def test_section_links_in_the_cached_panel_follow_the_viewer_role(client, listing, alice, vera):
    validate_now(listing, alice)
    client.force_login(alice)
    editor_links = _panel(_detail(client, listing)).count(">Open ")
    client.force_login(vera)  # a viewer: same run, same content, no link to a section form
    assert _panel(_detail(client, listing)).count(">Open ") == 0
    assert editor_links > 0
    client.force_login(alice)
    assert _panel(_detail(client, listing)).count(">Open ") == editor_links


def test_an_approval_and_a_new_draft_show_at_once(client, ready_listing, alice, rita):
    listing = ready_listing
    version = submitted_version(listing, alice)
    client.force_login(alice)
    body = _detail(client, listing)
    assert "Passed" in body and "Submit for review" not in body  # submitted: read-only
    services.review_approve(version=version, actor=rita)
    body = _detail(client, listing)
    assert 'data-testid="listing-status">Approved' in body


def test_queue_rows_show_a_claim_and_new_counts_at_once(client, ready_listing, alice, rita):
    listing = ready_listing
    version = submitted_version(listing, alice)
    client.force_login(rita)
    queue = reverse("review-queue")
    body = client.get(queue).content.decode()
    assert f'data-version="{version.pk}"' in body
    assert "Claim</button>" in body and "<strong>You</strong>" not in body
    body_again = client.get(queue).content.decode()  # the run's counts now come from the cache
    assert body_again.count("No problems") == body.count("No problems") == 1

    review_services.review_claim(version=version, actor=rita)
    body = client.get(queue).content.decode()
    assert "<strong>You</strong>" in body and "Claim</button>" not in body


def test_queue_counts_of_each_run_are_its_own(client, ready_listing, alice, rita):
    """A row's counts are those of its own run, read from the cache under that run's id."""
    from validation.models import Finding

    version = submitted_version(ready_listing, alice)
    client.force_login(rita)
    assert "No problems" in client.get(reverse("review-queue")).content.decode()
    # A finished run's counts are cached by its id: a different run is counted afresh, never read from another.
    run = version.validation_run
    Finding.objects.create(run=run, check_name="x", code="listing.W999", severity="warning", outcome="failed",
                           message="m", position=999)
    from django.core.cache import cache

    from listings.review.selectors import RUN_COUNTS_KEY

    cache.delete(f"{RUN_COUNTS_KEY}{run.pk}")  # (findings of a finished run never change in the app)
    assert "1 warning" in client.get(reverse("review-queue")).content.decode()


def test_a_first_submission_puts_its_team_in_the_queue_filter_at_once(
        client, ready_listing, alice, rita, django_capture_on_commit_callbacks):
    team = ready_listing.team
    option = f'<option value="{team.pk}">{team.name}</option>'
    client.force_login(rita)
    assert option not in client.get(reverse("review-queue")).content.decode()  # no version yet: not offered
    with django_capture_on_commit_callbacks(execute=True):  # the submission commits: the cached filter is dropped
        submitted_version(ready_listing, alice)
    assert option in client.get(reverse("review-queue")).content.decode()


def test_cached_queue_rows_are_the_viewers_own(client, ready_listing, alice, rita, django_user_model):
    """A row is cached under what it shows: the reviewer who claimed it sees "You", another reviewer their name."""
    from django.contrib.auth.models import Group

    version = submitted_version(ready_listing, alice)
    review_services.review_claim(version=version, actor=rita)
    other = django_user_model.objects.create_user("ruth", "ruth@example.com", "x" * 12)
    other.groups.add(Group.objects.get_or_create(name="reviewers")[0])
    client.force_login(rita)
    assert "<strong>You</strong>" in client.get(reverse("review-queue")).content.decode()
    client.force_login(other)
    body = client.get(reverse("review-queue")).content.decode()
    assert "<strong>You</strong>" not in body
    assert re.search(r'<td class="nowrap">\s*rita\s*</td>', body)
