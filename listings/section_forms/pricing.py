"""Pricing and free trial: the model, a price per AWS dimension, the trial, and what a buyer would pay.

The dimension keys (``<type>.m.i.r`` real-time, ``<type>.m.i.b`` batch, ``<type>.a.t`` training, ``m.i.c`` per
inference) are derived from the listing's saved instance types with the catalog's templates (``listing.E090``,
``listing.E091``); the seller never types one. Prices stay decimal strings as typed (``"0.50"``): whether they
are numbers, within AWS's maximum and its decimals is for the checks (``listing.E092``–``E094``), whose findings
come back at the price they name. A saved price whose instance type is no longer supported is shown in its own
list (and kept while the model is hourly) until the seller clears it: nothing typed disappears unseen.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms

from listings.section_forms.base import SectionForm, is_required_rule
from listings.section_forms.instance_types import MODE_LABELS, modes_for
from validation.rules import limit

MODEL_LABELS = {
    "free": "Free",
    "hourly": "Hourly, per instance type",
    "per_inference": "Per inference (real-time endpoints only)",
}
MODEL_HELP = {
    "free": "Buyers pay only AWS's price for the instances.",
    "hourly": "A software price per instance hour, for every instance type in every mode; usage is prorated "
              "to the minute.",
    "per_inference": "A price per inference request answered by a real-time endpoint.",
}
# AWS's own monthly estimates (Pricing Calculator) count a month as 730 hours; a display convention, not a rule.
HOURS_PER_MONTH = 730


def dimension_key(mode: str, instance_type: str) -> str:
    """``("realtime", "ml.m5.large")`` → ``ml.m5.large.m.i.r`` (the catalog's key template for the mode)."""
    return limit("listing.E090")[mode].replace("<type>", instance_type)


def per_inference_key() -> str:
    return limit("listing.E091")


def price_field_name(key: str) -> str:
    return f"price_{key}"


def money(amount: Decimal) -> str:
    """``Decimal("0.5")`` → ``$0.50``; ``Decimal("0.00012")`` → ``$0.00012``; never scientific notation."""
    text = format(amount.normalize(), "f")
    whole, _, fraction = text.partition(".")
    fraction = fraction.ljust(2, "0")
    return f"${int(whole):,}.{fraction}" if whole.lstrip("-").isdigit() else f"${text}"


def _decimal(value) -> Decimal | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d+(\.\d+)?|\.\d+", value.strip()):
        return None
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        return None


@dataclass
class PriceRow:
    key: str
    mode: str
    instance_type: str
    field: forms.BoundField
    recommended: bool


@dataclass
class PriceGroup:
    mode: str
    label: str
    rows: list[PriceRow]


@dataclass
class PreviewRow:
    label: str  # "Real-time inference on ml.g5.xlarge"
    key: str
    price: str  # "$0.50" or "" when not priced (yet)
    unit: str  # "per hour"
    extra: str  # "≈ $365.00 per month running all the time"


class PricingForm(SectionForm):
    section = key = "pricing"
    section_template = "listings/sections/_pricing.html"

    # Not required: a draft saves without a model, and the checks ask for one (listing.E089).
    model = forms.ChoiceField(label="Pricing model", widget=forms.RadioSelect, required=False,
                              choices=[(m, MODEL_LABELS.get(m, m)) for m in limit("listing.E089")])
    free_trial_days = forms.IntegerField(required=False, label="Free trial (days)",
                                         widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "days"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = self.snapshot.get("kind", "model_package")
        types = self.snapshot.get("instance_types") if isinstance(self.snapshot.get("instance_types"), dict) else {}
        recommended = types.get("recommended") if isinstance(types.get("recommended"), dict) else {}
        self.groups: list[PriceGroup] = []
        self.hourly_keys: list[str] = []
        self.key_modes: dict[str, str] = {}
        self.table_errors: list[str] = []
        for mode in modes_for(self.kind):
            chosen = types.get(mode) if isinstance(types.get(mode), list) else []
            rows = []
            for instance_type in dict.fromkeys(t for t in chosen if isinstance(t, str) and t):
                key = dimension_key(mode, instance_type)
                self.hourly_keys.append(key)
                self.key_modes[key] = mode
                self.fields[price_field_name(key)] = self._price_field(key)
                rows.append((key, mode, instance_type, recommended.get(mode) == instance_type))
            self.groups.append(PriceGroup(mode, MODE_LABELS[mode], rows))  # rows bound below
        self.inference_key = per_inference_key()
        self.fields[price_field_name(self.inference_key)] = self._price_field(self.inference_key)
        saved = self._saved_prices()
        self.stale_keys = [k for k in saved if k not in self.hourly_keys and k != self.inference_key]
        for key in self.stale_keys:
            self.fields[price_field_name(key)] = self._price_field(key)
        for group in self.groups:
            group.rows = [PriceRow(key, mode, t, self[price_field_name(key)], rec) for key, mode, t, rec in group.rows]
        lo, hi = limit("listing.E097")
        best_lo, best_hi = limit("listing.W098")
        self.fields["free_trial_days"].help_text = (
            f"Leave empty for no free trial. AWS allows {lo} to {hi} days; {best_lo} to {best_hi} days is AWS's "
            "advice. Free trials go with hourly pricing.")
        self.fields["model"].help_text = ""

    @staticmethod
    def _price_field(key: str) -> forms.CharField:
        return forms.CharField(required=False, label=key, widget=forms.TextInput(attrs={
            "inputmode": "decimal", "placeholder": "0.00", "autocomplete": "off", "class": "price",
            "data-dimension": key}))

    def _saved_prices(self) -> dict:
        pricing = self.snapshot.get("pricing") if isinstance(self.snapshot.get("pricing"), dict) else {}
        prices = pricing.get("prices")
        return prices if isinstance(prices, dict) else {}

    # ------------------------------------------------------------------------------------------ conversion
    @classmethod
    def initial_from(cls, value) -> dict:
        value = value if isinstance(value, dict) else {}
        prices = value.get("prices") if isinstance(value.get("prices"), dict) else {}
        initial = {"model": value.get("model", "free"), "free_trial_days": value.get("free_trial_days")}
        initial.update({price_field_name(k): v if isinstance(v, str) else str(v) for k, v in prices.items()})
        return initial

    def to_data(self) -> dict:
        current = self.snapshot.get("pricing")
        value = copy.deepcopy(current) if isinstance(current, dict) else {}
        model = self.cleaned_data["model"]
        if model == "hourly":
            keys = [*self.hourly_keys, *self.stale_keys]
        elif model == "per_inference":
            # Per inference covers real-time endpoints; batch and training may keep hourly prices (listing.E091).
            keys = [self.inference_key, *(k for k in self.hourly_keys if self.key_modes[k] != "realtime")]
        elif model == "free":
            keys = []
        else:  # no model chosen yet: keep whatever was typed, the checks ask for a model
            keys = [*self.hourly_keys, *self.stale_keys, self.inference_key]
        prices = {}
        for key in keys:
            price = self.cleaned_data.get(price_field_name(key), "")
            if price != "":
                prices[key] = price
        value.update(model=model, prices=prices, free_trial_days=self.cleaned_data["free_trial_days"])
        return {self.key: value}

    def show_findings(self, findings) -> None:
        """A refused value about the prices as a whole (e.g. too many) goes above the price table, not to the
        top of the form. A missing price is not refused (a draft may lack it): the table marks empty boxes."""
        rest = []
        for finding in findings:
            if (finding.location == "field:pricing.prices" and finding.blocking
                    and not is_required_rule(finding.code)):
                self.table_errors.append(f"{finding.message} {finding.hint}".strip())
                continue
            rest.append(finding)
        super().show_findings(rest)
        self.findings = findings

    def field_for(self, location: str) -> str | None:
        match = re.match(r"^field:pricing\.prices\[(.+)\]$", location or "")
        if match:
            name = price_field_name(match[1])
            return name if name in self.fields else None
        if (location or "").startswith("field:pricing.prices"):
            return None
        return super().field_for(location)

    # ------------------------------------------------------------------------------------------- templates
    model_help = MODEL_HELP

    def current_model(self) -> str:
        value = self["model"].value()
        return value if isinstance(value, str) else ""

    def inference_field(self) -> forms.BoundField:
        return self[price_field_name(self.inference_key)]

    def stale_fields(self) -> list[forms.BoundField]:
        return [self[price_field_name(k)] for k in self.stale_keys]

    def has_instance_types(self) -> bool:
        return any(group.rows for group in self.groups)

    def price_errors(self) -> bool:
        return any(self[price_field_name(k)].errors for k in [*self.hourly_keys, *self.stale_keys])

    def cost_preview(self) -> list[PreviewRow]:
        """What a buyer pays for the software on each recommended instance (plus AWS's instance price)."""
        rows = []
        for group in self.groups:
            for row in group.rows:
                if not row.recommended:
                    continue
                amount = _decimal(row.field.value())
                label = f"{group.label} on {row.instance_type}"
                if amount is None:
                    rows.append(PreviewRow(label, row.key, "", "per hour", "Not priced yet."))
                    continue
                monthly = money(amount * HOURS_PER_MONTH)
                rows.append(PreviewRow(label, row.key, money(amount), "per hour",
                                       f"≈ {monthly} per month running all the time ({HOURS_PER_MONTH} hours)."))
        return rows

    def inference_preview(self) -> PreviewRow:
        amount = _decimal(self.inference_field().value())
        if amount is None:
            return PreviewRow("Real-time inference", self.inference_key, "", "per 1,000 inferences", "Not priced yet.")
        return PreviewRow("Real-time inference", self.inference_key, money(amount * 1000), "per 1,000 inferences",
                          f"{money(amount)} per inference.")

    def conflict_summary(self) -> list[tuple[str, str]]:
        prices = {k[len("price_"):]: self[k].value() for k in self.fields if k.startswith("price_")}
        shown = "\n".join(f"{k} = {v}" for k, v in prices.items() if v not in (None, "")) or "(none)"
        days = self["free_trial_days"].value()
        return [("Pricing model", MODEL_LABELS.get(self.current_model(), self.current_model())),
                ("Prices", shown), ("Free trial (days)", "none" if days in (None, "") else str(days))]
