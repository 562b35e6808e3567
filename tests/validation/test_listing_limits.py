"""Every listing limit, just inside and just outside, read from the catalog (never retyped here).

Each case starts from a complete valid fixture (tests/fixtures/listings), changes one field to a value built
from ``limit(code)``, runs every listing check, and looks only at that rule's code.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from validation.checks.registry import Subject
from validation.checks.sections import listing_checks
from validation.rules import limit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "listings"
_LOADED = {kind: json.loads((FIXTURES / f"{kind}.json").read_text()) for kind in ("model_package", "algorithm")}
DIGEST = "@sha256:" + "a" * 64
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/"


def failed_codes(listing: dict) -> set[str]:
    return {f.code for check in listing_checks() for f in check.func(Subject(listing)) if f.outcome == "failed"}


def put(listing: dict, path: tuple, value: Any) -> None:
    target = listing
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def chars(n: int) -> str:
    return "a" * n


def many(make: Callable[[int], Any]) -> Callable[[int], list]:
    return lambda n: [make(i) for i in range(n)]


def url(base: str) -> Callable[[int], str]:
    return lambda n: base + "p" * (n - len(base))


def keywords_totalling(n: int) -> list[str]:
    """Keywords whose lengths add up to ``n``, none over the per-keyword limit."""
    each = limit("listing.E016")
    return ["k" * each] * (n // each) + (["k" * (n % each)] if n % each else [])


def categorical(**fields: Any) -> list[dict]:
    base = {"name": "objective", "description": "", "type": "Categorical", "min": "", "max": "", "values": ["a"],
            "default": "", "tunable": False, "required": False}
    return [{**base, **fields}]


def free_text(i: int, **fields: Any) -> dict:
    return {"name": f"p{i}", "description": "", "type": "FreeText", "min": "", "max": "", "values": [],
            "default": "", "tunable": False, "required": False, **fields}


def channel(i: int, **fields: Any) -> dict:
    return {"name": f"c{i}", "description": "", "content_types": ["text/csv"], "compression": ["None"],
            "input_modes": ["File"], "required": False, **fields}


def metric(i: int, **fields: Any) -> dict:
    return {"name": f"m{i}", "regex": r"m:([0-9.]+)", "sample_log_line": "m:0.5", **fields}


MP, ALGO = "model_package", "algorithm"
# (code, fixture, path, value built from n)
CASES: list[tuple[str, str, tuple, Callable[[int], Any]]] = [
    ("listing.E002", MP, ("product", "title"), chars),
    ("listing.E006", MP, ("product", "short_description"), chars),
    ("listing.W007", MP, ("product", "short_description"), chars),
    ("listing.E010", MP, ("product", "long_description"), chars),
    ("listing.E011", MP, ("product", "highlights"), many(lambda i: f"Highlight {i}")),
    ("listing.E012", MP, ("product", "highlights"), lambda n: [chars(n)]),
    ("listing.E013", MP, ("product", "categories"), lambda n: list(limit("listing.E014")[:n])),
    ("listing.E015", MP, ("product", "search_keywords"), many(lambda i: f"k{i}")),
    ("listing.E016", MP, ("product", "search_keywords"), lambda n: [chars(n)]),
    ("listing.E017", MP, ("product", "search_keywords"), keywords_totalling),
    ("listing.E018", MP, ("product", "sku"), chars),
    ("listing.E020", MP, ("product", "support_description"), chars),
    ("listing.E021", MP, ("product", "additional_resources"),
     many(lambda i: {"text": f"Resource {i}", "url": f"https://example.com/r{i}"})),
    ("listing.E023", MP, ("product", "additional_resources"),
     lambda n: [{"text": chars(n), "url": "https://example.com/r"}]),
    ("listing.E026", MP, ("product", "video_url"), url("https://example.com/")),
    ("listing.E028", MP, ("artifacts",), many(lambda i: {"kind": "logo", "name": f"l{i}.png"})),
    ("listing.E031", MP, ("version", "version_title"), chars),
    ("listing.E033", MP, ("version", "release_notes"), chars),
    ("listing.E035", MP, ("version", "usage_instructions"), chars),
    ("listing.E038", MP, ("version", "notebook_url"), url("https://github.com/")),
    ("listing.E041", MP, ("version", "input_description"), chars),
    ("listing.E042", MP, ("version", "input_limitations"), chars),
    ("listing.E044", MP, ("version", "sample_input_realtime"), chars),
    ("listing.E046", MP, ("version", "custom_attributes"),
     many(lambda i: {"name": f"a{i}", "description": "", "constraints": "", "required": False})),
    ("listing.E047", MP, ("version", "input_parameters"),
     lambda n: [{"name": chars(n), "description": "", "constraints": "", "required": True}]),
    ("listing.E048", MP, ("version", "input_parameters"),
     lambda n: [{"name": "a", "description": chars(n), "constraints": "", "required": True}]),
    ("listing.E049", MP, ("version", "input_parameters"),
     lambda n: [{"name": "a", "description": "", "constraints": chars(n), "required": True}]),
    ("listing.E054", MP, ("instance_types", "recommended", "realtime"), chars),
    ("listing.E056", MP, ("endpoint", "input_content_types"), lambda n: ["text/" + chars(n - 5)]),
    ("listing.E058", MP, ("endpoint", "environment"), lambda n: {f"VAR_{i}": "1" for i in range(n)}),
    ("listing.E060", MP, ("endpoint", "environment"), lambda n: {"VAR": chars(n)}),
    ("listing.E062", MP, ("endpoint", "max_payload_mb"), lambda n: n),
    ("listing.E063", ALGO, ("hyperparameters",), many(free_text)),
    ("listing.E064", ALGO, ("hyperparameters",), lambda n: [free_text(0, name=chars(n))]),
    ("listing.E068", ALGO, ("hyperparameters",), lambda n: categorical(values=[f"v{i}" for i in range(n)])),
    ("listing.E069", ALGO, ("hyperparameters",), lambda n: categorical(values=[chars(n)])),
    ("listing.E070", ALGO, ("hyperparameters",), lambda n: [free_text(0, default=chars(n))]),
    ("listing.E073", ALGO, ("hyperparameters",), lambda n: [free_text(0, description=chars(n))]),
    ("listing.E074", ALGO, ("channels",), many(channel)),
    ("listing.E076", ALGO, ("channels",), lambda n: [channel(0, name=chars(n))]),
    ("listing.E081", ALGO, ("metrics",), many(metric)),
    ("listing.E082", ALGO, ("metrics",), lambda n: [metric(0, name=chars(n))]),
    ("listing.E083", ALGO, ("metrics",), lambda n: [metric(0, regex=chars(n), sample_log_line="")]),
    ("listing.E094", MP, ("pricing", "prices", "ml.m5.large.m.i.r"), lambda n: "0." + "1" * n),
    ("listing.E095", MP, ("pricing", "prices"), lambda n: {f"d{i}": "0" for i in range(n)}),
    ("listing.E097", ALGO, ("pricing", "free_trial_days"), lambda n: n),
    ("listing.W098", ALGO, ("pricing", "free_trial_days"), lambda n: n),
    ("listing.E103", MP, ("legal", "refund_policy"), chars),
    ("listing.E106", MP, ("aws", "account_id"), lambda n: "1" * n),
    ("listing.E108", MP, ("aws", "s3_input_location"), lambda n: f"s3://{chars(n)}/prefix/"),
    ("listing.E109", MP, ("aws", "image_uri"), lambda n: ECR + "r" * (n - len(ECR) - len(DIGEST)) + DIGEST),
]


def _boundaries(code: str) -> list[tuple[int, bool]]:
    """(n, fails) just inside and just outside ``limit(code)``: a maximum, or each end of a (min, max) range."""
    bound = limit(code)
    if isinstance(bound, tuple):
        low, high = bound
        return [(low, False), (high, False), (high + 1, True)] + ([(low - 1, True)] if low > 0 else [])
    return [(bound, False), (bound + 1, True)]


PARAMS = [pytest.param(code, kind, path, build, n, fails, id=f"{code}-{n}")
          for code, kind, path, build in CASES for n, fails in _boundaries(code)]


@pytest.mark.parametrize("code,kind,path,build,n,fails", PARAMS)
def test_limit_just_inside_and_just_outside(code, kind, path, build, n, fails):
    listing = copy.deepcopy(_LOADED[kind])
    if code == "listing.E028":  # media = the fixture's links plus logos: count the links once, here
        links = 1 + len(listing["product"]["additional_resources"])
        n -= links
    put(listing, path, build(n))
    assert (code in failed_codes(listing)) is fails


def test_account_id_shorter_than_its_length_fails():
    listing = copy.deepcopy(_LOADED[MP])
    listing["aws"]["account_id"] = "1" * (limit("listing.E106") - 1)
    assert "listing.E106" in failed_codes(listing)


@pytest.mark.parametrize("extra,fails", [("", False), (".01", True)])
def test_price_maximum(extra, fails):
    listing = copy.deepcopy(_LOADED[MP])
    listing["pricing"]["prices"]["ml.m5.large.m.i.r"] = f"{limit('listing.E093')}{extra}"
    assert ("listing.E093" in failed_codes(listing)) is fails


@pytest.mark.parametrize("code", sorted({case[0] for case in CASES}))
def test_every_limited_rule_has_a_number_in_the_catalog(code):
    bound = limit(code)
    assert isinstance(bound, int) or (isinstance(bound, tuple) and all(isinstance(b, int) for b in bound))


def test_every_numeric_listing_limit_has_a_boundary_case():
    from validation.rules import listing as listing_rules

    def numeric(bound: object) -> bool:
        return (isinstance(bound, int) and not isinstance(bound, bool)) or (
            isinstance(bound, tuple) and bool(bound) and all(isinstance(b, int) for b in bound))

    covered = {case[0] for case in CASES} | {
        "listing.E093",  # test_price_maximum
        "listing.E025", "listing.E118",  # "one": a single text field; more than one is tested in test_listing_rules
    }
    assert {r.code for r in listing_rules.RULES if numeric(r.limit)} - covered == set()
