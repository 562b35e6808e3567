"""Endpoint checks (AWS_RULES.md §4): content types, response MIME types, container environment, batch settings.

Patterns and limits are botocore's (read into the rules catalog); patterns are Java regexes matched whole, so they
go through ``validation.aws_models.compile_java_pattern`` like the strict request validator does.
"""

from __future__ import annotations

from collections.abc import Iterator

from validation.aws_models import compile_java_pattern
from validation.checks.listing_values import Report, entry, listed, loc, plural, shown, text_of
from validation.checks.registry import STAGE_METADATA, Subject, check
from validation.findings import Finding
from validation.rules import limit

_LISTS = (("input_content_types", "input content type"), ("response_mime_types", "response MIME type"))


def content_types(report: Report, items: list[tuple[int, str]] | None, where: str, what: str) -> None:
    """At least one content type, none blank, each within the API's length (shared with training channels)."""
    if items is None:
        return
    report.check("listing.E055", where)
    if not items:
        report.fail("listing.E055", f"No {what}s are given.", where)
    for i, value in items:
        if not value.strip():
            report.fail("listing.E055", f"{what.capitalize()} {i + 1} is empty.", f"{where}[{i}]")
    longest = report.check("listing.E056", where)
    over = [v for _, v in items if len(v) > longest]
    if over:
        report.fail("listing.E056", f"{plural(len(over), what)} longer than {longest} characters: {listed(over)}.",
                    where, max=longest)


def _content_types(report: Report, endpoint: dict) -> None:
    read = {key: report.texts(endpoint, key, loc("endpoint", key)) for key, _ in _LISTS}
    for key, what in _LISTS:
        content_types(report, read[key], loc("endpoint", key), what)
    where = loc("endpoint", "response_mime_types")
    mime = compile_java_pattern(limit("listing.E057"))
    responses = read["response_mime_types"]
    if mime is None or responses is None:
        return
    report.check("listing.E057", where)
    bad = [v for _, v in responses if v.strip() and not mime.fullmatch(v)]
    if bad:
        report.fail("listing.E057", f"{plural(len(bad), 'response MIME type')} not of the form type/subtype: "
                                    f"{listed(bad)}.", where, invalid=bad[:20])


def _environment(report: Report, endpoint: dict) -> None:
    where = loc("endpoint", "environment")
    environment = report.get(endpoint, "environment", dict, where)
    if environment is None:
        return
    report.count("listing.E058", environment, where, "environment variable")
    name_pattern = compile_java_pattern(limit("listing.E059"))
    longest = report.check("listing.E060", where)
    report.check("listing.E059", where)
    for name, value in environment.items():
        at = entry(where, name)
        if name_pattern is not None and not (isinstance(name, str) and name_pattern.fullmatch(name)):
            report.fail("listing.E059", f"{shown(name)} is not a valid environment variable name.", at)
        value = report.get(environment, name, str, at)
        if value is not None and len(value) > longest:
            report.fail("listing.E060", f"The value of {shown(name)} has {len(value):,} characters; AWS allows "
                                        f"{longest:,}.", at, length=len(value), max=longest)


def _batch(report: Report, endpoint: dict) -> None:
    where = loc("endpoint", "batch_strategy")
    strategy = report.text(endpoint, "batch_strategy", where)
    if strategy is not None:
        allowed = report.check("listing.E061", where)
        if strategy and strategy not in allowed:  # "" is unset: SageMaker then uses its default
            report.fail("listing.E061", f"{shown(strategy)} is not a batch strategy SageMaker knows.", where)
    where = loc("endpoint", "max_payload_mb")
    payload = report.get(endpoint, "max_payload_mb", int, where)
    if payload is not None:
        most = report.check("listing.E062", where)
        if not 0 <= payload <= most:
            report.fail("listing.E062", f"A maximum payload of {text_of(payload)} MB is outside 0–{most} MB.", where,
                        value=text_of(payload), max=most)


@check(
    name="listing.endpoint",
    title="Endpoint and content types",
    stage=STAGE_METADATA,
    codes=("listing.E029", "listing.E055", "listing.E056", "listing.E057", "listing.E058", "listing.E059",
           "listing.E060", "listing.E061", "listing.E062"),
)
def endpoint_rules(subject: Subject) -> Iterator[Finding]:
    report = Report(subject.listing)
    endpoint = report.section("endpoint")
    _content_types(report, endpoint)
    _environment(report, endpoint)
    _batch(report, endpoint)
    for key in ("framework", "framework_version"):
        report.text(endpoint, key, loc("endpoint", key))
    yield from report.findings()
