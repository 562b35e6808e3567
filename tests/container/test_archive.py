"""Reading archives: every layout we accept, and every way a hostile or broken upload must fail cleanly."""

from __future__ import annotations

import gzip
import json
import tarfile

import pytest

from tests.container import imagebuild as ib
from tests.container.helpers import all_failed, analyse, failed, outcomes
from validation.container import ReadLimits, analyse_image
from validation.container.tarstream import ChunkSource, TarReader


def _good(tmp_path, fmt: str):
    layers = ib.good_serve_layers()
    cfg = ib.config(layers)
    path = tmp_path / f"{fmt}.tar"
    if fmt == "docker":
        return ib.docker_save(path, layers, cfg)
    if fmt == "docker25":
        return ib.docker_save(path, layers, cfg, new_format=True)
    return ib.oci_layout(path, [(layers, cfg)], compression=fmt.split("-")[1])


@pytest.mark.parametrize("fmt", ["docker", "docker25", "oci-gzip", "oci-zstd", "oci-none"])
def test_good_image_reads_cleanly_in_every_layout(tmp_path, fmt):
    report, fs = analyse(_good(tmp_path, fmt))
    assert report.complete, report.problems
    assert report.problems == []
    assert all_failed(fs) == set()
    assert report.format == ("oci" if fmt.startswith("oci") else "docker-save")
    assert report.executables["serve"] == "/opt/program/serve"
    assert [lr.files for lr in report.layers] == [6, 5]
    assert report.layers[0].size_uncompressed > 1_000_000  # busybox
    assert report.layers[1].compression == (fmt.split("-")[1] if fmt.startswith("oci") else "none")
    assert report.layers[0].created_by == "RUN /bin/sh -c build step 0"
    assert json.dumps(report.as_dict())  # JSON-serialisable as it is


def test_docker_save_deduplicated_layer_symlink(tmp_path):
    base = ib.layer_tar(ib.base_layer())
    layers = [base, ib.layer_tar({"opt/program/serve": ib.exe("#!/bin/sh\n")}), base]
    path = ib.docker_save(tmp_path / "d.tar", layers, ib.config(layers), dedup_symlink=True)
    report, fs = analyse(path)
    assert report.complete and not report.problems
    assert report.overwritten_bytes > 1_000_000  # layer 2 rewrites busybox: counted as waste


def test_progress_reports_bytes_up_to_the_total(tmp_path):
    seen: list[tuple[int, int]] = []
    analyse_image(_good(tmp_path, "oci-gzip"), {}, lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1]
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_progress_callback_errors_reach_the_caller(tmp_path):
    class Cancelled(Exception):
        pass

    def cancel(done: int, total: int) -> None:
        raise Cancelled

    with pytest.raises(Cancelled):
        analyse_image(_good(tmp_path, "docker"), {}, cancel)


def test_index_prefers_amd64_and_skips_attestations(tmp_path):
    amd = ib.good_serve_layers()
    arm = ib.good_serve_layers(**{"opt/program/arm": "arm"})
    path = ib.oci_layout(tmp_path / "multi.tar",
                         [(arm, ib.config(arm, architecture="arm64")), (amd, ib.config(amd))],
                         platforms=["linux/arm64", "linux/amd64"], attestation=True)
    report, fs = analyse(path)
    assert report.config.architecture == "amd64"
    assert report.platforms_available == ["linux/arm64", "linux/amd64"]
    graviton = {"kind": "model_package", "instance_types": {"realtime": ["ml.c7g.xlarge"]}}
    report, fs = analyse(path, graviton)
    assert report.config.architecture == "arm64"
    assert outcomes(fs, "container.E010") == {"passed"}


def test_long_names_and_pax_headers(tmp_path):
    deep = "opt/program/" + "/".join(["d" * 60] * 4) + "/model.py"
    layers = ib.good_serve_layers(**{deep: "x = 1\n"})
    report, _ = analyse(ib.docker_save(tmp_path / "long.tar", layers, ib.config(layers)))
    assert report.complete and report.files_final == 10 and report.text_bytes_scanned > 0


def test_chunk_source_splits_headers_across_chunks():
    data = ib.layer_tar({"a": "1" * 700, "b/c": "2", "d": ib.F(type="symlink", link="a")})
    chunks = iter([data[i:i + 7] for i in range(0, len(data), 7)])
    reader = TarReader(ChunkSource(chunks))
    names = []
    for entry in reader:
        names.append((entry.name, entry.size, reader.read_data(3)))
    assert names == [("a", 700, b"111"), ("b/c", 1, b"2"), ("d", 0, b"")]
    assert reader.ended_cleanly


# -- broken and hostile archives: a finding each, never an exception -----------------------------------------

@pytest.mark.parametrize("fraction", [0.0001, 0.1, 0.5, 0.9, 0.999])
@pytest.mark.parametrize("fmt", ["docker", "oci-gzip"])
def test_truncated_archive_is_a_finding(tmp_path, fmt, fraction):
    path = _good(tmp_path, fmt)
    data = path.read_bytes()
    content = len(data.rstrip(b"\0")) + 1  # cut inside the members, not in the trailing record padding
    path.write_bytes(data[: int(content * fraction)])
    report, fs = analyse(path)
    assert failed(fs, "container.E001") or failed(fs, "container.E002") or failed(fs, "container.E003")
    if fraction < 0.99:  # near the end only small JSON members or the end marker are lost
        assert not report.complete


def test_archive_without_end_marker_is_truncated(tmp_path):
    path = _good(tmp_path, "docker")
    data = path.read_bytes().rstrip(b"\0")
    path.write_bytes(data + bytes(-len(data) % 512))
    _, fs = analyse(path)
    assert any("truncated" in f.message for f in failed(fs, "container.E001"))


def test_not_a_tar_and_compressed_outer_archive(tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"this is not an image" * 100)
    _, fs = analyse(junk)
    assert failed(fs, "container.E001")
    assert outcomes(fs, "container.E011") == outcomes(fs, "container.E004") == {"not_run"}
    from validation.container.verdicts import CODES

    assert {f.code for f in fs} == set(CODES)  # every rule says something, even when nothing could be read
    gz = tmp_path / "image.tar.gz"
    gz.write_bytes(gzip.compress(_good(tmp_path, "docker").read_bytes()))
    _, fs = analyse(gz)
    assert "decompress it first" in failed(fs, "container.E001")[0].message
    _, fs = analyse(tmp_path / "missing.tar")
    assert failed(fs, "container.E001")


def test_garbage_manifest(tmp_path):
    layers = ib.good_serve_layers()
    path = ib.docker_save(tmp_path / "g.tar", layers, ib.config(layers), manifest=b"{not json")
    _, fs = analyse(path)
    assert "not valid JSON" in failed(fs, "container.E002")[0].message
    path = ib.oci_layout(tmp_path / "o.tar", [(layers, ib.config(layers))], index=b'{"manifests": 7}')
    _, fs = analyse(path)
    assert failed(fs, "container.E002")


def test_config_diff_ids_must_match_layers(tmp_path):
    layers = ib.good_serve_layers()
    cfg = ib.config(layers)
    cfg["rootfs"]["diff_ids"].pop()
    _, fs = analyse(ib.docker_save(tmp_path / "c.tar", layers, cfg))
    assert "diff_ids" in failed(fs, "container.E002")[0].message


def test_missing_blob(tmp_path):
    layers = ib.good_serve_layers()
    _, fs = analyse(ib.oci_layout(tmp_path / "o.tar", [(layers, ib.config(layers))], omit_layer=1))
    assert failed(fs, "container.E003")[0].location == "layer:1"
    path = ib.docker_save(tmp_path / "d.tar", layers, ib.config(layers), new_format=True,
                          omit=(f"blobs/sha256/{ib._sha(layers[0])}",))
    _, fs = analyse(path)
    assert failed(fs, "container.E003")


def _flip_last_byte_of_file(i: int, tar: bytes) -> bytes:
    if i != 1:
        return tar
    pos = tar.index(b"__version__")  # inside a member's data: still a valid tar, different bytes
    return tar[:pos] + b"__VERSION__" + tar[pos + 11:]


def test_digest_mismatch_docker_diff_id(tmp_path):
    layers = ib.good_serve_layers()
    path = ib.docker_save(tmp_path / "d.tar", layers, ib.config(layers), mutate_layer=_flip_last_byte_of_file)
    report, fs = analyse(path)
    [f] = failed(fs, "container.E004")
    assert f.location == "layer:1" and "diff_id" in f.message
    assert not report.layers[1].complete and not report.complete


def test_digest_mismatch_oci_blob(tmp_path):
    layers = ib.good_serve_layers()

    def alter(i: int, blob: bytes) -> bytes:
        return ib.compress(_flip_last_byte_of_file(1, layers[1]), "gzip") if i == 1 else blob

    path = ib.oci_layout(tmp_path / "o.tar", [(layers, ib.config(layers))], mutate_layer=alter)
    _, fs = analyse(path)
    messages = " ".join(f.message for f in failed(fs, "container.E004"))
    assert "blob" in messages


def test_path_traversal_and_escaping_links(tmp_path):
    evil = ib.layer_tar({
        "../../etc/cron.d/evil": "* * * * * root sh\n",
        "/etc/passwd": "root::0:0::/:/bin/sh\n",
        "opt/up": ib.F(type="symlink", link="../../../../etc/shadow"),
        "opt/abs": ib.F(type="symlink", link="/usr/bin/python3"),  # fine: resolved inside the root
        "opt/hl": ib.F(type="hardlink", link="../../host/file"),
        "opt/door": ib.F(type="symlink", link="/"),
        "opt/door/etc/sudoers": "ALL ALL=(ALL) NOPASSWD: ALL\n",  # written through a symlink
    })
    layers = [ib.layer_tar(ib.base_layer()), evil]
    report, fs = analyse(ib.docker_save(tmp_path / "evil.tar", layers, ib.config(layers)))
    assert len(failed(fs, "container.E006")) == 2
    e007 = " ".join(f.message for f in failed(fs, "container.E007"))
    assert "climbs out" in e007 and "Hard link" in e007 and "through the symbolic link" in e007
    assert report.absolute_symlinks == 2  # opt/abs and opt/door are counted, not failed


def test_device_nodes(tmp_path):
    dev = ib.layer_tar({"dev/sda": ib.F(type="blk", major=8, minor=0),
                        "dev/mem": ib.F(type="chr", major=1, minor=1), "run/fifo": ib.F(type="fifo")})
    layers = [ib.layer_tar(ib.base_layer()), dev]
    _, fs = analyse(ib.docker_save(tmp_path / "dev.tar", layers, ib.config(layers)))
    assert len(failed(fs, "container.E008")) == 2


def test_gzip_bomb_default_limits(tmp_path):
    bomb = ib.layer_tar({"opt/zeros.bin": bytes(40 * 1024 * 1024)})
    layers = [ib.layer_tar(ib.base_layer()), bomb]
    path = ib.oci_layout(tmp_path / "bomb.tar", [(layers, ib.config(layers))], compression="gzip")
    assert path.stat().st_size < 2_000_000 + 200_000
    report, fs = analyse(path)
    [f] = failed(fs, "container.E005")
    assert "decompression bomb" in f.message and f.location == "layer:1"
    assert 16 * 1024 * 1024 < report.layers[1].size_uncompressed < 40 * 1024 * 1024  # stopped early


@pytest.mark.parametrize("compression", ["gzip", "zstd"])
def test_bomb_limits_are_configurable(tmp_path, compression):
    layers = [ib.layer_tar(ib.base_layer()), ib.layer_tar({"opt/zeros.bin": bytes(4 * 1024 * 1024)})]
    path = ib.oci_layout(tmp_path / "b.tar", [(layers, ib.config(layers))], compression=compression)
    limits = ReadLimits(max_ratio=20, ratio_floor=1024 * 1024)
    report = analyse_image(path, {}, limits=limits)
    assert [p.code for p in report.problems] == ["container.E005"]
    limits = ReadLimits(max_layer_uncompressed=1024 * 1024)
    report = analyse_image(path, {}, limits=limits)
    assert {p.code for p in report.problems} == {"container.E005"}


def test_too_many_entries_is_a_bomb_too(tmp_path):
    many = ib.layer_tar({f"opt/f{i}": "" for i in range(300)})
    layers = [many]
    report = analyse_image(ib.docker_save(tmp_path / "m.tar", layers, ib.config(layers)), {},
                           limits=ReadLimits(max_entries=100))
    assert report.problems[0].code == "container.E005"


def test_outer_member_link_escaping_archive(tmp_path):
    layers = ib.good_serve_layers()
    path = ib.docker_save(tmp_path / "d.tar", layers, ib.config(layers))
    # Re-write the archive with the first layer replaced by a symlink that leaves the archive.
    src = tarfile.open(path)
    out = tmp_path / "evil.tar"
    replaced = False
    with tarfile.open(out, "w") as dst:
        for m in src.getmembers():
            if m.name.endswith("layer.tar") and not replaced:
                replaced = True
                link = tarfile.TarInfo(m.name)
                link.type, link.linkname = tarfile.SYMTYPE, "../../../etc/passwd"
                dst.addfile(link)
            else:
                dst.addfile(m, src.extractfile(m) if m.isfile() else None)
    src.close()
    _, fs = analyse(out)
    assert "links outside the archive" in failed(fs, "container.E007")[0].message


def test_bytes_after_gzip_stream_and_concatenated_members(tmp_path):
    layers = ib.good_serve_layers()
    half = len(layers[1]) // 2

    def multi(i: int, blob: bytes) -> bytes:  # two gzip members, as pigz can write
        return gzip.compress(layers[1][:half], mtime=0) + gzip.compress(layers[1][half:], mtime=0) if i == 1 else blob

    report, fs = analyse(ib.oci_layout(tmp_path / "m.tar", [(layers, ib.config(layers))], mutate_layer=multi))
    assert report.layers[1].files == 5 and not failed(fs, "container.E001")
    assert failed(fs, "container.E004")  # the blob bytes differ from the manifest's digest, as they should


def test_tar_checksum_error_in_layer(tmp_path):
    layers = ib.good_serve_layers()

    def corrupt(i: int, tar: bytes) -> bytes:
        return tar[:100] + b"\xff" * 8 + tar[108:] if i == 1 else tar  # the mode field of the first header

    report, fs = analyse(ib.docker_save(tmp_path / "c.tar", layers, ib.config(layers), mutate_layer=corrupt))
    assert failed(fs, "container.E001") and failed(fs, "container.E004")
