"""Seller forms. Limits come from the rules catalog, and the field rules run the very checks the worker runs,
so a form and a validation run can never disagree about what AWS accepts."""

from __future__ import annotations

from django import forms

from listings.models import ProductKind, Team
from validation.checks.listing import product_information
from validation.checks.registry import Subject
from validation.findings import Outcome, Severity
from validation.rules import limit, rule


def _apply_check_errors(form: forms.Form, product: dict) -> None:
    for finding in product_information(Subject(listing={"product": product})):
        if finding.outcome != Outcome.FAILED or finding.severity != Severity.ERROR:
            continue
        field = finding.location.removeprefix("field:")
        if field in form.fields and field not in form.errors:
            form.add_error(field, f"{finding.message} {finding.hint}")


class TextField(forms.CharField):
    """Browsers send line breaks as CR LF: count and store them as one LF, as the seller sees them (and AWS
    counts a CR as a control character)."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value


class ProductInformationForm(forms.Form):
    title = TextField(
        max_length=limit("listing.E002"),
        help_text=f"The product name buyers see. At most {limit('listing.E002')} characters.",
    )
    short_description = TextField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=limit("listing.E006"),
        help_text=(f"Two or three sentences (AWS allows {limit('listing.E006')} characters; its guide suggests "
                   f"at most {limit('listing.W007')})."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("title", "short_description"):
            field = self.fields[name]
            # A live counter instead of the browser's maxlength, which would silently cut pasted text.
            field.widget.attrs.pop("maxlength", None)
            field.widget.attrs["data-maxlength"] = field.max_length
        self.fields["title"].widget.attrs["data-rule-url"] = rule("listing.E002").url

    def clean(self):
        data = super().clean()
        _apply_check_errors(self, {k: data.get(k, "") for k in ("title", "short_description")})
        return data


class ListingCreateForm(ProductInformationForm):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), empty_label=None)
    kind = forms.ChoiceField(
        choices=ProductKind.choices, widget=forms.RadioSelect,
        help_text="A model package is a trained model ready to deploy; an algorithm trains models on the buyer's data.",
    )
    field_order = ["team", "kind", "title", "short_description"]

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else Team.objects.none()
        if teams is not None and teams.count() == 1:
            self.fields["team"].widget = forms.HiddenInput()
            self.fields["team"].initial = teams.first().pk


class ListingEditForm(ProductInformationForm):
    lock_version = forms.IntegerField(widget=forms.HiddenInput())


class RequestChangesForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=5000,
        help_text="Tell the seller team what to change; they receive it by e-mail and on the listing page.",
    )
