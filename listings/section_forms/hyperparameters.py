"""Hyperparameters (algorithms): one row per hyperparameter, and import/export as ``hyperparameters.json``.

Export is the list of rows exactly as the snapshot holds them (SNAPSHOT.md) — SageMaker's own
``hyperparameters.json`` (``{"name": "value"}``, what a training job receives) has no types, ranges or flags, so
it cannot carry a listing's definitions. Import takes that list back, or SageMaker's ``SupportedHyperParameters``
list (``CreateAlgorithm`` → ``TrainingSpecification``), as a developer may already have it in a script.
An import only fills the form: the rows replace the saved ones when the seller saves.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms

from listings.section_forms.base import TextField
from listings.section_forms.rows import RowForm, Rows, RowsSectionForm, choices_with, max_length_of
from validation.rules import limit

PARAMETER_TYPES: tuple[str, ...] = tuple(limit("listing.E066"))  # Integer, Continuous, Categorical, FreeText
RANGED = ("Integer", "Continuous")
EMPTY_HYPERPARAMETER = {"name": "", "description": "", "type": PARAMETER_TYPES[0], "min": "", "max": "",
                        "values": [], "default": "", "tunable": False, "required": False}
# Not an AWS limit: a hyperparameters.json of 100 rows is a few tens of kilobytes; refuse to parse megabytes.
IMPORT_MAX_BYTES = 1024 * 1024
_RANGE_KEYS = {"IntegerParameterRangeSpecification": "Integer",
               "ContinuousParameterRangeSpecification": "Continuous",
               "CategoricalParameterRangeSpecification": "Categorical"}
_SAGEMAKER_KEYS = {"Name", "Description", "Type", "Range", "IsTunable", "IsRequired", "DefaultValue"}


def split_values(text: str) -> list[str]:
    """``a, b, "c, d"`` → ``["a", "b", "c, d"]``: commas separate, double quotes keep a value whole (its spaces
    too; ``""`` inside quotes is one quote). Unquoted values are stripped and empty ones dropped."""
    values: list[str] = []
    token: list[str] = []
    quoted = in_quotes = False
    i = 0
    while i < len(text):
        c = text[i]
        if in_quotes:
            if c == '"' and text[i + 1:i + 2] == '"':
                token.append('"')
                i += 1
            elif c == '"':
                in_quotes = False
            else:
                token.append(c)
        elif c == ",":
            _finish(values, token, quoted)
            token, quoted = [], False
        elif c == '"' and not quoted and not "".join(token).strip():
            token, quoted, in_quotes = [], True, True
        elif not (quoted and c.isspace()):  # spaces after a closing quote are not part of the value
            token.append(c)
        i += 1
    _finish(values, token, quoted)
    return values


def _finish(values: list[str], token: list[str], quoted: bool) -> None:
    text = "".join(token)
    if quoted:
        values.append(text)
    elif text.strip():
        values.append(text.strip())


def join_values(values: list) -> str:
    """The inverse of ``split_values``: quote a value that holds a comma, a quote or outer spaces."""
    out = []
    for value in values:
        text = str(value)
        if any(c in text for c in ',"') or text != text.strip() or not text:
            text = '"' + text.replace('"', '""') + '"'
        out.append(text)
    return ", ".join(out)


class ValuesField(forms.CharField):
    """Categorical values, comma-separated in one box."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        return join_values(value) if isinstance(value, list) else value

    def has_changed(self, initial, data):
        before = self.to_python(self.prepare_value(initial) if initial is not None else "")
        return before != self.to_python(data)

    def to_python(self, value):
        return split_values(super().to_python(value) or "")


class HyperparameterRowForm(RowForm):
    empty_row = EMPTY_HYPERPARAMETER
    noun = "hyperparameter"
    wide = ("description",)
    double = ("values",)
    switch = "type"
    show_for = {"min": RANGED, "max": RANGED, "values": ("Categorical",)}

    name = TextField(required=False, help_text="As your training code reads it, e.g. learning_rate.")
    type = forms.CharField(required=False, initial=PARAMETER_TYPES[0],
                           widget=forms.Select(choices=[(t, t) for t in PARAMETER_TYPES]))
    min = TextField(required=False, label="Minimum", help_text="Integer and Continuous.")
    max = TextField(required=False, label="Maximum", help_text="Integer and Continuous.")
    values = ValuesField(label="Values", help_text="Categorical: separated by commas; quote a value that holds "
                                                   "a comma, e.g. \"a, b\".")
    default = TextField(required=False, label="Default value",
                        help_text="Leave empty if buyers must give it.")
    tunable = forms.BooleanField(required=False, label="Tunable",
                                 help_text="Automatic model tuning may vary it.")
    required = forms.BooleanField(required=False, label="Required",
                                  help_text="Buyers must set it (then it has no default).")
    description = TextField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An unknown type (an API client may send anything) stays visible so listing.E066 can explain it.
        current = self["type"].value()
        self.fields["type"].widget.choices = choices_with([(t, t) for t in PARAMETER_TYPES], current)
        for name, code in (("name", "listing.E064"), ("description", "listing.E073"), ("default", "listing.E070")):
            most = max_length_of(code)
            if most:
                self.fields[name].widget.attrs["data-maxlength"] = most
        self.fields["name"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false", "class": "mono"})


class HyperparametersForm(RowsSectionForm):
    section = key = "hyperparameters"
    section_template = "listings/sections/_hyperparameters.html"
    rows = (
        Rows("hyperparameters", ("hyperparameters",), HyperparameterRowForm, "Hyperparameters",
             help="The hyperparameters your training code accepts. Buyers see them with their types, ranges "
                  "and defaults.", count_code="listing.E063", add_label="Add a hyperparameter"),
    )

    @classmethod
    def initial_from(cls, value) -> dict:
        return {"hyperparameters": value if isinstance(value, list) else []}


# ------------------------------------------------------------------------------------------ import, export


class ImportProblem(Exception):
    """The file cannot become rows; ``messages`` say why, each on its own."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def export_hyperparameters(snapshot: dict) -> bytes:
    rows = snapshot.get("hyperparameters")
    return (json.dumps(rows if isinstance(rows, list) else [], indent=2, ensure_ascii=False) + "\n").encode()


def _text(value: Any, what: str, errors: list[str]) -> str:
    """A text value from JSON; numbers are accepted as written (``0.1`` → ``"0.1"``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return json.dumps(value)
    errors.append(f"{what} must be text, not {_json_kind(value)}.")
    return ""


def _flag(value: Any, what: str, errors: list[str]) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    errors.append(f"{what} must be true or false, not {_json_kind(value)}.")
    return False


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null"


def _ours(item: dict, where: str, errors: list[str]) -> dict:
    unknown = sorted(set(item) - set(EMPTY_HYPERPARAMETER))
    if unknown:
        errors.append(f"{where} has fields this listing does not know: {', '.join(unknown)}.")
    row = dict(EMPTY_HYPERPARAMETER, values=[])
    for key in ("name", "description", "type", "min", "max", "default"):
        if key in item:
            row[key] = _text(item[key], f"{where}: “{key}”", errors)
    for key in ("tunable", "required"):
        if key in item:
            row[key] = _flag(item[key], f"{where}: “{key}”", errors)
    values = item.get("values", [])
    if not isinstance(values, list):
        errors.append(f"{where}: “values” must be a list, not {_json_kind(values)}.")
    else:
        row["values"] = [_text(v, f"{where}: each of “values”", errors) for v in values]
    return row


def _sagemaker(item: dict, where: str, errors: list[str]) -> dict:
    unknown = sorted(set(item) - _SAGEMAKER_KEYS)
    if unknown:
        errors.append(f"{where} has fields SageMaker's HyperParameterSpecification does not know: "
                      f"{', '.join(unknown)}.")
    row = dict(EMPTY_HYPERPARAMETER, values=[])
    row["name"] = _text(item.get("Name"), f"{where}: Name", errors)
    row["description"] = _text(item.get("Description"), f"{where}: Description", errors)
    row["type"] = _text(item.get("Type"), f"{where}: Type", errors)
    row["default"] = _text(item.get("DefaultValue"), f"{where}: DefaultValue", errors)
    row["tunable"] = _flag(item.get("IsTunable"), f"{where}: IsTunable", errors)
    row["required"] = _flag(item.get("IsRequired"), f"{where}: IsRequired", errors)
    spec = item.get("Range")
    if spec is None:
        return row
    if not isinstance(spec, dict):
        errors.append(f"{where}: Range must be an object, not {_json_kind(spec)}.")
        return row
    unknown = sorted(set(spec) - set(_RANGE_KEYS))
    if unknown or len(spec) > 1:
        errors.append(f"{where}: Range must hold one of {', '.join(_RANGE_KEYS)}"
                      + (f", not {', '.join(unknown)}." if unknown else "."))
        return row
    for key, range_type in _RANGE_KEYS.items():
        if key not in spec:
            continue
        if row["type"] and row["type"] != range_type:
            errors.append(f"{where}: Type is {row['type']} but Range has {key}.")
        body = spec[key]
        if not isinstance(body, dict):
            errors.append(f"{where}: {key} must be an object, not {_json_kind(body)}.")
        elif range_type == "Categorical":
            values = body.get("Values", [])
            if not isinstance(values, list):
                errors.append(f"{where}: Values must be a list, not {_json_kind(values)}.")
            else:
                row["values"] = [_text(v, f"{where}: each of Values", errors) for v in values]
        else:
            row["min"] = _text(body.get("MinValue"), f"{where}: MinValue", errors)
            row["max"] = _text(body.get("MaxValue"), f"{where}: MaxValue", errors)
    return row


def parse_hyperparameters_json(raw: bytes) -> list[dict]:
    """Rows from a ``hyperparameters.json``: this listing's export, or SageMaker's ``SupportedHyperParameters``
    (alone, or inside ``{"SupportedHyperParameters": …}`` or a ``TrainingSpecification``).

    Raises ``ImportProblem`` with every problem found; rows with bad values (a default outside the range) are
    returned as they are — the section's checks show those at the row once imported."""
    if len(raw) > IMPORT_MAX_BYTES:
        raise ImportProblem([f"The file has {len(raw):,} bytes; a hyperparameters.json is a few kilobytes "
                             f"(at most {IMPORT_MAX_BYTES // 1024:,} KB here)."])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportProblem([f"The file is not UTF-8 text (byte {exc.start + 1} cannot be read)."]) from None
    if not text.strip():
        raise ImportProblem(["The file is empty."])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportProblem([f"The file is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."]) \
            from None
    if isinstance(data, dict):
        spec = data.get("TrainingSpecification")
        if isinstance(spec, dict) and "SupportedHyperParameters" in spec:
            data = spec["SupportedHyperParameters"]
        elif "SupportedHyperParameters" in data:
            data = data["SupportedHyperParameters"]
        elif "hyperparameters" in data:
            data = data["hyperparameters"]
        elif data and all(isinstance(v, (str, int, float)) for v in data.values()):
            raise ImportProblem([
                "This looks like the hyperparameters.json a training job receives ({\"name\": \"value\"}): it "
                "has no types, ranges or flags to list. Import a file exported from this page, or SageMaker's "
                "SupportedHyperParameters list (as in CreateAlgorithm's TrainingSpecification)."])
    if not isinstance(data, list):
        raise ImportProblem([f"Expected a list of hyperparameters, found {_json_kind(data)}. Import a file "
                             "exported from this page, or SageMaker's SupportedHyperParameters list."])
    most = limit("listing.E063")
    if len(data) > most:
        raise ImportProblem([f"The file lists {len(data):,} hyperparameters; AWS allows at most {most}."])
    errors: list[str] = []
    rows = []
    for number, item in enumerate(data, 1):
        where = f"Item {number}"
        if not isinstance(item, dict):
            errors.append(f"{where} is {_json_kind(item)}, not an object.")
            continue
        name = item.get("name", item.get("Name"))
        if isinstance(name, str) and name:
            where += f" (“{name[:40]}”)"
        if "Name" in item or "Type" in item or "Range" in item:
            rows.append(_sagemaker(item, where, errors))
        else:
            rows.append(_ours(item, where, errors))
    if errors:
        shown = errors[:20] + ([f"…and {len(errors) - 20} more."] if len(errors) > 20 else [])
        raise ImportProblem(shown)
    return rows
