"""Two people (or one impatient double-click) doing the same thing at the same moment: exactly one outcome, and
the other party is told.

Each race is real: two requests in two threads, each with its own session and its own PostgreSQL connection.
To make sure they truly overlap — both read the old state before either writes — the test holds a row lock on
the contested row (``SELECT … FOR UPDATE`` on a third connection) until PostgreSQL reports both requests waiting
for it, then lets go.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from listings.models import Listing, ListingEvent, ListingSection, ListingVersion
from listings.section_forms import form_for
from listings.section_forms.rows import form_post_data
from listings.snapshot import build_snapshot
from tests.faults.conftest import producer_broker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _private_broker(private_redis):
    """Whatever the requests queue after commit (runs, notifications) goes to a private Redis nobody reads."""
    with producer_broker(private_redis.url):
        yield


def _waiting_on_locks() -> int:
    with connection.cursor() as cur:
        # Inside a transaction PostgreSQL keeps showing the first snapshot of pg_stat_activity: drop it first.
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
        return cur.fetchone()[0]


def race(row_lock, *requests):
    """Run ``requests`` (callables returning a response) in threads that collide on ``row_lock``, a queryset
    of the one row they both write. Returns the responses in the order given."""
    results: list = [None] * len(requests)
    errors: list = []
    start = threading.Barrier(len(requests) + 1)

    def worker(i, request):
        try:
            start.wait(timeout=10)
            results[i] = request()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=worker, args=(i, r)) for i, r in enumerate(requests)]
    with transaction.atomic():
        list(row_lock.select_for_update())  # hold the contested row …
        for t in threads:
            t.start()
        start.wait(timeout=10)
        deadline = time.monotonic() + 20
        while _waiting_on_locks() < len(requests):  # … until every request is queued behind it
            assert not errors, errors
            assert time.monotonic() < deadline, "the requests never met on the row lock"
            time.sleep(0.02)
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    return results


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _told(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- two browsers, one section -------------------------------------------------------------------------------

def test_two_browsers_saving_one_section_one_wins_the_other_sees_both_values(listing, alice, bob):
    form_class = form_for("product")
    url = reverse("listing-section", args=[listing.id, "product"])
    browsers = {"alice": _client(alice), "bob": _client(bob)}
    # Both open the form (same lock version), each types a different description, both press Save at once.
    row = ListingSection.objects.get(listing=listing, name="product")
    snapshot = build_snapshot(listing)
    posted = {}
    for who in browsers:
        form = form_class(initial={"lock_version": row.lock_version, **form_class.initial_from(snapshot["product"])},
                          snapshot=snapshot)
        posted[who] = form_post_data(form).dict() | {
            "short_description": f"Written by {who.title()}: sorts product reviews by sentiment."}

    responses = race(ListingSection.objects.filter(pk=row.pk),
                     *(lambda who=who: browsers[who].post(url, posted[who]) for who in browsers))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302, 409], statuses
    winner, loser = ("alice", "bob") if responses[0].status_code == 302 else ("bob", "alice")
    saved = ListingSection.objects.get(pk=row.pk)
    assert saved.lock_version == row.lock_version + 1  # one save, not two
    assert saved.data["product"]["short_description"].startswith(f"Written by {winner.title()}")
    page = responses[[*browsers].index(loser)].content.decode()
    assert "saved this section while you were editing" in page  # the loser is told …
    assert f"Written by {loser.title()}" in page  # … keeps what they typed …
    assert f"Written by {winner.title()}" in page  # … and sees what the winner saved
    assert ListingEvent.objects.filter(listing=listing, type="listing.section_saved").count() == 1


# -- a double-clicked submit -------------------------------------------------------------------------------

def test_a_double_clicked_submit_makes_one_version(ready_listing, alice):
    from tests.helpers import validate_now

    listing = ready_listing
    assert validate_now(listing, alice).verdict == "passed"
    url = reverse("listing-submit", args=[listing.id])
    first, second = _client(alice), _client(alice)  # two tabs, or two clicks that both left the browser

    responses = race(Listing.objects.filter(pk=listing.pk), lambda: first.post(url), lambda: second.post(url))

    assert [r.status_code for r in responses] == [302, 302]
    assert ListingVersion.objects.filter(listing=listing).count() == 1
    assert ListingEvent.objects.filter(listing=listing, type="version.created").count() == 1
    told = sorted((_told(r) for r in responses), key=lambda m: "frozen" in " ".join(m))
    assert any("already submitted" in m or "changed this listing first" in m for m in told[0]), told
    assert any("frozen and waiting for a reviewer" in m for m in told[1]), told


# -- two reviewers deciding at once --------------------------------------------------------------------------

def test_two_reviewers_deciding_at_once_one_decision_stands(ready_listing, alice, rita):
    from tests.factories import make_reviewer
    from tests.helpers import submitted_version

    rex = make_reviewer("rex")
    version = submitted_version(ready_listing, alice)
    approve = reverse("review-approve", args=[version.id])
    send_back = reverse("review-request-changes", args=[version.id])
    rita_browser, rex_browser = _client(rita), _client(rex)

    responses = race(ListingVersion.objects.filter(pk=version.pk),
                     lambda: rita_browser.post(approve),
                     lambda: rex_browser.post(send_back, {"reason": "The logo is blurry."}))

    version.refresh_from_db()
    assert version.status in ("approved", "changes_requested")
    winner = rita if version.status == "approved" else rex
    assert version.decided_by == winner
    decisions = ListingEvent.objects.filter(listing=ready_listing,
                                            type__in=("review.approved", "review.changes_requested"))
    assert decisions.count() == 1 and decisions.get().actor == winner
    loser_response = responses[1] if winner == rita else responses[0]
    assert loser_response.status_code == 302
    assert loser_response["Location"] == reverse("review-version", args=[version.id])
    [message] = _told(loser_response)
    assert f"{winner.username} already decided on this version" in message and "not recorded" in message
