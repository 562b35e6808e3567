"""The review pages' forms. Limits come from the services that enforce them (one place for each fact)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from listings import forms as listing_forms
from listings.models import CommentAnchor, ProductKind
from listings.review.policy import WAIVER_MAX_DAYS
from listings.review.selectors import QUEUE_VIEWS
from listings.review.services import MAX_COMMENT_CHARS


class RequestChangesForm(listing_forms.RequestChangesForm):
    sections = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Sections that need changes",
        help_text="Ticked sections are looked at again in the next version even if they do not change; the "
                  "others keep your sign-off unless the seller changes them.",
    )

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sections"].choices = [(a.name, a.title) for a in areas]
        self.fields["reason"].label = "What needs to change"


class CommentForm(forms.Form):
    anchor_kind = forms.ChoiceField(choices=CommentAnchor.choices, initial=CommentAnchor.GENERAL,
                                    widget=forms.HiddenInput)
    anchor = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)
    body = forms.CharField(label="Comment", max_length=MAX_COMMENT_CHARS,
                           widget=forms.Textarea(attrs={"rows": 3}))


class ReplyForm(forms.Form):
    body = forms.CharField(label="Reply", max_length=MAX_COMMENT_CHARS, widget=forms.Textarea(attrs={"rows": 2}))


class WaiverForm(forms.Form):
    finding = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label="Why this warning may stand", max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    expires_on = forms.DateField(label="Expires on", widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=f"At most {WAIVER_MAX_DAYS} days from today; later versions keep the "
                                           "waiver until then.")

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        today = timezone.now().date()
        if day <= today:
            raise forms.ValidationError("Choose a day after today.")
        if day > today + dt.timedelta(days=WAIVER_MAX_DAYS):
            raise forms.ValidationError(f"A waiver lasts at most {WAIVER_MAX_DAYS} days.")
        return day

    @property
    def expires_at(self) -> dt.datetime:
        """The end of the chosen day, UTC."""
        day = self.cleaned_data["expires_on"]
        return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.timezone.utc)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, required=False, empty_label="Nobody",
                                      label="Assign to")

    def __init__(self, *args, reviewers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = reviewers
        self.fields["assignee"].label_from_instance = lambda u: u.get_username()


class PlainSelect(forms.Select):
    """A ``<select>`` written in Python. Django renders each option through a template of its own (some 30 µs
    an option); the queue's team filter lists every team that has a version, on every view of the queue."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = {str(v) for v in self.format_value(value)}
        options = format_html_join("", "<option value=\"{}\"{}>{}</option>", (
            (key, mark_safe(" selected") if str(key) in chosen else "", label) for key, label in self.choices))
        return format_html("<select name=\"{}\"{}>{}</select>", name, flatatt(self.build_attrs(self.attrs, attrs)),
                           options)


class QueueFilterForm(forms.Form):
    view = forms.ChoiceField(choices=list(QUEUE_VIEWS.items()), required=False, label="Show")
    team = forms.ChoiceField(required=False, label="Team", widget=PlainSelect)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *ProductKind.choices], required=False, label="Kind",
                             widget=PlainSelect)
    q = forms.CharField(required=False, max_length=100, label="Title contains")

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "Any team"), *teams]  # selectors.queue_teams: (id, name)
