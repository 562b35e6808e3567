"""Logo rules (AWS_RULES.md §1: png, jpg or gif; < 5 MB; 120–640 px; 1:1 to 2:1 wide; transparent or white)."""

from __future__ import annotations

from validation.findings import Severity
from validation.rules.base import MP_DOCS, Rule
from validation.rules.data import MB, Bytes

E, W = Severity.ERROR, Severity.WARNING
_REQS = MP_DOCS + "ml-listing-requirements-and-best-practices.html"
_INFO = MP_DOCS + "product-submission.html"

RULES = [
    Rule("logo.E001", "Logo is provided", E, "MP", _INFO,
         "Upload the product logo; AWS shows it on the listing and in search results.", section="1"),
    Rule("logo.E002", "Logo is not PNG, JPEG or GIF", E, "MP", _INFO,
         "Save the logo as {limit[0]}, {limit[1]} or {limit[2]} (we read the file's bytes, not its extension).",
         limit=("PNG", "JPEG", "GIF"), section="1"),
    Rule("logo.E003", "Logo file is too large", E, "MP", _INFO,
         "Make the logo file smaller than {limit} (a 640-pixel PNG is usually well under 1 MB).",
         limit=Bytes(5 * MB), section="1"),
    Rule("logo.E004", "Logo dimensions are out of range", E, "MP", _INFO,
         "Resize the logo so its width and height are each between {limit[0]} and {limit[1]} pixels.",
         limit=(120, 640), section="1"),
    Rule("logo.E005", "Logo aspect ratio is out of range", E, "MP", _INFO,
         "Use a square or wide logo: width from {limit[0]}x to {limit[1]}x its height.",
         limit=(1, 2), section="1"),
    # How we judge "transparent or white": the share of border pixels that are transparent (alpha at most
    # ``alpha``) or near-white (every channel at least ``white``).
    Rule("logo.W006", "Logo background is neither transparent nor white", W, "MP", _REQS,
         "Use a transparent or white background so the logo sits cleanly on AWS's pages.",
         aws_rejects=False, limit={"border_share": 0.9, "white": 240, "alpha": 16}, section="1"),
    Rule("logo.E007", "Logo image cannot be read", E, "MP", _INFO,
         "Export the logo again from your image editor; the file is damaged, truncated or claims an "
         "implausible size.", section="1"),
]
