from __future__ import annotations

import re

from django import forms

from validation.findings import Finding, Outcome
from validation.rules import CATALOG

_PATH = re.compile(r"^field:(?P<key>[a-z_]+)(?:\[(?P<index>\d+)\])?(?:\.(?P<rest>.*))?$")


class TextField(forms.CharField):
    """Browsers send line breaks as CR LF: keep them as one LF, as the seller sees them (and AWS counts a CR
    as a control character)."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value


class LinesField(forms.CharField):
    """A list of short strings, typed one per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def is_required_rule(code: str) -> bool:
    return "required" in getattr(CATALOG.get(code), "tags", ())


def is_blocking(finding: Finding, snapshot: dict) -> bool:
    """Whether a save must be refused for this finding (listings.services.blocking_findings decides)."""
    from listings.services import blocking_findings

    return bool(blocking_findings([finding], snapshot))


class SectionForm(forms.Form):
    """Base: ``key`` is the snapshot key the form edits; ``fields_from``/``to_data`` convert."""

    section: str = ""
    key: str = ""
    lock_version = forms.IntegerField(widget=forms.HiddenInput())

    def __init__(self, *args, snapshot: dict, **kwargs):
        self.snapshot = snapshot
        self.findings: list[Finding] = []
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            max_length = getattr(field, "max_length", None)
            if max_length:
                # A live counter instead of the browser's maxlength, which would silently cut pasted text.
                field.widget.attrs.pop("maxlength", None)
                field.widget.attrs["data-maxlength"] = max_length

    @classmethod
    def initial_from(cls, value) -> dict:
        return dict(value) if isinstance(value, dict) else {}

    def to_data(self) -> dict:
        """The section's JSON from cleaned data: ``{key: value}`` for the keys the section owns."""
        value = dict(self.snapshot[self.key]) if isinstance(self.snapshot.get(self.key), dict) else {}
        value.update({name: self.cleaned_data[name] for name in self.fields if name != "lock_version"})
        return {self.key: value}

    def field_for(self, location: str) -> str | None:
        match = _PATH.match(location)
        if not match or match["key"] != self.key:
            return None
        name = re.split(r"[.\[]", match["rest"] or "", maxsplit=1)[0]
        return name if name in self.fields else None

    def show_findings(self, findings: list[Finding]) -> None:
        """Errors AWS would reject go to their field; the rest are kept for the page to show as advice."""
        self.findings = findings
        for finding in findings:
            if finding.outcome != Outcome.FAILED:
                continue
            field = self.field_for(finding.location)
            if is_blocking(finding, self.snapshot):
                message = f"{finding.message} {finding.hint}".strip()
                target = field if field and field not in self._errors else None
                if target:
                    self.add_error(target, message)
                elif field is None:
                    self.add_error(None, message)

    def advice(self) -> list[Finding]:
        """Failed findings that do not block saving (missing required values, best practice)."""
        return [f for f in self.findings if f.outcome == Outcome.FAILED and not is_blocking(f, self.snapshot)]
