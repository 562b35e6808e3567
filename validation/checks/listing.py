"""Product-information checks (AWS_RULES.md §1)."""

from __future__ import annotations

from collections.abc import Iterator

from validation.checks.registry import STAGE_METADATA, Subject, check
from validation.checks.text import control_characters
from validation.findings import Finding
from validation.rules import rule


def _length_rule(code: str, field: str, value: str) -> Finding:
    r = rule(code)
    if len(value) > r.limit:
        return r.failed(
            f"{len(value)} characters; AWS allows at most {r.limit}.",
            location=f"field:product.{field}", length=len(value), max=r.limit,
        )
    return r.passed(f"{len(value)} of {r.limit} characters.", location=f"field:product.{field}", length=len(value))


@check(
    name="listing.product_information",
    title="Product information",
    stage=STAGE_METADATA,
    codes=("listing.E001", "listing.E002", "listing.E003", "listing.E004", "listing.E005",
           "listing.E006", "listing.W007", "listing.E008"),
)
def product_information(subject: Subject) -> Iterator[Finding]:
    info = subject.listing.get("product", {})
    title = info.get("title") or ""
    short = info.get("short_description") or ""

    if not title.strip():
        yield rule("listing.E001").failed("The title is empty.", location="field:product.title")
    else:
        yield rule("listing.E001").passed(location="field:product.title")
        yield _length_rule("listing.E002", "title", title)
        if title[:1].isspace():
            yield rule("listing.E003").failed("The title begins with white space.", location="field:product.title")
        else:
            yield rule("listing.E003").passed(location="field:product.title")
        if " ™" in title:
            yield rule("listing.E004").failed("There is a space before ™ in the title.", location="field:product.title")
        else:
            yield rule("listing.E004").passed(location="field:product.title")

    if not short.strip():
        yield rule("listing.E005").failed("The short description is empty.", location="field:product.short_description")
    else:
        yield rule("listing.E005").passed(location="field:product.short_description")
        yield _length_rule("listing.E006", "short_description", short)
        guidance = rule("listing.W007")
        if len(short) > guidance.limit:
            yield guidance.failed(
                f"{len(short)} characters; AWS's guide suggests at most {guidance.limit}.",
                location="field:product.short_description", length=len(short), max=guidance.limit,
            )
        else:
            yield guidance.passed(location="field:product.short_description")

    control = rule("listing.E008")
    found = False
    for field, value in (("title", title), ("short_description", short)):
        positions = control_characters(value)
        if positions:
            found = True
            yield control.failed(
                f"Control characters at position {', '.join(map(str, positions[:5]))}.",
                location=f"field:product.{field}", positions=positions[:20],
            )
    if not found:
        yield control.passed()
