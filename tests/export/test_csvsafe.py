"""CSV the bundle writes: formula cells neutralised (OWASP CSV injection), numbers left as numbers. No database."""

from __future__ import annotations

import csv
import io

import pytest

from listings.export.csvsafe import csv_bytes, is_dangerous, neutralise


@pytest.mark.parametrize("cell", [
    "=1+2", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1", "  =HYPERLINK(\"x\")",
    "\uff1dSUM(A1)", "-", "+", "=", "@",
])
def test_cells_a_spreadsheet_would_run_are_quoted(cell):
    assert is_dangerous(cell)
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["", "plain", "-1.5", "+3", "-2e-3", ".5", "1,000", "a=b", "x@example.com", 42, None])
def test_other_cells_are_unchanged(cell):
    assert neutralise(cell) == ("" if cell is None else str(cell))


def test_csv_bytes_round_trips_through_a_csv_reader():
    data = csv_bytes(["code", "message"], [["x.W001", "=cmd"], ["y.E002", "line one\nline two"], ["z", -1.5]])
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == [["code", "message"], ["x.W001", "'=cmd"], ["y.E002", "line one\nline two"], ["z", "-1.5"]]
    assert b"\r\n" in data
