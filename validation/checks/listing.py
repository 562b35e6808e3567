"""Product-information checks (AWS_RULES.md §1), plus control characters in every string of the listing.

The other sections live beside this module (``listing_version``, ``listing_instances``, ``listing_endpoint``,
``listing_hyperparameters``, ``listing_training``, ``listing_pricing``, ``listing_legal``, ``listing_aws``) and
``consistency`` looks across them; ``sections.section_findings`` serves one section's findings to forms and the API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice

from validation.checks.listing_values import Report, is_web_url, listed, loc, plural, shown, strings_in
from validation.checks.registry import STAGE_METADATA, Subject, check
from validation.findings import Finding
from validation.rules import limit, rule
from validation.snapshot_schema import MAP_FIELDS, SECTION_KEYS

# Same ranges as validation.checks.text (both built from the rule's limit), but stops after a few hits so a
# 10 MB string of control characters costs no memory.
_CONTROL = re.compile("[" + "".join(f"\\x{lo:02x}-\\x{hi:02x}" for lo, hi in limit("listing.E008")) + "]")
_POSITIONS_SHOWN = 20


def _text_rules(report: Report, info: dict) -> None:
    title = report.text(info, "title", loc("product", "title"))
    where = loc("product", "title")
    if report.required("listing.E001", title, where, "The title"):
        report.length("listing.E002", title, where, "The title")
        report.check("listing.E003", where)
        if title[:1].isspace():
            report.fail("listing.E003", "The title begins with white space.", where)
        report.check("listing.E004", where)
        if re.search(r"\s™", title):
            report.fail("listing.E004", "There is a space before ™ in the title.", where)

    short = report.text(info, "short_description", loc("product", "short_description"))
    where = loc("product", "short_description")
    if report.required("listing.E005", short, where, "The short description"):
        report.length("listing.E006", short, where, "The short description")
        guidance = report.check("listing.W007", where)
        if len(short) > guidance:
            report.fail("listing.W007", f"{len(short):,} characters; AWS's guide suggests at most {guidance}.",
                        where, length=len(short), max=guidance)

    for key, required, too_long, what in (
        ("long_description", "listing.E009", "listing.E010", "The long description"),
        ("support_description", "listing.E019", "listing.E020", "The support description"),
    ):
        value = report.text(info, key, loc("product", key))
        if report.required(required, value, loc("product", key), what):
            report.length(too_long, value, loc("product", key), what)
    sku = report.text(info, "sku", loc("product", "sku"))
    report.length("listing.E018", sku, loc("product", "sku"), "The SKU")


def _too_long(report: Report, code: str, items: list[tuple[int, str]], where: str, what: str) -> None:
    """One finding for every item of a list that is over the rule's length limit."""
    most = report.check(code, where)
    over = [(i, v) for i, v in items if len(v) > most]
    if over:
        report.fail(code, f"{plural(len(over), what)} exceed{'s' if len(over) == 1 else ''} {most} characters: "
                          f"{listed([v for _, v in over])}.", where,
                    items=[i for i, _ in over][:_POSITIONS_SHOWN], lengths=[len(v) for _, v in over][:_POSITIONS_SHOWN],
                    max=most)


def _list_rules(report: Report, info: dict) -> None:
    where = loc("product", "highlights")
    highlights = report.texts(info, "highlights", where)
    report.count("listing.E011", highlights, where, "highlight")
    _too_long(report, "listing.E012", highlights or [], where, "highlight")

    where = loc("product", "categories")
    categories = report.texts(info, "categories", where)
    report.count("listing.E013", categories, where, "category", "categories")
    known = report.check("listing.E014", where)
    unknown = [v for _, v in categories or [] if v not in known]
    if unknown:
        report.fail("listing.E014", f"{plural(len(unknown), 'category', 'categories')} not on AWS's list: "
                                    f"{listed(unknown)}.", where, unknown=unknown[:_POSITIONS_SHOWN])

    where = loc("product", "search_keywords")
    keywords = report.texts(info, "search_keywords", where)
    report.count("listing.E015", keywords, where, "search keyword")
    _too_long(report, "listing.E016", keywords or [], where, "keyword")
    total_max = report.check("listing.E017", where)
    total = sum(len(v) for _, v in keywords or [])
    if total > total_max:
        report.fail("listing.E017", f"The keywords have {total:,} characters together; AWS allows {total_max}.",
                    where, length=total, max=total_max)


def _media_rules(report: Report, info: dict, artifacts: object) -> None:
    links: list[tuple[str, str]] = []  # (location, url) of every media link, for duplicates
    where = loc("product", "additional_resources")
    resources = report.records(info, "additional_resources", where)
    report.count("listing.E021", resources, where, "additional resource")
    for code in ("listing.E022", "listing.E023", "listing.E024", "listing.E026"):
        report.check(code, where)
    schemes = limit("listing.E024")
    for i, resource in resources or []:
        text = report.text(resource, "text", loc("product", "additional_resources", i, "text"))
        url = report.text(resource, "url", loc("product", "additional_resources", i, "url"))
        if text is None or url is None:
            continue
        if not text.strip() or not url.strip():
            missing = "text" if not text.strip() else "url"
            report.fail("listing.E022", f"Additional resource {i + 1} has no {'link' if missing == 'url' else 'text'}.",
                        loc("product", "additional_resources", i, missing))
        report.length("listing.E023", text, loc("product", "additional_resources", i, "text"),
                      f"The text of additional resource {i + 1}")
        if url.strip():
            url_at = loc("product", "additional_resources", i, "url")
            if not is_web_url(url, schemes):
                report.fail("listing.E024", f"{shown(url)} is not an absolute web address.", url_at)
            report.length("listing.E026", url, url_at, f"The link of additional resource {i + 1}")
            links.append((url_at, url))

    where = loc("product", "video_url")
    video = report.text(info, "video_url", where)
    report.check("listing.E025", where)
    if video:
        if not is_web_url(video):
            report.fail("listing.E025", f"The video link {shown(video)} is not an absolute https:// address.", where)
        report.length("listing.E026", video, where, "The video link")
        links.append((where, video))

    report.check("listing.E027", loc("product"))
    seen: dict[str, str] = {}
    for at, url in links:
        key = url.strip().rstrip("/").lower()
        if key in seen:
            report.fail("listing.E027", f"{shown(url)} is already used at {seen[key].removeprefix('field:')}.", at)
        else:
            seen[key] = at
    logos = sum(1 for a in artifacts if isinstance(a, dict) and a.get("kind") == "logo") \
        if isinstance(artifacts, list) else 0
    report.count("listing.E028", len(links) + logos, loc("product"), "media item")


def _control_characters(listing: dict) -> Iterator[Finding]:
    """listing.E008 over every string of every section: failures where found, one pass per clean section."""
    control = rule("listing.E008")
    reported = 0
    for section, keys in SECTION_KEYS.items():
        clean = True
        for key in keys:
            if key not in listing:
                continue
            for where, value in strings_in(listing[key], f"field:{key}", maps=MAP_FIELDS):
                positions = [m.start() + 1 for m in islice(_CONTROL.finditer(value), _POSITIONS_SHOWN)]
                if positions:
                    clean = False
                    reported += 1
                    if reported <= 50:
                        yield control.failed(f"Control characters at position {', '.join(map(str, positions[:5]))}.",
                                             location=where, positions=positions)
        if clean:
            yield control.passed(location=f"field:{keys[0]}")


@check(
    name="listing.product_information",
    title="Product information",
    stage=STAGE_METADATA,
    codes=("listing.E001", "listing.E002", "listing.E003", "listing.E004", "listing.E005", "listing.E006",
           "listing.W007", "listing.E008", "listing.E009", "listing.E010", "listing.E011", "listing.E012",
           "listing.E013", "listing.E014", "listing.E015", "listing.E016", "listing.E017", "listing.E018",
           "listing.E019", "listing.E020", "listing.E021", "listing.E022", "listing.E023", "listing.E024",
           "listing.E025", "listing.E026", "listing.E027", "listing.E028", "listing.E029"),
)
def product_information(subject: Subject) -> Iterator[Finding]:
    report = Report(subject.listing)
    info = report.section("product")
    _text_rules(report, info)
    _list_rules(report, info)
    _media_rules(report, info, report.listing.get("artifacts"))
    yield from report.findings()
    yield from _control_characters(report.listing)
