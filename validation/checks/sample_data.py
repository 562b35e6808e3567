"""Sample data checks (AWS_RULES.md §5 payload sizes, §6 sample data).

Each file is judged by its bytes, not its name: the first bytes are sniffed (magic numbers, NUL bytes, UTF-8)
and must agree with the declared content type before the file is parsed as that type. Text formats are read
as a stream of bounded lines, so a 100 MB batch file never sits in memory whole; whole-document JSON is parsed
only up to ``JSON_PARSE_MAX``. Nothing here raises on hostile input: parser failures become findings.

Speed (issue 4): lines are handled a block (about ``CHUNK``) at a time. Plain CSV blocks (no quotes) are split
and scanned with whole-block regexes, and ``fastscan`` rules out the text that cannot hold personal data
before the exact regexes run; the findings are the ones the cell-by-cell reading gives (tests hold the two
paths to each other).

Findings stay compact: one ``passed`` per rule per file, and at most ``MAX_REPORTED`` failures per rule per
file (the last one says how many more there were).
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

from PIL import Image

from validation.checks.fastscan import ALL_KINDS, CARD, EMAIL, PHONE, depth_within, pii_kinds, pii_lines
from validation.checks.registry import STAGE_DATA, ArtifactFile, Subject, check
from validation.findings import Finding
from validation.rules import data as data_rules
from validation.rules.base import Rule
from validation.rules.data import MB, human_size

_RULES = {r.code: r for r in data_rules.RULES}


def rule(code: str) -> Rule:
    return _RULES[code]


# Our implementation guards (not AWS numbers; the AWS numbers live in validation/rules/data.py).
CHUNK = 1 * MB  # read size for streaming
SNIFF_BYTES = 8192  # bytes looked at to recognise a format
IMAGE_HEAD_BYTES = 65536  # bytes searched for an image's dimensions (a JPEG frame header follows EXIF data)
MAX_LINE = 32 * MB  # longest line (CSV record, JSON Lines record) we hold in memory
JSON_PARSE_MAX = 32 * MB  # whole-document JSON above this is not parsed here (the rehearsal still sends it)
CONTENT_SCAN_MAX = 32 * MB  # formula and personal-data scanning stops after this many bytes of a file
DECODE_BUDGET_PIXELS = 16_000_000  # images above this are checked structurally, not decoded
MAX_REPORTED = 10  # failures reported per rule per file

REALTIME, BATCH = "realtime", "batch"
INPUT, OUTPUT = "input", "output"
PRESENCE = {
    (REALTIME, INPUT): ("data.E001", "sample_input_realtime"),
    (REALTIME, OUTPUT): ("data.E002", "sample_output_realtime"),
    (BATCH, INPUT): ("data.E003", "sample_input_batch"),
    (BATCH, OUTPUT): ("data.E004", "sample_output_batch"),
}

CODES = (
    "data.E001", "data.E002", "data.E003", "data.E004", "data.E005", "data.E006", "data.E007", "data.E008",
    "data.E009", "data.W010", "data.E011", "data.E012", "data.W013", "data.E014", "data.E015", "data.W016",
)


# --------------------------------------------------------------------------------------------------------------
# Content types and sniffing

JSON_LINES_TYPES = {"application/jsonlines", "application/x-jsonlines", "application/jsonl", "application/x-ndjson",
                    "application/ndjson"}
IMAGE_FORMATS = {"image/jpeg": {"jpeg"}, "image/jpg": {"jpeg"}, "image/png": {"png"}, "image/bmp": {"bmp"},
                 "image/x-bmp": {"bmp"}, "application/x-image": {"jpeg", "png", "bmp", "gif"}}
RECORDIO_TYPES = {"application/x-recordio-protobuf", "application/x-recordio"}
TEXT_TYPES = {"text/csv", "application/json", "text/plain", "text/x-libsvm", "text/libsvm"} | JSON_LINES_TYPES
RECORDIO_MAGIC = 0xCED7230A  # little-endian uint32 at the start of every record (bytes 0a 23 d7 ce)

_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (struct.pack("<I", RECORDIO_MAGIC), "recordio"),
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"\x93NUMPY", "npy"),
    (b"PAR1", "parquet"),
    (b"\x7fELF", "elf"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"\xff\xfe", "utf16"),
    (b"\xfe\xff", "utf16"),
]
DESCRIBE = {
    "png": "a PNG image", "jpeg": "a JPEG image", "gif": "a GIF image", "bmp": "a BMP image",
    "recordio": "RecordIO-protobuf records", "pdf": "a PDF document", "zip": "a zip archive",
    "gzip": "gzip-compressed data", "npy": "a NumPy array", "parquet": "a Parquet file",
    "elf": "an executable", "tiff": "a TIFF image", "webp": "a WebP image", "utf16": "UTF-16 text",
    "binary": "binary data", "text": "UTF-8 text", "nonutf8": "text that is not UTF-8", "empty": "empty",
}


def base_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def sniff(head: bytes) -> str:
    """What the first bytes of a file say it is."""
    if not head:
        return "empty"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:2] == b"BM" and len(head) >= 26:
        return "bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if b"\x00" in head:
        return "binary"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "nonutf8"
    return "text"


def expected_kinds(content_type: str) -> set[str] | None:
    """Sniff results that agree with a declared content type, or None when we have no parser for it."""
    if content_type in TEXT_TYPES:
        return {"text", "nonutf8", "utf16"}  # encoding problems are reported as malformed, not as mismatch
    if content_type in IMAGE_FORMATS:
        return IMAGE_FORMATS[content_type]
    if content_type in RECORDIO_TYPES:
        return {"recordio"}
    return None


# --------------------------------------------------------------------------------------------------------------
# JSON nesting without recursion

_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.S)


def first_excess_depth(text: str, limit: int) -> int | None:
    """Offset of the first bracket nested deeper than ``limit``, or None. Iterative: safe on any input.

    Strings are skipped whole by the regex, so brackets inside them do not count. The quick count, then the
    C-level depth test (``fastscan.depth_within``, the same count), mean that only a document that really is
    too deep reaches the Python loop, which finds where.
    """
    if text.count("[") + text.count("{") <= limit or depth_within(text, limit):
        return None
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        char = text[match.start()]
        if char in "[{":
            depth += 1
            if depth > limit:
                return match.start()
        elif char in "]}":
            depth -= 1
    return None


def line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


# --------------------------------------------------------------------------------------------------------------
# Streaming text


class TextProblem(Exception):
    """The stream stopped being readable text at ``line`` (1-based)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def text_blocks(path: Path, *, max_line: int = MAX_LINE) -> Iterator[str]:
    """The text of a UTF-8 file in blocks of whole lines, read in chunks: each block ends with ``\\n``, except
    a last line without one. Raises TextProblem on NUL, bad UTF-8 or a line longer than ``max_line``
    characters, after yielding every line before the problem (``text_lines`` is these lines one by one).
    Only ``\\n`` ends a line (CSV fields may hold other separators)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    pieces: list[str] = []  # the current, unfinished line
    pending_len = 0
    line_no = 0
    first = True
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            final = not chunk
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                bad_line = line_no + exc.object[: exc.start].count(b"\n") + 1
                raise TextProblem(f"byte 0x{exc.object[exc.start]:02x} is not valid UTF-8", bad_line) from None
            if first and text.startswith("\ufeff"):
                text = text[1:]
            first = False
            if "\x00" in text:
                raise TextProblem("the file contains NUL bytes (binary data)",
                                  line_no + text[: text.index("\x00")].count("\n") + 1)
            if "\n" not in text:
                pieces.append(text)
                pending_len += len(text)
                if pending_len > max_line:
                    raise TextProblem(f"line is longer than {human_size(max_line)}", line_no + 1)
            else:
                pieces.append(text)
                joined = "".join(pieces)
                cut = joined.rfind("\n") + 1
                block, pending = joined[:cut], joined[cut:]
                del joined
                pieces, pending_len = [pending], len(pending)
                if len(block) > max_line + 1:  # a line in it may be too long: find the first one
                    start = 0
                    while start < len(block):
                        end = block.index("\n", start)
                        if end - start > max_line:
                            if start:
                                yield block[:start]
                            raise TextProblem(f"line is longer than {human_size(max_line)}",
                                              line_no + block.count("\n", 0, start) + 1)
                        start = end + 1
                line_no += block.count("\n")
                yield block
                del block
                if pending_len > max_line:
                    raise TextProblem(f"line is longer than {human_size(max_line)}", line_no + 1)
            if final:
                break
    rest = "".join(pieces)
    if rest:
        yield rest


def block_lines(block: str) -> list[str]:
    """The lines of a ``text_blocks`` block, without their ``\\n``."""
    lines = block.split("\n")
    if block.endswith("\n"):
        lines.pop()
    return lines


def text_lines(path: Path, *, max_line: int = MAX_LINE) -> Iterator[str]:
    """Lines of a UTF-8 file (ending kept), read in chunks; raises TextProblem on NUL, bad UTF-8 or a line
    longer than ``max_line`` characters. Only ``\\n`` ends a line (CSV fields may hold other separators)."""
    for block in text_blocks(path, max_line=max_line):
        if block.endswith("\n"):
            for line in block_lines(block):
                yield line + "\n"
        else:
            yield block


# --------------------------------------------------------------------------------------------------------------
# Personal data and spreadsheet formulas

_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]{1,64}@((?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24})\b")
_PHONE = re.compile(
    r"(?<![\w.+-])(?:"
    r"(?:\+?1[ .-]?)?(?:\(\d{3}\)\s?\d{3}[ .-]|\d{3}([.-])\d{3}\1)\d{4}"  # North American
    r"|\+\d{1,3}(?:[ .-]\(?\d{1,4}\)?|\(\d{1,4}\)){2,5}"  # international, +44 20 7946 0958 (separators
    # are required between groups, so a long digit run cannot be split many ways: no backtracking blow-up)
    r"|\+\d{10,15}"  # international, digits only
    r")(?![\w.-]?\d)"
)
# Contiguous, or in the printed groups (4-4-4-4..7, Amex 4-6-5): single digits with spaces are feature data.
_CARD = re.compile(r"(?<![\d.,])(?:\d{13,19}|\d{4}(?P<s>[ -])\d{4}(?P=s)\d{4}(?P=s)\d{1,7}"
                   r"|\d{4}(?P<a>[ -])\d{6}(?P=a)\d{5})(?!\d)")
# The same, for a whole CSV line whose cells hold no comma: a comma before a number is a cell boundary there,
# which the per-cell pattern sees as the start of the text (so a match found here is one found in the cell).
_CARD_IN_LINE = re.compile(_CARD.pattern.replace(r"(?<![\d.,])", r"(?<![\d.])", 1))
_EXAMPLE_DOMAINS = re.compile(r"(^|\.)(example\.(com|org|net)|example|test|invalid|localhost)$", re.I)
_NUMERIC = re.compile(r"[+-]?(?:\d[\d,_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = ord(ch) - 48
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _card_brand(digits: str) -> bool:
    two, three, four = int(digits[:2]), int(digits[:3]), int(digits[:4])
    return (digits[0] == "4" or 51 <= two <= 55 or 2221 <= four <= 2720 or two in (34, 37, 36, 38, 65)
            or 300 <= three <= 305 or 644 <= three <= 649 or four == 6011 or 3528 <= four <= 3589)


def personal_data(text: str, kinds: int = ALL_KINDS, *, card: re.Pattern = _CARD) -> Iterator[tuple[str, str, int]]:
    """(kind, masked value, offset) for each e-mail address, phone number or card number in ``text``: e-mail
    addresses first, then phone numbers, then card numbers. ``kinds`` (``fastscan``: ``EMAIL | PHONE | CARD``)
    leaves out kinds that ``fastscan.pii_kinds`` has ruled out."""
    if kinds & EMAIL and "@" in text:
        for m in _EMAIL.finditer(text):
            if not _EXAMPLE_DOMAINS.search(m.group(1)):
                yield "e-mail address", m.group()[0] + "***@" + m.group(1), m.start()
    if kinds & PHONE:
        for m in _PHONE.finditer(text):
            digits = re.sub(r"\D", "", m.group())
            if 10 <= len(digits) <= 15 and "555" not in digits[-7:-4]:
                yield "phone number", "***" + digits[-4:], m.start()
    if not kinds & CARD:
        return
    for m in card.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and len(set(digits)) > 1 and _card_brand(digits) and luhn_ok(digits):
            yield "card number", "**** " + digits[-4:], m.start()


def is_formula(cell: str) -> bool:
    return len(cell) > 1 and cell.startswith(FORMULA_START) and not _NUMERIC.fullmatch(cell)


# is_formula over many cells at once, each match one formula cell. ``_NUMBER_REST`` is ``_NUMERIC`` after its
# sign (a cell starting "+" or "-" that is a number is not a formula); the look-behind puts the first
# character at the start of a cell.
_NUMBER_REST = _NUMERIC.pattern.removeprefix("[+-]?")
assert _NUMBER_REST != _NUMERIC.pattern and _NUMBER_REST.count(",") == 1
# Cells of one row joined with NUL (csv rows: a cell may hold commas and line ends, never NUL).
_FORMULA_IN_ROW = re.compile(r"[=+\-@\t\r](?<![^\x00].)(?!(?<=[+-])" + _NUMBER_REST + r"(?:\x00|\Z))[^\x00]+")
# Lines of unquoted CSV (no quote, no carriage return): cells end at a comma or a line end. The first
# look-ahead only passes the common "-12.5" quickly; the second is the rule.
_FORMULA_IN_LINES = re.compile(r"[=+\-@\t](?<![^,\n].)(?!(?<=[+-])\d++(?:\.\d++)?+[,\n])(?!(?<=[+-])"
                               + _NUMBER_REST.replace(",", "") + r"(?:[,\n]|\Z))[^,\n]+")


# --------------------------------------------------------------------------------------------------------------
# Per-file report


@dataclass
class FileReport:
    """Failures collected for one file, capped per rule; ``checked`` are the rules that ran on it."""

    file: ArtifactFile
    failures: dict[str, list[Finding]] = field(default_factory=dict)
    extra: dict[str, int] = field(default_factory=dict)
    checked: dict[str, str] = field(default_factory=dict)  # code -> passed message
    not_run: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"file:{self.file.name}"

    def fail(self, code: str, message: str, *, location: str = "", **measured) -> None:
        bucket = self.failures.setdefault(code, [])
        if len(bucket) < MAX_REPORTED:
            bucket.append(rule(code).failed(message, location=location or self.where, **measured))
        else:
            self.extra[code] = self.extra.get(code, 0) + 1

    def ran(self, code: str, passed_message: str) -> None:
        self.checked.setdefault(code, passed_message)

    def skip(self, code: str, reason: str) -> None:
        self.not_run.setdefault(code, reason)

    def findings(self) -> Iterator[Finding]:
        for code in CODES:
            if code in self.failures:
                bucket = self.failures[code]
                more = self.extra.get(code, 0)
                if more:
                    last = bucket[-1]
                    bucket[-1] = rule(code).failed(
                        f"{last.message} (and {more} more like this in the file)",
                        location=last.location, **last.measured, more=more,
                    )
                yield from bucket
            elif code in self.checked:
                yield rule(code).passed(self.checked[code], location=self.where)
            elif code in self.not_run:
                yield rule(code).not_run(self.not_run[code], location=self.where)


def _cell_location(name: str, row: int, col: int) -> str:
    return f"file:{name}:row {row}:col {col}"


def _line_location(name: str, line: int, col: int | None = None) -> str:
    return f"file:{name}:line {line}" + (f":col {col}" if col else "")


def _scan_personal(report: FileReport, text: str, location: str, kinds: int = ALL_KINDS) -> None:
    for kind, masked, _ in personal_data(text, kinds):
        report.fail("data.W016", f"Looks like a {kind} ({masked}).", location=location, kind=kind)


# --------------------------------------------------------------------------------------------------------------
# Parsers: each records into the report and never raises

_KIND_ORDER = {"e-mail address": 0, "phone number": 1, "card number": 2}  # personal_data's order within a cell


class _CsvScan:
    """What the CSV check has seen so far. Records arrive either as csv rows (``row``) or as whole blocks of
    plain lines (``plain_lines``: no quote and no carriage return, so each line is one record and its cells
    are the text between commas, exactly as the csv module splits it). Both report the same findings, in the
    same order, as checking every cell of every row in turn."""

    def __init__(self, report: FileReport) -> None:
        self.report = report
        self.name = report.file.name
        self.expected: int | None = None
        self.record = 0
        self.bytes_seen = 0
        self.scanning = True

    def columns(self, count: int, record: int) -> None:
        """A non-empty record of ``count`` cells."""
        if self.expected is None:
            self.expected = count
        elif count != self.expected:
            col = min(count, self.expected) + 1
            self.report.fail("data.E009", f"Row {record} has {count} columns; the first row has {self.expected}.",
                             location=_cell_location(self.name, record, col), row=record, columns=count,
                             expected=self.expected)

    def formula(self, cell: str, record: int, col: int) -> None:
        shown = cell[:20].encode("unicode_escape").decode()
        self.report.fail("data.W010", f"Cell starts with {cell[0]!r}: {shown!r}.",
                         location=_cell_location(self.name, record, col), row=record, col=col)

    def row(self, row: list[str]) -> None:
        self.record += 1
        if not row:
            return
        self.columns(len(row), self.record)
        if self.scanning:
            self.scan_row(row, self.record)

    def scan_row(self, row: list[str], record: int) -> None:
        """Formulas and personal data in one non-empty record; counts its cells towards CONTENT_SCAN_MAX."""
        joined = "\x00".join(row)  # cells never hold NUL (text_blocks refuses it)
        self.bytes_seen += len(joined) + 1  # each cell's length + 1
        for m in _FORMULA_IN_ROW.finditer(joined):
            self.formula(m.group(), record, joined.count("\x00", 0, m.start()) + 1)
        kinds = pii_kinds(joined) if len(joined) >= 6 else 0
        if kinds:
            for col, cell in enumerate(row, start=1):
                if len(cell) >= 6:
                    _scan_personal(self.report, cell, _cell_location(self.name, record, col), kinds)
        self.scanning = self.bytes_seen <= CONTENT_SCAN_MAX

    def plain_lines(self, text: str, lines: list[str]) -> None:
        """A block of plain lines (``text``, and its lines without line ends), one record each."""
        n = len(lines)
        base = self.record  # line i is record base + i + 1
        self.record += n
        counts = list(map(str.count, lines, repeat(",", n)))
        empties = lines.count("")
        if self.expected is None:
            first = next((i for i, line in enumerate(lines) if line), None)
            if first is None:
                return
            self.expected = counts[first] + 1
        commas = self.expected - 1
        if counts.count(commas) - (empties if commas == 0 else 0) + empties != n:
            for i, count in enumerate(counts):
                if count != commas and lines[i]:
                    self.columns(count + 1, base + i + 1)
        if not self.scanning:
            return
        if self.bytes_seen + len(text) + 1 > CONTENT_SCAN_MAX:  # the scan stops inside this block
            for i, line in enumerate(lines):
                if line and self.scanning:
                    self.scan_row(line.split(","), base + i + 1)
            return
        self.bytes_seen += sum(map(len, lines)) + n - empties  # stays within CONTENT_SCAN_MAX
        at_line, counted, line_start = 0, 0, 0
        formulas = _FORMULA_IN_LINES.finditer(text) if any(c in text for c in "=+-@\t") else ()
        for m in formulas:
            start = m.start()
            newlines = text.count("\n", counted, start)
            if newlines:
                at_line += newlines
                line_start = text.rfind("\n", counted, start) + 1
            counted = start
            self.formula(m.group(), base + at_line + 1, text.count(",", line_start, start) + 1)
        spots = pii_lines(text)
        for i in range(n) if spots is None else sorted(spots):
            line = lines[i]
            if len(line) < 6:  # no cell of 6 characters: nothing to find
                continue
            hits = sorted((line.count(",", 0, at) + 1, _KIND_ORDER[kind], at, kind, masked) for kind, masked, at
                          in personal_data(line, ALL_KINDS if spots is None else spots[i], card=_CARD_IN_LINE))
            for col, _, _, kind, masked in hits:
                self.report.fail("data.W016", f"Looks like a {kind} ({masked}).",
                                 location=_cell_location(self.name, base + i + 1, col), kind=kind)


class _CsvFeed:
    """Lines for csv.reader, with their line ends: what is left of the current block, then the next blocks
    (a quoted cell may run over several lines). ``consumed`` counts every line read, by either path."""

    def __init__(self, blocks: Iterator[str]) -> None:
        self.blocks = blocks
        self.lines: list[str] = []
        self.pos = 0
        self.consumed = 0

    def __iter__(self) -> _CsvFeed:
        return self

    def __next__(self) -> str:
        while self.pos >= len(self.lines):
            self.load(next(self.blocks))  # StopIteration: the end of the reader's input
        line = self.lines[self.pos]
        self.pos += 1
        self.consumed += 1
        return line

    def load(self, block: str) -> None:
        self.lines = [line + "\n" for line in block_lines(block)] if block.endswith("\n") else [block]
        self.pos = 0

    @property
    def pending(self) -> bool:
        return self.pos < len(self.lines)


def _plain_block(block: str, field_limit: int) -> tuple[str, list[str]] | None:
    """(text, lines) when the csv module would split every line of ``block`` at its commas and nothing else:
    no quote, no carriage return but in line ends (dropped, as the csv module drops them), no line longer than
    its field limit. None otherwise."""
    if '"' in block:
        return None
    if "\r" in block:
        if block.count("\r") != block.count("\r\n"):
            return None
        block = block.replace("\r\n", "\n")
    lines = block_lines(block)
    if len(block) > field_limit and max(map(len, lines)) > field_limit:
        return None
    return block, lines


def _check_csv(report: FileReport) -> None:
    name = report.file.name
    scan = _CsvScan(report)
    feed = _CsvFeed(text_blocks(report.file.path))
    reader = csv.reader(feed)
    field_limit = csv.field_size_limit()
    try:
        while True:
            if feed.pending:  # a block with quotes (or what a quoted record left of one): record by record
                row = next(reader, None)
                if row is None:
                    break
                scan.row(row)
                continue
            try:
                block = next(feed.blocks)
            except StopIteration:
                break
            plain = _plain_block(block, field_limit)
            if plain is None:
                feed.load(block)
            else:
                feed.consumed += len(plain[1])
                scan.plain_lines(*plain)
    except TextProblem as exc:
        report.fail("data.E008", f"Not readable as CSV text: {exc}.", location=_line_location(name, exc.line))
    except csv.Error as exc:
        report.fail("data.E008", f"Not valid CSV near record {scan.record + 1}: {exc}.",
                    location=_line_location(name, feed.consumed or 1))
    record, expected, scanning = scan.record, scan.expected, scan.scanning
    if record == 0 and "data.E008" not in report.failures:
        report.fail("data.E008", "The CSV file has no rows.")
    report.ran("data.E008", f"Parsed as CSV: {record} rows.")
    if expected is not None:
        report.ran("data.E009", f"All {record} rows have {expected} columns.")
    suffix = "" if scanning else f" (first {human_size(CONTENT_SCAN_MAX)} scanned)"
    report.ran("data.W010", "No cells that a spreadsheet would run as formulas" + suffix + ".")
    report.ran("data.W016", "No e-mail addresses, phone numbers or card numbers found" + suffix + ".")


# Parses exactly what json.loads parses and fails where it fails; floats are not converted (the values are
# not kept), which makes numeric samples several times faster to check. Integers still are: int() refuses
# more than 4300 digits, and that refusal is a finding.
_DECODER = json.JSONDecoder(parse_float=len)


def _json_value(report: FileReport, text: str, line: int | None = None) -> str:
    """Parse one JSON text after the depth guard: "ok", "deep" or "bad". ``line`` is the JSON Lines line."""
    limit = rule("data.E011").limit
    name = report.file.name
    deep = first_excess_depth(text, limit)
    if deep is not None:
        at_line, col = line_col(text, deep)
        at_line = line or at_line
        report.fail("data.E011", f"Nested more than {limit} levels deep (line {at_line}, column {col}).",
                    location=_line_location(name, at_line, col), limit=limit)
        return "deep"
    try:
        if line is None:
            json.loads(text, parse_float=len)
        else:  # one stripped JSON Lines record: skip json.loads' per-call overhead (millions of records)
            _, end = _DECODER.raw_decode(text)
            if end != len(text):
                raise json.JSONDecodeError("Extra data", text, end)
    except json.JSONDecodeError as exc:
        at_line = line or exc.lineno
        report.fail("data.E008", f"Not valid JSON: {exc.msg} (line {at_line}, column {exc.colno}).",
                    location=_line_location(name, at_line, exc.colno))
        return "bad"
    except (RecursionError, MemoryError, ValueError) as exc:
        report.fail("data.E008", f"JSON could not be parsed: {type(exc).__name__}.",
                    location=_line_location(name, line) if line else f"file:{name}")
        return "bad"
    return "ok"


def _check_json(report: FileReport, size: int) -> None:
    name = report.file.name
    if size > JSON_PARSE_MAX:
        reason = (f"not parsed here: {human_size(size)} is over the {human_size(JSON_PARSE_MAX)} we parse as one "
                  "document (JSON Lines is streamed)")
        report.skip("data.E008", reason)
        report.skip("data.E011", reason)
        report.skip("data.W016", reason)
        return
    raw = report.file.path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        report.fail("data.E008", f"Not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start}.",
                    location=_line_location(name, raw[: exc.start].count(b"\n") + 1))
        return
    del raw  # the text is what is checked from here on
    if text.startswith("\ufeff"):
        report.fail("data.E008", "The file starts with a byte-order mark, which JSON parsers reject.",
                    location=_line_location(name, 1))
        return
    if not text.strip():
        report.fail("data.E008", "The JSON file is blank.")
        return
    outcome = _json_value(report, text)
    if outcome == "deep":
        report.skip("data.E008", "not parsed: nested too deeply (see data.E011)")
    else:
        report.ran("data.E011", f"Nested at most {rule('data.E011').limit} levels.")
    if outcome == "ok":
        report.ran("data.E008", "Parsed as one JSON document.")
    spots = pii_lines(text)  # the lines that may hold personal data, and what kind
    if spots is None:
        spots = dict.fromkeys(range(text.count("\n") + 1), ALL_KINDS)
    if spots:
        lines = text.split("\n")
        for index in sorted(spots):
            if len(lines[index]) >= 6:
                _scan_personal(report, lines[index], _line_location(name, index + 1), spots[index])
    report.ran("data.W016", "No e-mail addresses, phone numbers or card numbers found.")


def _check_jsonlines(report: FileReport) -> None:
    name = report.file.name
    counts = {"ok": 0, "deep": 0, "bad": 0}
    bytes_seen = 0
    line_no = 0
    try:
        for block in text_blocks(report.file.path):
            spots = pii_lines(block) if bytes_seen <= CONTENT_SCAN_MAX else {}
            for index, line in enumerate(block_lines(block)):
                line_no += 1
                body = line.strip()
                if not body:
                    continue
                counts[_json_value(report, body, line=line_no)] += 1
                if bytes_seen <= CONTENT_SCAN_MAX and len(body) >= 6:
                    bytes_seen += len(body)
                    kinds = ALL_KINDS if spots is None else spots.get(index, 0)
                    if kinds:
                        _scan_personal(report, body, _line_location(name, line_no), kinds)
    except TextProblem as exc:
        report.fail("data.E008", f"Not readable as JSON Lines text: {exc}.", location=_line_location(name, exc.line))
    records = sum(counts.values())
    if records == 0 and "data.E008" not in report.failures:
        report.fail("data.E008", "The JSON Lines file has no records.")
    deep = f" ({counts['deep']} too deeply nested to parse, see data.E011)" if counts["deep"] else ""
    report.ran("data.E008", f"Parsed {counts['ok']} of {records} JSON Lines records{deep}.")
    if not counts["deep"]:
        report.ran("data.E011", f"Every record is nested at most {rule('data.E011').limit} levels.")
    suffix = "" if bytes_seen <= CONTENT_SCAN_MAX else f" (first {human_size(CONTENT_SCAN_MAX)} scanned)"
    report.ran("data.W016", "No e-mail addresses, phone numbers or card numbers found" + suffix + ".")


def _check_text(report: FileReport) -> None:
    name = report.file.name
    lines = 0
    bytes_seen = 0
    try:
        for block in text_blocks(report.file.path):
            spots = pii_lines(block) if bytes_seen <= CONTENT_SCAN_MAX else {}
            ended = block.endswith("\n")  # else the block is a last line without a line end
            for index, line in enumerate(block_lines(block)):
                lines += 1
                size = len(line) + ended
                if bytes_seen <= CONTENT_SCAN_MAX and size >= 6:
                    bytes_seen += size
                    kinds = ALL_KINDS if spots is None else spots.get(index, 0)
                    if kinds:
                        _scan_personal(report, line + "\n" if ended else line, _line_location(name, lines), kinds)
    except TextProblem as exc:
        report.fail("data.E008", f"Not readable as UTF-8 text: {exc}.", location=_line_location(name, exc.line))
    report.ran("data.E008", f"Valid UTF-8 text: {lines} lines.")
    report.ran("data.W016", "No e-mail addresses, phone numbers or card numbers found.")


def header_dimensions(head: bytes) -> tuple[int, int] | None:
    """Width and height from the header, before any decoder runs (PNG, GIF, BMP, JPEG)."""
    try:
        if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
            return struct.unpack(">II", head[16:24])
        if head[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", head[6:10])
        if head[:2] == b"BM":
            (dib,) = struct.unpack("<I", head[14:18])
            if dib == 12:
                return struct.unpack("<HH", head[18:22])
            width, height = struct.unpack("<ii", head[18:26])
            return abs(width), abs(height)
        if head[:3] == b"\xff\xd8\xff":
            pos = 2
            while pos + 9 < len(head):
                if head[pos] != 0xFF:
                    return None
                marker = head[pos + 1]
                if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                    pos += 2
                    continue
                (length,) = struct.unpack(">H", head[pos + 2: pos + 4])
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    height, width = struct.unpack(">HH", head[pos + 5: pos + 9])
                    return width, height
                pos += 2 + length
    except struct.error:
        return None
    return None


_PIL_FORMAT = {"png": "PNG", "jpeg": "JPEG", "bmp": "BMP", "gif": "GIF"}


def _check_image(report: FileReport, kind: str, size: int) -> None:
    limit = rule("data.E012").limit
    with open(report.file.path, "rb") as fh:
        head = fh.read(IMAGE_HEAD_BYTES)
    dims = header_dimensions(head)
    if dims and dims[0] * dims[1] > limit:
        report.fail("data.E012", f"The header claims {dims[0]} x {dims[1]} = {dims[0] * dims[1]:,} pixels; the limit "
                    f"is {limit:,}. Not decoded.", width=dims[0], height=dims[1], limit=limit)
        report.skip("data.E008", "not decoded: too many pixels")
        return
    try:
        with warnings.catch_warnings():
            # Our own limit below decides; Pillow's global one must neither warn nor be changed for others.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(report.file.path, formats=[_PIL_FORMAT[kind]]) as im:
                width, height = im.size
                if width * height > limit:
                    report.fail("data.E012", f"{width} x {height} = {width * height:,} pixels; the limit is "
                                f"{limit:,}. Not decoded.", width=width, height=height, limit=limit)
                    report.skip("data.E008", "not decoded: too many pixels")
                    return
                report.ran("data.E012", f"{width} x {height} pixels.")
                if kind == "png":
                    im.verify()  # every chunk's CRC, through IEND, without decompressing
                elif kind == "jpeg":
                    im.draft("RGB", (max(1, width // 8), max(1, height // 8)))  # decode at 1/8: reads every byte
                    im.load()
                elif kind == "bmp":
                    declared = struct.unpack("<I", head[2:6])[0] if len(head) >= 6 else 0
                    if declared > size:
                        raise OSError(f"truncated: the header says {declared:,} bytes, the file has {size:,}")
                    if width * height <= DECODE_BUDGET_PIXELS:
                        im.load()
                else:
                    if width * height <= DECODE_BUDGET_PIXELS:
                        im.load()
    except Image.DecompressionBombError as exc:
        report.fail("data.E012", f"Refused to decode: {exc}", limit=limit)
        report.skip("data.E008", "not decoded: too many pixels")
        return
    except Exception as exc:  # noqa: BLE001 - any decoder failure on seller bytes is a finding
        report.fail("data.E008", f"The {_PIL_FORMAT[kind]} image is damaged or truncated: {exc}.")
        return
    report.ran("data.E008", f"A readable {_PIL_FORMAT[kind]} image ({width} x {height}).")


def _check_recordio(report: FileReport, size: int) -> None:
    records = 0
    pos = 0
    with open(report.file.path, "rb") as fh:
        while pos < size:
            header = fh.read(8)
            if len(header) < 8:
                report.fail("data.E008", f"Record {records + 1} at byte {pos:,} is cut short (header).")
                return
            magic, lrec = struct.unpack("<II", header)
            if magic != RECORDIO_MAGIC:
                report.fail("data.E008", f"Record {records + 1} at byte {pos:,} does not start with the RecordIO "
                            f"magic 0x{RECORDIO_MAGIC:08x} (found 0x{magic:08x}).")
                return
            length = lrec & ((1 << 29) - 1)
            padded = (length + 3) & ~3
            if pos + 8 + length > size:
                report.fail("data.E008", f"Record {records + 1} at byte {pos:,} claims {length:,} bytes but the file "
                            "ends first (truncated).")
                return
            pos += 8 + padded
            fh.seek(pos)
            records += 1
    report.ran("data.E008", f"{records} RecordIO records, framing intact (protobuf content not decoded).")


# --------------------------------------------------------------------------------------------------------------
# The check


# When a file arrives without labels (``manage.py prep check data/``), they are read from AWS's sample-notebook
# folder convention (data/input/real-time/…, data/output/batch/…) and the extension. Only labels are inferred
# this way: the content is still sniffed and must agree with the inferred content type.
_EXTENSION_TYPES = {".csv": "text/csv", ".json": "application/json", ".jsonl": "application/jsonlines",
                    ".jsonlines": "application/jsonlines", ".ndjson": "application/jsonlines", ".txt": "text/plain",
                    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".bmp": "image/bmp",
                    ".recordio": "application/x-recordio-protobuf", ".rec": "application/x-recordio-protobuf",
                    ".pbr": "application/x-recordio-protobuf"}


def _inferred(f: ArtifactFile) -> dict[str, str]:
    parts = [p.lower() for p in (*Path(f.name).parts, *f.path.parts[-4:])]
    found: dict[str, str] = {}
    for part in parts:
        if part in (INPUT, OUTPUT):
            found.setdefault("direction", part)
        elif part.replace("-", "").replace("_", "") in (REALTIME, BATCH):
            found.setdefault("mode", part.replace("-", "").replace("_", ""))
    content_type = _EXTENSION_TYPES.get(Path(f.name).suffix.lower())
    if content_type:
        found["content_type"] = content_type
    return found


def _labels(f: ArtifactFile) -> tuple[str, str, str, list[str], list[str]]:
    """mode, direction, content type, problems, and which labels were inferred rather than given."""
    tags = dict(f.tags or {})
    inferred = []
    for key, value in _inferred(f).items():
        if not tags.get(key):
            tags[key] = value
            inferred.append(key.replace("_", " "))
    mode = str(tags.get("mode") or "").strip().lower().replace("-", "")
    direction = str(tags.get("direction") or "").strip().lower()
    content_type = base_type(tags.get("content_type"))
    problems = []
    if mode not in (REALTIME, BATCH):
        problems.append(f"mode {tags.get('mode')!r} (expected realtime or batch)" if mode else "no mode")
    if direction not in (INPUT, OUTPUT):
        problems.append(f"direction {tags.get('direction')!r} (expected input or output)" if direction else
                        "no direction")
    if not content_type or "/" not in content_type:
        problems.append(f"content type {tags.get('content_type')!r}" if content_type else "no content type")
    return mode, direction, content_type, problems, inferred


def _size_rules(report: FileReport, mode: str, size: int) -> None:
    shown = human_size(size)
    if mode == REALTIME:
        classic, maximum = rule("data.W013"), rule("data.E014")
        if size > maximum.limit:
            report.fail("data.E014", f"{shown} ({size:,} bytes); real-time requests are at most {maximum.limit}.",
                        size=size, limit=int(maximum.limit))
            return
        report.ran("data.E014", f"{shown}, within the {maximum.limit} maximum.")
        if size > classic.limit:
            report.fail("data.W013", f"{shown} ({size:,} bytes); over the classic {classic.limit} real-time limit.",
                        size=size, limit=int(classic.limit))
        else:
            report.ran("data.W013", f"{shown}, within {classic.limit}.")
    elif mode == BATCH:
        batch = rule("data.E015")
        if size > batch.limit:
            report.fail("data.E015", f"{shown} ({size:,} bytes); batch payloads are at most {batch.limit}.",
                        size=size, limit=int(batch.limit))
        else:
            report.ran("data.E015", f"{shown}, within {batch.limit}.")


def check_file(f: ArtifactFile, mode: str, content_type: str) -> FileReport:
    """Everything about one labelled sample file."""
    report = FileReport(f)
    try:
        size = f.path.stat().st_size
        with open(f.path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        for code in ("data.E007", "data.E008"):
            report.skip(code, f"the file could not be opened: {exc.strerror or exc}")
        return report
    _size_rules(report, mode, size)
    found = sniff(head)
    if found == "empty":
        report.fail("data.E008", "The file is empty.")
        return report
    wanted = expected_kinds(content_type)
    if wanted is None:
        reason = f"no parser for {content_type} here (the rehearsal run sends it to the container)"
        report.skip("data.E007", reason)
        report.skip("data.E008", reason)
        return report
    if found not in wanted:
        report.fail("data.E007", f"Declared {content_type} but the bytes are {DESCRIBE.get(found, found)}.",
                    declared=content_type, sniffed=found)
        report.skip("data.E008", "not parsed: the content does not match its content type")
        return report
    if found == "utf16":
        report.fail("data.E008", "The file is UTF-16 text; samples must be UTF-8.")
        return report
    report.ran("data.E007", f"The bytes are {DESCRIBE.get(found, found)}, as {content_type} says.")
    try:
        if content_type == "text/csv":
            _check_csv(report)
        elif content_type == "application/json":
            _check_json(report, size)
        elif content_type in JSON_LINES_TYPES:
            _check_jsonlines(report)
        elif content_type in TEXT_TYPES:
            _check_text(report)
        elif content_type in IMAGE_FORMATS:
            _check_image(report, found, size)
        elif content_type in RECORDIO_TYPES:
            _check_recordio(report, size)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not hide the other findings
        report.skip("data.E008", f"the parser stopped unexpectedly ({type(exc).__name__}); please report this")
    return report


@check(name="data.sample_data", title="Sample data", stage=STAGE_DATA, codes=CODES, time_limit=60.0)
def sample_data(subject: Subject) -> Iterator[Finding]:
    listing = subject.listing or {}
    version = listing.get("version") or {}
    present: dict[tuple[str, str], int] = {key: 0 for key in PRESENCE}
    input_types: set[str] = set()
    reports: list[FileReport] = []

    for f in subject.files_of("sample_data"):
        mode, direction, content_type, problems, inferred = _labels(f)
        if problems:
            yield rule("data.E006").failed(f"Labels to fix: {'; '.join(problems)}.", location=f"file:{f.name}")
            if mode not in (REALTIME, BATCH) or not content_type or "/" not in content_type:
                continue
        else:
            note = f" ({', '.join(inferred)} taken from the file's folder and name)" if inferred else ""
            yield rule("data.E006").passed(f"{mode} {direction}, {content_type}{note}.", location=f"file:{f.name}")
        if direction in (INPUT, OUTPUT):
            present[(mode, direction)] += 1
            if direction == INPUT:
                input_types.add(content_type)
        reports.append(check_file(f, mode, content_type))

    for (mode, direction), (code, field_name) in PRESENCE.items():
        count = present[(mode, direction)]
        label = f"{'Real-time' if mode == REALTIME else 'Batch'} sample {direction}"
        if count:
            yield rule(code).passed(f"{label}: {count} file(s).", location=f"field:{field_name}", files=count)
        elif str(version.get(field_name) or "").strip():
            yield rule(code).passed(f"{label} is given in the listing text; upload it as a file as well so the "
                                    "notebook and the rehearsal run can use it.", location=f"field:{field_name}")
        else:
            yield rule(code).failed(f"No {label.lower()}.", location=f"field:{field_name}")

    declared = [base_type(t) for t in ((listing.get("endpoint") or {}).get("input_content_types") or [])]
    declared = [t for t in dict.fromkeys(declared) if t]
    if not declared:
        yield rule("data.E005").not_run("The endpoint declares no input content types yet.",
                                        location="field:input_content_types")
    else:
        missing = [t for t in declared if t not in input_types]
        for content_type in missing:
            yield rule("data.E005").failed(f"No input sample with content type {content_type}.",
                                           location="field:input_content_types", content_type=content_type)
        if not missing:
            yield rule("data.E005").passed(f"Every declared input content type has a sample: "
                                           f"{', '.join(declared)}.", location="field:input_content_types")

    for report in reports:
        yield from report.findings()
