"""The one result type every check returns.

Modelled on Django's system-check messages (``django/core/checks/messages.py``): a stable code, a severity,
and enough context for a seller to find and fix the problem without reading our source.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # AWS rejects the listing: blocks submission
    WARNING = "warning"  # best practice; a reviewer may waive it with a reason
    INFO = "info"  # a fact worth showing (sizes, timings), never blocks


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not_run"  # with a reason in ``message``; never shown green


@dataclass(frozen=True)
class Finding:
    """What one check concluded about one place.

    ``location`` names where the seller fixes it: a form field (``field:title``), a notebook cell
    (``cell:12``), a CSV cell (``file:data/input/batch/a.csv:row 3:col 2``), an image path (``layer:3:/etc/x``).
    ``measured`` carries figures (``{"length": 80, "max": 72}``) so pages and reports can show them.
    """

    code: str
    severity: Severity
    outcome: Outcome
    message: str
    hint: str = ""
    location: str = ""
    source: str = ""
    measured: dict = field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        return self.outcome == Outcome.FAILED and self.severity == Severity.ERROR

    def as_dict(self) -> dict:
        return {k: (str(v) if isinstance(v, StrEnum) else v) for k, v in asdict(self).items()}
