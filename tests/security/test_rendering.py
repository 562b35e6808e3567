"""Seller-written text is shown as text: HTML and script in every text field of every section, in Markdown, in
notebook cells and outputs (``text/html``, ``application/javascript``), in file names, comments and
notifications — on every page that shows them — never become markup.

The listings here are hostile from top to bottom: every string of a complete model package and a complete
algorithm is replaced by a payload naming where it sits (URL fields by a ``javascript:`` URL), written straight to
the database as a hostile API client or a compromised account might leave it. Each page is parsed: no inline
script, no event-handler attribute, no ``javascript:`` link, no frame, object or base tag may appear, and no
payload may appear unescaped. Then Debian's chromium visits the same pages (htmx panels included) and no dialog
may open.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from listings.models import Listing, ListingSection, ListingVersion, Notification, ReviewComment
from listings.sections import sections_for
from tests.listing_builder import attach

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def payload(where: str) -> str:
    return (f'<script>alert("{where}")</script><img src=x onerror=alert("{where}")>'
            f'"><svg onload=alert(1)><iframe src="javascript:alert(2)"></iframe>')


def url_payload(where: str) -> str:
    return f'javascript:alert("{where}")//"><script>alert(3)</script>'


def poison(value, path: str = ""):
    """Every string → a payload; keys a seller names (environment variables, price dimensions) too."""
    if isinstance(value, str):
        return url_payload(path) if "url" in path.rsplit(".", 1)[-1] else payload(path)
    if isinstance(value, list):
        return [poison(v, f"{path}[{i}]") for i, v in enumerate(value)] or [payload(f"{path}[0]")]
    if isinstance(value, dict):
        free_keys = path.endswith(("environment", "prices"))
        return {(payload(f"{path}.{k}") if free_keys else k): poison(v, f"{path}.{k}") for k, v in value.items()}
    return value


MARKDOWN = """# Usage <script>alert("md-script")</script>

[a link](javascript:alert("md-link")) and <a href="javascript:alert('md-a')">raw</a>
<img src=x onerror=alert("md-img")> <iframe src="https://evil.example/"></iframe>

```html
<script>alert("md-code")</script>
```
"""

NOTEBOOK = {
    "cells": [
        {"id": "intro", "cell_type": "markdown", "metadata": {}, "source": [MARKDOWN]},
        {"id": "try-it", "cell_type": "code", "metadata": {}, "execution_count": 1,
         "source": ['print("<script>alert(\'nb-src\')</script>")'],
         "outputs": [
             {"output_type": "display_data", "metadata": {},
              "data": {"text/html": ["<script>alert('nb-html')</script><img src=x onerror=alert('nb-img')>"],
                       "text/plain": ["<script>alert('nb-plain')</script>"]}},
             {"output_type": "execute_result", "execution_count": 1, "metadata": {},
              "data": {"application/javascript": ["alert('nb-js'); document.title = 'pwned'"],
                       "text/plain": ["<IPython.core.display.Javascript object>"]}},
             {"output_type": "stream", "name": "stdout", "text": ["<script>alert('nb-stream')</script>\n"]},
             {"output_type": "error", "ename": "<script>alert('nb-ename')</script>",
              "evalue": "<img src=x onerror=alert('nb-evalue')>", "traceback": ["<b onmouseover=alert(1)>tb</b>"]},
         ]},
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": payload("kernelspec"), "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def hostile_listing(team, alice, kind: str) -> Listing:
    from tests.factories import ListingFactory

    snapshot = json.loads((FIXTURES / "listings" / f"{kind}.json").read_text())
    listing = ListingFactory(team=team, kind=kind, created_by=alice, title=payload(f"{kind}.title")[:255])
    for spec in sections_for(kind):
        ListingSection.objects.filter(listing=listing, name=spec.name).update(
            data={key: poison(snapshot[key], key) for key in spec.keys})
    ListingSection.objects.filter(listing=listing, name="version").update(data={"version": {
        **poison(snapshot["version"], "version"), "usage_instructions": MARKDOWN}})
    attach(listing, kind="notebook", content=json.dumps(NOTEBOOK).encode(), actor=alice,
           name='<img src=x onerror=alert("nb-name")>.ipynb', content_type="application/x-ipynb+json")
    attach(listing, kind="logo", content=(FIXTURES / "logos" / "logo_transparent.png").read_bytes(), actor=alice,
           name="<script>alert('logo-name')</script>.png", content_type="image/png")
    attach(listing, kind="sample_data", content=b"a,b\n1,2\n", actor=alice, name='"><svg onload=alert(1)>.csv',
           content_type="text/csv", tags={"mode": "realtime", "direction": "input", "content_type": "text/csv"})
    attach(listing, kind="documentation", content=MARKDOWN.encode(), actor=alice, name="README<script>.md",
           content_type="text/markdown")
    return listing


def build(team, alice, rita):
    """Two hostile listings, validated; the model package submitted, with a comment thread and notifications."""
    from listings.events import record_event
    from listings.snapshot import build_snapshot, content_hash
    from tests.helpers import validate_now
    from validation import tasks

    listings = {kind: hostile_listing(team, alice, kind) for kind in ("model_package", "algorithm")}
    # Both phases of each run execute right here: nothing is queued for a worker.
    with mock.patch.object(tasks.run_validation, "delay"), mock.patch.object(tasks.run_container_validation, "delay"):
        runs = {kind: validate_now(listing, alice) for kind, listing in listings.items()}
    listing = listings["model_package"]
    snapshot = build_snapshot(listing)
    Listing.objects.filter(pk=listing.pk).update(status="submitted")
    version = ListingVersion.objects.create(listing=listing, number=1, snapshot=snapshot,
                                            content_hash=content_hash(snapshot), validation_run=runs["model_package"],
                                            created_by=alice)
    record_event(listing=listing, type="version.created", actor=alice, data={"version": 1, "note": payload("event")})
    ReviewComment.objects.create(listing=listing, version=version, body=payload("comment") + "\n" + MARKDOWN,
                                 author=rita, by_reviewer=True, anchor_kind="field", anchor="product.title",
                                 area="product")
    for user in (alice, rita):
        Notification.objects.create(recipient=user, kind="review.comment", listing=listing,
                                    title=payload("notification")[:255], body=payload("notification-body"),
                                    url="javascript:alert('notification-url')")
    return listings, runs, version


def pages(listings, runs, version) -> list[tuple[str, str]]:
    """(who, url) for every page that shows the hostile text."""
    out = [("alice", reverse("listing-list")), ("alice", reverse("notifications")), ("rita", reverse("notifications")),
           ("rita", reverse("review-queue")), ("rita", reverse("review-version", args=[version.id])),
           ("alice", reverse("listing-compare", args=[listings["model_package"].id])),
           ("rita", reverse("listing-compare", args=[listings["model_package"].id])),
           ("alice", reverse("rules")), ("ada", reverse("dashboard")), ("ada", reverse("dashboard-operations"))]
    for kind, listing in listings.items():
        run = runs[kind]
        out += [("alice", reverse("listing-detail", args=[listing.id])),
                ("alice", reverse("listing-timeline", args=[listing.id])),
                ("alice", reverse("artifact-list", args=[listing.id])),
                ("alice", reverse("artifact-panel", args=[listing.id])),
                ("alice", reverse("artifact-panel", args=[listing.id]) + "?part=list"),
                ("alice", reverse("validation-run", args=[listing.id, run.id]))]
        out += [("alice", reverse("listing-section", args=[listing.id, spec.name])) for spec in sections_for(kind)]
        api = f"/api/v1/listings/{listing.id}"
        out += [("alice", f"{api}/"), ("alice", f"{api}/artifacts/"), ("alice", f"{api}/runs/"),
                ("alice", f"/api/v1/runs/{run.id}/"), ("alice", "/api/v1/listings/")]
        out += [("alice", f"{api}/sections/{spec.name}/") for spec in sections_for(kind)]
    out += [("alice", f"/api/v1/versions/{version.id}/"), ("rita", "/api/v1/review/queue/")]
    return out


class Markup(HTMLParser):
    """What a page's markup would make a browser do."""

    DANGEROUS_TAGS = {"iframe", "frame", "object", "embed", "base", "applet", "frameset"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {k.lower(): (v or "") for k, v in attrs}
        if tag in self.DANGEROUS_TAGS:
            self.problems.append(f"<{tag}> tag")
        if tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler")
            if name in ("href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc") and \
                    "".join(value.split()).lower().startswith(("javascript:", "vbscript:", "data:text/html")):
                self.problems.append(f"<{tag} {name}={value[:40]!r}>")
        if tag == "script":
            data_block = attrs.get("type") == "application/json"  # DRF's CSRF settings: data, never run
            if not attrs.get("src", "").startswith("/static/") and not data_block:
                self.problems.append(f"<script> not from /static/: {attrs}")
            self._script = None if data_block else attrs

    def handle_data(self, data):
        if self._script is not None and data.strip():
            self.problems.append(f"inline script: {data.strip()[:60]!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def inert(html: str) -> list[str]:
    parser = Markup()
    parser.feed(html)
    parser.close()
    raw = [f"unescaped {s!r}" for s in ("<script>alert", "<img src=x onerror", "<svg onload", "<iframe src=")
           if s in html]
    return parser.problems + raw


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


@pytest.fixture
def cast(team_a, alice, db):
    from tests.factories import UserFactory, make_reviewer

    rita = make_reviewer("rita")
    ada = UserFactory(username="ada", is_staff=True)
    return {"alice": alice, "rita": rita, "ada": ada}


@pytest.mark.django_db
def test_every_page_shows_hostile_text_as_text(team_a, cast):
    listings, runs, version = build(team_a, cast["alice"], cast["rita"])
    assert runs["model_package"].findings.filter(outcome="failed").exists()  # findings quote the payloads
    browsers = {}
    problems, checked = [], 0
    for who, url in pages(listings, runs, version):
        if who not in browsers:
            browsers[who] = Client()
            browsers[who].force_login(cast[who])
        response = browsers[who].get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, (who, url, response.status_code)
        assert response["Content-Type"].startswith("text/html"), url
        html = _body(response)
        checked += html.count("alert(")  # payloads that reached the page (escaped)
        problems += [f"{url} ({who}): {p}" for p in inert(html)]
    assert not problems, "\n".join(problems[:60])
    assert checked > 200  # the payloads really were on the pages, as text


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_no_dialog_opens_in_a_real_browser(team_a, cast, new_page, live_server):
    listings, runs, version = build(team_a, cast["alice"], cast["rita"])
    dialogs: list[str] = []
    mp, alg = listings["model_package"], listings["algorithm"]
    # Server-side, every page is checked above; here, the pages that pull the most in (htmx panels, the run's
    # findings, notebook cells and comments on the review page, the browsable API).
    tour = {
        "alice": [reverse("listing-detail", args=[mp.id]), reverse("listing-detail", args=[alg.id]),
                  reverse("listing-section", args=[mp.id, "version"]),
                  reverse("listing-section", args=[mp.id, "endpoint"]),
                  reverse("listing-section", args=[alg.id, "hyperparameters"]),
                  reverse("listing-section", args=[alg.id, "training"]), reverse("artifact-list", args=[mp.id]),
                  reverse("listing-compare", args=[mp.id]), reverse("notifications"), f"/api/v1/listings/{mp.id}/"],
        "rita": [reverse("review-version", args=[version.id]), reverse("review-queue")],
    }
    for who, urls in tour.items():
        page = new_page(cast[who])
        page.on("dialog", lambda dialog: (dialogs.append(f"{dialog.message}"), dialog.dismiss()))
        for url in urls:
            page.goto(f"{live_server.url}{url}")
            page.wait_for_load_state("networkidle")  # htmx panels loaded
            assert "alert(" in page.content(), url  # the payloads are on the page — as text
            assert page.evaluate("document.title") != "pwned", url
    assert dialogs == []
