"""Forms outside the sections: creating a listing, and a reviewer's request for changes.

Limits come from the rules catalog; the rules themselves run in ``services.listing_create`` (the very checks a
validation run performs), and the view shows what they refuse at its field."""

from __future__ import annotations

from django import forms

from listings.models import ProductKind, Team
from listings.section_forms.base import TextField
from validation.rules import limit


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

class RequestChangesForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=5000,
        help_text="Tell the seller team what to change; they receive it by e-mail and on the listing page.",
    )
