"""Archives written by a real tool (Debian's skopeo) read the same as ours: docker-archive and zstd OCI."""

from __future__ import annotations

import shutil
import subprocess


from tests.container import imagebuild as ib
from tests.container.helpers import all_failed, analyse

SKOPEO = shutil.which("skopeo")
# Real parts only, never a skip: `make test` installs skopeo (scripts/ensure-test-deps.sh).
assert SKOPEO is not None, "skopeo is needed: run `make test`, which installs it"


def _copy(src: str, dst: str, *extra: str) -> None:
    subprocess.run([SKOPEO, "copy", "--insecure-policy", *extra, src, dst], check=True, capture_output=True,
                   timeout=120)


def test_skopeo_docker_archive_and_zstd_oci(tmp_path):
    layers = ib.good_serve_layers()
    cfg = ib.config(layers)
    oci = ib.oci_layout(tmp_path / "ours-oci.tar", [(layers, cfg)], compression="gzip")
    docker = ib.docker_save(tmp_path / "ours-docker.tar", layers, cfg)
    _copy(f"oci-archive:{oci}", f"docker-archive:{tmp_path / 'skopeo-docker.tar'}:seller/model:1")
    _copy(f"docker-archive:{docker}", f"oci-archive:{tmp_path / 'skopeo-zstd.tar'}", "--dest-compress-format", "zstd")
    for name, fmt, compression in (("skopeo-docker.tar", "docker-save", "none"), ("skopeo-zstd.tar", "oci", "zstd")):
        report, fs = analyse(tmp_path / name)
        assert (report.format, report.complete, all_failed(fs)) == (fmt, True, set()), report.problems
        assert {lr.compression for lr in report.layers} == {compression}
        assert {p.name for p in report.packages} == {"busybox-static", "torch"}
        assert report.executables["serve"] == "/opt/program/serve"
