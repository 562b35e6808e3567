"""``python manage.py prep check|validate|rules`` on the test fixtures, run as a seller's CI would run it."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli.conftest import FIXTURES, prep
from tests.container import imagebuild
from validation import preflight
from validation.checks import REGISTRY

LEAKED_KEY = "AKIAZ7Q4W2ERT5YUI3OP"  # shaped like an access key id; not AWS's documentation example
LEAKED_SECRET = "q8Rt2vXw9Lm4Np7Hs3Kd6Fg1Jc5Bz0Ya8Ue2Wi4O"


def _listing(kind: str = "model_package") -> dict:
    return json.loads((FIXTURES / "listings" / f"{kind}.json").read_text())


def _write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    elif isinstance(data, str):
        path.write_text(data)
    else:
        path.write_text(json.dumps(data))
    return path


def _leaky_notebook(path: Path) -> Path:
    nb = json.loads((FIXTURES / "notebooks" / "model_package_template.ipynb").read_text())
    nb["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": [
        "import boto3\n",
        f"session = boto3.Session(aws_access_key_id='{LEAKED_KEY}',\n",
        f"                        aws_secret_access_key='{LEAKED_SECRET}')\n"]})
    return _write(path, nb)


def aws_data_folder(root: Path) -> Path:
    """Sample data laid out as AWS's sample notebooks read it: data/input/real-time/…, data/output/batch/…"""
    data = root / "data"
    shutil.copy(FIXTURES / "data" / "realtime_input.csv", _dir(data / "input" / "real-time") / "reviews.csv")
    _write(data / "input" / "real-time" / "reviews.json", {"instances": ["The battery lasts all day."]})
    shutil.copy(FIXTURES / "data" / "realtime_output.json", _dir(data / "output" / "real-time") / "reviews.json")
    shutil.copy(FIXTURES / "data" / "realtime_input.csv", _dir(data / "input" / "batch") / "reviews.csv")
    _write(data / "input" / "batch" / "reviews.json", {"instances": ["Broke after two days."]})
    shutil.copy(FIXTURES / "data" / "batch_output.jsonl", _dir(data / "output" / "batch") / "reviews.jsonl")
    _write(data / ".ipynb_checkpoints" / "scratch.txt", "left by Jupyter; not a sample")
    return data


def _dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- kind detection ------------------------------------------------------------------------------------------
def _model_tar_gz(path: Path) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (("model.pt", b"\x80\x02weights"), ("code/inference.py", b"def model_fn(d): pass\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return _write(path, gzip.compress(buf.getvalue()))


def test_detect_kind_on_every_fixture_kind(tmp_path):
    expected = {
        FIXTURES / "listings" / "model_package.json": "listing",
        FIXTURES / "listings" / "algorithm.json": "listing",
        FIXTURES / "notebooks" / "model_package_template.ipynb": "notebook",
        FIXTURES / "notebooks" / "algorithm_template.ipynb": "notebook",
        FIXTURES / "logos" / "logo.gif": "logo",
        FIXTURES / "logos" / "logo_transparent.png": "logo",
        FIXTURES / "logos" / "logo_white.jpg": "logo",
        FIXTURES / "data" / "realtime_input.csv": "sample_data",
        FIXTURES / "data" / "realtime_output.json": "sample_data",
        FIXTURES / "data" / "batch_input.jsonl": "sample_data",
        FIXTURES / "data" / "batch_output.jsonl": "sample_data",
        FIXTURES / "data" / "batch_input.recordio": "sample_data",
        FIXTURES / "data" / "notes.txt": "documentation",
    }
    layers = imagebuild.good_serve_layers()
    docker = imagebuild.docker_save(tmp_path / "docker-save.tar", layers, imagebuild.config(layers))
    docker_new = imagebuild.docker_save(tmp_path / "docker-25.tar", layers, imagebuild.config(layers), new_format=True)
    oci = imagebuild.oci_layout(tmp_path / "oci.tar", [(layers, imagebuild.config(layers))])
    expected |= {
        docker: "image", docker_new: "image", oci: "image",
        _write(tmp_path / "image.tar.gz", gzip.compress(docker_new.read_bytes())): "image",
        _write(tmp_path / "old-image.tgz", gzip.compress(docker.read_bytes())): "image",
        _model_tar_gz(tmp_path / "model.tar.gz"): "model_data",
        # The content decides, not the name: a notebook saved as .json, a listing without an extension.
        _write(tmp_path / "notebook.json", json.loads(
            (FIXTURES / "notebooks" / "model_package_template.ipynb").read_text())): "notebook",
        _write(tmp_path / "listing", _listing("algorithm")): "listing",
        # Images inside AWS's sample layout are sample requests, not logos; text there is a text/plain sample.
        _write(tmp_path / "data" / "input" / "real-time" / "cat.png",
               (FIXTURES / "data" / "realtime_input.png").read_bytes()): "sample_data",
        _write(tmp_path / "data" / "input" / "batch" / "cat.jpg",
               (FIXTURES / "data" / "realtime_input.jpg").read_bytes()): "sample_data",
        _write(tmp_path / "data" / "input" / "batch" / "texts.txt", "one review per line\n"): "sample_data",
        _write(tmp_path / "docs" / "USAGE.md", "# Usage\n"): "documentation",
    }
    detected = {path: preflight.detect_kind(path) for path in expected}
    assert {p.name: k for p, k in detected.items()} == {p.name: k for p, k in expected.items()}


def test_kinds_select_checks_by_exact_name():
    names = lambda kind: {c.name for c in preflight.checks_for({kind})}  # noqa: E731
    assert names("documentation") == {"docs.documentation_files"}
    assert names("listing") >= {"listing.product_information", "request.sagemaker", "docs.usage_instructions",
                                "docs.listing_copy"}
    assert "docs.documentation_files" not in names("listing")
    assert names("notebook") == {"notebook.sample_notebook"}
    assert names("sample_data") == {"data.sample_data"}
    assert names("logo") == {"logo.logo"}
    product = {name for name, c in REGISTRY.items() if c.func.__module__.startswith("validation.checks.")}
    assert names("image") == {c for c in product if c.startswith("container.")}
    # Every check of the product is reachable from the command line through some kind (tests may register
    # checks of their own, e.g. to make one crash: those are not).
    assert set().union(*(names(k) for k in preflight.KINDS)) >= product


# --- prep validate -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["model_package", "algorithm"])
def test_validate_fixture_listings_pass(kind):
    result = prep("validate", FIXTURES / "listings" / f"{kind}.json")
    assert result.returncode == 0, result
    assert result.stdout.strip().splitlines()[-1].startswith("PASSED: 0 failed"), result
    assert "FAIL" not in result.stdout


def test_validate_flawed_listing_fails_with_codes_at_fields(tmp_path):
    listing = _listing()
    listing["product"]["long_description"] = ""
    listing["product"]["search_keywords"].append("k" * 51)
    del listing["pricing"]["prices"]["ml.g5.xlarge.m.i.b"]
    listing["instance_types"]["recommended"]["realtime"] = "ml.c5.xlarge"
    path = _write(tmp_path / "listing.json", listing)

    result = prep("validate", path)
    assert result.returncode == 1, result
    out = result.stdout
    for code, where in (("listing.E009", "field:product.long_description"),
                        ("listing.E016", "field:product.search_keywords"),
                        ("listing.E090", "field:pricing.prices"),
                        ("listing.E053", "field:instance_types.recommended.realtime")):
        line = next((ln for ln in out.splitlines() if ln.startswith(f"FAIL {code} ")), None)
        assert line is not None and f"[{where}]" in line, f"{code} at {where}\n{result}"
    assert "fix: " in out  # each failure carries its remedy
    assert out.strip().splitlines()[-1].startswith("FAILED: ")

    as_json = json.loads(prep("validate", path, "--format", "json").stdout)
    assert as_json["verdict"] == "failed"
    failed = {f["code"] for f in as_json["findings"] if f["outcome"] == "failed"}
    assert {"listing.E009", "listing.E016", "listing.E090", "listing.E053"} <= failed


def test_validate_fills_left_out_sections_as_empty(tmp_path):
    """A hand-written listing.json with sections left out is validated (they are reported missing), not a crash."""
    path = _write(tmp_path / "listing.json", {"kind": "model_package",
                                               "product": {"title": "Sentiment Analyzer"}})
    result = prep("validate", path, "--format", "json")
    assert result.returncode == 1, result
    findings = json.loads(result.stdout)["findings"]
    assert not [f for f in findings if f["code"].startswith("engine.")], result
    assert "listing.E009" in {f["code"] for f in findings if f["outcome"] == "failed"}


def test_policy_aws_minimum_relaxes_best_practice(tmp_path):
    listing = _listing()
    listing["product"]["highlights"] = ["Fast.", "Accurate.", "Easy."]  # no metric, no latency: warnings
    path = _write(tmp_path / "listing.json", listing)
    strict = json.loads(prep("validate", path, "--format", "json").stdout)
    minimum = json.loads(prep("validate", path, "--format", "json", "--policy", "aws-minimum").stdout)
    warned = lambda r: {f["code"] for f in r["findings"] if f["outcome"] == "failed"}  # noqa: E731
    assert warned(strict), "the strict policy warns about the missing performance figures"
    assert strict["verdict"] == minimum["verdict"] == "passed"  # warnings never block


# --- prep check ----------------------------------------------------------------------------------------------
def test_aws_template_notebooks_pass():
    result = prep("check", FIXTURES / "notebooks" / "model_package_template.ipynb")
    assert result.returncode == 0, result
    assert "notebook.E0" not in result.stdout.replace("PASSED", "")
    # An algorithm's notebook is recognised as one (algo_arn, AlgorithmEstimator) without a listing.
    result = prep("check", FIXTURES / "notebooks" / "algorithm_template.ipynb")
    assert result.returncode == 0, result


def test_notebook_with_leaked_key_fails_and_the_key_is_masked(tmp_path):
    notebook = _leaky_notebook(tmp_path / "Sentiment-Analyzer.ipynb")
    result = prep("check", notebook)
    assert result.returncode == 1, result
    e020 = [ln for ln in result.stdout.splitlines() if ln.startswith("FAIL notebook.E020 ")]
    assert e020 and all("[cell:" in ln for ln in e020), result
    assert "AKIA…" in result.stdout and "masked" in result.stdout
    for fmt in ("text", "json", "junit"):
        out = prep("check", notebook, "--format", fmt).stdout
        assert LEAKED_KEY not in out and LEAKED_SECRET not in out, f"the secret leaked in {fmt}"
        assert LEAKED_KEY[4:] not in out


def test_folder_in_aws_layout_passes_with_the_listing(tmp_path):
    data = aws_data_folder(tmp_path)
    result = prep("check", data, "--listing", FIXTURES / "listings" / "model_package.json", "--verbose")
    assert result.returncode == 0, result
    out = result.stdout
    # Labels come from the folders; files are named by their path under the folder, so same names stay apart.
    for name in ("input/real-time/reviews.csv", "input/real-time/reviews.json", "output/real-time/reviews.json",
                 "input/batch/reviews.csv", "input/batch/reviews.json", "output/batch/reviews.jsonl"):
        assert f"[file:{name}]" in out, f"{name}\n{result}"
    assert "ok   data.E005" in out  # every declared input content type has a sample
    assert "scratch.txt" not in out  # hidden folders (.ipynb_checkpoints) are not part of the upload


def test_folder_with_problems_fails_at_each_file(tmp_path):
    data = aws_data_folder(tmp_path)
    (data / "output" / "batch" / "reviews.jsonl").unlink()
    _write(data / "input" / "real-time" / "reviews.csv", "text,label\nfine,1\n=HYPERLINK(\"http://x\"),2,extra\n")
    _write(data / "input" / "real-time" / "photo.png", b"this is not a PNG at all")
    result = prep("check", data, "--format", "json")
    assert result.returncode == 1, result
    failed = {(f["code"], f["location"].split(":row")[0]) for f in json.loads(result.stdout)["findings"]
              if f["outcome"] == "failed"}
    assert ("data.E004", "field:sample_output_batch") in failed
    assert ("data.E009", "file:input/real-time/reviews.csv") in failed  # ragged row
    assert ("data.W010", "file:input/real-time/reviews.csv") in failed  # formula injection
    assert ("data.E007", "file:input/real-time/photo.png") in failed  # declared PNG by name, bytes are text


def test_logo_folder_and_a_bad_logo(tmp_path):
    result = prep("check", FIXTURES / "logos")
    assert result.returncode == 0, result
    bad = _write(tmp_path / "logo.png", (FIXTURES / "data" / "realtime_input.png").read_bytes())  # 64 x 48
    result = prep("check", bad)
    assert result.returncode == 1 and "FAIL logo.E004 " in result.stdout, result


# --- formats -------------------------------------------------------------------------------------------------
def test_json_format(tmp_path):
    result = prep("check", _leaky_notebook(tmp_path / "nb.ipynb"), "--format", "json")
    assert result.returncode == 1, result
    report = json.loads(result.stdout)
    assert report["verdict"] == "failed"
    assert report["counts"]["failed"] == sum(f["outcome"] == "failed" for f in report["findings"])
    finding = next(f for f in report["findings"] if f["code"] == "notebook.E020")
    assert {"code", "severity", "outcome", "message", "hint", "location", "check"} <= set(finding)
    assert finding["check"] == "notebook.sample_notebook" and finding["severity"] == "error"


def test_junit_format_is_what_ci_systems_parse(tmp_path):
    data = aws_data_folder(tmp_path)
    (data / "output" / "batch" / "reviews.jsonl").unlink()
    _write(data / "input" / "batch" / "binary.csv", b"a,b\n\x00\x01\x02\x1b[31m,\x7f\n")  # control characters
    nb = _leaky_notebook(tmp_path / "nb.ipynb")
    result = prep("check", data, nb, "--format", "junit")
    assert result.returncode == 1, result
    root = ET.fromstring(result.stdout.encode())  # well-formed XML, control characters and all
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    failures = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert int(suite.get("tests")) == len(cases) == int(root.get("tests")) > 0
    assert int(suite.get("failures")) == len(failures) > 0
    assert int(suite.get("skipped")) == len(skipped)
    assert suite.get("errors") == "0"
    for case in cases:
        assert case.get("classname") in REGISTRY and case.get("name")
    by_code = {c.find("failure").get("type") for c in failures}
    assert {"data.E004", "notebook.E020"} <= by_code
    e020 = next(c for c in failures if c.find("failure").get("type") == "notebook.E020")
    assert "fix:" in e020.find("failure").text and LEAKED_KEY not in result.stdout

    passing = prep("check", FIXTURES / "notebooks" / "model_package_template.ipynb", "--format", "junit")
    assert passing.returncode == 0, passing
    suite = ET.fromstring(passing.stdout.encode()).find("testsuite")
    assert suite.get("failures") == "0" and int(suite.get("tests")) > 10


# --- usage errors --------------------------------------------------------------------------------------------
def test_usage_errors_exit_2(tmp_path):
    cases = [
        ("check", tmp_path / "missing.ipynb"),
        ("check", FIXTURES / "logos", "--listing", tmp_path / "missing.json"),
        ("check", FIXTURES / "logos", "--format", "xml"),
        ("check", FIXTURES / "logos", "--kind", "spreadsheet"),
        ("check",),
        ("validate", FIXTURES / "listings"),
        ("validate", FIXTURES / "notebooks" / "model_package_template.ipynb"),
        ("validate", _write(tmp_path / "broken.json", "{not json")),
        ("frobnicate",),
    ]
    for args in cases:
        result = prep(*args)
        assert result.returncode == 2, result
        assert "Traceback" not in result.stderr, result
    assert "No such file or folder" in prep("check", tmp_path / "missing.ipynb").stderr


def test_rules_catalog():
    result = prep("rules", "--format", "json")
    assert result.returncode == 0, result
    codes = {r["code"] for r in json.loads(result.stdout)}
    assert {"listing.E009", "notebook.E020", "data.E005", "logo.E004"} <= codes
    assert {code for check in REGISTRY.values() for code in check.codes} <= codes  # every emitted code listed
    assert prep("rules").stdout.startswith("# Rules catalog")


def test_forced_kind(tmp_path):
    """``--kind`` overrides detection: a PNG checked as a sample (with labels from the folder) is not a logo."""
    png = _write(tmp_path / "data" / "input" / "real-time" / "x.png",
                 (FIXTURES / "data" / "realtime_input.png").read_bytes())
    as_logo = prep("check", png, "--kind", "logo")
    assert as_logo.returncode == 1 and "logo.E004" in as_logo.stdout, as_logo
    as_sample = prep("check", png, "--format", "json")
    codes = {f["code"] for f in json.loads(as_sample.stdout)["findings"]}
    assert "logo.E004" not in codes and "data.E007" in codes, as_sample
