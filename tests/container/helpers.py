"""Shared helpers for the container tests: analyse an archive and pick findings by code."""

from __future__ import annotations

from collections.abc import Mapping

from validation.container import analyse_image, findings
from validation.container.report import ImageReport
from validation.findings import Finding, Outcome

CPU_LISTING: dict = {
    "kind": "model_package",
    "instance_types": {"realtime": ["ml.m5.large"], "batch": ["ml.m5.xlarge"]},
    "endpoint": {"framework": "PyTorch", "framework_version": "2.1"},
}


def listing(**changes: object) -> dict:
    out = {**CPU_LISTING, **changes}
    return out


def analyse(path, lst: Mapping | None = None, **kw) -> tuple[ImageReport, list[Finding]]:
    lst = CPU_LISTING if lst is None else lst
    report = analyse_image(path, lst, **kw)
    return report, findings(report, lst)


def failed(fs: list[Finding], code: str) -> list[Finding]:
    return [f for f in fs if f.code == code and f.outcome == Outcome.FAILED]


def outcomes(fs: list[Finding], code: str) -> set[str]:
    return {str(f.outcome) for f in fs if f.code == code}


def all_failed(fs: list[Finding]) -> set[str]:
    return {f.code for f in fs if f.outcome == Outcome.FAILED}
