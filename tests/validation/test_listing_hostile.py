"""Hostile input never crashes a listing check: wrong types, None, huge strings, deep nesting (no database).

Every path of both fixtures is replaced in turn by each hostile value and every listing check runs directly (not
through the engine, which would hide a crash as a finding).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from validation.checks.registry import Subject
from validation.checks.sections import listing_checks
from validation.findings import Finding, Outcome

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "listings"


def _deep(levels: int) -> list:
    value: list = []
    for _ in range(levels):
        value = [value]
    return value


def _deep_dict(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"x": value}
    return value


HOSTILE: list[Any] = [None, -1, 10**5000, float("nan"), True, "", "x" * 300_000, "\x00\x1b" * 2_000,
                      [], [None], [1, "a", {}], {}, {"a": [1]}, {7: "int key"}, _deep(50_000), _deep_dict(5_000)]


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a fixture (dict keys and list indexes), the containers as well as the leaves."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:1]):
            found += _paths(item, (*prefix, i))
    return found


def _replaced(listing: dict, path: tuple, value: Any) -> dict:
    copied = copy.deepcopy(listing)
    target = copied
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copied


def _run_all(listing: Any) -> list[Finding]:
    findings: list[Finding] = []
    for check in listing_checks():
        produced = list(check.func(Subject(listing)))
        for finding in produced:
            assert isinstance(finding, Finding)
            assert finding.code in check.codes, (check.name, finding.code)
            assert len(finding.location) <= 500 and len(finding.message) <= 2_000, finding.code
            json.dumps(finding.measured)  # stored in a JSONField
        findings += produced
    return findings


@pytest.mark.parametrize("kind", ["model_package", "algorithm"])
def test_every_field_survives_every_hostile_value(kind):
    listing = json.loads((FIXTURES / f"{kind}.json").read_text())
    for path in _paths(listing):
        for value in HOSTILE:
            _run_all(_replaced(listing, path, value))


@pytest.mark.parametrize("listing", [None, [], "listing", 42, {}, {"kind": None}, {"kind": ["algorithm"]},
                                     {"kind": "algorithm", "hyperparameters": _deep(10_000)},
                                     {"product": _deep_dict(10_000)}])
def test_a_malformed_snapshot_yields_findings_not_errors(listing):
    findings = _run_all(listing)
    assert findings and all(f.outcome in set(Outcome) for f in findings)


def test_a_wrong_type_is_reported_once_at_its_field_and_not_ticked_green():
    listing = json.loads((FIXTURES / "model_package.json").read_text())
    listing["product"]["title"] = 72
    findings = [f for f in _run_all(listing) if f.location == "field:product.title"]
    assert [(f.code, f.outcome) for f in findings] == [("listing.E029", "failed")]
    assert findings[0].measured == {"expected": "str", "got": "int"}


def test_a_long_list_of_problems_is_capped_with_a_summary():
    listing = json.loads((FIXTURES / "algorithm.json").read_text())
    listing["hyperparameters"] = [{"name": "x", "type": "Bogus"} for _ in range(5_000)]
    bogus = [f for f in _run_all(listing) if f.code == "listing.E066"]
    assert len(bogus) <= 51 and "more like this" in bogus[-1].message


def test_a_catastrophic_metric_regex_is_not_tried():
    listing = json.loads((FIXTURES / "algorithm.json").read_text())
    listing["metrics"][0].update(regex="(a+)+$", sample_log_line="a" * 40 + "b")
    findings = [f for f in _run_all(listing) if f.code == "listing.W085"]
    assert any(f.outcome == "not_run" and f.location == "field:metrics[0].sample_log_line" for f in findings)


def test_hostile_keys_keep_locations_short():
    listing = json.loads((FIXTURES / "model_package.json").read_text())
    listing["product"]["k" * 10_000 + "\x07"] = "v\x07"
    listing["endpoint"]["environment"]["E" * 10_000] = "\x01"
    listing["version"]["input_parameters"] = _deep(31) + [{"x" * 600: "\x02"}]
    located = [f.location for f in _run_all(listing) if f.code == "listing.E008" and f.outcome == "failed"]
    assert len(located) == 4 and all(len(location) <= 500 for location in located)
