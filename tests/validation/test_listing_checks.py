"""The product-information rules, each just inside and just outside its limit (no database)."""

from __future__ import annotations

import pytest

from validation.checks.listing import product_information
from validation.checks.registry import Subject
from validation.rules import limit


def _failed(title="Churn Predictor", short="Predicts churn."):
    return {f.code for f in product_information(Subject({"product": {"title": title, "short_description": short}}))
            if f.outcome == "failed"}


@pytest.mark.parametrize("length,fails", [(limit("listing.E002"), False), (limit("listing.E002") + 1, True)])
def test_title_length(length, fails):
    assert ("listing.E002" in _failed(title="t" * length)) is fails


@pytest.mark.parametrize("length,fails", [(limit("listing.E006"), False), (limit("listing.E006") + 1, True)])
def test_short_description_length(length, fails):
    assert ("listing.E006" in _failed(short="s" * length)) is fails


@pytest.mark.parametrize("length,warns", [(limit("listing.W007"), False), (limit("listing.W007") + 1, True)])
def test_short_description_guidance(length, warns):
    assert ("listing.W007" in _failed(short="s" * length)) is warns


def test_empty_fields_are_required():
    assert {"listing.E001", "listing.E005"} <= _failed(title="  ", short="")


def test_leading_white_space_and_trademark_spacing():
    assert "listing.E003" in _failed(title=" Churn")
    assert "listing.E004" in _failed(title="Churn ™")
    assert not {"listing.E003", "listing.E004"} & _failed(title="Churn™")


def test_control_characters_are_located():
    listing = {"product": {"title": "Ch\x07urn", "short_description": "ok\x1f"}}
    findings = [f for f in product_information(Subject(listing)) if f.code == "listing.E008" and f.outcome == "failed"]
    assert {f.location for f in findings} == {"field:product.title", "field:product.short_description"}
    assert any(f.measured["positions"] == [3] for f in findings)
    assert "listing.E008" not in _failed(short="tabs\tand\nnewlines are fine")


def test_control_characters_are_found_in_every_section_and_key():
    listing = {"version": {"input_parameters": [{"name": "a\x00b"}]}, "pricing": {"prices": {"m.i.c\x1b": "1"}},
               "endpoint": {"environment": {"MODE": "fast\x0b"}}}
    located = {f.location for f in product_information(Subject(listing))
               if f.code == "listing.E008" and f.outcome == "failed"}
    assert located == {"field:version.input_parameters[0].name", "field:pricing.prices[m.i.c\ufffd]",
                       "field:endpoint.environment[MODE]"}


def test_a_clean_section_gets_one_passed_control_character_finding():
    passed = [f.location for f in product_information(Subject({"product": {"title": "A"}}))
              if f.code == "listing.E008" and f.outcome == "passed"]
    assert "field:product" in passed and len(passed) == len(set(passed))
