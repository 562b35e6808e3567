from __future__ import annotations

from pathlib import Path

# The ``browser`` and ``new_page`` fixtures live in tests/browser.py (imported by tests/conftest.py), so the
# security suite's rendering test shares the session's one Playwright with these tests.
from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (kept importable from here)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
