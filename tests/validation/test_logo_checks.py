"""Logo checks (validation/checks/logo.py): pure, no Django, small fixtures or images made here."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from validation.checks import logo as logo_check
from validation.checks.registry import REGISTRY, ArtifactFile, Subject
from validation.findings import Outcome, Severity
from validation.rules import logo as logo_rules

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "logos"
RULES = {r.code: r for r in logo_rules.RULES}


def run(*paths: Path) -> list:
    files = tuple(ArtifactFile("logo", p, p.name) for p in paths)
    return list(logo_check.logo(Subject({"kind": "model_package"}, files)))


def by_code(findings, code):
    return [f for f in findings if f.code == code]


def outcome(findings, code):
    found = {f.outcome for f in by_code(findings, code)}
    assert len(found) == 1, f"{code}: {found}"
    return found.pop()


def failed(findings):
    return [f for f in findings if f.outcome == Outcome.FAILED]


def make(tmp_path: Path, size: tuple[int, int], *, fmt: str = "PNG", background=(255, 255, 255, 0),
         name: str | None = None) -> Path:
    mode = "RGBA" if fmt == "PNG" else "RGB"
    im = Image.new(mode, size, background if mode == "RGBA" else background[:3])
    ImageDraw.Draw(im).rectangle((size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4), fill="navy")
    path = tmp_path / (name or f"logo_{size[0]}x{size[1]}.{fmt.lower()}")
    im.save(path, fmt)
    return path


def png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


# --------------------------------------------------------------------------------------------------- catalog


def test_rules_are_well_formed_and_every_code_is_in_the_check():
    assert set(REGISTRY["logo.logo"].codes) == set(RULES)
    for r in logo_rules.RULES:
        assert r.hint_text() and "{" not in r.hint_text()
        if r.severity == Severity.WARNING:
            assert r.aws_rejects is False
        json.dumps(r.as_dict())
    assert "PNG, JPEG or GIF" in RULES["logo.E002"].hint_text()
    assert "5 MB" in RULES["logo.E003"].hint_text()


# --------------------------------------------------------------------------------------------------- good logos


@pytest.mark.parametrize("name", ["logo_transparent.png", "logo_white.jpg", "logo.gif"])
def test_good_logos_pass(name):
    findings = run(FIXTURES / name)
    assert failed(findings) == []
    assert {f.code for f in findings} == set(RULES)
    assert not [f for f in findings if f.outcome == Outcome.NOT_RUN]


def test_missing_logo_fails():
    (finding,) = run()
    assert finding.code == "logo.E001" and finding.outcome == Outcome.FAILED and finding.location == "field:logo"


def test_format_is_sniffed_not_taken_from_the_name(tmp_path):
    path = tmp_path / "logo.png"
    path.write_bytes((FIXTURES / "logo_white.jpg").read_bytes())
    findings = run(path)
    assert failed(findings) == []
    assert "JPEG" in by_code(findings, "logo.E002")[0].message


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "WEBP"])
def test_other_image_formats_fail(tmp_path, fmt):
    path = make(tmp_path, (200, 200), fmt=fmt, name="logo.png")
    findings = run(path)
    assert outcome(findings, "logo.E002") == Outcome.FAILED
    assert outcome(findings, "logo.E004") == Outcome.NOT_RUN


def test_text_is_not_a_logo(tmp_path):
    path = tmp_path / "logo.png"
    path.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert outcome(run(path), "logo.E002") == Outcome.FAILED


# --------------------------------------------------------------------------------------------------- limits


def test_file_size_boundary(tmp_path):
    limit = RULES["logo.E003"].limit
    body = (FIXTURES / "logo_transparent.png").read_bytes()
    inside, outside = tmp_path / "in.png", tmp_path / "out.png"
    inside.write_bytes(body + b"\0" * (limit - 1 - len(body)))  # bytes after IEND are ignored by decoders
    outside.write_bytes(body + b"\0" * (limit - len(body)))
    assert outcome(run(inside), "logo.E003") == Outcome.PASSED
    findings = run(outside)
    assert outcome(findings, "logo.E003") == Outcome.FAILED
    assert by_code(findings, "logo.E003")[0].measured["size"] == limit


@pytest.mark.parametrize("size,expected", [
    ((120, 120), Outcome.PASSED), ((119, 119), Outcome.FAILED),
    ((640, 640), Outcome.PASSED), ((641, 641), Outcome.FAILED),
    ((640, 320), Outcome.PASSED), ((240, 119), Outcome.FAILED),
])
def test_dimension_boundaries(tmp_path, size, expected):
    assert outcome(run(make(tmp_path, size)), "logo.E004") == expected


@pytest.mark.parametrize("size,expected", [
    ((240, 120), Outcome.PASSED),  # exactly 2:1
    ((241, 120), Outcome.FAILED),  # just wider than 2:1
    ((200, 200), Outcome.PASSED),  # exactly 1:1
    ((200, 201), Outcome.FAILED),  # just taller than wide
])
def test_aspect_ratio_boundaries(tmp_path, size, expected):
    findings = run(make(tmp_path, size))
    assert outcome(findings, "logo.E005") == expected


def _border_test_image(tmp_path: Path, coloured: int) -> Path:
    """200x200 white logo with ``coloured`` red pixels on the top row, away from the corners."""
    im = Image.new("RGB", (200, 200), "white")
    for x in range(50, 50 + coloured):
        im.putpixel((x, 0), (200, 0, 0))
    path = tmp_path / f"border_{coloured}.png"
    im.save(path)
    return path


def test_background_share_boundary(tmp_path):
    share = RULES["logo.W006"].limit["border_share"]
    samples = 4 * 200  # the four border strips of a 200x200 image
    allowed = round(samples * (1 - share))
    assert outcome(run(_border_test_image(tmp_path, allowed)), "logo.W006") == Outcome.PASSED
    findings = run(_border_test_image(tmp_path, allowed + 1))
    (bad,) = by_code(findings, "logo.W006")
    assert bad.outcome == Outcome.FAILED and bad.severity == Severity.WARNING


def test_coloured_background_warns(tmp_path):
    findings = run(make(tmp_path, (200, 200), fmt="JPEG", background=(30, 120, 200, 255)))
    assert outcome(findings, "logo.W006") == Outcome.FAILED
    assert [f.code for f in failed(findings)] == ["logo.W006"]


def test_near_white_threshold(tmp_path):
    white = RULES["logo.W006"].limit["white"]
    for value, expected in ((white, Outcome.PASSED), (white - 1, Outcome.FAILED)):
        path = make(tmp_path, (200, 200), fmt="PNG", background=(value, value, value, 255), name=f"w{value}.png")
        assert outcome(run(path), "logo.W006") == expected


def test_transparency_threshold(tmp_path):
    alpha = RULES["logo.W006"].limit["alpha"]
    for value, expected in ((alpha, Outcome.PASSED), (alpha + 1, Outcome.FAILED)):
        path = make(tmp_path, (200, 200), fmt="PNG", background=(20, 20, 20, value), name=f"a{value}.png")
        assert outcome(run(path), "logo.W006") == expected


# --------------------------------------------------------------------------------------------------- hostile files


def test_decompression_bomb_is_refused_without_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(100_000, 100_000))
    findings = run(path)
    assert outcome(findings, "logo.E004") == Outcome.FAILED
    (refused,) = by_code(findings, "logo.E007")
    assert refused.outcome == Outcome.FAILED
    # Refused on the header's numbers, over the decode budget, before any decoder ran (a decoder's failure on
    # this file reads "damaged or truncated").
    assert refused.message.startswith("Not decoded: the header claims 100000 x 100000")
    assert refused.measured["width"] * refused.measured["height"] > logo_check._decode_budget()
    assert outcome(findings, "logo.W006") == Outcome.NOT_RUN


def test_truncated_png(tmp_path):
    data = (FIXTURES / "logo_transparent.png").read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    findings = run(path)
    assert outcome(findings, "logo.E007") == Outcome.FAILED
    assert outcome(findings, "logo.E004") == Outcome.PASSED  # the header is intact


def test_truncated_jpeg(tmp_path):
    data = (FIXTURES / "logo_white.jpg").read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) - 100])
    assert outcome(run(path), "logo.E007") == Outcome.FAILED


def test_header_only_garbage(tmp_path):
    path = tmp_path / "x.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\xff" * 20)
    findings = run(path)
    assert outcome(findings, "logo.E007") == Outcome.FAILED


def test_zero_height_header(tmp_path):
    path = tmp_path / "zero.png"
    path.write_bytes(png_header_only(200, 0))
    findings = run(path)
    assert outcome(findings, "logo.E004") == Outcome.FAILED
    assert outcome(findings, "logo.E005") == Outcome.FAILED


def test_missing_file_is_not_run(tmp_path):
    findings = run(tmp_path / "gone.png")
    assert outcome(findings, "logo.E001") == Outcome.PASSED
    assert outcome(findings, "logo.E004") == Outcome.NOT_RUN
