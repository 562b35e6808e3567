"""The rehearsal run of the uploaded image (AWS_RULES.md §5): its own `serve` (and `train`), no network.

Runs after the static analysis (``STAGE_REHEARSAL``). Pure in the engine's sense — files in, findings out —
though it starts the container in a sandbox; it writes only inside its scratch folder (``SCRATCH_ROOT``
when Django is configured, else the system temp folder) and removes it. Each probe line goes to
``subject.report`` (the service shows it live on the run's page) and to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from validation.checks.registry import STAGE_REHEARSAL, Subject, check
from validation.container.rehearsal import CODES, DEFAULT_BUDGETS, rehearse
from validation.findings import Finding
from validation.rules.rehearsal import RULES_BY_CODE as R

log = logging.getLogger(__name__)
def _scratch_root() -> str | None:
    try:
        from django.conf import settings

        root = getattr(settings, "SCRATCH_ROOT", None)
    except Exception:  # Django not configured (the command-line pre-flight, plain tests): the temp folder
        return None
    if root is None:
        return None
    Path(root).mkdir(parents=True, exist_ok=True)
    return str(root)


@check(
    name="container.rehearsal",
    title="Container rehearsal run",
    stage=STAGE_REHEARSAL,
    codes=CODES,
    time_limit=DEFAULT_BUDGETS.total + 300.0,  # the run stops itself at ``total``; the margin is for clean-up
)
def container_rehearsal(subject: Subject) -> Iterator[Finding]:
    if not subject.files_of("image"):
        for code in CODES:
            yield R[code].not_run("Not run: no container image is attached.", location="artifact:image")
        return
    def progress(text: str) -> None:
        log.info("rehearsal: %s", text)
        subject.report(f"Rehearsal: {text}")

    result = rehearse(subject, subject.listing, progress=progress, scratch_root=_scratch_root())
    yield from result.findings
