"""``sbom/`` in the bundle: the SBOM kept with the validation run, or one made from the uploaded image."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from listings.export.sbom import sbom_key
from listings.export.service import plan_bundle
from listings.models import ListingVersion, VersionStatus
from listings.storage import artifact_storage, sha256_of, store_file
from tests.container import imagebuild as ib

pytestmark = pytest.mark.django_db


def _with_image(version: ListingVersion, reviewer, tmp_path) -> tuple[ListingVersion, str]:
    archive = ib.docker_save(tmp_path / "serve.tar", ib.good_serve_layers(), ib.config(ib.good_serve_layers()))
    with open(archive, "rb") as fh:
        digest, size = sha256_of(fh)
    store_file(archive, sha256=digest)
    snapshot = dict(version.snapshot)
    snapshot["artifacts"] = snapshot["artifacts"] + [
        {"kind": "image", "name": "serve.tar", "sha256": digest, "size": size, "content_type": "application/x-tar",
         "tags": {}}]
    derived = ListingVersion.objects.create(
        listing=version.listing, number=version.number + 1, snapshot=snapshot, content_hash=version.content_hash,
        status=VersionStatus.APPROVED, validation_run=version.validation_run, created_by=version.created_by,
        decided_by=reviewer, decided_at=version.decided_at + timedelta(minutes=1))
    return derived, digest


def test_the_sbom_kept_with_the_run_goes_into_the_bundle_as_it_is(approved_model_package):
    from validation.models import RunReport

    bom = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [{"name": "torch"}]}
    RunReport.objects.create(run=approved_model_package.validation_run, kind="sbom", label="serve.tar", data=bom,
                             content_type="application/vnd.cyclonedx+json")
    RunReport.objects.create(run=approved_model_package.validation_run, kind="sbom", label="train.tar",
                             data={"omitted": "too large"})  # a stand-in, not an SBOM: left out
    files = {f.arcname: f for f in plan_bundle(approved_model_package).files}
    assert json.loads(files["sbom/image.cdx.json"].data) == bom
    assert [a for a in files if a.startswith("sbom/")] == ["sbom/image.cdx.json"]


def test_without_a_kept_sbom_the_uploaded_image_is_analysed_once_and_reproducibly(approved_model_package, rita,
                                                                                tmp_path):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    version, digest = _with_image(approved_model_package, rita, tmp_path)
    artifact_storage().delete(sbom_key(digest))
    files = {f.arcname: f for f in plan_bundle(version).files}
    data = files["sbom/image.cdx.json"].data
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(data.decode()) is None
    bom = json.loads(data)
    assert "timestamp" not in bom.get("metadata", {})
    assert {c["name"] for c in bom["components"]} >= {"torch", "busybox-static"}
    assert artifact_storage().exists(sbom_key(digest))  # kept for the next export
    again = {f.arcname: f for f in plan_bundle(version).files}
    assert again["sbom/image.cdx.json"].data == data
    assert "artifacts/image/serve.tar" in files
