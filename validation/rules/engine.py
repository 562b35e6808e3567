"""Findings the engine itself writes when a check cannot give an answer."""

from __future__ import annotations

from validation.findings import Severity
from validation.rules.base import Rule

RULES = [
    Rule("engine.E001", "A check crashed", Severity.ERROR, "FAQ", "",
         "This is our bug, not yours; the other checks still ran. Validate again; if it persists, tell support."),
    Rule("engine.E002", "A check ran out of time", Severity.ERROR, "FAQ", "",
         "Large or unusual files can make a check slow. Validate again; if it persists, tell support."),
]
