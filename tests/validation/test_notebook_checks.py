"""Sample notebook checks (validation/checks/notebook.py): pure, no Django, small fixtures or files made here."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import nbformat
import pytest

from tests.hang_guard import in_child
from validation.checks import notebook as nb_check
from validation.checks.registry import REGISTRY, ArtifactFile, Subject
from validation.findings import Outcome, Severity
from validation.rules import notebook as notebook_rules

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "notebooks"
MP_TEMPLATE = FIXTURES / "model_package_template.ipynb"
ALGO_TEMPLATE = FIXTURES / "algorithm_template.ipynb"
RULES = {r.code: r for r in notebook_rules.RULES}
MB = 1024 * 1024


# --------------------------------------------------------------------------------------------------- helpers


def run(path: Path | None, kind: str = "model_package", listing: dict | None = None) -> list:
    files = (ArtifactFile("notebook", path, path.name),) if path else ()
    return list(nb_check.sample_notebook(Subject(listing or {"kind": kind}, files)))


def by_code(findings, code):
    return [f for f in findings if f.code == code]


class ReadCountingPath(type(Path())):
    """A real file path that counts the bytes read through it (``read_bytes`` and binary ``open`` use ``open``)."""

    bytes_read = 0

    def open(self, mode="r", *args, **kwargs):
        if "r" not in mode or "b" not in mode:
            return super().open(mode, *args, **kwargs)
        path = self

        class Counting(io.BufferedReader):
            def read(self, size=-1):
                data = super().read(size)
                path.bytes_read += len(data)
                return data

        return Counting(io.FileIO(self, "r"))


def outcome(findings, code):
    found = {f.outcome for f in by_code(findings, code)}
    assert len(found) == 1, f"{code}: {found}"
    return found.pop()


def failed(findings):
    return [f for f in findings if f.outcome == Outcome.FAILED]


def write(tmp_path: Path, notebook: dict, name: str = "nb.ipynb") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


def template() -> dict:
    return json.loads(MP_TEMPLATE.read_text(encoding="utf-8"))


def with_cells(*cells: dict) -> dict:
    notebook = template()
    notebook["cells"] = list(cells)
    return notebook


def code(source: str, outputs: list | None = None) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": outputs or [],
            "source": source, "id": f"c{abs(hash(source)) % 10**8}"}


def md(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source, "id": f"m{abs(hash(source)) % 10**8}"}


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def replace_cell(notebook: dict, needle: str, new_source: str) -> dict:
    notebook = copy.deepcopy(notebook)
    for cell in notebook["cells"]:
        if needle in "".join(cell["source"]):
            cell["source"] = new_source
            return notebook
    raise AssertionError(needle)


# --------------------------------------------------------------------------------------------------- catalog


def test_rules_are_well_formed_and_every_code_is_emitted_by_the_check():
    check = REGISTRY["notebook.sample_notebook"]
    assert set(check.codes) == set(RULES)
    for r in notebook_rules.RULES:
        assert r.code.split(".")[1][0] in "EWI"
        assert r.hint_text()  # every {limit} placeholder formats
        assert r.url.startswith("https://")
        if r.code.split(".")[1].startswith("W") or r.severity != Severity.ERROR:
            assert r.aws_rejects is False, r.code
        json.dumps(r.as_dict())


def test_arn_patterns_come_from_botocore():
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    assert RULES["notebook.E025"].limit == {
        "model-package": model.shape_for("ModelPackageArn").metadata["pattern"],
        "algorithm": model.shape_for("AlgorithmArn").metadata["pattern"],
    }


# --------------------------------------------------------------------------------------------------- templates


def test_model_package_template_passes_with_no_failures():
    findings = run(MP_TEMPLATE)
    assert failed(findings) == []
    assert not [f for f in findings if f.outcome == Outcome.NOT_RUN]
    emitted = {f.code for f in findings}
    algorithm_only = {"notebook.E016", "notebook.E017", "notebook.I018"}
    assert emitted == set(RULES) - algorithm_only
    assert all(f.code in REGISTRY["notebook.sample_notebook"].codes for f in findings)
    # compact: one passed finding per rule for one notebook
    assert len(findings) == len(emitted)


def test_algorithm_template_passes_with_no_failures():
    findings = run(ALGO_TEMPLATE, kind="algorithm")
    assert failed(findings) == []
    assert {f.code for f in findings} == set(RULES)


def test_fixtures_are_valid_nbformat():
    for path in (MP_TEMPLATE, ALGO_TEMPLATE):
        nbformat.validate(nbformat.read(path, as_version=4))


# --------------------------------------------------------------------------------------------------- E001


def test_missing_notebook_is_a_single_failure():
    findings = run(None)
    assert [(f.code, f.outcome, f.location) for f in findings] == [("notebook.E001", Outcome.FAILED,
                                                                    "field:notebook_url")]
    assert findings[0].hint


def test_notebook_only_referenced_by_url_still_fails_and_says_why():
    listing = {"kind": "model_package", "version": {"notebook_url": "https://github.com/acme/nb/demo.ipynb"}}
    (finding,) = run(None, listing=listing)
    assert finding.outcome == Outcome.FAILED
    assert "github.com/acme/nb" in finding.message and "not uploaded" in finding.message


# --------------------------------------------------------------------------------------------------- size, JSON, schema


def test_notebook_over_the_size_limit_is_not_parsed(tmp_path):
    limit = RULES["notebook.E002"].limit
    path = tmp_path / "huge.ipynb"
    with open(path, "wb") as fh:
        fh.truncate(limit + 1)  # sparse: no disk, and it must not be read
    path = ReadCountingPath(path)
    findings = run(path)
    assert path.bytes_read == 0  # judged by its size alone: not one byte read
    (too_big,) = by_code(findings, "notebook.E002")
    assert too_big.outcome == Outcome.FAILED
    assert too_big.measured["size"] == limit + 1 and too_big.measured["limit"] == limit
    assert outcome(findings, "notebook.E008") == Outcome.NOT_RUN
    assert outcome(findings, "notebook.E003") == Outcome.NOT_RUN


def test_notebook_exactly_at_the_size_limit_is_parsed(tmp_path):
    limit = RULES["notebook.E002"].limit
    body = MP_TEMPLATE.read_bytes()
    path = tmp_path / "padded.ipynb"
    path.write_bytes(body + b" " * (limit - len(body)))  # JSON allows trailing white space
    assert path.stat().st_size == limit
    findings = run(path)
    assert outcome(findings, "notebook.E002") == Outcome.PASSED
    assert failed(findings) == []


def test_truncated_notebook_is_invalid_json_with_line(tmp_path):
    path = tmp_path / "cut.ipynb"
    path.write_bytes(MP_TEMPLATE.read_bytes()[:700])
    findings = run(path)
    (bad,) = by_code(findings, "notebook.E003")
    assert bad.outcome == Outcome.FAILED and "line" in bad.message
    assert outcome(findings, "notebook.E019") == Outcome.NOT_RUN


def test_not_utf8_notebook(tmp_path):
    path = tmp_path / "latin1.ipynb"
    path.write_bytes(b'{"cells": [], "x": "caf\xe9"}')
    assert outcome(run(path), "notebook.E003") == Outcome.FAILED


def test_deeply_nested_notebook_is_a_finding_not_a_crash(tmp_path):
    depth = 100_000
    path = tmp_path / "deep.ipynb"
    path.write_text('{"cells": [], "metadata": {"x": ' + "[" * depth + "]" * depth + "}}", encoding="utf-8")
    findings = run(path)
    (bad,) = by_code(findings, "notebook.E003")
    assert bad.outcome == Outcome.FAILED and "nested" in bad.message


def test_deeply_nested_output_inside_a_valid_notebook(tmp_path):
    deep = json.loads("[" * 150 + "]" * 150)
    notebook = with_cells(code("x = 1", [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                                         "data": {"application/json": deep}}]))
    assert outcome(run(write(tmp_path, notebook)), "notebook.E003") == Outcome.FAILED


def test_notebook_nesting_boundary(tmp_path):
    from validation.rules.data import RULES as DATA_RULES

    limit = next(r.limit for r in DATA_RULES if r.code == "data.E011")  # one JSON depth guard for all parsers
    levels_above_value = 6  # notebook { cells [ cell { outputs [ output { data { value

    def notebook_with_depth(depth: int) -> dict:
        value = json.loads("[" * depth + "]" * depth)
        return with_cells(code("x", [{"output_type": "display_data", "metadata": {},
                                      "data": {"application/json": value}}]))

    inside = notebook_with_depth(limit - levels_above_value)
    outside = notebook_with_depth(limit - levels_above_value + 1)
    assert outcome(run(write(tmp_path, inside, "in.ipynb")), "notebook.E003") == Outcome.PASSED
    assert outcome(run(write(tmp_path, outside, "out.ipynb")), "notebook.E003") == Outcome.FAILED


def test_json_that_is_not_an_object(tmp_path):
    path = tmp_path / "list.ipynb"
    path.write_text("[1, 2, 3]")
    assert outcome(run(path), "notebook.E003") == Outcome.FAILED


def test_nbformat_version_boundary(tmp_path):
    v4 = template()
    assert outcome(run(write(tmp_path, v4)), "notebook.E005") == Outcome.PASSED
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": []}]}
    findings = run(write(tmp_path, v3, "v3.ipynb"))
    assert outcome(findings, "notebook.E005") == Outcome.FAILED
    assert outcome(findings, "notebook.E008") == Outcome.NOT_RUN


def test_missing_format_version(tmp_path):
    notebook = template()
    notebook["nbformat"] = "four"
    assert outcome(run(write(tmp_path, notebook)), "notebook.E004") == Outcome.FAILED


def test_schema_error_points_at_the_cell(tmp_path):
    notebook = template()
    notebook["cells"][2]["bogus"] = True
    (bad,) = by_code(run(write(tmp_path, notebook)), "notebook.E004")
    assert bad.outcome == Outcome.FAILED and bad.location == "cell:3"


def test_hostile_shapes_do_not_raise(tmp_path):
    notebook = template()
    notebook["cells"] = [1, "x", {"cell_type": "code", "source": 5, "outputs": "nope"},
                         {"cell_type": "code", "source": ["a = (", 3], "outputs": [1, {"output_type": "error"}]}]
    notebook["metadata"] = {"kernelspec": "python"}
    findings = run(write(tmp_path, notebook))
    assert outcome(findings, "notebook.E004") == Outcome.FAILED
    assert by_code(findings, "notebook.E008")


# --------------------------------------------------------------------------------------------------- kernel


def test_non_python_kernel_fails(tmp_path):
    notebook = template()
    notebook["metadata"] = {"kernelspec": {"name": "ir", "display_name": "R", "language": "R"}}
    findings = run(write(tmp_path, notebook))
    assert outcome(findings, "notebook.E006") == Outcome.FAILED
    assert outcome(findings, "notebook.W007") == Outcome.PASSED


def test_missing_kernelspec_warns_but_language_info_still_counts(tmp_path):
    notebook = template()
    notebook["metadata"] = {"language_info": {"name": "python"}}
    findings = run(write(tmp_path, notebook))
    assert outcome(findings, "notebook.W007") == Outcome.FAILED
    assert outcome(findings, "notebook.E006") == Outcome.PASSED
    notebook["metadata"] = {}
    findings = run(write(tmp_path, notebook))
    assert outcome(findings, "notebook.E006") == Outcome.NOT_RUN


# --------------------------------------------------------------------------------------------------- Python parsing


def test_syntax_error_reports_cell_and_line(tmp_path):
    notebook = template()
    notebook["cells"].insert(2, code("x = 1\nif x\n    print(x)"))
    (bad,) = by_code(run(write(tmp_path, notebook)), "notebook.E008")
    assert bad.outcome == Outcome.FAILED
    assert bad.location == "cell:3" and bad.measured["line"] == 2 and "line 2" in bad.message


@pytest.mark.parametrize("source", [
    "%pip install -q sagemaker\nimport sagemaker",
    "!pip install boto3\n!!ls\nfiles = !ls data\nx = 1",
    "%matplotlib inline\nfor i in range(3):\n    %time print(i)\n    !echo hi",
    "%%time\nx = sum(range(10))",
    "%%capture out\nprint(1)",
    "%%bash\nfor f in *; do echo $f; done",
    "%%writefile serve.sh\n#!/bin/sh\nexec gunicorn app:app",
    "result = await client.fetch()",
    'query = ("SELECT %s"\n         % name)',
    "%env AWS_DEFAULT_REGION=us-east-1\nos?\n??sagemaker.Session",
    "!aws s3 ls \\\n    --recursive s3://x\nx = 1",
])
def test_magics_and_shell_escapes_are_not_syntax_errors(source):
    python, _ = nb_check.python_source(source)
    assert python is None or nb_check.parse_python(python, "cell") is None, python


def test_magic_stripping_keeps_line_numbers():
    python, _ = nb_check.python_source("%pip install x\n!ls\nx = (\n")
    assert nb_check.parse_python(python, "cell")[0] == 3


def test_non_python_cell_magics_are_skipped_and_named(tmp_path):
    notebook = template()
    notebook["cells"].insert(2, code("%%bash\nif then fi ((("))
    (finding,) = by_code(run(write(tmp_path, notebook)), "notebook.E008")
    assert finding.outcome == Outcome.PASSED and "%%bash" in finding.message


def test_hostile_python_nesting_is_a_finding():
    error = nb_check.parse_python("x = " + "(" * 100_000 + ")" * 100_000, "cell")
    assert error is not None


# --------------------------------------------------------------------------------------------------- workflow


def test_each_missing_section_is_one_failure_with_a_hint(tmp_path):
    notebook = template()
    notebook["cells"] = [c for c in notebook["cells"]
                         if "delete_endpoint" not in "".join(c["source"])
                         and "transformer" not in "".join(c["source"])
                         and "batch inference" not in "".join(c["source"])]
    findings = run(write(tmp_path, notebook))
    for code_ in ("notebook.E013", "notebook.E014"):
        (bad,) = by_code(findings, code_)
        assert bad.outcome == Outcome.FAILED and bad.severity == Severity.ERROR
        assert bad.hint == RULES[code_].hint_text() and bad.hint
    assert outcome(findings, "notebook.E010") == Outcome.PASSED
    assert not by_code(findings, "notebook.E017")  # algorithm-only sections are not emitted for model packages


def test_heading_without_code_points_at_the_heading(tmp_path):
    notebook = template()
    notebook["cells"] = [c for c in notebook["cells"] if "delete_endpoint" not in "".join(c["source"])]
    (bad,) = by_code(run(write(tmp_path, notebook)), "notebook.E013")
    assert bad.outcome == Outcome.FAILED and bad.location.startswith("cell:") and "heading" in bad.message


def test_algorithm_without_training_and_tuning(tmp_path):
    notebook = json.loads(ALGO_TEMPLATE.read_text())
    notebook["cells"] = [c for c in notebook["cells"] if ".fit(" not in "".join(c["source"])
                         and "HyperparameterTuner(" not in "".join(c["source"])]
    findings = run(write(tmp_path, notebook), kind="algorithm")
    assert outcome(findings, "notebook.E017") == Outcome.FAILED
    (tuning,) = by_code(findings, "notebook.I018")
    assert tuning.outcome == Outcome.FAILED and tuning.severity == Severity.INFO and not tuning.blocking


def test_unknown_product_kind_leaves_the_workflow_not_run():
    findings = run(MP_TEMPLATE, kind="")
    assert outcome(findings, "notebook.E010") == Outcome.NOT_RUN
    assert failed(findings) == []


# --------------------------------------------------------------------------------------------------- placeholders


@pytest.mark.parametrize("text", [
    'model_package_arn = "<ARN>"',
    'bucket = "<your-bucket>"',
    'bucket = "<your_bucket>"',
    "# TODO: replace",
    'name = "XXX"',
    'role = "REPLACE_ME"',
    'x = "<<model name>>"',
    'training_dataset = "data/train/<FileName.ext>"',
    'model_name = "For Seller to update:<specify-model_or_endpoint-name>"',
])
def test_placeholders_are_found(tmp_path, text):
    notebook = template()
    notebook["cells"].insert(3, code(text))
    (bad,) = by_code(run(write(tmp_path, notebook)), "notebook.E019")
    assert bad.outcome == Outcome.FAILED and bad.location == "cell:4" and bad.measured["line"] == 1


def test_buyer_arn_placeholder_and_html_are_not_placeholders(tmp_path):
    notebook = template()
    notebook["cells"].insert(3, code('model_package_arn = "<Customer to specify Model package ARN corresponding to '
                                     'their AWS region>"'))
    notebook["cells"].insert(3, md("Results look like <b>this</b> and <br> that; see <https://aws.amazon.com>."))
    assert outcome(run(write(tmp_path, notebook)), "notebook.E019") == Outcome.PASSED


# --------------------------------------------------------------------------------------------------- secrets


ACCESS_KEY = "AKIAQ3EGRZ7TLN4XW2PB"
SECRET_KEY = "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"
SESSION = "IQoJb3JpZ2luX2VjEJr" + "a1B2c3D4e5F6g7H8" * 12
PRIVATE = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize("place,text,what", [
    ("source", f'boto3.client("s3", aws_access_key_id="{ACCESS_KEY}")', "access key id"),
    ("output", f"aws_secret_access_key = {SECRET_KEY}\n", "secret access key"),
    ("source", f'aws_session_token="{SESSION}"', "session token"),
    ("output", PRIVATE, "private key"),
    ("source", 'creds = {"AccessKeyId": "ASIAQ3EGRZ7TLN4XW2PB"}', "access key id"),
])
def test_secrets_are_found_and_masked(tmp_path, place, text, what):
    cell = code(text) if place == "source" else code("print(creds)", [stream(text)])
    notebook = template()
    notebook["cells"].insert(3, cell)
    findings = run(write(tmp_path, notebook))
    (bad,) = by_code(findings, "notebook.E020")
    assert bad.outcome == Outcome.FAILED and bad.location == "cell:4" and what in bad.message
    assert place in bad.message
    for secret in (ACCESS_KEY, SECRET_KEY, SESSION, "ASIAQ3EGRZ7TLN4XW2PB"):
        assert secret not in bad.message and secret not in json.dumps(bad.measured)


def test_aws_documentation_example_keys_are_not_secrets(tmp_path):
    notebook = template()
    notebook["cells"].insert(3, code('aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"\n'
                                     'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"'))
    assert outcome(run(write(tmp_path, notebook)), "notebook.E020") == Outcome.PASSED


def test_secret_in_notebook_metadata(tmp_path):
    notebook = template()
    notebook["metadata"]["env"] = {"AWS_ACCESS_KEY_ID": ACCESS_KEY}
    (bad,) = by_code(run(write(tmp_path, notebook)), "notebook.E020")
    assert bad.outcome == Outcome.FAILED and bad.location == f"file:{'nb.ipynb'}"


@pytest.mark.parametrize("cell,flagged", [
    (code('image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme:1"'), True),
    (code("print(bucket)", [stream("sagemaker-us-east-1-123456789012\n")]), True),
    (code('account_id = "123456789012"'), True),
    (code("print(x)", [stream("Your account: 123456789012\n")]), True),
    (code('arn = "arn:aws:iam::123456789012:role/SageMakerRole"'), False),
    (code("print(ts)", [stream("job finished at 202401011230\n")]), False),
])
def test_account_ids_outside_an_arn(tmp_path, cell, flagged):
    notebook = template()
    notebook["cells"].insert(3, cell)
    findings = run(write(tmp_path, notebook))
    assert outcome(findings, "notebook.W021") == (Outcome.FAILED if flagged else Outcome.PASSED)
    for f in by_code(findings, "notebook.W021"):
        assert "123456789012" not in f.message


# --------------------------------------------------------------------------------------------------- outputs


def _stream_of_size(size: int) -> dict:
    overhead = len(json.dumps(stream(""), separators=(",", ":")).encode())
    out = stream("x" * (size - overhead))
    assert len(json.dumps(out, separators=(",", ":")).encode()) == size
    return out


def test_single_output_size_boundary(tmp_path):
    limit = RULES["notebook.W022"].limit
    inside = with_cells(code("print(x)", [_stream_of_size(limit)]))
    assert outcome(run(write(tmp_path, inside)), "notebook.W022") == Outcome.PASSED
    outside = with_cells(code("print(x)", [_stream_of_size(limit + 1)]))
    (bad,) = by_code(run(write(tmp_path, outside)), "notebook.W022")
    assert bad.outcome == Outcome.FAILED and bad.location == "cell:1" and bad.severity == Severity.WARNING


def test_total_output_size_boundary(tmp_path):
    total = RULES["notebook.W023"].limit
    each = RULES["notebook.W022"].limit
    parts = [each] * (total // each)
    inside = with_cells(*[code("print(x)", [_stream_of_size(p)]) for p in parts])
    findings = run(write(tmp_path, inside))
    assert outcome(findings, "notebook.W023") == Outcome.PASSED
    assert outcome(findings, "notebook.W022") == Outcome.PASSED
    outside = with_cells(*[code("print(x)", [_stream_of_size(p)]) for p in parts], code("print(1)", [stream("x")]))
    assert outcome(run(write(tmp_path, outside)), "notebook.W023") == Outcome.FAILED


def test_images_count_towards_output_size(tmp_path):
    limit = RULES["notebook.W022"].limit
    image = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBOR" + "A" * limit}}
    (bad,) = by_code(run(write(tmp_path, with_cells(code("show()", [image])))), "notebook.W022")
    assert bad.outcome == Outcome.FAILED


def test_saved_error_output_warns(tmp_path):
    error = {"output_type": "error", "ename": "NameError", "evalue": "name 'x' is not defined", "traceback": []}
    notebook = template()
    notebook["cells"].insert(3, code("x", [error]))
    (bad,) = by_code(run(write(tmp_path, notebook)), "notebook.W027")
    assert bad.outcome == Outcome.FAILED and bad.location == "cell:4" and "NameError" in bad.message


# --------------------------------------------------------------------------------------------------- ARNs, buckets


def test_malformed_arn_fails(tmp_path):
    notebook = replace_cell(template(), "model_package_map = {",
                            'model_package_arn = "arn:aws:sagemaker:us-east-1:86507003774:model-package/acme-1"')
    (bad,) = by_code(run(write(tmp_path, notebook)), "notebook.E025")
    assert bad.outcome == Outcome.FAILED and bad.location == "cell:3"


def test_single_region_arn_warns(tmp_path):
    notebook = replace_cell(template(), "model_package_map = {",
                            'model_package_arn = "arn:aws:sagemaker:us-east-1:865070037744:model-package/acme-1"')
    findings = run(write(tmp_path, notebook))
    (bad,) = by_code(findings, "notebook.W024")
    assert bad.outcome == Outcome.FAILED and "us-east-1" in bad.message and bad.severity == Severity.WARNING
    assert outcome(findings, "notebook.E025") == Outcome.PASSED


def test_arn_built_from_the_region_variable_passes(tmp_path):
    notebook = replace_cell(template(), "model_package_map = {",
                            "import sagemaker\nregion = sagemaker.Session().boto_region_name\n"
                            'model_package_arn = f"arn:aws:sagemaker:{region}:865070037744:model-package/acme-1"')
    findings = run(write(tmp_path, notebook))
    assert outcome(findings, "notebook.W024") == Outcome.PASSED
    assert outcome(findings, "notebook.E025") == Outcome.PASSED


def test_no_arn_literal_is_not_run(tmp_path):
    notebook = replace_cell(template(), "model_package_map = {",
                            'model_package_arn = "<Customer to specify Model package ARN corresponding to their '
                            'AWS region>"')
    findings = run(write(tmp_path, notebook))
    assert outcome(findings, "notebook.W024") == Outcome.NOT_RUN
    assert outcome(findings, "notebook.E019") == Outcome.PASSED


@pytest.mark.parametrize("source,flagged", [
    ('output_path = "s3://acme-seller-bucket/output"', True),
    ('bucket = "acme-seller-bucket"', True),
    ('data = "s3://sagemaker-sample-files/datasets/tabular/iris.csv"', False),
    ('output_path = f"s3://{bucket}/output"', False),
    ('output_path = "s3://{}/output".format(bucket)', False),
])
def test_hard_coded_bucket(tmp_path, source, flagged):
    notebook = template()
    notebook["cells"].insert(3, code(source))
    findings = run(write(tmp_path, notebook))
    assert outcome(findings, "notebook.W026") == (Outcome.FAILED if flagged else Outcome.PASSED)


def test_failures_are_capped_per_rule(tmp_path):
    notebook = template()
    notebook["cells"].extend(code(f"x{i} = 'TODO'") for i in range(50))
    findings = by_code(run(write(tmp_path, notebook)), "notebook.E019")
    assert len(findings) == nb_check.MAX_REPORTED + 1
    assert findings[-1].measured["more"] == 50 - nb_check.MAX_REPORTED


# --------------------------------------------------------------------------------------------------- hostile text


def _codes_outcomes_messages(path) -> list:
    return [(f.code, f.outcome, f.message) for f in run(path)]


@pytest.mark.parametrize("source", [
    " " * 200_000 + "x = 1",  # long indentation (magic and help regexes)
    "# a" + " " * 200_000 + "b",  # markdown-like heading with a long run of spaces
    "arn:aws" * 100_000,  # ARN prefixes with no resource part
    "<h1" * 100_000,  # unclosed HTML headings
    "x = '" + "s3://" * 100_000 + "'",
    "aws_secret_access_key" * 50_000,
    "<your" * 100_000,
])
def test_pathological_text_is_scanned_to_the_end(tmp_path, source):
    notebook = template()
    notebook["cells"].insert(3, code(source))
    notebook["cells"].insert(3, md(source))
    notebook["cells"].insert(3, code("print(1)", [stream(source)]))
    path = write(tmp_path, notebook)
    findings = in_child(_codes_outcomes_messages, path)
    # Every rule for a model package ran on the hostile cells (a step that raises becomes not_run).
    algorithm_only = {"notebook.E016", "notebook.E017", "notebook.I018"}
    assert {code for code, _, _ in findings} == set(nb_check.CODES) - algorithm_only
    assert [(code, message) for code, result, message in findings if result == Outcome.NOT_RUN] == []
