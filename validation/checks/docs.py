"""Documentation and listing-copy checks (AWS_RULES.md §1 content, §2 usage instructions, §6 FAQ).

Usage instructions are Markdown; links are read from Python-Markdown's output (inline, reference, autolink and
raw HTML) plus bare addresses in the text. Previews use ``validation.markdown_render.render_markdown``.

The length and presence of the listing fields themselves are the listing area's rules; here an empty field only
means the content rules fail (there is nothing for a buyer to read).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from urllib.parse import urlsplit

from validation.checks.registry import STAGE_FILES, STAGE_METADATA, ArtifactFile, Subject, check
from validation.checks.sample_data import sniff
from validation.findings import Finding
from validation.markdown_render import markdown_links
from validation.rules import docs as docs_rules
from validation.rules.base import Rule
from validation.rules.data import MB

_RULES = {r.code: r for r in docs_rules.RULES}
MAX_DOC_READ = 2 * MB  # documentation files are scanned up to this many bytes (our guard)
MAX_REPORTED = 20


def rule(code: str) -> Rule:
    return _RULES[code]


# --------------------------------------------------------------------------------------------------------------
# Links

_BARE_URL = re.compile(r"(?<![\w(\[<\"'=])(?:https?|ftp)://[^\s<>()\[\]\"'`]+", re.I)
_HOST = re.compile(r"(?=.{1,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})\.?", re.I)
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def classify_link(url: str) -> tuple[str, str]:
    """("ok" | "http" | "malformed", why) for one link address."""
    address = url.strip()
    if not address:
        return "malformed", "the address is empty"
    if address.startswith("#"):
        return "ok", "an anchor on the same page"
    if any(ch.isspace() for ch in address):
        return "malformed", "the address contains spaces"
    try:
        parts = urlsplit(address)
        port = parts.port  # raises ValueError on a bad port
        host = parts.hostname or ""
    except ValueError as exc:
        return "malformed", f"it cannot be parsed ({exc})"
    scheme = parts.scheme.lower()
    if scheme == "mailto":
        return ("ok", "an e-mail address") if "@" in parts.path else ("malformed", "no e-mail address after mailto:")
    if not scheme:
        return "malformed", "a relative address (it will not resolve on the AWS Marketplace page)"
    if scheme not in ("http", "https"):
        return "malformed", f"{scheme}: links are not allowed"
    if not host:
        return "malformed", "no host name"
    if not (_HOST.fullmatch(host) or _IPV4.fullmatch(host) or ":" in host):
        return "malformed", f"{host!r} is not a public host name"
    if port is not None and not 0 < port < 65536:
        return "malformed", "bad port"
    if scheme == "http":
        return "http", "plain http"
    return "ok", "https"


def _link_findings(links: Iterable[str], location: str, context: str) -> Iterator[Finding]:
    malformed, insecure = rule("docs.E004"), rule("docs.W005")
    counts = {"ok": 0, "http": 0, "malformed": 0}
    for url in dict.fromkeys(links):
        verdict, why = classify_link(url)
        counts[verdict] += 1
        shown = url if len(url) <= 200 else url[:200] + "…"
        if verdict == "malformed" and counts["malformed"] <= MAX_REPORTED:
            yield malformed.failed(f"{context}: {shown!r} is malformed: {why}.", location=location, link=shown)
        elif verdict == "http" and counts["http"] <= MAX_REPORTED:
            yield insecure.failed(f"{context}: {shown!r} uses http.", location=location, link=shown)
    total = sum(counts.values())
    if not counts["malformed"]:
        yield malformed.passed(f"{context}: {total} link(s), all well-formed.", location=location, links=total)
    if not counts["http"]:
        yield insecure.passed(f"{context}: no plain-http links.", location=location)


def links_in_markdown(text: str) -> list[str]:
    found = [url for _, url in markdown_links(text)]
    found += [m.group().rstrip(".,;:!?") for m in _BARE_URL.finditer(text)]
    return found


class _HtmlLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append(value)


# --------------------------------------------------------------------------------------------------------------
# What the usage instructions cover

_COVERS = {
    "docs.W001": re.compile(
        r"\binputs?\b[^\n]{0,40}\b(?:format|content[- ]?types?|schema|payload|example|fields?|columns?|data)\b"
        r"|\b(?:request|payload)\s+(?:format|body|schema)\b|^\s{0,3}#{1,6}[^\n]*\binputs?\b", re.I | re.M),
    "docs.W002": re.compile(
        r"\b(?:outputs?|response)\b[^\n]{0,40}\b(?:format|content[- ]?types?|schema|example|fields?|columns?)\b"
        r"|^\s{0,3}#{1,6}[^\n]*\b(?:outputs?|response)\b", re.I | re.M),
    "docs.W003": re.compile(
        r"pre-?process|preprocess|data preparation|prepar\w*\s+(?:your\s+|the\s+)?(?:data|inputs?|images?|text)"
        r"|before (?:calling|invoking|sending)", re.I),
}
_TOPIC = {"docs.W001": "the input format", "docs.W002": "the output format",
          "docs.W003": "pre-processing requirements"}


@check(name="docs.usage_instructions", title="Usage instructions", stage=STAGE_METADATA,
       codes=("docs.W001", "docs.W002", "docs.W003", "docs.E004", "docs.W005"))
def usage_instructions(subject: Subject) -> Iterator[Finding]:
    text = str(((subject.listing or {}).get("version") or {}).get("usage_instructions") or "")
    where = "field:usage_instructions"
    for code, pattern in _COVERS.items():
        if not text.strip():
            yield rule(code).failed(f"The usage instructions are empty, so they do not explain {_TOPIC[code]}.",
                                    location=where)
            continue
        match = pattern.search(text)
        if match:
            line = text.count("\n", 0, match.start()) + 1
            yield rule(code).passed(f"Explains {_TOPIC[code]} (line {line}).", location=where, line=line)
        else:
            yield rule(code).failed(f"Nothing explains {_TOPIC[code]}.", location=where)
    if text.strip():
        yield from _link_findings(links_in_markdown(text), where, "Usage instructions")


# --------------------------------------------------------------------------------------------------------------
# Listing copy

_SUPERLATIVE = re.compile(
    r"\bbest\b(?![- ](?:practices?|effort|fit|suited))|(?<!\w)#\s?1\b|\bnumber[- ]one\b|\bno\.\s?1\b"
    r"|\b(?:industry|market)[- ]leading\b|\bleading\b(?!\s+(?:zeros?|whitespace|spaces?|edge|and trailing))"
    r"|\bfastest\b|\bmost (?:accurate|advanced|powerful)\b|\bstate[- ]of[- ]the[- ]art\b|\bSOTA\b"
    r"|\bworld[- ]class\b|\bunmatched\b|\bunparall?ell?ed\b|\bunrivall?ed\b|\brevolutionary\b|\bcutting[- ]edge\b"
    r"|\b100\s?% accura\w*",
    re.I,
)
_EVIDENCE = re.compile(
    r"\d+(?:\.\d+)?\s?(?:%|x\b|×|ms\b|percent|points?\b)|\bbenchmark|\baccording to\b|\bmeasured\b|\bsource:"
    r"|https?://|\[\d+\]|\(\d{4}\)|\b(?:F1|AUC|BLEU|mAP|accuracy|WER)\b[^.]{0,20}\d",
    re.I,
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_METRIC = re.compile(
    r"\b(?:accuracy|precision|recall|f1(?:[- ]score)?|f-1|f-score|auc|roc[- ]auc|iou|bleu|rouge(?:-\w+)?|meteor"
    r"|wer|cer|rmse|mae|mape|mse|r2|r²|r-squared|perplexity|top-?[15](?: accuracy)?|dice|ndcg|log[- ]?loss"
    r"|error rate|exact match)\b|\bmAP\b",
    re.I,
)
_SPEED = re.compile(
    r"\b(?:latency|throughput|p50|p90|p95|p99|rps|qps|milliseconds?|ms|seconds? per|per second|/\s?s(?:ec)?)\b"
    r"|(?:inferences?|requests?|tokens?|images?|predictions?|records?)\s*(?:/\s?s(?:ec)?\b|per second)",
    re.I,
)
_INSTANCE = re.compile(r"\bml\.[a-z0-9-]+\.[a-z0-9]+\b", re.I)


def _copy_fields(product: dict) -> Iterator[tuple[str, str, str]]:
    """(location, label, text) for each piece of listing copy buyers read."""
    for name in ("title", "short_description", "long_description"):
        value = product.get(name)
        if isinstance(value, str) and value.strip():
            yield f"field:{name}", name.replace("_", " ").capitalize(), value
    highlights = product.get("highlights") or []
    if isinstance(highlights, list):
        for i, value in enumerate(highlights, start=1):
            if isinstance(value, str) and value.strip():
                yield "field:highlights", f"Highlight {i}", value


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCES.split(text) if s.strip()]


@check(name="docs.listing_copy", title="Listing copy", stage=STAGE_METADATA,
       codes=("docs.W006", "docs.W007", "docs.W008"))
def listing_copy(subject: Subject) -> Iterator[Finding]:
    listing = subject.listing or {}
    product = listing.get("product") or {}
    fields = list(_copy_fields(product))

    claims = rule("docs.W006")
    claimed = 0
    for location, label, text in fields:
        for sentence in _sentences(text):
            words = list(_SUPERLATIVE.finditer(sentence))
            if not words or _EVIDENCE.search(sentence):  # evidence anywhere in the sentence backs its claims
                continue
            for m in words:
                claimed += 1
                if claimed <= MAX_REPORTED:
                    shown = sentence.strip()
                    shown = shown if len(shown) <= 160 else shown[:160] + "…"
                    yield claims.failed(f"{label}: {m.group()!r} without evidence in {shown!r}.", location=location,
                                        word=m.group())
    if not claimed:
        yield claims.passed("No unsupported superlatives.", location="field:long_description")

    if listing.get("kind") != "model_package":
        return  # AWS_RULES §1: metric and latency are asked of model packages
    described = [(loc, label, s) for loc, label, text in fields if loc in ("field:long_description",
                                                                            "field:highlights")
                 for s in _sentences(text)]
    metric = next(((loc, label) for loc, label, s in described if _METRIC.search(s) and re.search(r"\d", s)), None)
    if metric:
        yield rule("docs.W007").passed(f"{metric[1]} states a performance metric.", location=metric[0])
    else:
        yield rule("docs.W007").failed("Neither the long description nor a highlight states a performance metric "
                                       "with a figure.", location="field:long_description")

    recommended = str(((listing.get("instance_types") or {}).get("recommended") or {}).get("realtime") or "")
    speed = [(loc, label, s) for loc, label, s in described if _SPEED.search(s) and re.search(r"\d", s)]
    on_instance = next(((loc, label) for loc, label, s in speed
                        if _INSTANCE.search(s) or (recommended and recommended.lower() in s.lower())), None)
    if on_instance:
        yield rule("docs.W008").passed(f"{on_instance[1]} states latency or throughput on an instance type.",
                                       location=on_instance[0])
    elif speed:
        yield rule("docs.W008").failed(f"{speed[0][1]} gives a speed but not the instance it was measured on"
                                       + (f" (recommended: {recommended})." if recommended else "."),
                                       location=speed[0][0])
    else:
        yield rule("docs.W008").failed("No latency or throughput figure on the recommended instance.",
                                       location="field:highlights")


# --------------------------------------------------------------------------------------------------------------
# Documentation files


def _doc_file(f: ArtifactFile) -> Iterator[Finding]:
    where = f"file:{f.name}"
    readable = rule("docs.E009")
    try:
        with open(f.path, "rb") as fh:
            raw = fh.read(MAX_DOC_READ + 1)
    except OSError as exc:
        yield readable.not_run(f"the file could not be opened: {exc.strerror or exc}", location=where)
        return
    kind = sniff(raw[:8192])
    if kind == "pdf":
        yield readable.passed("A PDF document (links inside PDFs are not checked).", location=where)
        return
    if kind not in ("text", "nonutf8"):
        yield readable.failed(f"The file is not text or PDF (it looks like {kind}).", location=where, sniffed=kind)
        return
    truncated = len(raw) > MAX_DOC_READ
    try:
        text = raw[:MAX_DOC_READ].decode("utf-8", errors="strict" if not truncated else "ignore")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        yield readable.failed(f"Not UTF-8 text (line {line}).", location=f"{where}:line {line}")
        return
    yield readable.passed("UTF-8 text" + (" (first 2 MB scanned)." if truncated else "."), location=where)
    if f.name.lower().endswith((".html", ".htm")):
        parser = _HtmlLinks()
        try:
            parser.feed(text)
        except (AssertionError, ValueError):
            pass
        links = parser.links
    else:
        links = links_in_markdown(text)
    yield from _link_findings(links, where, f.name)


@check(name="docs.documentation_files", title="Documentation files", stage=STAGE_FILES,
       codes=("docs.E009", "docs.E004", "docs.W005"))
def documentation_files(subject: Subject) -> Iterator[Finding]:
    # Documentation files are optional (the usage instructions are the buyer's documentation): none, no findings.
    for f in subject.files_of("documentation"):
        yield from _doc_file(f)
