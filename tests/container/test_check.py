"""The registered check, the rules catalog entries and the module's size discipline."""

from __future__ import annotations

from pathlib import Path

from tests.container import imagebuild as ib
from validation.checks.container_static import container_static
from validation.checks.registry import REGISTRY, STAGE_IMAGE_STATIC, ArtifactFile, Subject
from validation.findings import Outcome
from validation.rules.base import SOURCES
from validation.rules.container import RULES
from validation.container.verdicts import CODES

LISTING = {"kind": "model_package", "instance_types": {"realtime": ["ml.m5.large"]}, "endpoint": {}}


def test_registered_with_every_code():
    check = REGISTRY["container.static"]
    assert check.stage == STAGE_IMAGE_STATIC
    assert set(check.codes) == {r.code for r in RULES} == set(CODES)


def test_no_image_means_not_run():
    fs = list(container_static(Subject(LISTING)))
    assert {f.outcome for f in fs} == {Outcome.NOT_RUN}
    assert {f.code for f in fs} == set(CODES)


def test_image_artifact_is_analysed(tmp_path):
    layers = ib.good_serve_layers()
    path = ib.docker_save(tmp_path / "i.tar", layers, ib.config(layers, user="nobody"))
    subject = Subject(LISTING, (ArtifactFile("image", path, "model.tar"),))
    fs = list(container_static(subject))
    assert [f.code for f in fs if f.outcome == Outcome.FAILED] == ["container.E014"]
    assert all(f.location for f in fs)


def test_rules_are_well_formed():
    for r in RULES:
        assert r.code.startswith("container.") and r.code.split(".")[1][0] in "EWI"
        assert r.source in SOURCES and r.url.startswith("https://")
        assert r.hint_text() and r.section in ("4", "5")
        assert r.severity.value[0].upper() == r.code.split(".")[1][0]


def test_modules_stay_small():
    root = Path(__file__).resolve().parents[2] / "validation" / "container"
    sizes = {p.name: len(p.read_text().splitlines()) for p in root.glob("*.py")}
    assert max(sizes.values()) <= 330, sizes
