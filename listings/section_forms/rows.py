"""Lists of records in a section (hyperparameters, channels, metrics, parameters) edited as rows of a formset.

A ``RowsSectionForm`` is a ``SectionForm`` that also holds one Django formset per list it edits (``rows``), with
deletion (a "Remove" checkbox) and ordering (a "Position" number) that work without JavaScript; sections.js adds
"Add" by cloning the formset's empty form from a ``<template>``, and up/down buttons that renumber the positions.
Without JavaScript, "Add" posts the form to ``listing-section-rows``, which renders it with one more blank row.

Row field names are the snapshot record's keys, so a finding located at ``field:hyperparameters[2].default``
(validation/SNAPSHOT.md) lands on the ``default`` field of the row that became item 2 of the saved list — after
removed rows are dropped and the rest sorted by position, exactly as ``to_data`` wrote them.

Limits are not checked here: the section's checks (the same ones a validation run performs) judge the saved
list, and their findings come back at the rows.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.forms.formsets import DELETION_FIELD_NAME, ORDERING_FIELD_NAME, BaseFormSet, formset_factory
from django.http import QueryDict

from listings.section_forms.base import SectionForm, is_required_rule
from validation.findings import Finding, Outcome, Severity
from validation.rules import CATALOG

__all__ = [
    "LinesListField",
    "RowForm",
    "Rows",
    "RowsSectionForm",
    "choices_with",
    "form_post_data",
    "keep_order",
    "location_path",
    "max_length_of",
]

# "field:version.input_parameters[1].name" → ["version", "input_parameters", 1, "name"]; a bracketed key that is
# not a number stays a string ("field:pricing.prices[ml.m5.large.m.i.r]" → [..., "prices", "ml.m5.large.m.i.r"]).
_TOKEN = re.compile(r"\.?([^.\[\]]+)|\[([^\]]*)\]")


def location_path(location: str) -> list[str | int] | None:
    if not isinstance(location, str) or not location.startswith("field:"):
        return None
    rest, pos, parts = location[6:], 0, []
    while pos < len(rest):
        match = _TOKEN.match(rest, pos)
        if not match:
            return None
        name, key = match.groups()
        parts.append(name if name is not None else (int(key) if key.isdigit() else key))
        pos = match.end()
    return parts


def max_length_of(code: str) -> int | None:
    """The upper length limit of a catalog rule whose limit is ``max`` or ``(min, max)``, for a live counter."""
    value = CATALOG[code].limit if code in CATALOG else None
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return value[1]
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def keep_order(chosen: Iterable[str], previous: Any) -> list[str]:
    """Checked boxes come back in page order; keep the saved order for values that were there, new ones after.

    A saved ``["Gzip", "None"]`` re-posted unchanged must stay ``["Gzip", "None"]`` (the section round-trips)."""
    before = [v for v in previous if isinstance(v, str)] if isinstance(previous, list) else []
    rank = {value: i for i, value in reversed(list(enumerate(before)))}
    chosen = list(dict.fromkeys(chosen))
    return sorted(chosen, key=lambda v: (v not in rank, rank.get(v, 0)))


def choices_with(choices: Sequence[tuple[str, str]], current: Any, note: str = "not a known value") -> list:
    """``choices`` plus any current value(s) not among them, so an unknown saved value is shown, never dropped.

    The checks then say what is wrong with it (an API client may have saved anything)."""
    known = {value for value, _ in choices}
    values = current if isinstance(current, list) else [current]
    extra = [(v, f"{v} ({note})") for v in values if isinstance(v, str) and v and v not in known]
    return [*choices, *extra]


class LinesListField(forms.CharField):
    """A list of short strings typed one per line (or separated by commas when ``commas``)."""

    def __init__(self, *args, commas: bool = False, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2}))
        self.commas = commas
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return value

    def has_changed(self, initial, data):
        before = self.to_python(self.prepare_value(initial) if initial is not None else "")
        return before != self.to_python(data)

    def to_python(self, value):
        text = super().to_python(value) or ""
        parts = re.split(r"[\n,]" if self.commas else r"\n", text.replace("\r\n", "\n"))
        return [part.strip() for part in parts if part.strip()]


@dataclass
class Cell:
    """One field of a row as the template draws it."""

    field: forms.BoundField
    kind: str  # "input" | "checkbox" | "choices"
    wide: bool
    show_for: str
    double: bool = False  # space-separated values of the row's switch field; "" = always shown


class RowForm(forms.Form):
    """One record of a list. ``empty_row`` is the record with every key (SNAPSHOT.md) and its default.

    ``wide`` fields take the row's full width; ``show_for`` maps a field to the values of ``switch`` (another
    field) for which it matters, so sections.js can hide it otherwise (without JavaScript all fields show)."""

    empty_row: dict[str, Any] = {}
    noun = "row"
    wide: tuple[str, ...] = ()
    double: tuple[str, ...] = ()  # fields two columns wide
    switch: str = ""
    show_for: dict[str, tuple[str, ...]] = {}
    title_field: str = "name"
    extra_template: str = ""  # drawn under the row's fields (e.g. a metric's regex tried on its sample line)
    saved_row: dict | None = None  # the saved record this row was drawn from (set by RowsSectionForm)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("use_required_attribute", False)
        super().__init__(*args, **kwargs)
        if self.switch in self.fields:
            self.fields[self.switch].widget.attrs["data-switch"] = "1"

    @classmethod
    def initial_from_row(cls, row: dict) -> dict:
        return {key: copy.deepcopy(row.get(key, default)) for key, default in cls.empty_row.items()}

    def to_row(self) -> dict:
        row = copy.deepcopy(self.empty_row)
        row.update({key: self.cleaned_data[key] for key in self.empty_row if key in self.cleaned_data})
        return row

    # ---------------------------------------------------------------------------------------- for templates
    def own_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in (ORDERING_FIELD_NAME, DELETION_FIELD_NAME)]

    def cells(self) -> list[Cell]:
        cells = []
        for bound in self.own_fields():
            widget = bound.field.widget
            kind = ("checkbox" if isinstance(widget, forms.CheckboxInput)
                    else "choices" if isinstance(widget, forms.CheckboxSelectMultiple) else "input")
            cells.append(Cell(bound, kind, bound.name in self.wide, " ".join(self.show_for.get(bound.name, ())),
                              bound.name in self.double))
        return cells

    def title(self) -> str:
        value = self[self.title_field].value() if self.title_field in self.fields else ""
        return value if isinstance(value, str) else ""


class _RowFormSet(BaseFormSet):
    ordering_widget = forms.NumberInput

    def get_ordering_widget(self):
        return forms.NumberInput(attrs={"min": 1, "class": "position", "inputmode": "numeric"})

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields[ORDERING_FIELD_NAME].label = "Position"
        form.fields[ORDERING_FIELD_NAME].help_text = "Rows are saved in this order."
        form.fields[DELETION_FIELD_NAME].label = "Remove"
        form.fields[DELETION_FIELD_NAME].help_text = "Checked rows are removed when you save."


@dataclass(frozen=True)
class Rows:
    """One list a section form edits as rows."""

    name: str  # the formset prefix, e.g. "input_parameters"
    path: tuple[str, ...]  # where the list lives in the snapshot: ("version", "input_parameters") or ("metrics",)
    form: type[RowForm]
    title: str
    help: str = ""
    count_code: str = ""  # the catalog rule that holds the allowed number, shown as "n of max"
    add_label: str = "Add a row"
    noun: str = ""  # what one row is called, when not the row form's own noun

    def formset_class(self) -> type[BaseFormSet]:
        return formset_factory(self.form, formset=_RowFormSet, extra=0, can_delete=True, can_order=True)

    @property
    def max_rows(self) -> int | None:
        return max_length_of(self.count_code) if self.count_code else None

    @property
    def min_rows(self) -> int:
        value = CATALOG[self.count_code].limit if self.count_code in CATALOG else None
        return value[0] if isinstance(value, tuple) and len(value) == 2 else 0


@dataclass
class Rowset:
    """What a template needs to draw one list: its spec, its formset and errors that belong to no single row."""

    spec: Rows
    formset: BaseFormSet
    errors: list[str]

    @property
    def name(self) -> str:
        return self.spec.name

    def count(self) -> int:
        return len(self.formset.forms)


def _value_at(snapshot: dict, path: tuple[str, ...]) -> Any:
    value: Any = snapshot
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _blocking(finding: Finding) -> bool:
    return (finding.outcome == Outcome.FAILED and finding.severity == Severity.ERROR
            and not is_required_rule(finding.code))


class RowsSectionForm(SectionForm):
    """A section form with row formsets; see the module docstring."""

    rows: tuple[Rows, ...] = ()
    section_template = ""  # a template drawing the whole section; "" = generic fields, then the rowsets
    refused_prefix = "Not saved: "  # "" where nothing was being saved (an import shows its rows' findings)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.formsets: dict[str, BaseFormSet] = {}
        self.rowset_errors: dict[str, list[str]] = {spec.name: [] for spec in self.rows}
        self._kept: dict[str, list[forms.Form]] = {}
        for spec in self.rows:
            self.formsets[spec.name] = self._build_formset(spec)

    # ------------------------------------------------------------------------------------------- building
    def initial_records(self, spec: Rows) -> list[dict]:
        """The saved list: from ``initial`` when the view put it there, else from the snapshot."""
        records = self.initial[spec.name] if spec.name in self.initial else _value_at(self.snapshot, spec.path)
        return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []

    def row_kwargs(self, spec: Rows) -> dict:
        """Extra keyword arguments for every row form of ``spec`` (e.g. choices that depend on other rows)."""
        return {}

    def _build_formset(self, spec: Rows) -> BaseFormSet:
        formset_class = spec.formset_class()
        kwargs = {"prefix": spec.name, "form_kwargs": self.row_kwargs(spec)}
        records = self.initial_records(spec)
        if self.is_bound:
            formset = formset_class(self.data, **kwargs)
            existing = formset.initial_form_count()
        else:
            formset = formset_class(initial=[spec.form.initial_from_row(record) for record in records], **kwargs)
            existing = len(records)
        # Each posted row that was drawn from a saved record is still at that record's index (moving a row
        # changes its Position, not its index): the saved record tells a row how it looked before.
        for index, form in enumerate(formset.forms):
            form.saved_row = records[index] if index < min(existing, len(records)) else None
        return formset

    # ------------------------------------------------------------------------------------------ validating
    def is_valid(self) -> bool:
        valid = super().is_valid()
        rows_valid = [formset.is_valid() for formset in self.formsets.values()]
        return valid and all(rows_valid)

    def kept_forms(self, spec: Rows) -> list[forms.Form]:
        """Row forms that become the saved list, in its order: blank new rows and removed rows left out."""
        formset = self.formsets[spec.name]
        entries = []
        for index, form in enumerate(formset.forms):
            cleaned = getattr(form, "cleaned_data", None)
            if cleaned is None:
                continue
            if formset._should_delete_form(form):
                continue
            own_changes = [n for n in form.changed_data if n not in (ORDERING_FIELD_NAME, DELETION_FIELD_NAME)]
            if index >= formset.initial_form_count() and not own_changes:
                continue  # a blank row added and left empty
            order = cleaned.get(ORDERING_FIELD_NAME)
            entries.append((order is None, order or 0, index, form))
        entries.sort(key=lambda entry: entry[:3])
        return [entry[3] for entry in entries]

    def to_data(self) -> dict:
        scalar = {name: self.cleaned_data[name] for name in self.fields if name != "lock_version"}
        data: dict[str, Any] = {}
        if isinstance(self.snapshot.get(self.key), dict):
            data[self.key] = dict(self.snapshot[self.key]) | scalar
        for spec in self.rows:
            kept = self.kept_forms(spec)
            self._kept[spec.name] = kept
            records = [form.to_row() for form in kept]
            if len(spec.path) == 1:
                data[spec.path[0]] = records
            else:
                parent = data.setdefault(spec.path[0], dict(self.snapshot.get(spec.path[0]) or {}))
                parent[spec.path[1]] = records
        return data

    # -------------------------------------------------------------------------------------------- findings
    def _place_in_rows(self, finding: Finding, message: str) -> bool:
        path = location_path(finding.location)
        if path is None:
            return False
        for spec in self.rows:
            if tuple(path[: len(spec.path)]) != spec.path:
                continue
            rest = path[len(spec.path):]
            kept = self._kept.get(spec.name)
            if kept is None and self.is_bound and all(hasattr(f, "cleaned_data") for f in self.formsets[spec.name].forms):
                kept = self._kept[spec.name] = self.kept_forms(spec)
            if not rest or not isinstance(rest[0], int) or not kept or rest[0] >= len(kept):
                if message not in self.rowset_errors[spec.name]:
                    self.rowset_errors[spec.name].append(message)
                return True
            row = kept[rest[0]]
            field = rest[1] if len(rest) > 1 and rest[1] in row.fields else None
            if field is None:
                if message not in row.non_field_errors():
                    row.add_error(None, message)
            elif field not in row._errors:
                row.add_error(field, message)
            return True
        return False

    def show_findings(self, findings: list[Finding]) -> None:
        """Blocking findings go to the row and field they name; the rest follow ``SectionForm.show_findings``.

        Rows can run far down the page, so the top of the form also says how many values were refused."""
        rest, placed = [], 0
        for finding in findings:
            if _blocking(finding) and self._place_in_rows(finding, f"{finding.message} {finding.hint}".strip()):
                placed += 1
                continue
            rest.append(finding)
        super().show_findings(rest)
        self.findings = findings
        if placed:
            values = "value AWS would reject is" if placed == 1 else "values AWS would reject are"
            self.add_error(None, f"{self.refused_prefix}{placed} {values} marked in the rows below.")

    # ------------------------------------------------------------------------------------------- templates
    def rowsets(self) -> list[Rowset]:
        return [Rowset(spec, self.formsets[spec.name], self.rowset_errors[spec.name]) for spec in self.rows]

    def has_row_errors(self) -> bool:
        return any(rs.errors or any(f.errors for f in rs.formset.forms) or rs.formset.non_form_errors()
                   for rs in self.rowsets())

    def conflict_summary(self) -> list[tuple[str, str]]:
        """The saved values as text, for the "saved by your teammate" banner (this form holds theirs)."""
        out = []
        for field in self.visible_fields():
            value = field.value()
            if isinstance(value, (list, tuple)):
                value = "\n".join(str(v) for v in value)
            elif isinstance(value, bool):
                value = "yes" if value else "no"
            out.append((str(field.label), "" if value is None else str(value)))
        for spec in self.rows:
            records = self.initial_records(spec)
            text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records) or "(none)"
            out.append((spec.title, text))
        return out


def form_post_data(form: forms.Form) -> QueryDict:
    """What a browser posts for an unbound ``form`` as drawn: its fields, and every rowset with its management
    form. Used to re-bind imported rows (so they show with their findings) and by tests."""
    data = QueryDict(mutable=True)

    def put(bound: forms.BoundField) -> None:
        value = bound.value()
        widget = bound.field.widget
        if isinstance(widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, (list, tuple)):
            data.setlist(bound.html_name, [str(v) for v in value])
        elif value is not None:
            data[bound.html_name] = str(value)

    for bound in form:
        put(bound)
    for formset in getattr(form, "formsets", {}).values():
        for bound in formset.management_form:
            put(bound)
        for row in formset.forms:
            for bound in row:
                put(bound)
    return data
