"""The submission bundle of issue 7: export a model package and an algorithm, unzip them, re-validate every AWS
document with botocore, check the manifest against the files, export twice and compare bytes."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from datetime import timedelta
from pathlib import Path

import nbformat
import pytest
from botocore.validate import validate_parameters
from django.core.management import CommandError, call_command
from django.utils import timezone

from listings.export.documents import PlannedFile
from listings.export.errors import ExportError
from listings.export.options import ExportOptions
from listings.export.service import plan_bundle, write_bundle
from listings.models import ListingVersion, VersionStatus
from listings.storage import export_storage, open_blob
from tests.export.conftest import Unzipped, bundle_bytes, export
from tests.listing_builder import attach
from validation.aws_models import service_model, validate_request
from validation.aws_requests import BuiltRequest, build_change_set, build_sagemaker_request, validate_change_set
from validation.checks.notebook import check_notebook
from validation.checks.registry import ArtifactFile

pytestmark = pytest.mark.django_db


def _botocore_valid(service: str, operation: str, params: dict) -> None:
    """botocore's own ParamValidator (raises on any error) plus our strict enum/pattern/min/max walk."""
    validate_parameters(params, service_model(service).operation_model(operation).input_shape)


def _readme_order(readme: str, steps: list[str]) -> None:
    positions = [readme.index(step) for step in steps]
    assert positions == sorted(positions), f"README steps out of order: {list(zip(steps, positions))}"


# ------------------------------------------------------------------------------------------------ model package


def test_model_package_bundle_holds_what_aws_accepts(approved_model_package, alice):
    version = approved_model_package
    bundle = export(version, alice)
    assert bundle.status == "succeeded", bundle.error
    z = Unzipped(bundle_bytes(bundle))
    z.check_manifest()
    assert bundle.manifest == z.manifest  # the row keeps the manifest for pages and the API

    expected = {
        "README.md", "manifest.json", "sagemaker/create_model_package.json", "marketplace/change_set.json",
        "listing/listing.json", "listing/usage.md", "listing/usage.html", "listing/logo.png",
        "notebook/model_package_template.ipynb", "reports/validation.json", "reports/validation.html",
        "reports/validation.csv", "reports/review.json",
        "data/input/real-time/input.csv", "data/input/real-time/input.json", "data/output/real-time/output.json",
        "data/input/batch/batch.csv", "data/input/batch/batch.json", "data/output/batch/batch.out.json",
    }
    assert set(z.names) == expected
    assert z.names == sorted(z.names)

    # The AWS requests: validated by botocore's own validator and by the strict walk, and exactly what the
    # bundled listing implies.
    request = z.json("sagemaker/create_model_package.json")
    _botocore_valid("sagemaker", "CreateModelPackage", request)
    assert validate_request("sagemaker", "CreateModelPackage", request) == []
    assert request["CertifyForMarketplace"] is True
    assert len(request["ValidationSpecification"]["ValidationProfiles"]) == 1
    listing = z.json("listing/listing.json")
    assert listing == version.snapshot
    assert request == build_sagemaker_request(listing, version_number=version.number).params
    change_set = z.json("marketplace/change_set.json")
    _botocore_valid("marketplace-catalog", "StartChangeSet", change_set)
    assert validate_change_set(BuiltRequest("marketplace-catalog", "StartChangeSet", change_set)) == []
    assert change_set == build_change_set(listing, version_number=version.number).params
    assert [c["ChangeType"] for c in change_set["ChangeSet"]][:4] == [
        "CreateProduct", "UpdateInformation", "AddDeliveryOptions", "ReleaseProduct"]

    # Every other JSON document parses; the manifest says what this is.
    for name in z.names:
        if name.endswith((".json", ".ipynb")):
            json.loads(z.read(name))
    m = z.manifest
    assert m["listing"]["id"] == str(version.listing_id) and m["listing"]["kind"] == "model_package"
    assert m["version"] == {"number": 1, "title": "1.0.0", "content_hash": version.content_hash}
    assert m["policy"] == version.validation_run.policy
    assert m["approved_at"] == version.decided_at.isoformat() and m["approved_by"] == "rita@example.com"
    assert m["generator"].startswith("marketplace_prep/")

    # The seller's files, byte for byte, where AWS's layout puts them.
    for entry in m["files"]:
        if entry["path"].startswith(("data/", "listing/logo", "notebook/")):
            with open_blob(entry["sha256"]) as blob:
                assert z.read(entry["path"]) == blob.read()

    # usage.md as written; usage.html rendered and sanitised.
    assert z.text("listing/usage.md").strip() == version.snapshot["version"]["usage_instructions"].strip()
    assert "<h2>Input format</h2>" in z.text("listing/usage.html")

    # The review record: the decision, who decided, when.
    review = z.json("reports/review.json")
    assert review["decision"]["status"] == "approved" and review["decision"]["by"] == "rita@example.com"
    assert review["reviewers"] == ["rita@example.com"]
    assert [e["type"] for e in review["events"]][-1] == "review.approved"
    assert "waivers" in review

    report = z.json("reports/validation.json")
    assert report["run"] == str(version.validation_run_id) and report["verdict"] == "passed"
    assert "<h1>Validation report</h1>" in z.text("reports/validation.html")

    # The README: the exact AWS CLI calls, in order, with the bundle's own files.
    readme = z.text("README.md")
    _readme_order(readme, [
        "aws ecr get-login-password", "aws s3 cp data/input/batch/batch.json s3://example-seller-validation/",
        "aws sagemaker create-model-package --region us-east-1 --cli-input-json "
        "file://sagemaker/create_model_package.json",
        "aws sagemaker describe-model-package --model-package-name sentiment-analyzer-for-english-reviews-v1",
        "aws marketplace-catalog start-change-set --region us-east-1 --cli-input-json file://marketplace/change_set.json",
        "aws marketplace-catalog describe-change-set",
    ])
    assert "batch.csv s3://" not in readme  # the transform sends application/json: only that batch input goes up


def test_every_zip_entry_is_deterministic_and_readable_by_unzip(approved_model_package, alice, tmp_path):
    import subprocess

    bundle = export(approved_model_package, alice)
    path = tmp_path / "b.zip"
    path.write_bytes(bundle_bytes(bundle))
    listing = subprocess.run(["unzip", "-Z", "-T", str(path)], capture_output=True, text=True, check=True).stdout
    assert "19800101.000000" in listing and "-rw-r--r--" in listing
    assert subprocess.run(["unzip", "-tq", str(path)], capture_output=True, text=True).returncode == 0
    with zipfile.ZipFile(path) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}


def test_exporting_twice_gives_byte_identical_zips(approved_model_package, alice, tmp_path):
    first, second = export(approved_model_package, alice), export(approved_model_package, alice)
    assert first.pk != second.pk and first.storage_key != second.storage_key
    a, b = bundle_bytes(first), bundle_bytes(second)
    assert a == b and first.sha256 == second.sha256 and first.size == len(a)
    # ... and the command line writes the same bytes.
    out = io.StringIO()
    call_command("prep", "export", str(approved_model_package.pk), "--output", str(tmp_path / "cli.zip"), stdout=out)
    assert (tmp_path / "cli.zip").read_bytes() == a
    assert out.getvalue().split()[0] == first.sha256


def test_command_line_export_by_listing_and_number_and_its_refusals(approved_model_package, tmp_path):
    version = approved_model_package
    call_command("prep", "export", f"{version.listing_id}:{version.number}", "-o", str(tmp_path / "x.zip"),
                 stdout=io.StringIO())
    assert zipfile.is_zipfile(tmp_path / "x.zip")
    with pytest.raises(CommandError) as missing:
        call_command("prep", "export", "not-a-version", "-o", str(tmp_path / "y.zip"))
    assert missing.value.returncode == 2
    ListingVersion.objects.filter(pk=version.pk).update(status=VersionStatus.WITHDRAWN)
    with pytest.raises(CommandError) as refused:
        call_command("prep", "export", str(version.pk), "-o", str(tmp_path / "y.zip"))
    assert refused.value.returncode == 2 and "only an approved version" in str(refused.value)
    assert not (tmp_path / "y.zip").exists()


# ---------------------------------------------------------------------------------------------------- algorithm


def test_algorithm_bundle_holds_what_aws_accepts(approved_algorithm, alice):
    version = approved_algorithm
    bundle = export(version, alice)
    assert bundle.status == "succeeded", bundle.error
    z = Unzipped(bundle_bytes(bundle))
    z.check_manifest()
    assert "sagemaker/create_algorithm.json" in z.names and "sagemaker/create_model_package.json" not in z.names
    request = z.json("sagemaker/create_algorithm.json")
    _botocore_valid("sagemaker", "CreateAlgorithm", request)
    assert validate_request("sagemaker", "CreateAlgorithm", request) == []
    assert request["CertifyForMarketplace"] is True and "InferenceSpecification" in request
    assert {c["Name"] for c in request["TrainingSpecification"]["TrainingChannels"]} == {"train", "validation"}
    profile = request["ValidationSpecification"]["ValidationProfiles"][0]
    assert "TrainingJobDefinition" in profile and "TransformJobDefinition" in profile
    change_set = z.json("marketplace/change_set.json")
    _botocore_valid("marketplace-catalog", "StartChangeSet", change_set)
    assert validate_change_set(BuiltRequest("marketplace-catalog", "StartChangeSet", change_set)) == []
    delivery = next(c for c in change_set["ChangeSet"] if c["ChangeType"] == "AddDeliveryOptions")
    assert "SageMakerAlgorithmDeliveryOptionDetails" in json.dumps(delivery)
    readme = z.text("README.md")
    _readme_order(readme, [
        "aws s3 cp --recursive data/train/train s3://example-seller-validation/gradientforest/train/train/",
        "aws sagemaker create-algorithm --region us-east-1 --cli-input-json file://sagemaker/create_algorithm.json",
        "aws sagemaker describe-algorithm --algorithm-name", "aws marketplace-catalog start-change-set",
        "aws marketplace-catalog describe-change-set",
    ])
    assert z.read("data/output/batch/batch.out.csv") == b"0.97\n0.12\n0.55\n"
    assert export(version, alice).sha256 == bundle.sha256


def _derived_version(version: ListingVersion, reviewer, *, drop_kind: str = "", add=()) -> ListingVersion:
    """Another approved version of the same listing whose artifacts differ: ``drop_kind`` removed, ``add`` added
    (made directly: the export reads only the frozen version)."""
    snapshot = dict(version.snapshot)
    snapshot["artifacts"] = [a for a in snapshot["artifacts"] if a["kind"] != drop_kind] + list(add)
    return ListingVersion.objects.create(
        listing=version.listing, number=version.number + 1, snapshot=snapshot, content_hash=version.content_hash,
        status=VersionStatus.APPROVED, validation_run=version.validation_run, created_by=version.created_by,
        decided_by=reviewer, decided_at=version.decided_at + timedelta(minutes=1))


@pytest.mark.parametrize("fixture", ["approved_model_package", "approved_algorithm"])
def test_generated_notebook_follows_aws_structure_and_passes_the_notebook_checks(request, fixture, rita, tmp_path):
    version = _derived_version(request.getfixturevalue(fixture), rita, drop_kind="notebook")
    plan = plan_bundle(version)
    (notebook,) = [f for f in plan.files if f.arcname.startswith("notebook/")]
    assert notebook.arcname == f"notebook/{plan.requests.resource_name}.ipynb"
    nb = nbformat.reads(notebook.data.decode(), as_version=4)
    nbformat.validate(nb)
    source = "\n".join(c.source for c in nb.cells)
    # The seller's sample data is wired in by its place in the bundle and its content type.
    for f in plan.files:
        if f.arcname.startswith("data/input/real-time/"):
            assert json.dumps(f.arcname.removeprefix("data/")) in source
    path = tmp_path / "generated.ipynb"
    path.write_bytes(notebook.data)
    kind = version.snapshot["kind"]
    findings = check_notebook(ArtifactFile(kind="notebook", path=path, name=path.name), kind)
    failed = [(f.code, f.message) for f in findings if f.outcome == "failed"]
    # Only the seller's own Region's ARN is known before AWS publishes the listing (the README says so).
    assert [code for code, _ in failed] == ["notebook.W024"]
    workflow = {"notebook.E009", "notebook.E010", "notebook.E011", "notebook.W012", "notebook.E013",
                "notebook.E014", "notebook.E015"} | ({"notebook.E016", "notebook.E017", "notebook.I018"}
                                                      if kind == "algorithm" else set())
    assert workflow <= {f.code for f in findings if f.outcome == "passed"}
    assert plan_bundle(version).files == plan.files  # generated twice: the same bytes
    readme = next(f for f in plan.files if f.arcname == "README.md").data.decode()
    assert f"`{notebook.arcname}` was generated from the listing" in readme


# ----------------------------------------------------------------------------------------------- bad input


def _exports_on_disk() -> list[str]:
    storage = export_storage()
    return storage.listdir("bundles")[1] if storage.exists("bundles") else []


def test_a_missing_artifact_fails_with_a_clear_message_and_leaves_no_bundle(approved_model_package, alice, client,
                                                                           blob_path):
    version = approved_model_package
    before = _exports_on_disk()
    sample = next(a for a in version.snapshot["artifacts"] if a["name"] == "batch.json")
    blob_path(sample["sha256"]).unlink()
    bundle = export(version, alice)
    assert bundle.status == "failed" and not bundle.storage_key and not bundle.sha256
    assert "sample data “batch.json”" in bundle.error and "missing" in bundle.error
    assert "Nothing was exported" in bundle.error
    assert _exports_on_disk() == before
    assert version.listing.events.filter(type="bundle.failed").exists()
    client.force_login(alice)
    page = client.get(f"/listings/{version.listing_id}/").content.decode()
    assert "Export failed" in page and "batch.json" in page


def test_stored_bytes_that_no_longer_match_their_sha256_fail_the_export(approved_model_package, alice, settings,
                                                                       blob_path):
    version = approved_model_package
    before = _exports_on_disk()
    logo = next(a for a in version.snapshot["artifacts"] if a["kind"] == "logo")
    path = blob_path(logo["sha256"])
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # same size, different bytes: only the digest can tell
    path.write_bytes(bytes(data))
    bundle = export(version, alice)
    assert bundle.status == "failed"
    assert "logo “logo.png”" in bundle.error and "no longer match their sha256" in bundle.error
    assert _exports_on_disk() == before
    assert not [p for p in Path(settings.SCRATCH_ROOT).glob("bundle-*")]  # the partial zip is gone too


def test_a_partial_zip_is_never_a_valid_zip(approved_model_package):
    """write_bundle on a damaged artifact stops before the central directory: no reader accepts the output."""
    plan = plan_bundle(approved_model_package)
    damaged = [PlannedFile(f.arcname, f.size, "0" * 64 if f.arcname == "listing/logo.png" else f.sha256, f.data,
                           label=f.label) if f.data is None else f for f in plan.files]
    out = io.BytesIO()
    with pytest.raises(ExportError):
        write_bundle(damaged, out)
    assert not zipfile.is_zipfile(io.BytesIO(out.getvalue()))


def test_a_request_that_does_not_validate_stops_the_export(approved_model_package, alice):
    version = approved_model_package
    snapshot = json.loads(json.dumps(version.snapshot))
    snapshot["instance_types"]["realtime"].append("ml.nonexistent.huge")
    ListingVersion.objects.filter(pk=version.pk).update(snapshot=snapshot)
    version.refresh_from_db()
    bundle = export(version, alice)
    assert bundle.status == "failed"
    assert "does not validate against botocore's sagemaker model" in bundle.error
    assert "ml.nonexistent.huge" in bundle.error and "instance_types.realtime[2]" in bundle.error


def test_command_line_export_of_a_damaged_version_leaves_no_file(approved_model_package, tmp_path, blob_path):
    sample = next(a for a in approved_model_package.snapshot["artifacts"] if a["kind"] == "sample_data")
    path = blob_path(sample["sha256"])
    path.write_bytes(path.read_bytes()[::-1])
    with pytest.raises(CommandError) as stopped:
        call_command("prep", "export", str(approved_model_package.pk), "-o", str(tmp_path / "out.zip"))
    assert stopped.value.returncode == 1 and "no longer match their sha256" in str(stopped.value)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------- CSV and data


def test_seller_csv_with_formulas_is_copied_byte_for_byte_and_flagged(ready_listing, alice, rita):
    from listings.review.services import waiver_grant
    from tests.helpers import submitted_version

    formula = b'=1+2,1\n@SUM(A1),2\n'
    attach(ready_listing, kind="sample_data", content=formula, name="formulas.csv", content_type="text/csv",
           tags={"mode": "batch", "direction": "input", "content_type": "text/csv"}, actor=alice)
    version = submitted_version(ready_listing, alice)
    warnings = version.validation_run.findings.filter(code="data.W010", outcome="failed")
    assert warnings.exists()
    for finding in warnings:
        waiver_grant(version=version, finding_id=finding.pk, actor=rita, reason="Sample shows a formula on purpose.",
                     expires_at=timezone.now() + timedelta(days=30))
    from listings import services

    services.review_approve(version=version, actor=rita)
    version.refresh_from_db()
    bundle = export(version, alice)
    assert bundle.status == "succeeded", bundle.error
    z = Unzipped(bundle_bytes(bundle))
    assert z.read("data/input/batch/formulas.csv") == formula  # data AWS shows: never altered
    entry = next(f for f in z.manifest["files"] if f["path"] == "data/input/batch/formulas.csv")
    assert entry["flags"] == ["data.W010"]
    assert "data.W010" in z.text("README.md")
    review = z.json("reports/review.json")
    assert [w["code"] for w in review["waivers"]] == ["data.W010"] * warnings.count()
    assert review["waivers"][0]["reason"] == "Sample shows a formula on purpose."
    # The CSV the bundle writes itself neutralises every cell a spreadsheet would run.
    rows = z.text("reports/validation.csv")
    for line in rows.splitlines()[1:]:
        for cell in line.split('","'):
            assert not cell.strip('"').startswith(("=", "+", "@", "\t", "\r"))


def test_findings_csv_neutralises_formula_cells(approved_model_package, alice):
    from validation.models import Finding

    run = approved_model_package.validation_run
    Finding.objects.create(run=run, check_name="x", code="x.W001", severity="warning", outcome="passed",
                           message='=HYPERLINK("http://attacker.example")', hint="@SUM(A1)", location="-2+3",
                           source="\tTAB", position=10_000)
    bundle = export(approved_model_package, alice)
    text = Unzipped(bundle_bytes(bundle)).text("reports/validation.csv")
    assert "\"'=HYPERLINK(\"\"http://attacker.example\"\")\"" in text
    assert "\"'@SUM(A1)\"" in text and "\"'-2+3\"" in text and "\"'\tTAB\"" in text


# ------------------------------------------------------------------------------------------ referencing


def test_large_files_can_be_referenced_by_s3_uri_and_sha256(approved_model_package, alice):
    version = approved_model_package
    embedded = export(version, alice)
    options = ExportOptions(reference_large_files=True, reference_min_bytes=100,
                            reference_prefix="s3://seller-artifacts/marketplace/")
    bundle = export(version, alice, options)
    assert bundle.status == "succeeded", bundle.error
    z = Unzipped(bundle_bytes(bundle))
    z.check_manifest()
    referenced = {f["path"]: f for f in z.manifest["files"] if f.get("embedded") is False}
    assert set(referenced) == {"listing/logo.png", "data/output/batch/batch.out.json",
                               "data/output/real-time/output.json", "notebook/model_package_template.ipynb"}
    for path, entry in referenced.items():
        assert path not in z.names
        assert entry["uri"] == f"s3://seller-artifacts/marketplace/{path}" and len(entry["sha256"]) == 64
    assert z.manifest["options"] == {"reference_large_files": True, "reference_min_bytes": 100,
                                     "reference_prefix": "s3://seller-artifacts/marketplace"}
    assert "s3://seller-artifacts/marketplace/listing/logo.png" in z.text("README.md")
    assert bundle.sha256 != embedded.sha256  # a different choice, a different (but again reproducible) bundle
    assert export(version, alice, options).sha256 == bundle.sha256


def test_model_data_is_embedded_or_referenced_at_its_model_data_uri(ready_listing, alice, rita):
    from tests.export.conftest import approve

    attach(ready_listing, kind="model_data", content=b"\x1f\x8b" + bytes(5000), name="model.tar.gz",
           content_type="application/gzip", actor=alice)
    version = approve(ready_listing, alice, rita)
    z = Unzipped(bundle_bytes(export(version, alice)))
    assert "artifacts/model/model.tar.gz" in z.names
    assert "aws s3 cp artifacts/model/model.tar.gz s3://example-seller-artifacts/sentiment-en/1.0.0/model.tar.gz" \
        in z.text("README.md")
    referenced = export(version, alice, ExportOptions(reference_large_files=True, reference_min_bytes=4096,
                                                       reference_prefix="s3://seller-artifacts/x"))
    z = Unzipped(bundle_bytes(referenced))
    entry = next(f for f in z.manifest["files"] if f["path"] == "artifacts/model/model.tar.gz")
    assert entry["embedded"] is False and entry["uri"] == version.snapshot["aws"]["model_data_uri"]


# ------------------------------------------------------------------------------------------------ streaming


def test_writing_streams_with_flat_memory(approved_model_package, rita, tmp_path):
    """A 64 MiB artifact goes through a bounded buffer: Python's peak allocation stays a few MiB."""
    from listings.storage import sha256_of, store_file

    big = tmp_path / "weights.bin"
    with open(big, "wb") as fh:
        for i in range(64):
            fh.write(bytes([i]) * (1 << 20))
    with open(big, "rb") as fh:
        digest, size = sha256_of(fh)
    store_file(big, sha256=digest)
    version = _derived_version(approved_model_package, rita, add=[
        {"kind": "model_data", "name": "weights.bin", "sha256": digest, "size": size,
         "content_type": "application/octet-stream", "tags": {}}])
    plan = plan_bundle(version)
    assert plan.embedded_bytes > 64 << 20

    class Sink:
        def write(self, data):
            return len(data)

    tracemalloc.start()
    try:
        sha256, written = write_bundle(plan, Sink())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert written > 64 << 20
    assert peak < 8 << 20, f"peak {peak / 2**20:.1f} MiB"
