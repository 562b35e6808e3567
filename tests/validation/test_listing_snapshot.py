"""Complete listings, the empty snapshot, section routing and the catalog/registry bookkeeping (no database)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from validation.checks.registry import Subject
from validation.checks.sections import listing_checks, section_findings
from validation.rules import CATALOG, limit
from validation.rules import listing as listing_rules
from validation.snapshot_schema import EMPTY_SNAPSHOT_SECTIONS, SECTION_KEYS, empty_snapshot, section_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "listings"


def load(kind: str) -> dict:
    return json.loads((FIXTURES / f"{kind}.json").read_text())


def run(listing: dict) -> list:
    return [f for check in listing_checks() for f in check.func(Subject(listing))]


@pytest.mark.parametrize("kind", ["model_package", "algorithm"])
def test_a_complete_valid_listing_has_no_failed_or_unrun_findings(kind):
    findings = run(load(kind))
    assert [(f.code, f.location, f.message) for f in findings if f.outcome != "passed"] == []
    assert len({f.code for f in findings}) > 60  # the passes cover most of the catalog


@pytest.mark.parametrize("kind", ["model_package", "algorithm"])
def test_passed_findings_are_one_per_rule_and_field(kind):
    passed = [(f.code, f.location) for f in run(load(kind)) if f.outcome == "passed"]
    assert len(passed) == len(set(passed))
    assert all("[" not in location for _, location in passed)


def test_the_algorithm_fixture_prices_every_dimension_and_captures_its_metrics():
    findings = {(f.code, f.outcome): f for f in run(load("algorithm"))}
    assert ("listing.E090", "passed") in findings
    assert findings[("listing.W085", "passed")].measured["captured"] == {"metrics[0]": "0.91245",
                                                                          "metrics[1]": "0.95310"}


def test_every_listing_rule_is_emitted_by_a_listing_check_and_nothing_else():
    declared = {code for check in listing_checks() for code in check.codes}
    assert declared == {r.code for r in listing_rules.RULES}


def test_listing_codes_are_stable_and_severity_follows_the_letter():
    for rule in listing_rules.RULES:
        assert CATALOG[rule.code] is rule
        assert rule.aws_rejects is (".E" in rule.code)
        assert rule.url.startswith("https://") and rule.hint_text() and rule.section in {"1", "2", "3", "4"}


def test_botocore_limits_are_read_from_the_model():
    from validation.aws_models import service_model

    model = service_model("sagemaker")
    assert limit("listing.E063") == model.shape_for("HyperParameterSpecifications").metadata["max"]
    assert limit("listing.E074") == (1, model.shape_for("ChannelSpecifications").metadata["max"])
    assert limit("listing.E066") == tuple(model.shape_for("ParameterType").enum)
    assert "us-east-1" in limit("listing.E105")


# ------------------------------------------------------------------------------------------ empty snapshot
@pytest.mark.parametrize("kind", ["model_package", "algorithm"])
def test_the_empty_snapshot_has_every_key_of_the_fixtures(kind):
    empty, full = empty_snapshot(kind), load(kind)
    assert set(empty) == set(full)
    for key, value in full.items():
        if isinstance(value, dict):
            assert set(empty[key]) == set(value), key
    assert empty["kind"] == kind and empty["schema"] == full["schema"]


def test_the_empty_snapshot_is_a_fresh_copy_each_time():
    first = empty_snapshot("algorithm")
    first["product"]["highlights"].append("x")
    first["instance_types"]["recommended"]["batch"] = "ml.m5.large"
    assert empty_snapshot("algorithm")["product"]["highlights"] == []
    assert EMPTY_SNAPSHOT_SECTIONS["instance_types"]["instance_types"]["recommended"]["batch"] == ""


def test_sections_own_exactly_the_snapshot_keys():
    assert {s: tuple(keys) for s, keys in EMPTY_SNAPSHOT_SECTIONS.items()} == SECTION_KEYS


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        empty_snapshot("dataset")


def test_an_empty_listing_asks_for_the_required_fields_without_crashing():
    failed = {f.code for f in run(empty_snapshot("algorithm")) if f.outcome == "failed"}
    assert {"listing.E001", "listing.E009", "listing.E030", "listing.E051", "listing.E055", "listing.E074",
            "listing.E089", "listing.E100", "listing.E105", "listing.E109"} <= failed
    assert "listing.E029" not in failed  # empty values are unset, not mistyped


# ---------------------------------------------------------------------------------------- section routing
@pytest.mark.parametrize("location,section", [
    ("field:product.search_keywords[3]", "product"), ("field:metrics[2].regex", "training"),
    ("field:tuning_objectives", "training"), ("field:pricing.prices[ml.m5.large.m.i.r]", "pricing"),
    ("field:instance_types.recommended.batch", "instance_types"), ("field:kind", None), ("cell:3", None),
    ("field:productive", None),
])
def test_section_of(location, section):
    assert section_of(location) == section


def test_section_findings_keep_only_that_sections_locations():
    listing = load("algorithm")
    listing["metrics"][0]["regex"] = "(["
    listing["product"]["title"] = ""
    training = section_findings(listing, "training")
    assert {section_of(f.location) for f in training} == {"training"}
    assert any(f.code == "listing.E084" and f.outcome == "failed" for f in training)
    assert not any(f.code == "listing.E001" for f in training)
    assert any(f.code == "listing.E001" and f.outcome == "failed" for f in section_findings(listing, "product"))


def test_section_findings_apply_the_policy():
    listing = load("algorithm")
    listing["pricing"]["free_trial_days"] = 7
    warning = [f for f in section_findings(listing, "pricing", policy="aws-minimum") if f.code == "listing.W098"]
    assert warning and warning[0].severity == "info"


def test_section_findings_refuse_an_unknown_section():
    with pytest.raises(ValueError):
        section_findings(load("algorithm"), "metrics")


def test_section_findings_do_not_change_the_snapshot():
    listing = load("model_package")
    before = copy.deepcopy(listing)
    for section in SECTION_KEYS:
        section_findings(listing, section)
    assert listing == before
