"""What the analysis finds inside images: waste, caches, secrets, GPU bits, commands, users, frameworks."""

from __future__ import annotations

import json
import os

from tests.container import imagebuild as ib
from tests.container.helpers import all_failed, analyse, failed, listing, outcomes
from validation.findings import Outcome

AWS_KEY = "AKIA" + "Q3EGRAVITONTEST7"  # shaped like an access key id; not a real one
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz"


def _save(tmp_path, layers, name="img.tar", **cfg):
    return ib.docker_save(tmp_path / name, layers, ib.config(layers, **cfg))


def test_whiteout_of_a_big_file_is_waste(tmp_path):
    big = os.urandom(3 * 1024 * 1024)
    layers = ib.good_serve_layers(**{"opt/model/weights.bin": big, "opt/model/keep.txt": "k"})
    layers.append(ib.layer_tar({"opt/model/.wh.weights.bin": b""}))
    report, fs = analyse(_save(tmp_path, layers))
    assert report.deleted_bytes == len(big)
    assert report.layers[1].wasted_bytes == len(big)
    top = report.top_wasted[0]
    assert (top.path, top.layer, top.hidden_by, top.how) == ("/opt/model/weights.bin", 1, 2, "deleted")
    [f] = failed(fs, "container.W023")
    assert "/opt/model/weights.bin" in f.message and f.location == "layer:1:/opt/model/weights.bin"
    assert report.efficiency < 0.6


def test_opaque_directory_and_overwrite(tmp_path):
    layers = [
        ib.layer_tar(ib.base_layer(**{"opt/data/a.bin": b"a" * 5000, "opt/data/sub/b.bin": b"b" * 7000,
                                      "opt/conf.txt": "x" * 300})),
        ib.layer_tar({"opt/data/": ib.F(type="dir"), "opt/data/.wh..wh..opq": b"", "opt/data/new.bin": b"n" * 10,
                      "opt/conf.txt": "y" * 100, "opt/program/serve": ib.exe("#!/bin/sh\n")}),
    ]
    report, _ = analyse(_save(tmp_path, layers))
    assert report.deleted_bytes == 12000 and report.overwritten_bytes == 300
    paths = {w.path for w in report.top_wasted}
    assert {"/opt/data/a.bin", "/opt/data/sub/b.bin", "/opt/conf.txt"} <= paths
    assert report.files_final == 4 + 3  # base files + new.bin, conf.txt, serve


def test_caches_left_behind(tmp_path):
    layers = ib.good_serve_layers(**{
        "root/.cache/pip/http/a/b/c/blob": os.urandom(2 * 1024 * 1024),
        "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease": "x" * 1000,
        "var/lib/apt/lists/lock": "",
        "opt/conda/pkgs/numpy-1.26.0/info/index.json": "{}",
    })
    report, fs = analyse(_save(tmp_path, layers))
    kinds = {c.kind: (c.path, c.files) for c in report.caches}
    assert kinds["pip"] == ("/root/.cache/pip", 1)
    assert kinds["apt-lists"] == ("/var/lib/apt/lists", 1)
    assert kinds["conda-pkgs"][0] == "/opt/conda/pkgs"
    assert any(f.location == "path:/root/.cache/pip" for f in failed(fs, "container.W024"))


def test_secrets_in_files_env_history_are_found_and_masked(tmp_path):
    layers = ib.good_serve_layers(**{
        "opt/program/settings.py": f"AWS_ACCESS_KEY_ID = '{AWS_KEY}'\n",
        "root/.aws/credentials": f"[default]\naws_secret_access_key = {AWS_SECRET}\n",
        "opt/program/deploy_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
                                  "-----END OPENSSH PRIVATE KEY-----\n",
        "opt/program/.env": "DB_PASSWORD=hunter2\n",
    })
    layers.append(ib.layer_tar({"opt/program/.wh.deploy_key": b""}))  # deleting it later does not help
    path = _save(tmp_path, layers, env={"AWS_SECRET_ACCESS_KEY": AWS_SECRET, "TOKENIZERS_PARALLELISM": "false"},
                 history=["COPY . /", "RUN |1 HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyzABCDEFGH /bin/sh -c make",
                          "RUN rm deploy_key"])
    report, fs = analyse(path)
    e020 = failed(fs, "container.E020")
    where = {f.location for f in e020}
    assert "env:AWS_SECRET_ACCESS_KEY" in where
    assert "layer:1:/opt/program/settings.py:line 1" in where
    assert any(loc.startswith("layer:1:/root/.aws/credentials") for loc in where)
    w021 = failed(fs, "container.W021")
    assert any("deleted by a later layer" in f.message for f in w021)
    assert any(f.location.startswith("history:1") for f in w021)
    assert any(f.location == "layer:1:/opt/program/.env" for f in w021)
    dumped = json.dumps(report.as_dict()) + json.dumps([f.as_dict() for f in fs])
    for secret in (AWS_KEY, AWS_SECRET, "hunter2", "hf_abcdefghijklmnopqrstuvwxyz"):
        assert secret not in dumped
    assert report.config.env["TOKENIZERS_PARALLELISM"] == "false"
    assert "hf_abcdef" not in report.layers[1].created_by
    labelled = _save(tmp_path, ib.good_serve_layers(), name="label.tar", labels={"token": f"id {AWS_KEY}"},
                     cmd=["serve", "--api_key=s3cr3tvalue"])
    report, fs = analyse(labelled)
    assert AWS_KEY not in json.dumps(report.as_dict()) and "s3cr3tvalue" not in json.dumps(report.as_dict())
    assert any(f.location == "label:token" for f in failed(fs, "container.E020"))


def test_arm64_image_against_x86_types(tmp_path):
    layers = ib.good_serve_layers()
    path = _save(tmp_path, layers, architecture="arm64")
    _, fs = analyse(path)
    [f] = failed(fs, "container.E010")
    assert "ml.m5.large" in f.message and "x86_64" in f.message
    graviton = listing(instance_types={"realtime": ["ml.c7g.xlarge"], "batch": ["ml.m6g.large"]})
    _, fs = analyse(path, graviton)
    assert outcomes(fs, "container.E010") == {"passed"}
    _, fs = analyse(_save(tmp_path, layers, name="amd.tar"), graviton)
    assert failed(fs, "container.E010")
    _, fs = analyse(_save(tmp_path, layers, name="win.tar", os="windows"))
    assert "windows" in failed(fs, "container.E010")[0].message


def test_bundled_nvidia_driver_and_cuda(tmp_path):
    cuda = {"usr/local/cuda/lib64/libcudart.so.12": b"\x7fELF", "usr/local/cuda/lib64/stubs/libcuda.so": b"stub",
            "usr/local/cuda/compat/libcuda.so.550.54": b"compat"}
    layers = ib.good_serve_layers(**cuda, **{"usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05": b"\x7fELF",
                                             "usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1": b"\x7fELF"})
    report, fs = analyse(_save(tmp_path, layers))
    assert report.nvidia_driver_files == ["/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05",
                                          "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1"]
    assert failed(fs, "container.E016")
    assert failed(fs, "container.W017")  # CUDA inside, CPU types only
    gpu = listing(instance_types={"realtime": ["ml.g5.xlarge"], "batch": ["ml.m5.large"]})
    _, fs = analyse(_save(tmp_path, ib.good_serve_layers(**cuda), name="ok.tar"), gpu)
    assert outcomes(fs, "container.E016") == {"passed"} and outcomes(fs, "container.W017") == {"passed"}
    _, fs = analyse(_save(tmp_path, ib.good_serve_layers(), name="cpu.tar"), gpu)
    assert failed(fs, "container.W018")


def test_shell_form_entrypoint(tmp_path):
    path = _save(tmp_path, ib.good_serve_layers(), entrypoint=["/bin/sh", "-c", "python /opt/program/serve.py"])
    _, fs = analyse(path)
    assert failed(fs, "container.E013")
    assert outcomes(fs, "container.E011") == {"not_run"}


def test_exec_form_entrypoint_must_exist(tmp_path):
    layers = ib.good_serve_layers()
    _, fs = analyse(_save(tmp_path, layers, entrypoint=["/opt/program/serve"]))
    assert outcomes(fs, "container.E011") == {"passed"}
    _, fs = analyse(_save(tmp_path, layers, name="sh.tar", entrypoint=["sh", "/opt/program/serve"]))
    assert outcomes(fs, "container.E011") == {"passed"}  # found via PATH and the bin/sh → busybox link
    _, fs = analyse(_save(tmp_path, layers, name="missing.tar", entrypoint=["/usr/bin/python3", "serve.py"]))
    assert "/usr/bin/python3" in failed(fs, "container.E011")[0].message


def test_no_serve_and_algorithm_needs_train(tmp_path):
    layers = [ib.layer_tar(ib.base_layer())]
    _, fs = analyse(_save(tmp_path, layers, cmd=["python", "app.py"]))
    assert "CMD" in failed(fs, "container.E011")[0].message
    algo = listing(kind="algorithm")
    _, fs = analyse(_save(tmp_path, ib.good_serve_layers(), name="algo.tar"), algo)
    assert failed(fs, "container.E012") and outcomes(fs, "container.E011") == {"passed"}


def test_user_nobody(tmp_path):
    _, fs = analyse(_save(tmp_path, ib.good_serve_layers(), user="nobody"))
    assert failed(fs, "container.E014")[0].measured == {"user": "nobody"}
    _, fs = analyse(_save(tmp_path, ib.good_serve_layers(), name="root.tar", user="0:0"))
    assert outcomes(fs, "container.E014") == {"passed"}


def test_ports_and_bind_label(tmp_path):
    _, fs = analyse(_save(tmp_path, ib.good_serve_layers(), exposed=("5000/tcp",)))
    assert failed(fs, "container.W015")
    label = {"com.amazonaws.sagemaker.capabilities.accept-bind-to-port": "true"}
    _, fs = analyse(_save(tmp_path, ib.good_serve_layers(), name="l.tar", exposed=("5000/tcp",), labels=label))
    assert outcomes(fs, "container.W015") == {"passed"}


def test_framework_declared_vs_found(tmp_path):
    path = _save(tmp_path, ib.good_serve_layers())
    report, fs = analyse(path, listing(endpoint={"framework": "TensorFlow"}))
    assert [p.name for p in report.frameworks] == ["pytorch"]
    assert "pytorch 2.1.0" in failed(fs, "container.W019")[0].message
    _, fs = analyse(path, listing(endpoint={"framework": "pytorch", "framework_version": "1.13"}))
    assert failed(fs, "container.W019")[0].location == "field:framework_version"
    _, fs = analyse(path, listing(endpoint={"framework": "custom"}))
    assert outcomes(fs, "container.W019") == {"passed"}


def test_run_time_download_hints(tmp_path):
    layers = ib.good_serve_layers(**{
        "opt/program/model.py": "from transformers import AutoModel\n"
                                "m = AutoModel.from_pretrained('bert-base-uncased')\n"
                                "ok = AutoModel.from_pretrained('/opt/ml/model')\n"
                                "ok2 = AutoModel.from_pretrained('x/y', local_files_only=True)\n",
        "opt/program/start.sh": ib.exe("#!/bin/sh\npip install -r /opt/program/requirements.txt\nexec serve\n"),
        "usr/local/lib/python3.11/site-packages/lib/hub.py": "snapshot_download('a/b')\n",  # library code: ignored
    })
    cmd = ["sh", "-c", "curl -fsSL https://example.com/m.bin -o /m && serve"]
    report, fs = analyse(_save(tmp_path, layers, cmd=cmd))
    kinds = sorted((h.kind, h.location) for h in report.download_hints)
    assert kinds == [("curl", "config:entrypoint/cmd"), ("from-pretrained", "layer:1:/opt/program/model.py:line 2"),
                     ("pip-install", "layer:1:/opt/program/start.sh:line 2")]
    assert len(failed(fs, "container.W022")) == 3
    report, _ = analyse(_save(tmp_path, layers, name="off.tar", env={"HF_HUB_OFFLINE": "1"}))
    assert [h.kind for h in report.download_hints] == ["pip-install"]


def test_good_image_has_no_failures_and_every_code_reported(tmp_path):
    from validation.container.verdicts import CODES

    report, fs = analyse(_save(tmp_path, ib.good_serve_layers()))
    assert all_failed(fs) == set()
    assert {f.code for f in fs} == set(CODES)
    assert all(f.outcome != Outcome.FAILED for f in fs)
