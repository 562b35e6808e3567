"""Forms outside the sections: creating a listing, and a reviewer's request for changes.

Limits come from the rules catalog, and the field rules run the very checks a validation run performs, so a
form and a run can never disagree about what AWS accepts."""

from __future__ import annotations

from django import forms

from listings.models import ProductKind, Team
from listings.section_forms.base import TextField, is_required_rule
from validation.checks.sections import section_findings
from validation.findings import Outcome, Severity
from validation.rules import limit
from validation.snapshot_schema import empty_snapshot


class ListingCreateForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), empty_label=None)
    kind = forms.ChoiceField(
        choices=ProductKind.choices, widget=forms.RadioSelect,
        help_text="A model package is a trained model ready to deploy; an algorithm trains models on the buyer's data.",
    )
    title = TextField(
        max_length=limit("listing.E002"),
        help_text=f"The product name buyers see. At most {limit('listing.E002')} characters.",
    )
    short_description = TextField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=limit("listing.E006"),
        help_text=(f"Two or three sentences (AWS allows {limit('listing.E006')} characters; its guide suggests "
                   f"at most {limit('listing.W007')})."),
    )

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else Team.objects.none()
        if teams is not None and teams.count() == 1:
            self.fields["team"].widget = forms.HiddenInput()
            self.fields["team"].initial = teams.first().pk
        for name in ("title", "short_description"):
            field = self.fields[name]
            # A live counter instead of the browser's maxlength, which would silently cut pasted text.
            field.widget.attrs.pop("maxlength", None)
            field.widget.attrs["data-maxlength"] = field.max_length

    def clean(self):
        data = super().clean()
        snapshot = empty_snapshot(data.get("kind") or "model_package")
        snapshot["product"].update(title=data.get("title", ""), short_description=data.get("short_description", ""))
        for finding in section_findings(snapshot, "product"):
            if finding.outcome != Outcome.FAILED or finding.severity != Severity.ERROR:
                continue
            field = finding.location.removeprefix("field:product.")
            if field in ("title", "short_description") and field not in self.errors and (
                    data.get(field) or not is_required_rule(finding.code)):
                self.add_error(field, f"{finding.message} {finding.hint}")
        return data


class RequestChangesForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=5000,
        help_text="Tell the seller team what to change; they receive it by e-mail and on the listing page.",
    )
