"""The rehearsal run, for real: tiny busybox images run in Linux namespaces (bubblewrap), no mocks.

Budgets are shortened (seconds instead of minutes) so the whole file runs in well under a minute. Every
test checks that the scratch folder is gone afterwards; the unpack tests check that nothing is written
outside the root folder.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import tarfile
import uuid
from pathlib import Path

import pytest

from tests.container import imagebuild as ib
from tests.container import rehearsal_images as ri
from validation.container.rehearsal import (
    CODES, Budgets, DockerRunner, NamespaceRunner, NoRunner, available_runner, engine_ping, rehearse,
)
from validation.findings import Outcome


FAST = Budgets(startup=8.0, startup_warn=4.0, sigterm_grace=3.0, invoke_realtime=5.0, invoke_batch=5.0,
               ping_interval=0.1, memory_bytes=512 * 1024 * 1024, total=60.0, train=10.0)
LISTING = {
    "kind": "model_package",
    "endpoint": {"input_content_types": ["text/csv"], "response_mime_types": ["text/csv"],
                 "batch_strategy": "MultiRecord", "max_payload_mb": 6, "environment": {}},
    "pricing": {"model": "hourly"},
}
METERING = 'X-Amzn-Inference-Metering: {"Dimension": "inference.count", "ConsumedUnits": 2}'


def test_namespace_runner_is_available():
    # No skipping: CI must really run containers (root, bubblewrap, util-linux nsenter, iproute2).
    ok, why = NamespaceRunner().available()
    assert ok, why


@pytest.fixture
def scratch(tmp_path):
    root = tmp_path / "scratch"
    root.mkdir()
    yield root
    assert list(root.iterdir()) == [], "the rehearsal left files in its scratch folder"


def sample(tmp_path: Path, name: str, data: str, mode: str = "realtime", direction: str = "input",
           ctype: str = "text/csv") -> dict:
    path = tmp_path / name
    path.write_text(data)
    return {"path": path, "name": name, "tags": {"mode": mode, "direction": direction, "content_type": ctype}}


def model_tar(tmp_path: Path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "model.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def tree(folder: Path, skip: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``folder`` but ``skip``, with size and mtime: what a run may not change."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if Path(dirpath, d) != skip]
        for name in dirnames + filenames:
            st = os.lstat(Path(dirpath, name))
            out[os.path.join(dirpath, name)] = (st.st_size, st.st_mtime_ns)
    return out


def run(tmp_path, scratch, layers, *, listing=LISTING, samples=(), model=None, budgets=FAST, oci=False,
        progress=None, **cfg):
    image = ri.build(tmp_path / f"image-{uuid.uuid4().hex[:6]}.tar", layers, oci=oci, **cfg)
    inputs = {"image": image, "sample_data": list(samples)}
    if model is not None:
        inputs["model_data"] = model
    before = tree(tmp_path, scratch)
    result = rehearse(inputs, listing, progress=progress, budgets=budgets, scratch_root=scratch)
    assert tree(tmp_path, scratch) == before, "the run changed files outside its scratch folder"
    return result


def outcome(result, code: str) -> set[str]:
    return {str(f.outcome) for f in result.of(code)}


def messages(result, code: str) -> str:
    return "\n".join(f.message for f in result.of(code))


def test_good_server_real_time_and_batch(tmp_path, scratch):
    seen: list[str] = []
    params = json.dumps({"MaxConcurrentTransforms": 2, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 6})
    layers = ri.server_layers(execution_parameters=params, extra_header=METERING)
    listing = {**LISTING, "pricing": {"model": "per_inference"}}
    samples = [sample(tmp_path, "a.csv", "1,2,3\n"), sample(tmp_path, "a.out.csv", "0.910000\n", direction="output"),
               sample(tmp_path, "b.csv", "4,5,6\n", mode="batch"),
               sample(tmp_path, "b.out.csv", "batch,MULTI_RECORD,6\n", mode="batch", direction="output")]
    result = run(tmp_path, scratch, layers, listing=listing, samples=samples,
                 model=model_tar(tmp_path, {"weights.txt": b"w=1\n"}), progress=seen.append)
    failed = [f"{f.code}: {f.message}" for f in result.findings if f.outcome == Outcome.FAILED]
    assert failed == []
    for code in ("rehearsal.I001", "rehearsal.E002", "rehearsal.E003", "rehearsal.E004", "rehearsal.W005",
                 "rehearsal.E006", "rehearsal.E008", "rehearsal.E009", "rehearsal.E010", "rehearsal.E011",
                 "rehearsal.W012", "rehearsal.E016", "rehearsal.E017", "rehearsal.E018", "rehearsal.E019",
                 "rehearsal.E020", "rehearsal.E029"):
        assert outcome(result, code) == {"passed"}, code
    assert {f.code for f in result.findings} == set(CODES)  # every rule answered, passed or not run with why
    assert "CSV (numbers within tolerance)" in messages(result, "rehearsal.W012")  # 0.91 vs 0.910000
    assert "SAGEMAKER_BATCH=true" in messages(result, "rehearsal.E017")
    assert '"MaxConcurrentTransforms": 2' in messages(result, "rehearsal.E016")
    assert "SAGEMAKER_MAX_CONCURRENT_TRANSFORMS=2" in messages(result, "rehearsal.E017")  # from /execution-parameters
    assert set(result.logs) == {"Real-time", "Batch"} and "batch=true" in result.logs["Batch"]
    assert any("/ping → 200" in line for line in seen) and any("SIGTERM" in line for line in seen)
    assert result.as_dict()["outbound"] == []


def test_model_read_only_tmp_writable_limits_applied_oci_and_bind_port(tmp_path, scratch):
    prelude = ("echo \"model says $(cat /opt/ml/model/weights.txt)\"\n"
               "touch /opt/ml/model/new 2>&1\n"
               "touch /etc/written 2>&1\n"
               "touch /tmp/fine && echo 'tmp is writable'\n"
               "grep 'Max data size' /proc/self/limits\n"
               "echo \"pid $$ hostname $(hostname)\"\n")
    layers = ri.server_layers(prelude=prelude)
    result = run(tmp_path, scratch, layers, samples=[sample(tmp_path, "a.csv", "1\n")], oci=True,
                 model=model_tar(tmp_path, {"weights.txt": b"w=1\n"}),
                 labels={"com.amazonaws.sagemaker.capabilities.accept-bind-to-port": "true"})
    log = result.logs["Real-time"]
    assert "model says w=1" in log and "tmp is writable" in log
    assert "/opt/ml/model/new: Read-only file system" in log and "/etc/written: Read-only file system" in log
    assert "536870912" in log  # RLIMIT_DATA from the budgets
    assert "pid 1 hostname algo-1" in log  # the program is PID 1, as under `docker run`
    assert outcome(result, "rehearsal.W021") == {"failed"}
    assert "8081" in messages(result, "rehearsal.E003")  # SAGEMAKER_BIND_TO_PORT honoured
    assert outcome(result, "rehearsal.E008") == {"passed"}
    assert not Path("/etc/written").exists()


def test_ping_503_while_loading_then_healthy(tmp_path, scratch):
    budgets = dataclasses.replace(FAST, startup_warn=0.5)
    result = run(tmp_path, scratch, ri.server_layers(load_seconds="1.5"), budgets=budgets,
                 samples=[sample(tmp_path, "a.csv", "1\n")])
    healthy = result.of("rehearsal.E004")[0]
    assert healthy.outcome == Outcome.PASSED and healthy.measured["statuses"]["503"] >= 3
    assert 1.4 < healthy.measured["healthy_after_s"] < 4
    assert outcome(result, "rehearsal.W005") == {"failed"}  # above the (shortened) recommendation
    assert outcome(result, "rehearsal.W007") == {"passed"}  # 503 while loading is right


def test_outbound_connections_are_reported(tmp_path, scratch):
    prelude = ("busybox nslookup api.example.com 2>&1 | head -3\n"
               "busybox nc -w 1 203.0.113.7 443 </dev/null 2>&1\n"
               "busybox nc -w 1 api.example.com 80 </dev/null 2>&1\n"
               "busybox ping -c 1 -W 1 198.51.100.4 >/dev/null 2>&1\n")
    seen: list[str] = []
    result = run(tmp_path, scratch, ri.server_layers(prelude=prelude), samples=[sample(tmp_path, "a.csv", "1\n")],
                 progress=seen.append)
    text = messages(result, "rehearsal.E020")
    assert outcome(result, "rehearsal.E020") == {"failed"}
    assert "DNS look-up of api.example.com" in text
    assert "TCP connection to 203.0.113.7:443" in text
    assert "TCP connection to api.example.com:80 (198.18.0.1, the address our resolver gave)" in text
    assert "ping (ICMP echo) to 198.51.100.4" in text
    kinds = {(e["kind"], e.get("name"), e.get("dst"), e.get("port")) for e in result.outbound}
    assert ("tcp", None, "203.0.113.7", 443) in kinds
    assert any("outbound DNS look-up of api.example.com" in line for line in seen)
    assert outcome(result, "rehearsal.E008") == {"passed"}  # it still served: the failure is the attempt


def test_too_slow_invocation(tmp_path, scratch):
    budgets = dataclasses.replace(FAST, invoke_realtime=1.0)
    result = run(tmp_path, scratch, ri.server_layers(invoke_sleep="3"), budgets=budgets,
                 samples=[sample(tmp_path, "a.csv", "1\n")])
    assert outcome(result, "rehearsal.E009") == {"failed"}
    assert "within 1 s" in messages(result, "rehearsal.E009")
    assert outcome(result, "rehearsal.E008") == {"failed"}


def test_sigterm_ignored_is_killed(tmp_path, scratch):
    budgets = dataclasses.replace(FAST, sigterm_grace=1.0)
    result = run(tmp_path, scratch, ri.server_layers(ignore_term="1"), budgets=budgets,
                 samples=[sample(tmp_path, "a.csv", "1\n")])
    stop = result.of("rehearsal.E018")[0]
    assert stop.outcome == Outcome.FAILED and "still running 1 s after SIGTERM; killed" in stop.message
    assert 0.9 < stop.measured["seconds"] < 2.0


def test_secrets_in_the_log_are_masked(tmp_path, scratch):
    key = "AKIAZ3MXQ7RT2VWB4N6P"
    prelude = f"echo 'loading with key {key}'\necho \"db password is $DB_PASSWORD\"\n"
    result = run(tmp_path, scratch, ri.server_layers(prelude=prelude), samples=[sample(tmp_path, "a.csv", "1\n")],
                 env={"DB_PASSWORD": "hunter2-very-secret"})
    log = result.logs["Real-time"]
    assert key not in log and "hunter2-very-secret" not in log
    assert "AKIA…(20 chars)" in log and "db password is ••••" in log
    assert outcome(result, "rehearsal.W022") == {"failed"}
    assert key not in json.dumps(result.as_dict())


def test_wrong_answers_are_explained(tmp_path, scratch):
    params = json.dumps({"MaxConcurrentTransforms": 0, "BatchStrategy": "FAST", "MaxPayloadInMB": 500})
    layers = ri.server_layers(answer='{"score": 0.87}', answer_type="application/json", execution_parameters=params)
    samples = [sample(tmp_path, "a.csv", "1\n"), sample(tmp_path, "a.out.json", '{"score": 0.91}', direction="output",
                                                        ctype="application/json")]
    result = run(tmp_path, scratch, layers, samples=samples)
    assert "answered application/json, declared: text/csv" in messages(result, "rehearsal.E011")
    assert "$.score: 0.87 instead of 0.91" in messages(result, "rehearsal.W012")
    params_msg = messages(result, "rehearsal.E016")
    assert "MaxConcurrentTransforms is 0" in params_msg and "BatchStrategy is 'FAST'" in params_msg
    assert "MaxPayloadInMB is 500" in params_msg


def test_container_that_dies_at_start(tmp_path, scratch):
    layers = ri.server_layers(prelude="echo 'cannot load model' >&2\nexit 7\n")
    result = run(tmp_path, scratch, layers, samples=[sample(tmp_path, "a.csv", "1\n")])
    died = result.of("rehearsal.E002")[0]
    assert died.outcome == Outcome.FAILED and died.measured["exit_code"] == 7
    assert "cannot load model" in died.message
    assert outcome(result, "rehearsal.E004") == {"failed"}


ALGORITHM = {
    "kind": "algorithm",
    "endpoint": {"input_content_types": ["text/csv"], "response_mime_types": ["text/csv"]},
    "hyperparameters": [{"name": "epochs", "type": "Integer", "default": "3"},
                        {"name": "fail", "type": "Categorical", "default": "no"}],
    "channels": [{"name": "train", "content_types": ["text/csv"]}],
    "metrics": [{"name": "validation:accuracy", "regex": r"validation-accuracy: ([0-9.]+)"},
                {"name": "never", "regex": r"never-printed: (\d+)"}],
    "pricing": {"model": "hourly"},
}


def train_samples(tmp_path) -> list[dict]:
    data = sample(tmp_path, "train.csv", "1,0\n0,1\n1,1\n")
    data["tags"] = {"channel": "train"}
    return [data, sample(tmp_path, "q.csv", "1,0\n"), sample(tmp_path, "q.out.csv", "0.91\n", direction="output")]


def test_algorithm_trains_then_serves_its_model(tmp_path, scratch):
    layers = ri.server_layers(answer_from_model="1")
    result = run(tmp_path, scratch, layers, listing=ALGORITHM, samples=train_samples(tmp_path))
    assert outcome(result, "rehearsal.E024") == {"passed"}
    assert "/opt/ml/model/model.txt" in messages(result, "rehearsal.E025")
    metrics = {f.location: f for f in result.of("rehearsal.W027")}
    assert metrics["field:metrics[0].regex"].outcome == Outcome.PASSED
    assert metrics["field:metrics[0].regex"].measured["values"] == ["0.91"]
    assert metrics["field:metrics[1].regex"].outcome == Outcome.FAILED
    assert outcome(result, "rehearsal.E028") == {"passed"}
    assert outcome(result, "rehearsal.E008") == {"passed"}  # answered from /opt/ml/model/model.txt
    train_log = result.logs["Train"]
    assert '"epochs":"3"' in train_log and "read 3 rows" in train_log and '"current_host": "algo-1"' in train_log


def test_algorithm_failure_file_is_reported(tmp_path, scratch):
    listing = {**ALGORITHM, "hyperparameters": [{"name": "fail", "type": "Categorical", "default": "yes"}]}
    result = run(tmp_path, scratch, ri.server_layers(), listing=listing, samples=train_samples(tmp_path))
    failed = result.of("rehearsal.E024")[0]
    assert failed.outcome == Outcome.FAILED and failed.measured["exit_code"] == 3
    assert "Invalid hyperparameter fail=yes" in failed.message
    assert outcome(result, "rehearsal.W026") == {"passed"}
    assert outcome(result, "rehearsal.E028") == {"not_run"}


def test_hostile_model_data_is_refused(tmp_path, scratch):
    target = tmp_path / f"outside-{uuid.uuid4().hex}"
    model = model_tar(tmp_path, {f"../../../../../../{target}": b"pwned"})
    result = run(tmp_path, scratch, ri.server_layers(), model=model, samples=[sample(tmp_path, "a.csv", "1\n")])
    assert outcome(result, "rehearsal.E029") == {"failed"}
    assert not target.exists()


# -- the unpacker ----------------------------------------------------------------------------------------------
def test_unpack_applies_whiteouts_and_keeps_links_inside(tmp_path):
    from validation.container.rehearsal import unpack_image

    tag = uuid.uuid4().hex
    host_tmp = Path("/tmp")
    lower = ib.layer_tar({
        "app/": ib.F(type="dir"), "app/keep.txt": "keep", "app/gone.txt": "gone",
        "data/": ib.F(type="dir"), "data/old.txt": "old", "data/sub/": ib.F(type="dir"), "data/sub/deep": "x",
        "etc/": ib.F(type="dir"), "etc/passwd": "root:x:0:0::/root:/bin/sh\n",
        "lib": ib.F(type="symlink", link="usr/lib"), "usr/": ib.F(type="dir"), "usr/lib/": ib.F(type="dir"),
    })
    upper = ib.layer_tar({
        "app/.wh.gone.txt": "",
        "data/new.txt": "new", "data/.wh..wh..opq": "",  # opaque: lower data/ hidden, this layer's kept
        "escape": ib.F(type="symlink", link=f"../../../../../../tmp/escape-{tag}"),
        "escape/pwned": "pwned",  # refused link: becomes a plain folder inside the root
        "abs": ib.F(type="symlink", link=f"/tmp/abs-{tag}"),
        "abs/pwned": "inside",  # absolute link: resolved inside the root
        "lib/libx.so": "elf",  # through the lib → usr/lib link, as a runtime does
        "hard": ib.F(type="hardlink", link="etc/passwd"),
        "evil-hard": ib.F(type="hardlink", link="../../etc/shadow"),
        "dev/": ib.F(type="dir"), "dev/sda": ib.F(type="blk", major=8, minor=0),
    })
    image = ib.docker_save(tmp_path / "img.tar", [lower, upper], ib.config([lower, upper]))
    root = tmp_path / "root"
    before = set(os.listdir(host_tmp))
    un = unpack_image(image, root, max_bytes=1 << 30)
    assert (root / "app/keep.txt").read_text() == "keep" and not (root / "app/gone.txt").exists()
    assert sorted(os.listdir(root / "data")) == ["new.txt"]
    assert (root / "escape").is_dir() and not (root / "escape").is_symlink()
    assert (root / f"tmp/abs-{tag}/pwned").read_text() == "inside"
    assert (root / "usr/lib/libx.so").read_text() == "elf"
    assert os.stat(root / "hard").st_ino == os.stat(root / "etc/passwd").st_ino
    assert not (root / "evil-hard").exists() and not (root / "dev/sda").exists()
    assert un.skipped_devices == 1 and any("climbs out" in r for r in un.refused)
    assert not (host_tmp / f"escape-{tag}").exists() and not (host_tmp / f"abs-{tag}").exists()
    assert {n for n in set(os.listdir(host_tmp)) - before if tag in n} == set()


def test_unpack_refuses_a_tampered_layer(tmp_path):
    from validation.container.rehearsal import UnpackError, unpack_image

    layers = ri.server_layers()
    image = ib.docker_save(tmp_path / "bad.tar", layers, ib.config(layers),
                           mutate_layer=lambda i, data: data.replace(b"nc -ll", b"nc -LL") if i == 1 else data)
    with pytest.raises(UnpackError, match="does not match its digest"):
        unpack_image(image, tmp_path / "root", max_bytes=1 << 30)


# -- runners ----------------------------------------------------------------------------------------------------
def test_no_sandbox_means_every_finding_not_run(tmp_path, scratch):
    layers = ri.server_layers()
    image = ri.build(tmp_path / "i.tar", layers)
    result = rehearse({"image": image}, LISTING, runner=NoRunner("docker: none; namespaces: not root"),
                      scratch_root=scratch)
    assert {f.code for f in result.findings} == set(CODES)
    assert {f.outcome for f in result.findings} == {Outcome.NOT_RUN}
    assert all("no sandbox available (docker: none; namespaces: not root)" in f.message for f in result.findings)


def test_docker_runner_detects_that_no_engine_answers(tmp_path):
    ok, why = DockerRunner(f"unix://{tmp_path}/docker.sock").available()
    assert not ok and ("no Docker engine answers" in why or "not installed" in why)
    assert isinstance(available_runner(), NamespaceRunner)  # this machine: no engine, namespaces work


def test_engine_ping_speaks_to_a_real_socket(tmp_path):
    import socket
    import threading

    path = str(tmp_path / "fake.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)

    def answer() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(1024)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")

    t = threading.Thread(target=answer)
    t.start()
    try:
        assert engine_ping(f"unix://{path}") == (True, f"Docker engine on unix://{path}")
    finally:
        t.join(5)
        server.close()


def test_payload_sizes_are_checked_not_sent(tmp_path, scratch):
    budgets = dataclasses.replace(FAST, payload_warn=4, payload_max=8)  # tiny stand-ins for 6 MB / 25 MB
    samples = [sample(tmp_path, "small.csv", "1,2\n"), sample(tmp_path, "medium.csv", "1,2,3\n"),
               sample(tmp_path, "large.csv", "1,2,3,4,5\n")]
    seen: list[str] = []
    result = run(tmp_path, scratch, ri.server_layers(), samples=samples, budgets=budgets, progress=seen.append)
    warn = {f.location: str(f.outcome) for f in result.of("rehearsal.W013")}
    assert warn == {"file:small.csv": "passed", "file:medium.csv": "failed"}
    assert {f.location for f in result.of("rehearsal.E014", "failed")} == {"file:large.csv"}
    assert not any("large.csv" in line for line in seen if "POST" in line)  # over the maximum: never sent


# -- the registered check and the rules ------------------------------------------------------------------------
def test_check_is_registered_and_runs_on_the_subject(tmp_path, scratch, monkeypatch):
    from validation.checks import rehearsal as check_module
    from validation.checks.registry import REGISTRY, STAGE_REHEARSAL, ArtifactFile, Subject

    check = REGISTRY["container.rehearsal"]
    assert check.stage == STAGE_REHEARSAL and set(check.codes) == set(CODES)
    assert check.time_limit > Budgets().total
    assert {f.outcome for f in check.func(Subject(LISTING))} == {Outcome.NOT_RUN}

    monkeypatch.setattr(check_module, "_scratch_root", lambda: str(scratch))
    monkeypatch.setattr(check_module, "rehearse", lambda *a, **kw: rehearse(*a, **{**kw, "budgets": FAST}))
    heard: list[str] = []
    image = ri.build(tmp_path / "i.tar", ri.server_layers())
    csv_in = sample(tmp_path, "a.csv", "1\n")
    subject = Subject(LISTING, (ArtifactFile("image", image, "model.tar"),
                                ArtifactFile("sample_data", csv_in["path"], "a.csv", tags=csv_in["tags"])),
                      progress=heard.append)
    findings = list(check.func(subject))
    assert {f.code for f in findings} == set(CODES)
    assert [f for f in findings if f.outcome == Outcome.FAILED] == []
    assert any("POST /invocations a.csv" in line for line in heard)


def test_rules_hold_each_number_once():
    from validation.rules import data
    from validation.rules.base import SOURCES
    from validation.rules.rehearsal import RULES, RULES_BY_CODE as R

    for rule in RULES:
        assert rule.code.startswith("rehearsal.") and rule.code.split(".")[1][0] == rule.severity.value[0].upper()
        assert rule.source in SOURCES and rule.url.startswith("https://") and rule.hint_text()
    by_data = {r.code: r for r in data.RULES}
    assert R["rehearsal.W013"].limit is by_data["data.W013"].limit  # referenced, not copied
    assert R["rehearsal.E014"].limit is by_data["data.E014"].limit
    default = Budgets()
    assert (default.accept, default.startup, default.startup_warn, default.ping_timeout) == (0.25, 480.0, 240.0, 2.0)
    assert (default.invoke_realtime, default.invoke_batch, default.sigterm_grace, default.port) == (60.0, 3600.0,
                                                                                                   30.0, 8080)


def test_compare_explains_the_first_difference():
    from validation.container.rehearsal.compare import compare

    assert compare(b'{"a": [1, 2.0]}', b'{"a":[1,2]}', "application/json")[:2] == (True, "JSON")
    assert compare(b"0.5,1\n", b"0.50001,1\n", "text/csv")[0] is True
    assert compare(b"1,2\n3,4\n", b"1,2\n3,5\n", "text/csv")[2] == "row 2, column 2: 4 instead of 5"
    assert compare(b'{"a":1}\n{"a":2}\n', b'{"a":1}\n{"a":3}\n', "application/jsonlines")[2] == "line 2: $.a: 2 instead of 3"
    assert compare(b"\x00\x01", b"\x00\x02", "application/octet-stream")[2].startswith("byte 1 differs")
