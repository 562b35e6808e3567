"""The container phase of a validation run, end to end on a real worker: a listing with an uploaded image
archive goes through the quick phase (``validation`` queue) and the container phase (``containers`` queue);
the image report, the SBOM and the rehearsal's logs and probes are kept with the run; the live lines are
stored as they happen; a network-calling image is told exactly which connection it tried; a worker killed
during the phase has its task re-delivered and the phase restarted clean.

The images are tiny busybox servers (``tests.container.rehearsal_images``); they answer at once, so AWS's
budgets (minutes) are never approached and the run takes seconds.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

from listings.jobs import JobStatus
from listings.storage import artifact_storage
from tests.container import rehearsal_images as ri
from tests.listing_builder import FIXTURES, attach
from tests.worker import wait_for
from validation.models import RunReport, ValidationRun
from validation.selectors import report_data, run_sbom
from validation.services import validation_run_start

JSON_ANSWER = (FIXTURES / "data" / "realtime_output.json").read_text()
# What the network-calling image does before serving: a DNS look-up, a TCP connection to an address and
# one to a name (the rehearsal's resolver answers with an address of its own, so the attempt is seen).
CALLS_OUT = ("busybox nslookup api.example.com 2>&1 | head -3\n"
             "busybox nc -w 1 203.0.113.7 443 </dev/null 2>&1\n"
             "busybox nc -w 1 models.example.org 80 </dev/null 2>&1\n")


def good_image(path: Path, **settings: str) -> bytes:
    """A SageMaker-style server answering JSON, as the complete listing's endpoint declares."""
    layers = ri.server_layers(answer=JSON_ANSWER, answer_type="application/json", **settings)
    return ri.build(path, layers).read_bytes()


def attach_image(listing, actor, content: bytes, name: str = "model-server.tar"):
    return attach(listing, kind="image", content=content, name=name, content_type="application/x-tar", actor=actor)


def finished(run_id):
    def check():
        run = ValidationRun.objects.get(pk=run_id)
        return run if run.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) else None
    return check


def texts(run: ValidationRun) -> list[str]:
    return [line["text"] for line in run.live_log]


def bare_run(listing, **fields) -> ValidationRun:
    """A run row no task was queued for (the session's worker must not pick it up)."""
    return ValidationRun.objects.create(listing=listing, content_hash="0" * 64, policy="strict", **fields)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_image_run_goes_through_both_phases_and_keeps_its_reports(celery_worker_process, ready_listing, alice,
                                                                  client, tmp_path):
    attach_image(ready_listing, alice, good_image(tmp_path / "good.tar"))
    run = validation_run_start(listing=ready_listing, actor=alice)
    done = wait_for(finished(run.pk), timeout=180, what="the worker to finish both phases")
    assert done.status == JobStatus.SUCCEEDED, done.error
    assert done.phase == "container" and done.container_started_at is not None
    checks = set(done.findings.values_list("check_name", flat=True))
    assert {"container.static", "container.rehearsal"} <= checks
    assert any(not name.startswith("container.") for name in checks)  # the quick phase ran first
    for code in ("rehearsal.E003", "rehearsal.E004", "rehearsal.E008", "rehearsal.E018", "rehearsal.E020"):
        assert set(done.findings.filter(code=code).values_list("outcome", flat=True)) == {"passed"}, code

    # The probe lines, stored as they happened, in order, with their times.
    lines = texts(done)
    assert any(t.startswith("Image model-server.tar: reading") for t in lines)
    assert any("Image model-server.tar: docker-save, 2 layers" in t for t in lines)
    assert any("Rehearsal: Real-time: /ping → 200" in t for t in lines)
    assert any("Rehearsal: Real-time: POST /invocations" in t for t in lines)
    assert any("SIGTERM" in t for t in lines)
    times = [line["t"] for line in done.live_log]
    assert times == sorted(times) and times[-1] > 0

    # The SBOM: CycloneDX JSON in the artifact storage (apart from the artifacts), readable for the bundle.
    sbom = json.loads(run_sbom(done))
    assert sbom["bomFormat"] == "CycloneDX"
    assert "busybox-static" in {c["name"] for c in sbom["components"]}
    kept = done.reports.get(kind="sbom")
    assert kept.storage_key.startswith("reports/sha256/") and artifact_storage().exists(kept.storage_key)
    assert kept.label == "model-server.tar" and kept.size == len(run_sbom(done))

    # The image report and the rehearsal's logs, probes and outbound attempts (none) are kept too.
    image = report_data(done.reports.get(kind="image"))
    assert image["format"] == "docker-save" and len(image["layers"]) == 2 and image["packages"] >= 1
    rehearsal = report_data(done.reports.get(kind="rehearsal"))
    assert rehearsal["outbound"] == [] and rehearsal["runner"]
    assert [log["run"] for log in rehearsal["logs"]] == ["Real-time", "Batch"]  # in the order they ran
    assert "serve: starting on 8080" in rehearsal["logs"][0]["text"]
    assert any("/ping" in p["text"] for p in rehearsal["probes"])
    # The log is kept once: the finding that counts it no longer carries it.
    assert all("log" not in f.measured for f in done.findings.filter(code="rehearsal.I023"))

    # The page: the container sub-panel with the lines, the image facts and a working SBOM link.
    client.force_login(alice)
    page = client.get(reverse("validation-run", args=[ready_listing.id, done.id])).content.decode()
    assert 'data-testid="container-panel"' in page
    assert page.count('data-testid="probe-line"') == len(done.live_log)
    assert "/ping → 200" in page and "Container log: Real-time" in page
    link = reverse("validation-run-report", args=[ready_listing.id, done.id, kept.pk])
    assert link in page
    download = client.get(link)
    assert download.status_code == 200 and download["Content-Type"] == "application/vnd.cyclonedx+json"
    assert "attachment" in download["Content-Disposition"]
    assert json.loads(download.content)["bomFormat"] == "CycloneDX"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_network_calling_image_is_told_which_connections_it_tried(celery_worker_process, ready_listing, alice,
                                                                  client, tmp_path):
    attach_image(ready_listing, alice, good_image(tmp_path / "calls-out.tar", prelude=CALLS_OUT),
                 name="calls-out.tar")
    run = validation_run_start(listing=ready_listing, actor=alice)
    done = wait_for(finished(run.pk), timeout=180, what="the worker to finish both phases")
    assert done.status == JobStatus.SUCCEEDED, done.error
    assert done.verdict == "failed"
    outbound = list(done.findings.filter(code="rehearsal.E020", outcome="failed"))
    messages = "\n".join(f.message for f in outbound)
    assert "DNS look-up of api.example.com" in messages
    assert "TCP connection to 203.0.113.7:443" in messages
    assert "TCP connection to models.example.org:80" in messages
    assert all(f.severity == "error" for f in outbound)
    targets = {(f.measured.get("kind"), f.measured.get("name"), f.measured.get("dst"), f.measured.get("port"))
               for f in outbound}
    assert ("tcp", None, "203.0.113.7", 443) in targets
    # Seen live, as each attempt happened, and kept with the run.
    assert any("outbound DNS look-up of api.example.com" in t for t in texts(done))
    assert any("outbound TCP connection to 203.0.113.7:443" in t for t in texts(done))
    assert report_data(done.reports.get(kind="rehearsal"))["outbound"]

    client.force_login(alice)
    page = client.get(reverse("validation-run", args=[ready_listing.id, done.id])).content.decode()
    assert 'data-testid="outbound"' in page
    assert "DNS look-up to <code>api.example.com</code>" in page
    assert "TCP connection to <code>203.0.113.7:443</code>" in page


def _pool_children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_killed_during_the_container_phase_is_redelivered(celery_worker_process, ready_listing, alice,
                                                                 tmp_path):
    # Healthy only after 3 s: the rehearsal is surely running when the worker's process is killed.
    attach_image(ready_listing, alice, good_image(tmp_path / "slow.tar", load_seconds="3"), name="slow.tar")
    run = validation_run_start(listing=ready_listing, actor=alice)

    def probing():
        r = ValidationRun.objects.get(pk=run.pk)
        return r if any("/ping → 503" in t for t in texts(r)) else None

    wait_for(probing, timeout=120, what="the rehearsal to probe /ping")
    children = _pool_children(celery_worker_process.pid)
    assert children, "the worker has no pool process"
    for pid in children:
        os.kill(pid, signal.SIGKILL)  # the task's process dies mid-rehearsal (OOM killer, node drained …)

    done = wait_for(finished(run.pk), timeout=180, what="the re-delivered task to finish the run")
    assert done.status == JobStatus.SUCCEEDED, done.error
    assert done.attempts >= 2
    assert texts(done)[0].startswith("Restarted (attempt")
    assert any("/ping → 200" in t for t in texts(done))
    # Started clean: one answer per rule and place, one report of each kind.
    assert done.findings.filter(code="rehearsal.I001").count() == 1
    healthy = [m.split(":")[0] for m in done.findings.filter(code="rehearsal.E004").values_list("message", flat=True)]
    assert sorted(healthy) == ["Batch", "Real-time"]
    assert sorted(done.reports.values_list("kind", flat=True)) == ["image", "rehearsal", "sbom"]
    # The killed attempt's sandbox went with its process (bubblewrap --die-with-parent).
    assert wait_for(lambda: not _sandboxes_of_dead_parents(), timeout=10, what="orphan sandboxes to go")


def _sandboxes_of_dead_parents() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")[0]
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if cmd.endswith(b"bwrap") and ppid == 1:
                found.append(int(entry.name))
    return found


# -- without a worker -----------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_stale_container_phase_is_swept(ready_listing, alice):
    from django.utils import timezone

    from validation.tasks import sweep_stale_jobs

    old = timezone.now() - timezone.timedelta(hours=3)
    run = bare_run(ready_listing, status=JobStatus.RUNNING, phase="container", container_started_at=old,
                   heartbeat_at=old)
    assert sweep_stale_jobs() >= 1
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED and "stopped responding" in run.error


@pytest.mark.django_db(transaction=True)
def test_live_lines_are_all_kept_however_fast_they_come(ready_listing, alice):
    from validation.services import LIVE_LOG_LINES, _LiveLog

    run = bare_run(ready_listing, status=JobStatus.RUNNING, phase="container")
    with _LiveLog(run, every=0.05) as live:
        workers = [threading.Thread(target=lambda n=n: [live.report(f"line {n}-{i}") for i in range(20)])
                   for n in range(3)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        time.sleep(0.2)
        stored = ValidationRun.objects.get(pk=run.pk)
        assert len(stored.live_log) == 60  # written by the writer thread meanwhile, none lost to throttling
        live.report("token=ghp_" + "a" * 36)  # a secret in a probe line is masked before it is stored
        for i in range(LIVE_LOG_LINES):
            live.report(f"later {i}")
    stored = ValidationRun.objects.get(pk=run.pk)
    assert len(stored.live_log) == LIVE_LOG_LINES and stored.live_log[-1]["text"] == f"later {LIVE_LOG_LINES - 1}"
    assert stored.progress_note == f"later {LIVE_LOG_LINES - 1}"


@pytest.mark.django_db
def test_reports_are_stored_inline_or_by_digest_and_forgotten_with_the_run(ready_listing, alice,
                                                                           django_capture_on_commit_callbacks):
    from validation import services

    run = bare_run(ready_listing)
    small = services._save_report(run, "container.static", "image", {"a": 1}, label="x.tar",
                                  content_type="application/json")
    assert small.data == {"a": 1} and not small.storage_key
    big = {"rows": ["y" * 1000] * (services.REPORT_INLINE_MAX // 1000 + 10)}
    large = services._save_report(run, "container.static", "image", big, label="big.tar",
                                  content_type="application/json")
    assert large.data is None and large.storage_key.startswith("reports/sha256/")
    assert report_data(large) == big
    sbom = services._save_report(run, "container.static", "sbom", '{"bomFormat": "CycloneDX"}', label="x.tar",
                                 content_type="application/vnd.cyclonedx+json")
    assert run_sbom(run) == b'{"bomFormat": "CycloneDX"}'
    # The same content for another run is stored once; it goes when no report names it any more.
    other = bare_run(ready_listing)
    twin = services._save_report(other, "container.static", "sbom", '{"bomFormat": "CycloneDX"}', label="x.tar",
                                 content_type="application/vnd.cyclonedx+json")
    assert twin.storage_key == sbom.storage_key
    with django_capture_on_commit_callbacks(execute=True):
        run.delete()
    assert artifact_storage().exists(sbom.storage_key) and not artifact_storage().exists(large.storage_key)
    with django_capture_on_commit_callbacks(execute=True):
        other.delete()
    assert not artifact_storage().exists(sbom.storage_key)
    assert not RunReport.objects.exists()


@pytest.mark.django_db
def test_a_run_without_an_image_has_no_sbom_and_no_container_panel(ready_listing, alice):
    from tests.helpers import validate_now

    section = ready_listing.sections.get(name="aws")
    section.data["aws"]["image_uri"] = ""  # no image archive and no image URI: no container phase
    section.save()
    run = validate_now(ready_listing, alice)
    assert run_sbom(run) is None and run.phase == "checks"
    from validation.presenters import run_panel_context

    assert run_panel_context(run, current=True)["container"] is None


def test_rehearsal_budgets_come_from_the_setting():
    from validation.checks.rehearsal import budgets
    from validation.container.rehearsal import DEFAULT_BUDGETS

    assert budgets() == DEFAULT_BUDGETS
    with override_settings(REHEARSAL_BUDGETS={"startup": "20", "sigterm_grace": 3}):
        b = budgets()
        assert (b.startup, b.sigterm_grace, b.invoke_realtime) == (20.0, 3.0, DEFAULT_BUDGETS.invoke_realtime)
    with override_settings(REHEARSAL_BUDGETS={"statup": 20}), pytest.raises(ValueError, match="statup"):
        budgets()


# -- the command-line pre-flight reads images too ---------------------------------------------------------------
def test_prep_check_reads_an_image_and_rehearses_it_only_with_run(tmp_path):
    from tests.cli.conftest import prep

    image = ri.build(tmp_path / "calls-out.tar", ri.server_layers(prelude=CALLS_OUT))
    static = prep("check", image, "--verbose")
    assert static.returncode == 0, static
    assert "ok   container.E001" in static.stdout and "rehearsal." not in static.stdout

    rehearsed = prep("check", image, "--run")
    assert rehearsed.returncode == 1, rehearsed  # calling out is a blocking failure
    assert "FAIL rehearsal.E020 error: Real-time: DNS look-up of api.example.com" in rehearsed.stdout
    assert "FAIL rehearsal.E020 error: Real-time: TCP connection to 203.0.113.7:443" in rehearsed.stdout
    # The probes are told as they happen, on stderr (stdout keeps the chosen format clean).
    assert "Rehearsal: Real-time: outbound DNS look-up of api.example.com" in rehearsed.stderr
    assert "Rehearsal: Real-time: /ping → 200" in rehearsed.stderr

    as_json = prep("check", image, "--run", "--format", "json")
    assert json.loads(as_json.stdout)["verdict"] == "failed"


def test_prep_check_takes_a_registry_reference_as_the_image_uri():
    from tests.cli.conftest import prep

    result = prep("check", "127.0.0.1:5999/seller/model:1.0", "--format", "json")
    findings = json.loads(result.stdout)["findings"]
    registry = [f for f in findings if f["check"] == "container.registry" and f["outcome"] == "failed"]
    # Read as the listing's image URI would be: the SSRF guard refuses loopback before any traffic.
    assert registry and "127.0.0.1" in registry[0]["message"], result
    assert result.returncode == 1
    assert not any(f["check"] == "container.rehearsal" for f in findings)
    missing = prep("check", "no-such-file.tar")
    assert missing.returncode == 2 and "No such file" in missing.stderr
