"""Issue 5 in Debian's chromium: a seller attaches a container image through the page's upload form, watches
the analysis and the rehearsal run probe by probe in the live panel, and — for an image that calls out —
sees exactly which connection it tried. A real worker runs both phases (``validation`` then ``containers``).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.urls import reverse

from tests.container import imagebuild as ib
from tests.container import rehearsal_images as ri
from tests.e2e.conftest import SCREENSHOTS, screenshot
from tests.listing_builder import FIXTURES

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

JSON_ANSWER = (FIXTURES / "data" / "realtime_output.json").read_text()
CALLS_OUT = ("busybox nslookup api.example.com 2>&1 | head -3\n"
             "busybox nc -w 1 203.0.113.7 443 </dev/null 2>&1\n")
ACTIVE = ("Queued", "Running")


# The test server's handler, answering JSON in batch too (as the listing's endpoint declares).
BATCH_AS_CSV = """    elif [ "$SAGEMAKER_BATCH" = "true" ]; then
      printf 'batch,%s,%s\\n' "$SAGEMAKER_BATCH_STRATEGY" "$SAGEMAKER_MAX_PAYLOAD_IN_MB" > /tmp/answer.$$
      respond "200 OK" text/csv /tmp/answer.$$
"""
assert BATCH_AS_CSV in ri.HANDLER
JSON_HANDLER = ri.HANDLER.replace(BATCH_AS_CSV, "")


def build_image(path: Path, **settings: str) -> Path:
    # Healthy after 2 s (503 before): a rehearsal a person can follow, still only seconds long.
    layers = ri.server_layers(answer=JSON_ANSWER, answer_type="application/json", load_seconds="2",
                              extra={"opt/program/handler": ib.exe(JSON_HANDLER)}, **settings)
    return ri.build(path, layers)


def shots(page, name: str) -> None:
    """The whole page, and the validation panel alone (what this issue is about) beside it."""
    screenshot(page, name)
    page.locator("#validation-panel").screenshot(path=str(SCREENSHOTS / f"{name}-panel.png"))


def upload_image(page, live_server, listing, image: Path) -> None:
    page.goto(live_server.url + reverse("listing-detail", args=[listing.id]))
    form = page.locator("form.upload-form")
    form.wait_for()
    form.locator("[data-upload-kind]").select_option("image")
    form.locator("[data-upload-file]").set_input_files(str(image))
    form.locator("button:has-text('Upload')").click()


def watch_run(page, shot: str, timeout: float = 180) -> dict:
    """Poll the page (not the database) while the run is active: every probe line the panel showed, and the
    state it showed it in; returns when the panel says the run is over."""
    seen: dict[str, str] = {}
    snapshots = 0
    deadline = time.monotonic() + timeout
    page.wait_for_selector("[data-testid=run-status]")
    while time.monotonic() < deadline:
        state = page.evaluate("""() => {
            const badge = document.querySelector('[data-testid=run-status]');
            return {status: badge ? badge.textContent.trim() : '',
                    lines: [...document.querySelectorAll('[data-testid=probe-line]')].map(
                        li => li.dataset.stage + ': ' + li.querySelector('span').textContent.trim())};
        }""")
        active = state["status"] in ACTIVE
        for line in state["lines"]:
            seen.setdefault(line, state["status"])
        if active and state["lines"]:
            snapshots += 1
            if snapshots == 3:
                shots(page, shot)  # mid-run: the lines so far, the spinner
        if not active and state["status"]:
            return {"seen": seen, "final": state["status"]}
        time.sleep(0.15)
    raise AssertionError(f"the run did not finish within {timeout} s; lines seen: {list(seen)}")


def probes_while_running(seen: dict[str, str]) -> set[str]:
    """The distinct rehearsal probe lines that were on the page while the run was active."""
    return {line for line, status in seen.items() if status in ACTIVE and line.startswith("Rehearsal: ")}


def test_seller_watches_the_analysis_and_the_rehearsal_probe_by_probe(new_page, live_server, celery_worker_process,
                                                                      ready_listing, alice, tmp_path):
    seller = new_page(alice)
    upload_image(seller, live_server, ready_listing, build_image(tmp_path / "model-server.tar"))
    seller.wait_for_selector(".upload-queue :text('model-server.tar')")
    seller.wait_for_selector("[data-testid=container-panel]", timeout=60000)  # the quick phase handed over

    run = watch_run(seller, "container-running")
    live = probes_while_running(run["seen"])
    assert len(live) >= 2, f"fewer than two probe lines were shown while the run was active: {run['seen']}"
    assert any("/ping → 503" in line for line in live) or any("/ping → 200" in line for line in live), live
    assert any("Image model-server.tar: reading" in line for line in run["seen"]), run["seen"]

    panel = seller.locator("#validation-panel")
    text = panel.inner_text()
    assert "Container" in text and "Rehearsal run:" in text and "Static analysis:" in text
    for probe in ("/ping → 503", "/ping → 200", "POST /invocations", "SIGTERM"):
        assert probe in text, probe
    assert seller.locator("[data-testid=outbound]").count() == 0
    assert seller.locator("li.finding.failed[data-code='rehearsal.E020']").count() == 0
    # The SBOM is kept with the run and offered for download.
    with seller.expect_download() as download:
        seller.click("[data-testid=sbom-link]")
    assert download.value.suggested_filename == "sbom-model-server.tar.cdx.json"
    # The container's own log, secrets masked, folded under the findings.
    logs = seller.locator("[data-testid=container-logs]").first
    logs.locator("summary").click()
    assert "serve: starting on 8080" in logs.inner_text()
    logs.scroll_into_view_if_needed()
    shots(seller, "container-finished")


def test_seller_sees_exactly_which_connection_the_image_tried(new_page, live_server, celery_worker_process,
                                                              ready_listing, alice, tmp_path):
    seller = new_page(alice)
    upload_image(seller, live_server, ready_listing, build_image(tmp_path / "calls-out.tar", prelude=CALLS_OUT))
    seller.wait_for_selector("[data-testid=container-panel]", timeout=60000)
    run = watch_run(seller, "container-outbound-running")
    assert run["final"] == "Problems found"
    # The attempts were on the page as they happened …
    assert any("outbound DNS look-up of api.example.com" in line for line, status in run["seen"].items()
               if status in ACTIVE), run["seen"]
    # … and the result names each one: the DNS name looked up, the address and port connected to.
    outbound = seller.locator("[data-testid=outbound]")
    attempts = outbound.locator("[data-testid=outbound-attempt]").all_inner_texts()
    assert any(a.startswith("DNS look-up to api.example.com") for a in attempts), attempts
    assert any(a.startswith("TCP connection to 203.0.113.7:443") for a in attempts), attempts
    finding = seller.locator("li.finding[data-code='rehearsal.E020']").first
    assert "TCP connection to 203.0.113.7:443" in seller.locator("#validation-panel").inner_text()
    assert "error" in finding.get_attribute("class")
    outbound.scroll_into_view_if_needed()
    shots(seller, "container-outbound")
