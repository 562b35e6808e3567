"""Small text helpers shared by the checks and the forms (pure)."""

from __future__ import annotations

import re

from validation.rules import limit

_CONTROL = re.compile("[" + "".join(f"\\x{lo:02x}-\\x{hi:02x}" for lo, hi in limit("listing.E008")) + "]")


def control_characters(value: str) -> list[int]:
    """Positions (1-based) of control characters AWS refuses in listing text."""
    return [m.start() + 1 for m in _CONTROL.finditer(value or "")]
