"""Version checks (AWS_RULES.md §2, Catalog ``AddDeliveryOptions``): texts, links, samples and parameters."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from validation.checks.listing_values import Report, is_web_url, loc, shown
from validation.checks.registry import STAGE_METADATA, Subject, check
from validation.findings import Finding

_URL_LIKE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S*")  # a sample given as a link rather than as text
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")

# field → (required code, length code, what the seller calls it)
_TEXTS = (
    ("version_title", "listing.E030", "listing.E031", "The version title"),
    ("release_notes", "listing.E032", "listing.E033", "The release notes"),
    ("usage_instructions", "listing.E034", "listing.E035", "The usage instructions"),
    ("input_description", "listing.E040", "listing.E041", "The input description"),
    ("output_description", "listing.E040", "listing.E041", "The output description"),
)
_LINKS = (("notebook_url", "The sample notebook link"), ("repository_url", "The repository link"))
_SAMPLES = (
    ("sample_input_realtime", "The real-time sample input"), ("sample_output_realtime", "The real-time sample output"),
    ("sample_input_batch", "The batch sample input"), ("sample_output_batch", "The batch sample output"),
)
_PARAMETER_LISTS = (
    ("input_parameters", "input parameter"), ("custom_attributes", "custom attribute"),
    ("output_parameters", "output parameter"),
)


def _texts(report: Report, version: dict) -> None:
    for key, required, too_long, what in _TEXTS:
        value = report.text(version, key, loc("version", key))
        if report.required(required, value, loc("version", key), what):
            report.length(too_long, value, loc("version", key), what)
    limitations = report.text(version, "input_limitations", loc("version", "input_limitations"))
    report.length("listing.E042", limitations, loc("version", "input_limitations"), "The input limitations")


def _links(report: Report, version: dict) -> None:
    for key, what in _LINKS:
        where = loc("version", key)
        url = report.text(version, key, where)
        if not report.required("listing.E036", url, where, what):
            continue
        report.check("listing.E037", where)
        if not is_web_url(url.strip()):
            report.fail("listing.E037", f"{what} {shown(url)} is not an absolute https:// address.", where)
        report.length("listing.E038", url, where, what)
        if key == "repository_url":
            hosts = report.check("listing.W039", where)
            host = _host(url)
            if host and not any(host == h or host.endswith("." + h) for h in hosts):
                report.fail("listing.W039", f"The repository is on {host}, not on GitHub.", where, host=host)


def _host(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def _samples(report: Report, version: dict) -> None:
    for key, what in _SAMPLES:
        where = loc("version", key)
        sample = report.text(version, key, where)
        if not report.required("listing.E043", sample, where, what):
            continue
        report.length("listing.E044", sample, where, what)
        report.check("listing.E045", where)
        if _URL_LIKE.fullmatch(sample.strip()) and not is_web_url(sample.strip()):
            report.fail("listing.E045", f"{what} links to {shown(sample.strip())}, which is not an https:// address.",
                        where)


def _parameters(report: Report, version: dict) -> None:
    for key, what in _PARAMETER_LISTS:
        where = loc("version", key)
        items = report.records(version, key, where)
        report.count("listing.E046", items, where, what)
        for i, parameter in items or []:
            name_at = loc("version", key, i, "name")
            name = report.text(parameter, "name", name_at)
            if name is not None:
                low, high = report.check("listing.E047", name_at)
                if not low <= len(name) <= high or not _PRINTABLE_ASCII.fullmatch(name):
                    problem = (f"has {len(name)} characters" if not low <= len(name) <= high
                               else "has characters other than printable ASCII")
                    report.fail("listing.E047", f"The name of {what} {i + 1} {problem}.", name_at, length=len(name))
            report.length("listing.E048", report.text(parameter, "description", loc("version", key, i, "description")),
                          loc("version", key, i, "description"), f"The description of {what} {i + 1}")
            report.length("listing.E049", report.text(parameter, "constraints", loc("version", key, i, "constraints")),
                          loc("version", key, i, "constraints"), f"The constraints of {what} {i + 1}")
            report.get(parameter, "required", bool, loc("version", key, i, "required"))


@check(
    name="listing.version",
    title="Version",
    stage=STAGE_METADATA,
    codes=("listing.E029", "listing.E030", "listing.E031", "listing.E032", "listing.E033", "listing.E034",
           "listing.E035", "listing.E036", "listing.E037", "listing.E038", "listing.W039", "listing.E040",
           "listing.E041", "listing.E042", "listing.E043", "listing.E044", "listing.E045", "listing.E046",
           "listing.E047", "listing.E048", "listing.E049"),
)
def version_information(subject: Subject) -> Iterator[Finding]:
    report = Report(subject.listing)
    version = report.section("version")
    _texts(report, version)
    _links(report, version)
    _samples(report, version)
    _parameters(report, version)
    yield from report.findings()
