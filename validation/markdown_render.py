"""Markdown to safe HTML, the one way every page previews seller-written Markdown (usage instructions, docs).

Python-Markdown passes raw HTML through untouched, so its output is always cleaned with nh3 (an allow-list
sanitiser): no scripts, no event handlers, no ``javascript:`` links, links marked ``noopener noreferrer
nofollow``. Pure: no Django, no network.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import markdown
import nh3

# Usage instructions are at most 10,000 characters on AWS; previews of anything far larger are cut, so a
# pasted megabyte cannot stall a page render.
MAX_RENDER_CHARS = 100_000

# Python-Markdown's inline link and HTML handling is quadratic in the number of "[" and "<" in a block (each one
# scans forward for its match): 4,000 characters of "`[" take ~5 s, 10,000 over 20 s. We measure that cost in
# one linear pass — per block outside fenced code, (count of "[" and "<") x (block length) — and above this
# budget (well under a second of work) show the text as plain, escaped text instead of rendering it.
# Real documents stay far below it: a 10,000-character block with 100 links scores 1,000,000.
RENDER_BUDGET = 2_000_000

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")

_EXTENSIONS = ["fenced_code", "tables", "sane_lists"]

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"},  # fenced_code writes class="language-python"
    "th": {"align"},
    "td": {"align"},
    "abbr": {"title"},
}
URL_SCHEMES = {"https", "http", "mailto"}


def render_cost(text: str) -> int:
    """Python-Markdown's worst-case inline work for ``text`` (see RENDER_BUDGET); linear time."""
    cost = 0
    block: list[str] = []
    in_fence = False

    def close() -> int:
        joined = "".join(block)
        block.clear()
        return (joined.count("[") + joined.count("<")) * len(joined)

    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            in_fence = not in_fence
            cost += close()
            continue
        if in_fence:
            continue  # fenced code is stashed before inline processing
        if not line.strip():
            cost += close()
        else:
            block.append(line)
    return cost + close()


def _plain(text: str) -> str:
    return "<pre>" + html.escape(text) + "</pre>"


def _to_html(text: str) -> str:
    """Markdown's HTML, unsanitised (only for reading links; never shown)."""
    if render_cost(text) > RENDER_BUDGET:
        return _plain(text)
    try:
        return markdown.markdown(text, extensions=_EXTENSIONS, output_format="html")
    except (RecursionError, MemoryError, ValueError, IndexError):
        # Python-Markdown recurses on nested block quotes and lists: hostile input gets shown as text.
        return _plain(text)


def render_markdown(text: str | None) -> str:
    """Render seller Markdown to HTML that is safe to put in a page as is."""
    text = text or ""
    truncated = len(text) > MAX_RENDER_CHARS
    if truncated:
        text = text[:MAX_RENDER_CHARS]
    cleaned = nh3.clean(
        _to_html(text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    if truncated:
        cleaned += "<p><em>(Preview shortened.)</em></p>"
    return cleaned


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (tag, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"a": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value is not None:
                self.links.append((tag, value))


def markdown_links(text: str | None) -> list[tuple[str, str]]:
    """Every link and image address in Markdown (inline, reference, autolink or raw HTML), in order.

    Read from the unsanitised HTML on purpose: the sanitiser would drop exactly the links a check must
    report (``javascript:``, malformed).
    """
    collector = _LinkCollector()
    try:
        collector.feed(_to_html((text or "")[:MAX_RENDER_CHARS]))
        collector.close()
    except (AssertionError, ValueError):  # HTMLParser on pathological markup
        pass
    return collector.links
