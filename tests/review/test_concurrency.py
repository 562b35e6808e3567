"""Two reviewers deciding at the same moment, really racing on PostgreSQL: two threads, two connections.

The decision is ``UPDATE … WHERE status = 'submitted'`` inside a transaction. The first UPDATE takes the row
lock; the second waits for it, and once the first commits PostgreSQL re-checks its WHERE and changes nothing.
The first test holds the winner's transaction open until the other connection is seen waiting on that lock
(pg_stat_activity), so the overlap is not left to chance.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from listings import services
from listings.errors import Conflict
from listings.jobs import JobStatus
from listings.models import ListingEvent, ListingVersion, Notification
from listings.review import services as review
from listings.snapshot import build_snapshot, content_hash
from validation.models import ValidationRun

pytestmark = pytest.mark.django_db(transaction=True)


def _submitted(listing, actor) -> ListingVersion:
    """A submitted version without running the checks (no worker races us for a task): a finished, passing run
    of exactly this content, as the gate requires."""
    ValidationRun.objects.create(listing=listing, content_hash=content_hash(build_snapshot(listing)),
                                 policy="strict", status=JobStatus.SUCCEEDED, verdict="passed")
    return services.listing_submit(listing=listing, actor=actor)


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # pg_stat_activity is otherwise frozen per transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND wait_event_type = 'Lock' AND query ILIKE 'UPDATE \"listings_listingversion\"%%'")
        return cursor.fetchone()[0]


def _race(decisions: dict, *, hold_first: bool) -> dict:
    """Run each named decision in its own thread (own connection), released together by a barrier."""
    results: dict = {}
    barrier = threading.Barrier(len(decisions))
    first_in = threading.Lock()
    saw_wait: list[bool] = []
    original = review.transition

    def held_transition(*args, **kwargs):
        # Runs right after this thread's UPDATE took the row lock, inside its transaction.
        if hold_first and first_in.acquire(blocking=False):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not _waiting_on_a_lock():
                time.sleep(0.02)
            saw_wait.append(bool(_waiting_on_a_lock()))
        return original(*args, **kwargs)

    def run(name, decide):
        try:
            barrier.wait(timeout=10)
            results[name] = decide()
        except Conflict as exc:
            results[name] = exc
        finally:
            connection.close()

    review.transition = held_transition
    try:
        threads = [threading.Thread(target=run, args=(name, decide)) for name, decide in decisions.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        review.transition = original
    if hold_first:
        assert saw_wait == [True], "the second decision never waited on the first one's row lock"
    return results


def test_approve_and_request_changes_at_once_leave_exactly_one_decision(ready_listing, alice, rita):
    from tests.factories import make_reviewer

    ruth = make_reviewer("ruth")
    version = _submitted(ready_listing, alice)
    results = _race({
        "rita": lambda: review.review_approve(version=ListingVersion.objects.get(pk=version.pk), actor=rita),
        "ruth": lambda: review.review_request_changes(version=ListingVersion.objects.get(pk=version.pk),
                                                      actor=ruth, reason="The pricing looks wrong."),
    }, hold_first=True)

    losers = {name: r for name, r in results.items() if isinstance(r, Conflict)}
    winners = [name for name, r in results.items() if isinstance(r, ListingVersion)]
    assert len(winners) == 1 and len(losers) == 1, results
    winner, (loser, conflict) = winners[0], next(iter(losers.items()))
    version.refresh_from_db()
    ready_listing.refresh_from_db()
    expected = "approved" if winner == "rita" else "changes_requested"
    assert version.status == expected and ready_listing.status == expected
    assert version.decided_by.username == winner
    assert f"{winner} already decided on this version" in str(conflict)  # the loser sees why
    decisions = ListingEvent.objects.filter(listing=ready_listing,
                                            type__in=["review.approved", "review.changes_requested"])
    assert decisions.count() == 1 and decisions.get().actor.username == winner
    assert Notification.objects.filter(recipient=alice, kind__startswith="review.").count() == 1


@pytest.mark.parametrize("round_", range(4))
def test_racing_decisions_never_both_stand(ready_listing, alice, rita, round_):
    from tests.factories import make_reviewer

    ruth = make_reviewer("ruth")
    version = _submitted(ready_listing, alice)
    results = _race({
        "rita": lambda: review.review_request_changes(version=ListingVersion.objects.get(pk=version.pk),
                                                      actor=rita, reason="Logo"),
        "ruth": lambda: review.review_approve(version=ListingVersion.objects.get(pk=version.pk), actor=ruth),
    }, hold_first=False)
    assert sorted(type(r).__name__ for r in results.values()) == ["Conflict", "ListingVersion"], results
    assert ListingEvent.objects.filter(listing=ready_listing, type__in=[
        "review.approved", "review.changes_requested"]).count() == 1


def test_two_reviewers_claiming_at_once_one_gets_it(ready_listing, alice, rita):
    from tests.factories import make_reviewer

    ruth = make_reviewer("ruth")
    version = _submitted(ready_listing, alice)
    results: dict = {}
    barrier = threading.Barrier(2)

    def claim(name, user):
        try:
            barrier.wait(timeout=10)
            results[name] = review.review_claim(version=ListingVersion.objects.get(pk=version.pk), actor=user)
        except Conflict as exc:
            results[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(n, u)) for n, u in (("rita", rita), ("ruth", ruth))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(type(r).__name__ for r in results.values()) == ["Conflict", "Review"], results
    assert ListingEvent.objects.filter(listing=ready_listing, type="review.claimed").count() == 1
