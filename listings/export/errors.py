"""The one error an export reports to the seller: what stopped it, in words, and that nothing was written."""

from __future__ import annotations


class ExportError(Exception):
    """The version cannot be exported as it is. The message is shown on the page and stored on the bundle."""
