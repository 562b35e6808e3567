"""The review pages as people use them: every review URL's roles and tenancy (charlie gets 404), forms, and
what each page shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from listings.models import Notification, ReviewComment, VersionStatus
from listings.review import services as review
from tests.helpers import submitted_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(warning_listing, alice, rita):
    """A submitted version with a warning, a thread and a waiver: something behind every review URL."""
    version = submitted_version(warning_listing, alice)
    thread = review.comment_add(listing=warning_listing, version=version, actor=rita, anchor_kind="field",
                                anchor="product.title", body="Shorter?")
    finding = version.validation_run.findings.get(code="listing.W007", outcome="failed")
    waiver = review.waiver_grant(version=version, finding_id=finding.pk, actor=rita, reason="Fine",
                                 expires_at=timezone.now() + timedelta(days=10))
    return {"listing": warning_listing, "version": version, "thread": thread, "finding": finding, "waiver": waiver}


def reviewer_urls(w) -> list[tuple[str, str, dict]]:
    """Reviewer-only: a 404 for everyone else (a seller does not learn which versions exist)."""
    v = w["version"].id
    return [
        ("get", reverse("review-version", args=[v]), {}),
        ("post", reverse("review-approve", args=[v]), {}),
        ("post", reverse("review-request-changes", args=[v]), {"reason": "x"}),
        ("post", reverse("review-claim", args=[v]), {}),
        ("post", reverse("review-assign", args=[v]), {"assignee": ""}),
        ("post", reverse("review-section-approve", args=[v, "product"]), {}),
        ("post", reverse("review-section-reopen", args=[v, "product"]), {}),
        ("post", reverse("review-comment-add", args=[v]), {"anchor_kind": "general", "body": "x"}),
        ("post", reverse("review-waiver-grant", args=[v]), {"finding": w["finding"].pk, "reason": "x",
                                                            "expires_on": "2099-01-01"}),
        ("post", reverse("review-waiver-revoke", args=[w["waiver"].id]), {}),
    ]


def team_urls(w) -> list[tuple[str, str, dict, bool]]:
    """Scoped to the listing's team (and reviewers): (method, url, data, is_write)."""
    listing, version, thread = w["listing"], w["version"], w["thread"]
    logo = next(a for a in version.snapshot["artifacts"] if a["kind"] == "logo")
    return [
        ("get", reverse("listing-compare", args=[listing.id]), {}, False),
        ("get", reverse("version-file", args=[version.id, logo["sha256"]]), {}, False),
        ("post", reverse("listing-comment-add", args=[listing.id]), {"body": "x"}, True),
        ("post", reverse("comment-reply", args=[thread.id]), {"body": "x"}, True),
        ("post", reverse("comment-resolve", args=[thread.id]), {}, True),
        ("post", reverse("comment-reopen", args=[thread.id]), {}, True),
    ]


def test_charlie_gets_404_on_every_review_url(client, world, charlie):
    client.force_login(charlie)
    for method, url, data in reviewer_urls(world):
        assert getattr(client, method)(url, data).status_code == 404, url
    for method, url, data, _ in team_urls(world):
        assert getattr(client, method)(url, data).status_code == 404, url


@pytest.mark.parametrize("persona", ["alice", "bob", "vera"])
def test_sellers_get_404_on_the_reviewers_urls(client, world, persona, request):
    client.force_login(request.getfixturevalue(persona))
    for method, url, data in reviewer_urls(world):
        assert getattr(client, method)(url, data).status_code == 404, url
    assert client.get(reverse("review-queue")).status_code == 403  # as before: the queue says it is for reviewers


def test_a_viewer_reads_but_cannot_write(client, world, vera):
    client.force_login(vera)
    for method, url, data, is_write in team_urls(world):
        status = getattr(client, method)(url, data).status_code
        assert status == (403 if is_write else 200), url
    assert ReviewComment.objects.count() == 1


def test_sellers_answer_and_resolve_on_their_listing(client, world, bob):
    client.force_login(bob)
    for method, url, data, _ in team_urls(world):
        assert getattr(client, method)(url, data).status_code in (200, 302), url
    assert ReviewComment.objects.filter(author=bob).count() == 2


def test_anonymous_is_sent_to_login_everywhere(client, world):
    urls = [(m, u, d) for m, u, d in reviewer_urls(world)] + [(m, u, d) for m, u, d, _ in team_urls(world)]
    urls += [("get", reverse("review-queue"), {}), ("get", reverse("notifications"), {}),
             ("post", reverse("notifications-read"), {})]
    for method, url, data in urls:
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_a_reviewer_on_the_listings_own_team_sees_but_cannot_decide(client, world, rita, team_a):
    team_a.memberships.create(user=rita, role="viewer")
    client.force_login(rita)
    page = client.get(reverse("review-version", args=[world["version"].id]))
    assert page.status_code == 200 and b"belongs to your own team" in page.content
    assert b'data-testid="approve"' not in page.content
    v = world["version"].id
    for name, data in (("review-approve", {}), ("review-request-changes", {"reason": "x"}), ("review-claim", {})):
        assert client.post(reverse(name, args=[v]), data).status_code == 403, name
    world["version"].refresh_from_db()
    assert world["version"].status == VersionStatus.SUBMITTED


def test_the_queue_shows_age_team_kind_validation_and_due(client, world, rita, ruth):
    client.force_login(rita)
    body = client.get(reverse("review-queue")).content.decode()
    assert world["listing"].title in body and "Team A" in body and "Model package" in body
    assert "1 warning" in body and "All 8 sections" in body and "Claim" in body
    client.post(reverse("review-claim", args=[world["version"].id]))
    assert world["listing"].title in client.get(reverse("review-queue"), {"view": "mine"}).content.decode()
    client.force_login(ruth)
    assert world["listing"].title not in client.get(reverse("review-queue"), {"view": "mine"}).content.decode()
    assert world["listing"].title not in client.get(reverse("review-queue"), {"view": "unassigned"}).content.decode()
    assert world["listing"].title not in client.get(reverse("review-queue"), {"kind": "algorithm"}).content.decode()
    assert world["listing"].title not in client.get(reverse("review-queue"), {"view": "overdue"}).content.decode()


def test_the_sla_is_set_in_the_admin_and_drives_overdue(client, world, rita, admin_client):
    from listings.models import ReviewSettings

    response = admin_client.post(reverse("admin:listings_reviewsettings_add"), {"sla_hours": "1"})
    assert response.status_code == 302
    assert ReviewSettings.objects.get().sla_hours == 1
    type(world["version"]).objects.filter(pk=world["version"].pk).update(created_at=timezone.now() - timedelta(hours=2))
    client.force_login(rita)
    body = client.get(reverse("review-queue"), {"view": "overdue"}).content.decode()
    assert world["listing"].title in body and 'data-testid="overdue"' in body


def test_the_review_page_shows_preview_report_scope_threads_and_timeline(client, world, rita):
    client.force_login(rita)
    page = client.get(reverse("review-version", args=[world["version"].id]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "As buyers will see it" in body and "<h2>What it does</h2>" in body  # markdown rendered
    assert "listing.W007" in body and "Waived" in body
    assert "Version 1: every section needs a look" in body
    assert "Shorter?" in body and "Timeline" in body and "waived listing.W007" in body
    assert body.count('class="comment-toggle"') > 20  # fields, findings, files, cells can all be commented


def test_request_changes_form_needs_a_reason(client, world, rita):
    client.force_login(rita)
    response = client.post(reverse("review-request-changes", args=[world["version"].id]), {"reason": ""})
    assert response.status_code == 400 and b"This field is required" in response.content


def test_the_loser_of_a_double_decision_is_told_why(client, world, rita, ruth):
    review.review_approve(version=world["version"], actor=ruth)
    client.force_login(rita)
    response = client.post(reverse("review-request-changes", args=[world["version"].id]), {"reason": "x"},
                           follow=True)
    assert "ruth already decided on this version" in response.content.decode()


def test_the_seller_sees_comments_and_waivers_on_the_listing_page(client, world, alice):
    client.force_login(alice)
    body = client.get(reverse("listing-detail", args=[world["listing"].id])).content.decode()
    assert "Review comments" in body and "Shorter?" in body and "Reply" in body
    assert "Waived warnings" in body and "listing.W007" in body
    assert "Waiting for a reviewer" in body


def test_compare_any_two_versions(client, world, alice, rita):
    from tests.review.conftest import set_product

    review.review_request_changes(version=world["version"], actor=rita, reason="Title", sections=["product"])
    set_product(world["listing"], title="Sentiment Analyzer")
    submitted_version(world["listing"], alice)
    client.force_login(alice)
    body = client.get(reverse("listing-compare", args=[world["listing"].id]), {"from": 1, "to": 2}).content.decode()
    assert "Sentiment Analyzer for English Reviews" in body and 'data-changed="yes"' in body
    client.force_login(rita)
    v2 = world["listing"].versions.get(number=2)
    body = client.get(reverse("review-version", args=[v2.id])).content.decode()
    assert "<strong>1 of 8</strong>" in body


def test_notifications_list_and_open(client, world, alice, charlie):
    n = Notification.objects.create(recipient=alice, kind="review.approved", title="Approved: x v1",
                                    url=reverse("listing-detail", args=[world["listing"].id]))
    client.force_login(alice)
    assert b'data-testid="bell-count">1<' in client.get(reverse("notifications")).content
    response = client.post(reverse("notification-open", args=[n.id]))
    assert response.status_code == 302 and response["Location"] == n.url
    n.refresh_from_db()
    assert n.read_at is not None
    client.force_login(charlie)
    assert client.post(reverse("notification-open", args=[n.id])).status_code == 404


def test_an_offsite_next_is_ignored(client, world, rita):
    client.force_login(rita)
    response = client.post(reverse("review-claim", args=[world["version"].id]), {"next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response["Location"]


def test_the_queue_does_not_query_per_row(client, team_a, alice, rita):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from listings.review.selectors import forget_queue_teams
    from tests.factories import ListingFactory
    from tests.review.test_concurrency import _submitted

    def add(n):
        for i in range(n):
            _submitted(ListingFactory(team=team_a, title=f"Queued {i} {ListingFactory._meta.model.objects.count()}"),
                       alice)
        forget_queue_teams()  # both views read the team filter afresh (a submission forgets it on commit)

    client.force_login(rita)
    add(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("review-queue")).status_code == 200
    add(4)
    with CaptureQueriesContext(connection) as more:
        body = client.get(reverse("review-queue")).content.decode()
    assert body.count('data-testid="queue-row"') == 6
    assert len(more.captured_queries) == len(few.captured_queries)


def _queue(team, owner, n: int, *, kind: str = "model_package", minutes: int = 0) -> None:
    """``n`` versions waiting for review, ``{kind} 000`` submitted first (the queue's top row)."""
    from listings.models import Listing, ListingVersion

    listings = Listing.objects.bulk_create(
        Listing(team=team, kind=kind, status="submitted", title=f"{kind} {i:03}", created_by=owner) for i in range(n))
    start = timezone.now() - timedelta(minutes=minutes + 2 * n)
    ListingVersion.objects.bulk_create(
        ListingVersion(listing=listing, number=1, snapshot={}, content_hash="0" * 64, created_by=owner,
                       created_at=start + timedelta(minutes=2 * i)) for i, listing in enumerate(listings))


def _queue_titles(body: str) -> list[str]:
    import re

    return re.findall(r'<tr data-testid="queue-row"[^>]*>\s*<td><a href="[^"]+">([^<]+)</a>', body)


def test_the_queue_shows_50_a_page_oldest_first(client, team_a, alice, rita):
    _queue(team_a, alice, 55)
    client.force_login(rita)
    url = reverse("review-queue")
    body = client.get(url).content.decode()
    assert _queue_titles(body) == [f"model_package {i:03}" for i in range(50)]
    assert "1–50 of 55 versions" in body and 'href="?page=2" rel="next"' in body
    second = client.get(url, {"page": 2}).content.decode()
    assert _queue_titles(second) == [f"model_package {i:03}" for i in range(50, 55)]
    assert "51–55 of 55 versions" in second and 'rel="next"' not in second
    assert 'name="next" value="/review/?page=2"' in second  # Claim comes back to the same page


def test_the_queue_pages_keep_view_team_kind_and_title_filters(client, team_a, team_b, alice, charlie, rita):
    _queue(team_a, alice, 60, kind="algorithm")
    _queue(team_a, alice, 10, kind="model_package", minutes=1)
    _queue(team_b, charlie, 5, kind="algorithm", minutes=2)
    client.force_login(rita)
    url = reverse("review-queue")
    query = {"view": "waiting", "team": str(team_a.pk), "kind": "algorithm", "q": "algo"}
    body = client.get(url, query).content.decode()
    assert _queue_titles(body) == [f"algorithm {i:03}" for i in range(50)]
    assert "1–50 of 60 versions" in body
    link = f"?view=waiting&amp;team={team_a.pk}&amp;kind=algorithm&amp;q=algo&amp;page=2"
    assert f'href="{link}" rel="next"' in body  # every filter rides along in the page links
    second = client.get(url, {**query, "page": 2}).content.decode()
    assert _queue_titles(second) == [f"algorithm {i:03}" for i in range(50, 60)]
    assert f'<option value="{team_a.pk}" selected>Team A</option>' in second  # the form still shows the filters
    assert 'value="algo"' in second
    everything = client.get(url, {"page": 2}).content.decode()
    assert len(_queue_titles(everything)) == 25 and "51–75 of 75 versions" in everything


def test_the_decided_view_pages_newest_decision_first(client, team_a, alice, rita):
    from listings.models import ListingVersion

    _queue(team_a, alice, 52)
    now = timezone.now()
    for i, version in enumerate(ListingVersion.objects.order_by("created_at")):
        ListingVersion.objects.filter(pk=version.pk).update(status="approved", decided_by=rita,
                                                            decided_at=now - timedelta(minutes=i))
    client.force_login(rita)
    body = client.get(reverse("review-queue"), {"view": "decided", "page": 2}).content.decode()
    assert _queue_titles(body) == ["model_package 050", "model_package 051"]
    assert "by rita" in body and 'href="?view=decided&amp;page=1" rel="prev"' in body
