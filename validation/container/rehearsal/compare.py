"""Does the container's answer match the seller's sample output? Exact bytes, else equal as JSON, JSON Lines
or CSV (numbers within a tolerance), else equal as text; otherwise the first difference, said plainly."""

from __future__ import annotations

import csv
import io
import json
import math

JSON_TYPES = {"application/json", "application/x-json", "text/json"}
JSONL_TYPES = {"application/jsonlines", "application/x-jsonlines", "application/jsonl", "application/json-lines"}
CSV_TYPES = {"text/csv", "application/csv", "text/x-csv"}
_SHOW = 60


def base_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _short(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHOW else text[:_SHOW] + "…"


def _num(value: str) -> float | None:
    try:
        out = float(value)
    except ValueError:
        return None
    return out if math.isfinite(out) else None


def _close(a: float, b: float, rel: float, abs_: float) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def _json_diff(a: object, b: object, path: str, rel: float, abs_: float) -> str:
    if isinstance(a, bool) or isinstance(b, bool):
        return "" if a == b else f"{path}: {_short(a)} instead of {_short(b)}"
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return "" if _close(float(a), float(b), rel, abs_) else f"{path}: {a} instead of {b}"
    if isinstance(a, dict) and isinstance(b, dict):
        for key in b:
            if key not in a:
                return f"{path}: key {key!r} is missing"
        for key in a:
            if key not in b:
                return f"{path}: unexpected key {key!r}"
            diff = _json_diff(a[key], b[key], f"{path}.{key}", rel, abs_)
            if diff:
                return diff
        return ""
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            diff = _json_diff(x, y, f"{path}[{i}]", rel, abs_)
            if diff:
                return diff
        return "" if len(a) == len(b) else f"{path}: {len(a)} items instead of {len(b)}"
    return "" if a == b else f"{path}: {_short(a)} instead of {_short(b)}"


def _csv_diff(a: str, b: str, rel: float, abs_: float) -> str:
    rows_a = [r for r in csv.reader(io.StringIO(a)) if r]
    rows_b = [r for r in csv.reader(io.StringIO(b)) if r]
    for i, (ra, rb) in enumerate(zip(rows_a, rows_b), start=1):
        for j, (ca, cb) in enumerate(zip(ra, rb), start=1):
            na, nb = _num(ca.strip()), _num(cb.strip())
            same = _close(na, nb, rel, abs_) if na is not None and nb is not None else ca.strip() == cb.strip()
            if not same:
                return f"row {i}, column {j}: {_short(ca)} instead of {_short(cb)}"
        if len(ra) != len(rb):
            return f"row {i}: {len(ra)} columns instead of {len(rb)}"
    if len(rows_a) != len(rows_b):
        return f"{len(rows_a)} rows instead of {len(rows_b)}"
    return ""


def _lines_diff(a: str, b: str) -> str:
    la, lb = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(la, lb), start=1):
        if x.rstrip() != y.rstrip():
            return f"line {i}: {_short(x)} instead of {_short(y)}"
    return "" if len(la) == len(lb) else f"{len(la)} lines instead of {len(lb)}"


def compare(actual: bytes, expected: bytes, content_type: str, *, rel_tol: float = 1e-4,
            abs_tol: float = 1e-6) -> tuple[bool, str, str]:
    """(matches, how it was compared, the first difference or "")."""
    if actual == expected:
        return True, "identical bytes", ""
    ctype = base_type(content_type)
    textual = (ctype.startswith("text/") or ctype in JSON_TYPES | JSONL_TYPES | CSV_TYPES
               or ctype.endswith(("+json", "+xml")) or ctype == "application/xml")
    try:
        a, b = actual.decode("utf-8"), expected.decode("utf-8")
    except UnicodeDecodeError:
        textual = False
    if not textual:
        at = next((i for i, (x, y) in enumerate(zip(actual, expected)) if x != y), min(len(actual), len(expected)))
        return False, "bytes", f"byte {at:,} differs ({len(actual):,} bytes instead of {len(expected):,})"
    if ctype in JSONL_TYPES:
        la = [x for x in a.splitlines() if x.strip()]
        lb = [x for x in b.splitlines() if x.strip()]
        try:
            for i, (x, y) in enumerate(zip(la, lb), start=1):
                diff = _json_diff(json.loads(x), json.loads(y), f"line {i}: $", rel_tol, abs_tol)
                if diff:
                    return False, "JSON Lines", diff
        except ValueError as exc:
            return False, "JSON Lines", f"not JSON Lines: {exc}"
        return (len(la) == len(lb)), "JSON Lines", "" if len(la) == len(lb) else f"{len(la)} lines instead of {len(lb)}"
    if ctype in JSON_TYPES or ctype.endswith("+json"):
        try:
            diff = _json_diff(json.loads(a), json.loads(b), "$", rel_tol, abs_tol)
        except ValueError as exc:
            return False, "JSON", f"not JSON: {exc}"
        return not diff, "JSON", diff
    if ctype in CSV_TYPES:
        diff = _csv_diff(a, b, rel_tol, abs_tol)
        return not diff, "CSV (numbers within tolerance)", diff
    diff = _lines_diff(a, b)
    return not diff, "text", diff
