"""CSV the bundle writes itself, safe to open in a spreadsheet (OWASP "CSV Injection").

A cell that starts with ``=``, ``+``, ``-`` or ``@`` — or with a tab or carriage return, which some
spreadsheets skip before reading the formula — is run as a formula by Excel, LibreOffice and Google Sheets
(``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``). Every such cell is written with a leading single quote, which
the spreadsheet shows as text and does not store. Plain numbers (``-1.5``, ``+3``, ``-2e-3``) are left alone:
they are not formulas and quoting them would turn them into text. Leading spaces do not hide a formula (some
spreadsheets trim them first), and the full-width forms ``＝ ＋ － ＠`` count too (Excel folds them).

Only CSV *we* generate goes through here. The seller's own sample files are copied byte for byte: they are
the exact bytes SageMaker's validation job and buyers receive, so we flag them (``data.W010``, listed in the
bundle's README) instead of changing them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from validation.checks.sample_data import FORMULA_START

__all__ = ["csv_bytes", "is_dangerous", "neutralise"]

_FULL_WIDTH = ("\uff1d", "\uff0b", "\uff0d", "\uff20")  # ＝ ＋ － ＠
_STARTS = tuple(FORMULA_START) + _FULL_WIDTH
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def is_dangerous(cell: str) -> bool:
    if not cell:
        return False
    if cell.startswith(("\t", "\r")):
        return True
    stripped = cell.lstrip(" ")
    return stripped.startswith(_STARTS) and not _NUMBER.fullmatch(stripped)


def neutralise(value: object) -> str:
    """The cell as text a spreadsheet will not execute."""
    text = "" if value is None else str(value)
    return "'" + text if is_dangerous(text) else text


def csv_bytes(header: Iterable[object], rows: Iterable[Iterable[object]]) -> bytes:
    """RFC 4180 CSV (CRLF, every cell quoted), UTF-8 with a BOM so spreadsheets pick the encoding."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in header])
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
