"""Hyperparameter checks for algorithms (AWS_RULES.md §4, ``HyperParameterSpecification``).

Ranges and defaults are strings, as the SageMaker API has them; they are parsed by the parameter's type with
``Decimal`` (exact, and safe on a 2,500-digit string, unlike ``int()``'s digit limit or float rounding).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from validation.checks.listing_values import Report, kind_of, loc, shown
from validation.checks.registry import STAGE_METADATA, Subject, check
from validation.findings import Finding

_NUMBER = {
    "Integer": re.compile(r"[+-]?\d+"),
    "Continuous": re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,6})?"),
}

_A_NUMBER = {"Integer": "a whole number", "Continuous": "a number"}


def parse(kind: str, value: str) -> Decimal | None:
    """``value`` as a number of SageMaker type ``kind`` (Integer or Continuous); None if it is not one."""
    pattern = _NUMBER.get(kind)
    if pattern is None or not pattern.fullmatch(value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def _range(report: Report, parameter: dict, i: int, kind: str) -> tuple[Decimal, Decimal] | None:
    """The parsed (min, max) of an Integer/Continuous parameter, or None after reporting what is wrong."""
    bounds: dict[str, Decimal | None] = {}
    longest = report.check("listing.E069", loc("hyperparameters"))
    report.check("listing.E067", loc("hyperparameters"))
    for key in ("min", "max"):
        where = loc("hyperparameters", i, key)
        value = report.text(parameter, key, where)
        bounds[key] = None
        if value is None:
            continue
        if len(value) > longest:
            report.fail("listing.E069", f"The {key}imum has {len(value):,} characters; AWS allows {longest}.", where)
        elif not value.strip():
            report.fail("listing.E067", f"{'An integer' if kind == 'Integer' else 'A continuous'} range needs a "
                                        f"{key}imum.", where)
        elif (number := parse(kind, value)) is not None:
            bounds[key] = number
        else:
            report.fail("listing.E067", f"The {key}imum {shown(value)} is not {_A_NUMBER[kind]}.", where)
    low, high = bounds["min"], bounds["max"]
    if low is None or high is None:
        return None
    if low > high:
        report.fail("listing.E067", f"The minimum {shown(parameter.get('min'))} is above the maximum "
                                    f"{shown(parameter.get('max'))}.", loc("hyperparameters", i, "min"))
        return None
    return low, high


def _values(report: Report, parameter: dict, i: int) -> list[str] | None:
    where = loc("hyperparameters", i, "values")
    values = report.texts(parameter, "values", where)
    report.count("listing.E068", values, where, "value")
    longest = report.check("listing.E069", loc("hyperparameters"))
    for j, value in values or []:
        if len(value) > longest:
            report.fail("listing.E069", f"Value {j + 1} has {len(value):,} characters; AWS allows {longest}.",
                        f"{where}[{j}]")
    return None if values is None else [v for _, v in values]


def _default(report: Report, parameter: dict, i: int, kind: str, span: object, values: list[str] | None) -> None:
    where = loc("hyperparameters", i, "default")
    default = report.text(parameter, "default", where)
    report.length("listing.E070", default, where, "The default value")
    required = report.get(parameter, "required", bool, loc("hyperparameters", i, "required"))
    if default is None or not default:
        return
    report.check("listing.E072", where)
    if required:
        report.fail("listing.E072", "A hyperparameter with a default value cannot be required.", where)
    report.check("listing.E071", where)
    if kind in _NUMBER:
        number = parse(kind, default)
        if number is None:
            report.fail("listing.E071", f"The default {shown(default)} is not {_A_NUMBER[kind]}.", where)
        elif isinstance(span, tuple) and not span[0] <= number <= span[1]:
            low, high = (parameter.get("min"), parameter.get("max"))  # the seller's spelling, already validated
            report.fail("listing.E071", f"The default {shown(default)} is outside the range {low}–{high}.", where)
    elif kind == "Categorical" and values is not None and default not in values:
        report.fail("listing.E071", f"The default {shown(default)} is not one of the values.", where)


def _parameter(report: Report, parameter: dict, i: int, names: dict[str, int]) -> None:
    where = loc("hyperparameters", i, "name")
    name = report.text(parameter, "name", where)
    if name is not None:
        low, high = report.check("listing.E064", where)
        if not name.strip() or len(name) > high:
            problem = "no name" if not name.strip() else f"a name of {len(name):,} characters"
            report.fail("listing.E064", f"Hyperparameter {i + 1} has {problem}; AWS allows {low} to {high}.", where)
        report.check("listing.E065", loc("hyperparameters"))
        if name.strip() and name in names:
            report.fail("listing.E065", f"{shown(name)} is already hyperparameter {names[name] + 1}.", where)
        names.setdefault(name, i)
    report.length("listing.E073", report.text(parameter, "description", loc("hyperparameters", i, "description")),
                  loc("hyperparameters", i, "description"), f"The description of hyperparameter {i + 1}")
    report.get(parameter, "tunable", bool, loc("hyperparameters", i, "tunable"))
    kind = report.text(parameter, "type", loc("hyperparameters", i, "type"))
    if kind is None:
        return
    allowed = report.check("listing.E066", loc("hyperparameters", i, "type"))
    if kind not in allowed:
        report.fail("listing.E066", f"{shown(kind) if kind else 'No type'} is not a hyperparameter type SageMaker "
                                    "knows.", loc("hyperparameters", i, "type"))
        return
    span = _range(report, parameter, i, kind) if kind in _NUMBER else None
    values = _values(report, parameter, i) if kind == "Categorical" else None
    _default(report, parameter, i, kind, span, values)


@check(
    name="listing.hyperparameters",
    title="Hyperparameters",
    stage=STAGE_METADATA,
    codes=("listing.E029", "listing.E063", "listing.E064", "listing.E065", "listing.E066", "listing.E067",
           "listing.E068", "listing.E069", "listing.E070", "listing.E071", "listing.E072", "listing.E073"),
)
def hyperparameter_rules(subject: Subject) -> Iterator[Finding]:
    report = Report(subject.listing)
    if kind_of(report.listing) != "algorithm":  # model packages take none (listing.W117 says so if present)
        return
    parameters = report.records(report.listing, "hyperparameters", loc("hyperparameters"))
    report.count("listing.E063", parameters, loc("hyperparameters"), "hyperparameter")
    names: dict[str, int] = {}
    for i, parameter in parameters or []:
        _parameter(report, parameter, i, names)
    yield from report.findings()
