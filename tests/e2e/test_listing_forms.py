"""Issue 3's "done means" in Debian's chromium: a seller fills a complete model package and a complete algorithm
through the section forms, with the values of tests/fixtures/listings/*.json, and the saved listing is exactly
the fixture (the forms lose nothing); invalid values get a clear error at their field.

What the browser types is what the form would post for the fixture (``form_post_data`` of the section's form
drawn with the fixture's values), set control by control: rows added with the page's "Add" buttons (the
JavaScript that clones the row template), boxes checked, options chosen, text typed. Only controls whose value
differs from what the page shows are touched, so a page with hundreds of instance-type boxes stays quick.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from listings.models import Listing, ListingSection
from listings.section_forms import form_for
from listings.section_forms.rows import form_post_data
from listings.sections import sections_for
from listings.snapshot import build_snapshot
from tests.e2e.conftest import screenshot
from tests.listing_builder import FIXTURES

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

_SKIP = ("csrfmiddlewaretoken", "lock_version")
_MANAGEMENT = ("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS")

# Every named control of the section form as the page has it now (row templates and disabled controls aside).
# ``nth``: the control's place among the page's controls of that name (radio buttons and boxes share names).
_CONTROLS = """() => { const seen = {}; return [...document.querySelectorAll('#section-form [name]')]
  .map(e => ({e, nth: (seen[e.name] = (seen[e.name] ?? -1) + 1)}))
  .filter(({e}) => !e.disabled && !e.closest('fieldset[disabled]'))
  .map(({e, nth}) => ({name: e.name, nth, tag: e.tagName.toLowerCase(), type: (e.type || '').toLowerCase(), value: e.value,
              checked: !!e.checked, visible: !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length),
              selected: e.tagName === 'SELECT' ? [...e.selectedOptions].map(o => o.value) : []})); }"""


def fixture(kind: str) -> dict:
    return json.loads((FIXTURES / "listings" / f"{kind}.json").read_text())


def target_post(snapshot: dict, section: str) -> dict[str, list[str]]:
    """What the section's form posts when drawn with ``snapshot``'s values (as the page would after a save)."""
    form_class = form_for(section)
    form = form_class(initial={"lock_version": 1, **form_class.initial_from(snapshot[form_class.key])},
                      snapshot=snapshot)
    data = form_post_data(form)
    return {name: data.getlist(name) for name in data}


def _css(name: str) -> str:
    return '#section-form [name="' + name.replace("\\", "\\\\").replace('"', '\\"') + '"]'


def add_rows(page, target: dict[str, list[str]]) -> None:
    """Click each rowset's "Add" until it has as many rows as the target posts."""
    for name, values in target.items():
        if not name.endswith("-TOTAL_FORMS"):
            continue
        prefix = name[: -len("-TOTAL_FORMS")]
        rows = page.locator(f"[data-rowset='{prefix}'] [data-rows] > li")
        for _ in range(int(values[0]) - rows.count()):
            page.click(f"[data-add-row='{prefix}']")
        assert rows.count() == int(values[0]), prefix


def set_controls(page, target: dict[str, list[str]]) -> None:
    """Make every control show the target's value: choices first (they may show or hide other parts), then text,
    then the choices whose options come from what was typed (a tuning objective names one of the metrics)."""
    for choices_first in (True, False, True):
        for c in page.evaluate(_CONTROLS):  # read again each pass: choices may have changed the page
            name = c["name"]
            if name in _SKIP or name.endswith(_MANAGEMENT) or c["type"] in ("hidden", "submit", "button", "file"):
                continue
            want = target.get(name, [])
            is_choice = c["type"] in ("checkbox", "radio") or c["tag"] == "select"
            if is_choice != choices_first:
                continue
            if c["type"] in ("checkbox", "radio"):
                checked = c["value"] in want
                if checked != c["checked"] and (checked or c["type"] == "checkbox"):
                    box = page.locator(_css(name)).nth(c["nth"])
                    if not box.is_visible():  # in a closed family (<details>): open it, as a person would
                        box.locator("xpath=ancestor::details[1]/summary").click()
                    box.set_checked(checked)
            elif c["tag"] == "select":
                select = page.locator(_css(name)).nth(c["nth"])
                offered = select.evaluate("e => [...e.options].map(o => o.value)")
                if c["selected"] != want and (want or c["selected"] != [""]) and set(want) <= set(offered):
                    select.select_option(want or [""])
            elif c["value"] != (want[0] if want else ""):
                if not c["visible"]:
                    raise AssertionError(f"{name} must be {want!r} but is not shown")
                page.locator(_css(name)).nth(c["nth"]).fill(want[0] if want else "")


def save_section(page, title: str) -> None:
    with page.expect_navigation():
        page.click("#section-form button.primary:has-text('Save')")
    saved = page.locator(f":text('{title} saved.')")
    if not saved.count():
        errors = page.locator("#section-form .errorlist").all_inner_texts()
        screenshot(page, f"forms-not-saved-{title.lower().replace(' ', '-')}")
        raise AssertionError(f"{title} was not saved: {errors}")


def open_section(page, live_server, listing, name: str) -> None:
    page.goto(live_server.url + reverse("listing-section", args=[listing.id, name]))
    page.wait_for_selector("#section-form")


def create_listing(page, kind: str, snapshot: dict) -> Listing:
    page.click("text=New listing")
    page.check(f"input[value={kind}]")
    page.fill("#id_title", snapshot["product"]["title"])
    page.fill("#id_short_description", snapshot["product"]["short_description"])
    page.click("button:has-text('Create listing')")
    page.wait_for_selector(f"h1:has-text('{snapshot['product']['title']}')")
    return Listing.objects.get(title=snapshot["product"]["title"])


def fill_every_section(page, live_server, listing, snapshot: dict) -> None:
    for spec in sections_for(listing.kind):
        open_section(page, live_server, listing, spec.name)
        target = target_post(snapshot, spec.name)
        add_rows(page, target)
        set_controls(page, target)
        save_section(page, spec.title)
        # The page after the save is the form drawn from what was stored: it must show the fixture again.
        shown = {c["name"] for c in page.evaluate(_CONTROLS)}
        assert shown, spec.name


def sections_of(snapshot: dict, kind: str) -> dict:
    """The sections' data. Lists edited as checkboxes (instance types, a channel's input modes) are sets to AWS;
    checked on a page they are saved in the page's order (what the seller had saved keeps its place), so they
    compare as sets."""
    sections = {key: json.loads(json.dumps(snapshot[key])) for spec in sections_for(kind) for key in spec.keys}
    for mode in ("realtime", "batch", "training"):
        sections["instance_types"][mode] = sorted(sections["instance_types"][mode])
    for channel in sections.get("channels", []):  # a channel's input modes and compressions are boxes too
        for key in ("input_modes", "compression"):
            channel[key] = sorted(channel[key])
    return sections


@pytest.mark.parametrize("kind", ["model_package", "algorithm"])
def test_seller_fills_a_complete_listing_through_the_forms(new_page, live_server, alice, kind):
    expected = fixture(kind)
    page = new_page(alice)
    listing = create_listing(page, kind, expected)
    fill_every_section(page, live_server, listing, expected)

    saved = build_snapshot(Listing.objects.get(pk=listing.pk))
    saved.pop("artifacts")
    got, want = sections_of(saved, kind), sections_of(expected, kind)
    for key in want:  # one key at a time, so a difference names its section
        assert got[key] == want[key], f"{key}:\n saved    {json.dumps(got[key])}\n expected {json.dumps(want[key])}"
    # Nothing left for the seller to do in the forms: every section complete, no blocking problem shown.
    page.goto(live_server.url + reverse("listing-detail", args=[listing.id]))
    assert "Overall 100% complete" in page.inner_text("nav.section-nav")
    assert page.locator("nav.section-nav .badge.error").count() == 0
    screenshot(page, f"forms-complete-{kind}")


def _error_at(page, name: str) -> str:
    """The error text shown with the control ``name`` (its field wrapper or its table row)."""
    control = page.locator(_css(name)).first
    holder = control.locator("xpath=ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' has-error ')][1]")
    assert holder.count(), f"no error is shown at {name}"
    return holder.locator(".errorlist").first.inner_text()


def test_invalid_values_get_a_clear_error_at_their_field(new_page, live_server, alice, team_a):
    from tests.listing_builder import complete_listing

    listing = complete_listing(team_a, alice, kind="algorithm")
    page = new_page(alice)

    def attempt(section: str, name: str, value: str, expect: tuple[str, ...], title: str) -> str:
        open_section(page, live_server, listing, section)
        before = ListingSection.objects.get(listing=listing, name=section).data
        if page.locator(_css(name)).evaluate("e => e.tagName") == "SELECT":
            page.select_option(_css(name), value)
        else:
            page.fill(_css(name), value)
        with page.expect_navigation():
            page.click("#section-form button.primary:has-text('Save')")
        text = _error_at(page, name)
        for word in expect:
            assert word in text, (name, text)
        assert page.locator(f".messages :text('{title} saved')").count() == 0
        assert ListingSection.objects.get(listing=listing, name=section).data == before  # nothing saved
        return text

    keywords = "\n".join([*fixture("algorithm")["product"]["search_keywords"], "k" * 51])
    attempt("product", "search_keywords", keywords, ("50",), "Product information")
    screenshot(page, "forms-error-keyword")
    attempt("legal", "refund_policy", "Refunds within 30 days → no questions asked.", ("→",), "Legal and support")
    hyperparameters = fixture("algorithm")["hyperparameters"]
    ranged = next(i for i, h in enumerate(hyperparameters) if h["type"] == "Integer" and h["max"])
    too_big = str(int(hyperparameters[ranged]["max"]) + 1000)
    attempt("hyperparameters", f"hyperparameters-{ranged}-default", too_big, ("range",), "Hyperparameters")
    screenshot(page, "forms-error-hyperparameter")
    attempt("pricing", "price_ml.m5.large.m.i.r", "0.123456789", ("decimal",), "Pricing")
    attempt("aws", "account_id", "12345678901", ("12",), "AWS settings")
    screenshot(page, "forms-error-account")
