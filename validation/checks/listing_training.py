"""Training checks for algorithms (AWS_RULES.md §4): channels, metric definitions and tuning objectives.

Metric regexes are compiled with Python's ``re``; SageMaker's parser is not documented as Python, but the
constructs sellers use (groups, classes, ``\\d``, ``\\s``) mean the same in both. Trying a regex on the sample log
line is guarded (``metric_regex_risk``) so a hostile pattern cannot hang a worker: Python's ``re`` has no time limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from validation.aws_models import compile_java_pattern
from validation.checks.listing_values import Report, kind_of, listed, loc, plural, shown
from validation.checks.registry import STAGE_METADATA, Subject, check
from validation.findings import Finding
from validation.rules import limit

MAX_SAMPLE_LINE = 500  # our guard: a metric log line is far shorter; longer lines are not tried
MAX_UNBOUNDED = 3  # our guard: with n ≤ 500, three unbounded repeats keep the worst case near 10^8 steps
_QUANTIFIED_GROUP = re.compile(r"\)(?:[*+]|\{\d+,\d*\})")
_OPEN_REPEAT = re.compile(r"\{\d+,\}")


def metric_regex_risk(regex: str) -> str:
    """Why trying ``regex`` could backtrack for too long ("" if it is safe enough to run)."""
    unbounded, in_class, escaped = 0, False, False
    stack: list[bool] = []  # per open group: does it hold a repeat or an alternation?
    for i, c in enumerate(regex):
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            stack.append(False)
        elif c in "*+|" or (c == "{" and _OPEN_REPEAT.match(regex, i)):
            unbounded += c != "|"
            if stack:
                stack[-1] = True
        elif c == ")" and stack:
            risky = stack.pop()
            if risky and _QUANTIFIED_GROUP.match(regex, i):
                return "a repeated group that itself repeats or alternates, e.g. (a+)+"
            if risky and stack:
                stack[-1] = True
    if unbounded > MAX_UNBOUNDED:
        return f"more than {MAX_UNBOUNDED} unbounded repeats (* or +)"
    return ""


def _channels(report: Report) -> None:
    where = loc("channels")
    channels = report.records(report.listing, "channels", where)
    report.count("listing.E074", channels, where, "training channel")
    name_pattern = compile_java_pattern(limit("listing.E075"))
    names: dict[str, int] = {}
    for i, channel in channels or []:
        at = loc("channels", i, "name")
        name = report.text(channel, "name", at)
        if name is not None:
            report.check("listing.E075", at)
            if name_pattern is not None and not name_pattern.fullmatch(name):
                problem = "has no name" if not name else f"is named {shown(name)}, which has characters AWS refuses"
                report.fail("listing.E075", f"Channel {i + 1} {problem}.", at)
            report.length("listing.E076", name, at, f"The name of channel {i + 1}")
            report.check("listing.E077", at)
            if name and name in names:
                report.fail("listing.E077", f"{shown(name)} is already channel {names[name] + 1}.", at)
            names.setdefault(name, i)
        report.length("listing.E073", report.text(channel, "description", loc("channels", i, "description")),
                      loc("channels", i, "description"), f"The description of channel {i + 1}")
        report.get(channel, "required", bool, loc("channels", i, "required"))
        _channel_formats(report, channel, i)


def _channel_formats(report: Report, channel: dict, i: int) -> None:
    at = loc("channels", i, "content_types")
    types = report.texts(channel, "content_types", at)
    if types is not None:
        report.check("listing.E078", at)
        if not [t for _, t in types if t.strip()]:
            report.fail("listing.E078", f"Channel {i + 1} lists no content types.", at)
        longest = report.check("listing.E056", at)
        over = [t for _, t in types if len(t) > longest]
        if over:
            report.fail("listing.E056", f"{plural(len(over), 'content type')} longer than {longest} characters.", at)
    for key, code, what in (("compression", "listing.E079", "compression type"), ("input_modes", "listing.E080",
                                                                                  "input mode")):
        at = loc("channels", i, key)
        items = report.texts(channel, key, at)
        if items is None:
            continue
        allowed = report.check(code, at)
        unknown = [v for _, v in items if v not in allowed]
        if unknown:
            report.fail(code, f"{plural(len(unknown), what)} SageMaker does not know: {listed(unknown)}.", at)
        if key == "input_modes" and not items:
            report.fail(code, f"Channel {i + 1} lists no input mode.", at)


def _metrics(report: Report) -> set[str]:
    where = loc("metrics")
    metrics = report.records(report.listing, "metrics", where)
    report.count("listing.E081", metrics, where, "metric definition")
    names: dict[str, int] = {}
    for i, metric in metrics or []:
        at = loc("metrics", i, "name")
        name = report.text(metric, "name", at)
        if name is not None:
            low, high = report.check("listing.E082", at)
            if not low <= len(name) <= high:
                report.fail("listing.E082", f"Metric {i + 1} has a name of {len(name):,} characters; AWS allows "
                                            f"{low} to {high}.", at, length=len(name))
            report.check("listing.W086", at)
            if name and name in names:
                report.fail("listing.W086", f"{shown(name)} is already metric {names[name] + 1}.", at)
            names.setdefault(name, i)
        _regex(report, metric, i)
    return set(names)


def _regex(report: Report, metric: dict, i: int) -> None:
    at = loc("metrics", i, "regex")
    regex = report.text(metric, "regex", at)
    line = report.text(metric, "sample_log_line", loc("metrics", i, "sample_log_line"))
    if regex is None:
        return
    low, high = report.check("listing.E083", at)
    if not low <= len(regex) <= high:
        report.fail("listing.E083", f"The regex of metric {i + 1} has {len(regex):,} characters; AWS allows {low} "
                                    f"to {high}.", at, length=len(regex))
        return
    report.check("listing.E084", at)
    try:
        compiled = re.compile(regex)
    except (re.error, RecursionError, OverflowError) as exc:
        report.fail("listing.E084", f"The regex of metric {i + 1} does not compile: {exc}.", at)
        return
    if line:
        _sample(report, compiled, line, i)


def _sample(report: Report, compiled: re.Pattern[str], line: str, i: int) -> None:
    at = loc("metrics", i, "sample_log_line")
    risk = metric_regex_risk(compiled.pattern)
    if risk or len(line) > MAX_SAMPLE_LINE:
        why = risk or f"the sample line is over {MAX_SAMPLE_LINE} characters"
        report.not_run("listing.W085", f"The regex of metric {i + 1} was not tried on its sample line: {why}.", at)
        return
    report.check("listing.W085", at)
    if compiled.groups != 1:
        report.fail("listing.W085", f"The regex of metric {i + 1} has {compiled.groups} capture groups; SageMaker "
                                    "reads the value from exactly one.", at, groups=compiled.groups)
        return
    match = compiled.search(line)
    captured = match.group(1) if match else None
    if captured is None:
        report.fail("listing.W085", f"The regex of metric {i + 1} does not match its sample log line.", at)
        return
    try:
        float(captured)
    except ValueError:
        report.fail("listing.W085", f"The regex of metric {i + 1} captures {shown(captured)}, not a number.", at,
                    captured=captured[:100])
        return
    names = report.note("listing.W085", "captured", {})  # shown on the passed finding: what SageMaker will read
    names[f"metrics[{i}]"] = captured[:100]


def _objectives(report: Report, metric_names: set[str]) -> None:
    where = loc("tuning_objectives")
    for i, objective in report.records(report.listing, "tuning_objectives", where) or []:
        kind = report.text(objective, "type", loc("tuning_objectives", i, "type"))
        if kind is not None:
            allowed = report.check("listing.E087", loc("tuning_objectives", i, "type"))
            if kind not in allowed:
                report.fail("listing.E087", f"{shown(kind) if kind else 'No type'} is not an objective type "
                                            "SageMaker knows.", loc("tuning_objectives", i, "type"))
        at = loc("tuning_objectives", i, "metric_name")
        name = report.text(objective, "metric_name", at)
        if name is not None:
            report.check("listing.E088", at)
            if name not in metric_names:
                report.fail("listing.E088", f"Tuning objective {i + 1} names {shown(name) if name else 'no metric'}, "
                                            "which is not a defined metric.", at)


@check(
    name="listing.training",
    title="Training channels, metrics and tuning",
    stage=STAGE_METADATA,
    codes=("listing.E029", "listing.E056", "listing.E073", "listing.E074", "listing.E075", "listing.E076",
           "listing.E077", "listing.E078", "listing.E079", "listing.E080", "listing.E081", "listing.E082",
           "listing.E083", "listing.E084", "listing.W085", "listing.W086", "listing.E087", "listing.E088"),
)
def training_rules(subject: Subject) -> Iterator[Finding]:
    report = Report(subject.listing)
    if kind_of(report.listing) != "algorithm":  # model packages do not train (listing.W117 says so if present)
        return
    _channels(report)
    _objectives(report, _metrics(report))
    yield from report.findings()
