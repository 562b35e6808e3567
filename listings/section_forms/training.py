"""Training channels, metric definitions and tuning objectives (algorithms), each a list of rows.

Each metric's regex is tried on the sample log line the seller pastes, with Python's ``re`` on the server.
SageMaker reads training logs with its own regex engine; common syntax (character classes, groups, quantifiers,
``\\d``, ``\\s``) behaves the same, but rare constructs may not — the page says so. A regex from a seller can
backtrack catastrophically, and CPython's ``re`` holds the GIL for the whole match, so it never runs in the web
process: ``try_metrics`` runs the matches in a short-lived child process with a time limit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass

from django import forms

from listings.section_forms.base import TextField
from listings.section_forms.rows import (
    LinesListField,
    RowForm,
    Rows,
    RowsSectionForm,
    choices_with,
    keep_order,
    max_length_of,
)
from validation.rules import limit

COMPRESSION_TYPES: tuple[str, ...] = tuple(limit("listing.E079"))  # None, Gzip (botocore)
INPUT_MODES: tuple[str, ...] = tuple(limit("listing.E080"))  # Pipe, File, FastFile (botocore)
OBJECTIVE_TYPES: tuple[str, ...] = tuple(limit("listing.E087"))  # Maximize, Minimize (botocore)

# Not AWS limits: guards for trying regexes in the web request. A sample log line is one line of a training log.
SAMPLE_LINE_MAX_TRIED = 10_000
TRY_SECONDS = 1.0  # per child process; a regex that needs longer on one line is reported as too slow
TRY_BUDGET_SECONDS = 3.0  # for all metrics of one page

_PROBE = r"""
import json, re, sys
for regex, line in json.loads(sys.stdin.read()):
    try:
        m = re.search(regex, line)
    except re.error as e:
        out = {"error": str(e)}
    except Exception as e:
        out = {"error": f"{type(e).__name__}: {e}"}
    else:
        if m is None:
            out = {"match": None}
        else:
            out = {"match": m.group(0), "groups": len(m.groups()), "first": m.group(1) if m.groups() else None}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
"""


@dataclass(frozen=True)
class MetricTry:
    """What a metric's regex makes of its sample line. ``status``: empty | captured | not_number | no_group |
    no_match | error | not_tried."""

    status: str
    message: str
    value: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "captured"

    def as_dict(self) -> dict:
        return {"status": self.status, "message": self.message, "value": self.value}


def _shown(value: str, most: int = 60) -> str:
    return f"“{value}”" if len(value) <= most else f"“{value[:most - 1]}…”"


def _outcome(result: dict) -> MetricTry:
    if "error" in result:
        return MetricTry("error", f"The regex does not compile: {result['error']}.")
    if result.get("match") is None:
        return MetricTry("no_match", "No match in the sample line: SageMaker would record nothing.")
    if not result.get("groups"):
        return MetricTry("no_group", f"Matches {_shown(result['match'])}, but has no capture group: put ( ) "
                                     "around the number SageMaker should record.")
    first = result.get("first")
    if first is None:
        return MetricTry("no_match", "The first capture group took no part in the match: SageMaker would record "
                                     "nothing.")
    try:
        float(first)
    except ValueError:
        return MetricTry("not_number", f"Captures {_shown(first)}, which is not a number.", first)
    if result["groups"] > 1:
        return MetricTry("no_group", f"Captures {_shown(first)} with the first of {result['groups']} groups; "
                                     "SageMaker reads the value from exactly one capture group.", first)
    return MetricTry("captured", f"Captures {first}.", first)


def _precheck(regex: str, line: str) -> MetricTry | None:
    if not regex.strip():
        return MetricTry("empty", "Write a regex to try it on the sample line.")
    if not line.strip():
        return MetricTry("empty", "Paste a line your training job prints to try the regex on it.")
    most = max_length_of("listing.E083")
    if most and len(regex) > most:
        return MetricTry("not_tried", f"Not tried: the regex has {len(regex):,} characters; AWS allows {most}.")
    if len(line) > SAMPLE_LINE_MAX_TRIED:
        return MetricTry("not_tried", f"Not tried: paste one log line (at most {SAMPLE_LINE_MAX_TRIED:,} "
                                      "characters).")
    return None


def _probe(pairs: list[tuple[str, str]], seconds: float) -> list[dict]:
    """Match each pair in a child process; stops at the first pair that overruns (the list is cut there)."""
    process = subprocess.Popen([sys.executable, "-I", "-S", "-c", _PROBE], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        out, _ = process.communicate(json.dumps(pairs), timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    results = []
    for line in out.splitlines():
        try:
            results.append(json.loads(line))
        except ValueError:
            break
    return results


def try_metrics(pairs: list[tuple[str, str]]) -> list[MetricTry]:
    """Each (regex, sample line) tried with Python's ``re.search``, as SageMaker searches each log line."""
    outcomes: list[MetricTry | None] = [_precheck(regex, line) for regex, line in pairs]
    todo = [i for i, outcome in enumerate(outcomes) if outcome is None]
    deadline = time.monotonic() + TRY_BUDGET_SECONDS
    while todo:
        left = deadline - time.monotonic()
        if left <= 0:
            for i in todo:
                outcomes[i] = MetricTry("not_tried", "Not tried: the other regexes took the time; save and look "
                                                     "again.")
            break
        results = _probe([pairs[i] for i in todo], min(TRY_SECONDS, left))
        for i, result in zip(todo, results):
            outcomes[i] = _outcome(result)
        if len(results) < len(todo):  # the next one overran
            slow = todo[len(results)]
            outcomes[slow] = MetricTry("error", "The regex took too long on the sample line (more than "
                                                f"{TRY_SECONDS:g} s): simplify nested repeats like (a+)+.")
            todo = todo[len(results) + 1:]
        else:
            todo = []
    return [outcome or MetricTry("not_tried", "Not tried.") for outcome in outcomes]


def try_metric(regex: str, line: str) -> MetricTry:
    return try_metrics([(regex, line)])[0]


# ----------------------------------------------------------------------------------------------------- rows


class ChannelRowForm(RowForm):
    empty_row = {"name": "", "description": "", "content_types": [], "compression": [], "input_modes": [],
                 "required": False}
    noun = "channel"
    wide = ("description",)
    double = ("content_types",)

    name = TextField(required=False, help_text="e.g. train, validation. Letters, digits, “.”, “-” and “_”.")
    content_types = LinesListField(commas=True, label="Content types",
                                   help_text="One per line or separated by commas, e.g. text/csv.")
    compression = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                            initial=[COMPRESSION_TYPES[0]],
                                            choices=[(c, c) for c in COMPRESSION_TYPES])
    input_modes = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                            label="Input modes", initial=["File"] if "File" in INPUT_MODES else [],
                                            choices=[(m, m) for m in INPUT_MODES])
    required = forms.BooleanField(required=False, label="Required",
                                  help_text="Buyers must give this channel.")
    description = TextField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, known in (("compression", COMPRESSION_TYPES), ("input_modes", INPUT_MODES)):
            self.fields[name].choices = choices_with([(v, v) for v in known], self[name].value())
        for name, code in (("name", "listing.E076"), ("description", "listing.E073")):
            most = max_length_of(code)
            if most:
                self.fields[name].widget.attrs["data-maxlength"] = most
        self.fields["name"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false", "class": "mono"})
        self.fields["content_types"].widget.attrs.update({"class": "mono", "spellcheck": "false"})

    def to_row(self) -> dict:
        row = super().to_row()
        before = self.saved_row or {}
        for name in ("compression", "input_modes"):
            row[name] = keep_order(row[name], before.get(name))
        return row


class MetricRowForm(RowForm):
    empty_row = {"name": "", "regex": "", "sample_log_line": ""}
    noun = "metric"
    wide = ("regex", "sample_log_line")
    extra_template = "listings/sections/_metric_try.html"

    name = TextField(required=False, help_text="e.g. validation:accuracy.")
    regex = TextField(required=False, label="Regex",
                      help_text="Put one capture group ( ) around the number, e.g. accuracy=([0-9.]+)")
    sample_log_line = TextField(required=False, label="Sample log line",
                                help_text="A line your training job prints, to try the regex on.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, code in (("name", "listing.E082"), ("regex", "listing.E083")):
            most = max_length_of(code)
            if most:
                self.fields[name].widget.attrs["data-maxlength"] = most
        for name in ("name", "regex", "sample_log_line"):
            self.fields[name].widget.attrs.update({"autocomplete": "off", "spellcheck": "false", "class": "mono"})
        self.tried: MetricTry | None = None


class TuningObjectiveRowForm(RowForm):
    empty_row = {"type": OBJECTIVE_TYPES[0], "metric_name": ""}
    noun = "tuning objective"
    title_field = "metric_name"
    double = ("metric_name",)

    type = forms.CharField(required=False, initial=OBJECTIVE_TYPES[0], label="Goal",
                           widget=forms.Select(choices=[(t, t) for t in OBJECTIVE_TYPES]))
    metric_name = forms.CharField(required=False, label="Metric", widget=forms.Select(),
                                  help_text="One of the metrics defined above.")

    def __init__(self, *args, metric_names: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].widget.choices = choices_with([(t, t) for t in OBJECTIVE_TYPES], self["type"].value())
        choices = [("", "Choose a metric")] + [(n, n) for n in metric_names]
        self.fields["metric_name"].widget.choices = choices_with(choices, self["metric_name"].value(),
                                                                 "not a metric above")


class TrainingForm(RowsSectionForm):
    section = "training"
    key = "channels"  # the view hands ``initial_from`` this key; metrics and objectives come from the snapshot
    section_template = "listings/sections/_training.html"
    rows = (
        Rows("channels", ("channels",), ChannelRowForm, "Training channels",
             help="The input channels your training code reads, e.g. train and validation.",
             count_code="listing.E074", add_label="Add a channel"),
        Rows("metrics", ("metrics",), MetricRowForm, "Metric definitions",
             help="How SageMaker finds each metric in the training log: a regex with one capture group around "
                  "the number. Each regex is tried here on its sample line with Python's re module (re.search) "
                  "as you type; SageMaker reads the log with its own regex engine, where common syntax (classes, "
                  "groups, \\d, \\s, quantifiers) means the same — avoid look-behind and other rare constructs.",
             count_code="listing.E081", add_label="Add a metric"),
        Rows("tuning_objectives", ("tuning_objectives",), TuningObjectiveRowForm, "Tuning objectives",
             help="The metrics automatic model tuning may optimise, and in which direction.",
             add_label="Add a tuning objective"),
    )

    @classmethod
    def initial_from(cls, value) -> dict:
        return {"channels": value if isinstance(value, list) else []}

    def row_kwargs(self, spec: Rows) -> dict:
        if spec.name != "tuning_objectives":
            return {}
        names = []
        for form in self.formsets["metrics"].forms:
            value = form["name"].value()
            if isinstance(value, str) and value.strip() and value.strip() not in names:
                names.append(value.strip())
        return {"metric_names": tuple(names)}

    def rowsets(self):
        self.try_metric_rows()
        return super().rowsets()

    def try_metric_rows(self) -> None:
        """Try every metric row's regex on its sample line (for the page; one child process for all)."""
        forms_ = self.formsets["metrics"].forms
        if getattr(self, "_tried", False):
            return
        self._tried = True
        pairs = []
        for form in forms_:
            regex, line = form["regex"].value(), form["sample_log_line"].value()
            pairs.append((regex if isinstance(regex, str) else "", line if isinstance(line, str) else ""))
        for form, outcome in zip(forms_, try_metrics(pairs)):
            form.tried = outcome
