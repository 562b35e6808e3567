"""The review workflow in Debian's chromium, with a real worker validating:

seller submits → reviewer comments on a field and a finding and requests changes → seller answers, fixes and
resubmits → the reviewer sees only the changed section flagged, waives the warning the seller kept (with a
reason and an expiry) and approves.
Plus two reviewers deciding at the same moment: one decision stands, the other is told why.
"""

from __future__ import annotations

import re

import pytest

from listings.models import ListingEvent, ListingVersion, Notification, ReviewComment
from tests.e2e.conftest import screenshot
from tests.factories import make_reviewer
from tests.listing_builder import complete_listing
from tests.review.conftest import LONG, set_product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _validate_and_submit(page):
    page.click("#validation-panel button:has-text('Validate')")
    page.wait_for_selector("[data-testid=run-status]:has-text('Passed')", timeout=60000)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Submit for review')")
    page.wait_for_selector("[data-testid=listing-status]:has-text('Submitted')")


def _comment(page, row_selector: str, text: str):
    row = page.locator(row_selector)
    row.locator("[data-testid=comment-toggle]").first.click()
    row.locator("textarea[name=body]").first.fill(text)
    row.locator("button:has-text('Add comment')").first.click()
    page.wait_for_selector(f"[data-testid=thread]:has-text('{text}')")


def test_changes_requested_then_a_scoped_re_review(new_page, live_server, celery_worker_process, team_a, alice, rita):
    listing = complete_listing(team_a, alice)
    set_product(listing, short_description=LONG)  # a warning (listing.W007): submittable, but needs a waiver

    # --- the seller validates and submits
    seller = new_page(alice)
    listing_url = f"{live_server.url}/listings/{listing.id}/"
    seller.goto(listing_url)
    _validate_and_submit(seller)
    assert "Waiting for a reviewer" in seller.inner_text("[data-testid=version-review-state]")

    # --- the reviewer finds it in the queue: age, team, kind, validation summary, due date
    reviewer = new_page(rita)
    reviewer.goto(f"{live_server.url}/review/")
    row = reviewer.locator("[data-testid=queue-row]")
    assert "Team A" in row.inner_text() and "1 warning" in row.inner_text() and "All 8 sections" in row.inner_text()
    screenshot(reviewer, "review-queue")
    row.locator("button:has-text('Claim')").click()
    reviewer.wait_for_selector("[data-testid=queue-row]:has-text('You')")
    reviewer.click(f"a:has-text('{listing.title}')")
    reviewer.wait_for_selector("h1:has-text('v1')")
    assert "Version 1: every section needs a look" in reviewer.inner_text("[data-testid=scope-summary]")
    assert reviewer.locator("#preview h3.bp-title").inner_text() == listing.title
    assert "Approval waits for 1 finding" in reviewer.inner_text("[data-testid=blockers]")
    screenshot(reviewer, "review-v1")

    # --- comments on a field and on a finding, then request changes (the product section is pre-ticked)
    _comment(reviewer, "[data-testid='field-product.title']", "Drop “for English Reviews”: it is cut on mobile.")
    _comment(reviewer, "[data-testid='finding-listing.W007']", "Please bring this under 350 characters.")
    assert reviewer.locator("input[name=sections][value=product]").is_checked()
    assert not reviewer.locator("input[name=sections][value=pricing]").is_checked()
    reviewer.fill("#id_reason", "Shorten the title and the short description; see the comments.")
    screenshot(reviewer, "review-v1-commented")
    reviewer.click("[data-testid=request-changes]")
    reviewer.wait_for_selector("text=Changes requested on version 1")

    # --- the seller reads the comments on the listing page, answers, fixes and resubmits
    seller.goto(listing_url)
    assert "Changes requested" in seller.inner_text("[data-testid=listing-status]")
    assert "2 open" in seller.inner_text("[data-testid=open-threads]")
    assert seller.locator("[data-testid=bell-count]").inner_text() == "3"  # 2 comments + the decision
    screenshot(seller, "review-seller-changes-requested")
    thread = seller.locator("[data-testid=thread]:has-text('cut on mobile')")
    thread.locator("textarea[name=body]").fill("Done: the title is now “Sentiment Analyzer”.")
    thread.locator("button:has-text('Reply')").click()
    seller.wait_for_selector("[data-testid=thread]:has-text('Done: the title')")

    thread = seller.locator("[data-testid=thread]:has-text('under 350 characters')")
    thread.locator("textarea[name=body]").fill("We would like to keep it: buyers asked for the training data.")
    thread.locator("button:has-text('Reply')").click()
    seller.wait_for_selector("[data-testid=thread]:has-text('buyers asked for the training data')")

    seller.goto(f"{listing_url}sections/product/")
    seller.fill("#id_title", "Sentiment Analyzer")
    seller.click("button:has-text('Save product information')")
    seller.wait_for_selector(".messages li.success")
    seller.goto(listing_url)
    _validate_and_submit(seller)
    state = seller.inner_text("[data-testid=version-review-state]")
    assert "To review again: Product information" in state

    # --- the reviewer sees only the changed section flagged, resolves the threads and approves
    reviewer.goto(f"{live_server.url}/review/")
    row = reviewer.locator("[data-testid=queue-row]")
    assert re.search(r"1\s+of 8 sections", row.inner_text())
    row.locator("a").first.click()
    reviewer.wait_for_selector("h1:has-text('v2')")
    assert "1 of 8" in reviewer.inner_text("[data-testid=scope-summary]")
    flagged = reviewer.locator(".scope-item[data-state=needs-look]")
    assert flagged.count() == 1 and "Product information" in flagged.inner_text()
    assert "Changed since the previous version" in flagged.inner_text()
    carried = reviewer.locator("[data-testid=scope-pricing]").text_content()
    assert "Unchanged since v1" in carried and "rita" in carried
    assert reviewer.locator("[data-testid=diff-product]").get_attribute("data-changed") == "yes"
    assert reviewer.locator("[data-testid=diff-pricing]").get_attribute("data-changed") == "no"
    assert "Sentiment Analyzer" in reviewer.inner_text("[data-testid='field-product.title']")
    assert "Done: the title" in reviewer.inner_text("#threads")  # the seller's answer, in the same thread
    screenshot(reviewer, "review-v2-scoped")

    # the warning the seller kept: waived with a reason and an expiry, which unblocks the approval
    assert "listing.W007" in reviewer.inner_text("[data-testid=blockers]")
    finding = reviewer.locator("[data-testid='finding-listing.W007']")
    finding.locator("[data-testid=waive-toggle]").click()
    finding.locator("textarea[name=reason]").fill("Longer than the guide suggests, well under AWS's limit; reads well.")
    screenshot(reviewer, "review-v2-waiver-form")
    finding.locator("button:has-text('Waive listing.W007')").click()
    reviewer.wait_for_selector("[data-testid='finding-listing.W007'] [data-testid=waived]")
    assert reviewer.locator("[data-testid=blockers]").count() == 0
    for _ in range(2):
        reviewer.locator("#threads [data-testid=thread]:not(.resolved) button:has-text('Resolve')").first.click()
        reviewer.wait_for_load_state()
    assert reviewer.locator("#threads [data-testid=thread].resolved").count() == 2
    reviewer.once("dialog", lambda dialog: dialog.accept())
    reviewer.click("[data-testid=approve]")
    reviewer.wait_for_selector("text=Nothing is waiting for review")

    seller.goto(listing_url)
    assert "Approved" in seller.inner_text("[data-testid=listing-status]")
    seller.click("[data-testid=bell]")
    assert "Approved: Sentiment Analyzer v2" in seller.inner_text(".notification-list")
    screenshot(seller, "review-notifications")

    v2 = ListingVersion.objects.get(listing=listing, number=2)
    assert v2.status == "approved" and v2.section_approvals.count() == 8
    assert ReviewComment.objects.filter(listing=listing, parent=None, resolved_at__isnull=False).count() == 2
    types = set(ListingEvent.objects.filter(listing=listing).values_list("type", flat=True))
    assert {"review.claimed", "comment.added", "comment.replied", "comment.resolved", "review.changes_requested",
            "review.scoped", "waiver.granted", "review.approved"} <= types


def _submitted_by_worker(listing, actor):
    """Validated by the session's real worker (it would race an in-process run for the task), then submitted."""
    from listings import services
    from tests.worker import wait_for
    from validation.models import ValidationRun
    from validation.services import validation_run_start

    run = validation_run_start(listing=listing, actor=actor)
    wait_for(lambda: ValidationRun.objects.get(pk=run.pk).verdict, timeout=60, what="the validation run")
    listing.refresh_from_db()
    return services.listing_submit(listing=listing, actor=actor)


def test_two_reviewers_decide_at_the_same_moment(new_page, live_server, celery_worker_process, ready_listing, alice,
                                                 rita):
    ruth = make_reviewer("ruth")
    version = _submitted_by_worker(ready_listing, alice)
    url = f"{live_server.url}/review/{version.id}/"
    first, second = new_page(rita), new_page(ruth)
    for page in (first, second):
        page.goto(url)
        page.on("dialog", lambda dialog: dialog.accept())
    second.fill("#id_reason", "The pricing looks wrong.")
    # Both click before either page has its answer.
    first.click("[data-testid=approve]", no_wait_after=True)
    second.click("[data-testid=request-changes]", no_wait_after=True)
    for page in (first, second):
        page.wait_for_selector(".messages li")
    texts = [page.inner_text(".messages") for page in (first, second)]
    losers = [t for t in texts if "already decided on this version" in t]
    assert len(losers) == 1, texts
    version.refresh_from_db()
    winner = "rita" if version.status == "approved" else "ruth"
    assert f"{winner} already decided" in losers[0]
    assert ListingEvent.objects.filter(listing=ready_listing,
                                       type__in=["review.approved", "review.changes_requested"]).count() == 1
    loser_page = second if version.status == "approved" else first
    assert loser_page.locator("[data-testid=decided-banner]").count() == 1  # and the page shows the decision
    screenshot(loser_page, "review-double-decision-loser")
    assert Notification.objects.filter(recipient=alice).count() == 1


def test_every_review_page_renders_cleanly(new_page, live_server, celery_worker_process, team_a, alice, rita,
                                           admin_user):
    """Each page of the workflow in chromium: no console error (a CSP violation is one), screenshots kept."""
    from listings.review import services as review

    listing = complete_listing(team_a, alice)
    set_product(listing, short_description=LONG)
    v1 = _submitted_by_worker(listing, alice)
    review.comment_add(listing=listing, version=v1, actor=rita, anchor_kind="cell",
                       anchor="model_package_template.ipynb#2", body="Pin the SDK version in this cell.")
    review.comment_add(listing=listing, version=v1, actor=rita, anchor_kind="artifact", anchor="logo/logo.png",
                       body="The logo has a white box around it.")
    review.review_request_changes(version=v1, actor=rita, reason="See the comments.", sections=["files"])
    set_product(listing, title="Sentiment Analyzer", highlights=[
        "Macro F1 0.91 on 50,000 held-out English reviews.",
        "35 ms median latency per request on ml.g5.xlarge.",
    ])
    from tests.review.conftest import set_section

    set_section(listing, "pricing", "pricing", {"model": "hourly", "free_trial_days": 14, "prices": {
        "ml.m5.large.m.i.r": "0.45", "ml.g5.xlarge.m.i.r": "1.20", "ml.m5.large.m.i.b": "0.40",
        "ml.g5.xlarge.m.i.b": "1.00"}})
    v2 = _submitted_by_worker(listing, alice)

    pages = {
        "review-page-queue": (rita, "/review/"),
        "review-page-v2": (rita, f"/review/{v2.id}/"),
        "review-page-compare": (alice, f"/listings/{listing.id}/compare/?from=1&to=2"),
        "review-page-listing": (alice, f"/listings/{listing.id}/"),
        "review-page-notifications": (rita, "/notifications/"),
        "review-page-decided": (rita, "/review/?view=decided"),
    }
    for name, (user, path) in pages.items():
        page = new_page(user)
        errors = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        screenshot(page, name)
        assert not errors, (name, errors)
    admin = new_page(admin_user, password="password")
    admin.goto(f"{live_server.url}/admin/listings/reviewsettings/add/")
    admin.fill("#id_sla_hours", "24")
    admin.click("input[name=_save]")
    admin.wait_for_selector("text=was added successfully")
    screenshot(admin, "review-page-admin-sla")
    assert "24" in admin.inner_text("#result_list")
