"""Safe, typed reading of the listing snapshot, and the bookkeeping every listing check shares.

API clients send anything (SNAPSHOT.md), so a check must never raise on a wrong type, ``None``, a huge string or
deep nesting. Values are read through a ``Report``: a wrong type becomes a ``listing.E029`` finding at the field's
location and the reader returns ``None``, so the check skips that field's other rules (one clear finding instead
of a cascade). A missing key or ``None`` reads as the empty value of its type (SNAPSHOT.md's "unset"), so the
"required" rules speak instead.

``Report`` also keeps findings compact: one *passed* finding per rule and section when the rule found nothing
(forms tick the field, pages fold them), and at most ``MAX_PER_CODE`` failures per rule — past that, one summary.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from validation.findings import Finding
from validation.rules import rule
from validation.snapshot_schema import KINDS

TYPE_CODE = "listing.E029"
MAX_PER_CODE = 50  # failures kept per rule and check; a 10,000-item list yields 50 findings and a summary
MAX_LOCATION = 500  # Finding.location is stored in 500 characters
MAX_KEY_IN_LOCATION = 200
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_]{1,64}")  # a field name that can follow a dot in a location
_NAMES = {str: "text", list: "a list", dict: "a group of fields", bool: "true/false", int: "a whole number"}


def loc(section: str, *parts: str | int) -> str:
    """``loc("product", "search_keywords", 3)`` → ``field:product.search_keywords[3]`` (SNAPSHOT.md, Locations)."""
    out = "field:" + section
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def text_of(value: Any) -> str:
    """``value`` as text without surprises: ``str()`` of a 5,000-digit int raises, of a deep list recurses."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return str(value).lower() if value is not None else "null"
    if isinstance(value, int):
        return str(value) if -10**30 < value < 10**30 else "a very large number"
    if isinstance(value, float):
        return repr(value)
    return f"({_kind(value)})"


def entry(location: str, key: Any) -> str:
    """A free-form dict entry: ``entry("field:pricing.prices", "m.i.c")`` → ``field:pricing.prices[m.i.c]``."""
    # Control characters in a key would corrupt the location string; E008 reports them separately.
    text = "".join(c if c >= " " else "\ufffd" for c in text_of(key)[:MAX_KEY_IN_LOCATION + 1])
    if len(text) > MAX_KEY_IN_LOCATION:
        text = text[:MAX_KEY_IN_LOCATION] + "…"
    return f"{location}[{text}]"


def shown(value: Any, limit: int = 40) -> str:
    """A seller's value quoted for a message, shortened so a huge string never floods a page."""
    text = text_of(value)
    return f"“{text}”" if len(text) <= limit else f"“{text[:limit - 1]}…”"


def listed(values: list[str], limit: int = 5) -> str:
    head = ", ".join(shown(v) for v in values[:limit])
    return head + (f" and {len(values) - limit} more" if len(values) > limit else "")


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {words or word + 's'}"


def is_web_url(value: str, schemes: tuple[str, ...] = ("https",)) -> bool:
    """An absolute address with one of ``schemes`` and a host name (no spaces, no credentials)."""
    if not value or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # e.g. an invalid port or IPv6 literal
        return False
    return parts.scheme.lower() in schemes and bool(host) and "@" not in parts.netloc


def kind_of(listing: Any) -> str:
    """The listing's kind; anything unknown is judged as a model package (``listing.E119`` reports it)."""
    kind = listing.get("kind") if isinstance(listing, dict) else None
    return kind if kind in KINDS else "model_package"


class Report:
    """Reads one snapshot for one check and collects its findings."""

    def __init__(self, listing: Any) -> None:
        self.listing: dict = listing if isinstance(listing, dict) else {}
        self._failed: list[Finding] = []
        self._counts: dict[str, int] = {}
        self._checked: dict[str, str] = {}  # code → location of its passed finding
        self._not_run: list[Finding] = []
        self._notes: dict[str, dict[str, Any]] = {}  # code → figures for its passed finding

    def note(self, code: str, key: str, default: Any) -> Any:
        """A figure to show on ``code``'s passed finding (e.g. the values metric regexes captured)."""
        return self._notes.setdefault(code, {}).setdefault(key, default)

    # ---------------------------------------------------------------------------------------------- findings
    def check(self, code: str, location: str) -> Any:
        """Mark ``code`` as evaluated (passed unless it fails somewhere) and return its limit.

        The passed finding names the field, not a list item (``field:hyperparameters[2].default`` →
        ``field:hyperparameters``): one tick per rule and field, however long the list.
        """
        self._checked.setdefault(code, location.split("[", 1)[0])
        return rule(code).limit

    def fail(self, code: str, message: str, location: str, *, hint: str | None = None, **measured: Any) -> None:
        count = self._counts[code] = self._counts.get(code, 0) + 1
        if count <= MAX_PER_CODE:
            self._failed.append(rule(code).failed(message, location=location[:MAX_LOCATION], hint=hint, **measured))

    def not_run(self, code: str, reason: str, location: str) -> None:
        self._not_run.append(rule(code).not_run(reason, location=location))

    def findings(self) -> list[Finding]:
        out = list(self._failed)
        # A field whose value had the wrong type was not judged by its other rules: no green tick there.
        mistyped = {f.location for f in self._failed if f.code == TYPE_CODE}
        for code, count in self._counts.items():
            if count > MAX_PER_CODE:
                first = next(f for f in self._failed if f.code == code)
                out.append(rule(code).failed(f"…and {count - MAX_PER_CODE} more like this.",
                                             location=first.location.split("[", 1)[0], more=count - MAX_PER_CODE))
        out.extend(self._not_run)
        out.extend(rule(code).passed(location=location, **self._notes.get(code, {}))
                   for code, location in self._checked.items()
                   if code not in self._counts and location not in mistyped)
        return out

    # ------------------------------------------------------------------------------------- common rule shapes
    def required(self, code: str, value: str | list | None, location: str, what: str) -> bool:
        """``what`` must not be empty; True when there is a value to check further."""
        if value is None:  # wrong type, already reported
            return False
        self.check(code, location)
        if not (value.strip() if isinstance(value, str) else value):
            self.fail(code, f"{what} is empty.", location)
            return False
        return True

    def length(self, code: str, value: str | None, location: str, what: str) -> None:
        """``what`` has at most ``limit(code)`` characters."""
        if value is None:
            return
        limit = self.check(code, location)
        if len(value) > limit:
            self.fail(code, f"{what} has {len(value):,} characters; AWS allows at most {limit:,}.", location,
                      length=len(value), max=limit)

    def count(self, code: str, items: list | dict | int | None, location: str, what: str,
              whats: str | None = None) -> None:
        """The number of ``what`` (plural ``whats``) lies in ``limit(code)``: a (min, max) pair or a maximum."""
        if items is None:
            return
        limit = self.check(code, location)
        low, high = limit if isinstance(limit, tuple) else (0, limit)
        number = items if isinstance(items, int) else len(items)
        if not low <= number <= high:
            allowed = f"at most {high}" if low == 0 else f"{low} to {high}"
            self.fail(code, f"{plural(number, what, whats)} given; AWS allows {allowed}.", location,
                      count=number, min=low, max=high)

    # ------------------------------------------------------------------------------------------ typed reads
    def _typed(self, value: Any, expected: type, location: str, empty: Any) -> Any:
        if value is None:
            return empty
        # bool is an int in Python; a JSON true is never a count or a number of days.
        if isinstance(value, expected) and not (expected is int and isinstance(value, bool)):
            return value
        self.fail(TYPE_CODE, f"Expected {_NAMES.get(expected, expected.__name__)}, got {_kind(value)}.", location,
                  expected=expected.__name__, got=type(value).__name__)
        return None

    def section(self, key: str) -> dict:
        """A top-level section as a dict (``{}`` when missing or of the wrong type, which is reported)."""
        value = self._typed(self.listing.get(key), dict, loc(key), {})
        return value if value is not None else {}

    def get(self, container: dict, key: str, expected: type, location: str) -> Any:
        empty: Any = {str: "", list: [], dict: {}}.get(expected)
        return self._typed(container.get(key) if isinstance(container, dict) else None, expected, location, empty)

    def text(self, container: dict, key: str, location: str) -> str | None:
        return self.get(container, key, str, location)

    def texts(self, container: dict, key: str, location: str) -> list[tuple[int, str]] | None:
        """A list of strings as (index, value); items of another type are reported and left out."""
        return self._items(container, key, location, str)

    def records(self, container: dict, key: str, location: str) -> list[tuple[int, dict]] | None:
        """A list of dicts as (index, record); items of another type are reported and left out."""
        return self._items(container, key, location, dict)

    def _items(self, container: dict, key: str, location: str, expected: type) -> list | None:
        items = self.get(container, key, list, location)
        if items is None:
            return None
        kept = []
        for i, item in enumerate(items):
            if isinstance(item, expected):
                kept.append((i, item))
            else:  # None inside a list is not "unset": the item itself is malformed
                self.fail(TYPE_CODE, f"Expected {_NAMES[expected]}, got {_kind(item)}.", f"{location}[{i}]",
                          expected=expected.__name__, got=type(item).__name__)
        return kept


def _kind(value: Any) -> str:
    for python_type, name in _NAMES.items():
        if isinstance(value, python_type) and not (python_type is int and isinstance(value, bool)):
            return name
    if value is None:
        return "nothing (null)"
    return "a number" if isinstance(value, float) else type(value).__name__


def strings_in(value: Any, location: str, *, maps: frozenset[str], depth: int = 0) -> Iterator[tuple[str, str]]:
    """Every string in ``value`` (dict keys too) with its location, walking at most 32 levels deep.

    ``maps`` names locations whose dicts are free-form (``field:pricing.prices``): their entries are written in
    brackets, fixed fields with a dot (SNAPSHOT.md).
    """
    stack: list[tuple[Any, str, int]] = [(value, location, depth)]
    while stack:
        node, where, level = stack.pop()
        if isinstance(node, str):
            yield where[:MAX_LOCATION], node
        elif level >= 32:  # deeper than any snapshot field: hostile, and the type checks report it
            continue
        elif isinstance(node, dict):
            bracketed = where in maps
            children = []
            for key, item in node.items():
                plain = not bracketed and isinstance(key, str) and _PLAIN_KEY.fullmatch(key)
                child = f"{where}.{key}" if plain else entry(where, key)
                if isinstance(key, str):
                    yield child[:MAX_LOCATION], key
                children.append((item, child, level + 1))
            stack.extend(reversed(children))  # reversed: the stack then yields in the snapshot's order
        elif isinstance(node, (list, tuple)):
            stack.extend(reversed([(item, f"{where}[{i}]", level + 1) for i, item in enumerate(node)]))
