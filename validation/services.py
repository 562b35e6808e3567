"""Starting and executing validation runs; the only code that writes runs and findings."""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from listings.errors import NotAllowed
from listings.events import record_event
from listings.jobs import JobStatus
from listings.models import Listing
from listings.permissions import can_edit
from listings.snapshot import build_snapshot, content_hash
from listings.storage import artifact_storage, local_copy
from validation.checks.registry import STAGE_IMAGE_STATIC, ArtifactFile, Subject, ordered_checks
from validation.container.secrets import mask_text
from validation.engine import run_checks
from validation.models import Finding, RunReport, ValidationRun
from validation.selectors import report_key

log = logging.getLogger(__name__)


def validation_run_start(*, listing: Listing, actor, policy: str | None = None, trigger: str = "requested") -> ValidationRun:
    from validation.tasks import run_validation

    if actor is not None and not can_edit(actor, listing):
        raise NotAllowed("Only owners and editors can start a validation run.")
    snapshot = build_snapshot(listing)
    with transaction.atomic():
        run = ValidationRun.objects.create(
            listing=listing, content_hash=content_hash(snapshot), policy=policy or settings.VALIDATION_POLICY,
            created_by=actor,
        )
        record_event(listing=listing, type="validation.queued", actor=actor,
                     data={"run": str(run.id), "trigger": trigger, "policy": run.policy})
        transaction.on_commit(lambda: run_validation.delay(str(run.id)))
    return run


@contextmanager
def _heartbeat(run: ValidationRun, every: float = 20.0) -> Iterator[None]:
    """Keeps ``heartbeat_at`` fresh while a long check works, so the sweep only fails runs whose worker is
    gone (a killed worker takes this thread with it)."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            ValidationRun.objects.filter(pk=run.pk, status=JobStatus.RUNNING).update(heartbeat_at=timezone.now())
        connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{run.pk.hex[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def _progress_reporter(run: ValidationRun):
    """What a long check is doing, written at most twice a second."""
    last = [0.0]

    def report(note: str) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5:
            last[0] = now
            ValidationRun.objects.filter(pk=run.pk, status=JobStatus.RUNNING).update(
                progress_note=note[:200], heartbeat_at=timezone.now())

    return report


@contextmanager
def _subject_for(run: ValidationRun, *, progress: Callable[[str], None] | None = None,
                 keep: Callable[..., None] | None = None) -> Iterator[Subject]:
    """The listing as stored now, with each artifact as a local file (copied to scratch only from S3).

    If the content moved on since the run was queued, its content hash says so, and the submit rule (latest
    run of *this* content) keeps that honest.
    """
    settings.SCRATCH_ROOT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.SCRATCH_ROOT, prefix=f"run-{run.pk.hex[:8]}-") as scratch:
        files = tuple(
            ArtifactFile(kind=a.kind, path=local_copy(a.sha256, Path(scratch)), name=a.original_name,
                         sha256=a.sha256, tags=a.tags or {})
            for a in run.listing.artifacts.order_by("kind", "original_name")
        )
        yield Subject(listing=build_snapshot(run.listing), files=files,
                      progress=progress or _progress_reporter(run), keep=keep)


# -- the container phase's live lines and kept reports --------------------------------------------------------
LIVE_LOG_LINES = 200  # lines of the container phase kept on the run (the page shows them as they arrive)
LIVE_LOG_EVERY = 0.5  # seconds between writes of the live lines
REPORT_INLINE_MAX = 512 * 1024  # bytes of JSON kept in the report row; larger reports go to the artifact storage
REPORT_MAX = 64 * 1024 * 1024  # a report larger than this is not kept (its row says so)


class _LiveLog:
    """``report(text)`` from any thread (the checks run in a worker thread); a writer thread stores the last
    lines with their times, the progress note and the heartbeat, at most every ``every`` seconds — so no
    probe line is lost to throttling and the page, polling each second, shows each one as it happens."""

    def __init__(self, run: ValidationRun, *, every: float = LIVE_LOG_EVERY, size: int = LIVE_LOG_LINES) -> None:
        self.run_pk, self.every = run.pk, every
        self.t0 = time.monotonic()
        self.lines: deque[dict] = deque(maxlen=size)
        self.dirty = False
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def report(self, text: str) -> None:
        line = {"t": round(time.monotonic() - self.t0, 2), "text": mask_text(str(text)[:500])}
        with self.lock:
            self.lines.append(line)
            self.dirty = True

    def flush(self) -> None:
        with self.lock:
            if not self.dirty:
                return
            lines, self.dirty = list(self.lines), False
        ValidationRun.objects.filter(pk=self.run_pk, status=JobStatus.RUNNING).update(
            live_log=lines, progress_note=lines[-1]["text"][:200], heartbeat_at=timezone.now())

    def _loop(self) -> None:
        try:
            while not self.stop.wait(self.every):
                self.flush()
        finally:
            connection.close()

    def __enter__(self) -> _LiveLog:
        self.thread = threading.Thread(target=self._loop, name=f"live-log-{self.run_pk.hex[:8]}", daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=5)
        self.flush()  # the last lines, from this thread


class _Reports:
    """The ``keep`` sink of the subject: reports are held until their check finishes, then stored (from the
    service's own thread) by ``save``."""

    def __init__(self) -> None:
        self.pending: list[tuple[str, object, str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, kind: str, data: object, *, label: str = "", content_type: str = "application/json") -> None:
        with self.lock:
            self.pending.append((kind, data, label, content_type))

    def save(self, run: ValidationRun, check_name: str) -> None:
        with self.lock:
            pending, self.pending = self.pending, []
        for kind, data, label, content_type in pending:
            try:
                _save_report(run, check_name, kind, data, label=label, content_type=content_type)
            except Exception:  # a report that cannot be stored must not lose the run's findings
                log.exception("run %s: the %s report of %s could not be stored", run.pk, kind, check_name)


def _store_report_blob(content: bytes) -> tuple[str, str]:
    """Content-addressed in the artifact storage (a separate ``reports/`` prefix, so the artifacts' own
    clean-up never sees it); the same SBOM of the same image is stored once."""
    sha256 = hashlib.sha256(content).hexdigest()
    key = report_key(sha256)
    storage = artifact_storage()
    if not storage.exists(key):
        saved = storage.save(key, ContentFile(content))
        if saved != key:  # a concurrent run stored the same bytes meanwhile
            storage.delete(saved)
    return key, sha256


def _save_report(run: ValidationRun, check_name: str, kind: str, data: object, *, label: str,
                 content_type: str) -> RunReport:
    if isinstance(data, (bytes, str)):
        content, inline = (data.encode("utf-8") if isinstance(data, str) else data), None
    else:
        content = json.dumps(data, default=str, ensure_ascii=False).encode("utf-8")
        inline = json.loads(content) if len(content) <= REPORT_INLINE_MAX else None
    fields = {"check_name": check_name, "content_type": content_type[:100], "size": len(content),
              "data": inline, "storage_key": "", "sha256": ""}
    if len(content) > REPORT_MAX:
        fields["data"] = {"omitted": f"The {kind} report is {len(content):,} bytes, over the {REPORT_MAX:,} kept."}
    elif inline is None:
        fields["storage_key"], fields["sha256"] = _store_report_blob(content)
    report, _ = RunReport.objects.update_or_create(run=run, kind=kind[:32], label=label[:300], defaults=fields)
    if report.storage_key and not artifact_storage().exists(report.storage_key):
        _store_report_blob(content)  # another run's clean-up took the shared bytes between our check and our row
    return report


def report_deleted(sender, instance: RunReport, **kwargs) -> None:
    """``post_delete`` of a report (with its run, its listing, or a restarted phase): once committed, its
    stored content goes when no other report names it (the same SBOM may be kept by several runs)."""
    key = instance.storage_key
    if not key:
        return

    def forget() -> None:
        if not RunReport.objects.filter(storage_key=key).exists():
            try:
                artifact_storage().delete(key)
            except Exception:
                log.exception("could not delete the report content at %s", key)

    transaction.on_commit(forget)


def _needs_container_phase(subject: Subject) -> bool:
    aws = subject.listing.get("aws") if isinstance(subject.listing.get("aws"), dict) else {}
    return bool(subject.files_of("image") or aws.get("image_uri"))


def _claim(run_id) -> ValidationRun | None:
    """Compare-and-set queued → running, so a re-delivered task never runs a run twice at once."""
    now = timezone.now()
    claimed = ValidationRun.objects.filter(pk=run_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, attempts=1
    )
    if claimed:
        return ValidationRun.objects.select_related("listing").get(pk=run_id)
    # A worker killed mid-run leaves the row running; the broker re-delivers the task (acks_late). Take it
    # over and start clean: the earlier attempt's findings are removed in the same transaction.
    with transaction.atomic():
        run = (ValidationRun.objects.select_for_update()
               .filter(pk=run_id, status=JobStatus.RUNNING, phase="checks").first())
        if run is None:
            return None  # finished, failed, or already in its container phase: nothing to do (idempotent)
        run.findings.all().delete()
        run.attempts += 1
        run.started_at = run.heartbeat_at = timezone.now()
        run.checks_done = 0
        run.save(update_fields=["attempts", "started_at", "heartbeat_at", "checks_done"])
    return ValidationRun.objects.select_related("listing").get(pk=run_id)


def _run_stage(run: ValidationRun, subject: Subject, checks, *, done_before: int, total: int, position: int,
               reports: _Reports | None = None) -> int:
    """Runs ``checks``, saving progress and findings (and the reports they kept) as each finishes; returns
    the next finding position."""

    def on_progress(done: int, _total: int, check) -> None:
        ValidationRun.objects.filter(pk=run.pk).update(
            checks_total=total, checks_done=done_before + done, progress=int(100 * (done_before + done) / max(total, 1)),
            progress_note=check.title, heartbeat_at=timezone.now(),
        )

    def on_findings(check, findings) -> None:
        nonlocal position
        rows = []
        for f in findings:
            rows.append(Finding(run=run, check_name=check.name, code=f.code, severity=f.severity,
                                outcome=f.outcome, message=f.message, hint=f.hint, location=f.location,
                                source=f.source, measured=f.measured, position=position))
            position += 1
        Finding.objects.bulk_create(rows)
        if reports is not None:
            reports.save(run, check.name)

    with _heartbeat(run):
        run_checks(subject, policy=run.policy, checks=checks, on_progress=on_progress, on_findings=on_findings)
    return position


def _finish(run: ValidationRun) -> ValidationRun:
    findings = list(run.findings.all())
    summary = Counter(f"{f.outcome}_{f.severity}" if f.outcome == "failed" else str(f.outcome) for f in findings)
    verdict = "failed" if any(f.blocking for f in findings) else "passed"
    with transaction.atomic():
        ValidationRun.objects.filter(pk=run.pk, status=JobStatus.RUNNING).update(
            status=JobStatus.SUCCEEDED, verdict=verdict, progress=100, checks_done=F("checks_total"),
            progress_note="", finished_at=timezone.now(), summary=dict(summary),
        )
        record_event(listing=run.listing, type=f"validation.{verdict}",
                     data={"run": str(run.id), "summary": dict(summary)})
    run.refresh_from_db()
    return run


def validation_run_execute(*, run_id) -> ValidationRun | None:
    """The quick phase: every check before the image stages, in seconds. Hands over to the container
    phase when the listing has an image, else finishes the run."""
    from validation.tasks import run_container_validation

    run = _claim(run_id)
    if run is None:
        return None
    record_event(listing=run.listing, type="validation.started", data={"run": str(run.id), "attempt": run.attempts})
    checks = ordered_checks()
    quick = [c for c in checks if c.stage < STAGE_IMAGE_STATIC]
    with _subject_for(run) as subject:
        container = _needs_container_phase(subject)
        # Without an image the container checks only say "not run: no image", instantly: run them here.
        first = quick if container else checks
        _run_stage(run, subject, first, done_before=0, total=len(checks), position=0)
    if not container:
        return _finish(run)
    ValidationRun.objects.filter(pk=run.pk, status=JobStatus.RUNNING).update(
        phase="container", progress_note="Waiting for a container worker", heartbeat_at=timezone.now())
    transaction.on_commit(lambda: run_container_validation.delay(str(run.id)))
    run.refresh_from_db()
    return run


def validation_run_execute_container(*, run_id) -> ValidationRun | None:
    """The container phase, on the containers queue: image analysis and the rehearsal run."""
    with transaction.atomic():
        run = (ValidationRun.objects.select_for_update().select_related("listing")
               .filter(pk=run_id, status=JobStatus.RUNNING, phase="container").first())
        if run is None:
            return None
        checks = [c for c in ordered_checks() if c.stage >= STAGE_IMAGE_STATIC]
        redelivered = run.container_started_at is not None
        if redelivered:  # re-delivered after a worker died: start the phase clean
            run.findings.filter(check_name__in=[c.name for c in checks]).delete()
            run.reports.all().delete()
            run.attempts += 1
        run.container_started_at = run.heartbeat_at = timezone.now()
        run.live_log = []
        run.save(update_fields=["container_started_at", "heartbeat_at", "live_log", "attempts"])
    done_before = len(ordered_checks()) - len(checks)
    position = (run.findings.aggregate(m=Max("position"))["m"] or -1) + 1
    reports = _Reports()
    live = _LiveLog(run)
    if redelivered:
        live.report(f"Restarted (attempt {run.attempts}): the worker running this phase stopped.")
    with live, _subject_for(run, progress=live.report, keep=reports) as subject:
        _run_stage(run, subject, checks, done_before=done_before, total=len(ordered_checks()), position=position,
                   reports=reports)
    return _finish(run)


def validation_run_fail(*, run_id, error: str, actor=None) -> None:
    """The failure hook (and the admin's button): a run whose task broke is marked failed, never left running."""
    with transaction.atomic():
        failed = ValidationRun.objects.filter(pk=run_id, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).update(
            status=JobStatus.FAILED, error=error[:2000], finished_at=timezone.now()
        )
        if failed:
            run = ValidationRun.objects.select_related("listing").get(pk=run_id)
            record_event(listing=run.listing, type="validation.errored", actor=actor,
                         data={"run": str(run_id), "error": error[:500]})


def validation_run_retry(*, run_id, actor) -> ValidationRun | None:
    """An admin sends a stuck (or failed) run back to the queue; its partial findings are dropped."""
    from validation.tasks import run_validation

    with transaction.atomic():
        run = (ValidationRun.objects.select_for_update()
               .filter(pk=run_id, status__in=(JobStatus.RUNNING, JobStatus.FAILED)).first())
        if run is None:
            return None
        run.findings.all().delete()
        run.reports.all().delete()
        run.status, run.verdict, run.error, run.progress, run.checks_done = JobStatus.QUEUED, "", "", 0, 0
        run.started_at = run.finished_at = run.heartbeat_at = run.container_started_at = None
        run.phase, run.live_log = "checks", []
        run.save()
        record_event(listing=run.listing, type="validation.retried", actor=actor, data={"run": str(run.id)})
        transaction.on_commit(lambda: run_validation.delay(str(run.id)))
    return run
