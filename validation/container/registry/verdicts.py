"""Registry problems in a report → findings, next to the image's own (``validation.container.verdicts``).

``container.verdicts.findings`` judges only ``container.*`` codes; a report read from a registry may also
carry ``registry.*`` problems. Every registry rule yields a finding per read: failed, passed (the image was
read) or not run (an earlier registry failure stopped the read).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from validation.container import verdicts as image_verdicts
from validation.container.report import ImageReport
from validation.findings import Finding
from validation.rules.registry import RULES_BY_CODE as R

CODES = tuple(R)
_MAX_PER_CODE = 20


# Problems on our side, not the listing's: without AWS credentials we could not look, which is "not run"
# (never green, never blamed on the seller's image).
_OUR_SIDE = frozenset({"registry.E009"})


def registry_findings(report: ImageReport, *, where: str = "image") -> list[Finding]:
    return list(_registry(report, where))


def _registry(report: ImageReport, where: str) -> Iterator[Finding]:
    by_code: dict[str, list] = {}
    for p in report.problems:
        if p.code in R:
            by_code.setdefault(p.code, []).append(p)
    stopped = "Not run: the registry read stopped at another registry failure."
    for code in CODES:
        probs = by_code.get(code, [])
        for p in probs[:_MAX_PER_CODE]:
            if code in _OUR_SIDE:
                yield R[code].not_run(f"Not run: {p.message}", location=p.location or where)
            else:
                yield R[code].failed(p.message, location=p.location or where, **p.measured)
        if len(probs) > _MAX_PER_CODE:
            yield R[code].failed(f"… and {len(probs) - _MAX_PER_CODE} more like this.", location=where)
        if not probs:  # the reference itself was fine whenever anything else was tried
            ok = not by_code or code == "registry.E001"
            yield R[code].passed(location=where) if ok else R[code].not_run(stopped, location=where)


def findings(report: ImageReport, listing: Mapping, *, role: str = "", where: str = "image") -> list[Finding]:
    """The registry's findings, then the image's (the same as for an archive)."""
    return registry_findings(report, where=where) + image_verdicts.findings(report, listing, role=role, where=where)
