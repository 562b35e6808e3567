"""Sample data checks (validation/checks/sample_data.py): pure, no Django, small fixtures or files made here."""

from __future__ import annotations

import csv
import json
import random
import struct
import tracemalloc
import zlib
from pathlib import Path

import pytest
from PIL import Image

from tests.hang_guard import in_child
from validation.checks import fastscan
from validation.checks import sample_data as sd
from validation.checks.registry import REGISTRY, ArtifactFile, Subject
from validation.findings import Outcome, Severity
from validation.rules import data as data_rules

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "data"
RULES = {r.code: r for r in data_rules.RULES}
MB = 1024 * 1024
LISTING = {"kind": "model_package", "endpoint": {"input_content_types": ["text/csv", "application/jsonlines"]},
           "version": {}}


# --------------------------------------------------------------------------------------------------- helpers


def sample(path: Path, mode: str, direction: str, content_type: str, name: str | None = None) -> ArtifactFile:
    return ArtifactFile("sample_data", path, name or path.name,
                        tags={"mode": mode, "direction": direction, "content_type": content_type})


def good_set() -> list[ArtifactFile]:
    return [
        sample(FIXTURES / "realtime_input.csv", "realtime", "input", "text/csv"),
        sample(FIXTURES / "realtime_output.json", "realtime", "output", "application/json"),
        sample(FIXTURES / "batch_input.jsonl", "batch", "input", "application/jsonlines"),
        sample(FIXTURES / "batch_output.jsonl", "batch", "output", "application/jsonlines"),
    ]


def run(files, listing: dict | None = None) -> list:
    return list(sd.sample_data(Subject(listing if listing is not None else LISTING, tuple(files))))


def for_file(findings, name: str) -> list:
    return [f for f in findings if f.location == f"file:{name}" or f.location.startswith(f"file:{name}:")]


def by_code(findings, code):
    return [f for f in findings if f.code == code]


def outcome(findings, code, name: str | None = None):
    scope = for_file(findings, name) if name else findings
    found = {f.outcome for f in by_code(scope, code)}
    assert len(found) == 1, f"{code}: {found}"
    return found.pop()


def check_one(path: Path, content_type: str, mode: str = "realtime", direction: str = "input",
              name: str | None = None) -> list:
    f = sample(path, mode, direction, content_type, name)
    return list(sd.check_file(f, mode, sd.base_type(content_type)).findings())


def failed(findings):
    return [f for f in findings if f.outcome == Outcome.FAILED]


def sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width`` x ``height`` with one tiny IDAT: a decompression bomb's header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


# --------------------------------------------------------------------------------------------------- catalog


def test_rules_are_well_formed_and_every_code_is_in_the_check():
    assert set(REGISTRY["data.sample_data"].codes) == set(RULES)
    for r in data_rules.RULES:
        assert r.hint_text() and r.url.startswith("https://")
        if r.severity == Severity.WARNING:
            assert r.aws_rejects is False
        json.dumps(r.as_dict())


def test_payload_limits_are_the_aws_numbers():
    import botocore.session

    body = botocore.session.get_session().get_service_model("sagemaker-runtime") \
        .operation_model("InvokeEndpoint").input_shape.members["Body"]
    assert RULES["data.W013"].limit == body.metadata["max"] == 6 * MB
    assert RULES["data.E014"].limit == 25 * MB and RULES["data.E015"].limit == 100 * MB
    assert f"{RULES['data.W013'].limit}" == "6 MB"
    assert json.dumps(RULES["data.E015"].as_dict()["limit"]) == str(100 * MB)


# --------------------------------------------------------------------------------------------------- the good set


def test_complete_samples_pass_with_one_passed_per_rule_per_file():
    findings = run(good_set())
    assert failed(findings) == []
    assert all(f.code in REGISTRY["data.sample_data"].codes for f in findings)
    for name in ("realtime_input.csv", "batch_input.jsonl"):
        per_file = for_file(findings, name)
        codes = [f.code for f in per_file]
        assert len(codes) == len(set(codes)), codes
    csv_codes = {f.code for f in for_file(findings, "realtime_input.csv")}
    assert {"data.E006", "data.E007", "data.E008", "data.E009", "data.W010", "data.W016", "data.W013",
            "data.E014"} <= csv_codes
    assert outcome(findings, "data.E005") == Outcome.PASSED


@pytest.mark.parametrize("name,content_type", [
    ("realtime_input.png", "image/png"),
    ("realtime_input.jpg", "image/jpeg"),
    ("realtime_input.png", "application/x-image"),
    ("batch_input.recordio", "application/x-recordio-protobuf"),
    ("notes.txt", "text/plain"),
    ("realtime_input.csv", "text/csv; charset=utf-8"),
])
def test_each_supported_content_type_parses(name, content_type):
    findings = check_one(FIXTURES / name, content_type)
    assert failed(findings) == []
    assert outcome(findings, "data.E008") == Outcome.PASSED


# --------------------------------------------------------------------------------------------------- presence


def test_missing_samples_fail_with_a_hint_per_mode_and_direction():
    findings = run(good_set()[:1])
    for code, field in (("data.E002", "sample_output_realtime"), ("data.E003", "sample_input_batch"),
                        ("data.E004", "sample_output_batch")):
        (bad,) = by_code(findings, code)
        assert bad.outcome == Outcome.FAILED and bad.location == f"field:{field}" and bad.hint
    assert outcome(findings, "data.E001") == Outcome.PASSED


def test_sample_given_only_as_listing_text_passes_with_a_note():
    listing = dict(LISTING, version={"sample_output_batch": '{"label": "setosa"}'})
    findings = run(good_set()[:3], listing)
    (note,) = by_code(findings, "data.E004")
    assert note.outcome == Outcome.PASSED and "upload it as a file" in note.message


def test_every_declared_input_content_type_needs_a_sample():
    listing = dict(LISTING, endpoint={"input_content_types": ["text/csv", "application/json", "image/png"]})
    findings = run(good_set(), listing)
    bad = by_code(findings, "data.E005")
    assert {f.measured["content_type"] for f in bad} == {"application/json", "image/png"}
    assert all(f.outcome == Outcome.FAILED and f.location == "field:input_content_types" for f in bad)


def test_no_declared_content_types_is_not_run():
    findings = run(good_set(), {"kind": "model_package"})
    assert outcome(findings, "data.E005") == Outcome.NOT_RUN


def test_unlabelled_sample():
    f = ArtifactFile("sample_data", FIXTURES / "realtime_input.csv", "a.dat", tags={"mode": "sometimes"})
    findings = run([f, *good_set()])
    (bad,) = [x for x in by_code(findings, "data.E006") if x.location == "file:a.dat"]
    assert bad.outcome == Outcome.FAILED
    assert "mode" in bad.message and "direction" in bad.message and "content type" in bad.message


def test_labels_are_inferred_from_the_sample_notebook_folders_when_missing(tmp_path):
    folder = tmp_path / "data" / "input" / "real-time"
    folder.mkdir(parents=True)
    rows = folder / "rows.csv"
    rows.write_bytes((FIXTURES / "realtime_input.csv").read_bytes())
    disguised = tmp_path / "data" / "input" / "batch"
    disguised.mkdir(parents=True)
    (disguised / "rows.csv").write_bytes((FIXTURES / "realtime_input.png").read_bytes())
    files = [ArtifactFile("sample_data", rows, rows.name),
             ArtifactFile("sample_data", disguised / "rows.csv", "batch/rows.csv")]
    findings = run(files)
    labelled = by_code(for_file(findings, "rows.csv"), "data.E006")
    assert labelled[0].outcome == Outcome.PASSED and "taken from the file's folder" in labelled[0].message
    assert outcome(findings, "data.E001") == Outcome.PASSED and outcome(findings, "data.E003") == Outcome.PASSED
    assert outcome(findings, "data.E008", "rows.csv") == Outcome.PASSED
    (mismatch,) = by_code(for_file(findings, "batch/rows.csv"), "data.E007")
    assert mismatch.outcome == Outcome.FAILED and "PNG" in mismatch.message


# --------------------------------------------------------------------------------------------------- sniffing


def test_png_named_csv_is_caught_by_content(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes((FIXTURES / "realtime_input.png").read_bytes())
    findings = check_one(path, "text/csv")
    (bad,) = by_code(findings, "data.E007")
    assert bad.outcome == Outcome.FAILED and "PNG" in bad.message
    assert outcome(findings, "data.E008") == Outcome.NOT_RUN


def test_binary_posing_as_text(tmp_path):
    path = tmp_path / "input.txt"
    path.write_bytes(b"hello\x00\x01\x02world" * 10)
    assert outcome(check_one(path, "text/plain"), "data.E007") == Outcome.FAILED


def test_text_declared_as_image(tmp_path):
    path = tmp_path / "cat.png"
    path.write_text("not an image")
    assert outcome(check_one(path, "image/png"), "data.E007") == Outcome.FAILED


def test_nul_byte_late_in_a_text_file_is_found_with_its_line(tmp_path):
    path = tmp_path / "late.txt"
    path.write_bytes(b"line\n" * 3000 + b"bad\x00line\n")
    (bad,) = by_code(check_one(path, "text/plain"), "data.E008")
    assert bad.outcome == Outcome.FAILED and bad.location.endswith(":line 3001")


def test_unknown_content_type_is_not_run(tmp_path):
    path = tmp_path / "a.wav"
    path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt ")
    findings = check_one(path, "audio/wav")
    assert outcome(findings, "data.E007") == Outcome.NOT_RUN
    assert outcome(findings, "data.E008") == Outcome.NOT_RUN


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert outcome(check_one(path, "text/csv"), "data.E008") == Outcome.FAILED


def test_missing_file_is_not_run_not_a_crash(tmp_path):
    findings = check_one(tmp_path / "gone.csv", "text/csv")
    assert outcome(findings, "data.E008") == Outcome.NOT_RUN


# --------------------------------------------------------------------------------------------------- CSV


def test_ragged_csv_reports_row_and_column(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("1,2,3\n4,5,6\n7,8\n9,10,11,12\n")
    bad = by_code(check_one(path, "text/csv"), "data.E009")
    assert [f.location for f in bad] == ["file:r.csv:row 3:col 3", "file:r.csv:row 4:col 4"]
    assert bad[0].measured == {"row": 3, "columns": 2, "expected": 3}


def test_quoted_newlines_and_commas_are_one_cell(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('id,text\n1,"hello, world"\n2,"two\nlines"\n')
    findings = check_one(path, "text/csv")
    assert failed(findings) == []


@pytest.mark.parametrize("cell,flagged", [
    ("=HYPERLINK(\"http://x\")", True), ("+cmd|' /C calc'!A0", True), ("-2+3", True), ("@SUM(1)", True),
    ("-1.5", False), ("+3", False), ("-1,000.25", False), ("1e-5", False), ("-", False), ("-5%", False),
])
def test_formula_injection_cells(tmp_path, cell, flagged):
    path = tmp_path / "f.csv"
    path.write_text(f'a,b\n1,"{cell.replace(chr(34), chr(34) * 2)}"\n')
    findings = check_one(path, "text/csv")
    assert outcome(findings, "data.W010") == (Outcome.FAILED if flagged else Outcome.PASSED)
    if flagged:
        (bad,) = by_code(findings, "data.W010")
        assert bad.location == "file:f.csv:row 2:col 2" and bad.severity == Severity.WARNING


def test_csv_not_utf8_reports_the_line(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes(b"a,b\n1,2\ncaf\xe9,3\n")
    (bad,) = by_code(check_one(path, "text/csv"), "data.E008")
    assert bad.outcome == Outcome.FAILED and bad.location == "file:l.csv:line 3"


def test_failures_are_capped_per_rule_per_file(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("a,b\n" + "=1,2\n" * 200)
    bad = by_code(check_one(path, "text/csv"), "data.W010")
    assert len(bad) == sd.MAX_REPORTED and bad[-1].measured["more"] == 200 - sd.MAX_REPORTED


# --------------------------------------------------------------------------------------------------- JSON


def test_json_error_has_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "a": 1,\n  "b": \n}\n')
    (bad,) = by_code(check_one(path, "application/json"), "data.E008")
    assert bad.outcome == Outcome.FAILED and bad.location == "file:bad.json:line 4:col 1"


def test_truncated_json(tmp_path):
    path = tmp_path / "cut.json"
    path.write_text((FIXTURES / "realtime_output.json").read_text()[:40])
    assert outcome(check_one(path, "application/json"), "data.E008") == Outcome.FAILED


def test_json_depth_boundary(tmp_path):
    limit = RULES["data.E011"].limit
    inside, outside = tmp_path / "in.json", tmp_path / "out.json"
    inside.write_text("[" * limit + "]" * limit)
    outside.write_text("[" * (limit + 1) + "]" * (limit + 1))
    assert outcome(check_one(inside, "application/json"), "data.E011") == Outcome.PASSED
    findings = check_one(outside, "application/json")
    assert outcome(findings, "data.E011") == Outcome.FAILED
    assert outcome(findings, "data.E008") == Outcome.NOT_RUN


def test_brackets_inside_strings_do_not_count():
    limit = RULES["data.E011"].limit
    text = json.dumps({"s": "[" * (limit * 3), "t": 'esc \\" [[[['})
    assert sd.first_excess_depth(text, limit) is None


def test_hundred_thousand_deep_json_is_a_finding_not_a_crash(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    limit = RULES["data.E011"].limit
    findings = check_one(path, "application/json")
    (deep,) = by_code(findings, "data.E011")
    assert deep.outcome == Outcome.FAILED
    # Found by counting brackets (no recursion), at the first one past the limit; the JSON parser never ran.
    assert deep.measured["limit"] == limit and deep.location == f"file:deep.json:line 1:col {limit + 1}"
    assert outcome(findings, "data.E008") == Outcome.NOT_RUN


def test_jsonlines_bad_and_deep_records(tmp_path):
    limit = RULES["data.E011"].limit
    path = tmp_path / "r.jsonl"
    path.write_text('{"a": 1}\n\n{"a": }\n' + "[" * (limit + 1) + "]" * (limit + 1) + '\n{"b": 2}\n')
    findings = check_one(path, "application/jsonlines", mode="batch")
    (bad,) = by_code(findings, "data.E008")
    assert bad.outcome == Outcome.FAILED and bad.location.startswith("file:r.jsonl:line 3")
    (deep,) = by_code(findings, "data.E011")
    assert deep.outcome == Outcome.FAILED and deep.location.startswith("file:r.jsonl:line 4")


def test_large_json_document_is_not_loaded_whole(tmp_path):
    path = sparse(tmp_path / "big.json", sd.JSON_PARSE_MAX + 1)
    path.write_bytes(b"[" + b" " * (sd.JSON_PARSE_MAX + 1) + b"]")
    findings = check_one(path, "application/json", mode="batch")
    assert outcome(findings, "data.E008") == Outcome.NOT_RUN


# --------------------------------------------------------------------------------------------------- images


def test_truncated_png_and_jpeg(tmp_path):
    for name, content_type in (("realtime_input.png", "image/png"), ("realtime_input.jpg", "image/jpeg")):
        path = tmp_path / name
        data = (FIXTURES / name).read_bytes()
        path.write_bytes(data[: len(data) - 8])
        (bad,) = by_code(check_one(path, content_type), "data.E008")
        assert bad.outcome == Outcome.FAILED and "truncated" in bad.message.lower(), bad.message


def test_decompression_bomb_png_is_refused_without_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(100_000, 100_000))
    findings = check_one(path, "image/png")
    (bad,) = by_code(findings, "data.E012")
    assert bad.outcome == Outcome.FAILED and bad.measured["width"] == 100_000
    # Refused from the header's numbers, before Pillow opens the file (its own refusal reads "Refused to decode").
    assert bad.message.startswith("The header claims 100000 x 100000") and bad.message.endswith("Not decoded.")
    assert bad.measured["height"] == 100_000 and bad.measured["limit"] == RULES["data.E012"].limit
    assert outcome(findings, "data.E008") == Outcome.NOT_RUN


def test_pixel_limit_boundary(tmp_path):
    limit = RULES["data.E012"].limit
    assert limit == 5 * 17_895_697 and limit + 1 == 2 * 44_739_243
    inside, outside = tmp_path / "in.png", tmp_path / "out.png"
    inside.write_bytes(png_header_only(5, 17_895_697))
    outside.write_bytes(png_header_only(2, 44_739_243))
    assert outcome(check_one(inside, "image/png"), "data.E012") == Outcome.PASSED
    assert outcome(check_one(outside, "image/png"), "data.E012") == Outcome.FAILED


def test_bmp_sample(tmp_path):
    path = tmp_path / "x.bmp"
    Image.new("RGB", (10, 10), "red").save(path, "BMP")
    assert failed(check_one(path, "image/bmp")) == []
    path.write_bytes(path.read_bytes()[:-40])
    assert outcome(check_one(path, "image/bmp"), "data.E008") == Outcome.FAILED


# --------------------------------------------------------------------------------------------------- RecordIO


def test_recordio_bad_magic_and_truncation(tmp_path):
    good = (FIXTURES / "batch_input.recordio").read_bytes()
    bad_magic = tmp_path / "m.rec"
    bad_magic.write_bytes(good[:16] + b"\x00\x00\x00\x00" + good[20:])
    (finding,) = by_code(check_one(bad_magic, "application/x-recordio-protobuf", mode="batch"), "data.E008")
    assert finding.outcome == Outcome.FAILED and "magic" in finding.message
    cut = tmp_path / "c.rec"
    cut.write_bytes(good[:-6])
    (finding,) = by_code(check_one(cut, "application/x-recordio-protobuf", mode="batch"), "data.E008")
    assert finding.outcome == Outcome.FAILED and "truncated" in finding.message
    text = tmp_path / "t.rec"
    text.write_text("1,2,3\n")
    assert outcome(check_one(text, "application/x-recordio-protobuf"), "data.E007") == Outcome.FAILED


# --------------------------------------------------------------------------------------------------- sizes


@pytest.mark.parametrize("mode,code,extra,expected", [
    ("realtime", "data.W013", 0, Outcome.PASSED),
    ("realtime", "data.W013", 1, Outcome.FAILED),
    ("realtime", "data.E014", 0, Outcome.PASSED),
    ("realtime", "data.E014", 1, Outcome.FAILED),
    ("batch", "data.E015", 0, Outcome.PASSED),
    ("batch", "data.E015", 1, Outcome.FAILED),
])
def test_payload_size_boundaries(tmp_path, mode, code, extra, expected):
    path = sparse(tmp_path / "s.csv", RULES[code].limit + extra)  # zeros: sniffed as binary, never read further
    findings = check_one(path, "text/csv", mode=mode)
    assert outcome(findings, code) == expected
    if expected == Outcome.FAILED:
        (bad,) = by_code(findings, code)
        assert bad.measured["size"] == RULES[code].limit + extra


def test_realtime_sample_over_the_maximum_is_not_also_a_warning(tmp_path):
    path = sparse(tmp_path / "s.csv", RULES["data.E014"].limit + 1)
    findings = check_one(path, "text/csv")
    assert outcome(findings, "data.E014") == Outcome.FAILED
    assert not by_code(findings, "data.W013")


# --------------------------------------------------------------------------------------------------- personal data


@pytest.mark.parametrize("cell,kind", [
    ("jane.doe@acme-corp.io", "e-mail address"),
    ("(206) 266-1000", "phone number"),
    ("206-266-1000", "phone number"),
    ("+44 20 7946 0958", "phone number"),
    ("4111 1111 1111 1111", "card number"),
    ("5500-0000-0000-0004", "card number"),
    ("378282246310005", "card number"),
])
def test_personal_data_is_found_with_row_and_column(tmp_path, cell, kind):
    path = tmp_path / "p.csv"
    path.write_text(f'id,value\n1,"{cell}"\n')
    bad = [f for f in by_code(check_one(path, "text/csv"), "data.W016") if f.measured.get("kind") == kind]
    assert bad and bad[0].location == "file:p.csv:row 2:col 2" and bad[0].severity == Severity.WARNING
    digits = "".join(ch for ch in cell if ch.isdigit())
    if kind == "card number":
        assert digits not in bad[0].message.replace(" ", "") and digits[-4:] in bad[0].message
    if kind == "e-mail address":
        assert "jane.doe" not in bad[0].message


@pytest.mark.parametrize("cell", [
    "user@example.com", "4111111111111112", "0.4111111111111111", "1234567890123456", "2024-01-15",
    "3.14159265358979", "100 200 3000", "206-555-0100",
])
def test_not_personal_data(tmp_path, cell):
    path = tmp_path / "n.csv"
    path.write_text(f"id,value\n1,{cell}\n")
    assert outcome(check_one(path, "text/csv"), "data.W016") == Outcome.PASSED


def test_personal_data_in_json_lines_reports_the_line(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"a": 1}\n{"contact": "jane.doe@acme-corp.io"}\n')
    (bad,) = by_code(check_one(path, "application/jsonlines", mode="batch"), "data.W016")
    assert bad.location == "file:p.jsonl:line 2"


# --------------------------------------------------------------------------------------------------- streaming


def test_text_lines_refuses_an_endless_line(tmp_path):
    path = tmp_path / "oneline.csv"
    path.write_bytes(b"1," * (3 * MB))
    with pytest.raises(sd.TextProblem) as problem:
        list(sd.text_lines(path, max_line=1 * MB))
    assert problem.value.line == 1


@pytest.mark.parametrize("content_type,line", [
    ("text/csv", ",".join(["12345.678"] * 400) + "\n"),
    ("text/plain", "word " * 800 + "\n"),
    ("application/jsonlines", json.dumps({"text": "lorem ipsum " * 300}) + "\n"),
])
def test_large_files_are_streamed_in_bounded_memory(tmp_path, monkeypatch, content_type, line):
    monkeypatch.setattr(sd, "CONTENT_SCAN_MAX", 1 * MB)  # keep the per-cell scan short under tracemalloc
    path = tmp_path / "big"
    block = line.encode() * (MB // len(line))
    with open(path, "wb") as fh:
        for _ in range(32):
            fh.write(block)  # ~32 MB
    size = path.stat().st_size
    tracemalloc.start()
    try:
        findings = check_one(path, content_type, mode="batch")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert failed(findings) == []
    assert peak < size / 4, f"peak {peak / MB:.1f} MB for a {size / MB:.0f} MB file"


def _personal_data(text) -> list:
    return list(sd.personal_data(text))


@pytest.mark.parametrize("text", [
    "+1234567890123456789 " * 20_000,
    "+44 " * 50_000,
    "a@" * 100_000,
    "a." * 100_000 + "@x",
    "4111 " * 50_000,
    ("1" * 40 + " ") * 10_000,
])
def test_personal_data_scan_finishes_on_hostile_text(text):
    # None of these is an e-mail address, a phone number or a card number.
    assert in_child(_personal_data, text) == []


# --------------------------------------------------------------------------------------------------- fast paths
# The checks read plain CSV a block at a time, skip text the personal-data shapes rule out, and measure JSON
# nesting in C (validation/checks/fastscan.py). These tests hold them to the cell-by-cell results.


def numeric_csv(rows: int, cols: int) -> list[list[str]]:
    rng = random.Random(rows * 31 + cols)
    return [[f"{rng.uniform(-9, 9):.4f}" for _ in range(cols)] for _ in range(rows)]


def write_csv(path: Path, rows: list[list[str]], newline: str = "\n") -> Path:
    path.write_text(newline.join(",".join(r) for r in rows) + newline, newline="")
    return path


def test_personal_data_deep_in_a_large_plain_csv_keeps_its_row_and_column(tmp_path):
    rows = numeric_csv(3000, 9)
    rows[999][6] = "jane.doe@acme-corp.io"  # row 1000, column 7
    rows[2499][0] = "4111 1111 1111 1111"  # row 2500, column 1
    rows[2499][8] = "+44 20 7946 0958"  # row 2500, column 9
    path = write_csv(tmp_path / "big.csv", rows)
    bad = by_code(check_one(path, "text/csv", mode="batch"), "data.W016")
    assert [(f.location, f.measured["kind"]) for f in bad] == [
        ("file:big.csv:row 1000:col 7", "e-mail address"),
        ("file:big.csv:row 2500:col 1", "card number"),
        ("file:big.csv:row 2500:col 9", "phone number"),
    ]
    assert "jane.doe" not in bad[0].message and "1111 1111 1111" not in bad[1].message


def test_formula_deep_in_a_large_plain_csv_is_found_and_negative_numbers_are_not(tmp_path):
    rows = numeric_csv(5000, 4)
    rows[3999][2] = "-2+3"
    rows[4499][3] = "=HYPERLINK('http://x')"
    rows[4999][0] = "@SUM(A1)"
    path = write_csv(tmp_path / "f.csv", rows)
    bad = by_code(check_one(path, "text/csv", mode="batch"), "data.W010")
    assert [(f.location, f.measured) for f in bad] == [
        ("file:f.csv:row 4000:col 3", {"row": 4000, "col": 3}),
        ("file:f.csv:row 4500:col 4", {"row": 4500, "col": 4}),
        ("file:f.csv:row 5000:col 1", {"row": 5000, "col": 1}),
    ]
    assert bad[0].message == "Cell starts with '-': '-2+3'."


def test_rows_after_a_quoted_multiline_cell_are_numbered_by_record(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('id,text\n1,"two\nlines"\n' + "2,3\n" * 2000 + "4,=cmd\n5,6,7\n")
    findings = check_one(path, "text/csv", mode="batch")
    (formula,) = by_code(findings, "data.W010")
    assert formula.location == "file:q.csv:row 2003:col 2"  # line 2004 of the file
    (ragged,) = by_code(findings, "data.E009")
    assert ragged.location == "file:q.csv:row 2004:col 3"


def test_crlf_csv_reports_like_lf(tmp_path):
    rows = numeric_csv(500, 3)
    rows[10][1] = "=1+1"
    rows[20] = rows[20][:2]
    rows[30][2] = "206-266-1000"
    lf = check_one(write_csv(tmp_path / "a.csv", rows), "text/csv")
    crlf = check_one(write_csv(tmp_path / "b.csv", rows, "\r\n"), "text/csv")
    content = {"data.E008", "data.E009", "data.W010", "data.W016"}  # the sizes differ, of course
    assert [(f.code, f.outcome, f.message, f.location.replace("b.csv", "a.csv")) for f in crlf if f.code in content] \
        == [(f.code, f.outcome, f.message, f.location) for f in lf if f.code in content]
    assert {f.code for f in failed(lf)} == {"data.W010", "data.E009", "data.W016"}


def test_a_field_over_the_csv_field_limit_is_still_a_csv_error(tmp_path):
    limit = csv.field_size_limit()
    path = tmp_path / "long.csv"
    path.write_text("a,b\n" + "x" * limit + ",1\n" + ",".join(["1"] * 3) + "\n" + "x" * (limit + 1) + ",2\n")
    findings = check_one(path, "text/csv", mode="batch")
    (bad,) = by_code(findings, "data.E008")
    assert bad.outcome == Outcome.FAILED and "field larger than field limit" in bad.message
    assert bad.location == "file:long.csv:line 4"
    (ragged,) = by_code(findings, "data.E009")
    assert ragged.location == "file:long.csv:row 3:col 3"


TRICKY_CELLS = [
    "jane.doe@acme-corp.io", "user@example.com", "(206) 266-1000", "206-266-1000", "206.266.1000",
    "+44 20 7946 0958", "+442079460958", "4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005",
    "4111111111111112", "0.4111111111111111", "206-555-0100", "1e+16", "1700000000000", "١٢٣٤٥٦٧٨٩٠١٢٣",
    "=HYPERLINK(1)", "+cmd", "-2+3", "@SUM(1)", "-1.5", "+3", "-", "-5%", "\tx", "café", "", " ", "1,5",
    'say "hi"', "two\nlines", "a\rb", "12345.678", "2024-01-15", "x" * 40,
]


def tricky_csv(path: Path, rows: int, seed: int, *, quoted: bool) -> Path:
    def field(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"' if any(ch in cell for ch in ',"\n\r') else cell

    rng = random.Random(seed)
    lines = []
    for _ in range(rows):
        width = 4 if rng.random() < 0.95 else rng.randint(0, 6)
        cells = [rng.choice(TRICKY_CELLS) if rng.random() < 0.2 else f"{rng.uniform(-9, 9):.3f}" for _ in range(width)]
        if not quoted:
            cells = [c for c in cells if field(c) == c]
        lines.append(",".join(map(field, cells)))
    path.write_text("\n".join(lines) + "\n", newline="")
    return path


@pytest.mark.parametrize("quoted", [False, True])
@pytest.mark.parametrize("chunk,scan_max", [(1 * MB, 32 * MB), (333, 32 * MB), (4096, 20_000)])
def test_block_and_prefilter_paths_report_what_the_cell_by_cell_path_reports(tmp_path, monkeypatch, quoted, chunk,
                                                                                scan_max):
    monkeypatch.setattr(sd, "CHUNK", chunk)
    monkeypatch.setattr(sd, "CONTENT_SCAN_MAX", scan_max)
    monkeypatch.setattr(sd, "MAX_REPORTED", 10_000)  # compare every finding, not only the first ten
    path = tricky_csv(tmp_path / "t.csv", 2000, seed=chunk + quoted, quoted=quoted)
    fast = check_one(path, "text/csv", mode="batch")
    assert {f.code for f in failed(fast)} >= {"data.W010", "data.W016", "data.E009"}
    monkeypatch.setattr(sd, "_plain_block", lambda block, limit: None)  # every row through csv.reader
    monkeypatch.setattr(sd, "pii_kinds", lambda text: sd.ALL_KINDS)  # every cell through every regex
    assert check_one(path, "text/csv", mode="batch") == fast


@pytest.mark.parametrize("content_type,suffix", [("application/json", "json"), ("application/jsonlines", "jsonl"),
                                                 ("text/plain", "txt")])
def test_personal_data_prefilter_changes_nothing_in_json_and_text(tmp_path, monkeypatch, content_type, suffix):
    monkeypatch.setattr(sd, "CHUNK", 500)
    monkeypatch.setattr(sd, "MAX_REPORTED", 10_000)
    rng = random.Random(7)
    records = [{"id": rng.randint(0, 10**14), "v": rng.choice(TRICKY_CELLS), "x": [rng.random(), -1.5e-7]}
               for _ in range(600)]
    path = tmp_path / f"p.{suffix}"
    if suffix == "json":
        path.write_text(json.dumps({"records": records}, indent=rng.choice([None, 1])))
    elif suffix == "jsonl":
        path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    else:
        path.write_text("\n".join(f"{r['id']} {r['v']} {r['x'][0]}".replace("\n", " ") for r in records))
    fast = check_one(path, content_type, mode="batch")
    assert by_code(failed(fast), "data.W016")
    monkeypatch.setattr(sd, "pii_lines", lambda text: None)  # every line through every regex
    assert check_one(path, content_type, mode="batch") == fast


@pytest.mark.parametrize("cell,kind", [
    ("jane.doe@acme-corp.io", fastscan.EMAIL), ("(206) 266-1000", fastscan.PHONE), ("206-266-1000", fastscan.PHONE),
    ("206.266.1000", fastscan.PHONE), ("+1 206 266 1000", fastscan.PHONE), ("+44 20 7946 0958", fastscan.PHONE),
    ("+442079460958", fastscan.PHONE), ("4111 1111 1111 1111", fastscan.CARD), ("5500-0000-0000-0004", fastscan.CARD),
    ("378282246310005", fastscan.CARD), ("3782 822463 10005", fastscan.CARD),
])
def test_prefilter_never_rules_out_a_finding(cell, kind):
    for text in (cell, f"x {cell} y", f"id: {cell};", f"[{json.dumps(cell)}]"):
        assert list(sd.personal_data(text)), text
        assert fastscan.pii_kinds(text) & kind, text
        assert fastscan.pii_lines(f"a\n{text}\nb") == {1: fastscan.pii_kinds(text)}


def test_prefilter_rules_out_ordinary_numbers():
    text = "\n".join(",".join(f"{x * 1.2345:.4f}" for x in range(-3, 4)) for _ in range(100))
    text += "\n0.1234567890123456,1e+16,2024-01-15,12345.6789"
    assert fastscan.pii_kinds(text) == 0 and fastscan.pii_lines(text) == {}
    assert fastscan.pii_kinds("٤١١١١١١١١١١١١١١١") == fastscan.ALL_KINDS  # \d matches non-ASCII digits


@pytest.mark.parametrize("text", [
    "[]", "[[[]]]", '{"a": "]]]]", "b": [[1]]}', '["\\"[[[", [[]]]', "]]]][[", '"[[[', "[" * 99 + "]" * 99,
    "[" * 150, "[" * 50 + "]" * 60 + "[" * 120, '["a\\\\"]' + "[" * 101,
])
def test_depth_measure_agrees_with_the_token_walk(text):
    def walk(limit):
        depth = 0
        for match in sd._JSON_TOKEN.finditer(text):
            char = text[match.start()]
            depth += 1 if char in "[{" else -1 if char in "]}" else 0
            if char in "[{" and depth > limit:
                return match.start()
        return None

    for limit in (0, 1, 2, 3, 50, 100):
        assert sd.first_excess_depth(text, limit) == walk(limit), limit
        assert fastscan.depth_within(text, limit) == (walk(limit) is None)


def test_deep_json_inside_a_large_document_is_found_where_it_is(tmp_path):
    limit = RULES["data.E011"].limit
    rows = [json.dumps([i, -i / 3, "[[[{"]) for i in range(20_000)]  # depth 2 on each row's line
    rows.insert(4999, "[" * (limit - 1) + "]" * (limit - 1))  # on line 5001: its 99th bracket is level 101
    path = tmp_path / "deep.json"
    path.write_text('{"instances": [\n' + ",\n".join(rows) + "\n]}\n")
    findings = check_one(path, "application/json", mode="batch")
    (deep,) = by_code(findings, "data.E011")
    assert deep.outcome == Outcome.FAILED and deep.location == f"file:deep.json:line 5001:col {limit - 1}"
    assert outcome(findings, "data.E008") == Outcome.NOT_RUN

