"""Cheap whole-block tests that let the sample-data and notebook checks skip work that cannot find anything.

Each test here is a *necessary condition* for the exact check it guards, computed with C-level string and
bytes operations over a whole block of text instead of a regex attempt at every character from Python:

- ``pii_lines`` / ``pii_kinds``: where the personal-data regexes of ``sample_data`` (``_EMAIL``, ``_PHONE``,
  ``_CARD``) could possibly report something. The text is mapped byte by byte to a small alphabet (every ASCII
  digit becomes ``0``, letters ``a`` …) and searched for the fixed shapes every reportable match contains:
  an ``@`` for an e-mail address; ``(000)``, ``000.000.0000``, ``000-000-0000`` or a ``+`` followed by a digit
  (and not preceded by a word character, dot or plus) for a phone number; ``0000 0000``, ``0000-0000`` or a
  run of 13 digits not preceded by a digit or dot for a card number. A text holding a non-ASCII decimal digit
  (``\\d`` matches those) is never ruled out. Only lines with such a shape are handed to the exact regexes,
  with only the kinds that may match, so what is reported is exactly what the regexes report on every line.
- ``depth_within`` / ``max_depth``: the nesting of JSON brackets outside strings, as the token walk in
  ``sample_data.first_excess_depth`` counts it, without a Python loop over the tokens.

Nothing here decides a finding on its own.
"""

from __future__ import annotations

import re
from itertools import accumulate

EMAIL, PHONE, CARD = 1, 2, 4
ALL_KINDS = EMAIL | PHONE | CARD

# Byte classes for the personal-data shapes (UTF-8 bytes; non-ASCII bytes fall in the "other" class ",").
_table = bytearray(b"," * 256)
for _b in b"0123456789":
    _table[_b] = ord("0")
for _b in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_":
    _table[_b] = ord("a")
for _b in b".+@()\n":
    _table[_b] = _b
for _b in b" -":
    _table[_b] = ord("s")  # the separators of card groups ([ -]); "-" also of North American numbers
_PII_TABLE = bytes(_table)
# Second view for the contiguous card number: digits, dots, line ends and everything else.
_table = bytearray(b"x" * 256)
for _b in b"0123456789":
    _table[_b] = ord("0")
_table[ord(".")] = ord(".")
_table[ord("\n")] = ord("\n")
_RUN_TABLE = bytes(_table)
del _table, _b

_DIGITS13 = b"0" * 13
# Fixed shapes: (needle, kinds it may reveal). Each reportable match of the regexes contains one of them
# (or one of the two refined shapes below) inside a single line.
_NEEDLES = (
    (b"@", EMAIL),
    (b"(000)", PHONE),  # \(\d{3}\)
    (b"000.000.0000", PHONE),  # \d{3}([.-])\d{3}\1\d{4} with dots
    (b"000s000s0000", PHONE),  # ... with hyphens (a superset: spaces too)
    (b"0000s0000", CARD),  # \d{4}[ -]\d{4}... and \d{4}[ -]\d{6}...
)
# "+" then a digit, the "+" not preceded by a word character, "." or "+" (the phone regex's look-behind also
# excludes "-": "s" stands for both "-" and " ", so it is allowed here; a superset).
_PLUS = re.compile(rb"\+(?<![0a.+]\+)0")
_ASCII = bytes(range(128))
_DIGIT = re.compile(r"\d")  # in text without ASCII: a non-ASCII decimal digit, which \d matches too


def _spots(text: str, *, where: bool) -> tuple[bytes, list[tuple[int, int]]] | None:
    """(mapped bytes, [(byte offset, kinds)]) of the shapes in ``text``: every occurrence when ``where``, else
    one per kind; None when nothing can be ruled out (a non-ASCII digit)."""
    raw = text.encode("utf-8", "surrogatepass")
    if not text.isascii() and _DIGIT.search(raw.translate(None, _ASCII).decode("utf-8", "surrogatepass")):
        return None
    mapped = raw.translate(_PII_TABLE)
    spots: list[tuple[int, int]] = []
    seen = 0

    def add_all(view: bytes, needle: bytes, kind: int, shift: int = 0) -> None:
        nonlocal seen
        at = view.find(needle)
        while at >= 0:
            spots.append((at + shift, kind))
            seen |= kind
            if not where:
                return
            at = view.find(needle, at + 1)

    for needle, kind in _NEEDLES:
        if (where or not seen & kind) and (needle[0] == 0x30 or needle[:1] in mapped):  # "@", "(": memchr first
            add_all(mapped, needle, kind)
    if (where or not seen & PHONE) and b"+" in mapped:
        for m in _PLUS.finditer(mapped):
            spots.append((m.start(), PHONE))
            seen |= PHONE
            if not where:
                break
    if (where or not seen & CARD) and _DIGITS13 in mapped:
        runs = raw.translate(_RUN_TABLE)
        if runs.startswith(_DIGITS13):
            spots.append((0, CARD))
            seen |= CARD
        if where or not seen & CARD:
            add_all(runs, b"x" + _DIGITS13, CARD, 1)
        if where or not seen & CARD:
            add_all(runs, b"\n" + _DIGITS13, CARD, 1)
    return mapped, spots


def pii_kinds(text: str) -> int:
    """The personal-data kinds (``EMAIL | PHONE | CARD``) that could be found in ``text``; 0 for none."""
    found = _spots(text, where=False)
    if found is None:
        return ALL_KINDS
    kinds = 0
    for _, kind in found[1]:
        kinds |= kind
    return kinds


def pii_lines(text: str) -> dict[int, int] | None:
    """{0-based line number (lines split at "\\n"): kinds that could be found in it}, for the lines of
    ``text`` that may hold personal data; None when every line must be scanned for every kind."""
    found = _spots(text, where=True)
    if found is None:
        return None
    mapped, spots = found
    lines: dict[int, int] = {}
    spots.sort()
    line, counted = 0, 0
    for at, kind in spots:
        line += mapped.count(b"\n", counted, at)
        counted = at
        lines[line] = lines.get(line, 0) | kind
    return lines


# --------------------------------------------------------------------------------------------------------------
# JSON nesting

_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)  # the string token of first_excess_depth
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_NOT_BRACKETS_OR_QUOTES = bytes(b for b in range(256) if b not in b'[]{}"')
_AS_PARENS = bytes.maketrans(b"[{]}", b"(())")
_DELTA = tuple(1 if b == 40 else -1 if b == 41 else 0 for b in range(256))


def _brackets(text: str) -> bytes:
    """The brackets outside JSON strings, in order, as ``(`` and ``)``: strings are skipped exactly as the
    string token of ``first_excess_depth`` skips them."""
    if "\\" in text:
        text = _JSON_STRING.sub("", text)
        return text.encode("utf-8", "surrogatepass").translate(_AS_PARENS, _NOT_BRACKETS)
    # No escapes: a string runs from one quote to the next (or to the end of the text). Of the quotes and
    # brackets alone, the brackets outside strings are those before the first quote, between the second and
    # the third, and so on.
    marks = text.encode("utf-8", "surrogatepass").translate(_AS_PARENS, _NOT_BRACKETS_OR_QUOTES)
    if b'"' in marks:
        marks = b"".join(marks.split(b'"')[0::2])
    return marks


def max_depth(text: str) -> int:
    """The deepest bracket nesting outside JSON strings: the largest running count of ``[``/``{`` minus
    ``]``/``}``, as ``first_excess_depth`` counts it (0 when it never goes above 0)."""
    return max(0, max(accumulate(map(_DELTA.__getitem__, _brackets(text))), default=0))


def depth_within(text: str, limit: int) -> bool:
    """True when the bracket nesting of ``text`` (as ``max_depth`` measures it) never exceeds ``limit``."""
    marks = _brackets(text)
    # Balanced brackets of depth d lose their innermost pairs, all "()" side by side, in each pass: empty
    # after d passes. Anything else (too deep, or unbalanced as in a truncated document) is counted exactly.
    for _ in range(limit):
        if not marks:
            return True
        if b"()" not in marks:
            break
        marks = marks.replace(b"()", b"")
    if not marks:
        return True
    return max_depth(text) <= limit
