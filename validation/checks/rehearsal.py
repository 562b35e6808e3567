"""The rehearsal run of the uploaded image (AWS_RULES.md §5): its own `serve` (and `train`), no network.

Runs after the static analysis (``STAGE_REHEARSAL``). Pure in the engine's sense — files in, findings out —
though it starts the container in a sandbox; it writes only inside its scratch folder (``SCRATCH_ROOT``
when Django is configured, else the system temp folder) and removes it. Each probe line goes to
``subject.report`` (the service shows it live on the run's page and keeps it); the captured logs, the
probes with their times, the outbound attempts and the timings are kept with the run (``Subject.attach``).

Budgets: AWS's by default; the ``REHEARSAL_BUDGETS`` setting (JSON of ``Budgets`` fields, e.g.
``{"startup": 20, "sigterm_grace": 5}``) shortens them, for tests and impatient deployments.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path

from validation.checks.registry import STAGE_REHEARSAL, Subject, check
from validation.container.rehearsal import CODES, DEFAULT_BUDGETS, Budgets, rehearse
from validation.container.rehearsal.inputs import inputs_from
from validation.findings import Finding
from validation.rules.rehearsal import RULES_BY_CODE as R

log = logging.getLogger(__name__)


def _setting(name: str, default=None):
    try:
        from django.conf import settings

        return getattr(settings, name, default)
    except Exception:  # Django not configured (the command-line pre-flight, plain tests)
        return default


def _scratch_root() -> str | None:
    root = _setting("SCRATCH_ROOT")
    if root is None:
        return None
    Path(root).mkdir(parents=True, exist_ok=True)
    return str(root)


def budgets() -> Budgets:
    """``DEFAULT_BUDGETS`` with the ``REHEARSAL_BUDGETS`` overrides; an unknown name is an error, not ignored."""
    overrides = dict(_setting("REHEARSAL_BUDGETS") or {})
    if not overrides:
        return DEFAULT_BUDGETS
    known = {f.name: f for f in dataclasses.fields(Budgets)}
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise ValueError(f"REHEARSAL_BUDGETS: unknown budgets {', '.join(unknown)} (known: {', '.join(known)})")
    typed = {k: type(getattr(DEFAULT_BUDGETS, k))(v) for k, v in overrides.items()}
    return dataclasses.replace(DEFAULT_BUDGETS, **typed)


def _kept(result) -> dict:
    """What the page and the reviewer need besides the findings: logs (capped, masked), probes, outbound."""
    data = result.as_dict()
    data.pop("findings", None)
    # Lists keep the runs' order (real-time, batch …); a JSON object's keys may come back sorted.
    data["logs"] = [{"run": label, "text": text} for label, text in result.logs.items()]
    data["timings"] = [{"run": label, **figures} for label, figures in result.timings.items()]
    return data


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
        log.debug("rehearsal: %s", text)  # kept with the run (its live lines); the worker's log stays quiet
        subject.report(f"Rehearsal: {text}")

    result = rehearse(subject, subject.listing, progress=progress, budgets=budgets(), scratch_root=_scratch_root())
    subject.attach("rehearsal", _kept(result), label=inputs_from(subject).image_name)
    for f in result.findings:
        if subject.keep is not None and f.code == "rehearsal.I023" and "log" in f.measured:
            # The log is kept once, with the rehearsal report; the finding keeps its figures.
            f = dataclasses.replace(f, measured={k: v for k, v in f.measured.items() if k != "log"})
        yield f
