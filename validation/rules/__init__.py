"""The rules catalog: every check's code, severity, AWS source, hint and limit, as data.

Each area keeps its rules in its own module (``listing``, ``notebook``, ``data``, ``container`` …) so that
the catalog grows without one giant file; this package joins them and refuses duplicate codes at import.
"""

from __future__ import annotations

from importlib import import_module

from validation.findings import Finding, Severity
from validation.rules.base import SOURCES, Rule

AREA_MODULES = ("engine", "listing", "request", "container", "registry", "notebook", "data", "logo", "docs", "rehearsal")


def _load() -> dict[str, Rule]:
    catalog: dict[str, Rule] = {}
    for name in AREA_MODULES:
        for item in import_module(f"validation.rules.{name}").RULES:
            if item.code in catalog:
                raise ImportError(f"duplicate rule code {item.code}")
            catalog[item.code] = item
    return dict(sorted(catalog.items()))


CATALOG: dict[str, Rule] = _load()


def rule(code: str) -> Rule:
    return CATALOG[code]


def limit(code: str):
    """The AWS number behind a rule — the only way forms and checks learn a limit."""
    return CATALOG[code].limit


# Policy profiles (DESIGN.md "Rules as data"): ``strict`` is AWS plus its best practice; ``aws-minimum``
# keeps only what AWS itself rejects and turns best-practice findings into information.
POLICIES = {
    "strict": "What AWS enforces plus AWS's best practice",
    "aws-minimum": "Only what AWS rejects; best practice shown as information",
}
DEFAULT_POLICY = "strict"


def apply_policy(finding: Finding, policy: str) -> Finding:
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")
    known = CATALOG.get(finding.code)
    if policy == "aws-minimum" and known is not None and not known.aws_rejects:
        from dataclasses import replace

        return replace(finding, severity=Severity.INFO)
    return finding


__all__ = ["CATALOG", "POLICIES", "DEFAULT_POLICY", "SOURCES", "Rule", "rule", "limit", "apply_policy"]
