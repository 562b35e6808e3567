"""The registry source: images read by reference from a real ``docker-registry`` (pushed with ``skopeo``), with
token and Basic auth, ECR credentials from ``moto_server``, misbehaving registries, and the SSRF guard.

Every server is started on a free loopback port by the fixtures and stopped after the module.
"""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path

import pytest

from tests.container import imagebuild as ib
from tests.container import registry_fixtures as rf
from tests.container.helpers import CPU_LISTING
from validation import netguard
from validation.container import analyse_image
from validation.container import verdicts as image_verdicts
from validation.container.registry import (Credentials, RegistryError, RegistryOptions, analyse_reference,
                                           ecr_credentials, findings, parse_challenges, parse_ecr_host,
                                           parse_reference)
from validation.findings import Outcome
from validation.rules.base import SOURCES
from validation.rules.registry import RULES

# Real parts only, never a skip: `make test` installs both (scripts/ensure-test-deps.sh).
assert Path(rf.REGISTRY_BIN).exists() and Path(rf.SKOPEO_BIN).exists(), \
    "docker-registry and skopeo are needed: run `make test`, which installs them"

OPTS = RegistryOptions(allow=("127.0.0.1",), plain_http=("127.0.0.1",), connect_timeout=2, read_timeout=5, deadline=20)
ECR_HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
ECR_PASSWORD = "123456789012-auth-token"  # what moto's GetAuthorizationToken returns for that account
AWS_KEY = "AKIA" + "Q3REGISTRYTEST77"  # shaped like an access key id; not a real one


def _opts(**kw) -> RegistryOptions:
    base = {k: getattr(OPTS, k) for k in ("allow", "plain_http", "connect_timeout", "read_timeout", "deadline")}
    return RegistryOptions(**{**base, **kw})


# -- images and registries ------------------------------------------------------------------------------------
def _layers() -> list[bytes]:
    """A serve image with waste (overwritten and deleted files), a pip cache and a leaked AWS key."""
    layers = ib.good_serve_layers(**{"root/.pip-cache/http/x": b"c" * 3000, "opt/program/big.bin": b"b" * 5000})
    layers.append(ib.layer_tar({"opt/program/.wh.big.bin": b"", "opt/program/creds.txt":
                                f"aws_access_key_id = {AWS_KEY}\n"}))
    return layers


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("images")
    layers = _layers()
    cfg = ib.config(layers)
    arm = ib.good_serve_layers(**{"etc/arm-marker": "arm64\n"})
    return {
        "gzip": ib.oci_layout(d / "gzip.tar", [(layers, cfg)]),
        "zstd": ib.oci_layout(d / "zstd.tar", [(layers, cfg)], compression="zstd"),
        "plain": ib.oci_layout(d / "plain.tar", [(layers, cfg)], compression="none"),
        "docker": ib.docker_save(d / "docker.tar", layers, cfg),
        "multi": ib.oci_layout(d / "multi.tar", [(layers, cfg), (arm, ib.config(arm, architecture="arm64"))],
                               platforms=["linux/amd64", "linux/arm64"]),
    }


@pytest.fixture(scope="module")
def registry(tmp_path_factory, images):
    """No auth; every test image pushed once."""
    with rf.Registry(tmp_path_factory.mktemp("registry")) as reg:
        for name in ("gzip", "zstd"):
            rf.push(images[name], reg.host, f"t/{name}:1")
        rf.push_raw(images["plain"], reg.port, "t/plain:1")  # skopeo would compress the layers
        rf.push(images["multi"], reg.host, "t/multi:1", all_platforms=True)
        rf.push(images["docker"], reg.host, "t/docker:1", docker_archive=True, docker_format=True)
        yield reg


def _manifest_digest(reg: rf.Registry, repo_tag: str) -> str:
    import http.client

    repo, tag = repo_tag.split(":")
    conn = http.client.HTTPConnection("127.0.0.1", reg.port, timeout=5)
    conn.request("HEAD", f"/v2/{repo}/manifests/{tag}",
                 headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.getheader("Docker-Content-Digest")


def _layer_digests(reg: rf.Registry, repo_tag: str) -> tuple[str, list[str]]:
    import http.client

    repo, tag = repo_tag.split(":")
    conn = http.client.HTTPConnection("127.0.0.1", reg.port, timeout=5)
    conn.request("GET", f"/v2/{repo}/manifests/{tag}",
                 headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    doc = json.loads(conn.getresponse().read())
    conn.close()
    return doc["config"]["digest"], [d["digest"] for d in doc["layers"]]


def _same_essentials(remote, local) -> dict:
    """Differences between two reports, ignoring where the image came from."""
    a, b = remote.as_dict(), local.as_dict()
    return {k: (a[k], b[k]) for k in a if k not in ("archive", "format", "repo_tags") and a[k] != b[k]}


def _fs(report) -> list[tuple]:
    return [(f.code, str(f.outcome), f.message, f.location) for f in image_verdicts.findings(report, CPU_LISTING)]


def _codes(report) -> set[str]:
    return {p.code for p in report.problems}


# -- references, challenges, ECR names (no network) --------------------------------------------------------------
@pytest.mark.parametrize("text,host,repo,tag,digest", [
    ("127.0.0.1:5000/t/img:1", "127.0.0.1:5000", "t/img", "1", ""),
    (f"{ECR_HOST}/team/model", ECR_HOST, "team/model", "latest", ""),
    ("registry.example.com/a/b/c@sha256:" + "a" * 64, "registry.example.com", "a/b/c", "", "sha256:" + "a" * 64),
    ("[::1]:5000/x:v1.2-rc_3", "[::1]:5000", "x", "v1.2-rc_3", ""),
    ("localhost/x:2", "localhost", "x", "2", ""),
])
def test_references_parse(text, host, repo, tag, digest):
    ref = parse_reference(text)
    assert (ref.host, ref.repository, ref.tag, ref.digest) == (host, repo, tag, digest)


@pytest.mark.parametrize("text", ["", "ubuntu:22.04", "library/ubuntu", "https://r.example.com/x:1",
                                  "r.example.com/UPPER:1", "r.example.com/x@sha256:abc", "r.example.com/x:bad tag",
                                  "r.example.com:99999/x", "r.example.com/x/:1", "r.exa mple.com/x"])
def test_bad_references_are_refused_with_a_finding(text):
    with pytest.raises(RegistryError) as err:
        parse_reference(text)
    assert err.value.code == "registry.E001"
    report = analyse_reference(text, CPU_LISTING, options=OPTS)
    assert _codes(report) == {"registry.E001"} and not report.layers


def test_challenges_parse():
    [bearer] = parse_challenges(['Bearer realm="https://auth.example.com/token",service="registry.example.com",'
                                 'scope="repository:a/b:pull,push"'])
    assert bearer.scheme == "bearer"
    assert bearer.params == {"realm": "https://auth.example.com/token", "service": "registry.example.com",
                             "scope": "repository:a/b:pull,push"}
    basic, other = parse_challenges(['Basic realm="a \\"quoted\\" realm"', "Negotiate"])
    assert (basic.scheme, basic.params, other.scheme) == ("basic", {"realm": 'a "quoted" realm'}, "negotiate")


def test_ecr_hosts_are_recognised():
    assert parse_ecr_host(ECR_HOST).account == "123456789012"
    assert parse_ecr_host("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com").region == "us-gov-west-1"
    assert parse_ecr_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn").region == "cn-north-1"
    assert parse_ecr_host("ghcr.io") is None
    assert parse_ecr_host("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example") is None


def test_credentials_never_print_the_password():
    assert "s3cret" not in repr(Credentials("seller", "s3cret"))


def test_registry_rules_are_well_formed():
    for rule in RULES:
        assert re.match(r"^registry\.E\d{3}$", rule.code) and rule.source in SOURCES
        assert rule.url.startswith("https://") and rule.hint_text().strip()


# -- the SSRF guard ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("host,reason", [
    ("10.0.0.1", "private"), ("169.254.169.254", "metadata"), ("localhost", "loopback"), ("127.0.0.1", "loopback"),
    ("::1", "loopback"), ("::ffff:10.1.2.3", "private"), ("::ffff:127.0.0.1", "loopback"), ("100.64.1.1", "CGNAT"),
    ("0.0.0.0", "unspecified"), ("0.1.2.3", "this network"), ("224.0.0.1", "multicast"), ("192.168.1.1", "private"),
    ("172.16.0.1", "private"), ("fd00::1", "private"), ("fe80::1", "link-local"), ("169.254.1.1", "link-local"),
    ("240.0.0.1", "reserved"), ("2002:a00:1::", "private"), ("64:ff9b::a9fe:a9fe", "metadata"),
    ("2130706433", "loopback"),  # 127.0.0.1 written as one number: resolved, then checked
])
def test_internal_addresses_are_refused_without_an_allow_list(host, reason):
    with pytest.raises(netguard.BlockedAddress) as err:
        netguard.check_host(host)
    assert reason.lower() in err.value.reason.lower()


@pytest.mark.parametrize("host", ["8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(host):
    netguard.check_host(host)


def test_the_allow_list_names_hosts_addresses_and_networks():
    netguard.check_host("127.0.0.1", allow=["127.0.0.1"])
    netguard.check_host("10.1.2.3", allow=["10.0.0.0/8"])
    netguard.check_host("localhost", allow=["LOCALHOST."])  # the name itself: all its addresses
    with pytest.raises(netguard.BlockedAddress):
        netguard.check_host("10.1.2.3", allow=["10.0.0.1", "127.0.0.0/8"])
    with pytest.raises(netguard.HostLookupError):
        netguard.check_host("no-such-host.invalid")


def test_pinned_connections_never_resolve_again(monkeypatch):
    """The connection goes to the checked address; the name is only the Host header (no DNS rebinding)."""
    seen = []

    real = socket.getaddrinfo

    def no_dns(host, *a, **k):
        if host != "127.0.0.1":  # socket.create_connection passes the pinned address through getaddrinfo
            raise AssertionError(f"{host} resolved again")
        return real(host, *a, **k)

    with rf.serve(_EchoHost) as srv:
        monkeypatch.setattr(socket, "getaddrinfo", no_dns)
        conn = netguard.PinnedHTTPConnection("registry.invalid", srv.server_address[1], ["127.0.0.1"], timeout=5)
        conn.request("GET", "/")
        seen.append(conn.getresponse().read().decode())
        conn.close()
    assert seen == [f"registry.invalid:{srv.server_address[1]}"]


class _EchoHost(rf._Quiet):
    def do_GET(self) -> None:  # noqa: N802
        body = self.headers["Host"].encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.parametrize("reference", ["10.0.0.1:5000/x:1", "169.254.169.254/latest:1", "localhost:5000/x:1",
                                       "127.0.0.1:9/x:1"])
def test_registry_references_to_internal_hosts_are_refused_before_any_traffic(reference):
    t0 = time.monotonic()
    report = analyse_reference(reference, CPU_LISTING, options=RegistryOptions(allow=(), plain_http=(), deadline=5))
    assert _codes(report) == {"registry.E002"}, report.problems
    assert time.monotonic() - t0 < 2
    fs = findings(report, CPU_LISTING)
    assert [f.outcome for f in fs if f.code == "registry.E002"] == [Outcome.FAILED]
    assert {f.outcome for f in fs if f.code == "registry.E003"} == {Outcome.NOT_RUN}
    assert {f.outcome for f in fs if f.code == "container.E011"} == {Outcome.NOT_RUN}


def test_plain_http_is_refused_unless_configured(registry):
    report = analyse_reference(f"{registry.host}/t/gzip:1", CPU_LISTING, options=_opts(plain_http=()))
    # Without plain http the client speaks TLS to the plain registry: a TLS failure, never a silent downgrade.
    assert _codes(report) == {"registry.E003"} and "TLS" in report.problems[0].message


# -- reading by reference gives the archive's report ----------------------------------------------------------------
@pytest.mark.parametrize("name", ["gzip", "zstd", "plain"])
def test_an_oci_image_read_by_reference_gives_the_archive_report(registry, images, name):
    told = []
    remote = analyse_reference(f"{registry.host}/t/{name}:1", CPU_LISTING, options=OPTS,
                               progress=lambda done, total: told.append((done, total)))
    local = analyse_image(images[name], CPU_LISTING)
    assert remote.problems == [] and remote.complete
    assert _same_essentials(remote, local) == {}
    assert _fs(remote) == _fs(local)
    assert remote.format == "registry" and remote.repo_tags == [f"{registry.host}/t/{name}:1"]
    assert remote.layers[0].compression == {"gzip": "gzip", "zstd": "zstd", "plain": "none"}[name]
    assert told and told[-1][0] == told[-1][1] == remote.size_compressed
    # the image's own findings travel: the leaked key, the waste, `serve` found
    assert any(f.code == "container.E020" and f.outcome == Outcome.FAILED for f in findings(remote, CPU_LISTING))
    assert remote.deleted_bytes == 5000 and remote.executables["serve"] == "/opt/program/serve"
    assert all(f.outcome == Outcome.PASSED for f in findings(remote, CPU_LISTING) if f.code.startswith("registry."))


def test_a_docker_v2_manifest_gives_the_same_findings_as_the_docker_save_archive(registry, images):
    remote = analyse_reference(f"{registry.host}/t/docker:1", CPU_LISTING, options=OPTS)
    local = analyse_image(images["docker"], CPU_LISTING)
    assert remote.problems == [] and remote.complete
    assert remote.layers[0].media_type == "application/vnd.docker.image.rootfs.diff.tar.gzip"
    diff = _same_essentials(remote, local)
    # skopeo compressed the layers on push: stored sizes, digests and blob names differ; nothing else does
    assert set(diff) <= {"layers", "size_compressed", "manifest_digest"}, set(diff)
    strip = ("member", "digest", "media_type", "compression", "size_compressed")
    assert [{k: v for k, v in vars(lr).items() if k not in strip} for lr in remote.layers] == \
        [{k: v for k, v in vars(lr).items() if k not in strip} for lr in local.layers]
    assert [(c, o) for c, o, *_ in _fs(remote)] == [(c, o) for c, o, *_ in _fs(local)]


def test_a_multi_platform_index_reads_the_platform_asked_for(registry, images):
    ref = f"{registry.host}/t/multi:1"
    amd = analyse_reference(ref, CPU_LISTING, options=OPTS)
    assert amd.problems == [] and amd.config.architecture == "amd64"
    assert amd.platforms_available == ["linux/amd64", "linux/arm64"]
    assert _same_essentials(amd, analyse_image(images["multi"], CPU_LISTING)) == {}
    arm = analyse_reference(ref, CPU_LISTING, options=OPTS, platform="linux/arm64")
    assert arm.problems == [] and arm.config.architecture == "arm64"
    assert arm.manifest_digest != amd.manifest_digest
    assert analyse_reference(ref, CPU_LISTING, options=OPTS, platform="arm64").manifest_digest == arm.manifest_digest
    none = analyse_reference(ref, CPU_LISTING, options=OPTS, platform="linux/s390x")
    assert _codes(none) == {"registry.E008"} and "linux/amd64, linux/arm64" in none.problems[0].message
    single = analyse_reference(f"{registry.host}/t/gzip:1", CPU_LISTING, options=OPTS, platform="linux/arm64")
    assert _codes(single) == {"registry.E008"}


def test_references_pinned_by_digest(registry):
    digest = _manifest_digest(registry, "t/gzip:1")
    pinned = analyse_reference(f"{registry.host}/t/gzip@{digest}", CPU_LISTING, options=OPTS)
    assert pinned.problems == [] and pinned.manifest_digest == digest and pinned.repo_tags == []
    unknown = analyse_reference(f"{registry.host}/t/gzip@sha256:{'0' * 64}", CPU_LISTING, options=OPTS)
    assert _codes(unknown) == {"registry.E006"}


def test_unknown_tags_and_repositories(registry):
    for ref in ("t/gzip:nope", "t/nothing:1"):
        report = analyse_reference(f"{registry.host}/{ref}", CPU_LISTING, options=OPTS)
        assert _codes(report) == {"registry.E006"} and "UNKNOWN" in report.problems[0].message


def test_size_caps_refuse_before_downloading_layers(registry):
    report = analyse_reference(f"{registry.host}/t/gzip:1", CPU_LISTING, options=_opts(max_layer_bytes=1000))
    assert _codes(report) == {"registry.E011"} and not report.layers
    report = analyse_reference(f"{registry.host}/t/gzip:1", CPU_LISTING, options=_opts(max_image_bytes=10_000))
    assert _codes(report) == {"registry.E011"}


def test_the_progress_callbacks_own_errors_propagate(registry):
    class Cancelled(Exception):
        pass

    def cancel(done, total):
        raise Cancelled()

    with pytest.raises(Cancelled):
        analyse_reference(f"{registry.host}/t/gzip:1", CPU_LISTING, options=OPTS, progress=cancel)


# -- authentication -----------------------------------------------------------------------------------------------
def test_bearer_token_auth_against_a_token_registry(tmp_path, images):
    with rf.TokenServer({"seller": "s3cret"}) as tokens, \
            rf.Registry(tmp_path / "reg", auth="token", token_server=tokens) as reg:
        rf.push(images["gzip"], reg.host, "team/model:1", creds="seller:s3cret")
        tokens.requests.clear()
        ref = f"{reg.host}/team/model:1"
        ok = analyse_reference(ref, CPU_LISTING, options=OPTS, credentials=("seller", "s3cret"))
        assert ok.problems == [] and ok.complete
        assert _same_essentials(ok, analyse_image(images["gzip"], CPU_LISTING)) == {}
        assert tokens.requests == [{"path": "/token", "service": ["test-registry"],
                                    "scope": ["repository:team/model:pull"], "auth": "Basic", "user": "seller"}]
        anonymous = analyse_reference(ref, CPU_LISTING, options=OPTS)
        assert _codes(anonymous) == {"registry.E005"} and "anonymous" in anonymous.problems[0].message
        wrong = analyse_reference(ref, CPU_LISTING, options=OPTS, credentials=Credentials("seller", "nope"))
        assert _codes(wrong) == {"registry.E005"} and "nope" not in repr(wrong.as_dict())
        # a token that expires during the read: the next request gets a 401 and fetches a new one
        _cfg, layers = _layer_digests_auth(reg, "team/model:1", ("seller", "s3cret"), tokens)
        challenge = f'Bearer realm="{tokens.realm}",service="test-registry",scope="repository:team/model:pull"'
        tokens.requests.clear()
        with rf.front(reg.port, rf.FrontRules(challenge_once={layers[1]: challenge})) as (port, _rules):
            again = analyse_reference(f"127.0.0.1:{port}/team/model:1", CPU_LISTING, options=OPTS,
                                      credentials=("seller", "s3cret"))
        assert again.problems == [] and again.complete and len(tokens.requests) == 2


def test_basic_auth_against_an_htpasswd_registry(tmp_path, images):
    with rf.Registry(tmp_path / "reg", auth="htpasswd", users={"seller": "s3cret"}) as reg:
        rf.push(images["zstd"], reg.host, "team/model:1", creds="seller:s3cret")
        ref = f"{reg.host}/team/model:1"
        ok = analyse_reference(ref, CPU_LISTING, options=OPTS, credentials=("seller", "s3cret"))
        assert ok.problems == [] and ok.complete
        missing = analyse_reference(ref, CPU_LISTING, options=OPTS)
        assert _codes(missing) == {"registry.E005"} and "user name and password" in missing.problems[0].message
        wrong = analyse_reference(ref, CPU_LISTING, options=OPTS, credentials=("seller", "nope"))
        assert _codes(wrong) == {"registry.E005"}


def test_ecr_credentials_from_moto_reach_the_registry(tmp_path, images, monkeypatch):
    """GetAuthorizationToken against moto_server; its AWS:password opens an htpasswd registry that stands in for
    ECR through an endpoint override (no DNS is touched)."""
    for k, v in rf.aws_test_env().items():
        monkeypatch.setenv(k, v)
    with rf.moto_server(tmp_path) as moto, \
            rf.Registry(tmp_path / "reg", auth="htpasswd", users={"AWS": ECR_PASSWORD}) as reg:
        creds = ecr_credentials(ECR_HOST, endpoint_url=moto)
        assert (creds.username, creds.password) == ("AWS", ECR_PASSWORD)
        rf.push(images["gzip"], reg.host, "team/model:1", creds=f"AWS:{ECR_PASSWORD}")
        opts = _opts(endpoints={ECR_HOST: f"http://{reg.host}"}, ecr_endpoint_url=moto)
        report = analyse_reference(f"{ECR_HOST}/team/model:1", CPU_LISTING, options=opts)
        assert report.problems == [] and report.complete
        assert report.repo_tags == [f"{ECR_HOST}/team/model:1"]
        assert _same_essentials(report, analyse_image(images["gzip"], CPU_LISTING)) == {}
        monkeypatch.setenv("AWS_ENDPOINT_URL", moto)  # boto3's own variable works too
        assert ecr_credentials(ECR_HOST).password == ECR_PASSWORD
    dead = _opts(endpoints={ECR_HOST: "http://127.0.0.1:9"}, ecr_endpoint_url=f"http://127.0.0.1:{rf.free_port()}",
                 connect_timeout=1)
    report = analyse_reference(f"{ECR_HOST}/team/model:1", CPU_LISTING, options=dead)
    assert _codes(report) == {"registry.E009"}


# -- registries that misbehave -------------------------------------------------------------------------------------
def test_a_registry_that_never_answers_hits_the_deadline():
    with rf.silent_server() as port:
        t0 = time.monotonic()
        report = analyse_reference(f"127.0.0.1:{port}/t/x:1", CPU_LISTING, options=_opts(deadline=1.0, read_timeout=30))
        took = time.monotonic() - t0
        assert _codes(report) == {"registry.E004"} and "1 s" in report.problems[0].message
        assert took < 3
        t0 = time.monotonic()
        report = analyse_reference(f"127.0.0.1:{port}/t/x:1", CPU_LISTING, options=_opts(read_timeout=0.5))
        assert _codes(report) == {"registry.E004"} and "did not answer within 0.5 s" in report.problems[0].message
        assert time.monotonic() - t0 < 3


def test_a_registry_that_drips_bytes_cannot_stretch_the_read():
    """One byte every 0.1 s beats any per-read timeout; the overall deadline still ends the read."""
    with rf.raw_server(rf.drip_answer) as port:
        t0 = time.monotonic()
        report = analyse_reference(f"127.0.0.1:{port}/t/x:1", CPU_LISTING, options=_opts(deadline=1.5))
        assert _codes(report) == {"registry.E004"}, report.problems
        assert time.monotonic() - t0 < 3.5


def test_a_web_page_is_not_a_registry():
    with rf.html_server() as port:
        report = analyse_reference(f"127.0.0.1:{port}/t/x:1", CPU_LISTING, options=OPTS)
        assert _codes(report) == {"registry.E007"} and "HTML page" in report.problems[0].message
    with rf.html_server(404) as port:
        report = analyse_reference(f"127.0.0.1:{port}/t/x:1", CPU_LISTING, options=OPTS)
        assert _codes(report) == {"registry.E007"} and "Registry HTTP API v2" in report.problems[0].message


def test_a_server_that_is_not_http_at_all():
    with rf.raw_server(rf.garbage_answer) as port:
        report = analyse_reference(f"127.0.0.1:{port}/t/x:1", CPU_LISTING, options=OPTS)
        assert _codes(report) == {"registry.E007"} and "did not answer in HTTP" in report.problems[0].message


def test_nothing_listening():
    report = analyse_reference(f"127.0.0.1:{rf.free_port()}/t/x:1", CPU_LISTING, options=OPTS)
    assert _codes(report) == {"registry.E003"}


def test_a_manifest_pointing_at_a_missing_blob(registry):
    _cfg, layers = _layer_digests(registry, "t/gzip:1")
    rules = rf.FrontRules(missing={layers[1]})
    with rf.front(registry.port, rules) as (port, rules):
        report = analyse_reference(f"127.0.0.1:{port}/t/gzip:1", CPU_LISTING, options=OPTS)
    assert _codes(report) == {"container.E003"} and report.problems[0].location == "layer:1"
    assert not report.layers  # found by HEAD before any layer was downloaded
    assert not [p for m, p in rules.requests if m == "GET" and "/blobs/" in p and p.endswith(tuple(layers))]
    fs = findings(report, CPU_LISTING)
    assert [f.outcome for f in fs if f.code == "container.E003"] == [Outcome.FAILED]
    with rf.front(registry.port, rf.FrontRules(missing={_cfg})) as (port, _rules):
        report = analyse_reference(f"127.0.0.1:{port}/t/gzip:1", CPU_LISTING, options=OPTS)
    assert _codes(report) == {"container.E003"} and "image config" in report.problems[0].message


def test_a_layer_that_does_not_match_its_digest(registry):
    _cfg, layers = _layer_digests(registry, "t/plain:1")
    with rf.front(registry.port, rf.FrontRules(corrupt={layers[1]})) as (port, _rules):
        report = analyse_reference(f"127.0.0.1:{port}/t/plain:1", CPU_LISTING, options=OPTS)
    assert _codes(report) == {"container.E004"}
    [problem] = report.problems
    assert problem.location == "layer:1" and problem.measured["expected"] == layers[1]
    assert not report.layers[1].complete and report.layers[0].complete and report.layers[2].complete
    assert not report.complete
    assert [f.outcome for f in findings(report, CPU_LISTING) if f.code == "container.E004"] == [Outcome.FAILED]


def test_a_config_or_manifest_that_does_not_match_its_digest(registry):
    cfg, _layers_ = _layer_digests(registry, "t/gzip:1")
    with rf.front(registry.port, rf.FrontRules(corrupt={cfg})) as (port, _rules):
        report = analyse_reference(f"127.0.0.1:{port}/t/gzip:1", CPU_LISTING, options=OPTS)
    assert _codes(report) == {"container.E004"} and "image config" in report.problems[0].message
    digest = _manifest_digest(registry, "t/gzip:1")
    with rf.front(registry.port, rf.FrontRules(corrupt={digest, "1"})) as (port, _rules):
        pinned = analyse_reference(f"127.0.0.1:{port}/t/gzip@{digest}", CPU_LISTING, options=OPTS)
        tagged = analyse_reference(f"127.0.0.1:{port}/t/gzip:1", CPU_LISTING, options=OPTS)
    assert _codes(pinned) == {"registry.E010"} and _codes(tagged) == {"registry.E010"}


def test_redirects_are_followed_only_to_allowed_hosts(registry):
    _cfg, layers = _layer_digests(registry, "t/gzip:1")
    upstream = f"http://{registry.host}/v2/t/gzip/blobs/{layers[0]}"
    with rf.front(registry.port, rf.FrontRules(redirect={layers[0]: upstream})) as (port, rules):
        report = analyse_reference(f"127.0.0.1:{port}/t/gzip:1", CPU_LISTING, options=OPTS)
        assert report.problems == [] and report.complete
        assert ("GET", f"/v2/t/gzip/blobs/{layers[0]}") in rules.requests
    metadata = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    opts = _opts(plain_http=("127.0.0.1", "169.254.169.254"))
    with rf.front(registry.port, rf.FrontRules(redirect={layers[0]: metadata})) as (port, _rules):
        report = analyse_reference(f"127.0.0.1:{port}/t/gzip:1", CPU_LISTING, options=opts)
    assert "registry.E002" in _codes(report) and "cloud metadata" in report.problems[0].message
    assert report.notes[-1].startswith("The read stopped at layer 0")
    with rf.front(registry.port, rf.FrontRules(redirect={layers[0]: "http://10.0.0.1/blob"})) as (port, _rules):
        report = analyse_reference(f"127.0.0.1:{port}/t/gzip:1", CPU_LISTING, options=OPTS)
    assert "registry.E002" in _codes(report) and "Plain-http" in report.problems[0].message


def test_credentials_do_not_follow_a_redirect_to_another_host(tmp_path, images):
    """The front redirects a blob to a server that records the Authorization it receives."""
    seen: list[str] = []

    class Recorder(rf._Quiet):
        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.headers.get("Authorization", ""))
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with rf.Registry(tmp_path / "reg", auth="htpasswd", users={"seller": "s3cret"}) as reg, \
            rf.serve(Recorder) as rec:
        rf.push(images["gzip"], reg.host, "t/gzip:1", creds="seller:s3cret")
        _cfg, layers = _layer_digests_auth(reg, "t/gzip:1", ("seller", "s3cret"))
        target = f"http://localhost:{rec.server_address[1]}/blob"  # another host name, allowed below
        opts = _opts(allow=("127.0.0.1", "localhost"), plain_http=("127.0.0.1", "localhost"))
        with rf.front(reg.port, rf.FrontRules(redirect={layers[0]: target})) as (port, _rules):
            report = analyse_reference(f"127.0.0.1:{port}/t/gzip:1", CPU_LISTING, options=opts,
                                       credentials=("seller", "s3cret"))
    assert seen and all(a == "" for a in seen)
    assert "container.E003" in _codes(report)


def _layer_digests_auth(reg: rf.Registry, repo_tag: str, creds: tuple[str, str],
                        tokens: rf.TokenServer | None = None) -> tuple[str, list[str]]:
    import base64
    import http.client

    repo, tag = repo_tag.split(":")
    conn = http.client.HTTPConnection("127.0.0.1", reg.port, timeout=5)
    auth = "Basic " + base64.b64encode(":".join(creds).encode()).decode()
    if tokens is not None:
        claims = {"iss": tokens.issuer, "sub": creds[0], "aud": tokens.service, "exp": int(time.time()) + 60,
                  "nbf": int(time.time()) - 10, "iat": int(time.time()), "jti": "x",
                  "access": [{"type": "repository", "name": repo, "actions": ["pull"]}]}
        auth = "Bearer " + tokens.key.jwt(claims)
    conn.request("GET", f"/v2/{repo}/manifests/{tag}",
                 headers={"Accept": "application/vnd.oci.image.manifest.v1+json", "Authorization": auth})
    doc = json.loads(conn.getresponse().read())
    conn.close()
    return doc["config"]["digest"], [d["digest"] for d in doc["layers"]]


def test_https_registries_are_verified_by_name_while_the_address_stays_pinned(tmp_path, images):
    """The production path: TLS, SNI and the certificate checked against the reference's host name."""
    import ssl

    cert, key = rf.tls_certificate(tmp_path, ("localhost",))
    with rf.Registry(tmp_path / "reg", tls=(cert, key)) as reg:
        rf.push(images["gzip"], f"localhost:{reg.port}", "t/gzip:1")
        trusted = ssl.create_default_context(cafile=str(cert))
        opts = RegistryOptions(allow=("localhost",), ssl_context=trusted, deadline=20, read_timeout=5)
        report = analyse_reference(f"localhost:{reg.port}/t/gzip:1", CPU_LISTING, options=opts)
        assert report.problems == [] and report.complete
        assert _same_essentials(report, analyse_image(images["gzip"], CPU_LISTING)) == {}
        untrusted = analyse_reference(f"localhost:{reg.port}/t/gzip:1", CPU_LISTING,
                                      options=RegistryOptions(allow=("localhost",), deadline=20))
        assert _codes(untrusted) == {"registry.E003"} and "TLS" in untrusted.problems[0].message
        # the certificate names localhost, not 127.0.0.1: a name mismatch is refused too
        by_ip = analyse_reference(f"127.0.0.1:{reg.port}/t/gzip:1", CPU_LISTING,
                                  options=RegistryOptions(allow=("127.0.0.1",), ssl_context=trusted, deadline=20))
        assert _codes(by_ip) == {"registry.E003"}
