"""Pricing and free-trial checks (AWS_RULES.md §3, Offer ``UpdatePricingTerms``).

Dimension keys are fixed by AWS: ``<type>.m.i.r`` real-time, ``<type>.m.i.b`` batch, ``<type>.a.t`` training and
``m.i.c`` per inference (rules E090/E091 hold them). Every supported instance type must be priced, or AWS answers
UPDATE_PRICING_REQUIRED; we name the exact keys missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from validation.checks.listing_instances import MODE_NAMES, offered, supported_types
from validation.checks.listing_values import Report, entry, kind_of, listed, loc, plural, shown, text_of
from validation.checks.registry import STAGE_METADATA, Subject, check
from validation.findings import Finding
from validation.rules import limit

_AMOUNT = re.compile(r"(\d+)(?:\.(\d+))?")
PRICES = loc("pricing", "prices")


def dimension_keys(listing: dict, modes: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """Hourly dimension key → (instance type, mode) for every supported type in ``modes`` (read silently).

    Only types SageMaker offers count: a typo is listing.E050's to report, not a price to ask for.
    """
    quiet = Report(listing)  # the instance-type check reports that section's problems; this reader stays silent
    types = supported_types(quiet, quiet.section("instance_types"))
    templates = limit("listing.E090")
    return {templates[mode].replace("<type>", t): (t, mode)
            for mode in modes for t in types[mode] or [] if t in offered(mode)}


def amount(value: object) -> Decimal | None:
    """A price string as a Decimal (digits with an optional decimal part), else None."""
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
        return None
    return Decimal(value)


def is_paid(listing: dict) -> bool:
    """Whether any buyer pays: a paid model and at least one price above zero (legal asks for a refund policy)."""
    pricing = listing.get("pricing") if isinstance(listing, dict) else None
    if not isinstance(pricing, dict) or pricing.get("model") not in ("hourly", "per_inference"):
        return False
    prices = pricing.get("prices")
    return isinstance(prices, dict) and any((amount(v) or 0) > 0 for v in prices.values())


def _amounts(report: Report, prices: dict) -> None:
    report.count("listing.E095", prices, PRICES, "priced dimension")
    highest, decimals = report.check("listing.E093", PRICES), report.check("listing.E094", PRICES)
    report.check("listing.E092", PRICES)
    for key, value in prices.items():
        where = entry(PRICES, key)
        text = report.get(prices, key, str, where)
        if text is None:
            continue
        match = _AMOUNT.fullmatch(text)
        if not match:
            report.fail("listing.E092", f"The price {shown(text) if text else '(empty)'} for {shown(key)} is not an "
                                        "amount like 0.50.", where)
            continue
        if Decimal(text) > highest:
            report.fail("listing.E093", f"The price for {shown(key)} is above {highest:,} US dollars.", where)
        if match.group(2) and len(match.group(2)) > decimals:
            report.fail("listing.E094", f"The price for {shown(key)} has {len(match.group(2))} decimal places; AWS "
                                        f"allows {decimals}.", where, decimals=len(match.group(2)), max=decimals)


def _coverage(report: Report, model: str, prices: dict) -> None:
    modes = limit("listing.E051")[kind_of(report.listing)]
    hourly = dimension_keys(report.listing, modes)
    per_inference = limit("listing.E091")
    if model == "hourly":
        expected = set(hourly)
        report.check("listing.E090", PRICES)
        missing = [key for key in hourly if key not in prices]
        if missing:
            described = [f"{hourly[key][0]} ({MODE_NAMES[hourly[key][1]]})" for key in missing]
            report.fail("listing.E090", f"{plural(len(missing), 'instance type')} without a price: "
                                        f"{', '.join(described[:5])}{' and more' if len(missing) > 5 else ''}.",
                        PRICES, missing=missing[:200], aws_error="UPDATE_PRICING_REQUIRED")
    elif model == "per_inference":
        # Per-inference pricing covers real-time endpoints; hourly batch/training prices may stay (not required).
        expected = {per_inference} | {k for k, (_, mode) in hourly.items() if mode != "realtime"}
        report.check("listing.E091", PRICES)
        if per_inference not in prices:
            report.fail("listing.E091", "Per-inference pricing is chosen but the price per inference is missing.",
                        entry(PRICES, per_inference), missing=[per_inference])
    else:  # free: any price is ignored
        expected = set()
    report.check("listing.W096", PRICES)
    stray = [text_of(key)[:100] for key in prices if key not in expected]
    if stray:
        why = "a free product" if model == "free" else "no supported instance type or mode of this pricing model"
        report.fail("listing.W096", f"{plural(len(stray), 'price')} for {why}: {listed(stray)}.", PRICES,
                    stray=stray[:50])


def _free_trial(report: Report, pricing: dict, model: str | None) -> None:
    where = loc("pricing", "free_trial_days")
    days = report.get(pricing, "free_trial_days", int, where)
    if days is None:
        return
    low, high = report.check("listing.E097", where)
    if not low <= days <= high:
        report.fail("listing.E097", f"A free trial of {text_of(days)} days is outside {low}–{high} days.", where,
                    days=text_of(days))
        return
    best_low, best_high = report.check("listing.W098", where)
    if not best_low <= days <= best_high:
        report.fail("listing.W098", f"A free trial of {days} days is outside AWS's recommended {best_low}–{best_high} "
                                    "days.", where, days=days)
    allowed = report.check("listing.W099", where)
    if model is not None and model not in allowed:
        report.fail("listing.W099", f"A free trial with {model.replace('_', '-')} pricing: AWS's guide offers "
                                    "trials with hourly pricing only.", where)


@check(
    name="listing.pricing",
    title="Pricing and free trial",
    stage=STAGE_METADATA,
    codes=("listing.E029", "listing.E089", "listing.E090", "listing.E091", "listing.E092", "listing.E093",
           "listing.E094", "listing.E095", "listing.W096", "listing.E097", "listing.W098", "listing.W099"),
)
def pricing_rules(subject: Subject) -> Iterator[Finding]:
    report = Report(subject.listing)
    pricing = report.section("pricing")
    where = loc("pricing", "model")
    model = report.text(pricing, "model", where)
    if model is not None:
        allowed = report.check("listing.E089", where)
        if model not in allowed:
            report.fail("listing.E089", f"{shown(model)} is not a pricing model AWS offers." if model
                        else "No pricing model is chosen.", where)
            model = None
    prices = report.get(pricing, "prices", dict, PRICES)
    if prices is not None:
        _amounts(report, prices)
        if model is not None:
            _coverage(report, model, prices)
    _free_trial(report, pricing, model)
    yield from report.findings()
