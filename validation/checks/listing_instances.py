"""Instance-type checks (AWS_RULES.md §2 recommended types, §4 supported types per mode).

The types SageMaker offers per mode come from botocore's enums at run time (``validation.aws_models``), so a new
family is accepted as soon as boto3 is upgraded and a typo such as ``ml.m5.larg`` is caught before AWS sees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from validation.aws_models import instance_types
from validation.checks.listing_values import Report, kind_of, listed, loc, plural, shown
from validation.checks.registry import STAGE_METADATA, Subject, check
from validation.findings import Finding
from validation.rules import limit

MODES = ("realtime", "batch", "training")
MODE_NAMES = {"realtime": "real-time", "batch": "batch", "training": "training"}


@lru_cache(maxsize=None)
def offered(mode: str) -> frozenset[str]:
    """Instance types SageMaker accepts for ``mode`` (botocore), as a set for membership tests."""
    return frozenset(instance_types(mode))  # type: ignore[arg-type]


def supported_types(report: Report, section: dict) -> dict[str, list[str] | None]:
    """mode → the listing's instance types for that mode; None when the list itself had the wrong type.

    Items of the wrong type are reported and left out. Pricing and consistency read the types through this too.
    """
    found: dict[str, list[str] | None] = {}
    for mode in MODES:
        items = report.texts(section, mode, loc("instance_types", mode))
        found[mode] = None if items is None else [t for _, t in items]
    return found


def _supported(report: Report, types: dict[str, list[str] | None], required: tuple[str, ...]) -> None:
    for mode in required:
        where = loc("instance_types", mode)
        if types[mode] is None:
            continue
        report.check("listing.E051", where)
        if not types[mode]:
            report.fail("listing.E051", f"No {MODE_NAMES[mode]} instance types are given.", where, mode=mode)
            continue
        report.check("listing.E050", where)
        unknown = [t for t in types[mode] if t not in offered(mode)]
        if unknown:
            report.fail("listing.E050",
                        f"{plural(len(unknown), MODE_NAMES[mode] + ' instance type')} "
                        f"{'is' if len(unknown) == 1 else 'are'} not offered by SageMaker for {MODE_NAMES[mode]}: "
                        f"{listed(unknown)}.", where, unknown=unknown[:20], mode=mode)


def _recommended(report: Report, section: dict, types: dict[str, list[str] | None], required: tuple[str, ...]) -> None:
    recommended = report.get(section, "recommended", dict, loc("instance_types", "recommended"))
    if recommended is None:
        return
    longest = limit("listing.E054")
    for mode in required:
        where = loc("instance_types", "recommended", mode)
        choice = report.text(recommended, mode, where)
        if not report.required("listing.E052", choice, where, f"The recommended {MODE_NAMES[mode]} instance type"):
            continue
        report.check("listing.E054", where)
        if len(choice) > longest:
            report.fail("listing.E054", f"{shown(choice)} has {len(choice)} characters; AWS allows {longest}.", where,
                        length=len(choice), max=longest)
        if types[mode] is None:
            continue
        report.check("listing.E053", where)
        if choice not in types[mode]:
            report.fail("listing.E053", f"The recommended {MODE_NAMES[mode]} type {shown(choice)} is not among the "
                                        f"supported {MODE_NAMES[mode]} types.", where,
                        aws_error="INVALID_RECOMMENDED_INSTANCE_TYPE")


@check(
    name="listing.instance_types",
    title="Instance types",
    stage=STAGE_METADATA,
    codes=("listing.E029", "listing.E050", "listing.E051", "listing.E052", "listing.E053", "listing.E054"),
)
def instance_type_rules(subject: Subject) -> Iterator[Finding]:
    report = Report(subject.listing)
    section = report.section("instance_types")
    required = limit("listing.E051")[kind_of(report.listing)]
    types = supported_types(report, section)
    _supported(report, types, required)
    _recommended(report, section, types, required)
    report.get(section, "distributed_training", bool, loc("instance_types", "distributed_training"))
    yield from report.findings()
