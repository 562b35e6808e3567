"""Product information and version rules (AWS_RULES.md §1–2)."""

from __future__ import annotations

from validation.findings import Severity
from validation.rules.base import CATALOG_DOCS, MP_DOCS, SHAPES_REPO, Rule

E, W = Severity.ERROR, Severity.WARNING
_REQS = MP_DOCS + "ml-listing-requirements-and-best-practices.html"
_PRODUCT = CATALOG_DOCS + "work-with-seller-products.html"

RULES = [
    Rule("listing.E001", "Title is required", E, "SHAPES", SHAPES_REPO,
         "Give the product a title buyers will recognise.", section="1"),
    Rule("listing.E002", "Title is too long", E, "SHAPES", _PRODUCT,
         "Shorten the title to at most {limit} characters.", limit=72, section="1"),
    Rule("listing.E003", "Title starts with white space", E, "MP", _REQS,
         "Remove the spaces or tabs at the start of the title.", section="1"),
    Rule("listing.E004", "Space before a trademark sign", E, "MP", _REQS,
         "Write the ™ directly after the word it marks, with no space before it.", section="1"),
    Rule("listing.E005", "Short description is required", E, "SHAPES", SHAPES_REPO,
         "Describe the product in two or three sentences.", section="1"),
    Rule("listing.E006", "Short description is too long", E, "SHAPES", _PRODUCT,
         "Shorten the short description to at most {limit} characters.", limit=1000, section="1"),
    Rule("listing.W007", "Short description is longer than AWS's guidance", W, "MP", _REQS,
         "AWS's guide asks for two or three sentences (at most {limit} characters); move detail to the "
         "long description.", aws_rejects=False, limit=350, section="1"),
    Rule("listing.E008", "Control characters in text", E, "MP", _REQS,
         "Remove invisible control characters (often pasted from a PDF or a terminal).",
         limit=((0x00, 0x08), (0x0B, 0x1F)), section="1"),  # code point ranges
]
