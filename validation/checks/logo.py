"""Logo checks (AWS_RULES.md §1: png, jpg or gif; < 5 MB; 120–640 px; 1:1 to 2:1 wide; transparent or white).

The format is sniffed from the bytes and the dimensions are read from the header before any decoder runs, so a
"decompression bomb" (a small file claiming billions of pixels) is refused without being decoded.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

from PIL import Image

from validation.checks.registry import STAGE_FILES, ArtifactFile, Subject, check
from validation.checks.sample_data import DESCRIBE, IMAGE_HEAD_BYTES, header_dimensions, sniff
from validation.findings import Finding
from validation.rules import logo as logo_rules
from validation.rules.base import Rule
from validation.rules.data import human_size

_RULES = {r.code: r for r in logo_rules.RULES}
CODES = tuple(_RULES)
_PILLOW_NAMES = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "bmp": "BMP", "tiff": "TIFF", "webp": "WEBP"}


def rule(code: str) -> Rule:
    return _RULES[code]


def _decode_budget() -> int:
    # We decode at most a logo twice the largest allowed side; anything bigger fails logo.E004 anyway.
    return (2 * rule("logo.E004").limit[1]) ** 2


def background_share(im: Image.Image, *, white: int, alpha: int) -> float:
    """Share of border pixels that are transparent or near-white."""
    rgba = im.convert("RGBA")
    width, height = rgba.size
    strips = [(0, 0, width, 1), (0, height - 1, width, height), (0, 0, 1, height), (width - 1, 0, width, height)]
    total = good = 0
    for box in strips:
        strip = rgba.crop(box)
        # Pillow 13 deprecates getdata() in favour of get_flattened_data(); the pin is pillow==13.0.0.
        pixels = strip.get_flattened_data() if hasattr(strip, "get_flattened_data") else strip.getdata()
        for r, g, b, a in pixels:
            total += 1
            if a <= alpha or min(r, g, b) >= white:
                good += 1
    return good / total if total else 0.0


def check_logo(f: ArtifactFile) -> Iterator[Finding]:
    where = f"file:{f.name}"
    try:
        size = f.path.stat().st_size
        with open(f.path, "rb") as fh:
            head = fh.read(IMAGE_HEAD_BYTES)
    except OSError as exc:
        for code in CODES[1:]:
            yield rule(code).not_run(f"the logo could not be opened: {exc.strerror or exc}", location=where)
        return

    too_big = rule("logo.E003")
    if size >= too_big.limit:
        yield too_big.failed(f"{human_size(size)} ({size:,} bytes); it must be smaller than {too_big.limit}.",
                             location=where, size=size, limit=int(too_big.limit))
    else:
        yield too_big.passed(f"{human_size(size)}, under {too_big.limit}.", location=where, size=size)

    found = sniff(head)
    formats = rule("logo.E002")
    fmt = _PILLOW_NAMES.get(found)
    if fmt not in formats.limit:
        yield formats.failed(f"The file is {DESCRIBE.get(found, found)}, not {' or '.join(formats.limit)}.",
                             location=where, sniffed=found)
        for code in ("logo.E004", "logo.E005", "logo.W006", "logo.E007"):
            yield rule(code).not_run("not read: the file is not a PNG, JPEG or GIF image", location=where)
        return
    yield formats.passed(f"A {fmt} image.", location=where)

    readable = rule("logo.E007")
    dims = header_dimensions(head)
    if dims is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(f.path, formats=[fmt]) as im:  # reads the header only
                    dims = im.size
        except Exception as exc:  # noqa: BLE001 - a damaged header is a finding
            yield readable.failed(f"The {fmt} header cannot be read: {exc}.", location=where)
            for code in ("logo.E004", "logo.E005", "logo.W006"):
                yield rule(code).not_run("not checked: the image header cannot be read", location=where)
            return
    width, height = dims

    low, high = rule("logo.E004").limit
    if low <= width <= high and low <= height <= high:
        yield rule("logo.E004").passed(f"{width} x {height} pixels.", location=where, width=width, height=height)
    else:
        yield rule("logo.E004").failed(f"{width} x {height} pixels; each side must be {low}–{high}.",
                                       location=where, width=width, height=height)

    narrow, wide = rule("logo.E005").limit
    ratio = width / height if height else float("inf")
    if narrow <= ratio <= wide:
        yield rule("logo.E005").passed(f"Aspect ratio {ratio:.2f}:1.", location=where, ratio=round(ratio, 3))
    else:
        shape = "taller than wide" if ratio < narrow else f"more than {wide}:1 wide"
        yield rule("logo.E005").failed(f"Aspect ratio {ratio:.2f}:1 ({shape}).", location=where,
                                       ratio=round(ratio, 3) if height else None)

    background = rule("logo.W006")
    if width * height > _decode_budget():
        yield readable.failed(f"Not decoded: the header claims {width} x {height} = {width * height:,} pixels.",
                              location=where, width=width, height=height)
        yield background.not_run("not checked: the image was not decoded", location=where)
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(f.path, formats=[fmt]) as im:
                im.seek(0)
                im.load()
                share = background_share(im, white=background.limit["white"], alpha=background.limit["alpha"])
    except Exception as exc:  # noqa: BLE001 - damaged or truncated image data is a finding
        yield readable.failed(f"The {fmt} image is damaged or truncated: {exc}.", location=where)
        yield background.not_run("not checked: the image could not be decoded", location=where)
        return
    yield readable.passed(f"Decoded {width} x {height} {fmt}.", location=where)
    if share >= background.limit["border_share"]:
        yield background.passed(f"{share:.0%} of the border is transparent or white.", location=where,
                                share=round(share, 3))
    else:
        yield background.failed(f"Only {share:.0%} of the border is transparent or white.", location=where,
                                share=round(share, 3), needed=background.limit["border_share"])


@check(name="logo.logo", title="Logo", stage=STAGE_FILES, codes=CODES)
def logo(subject: Subject) -> Iterator[Finding]:
    logos = subject.files_of("logo")
    provided = rule("logo.E001")
    if not logos:
        yield provided.failed("No logo uploaded.", location="field:logo")
        return
    yield provided.passed(f"{len(logos)} logo file(s).", location="field:logo")
    for f in logos:
        yield from check_logo(f)
