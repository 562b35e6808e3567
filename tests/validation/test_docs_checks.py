"""Documentation and listing-copy checks (validation/checks/docs.py) and the Markdown renderer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hang_guard import in_child
from validation.checks import docs as docs_check
from validation.checks.registry import REGISTRY, ArtifactFile, Subject
from validation.findings import Outcome, Severity
from validation.markdown_render import (
    MAX_RENDER_CHARS,
    RENDER_BUDGET,
    markdown_links,
    render_cost,
    render_markdown,
)
from validation.rules import docs as docs_rules

RULES = {r.code: r for r in docs_rules.RULES}

USAGE = """\
# Acme Invoice Extractor

## Input format
Send `application/json` with a base64 `document` field, one invoice per request. See
[the schema](https://github.com/acme/invoice-extractor/blob/main/schema.json).

## Output format
The response is `application/json` with `vendor`, `total` and `line_items`.

## Pre-processing
Scan at 300 dpi or more; no other pre-processing is needed.

Questions: <mailto:support@acme.example> or [our FAQ](#faq).
"""

LISTING = {
    "kind": "model_package",
    "product": {
        "title": "Acme Invoice Extractor",
        "short_description": "Extracts vendor, totals and line items from scanned invoices.",
        "long_description": "Trained on 1.2M invoices from 40 countries. Field-level F1 0.94 on the held-out "
                            "AcmeInvoices-2024 test set.",
        "highlights": ["Reads 60+ invoice layouts.", "p50 latency 120 ms per page on ml.m5.xlarge."],
    },
    "version": {"usage_instructions": USAGE},
    "instance_types": {"recommended": {"realtime": "ml.m5.xlarge"}},
}


def run(check_name: str, listing: dict | None = None, files: tuple = ()) -> list:
    return list(REGISTRY[check_name].func(Subject(listing if listing is not None else LISTING, files)))


def with_product(**changes) -> dict:
    listing = json.loads(json.dumps(LISTING))
    listing["product"].update(changes)
    return listing


def with_usage(text: str) -> dict:
    listing = json.loads(json.dumps(LISTING))
    listing["version"]["usage_instructions"] = text
    return listing


def by_code(findings, code):
    return [f for f in findings if f.code == code]


def outcome(findings, code):
    found = {f.outcome for f in by_code(findings, code)}
    assert len(found) == 1, f"{code}: {found}"
    return found.pop()


def failed(findings):
    return [f for f in findings if f.outcome == Outcome.FAILED]


# --------------------------------------------------------------------------------------------------- catalog


def test_rules_are_well_formed_and_every_code_is_in_a_check():
    codes = set()
    for name in ("docs.usage_instructions", "docs.listing_copy", "docs.documentation_files"):
        codes |= set(REGISTRY[name].codes)
    assert codes == set(RULES)
    for r in docs_rules.RULES:
        assert r.hint_text()
        if r.severity == Severity.WARNING:
            assert r.aws_rejects is False
        json.dumps(r.as_dict())


# --------------------------------------------------------------------------------------------------- render_markdown


def test_render_markdown_strips_scripts_handlers_and_javascript_links():
    html = render_markdown(
        "# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) "
        '<img src="https://a.example/i.png" onerror="alert(2)"> <a href="https://aws.amazon.com" onclick="x()">y</a>'
        "\n\n<iframe src='https://evil.example'></iframe><style>body{}</style>"
    )
    lowered = html.lower()
    for bad in ("<script", "javascript:", "onerror", "onclick", "<iframe", "<style"):
        assert bad not in lowered, bad
    assert "<h1>Title</h1>" in html
    assert 'href="https://aws.amazon.com"' in html and "noopener" in html


def test_render_markdown_keeps_tables_and_code():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint(1)\n```\n")
    assert "<table>" in html and "<td>1</td>" in html
    assert '<code class="language-python">' in html


@pytest.mark.parametrize("text, guard", [
    (">" * 100_000, None),  # no guard of ours: Python-Markdown stops nesting block quotes near the recursion limit
    ("- " * 50_000 + "x", "shortened"),
    ("[" * 100_000, "plain"),
    ("*" * 200_000, "shortened"),
])
def test_render_markdown_survives_hostile_input(text, guard):
    html = in_child(render_markdown, text)
    assert isinstance(html, str)
    # Past MAX_RENDER_CHARS only the start is rendered; over RENDER_BUDGET the text is shown, not rendered.
    assert (len(text) > MAX_RENDER_CHARS) == (guard == "shortened")
    assert html.endswith("<p><em>(Preview shortened.)</em></p>") == (guard == "shortened")
    assert (render_cost(text[:MAX_RENDER_CHARS]) > RENDER_BUDGET) == (guard == "plain")
    assert html.startswith("<pre>") == (guard == "plain")


def test_quadratic_markdown_is_shown_as_plain_text_quickly():
    text = "`[" * 5_000  # ~30 s in Python-Markdown
    assert render_cost(text) == 5_000 * len(text) > RENDER_BUDGET  # so Python-Markdown is not run on it
    html = render_markdown(text)
    assert html.startswith("<pre>") and "`[`[" in html


def test_render_cost_ignores_fenced_code_and_passes_real_documents():
    json_example = "```json\n" + json.dumps([[1.5, 2.5]] * 2_000) + "\n```\n"
    links = "\n".join(f"- [Resource {i}](https://docs.example/{i})" for i in range(100))
    document = USAGE + "\n" + json_example + "\n" + links
    assert render_cost(document) <= RENDER_BUDGET
    html = render_markdown(document)
    assert "<pre><code" in html and 'href="https://docs.example/99"' in html


def test_render_markdown_shortens_huge_input():
    html = render_markdown("word " * (MAX_RENDER_CHARS // 2))
    assert "Preview shortened" in html
    assert render_markdown(None) == ""


def test_markdown_links_finds_every_kind_of_link():
    text = ("[a](https://a.example) ![i](https://i.example/x.png) <https://auto.example>\n\n"
            "[ref][1]\n\n[1]: http://ref.example\n\n<a href='https://raw.example'>raw</a>")
    assert [url for _, url in markdown_links(text)] == [
        "https://a.example", "https://i.example/x.png", "https://auto.example", "http://ref.example",
        "https://raw.example"]


# --------------------------------------------------------------------------------------------------- usage sections


def test_complete_usage_instructions_pass():
    findings = run("docs.usage_instructions")
    assert failed(findings) == []
    assert {f.code for f in findings} == {"docs.W001", "docs.W002", "docs.W003", "docs.E004", "docs.W005"}


@pytest.mark.parametrize("missing,code", [
    ("## Input format", "docs.W001"),
    ("## Output format", "docs.W002"),
    ("## Pre-processing", "docs.W003"),
])
def test_each_missing_section_warns(missing, code):
    usage = USAGE
    start = usage.index(missing)
    end = usage.index("\n## ", start + 1) if "\n## " in usage[start + 1:] else usage.index("\nQuestions")
    findings = run("docs.usage_instructions", with_usage(usage[:start] + usage[end + 1:]))
    (bad,) = by_code(findings, code)
    assert bad.outcome == Outcome.FAILED and bad.severity == Severity.WARNING
    assert bad.location == "field:usage_instructions" and bad.hint
    assert [f.code for f in failed(findings)] == [code]


def test_empty_usage_instructions_fail_the_content_rules():
    findings = run("docs.usage_instructions", with_usage(""))
    assert {f.code for f in failed(findings)} == {"docs.W001", "docs.W002", "docs.W003"}


# --------------------------------------------------------------------------------------------------- links


@pytest.mark.parametrize("url,verdict", [
    ("https://aws.amazon.com/marketplace", "ok"),
    ("https://xn--bcher-kva.example/path?q=1#x", "ok"),
    ("https://10.0.0.1/status", "ok"),
    ("mailto:support@acme.example", "ok"),
    ("#faq", "ok"),
    ("http://acme.example/docs", "http"),
    ("docs/usage.md", "malformed"),
    ("javascript:alert(1)", "malformed"),
    ("ftp://files.acme.example/x", "malformed"),
    ("https://", "malformed"),
    ("https://acme .example", "malformed"),
    ("https://localhost/x", "malformed"),
    ("https://acme.example:99999/", "malformed"),
    ("https://[::1", "malformed"),
    ("mailto:", "malformed"),
])
def test_link_classification(url, verdict):
    assert docs_check.classify_link(url)[0] == verdict


def test_http_link_warns_and_malformed_link_fails():
    text = USAGE + "\nSee [old docs](http://acme.example/docs) and [local](docs/usage.md) or http://bare.example.\n"
    findings = run("docs.usage_instructions", with_usage(text))
    insecure = by_code(findings, "docs.W005")
    assert [f.outcome for f in insecure] == [Outcome.FAILED, Outcome.FAILED]
    assert [f.measured["link"] for f in insecure] == ["http://acme.example/docs", "http://bare.example"]
    malformed = by_code(findings, "docs.E004")
    assert [f.outcome for f in malformed] == [Outcome.FAILED]
    assert "docs/usage.md" in malformed[0].message and malformed[0].severity == Severity.ERROR
    assert malformed[0].location == "field:usage_instructions"


def test_bare_http_address_in_text_is_found():
    findings = run("docs.usage_instructions", with_usage(USAGE + "\nDownload from http://bare.example/x.\n"))
    (insecure,) = by_code(findings, "docs.W005")
    assert insecure.outcome == Outcome.FAILED and "http://bare.example/x" in insecure.message


# --------------------------------------------------------------------------------------------------- listing copy


def test_good_copy_passes():
    findings = run("docs.listing_copy")
    assert failed(findings) == []
    assert {f.code for f in findings} == {"docs.W006", "docs.W007", "docs.W008"}


@pytest.mark.parametrize("field,text,word", [
    ("long_description", "The best invoice model available. It reads invoices.", "best"),
    ("short_description", "The #1 extractor for invoices.", "#1"),
    ("long_description", "An industry-leading model for finance teams.", "industry-leading"),
    ("title", "Fastest Invoice Extractor", "Fastest"),
    ("long_description", "A state-of-the-art transformer.", "state-of-the-art"),
])
def test_unsupported_superlatives_warn_with_their_field(field, text, word):
    findings = run("docs.listing_copy", with_product(**{field: text}))
    bad = by_code(findings, "docs.W006")
    assert bad[0].outcome == Outcome.FAILED and bad[0].location == f"field:{field}"
    assert bad[0].measured["word"].lower() == word.lower()


@pytest.mark.parametrize("text", [
    "The fastest extractor we measured: 2.3x the throughput of OCR-only pipelines on ml.g5.xlarge.",
    "Best F1 (0.94) on the AcmeInvoices-2024 benchmark.",
    "Follows AWS best practices for security.",
    "Strips leading zeros from invoice numbers.",
])
def test_claims_with_evidence_or_ordinary_words_pass(text):
    findings = run("docs.listing_copy", with_product(long_description=text + " Field-level F1 0.94."))
    assert outcome(findings, "docs.W006") == Outcome.PASSED


def test_superlative_in_a_highlight_names_the_highlight():
    findings = run("docs.listing_copy", with_product(highlights=["Reads 60+ layouts.", "World-class accuracy."]))
    (bad,) = by_code(findings, "docs.W006")
    assert bad.location == "field:highlights" and bad.message.startswith("Highlight 2")


def test_missing_metric_and_latency_warn_for_model_packages():
    findings = run("docs.listing_copy", with_product(long_description="Extracts fields from invoices.",
                                                     highlights=["Reads 60+ invoice layouts."]))
    assert outcome(findings, "docs.W007") == Outcome.FAILED
    (speed,) = by_code(findings, "docs.W008")
    assert speed.outcome == Outcome.FAILED and speed.location == "field:highlights"


def test_latency_without_the_instance_says_so():
    findings = run("docs.listing_copy", with_product(highlights=["p50 latency 120 ms per page."]))
    (speed,) = by_code(findings, "docs.W008")
    assert speed.outcome == Outcome.FAILED and "ml.m5.xlarge" in speed.message


def test_recommended_instance_named_without_ml_prefix_pattern_counts():
    listing = with_product(highlights=["Throughput 40 pages per second on the recommended ml.c5.2xlarge."])
    assert outcome(run("docs.listing_copy", listing), "docs.W008") == Outcome.PASSED


def test_metric_and_latency_are_not_asked_of_algorithms():
    listing = with_product(long_description="Gradient boosting.", highlights=[])
    listing["kind"] = "algorithm"
    findings = run("docs.listing_copy", listing)
    assert not by_code(findings, "docs.W007") and not by_code(findings, "docs.W008")


# ------------------------------------------------------------------------------------------------ documentation files


def _doc(tmp_path: Path, name: str, content: bytes) -> ArtifactFile:
    path = tmp_path / name
    path.write_bytes(content)
    return ArtifactFile("documentation", path, name)


def test_documentation_files(tmp_path):
    files = (
        _doc(tmp_path, "guide.md", b"# Guide\nSee [docs](http://acme.example/docs), [x](https://ok.example).\n"),
        _doc(tmp_path, "guide.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
        _doc(tmp_path, "page.html", b"<p><a href='javascript:alert(1)'>x</a></p>"),
        _doc(tmp_path, "blob.md", b"\x00\x01\x02binary"),
        _doc(tmp_path, "latin.txt", b"caf\xe9\n"),
    )
    findings = run("docs.documentation_files", files=files)
    where = {(f.code, f.location.split(":line")[0]): f.outcome for f in findings}
    assert where[("docs.W005", "file:guide.md")] == Outcome.FAILED
    assert where[("docs.E009", "file:guide.pdf")] == Outcome.PASSED
    assert where[("docs.E004", "file:page.html")] == Outcome.FAILED
    assert where[("docs.E009", "file:blob.md")] == Outcome.FAILED
    assert where[("docs.E009", "file:latin.txt")] == Outcome.FAILED


def test_no_documentation_files_no_findings():
    assert run("docs.documentation_files") == []


def _codes_and_outcomes(names, listing) -> list:
    return [(f.code, f.outcome) for name in names for f in run(name, listing)]


@pytest.mark.parametrize("text", [
    "best " * 100_000, "F1" * 200_000, "[" * 100_000, "http://" * 50_000, "# input " * 50_000,
    "ml." * 100_000, ("a" * 50 + ". ") * 20_000,
])
def test_hostile_listing_text_is_checked_to_the_end(text):
    listing = with_product(long_description=text, highlights=[text[:500]])
    listing["version"]["usage_instructions"] = text
    names = ("docs.usage_instructions", "docs.listing_copy")
    findings = in_child(_codes_and_outcomes, names, listing)
    assert {code for code, _ in findings} == {code for name in names for code in REGISTRY[name].codes}
    failures = [code for code, result in findings if result == Outcome.FAILED]
    assert max(failures.count(code) for code in failures) <= docs_check.MAX_REPORTED
