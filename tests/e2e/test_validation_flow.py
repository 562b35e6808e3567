"""Issue 4's "done means" in Debian's chromium: a seller with a flawed listing validates, sees each problem at
its field, notebook cell or file with the fix, corrects them through the artifact panel and the section form,
validates again and sees the run turn green, with what changed since the previous run.

The flaws are ones a seller can save (the forms refuse a 73-character title, so that is not one of them): a
declared input content type without a sample, a notebook with a template placeholder left in a code cell, and
an instance type without a price. A real worker runs every validation.
"""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from listings.models import Artifact, ListingSection
from tests.e2e.conftest import screenshot
from tests.listing_builder import FIXTURES, attach, complete_listing
from tests.worker import wait_for
from validation.models import ValidationRun

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PLACEHOLDER = '<your endpoint name>'
UNPRICED = "ml.g5.xlarge.m.i.b"  # ml.g5.xlarge, batch transform


def flawed_listing(team, actor):
    """The complete model package, then: no JSON input sample (the endpoint declares application/json), a
    placeholder in the notebook's subscribe cell, and no batch price for ml.g5.xlarge."""
    listing = complete_listing(team, actor)
    Artifact.objects.filter(listing=listing, original_name__in=["input.json", "batch.json"]).delete()
    Artifact.objects.filter(listing=listing, kind="notebook").delete()
    notebook = json.loads((FIXTURES / "notebooks" / "model_package_template.ipynb").read_text())
    cell = next(c for c in notebook["cells"] if c["cell_type"] == "code"
                and any("model_package_map[region]" in line for line in c["source"]))
    cell["source"].append(f'\nendpoint_name = "{PLACEHOLDER}"\n')
    attach(listing, kind="notebook", content=json.dumps(notebook, indent=1).encode(), name="Sentiment-draft.ipynb",
           content_type="application/x-ipynb+json", actor=actor)
    row = ListingSection.objects.get(listing=listing, name="pricing")
    del row.data["pricing"]["prices"][UNPRICED]
    row.save()
    return listing


def no_active_run(listing) -> bool:
    return not ValidationRun.objects.filter(listing=listing, status__in=("queued", "running")).exists()


def test_seller_fixes_each_problem_and_the_run_turns_green(new_page, live_server, celery_worker_process, alice,
                                                           team_a, tmp_path):
    listing = flawed_listing(team_a, alice)
    detail = live_server.url + reverse("listing-detail", args=[listing.id])
    seller = new_page(alice)
    seller.goto(detail)

    seller.click("#validation-panel button:has-text('Validate')")
    seller.wait_for_selector("[data-testid=run-status]:has-text('Problems found')", timeout=60000)
    panel = seller.locator("#validation-panel")
    assert "3 problems (3 blocking)" in panel.inner_text()

    # Each problem where it is fixed, with the fix.
    price = panel.locator("li.finding.failed[data-code='listing.E090']")
    assert "ml.g5.xlarge (batch)" in price.inner_text()
    assert "pricing.prices" in price.locator(".location").inner_text()
    assert "price" in price.locator(".hint").inner_text().lower()
    cell = panel.locator("li.finding.failed[data-code='notebook.E019']")
    assert PLACEHOLDER in cell.inner_text() and "Cell 3" in cell.inner_text()
    assert cell.locator(".location").inner_text() == "cell:3"
    assert cell.locator(".hint").inner_text().strip()
    sample = panel.locator("li.finding.failed[data-code='data.E005']")
    assert "application/json" in sample.inner_text()
    assert "input_content_types" in sample.locator(".location").inner_text()
    assert sample.locator(".hint").inner_text().strip()
    screenshot(seller, "validation-flow-problems")

    # The notebook and the sample, in the artifact panel: remove the draft, upload the finished one and the
    # missing JSON sample. Each change starts a run on its own (the worker takes them in turn).
    artifacts = seller.locator("#artifacts-panel")
    draft = artifacts.locator("li.artifact", has_text="Sentiment-draft.ipynb")
    seller.once("dialog", lambda dialog: dialog.accept())
    draft.locator("button:has-text('Remove')").click()
    draft.wait_for(state="detached")

    form = artifacts.locator("form.upload-form")
    form.locator("[data-upload-kind]").select_option("notebook")
    form.locator("[data-upload-file]").set_input_files(str(FIXTURES / "notebooks" / "model_package_template.ipynb"))
    form.locator("button:has-text('Upload')").click()
    artifacts.locator("li.artifact", has_text="model_package_template.ipynb").wait_for()

    sample_file = tmp_path / "reviews.json"
    sample_file.write_text('{"instances": ["The battery lasts all day, I love it."]}\n')
    form.locator("[data-upload-kind]").select_option("sample_data")
    form.locator("input[name=mode][value=realtime]").check()
    form.locator("input[name=direction][value=input]").check()
    form.locator("input[name=content_type]").fill("application/json")
    form.locator("[data-upload-file]").set_input_files(str(sample_file))
    form.locator("button:has-text('Upload')").click()
    added = artifacts.locator("li.artifact", has_text="reviews.json")
    added.wait_for()
    assert "real-time" in added.inner_text() and "input" in added.inner_text()

    # The automatic runs show progress: only the price is left.
    wait_for(lambda: no_active_run(listing), timeout=90, what="the automatic runs to finish")
    seller.goto(detail)
    seller.wait_for_selector("[data-testid=run-status]:has-text('Problems found')")
    assert panel.locator("li.finding.failed").count() == 1
    price = panel.locator("li.finding.failed[data-code='listing.E090']")

    # The price, through the finding's link to the pricing form.
    price.locator("a.location").click()
    seller.wait_for_selector("h1:has-text('Pricing')")
    assert "ml.g5.xlarge" in seller.inner_text("#section-findings")  # the form says what is missing, too
    seller.fill(f"input[name='price_{UNPRICED}']", "1.00")
    seller.click("#section-form button[type=submit]")
    seller.wait_for_selector(".messages :text('saved'), [role=status]:has-text('saved')")
    assert ListingSection.objects.get(listing=listing, name="pricing").data["pricing"]["prices"][UNPRICED] == "1.00"

    # Validate again: green, and what changed since the previous run.
    seller.goto(detail)
    seller.click("#validation-panel button:has-text('Validate again')")
    seller.wait_for_selector("[data-testid=run-status]:has-text('Passed')", timeout=60000)
    text = panel.inner_text()
    changes = re.search(r"since the previous run: (\d+) fixed, (\d+) new, (\d+) still failing", text)
    assert changes and int(changes[1]) >= 1 and changes.group(2, 3) == ("0", "0"), text
    assert "0 problems" in text
    assert seller.locator("button:has-text('Submit for review')").is_visible()
    screenshot(seller, "validation-flow-passed")
