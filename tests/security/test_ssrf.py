"""SSRF: a seller's URL, registry and S3 fields never make the service reach inside the network.

Only the image URI is ever fetched (the registry check reads the image by reference); every other URL field is
text that AWS shows to buyers. Both facts are tested through the real entry points — a validation run of a listing
whose every URL field points inside, the registry check, the export form — while a canary listens on loopback
and every socket ``connect`` of this process is recorded: nothing may reach the canary, and nothing may leave for a
non-loopback address, unless the operator's ``OUTBOUND_ALLOWED_HOSTS`` says so. No test sends traffic anywhere but
loopback.
"""

from __future__ import annotations

import ipaddress
import socket
import threading

import pytest

from listings.models import ListingSection
from tests.helpers import execute_run
from validation.checks.container_registry import container_registry
from validation.checks.registry import Subject
from validation.services import validation_run_start

pytestmark = pytest.mark.django_db


class Canary:
    """A TCP listener on loopback that counts every connection made to it and answers nothing."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def canary():
    c = Canary()
    yield c
    c.close()


@pytest.fixture
def connects(monkeypatch):
    """Every address this process's Python sockets connect to (PostgreSQL's libpq is C and not seen)."""
    seen: list[tuple] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self, address):
        seen.append(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        seen.append(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return seen


def _not_loopback(addresses) -> list:
    out = []
    for address in addresses:
        if isinstance(address, tuple):
            try:
                if not ipaddress.ip_address(address[0].split("%")[0]).is_loopback:
                    out.append(address)
            except ValueError:
                out.append(address)
    return out


def _point_inside(listing, port: int) -> None:
    """Every URL-ish field of the listing aimed at the metadata service, private ranges or the canary."""
    inside = f"http://127.0.0.1:{port}"

    def edit(name, change):
        row = ListingSection.objects.get(listing=listing, name=name)
        change(row.data)
        row.save(update_fields=["data"])

    def product(d):
        d["product"]["video_url"] = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
        d["product"]["additional_resources"] = [{"text": "Docs", "url": f"{inside}/docs"},
                                                {"text": "More", "url": "http://10.0.0.7/internal"}]

    def version(d):
        d["version"].update(repository_url=f"{inside}/repo", notebook_url="http://[::1]:8080/nb.ipynb",
                            sample_input_batch="https://192.168.1.10/in.csv",
                            sample_output_batch="http://metadata.google.internal/computeMetadata/v1/")

    def legal(d):
        d["legal"].update(eula="custom", eula_url=f"{inside}/eula")

    def aws(d):
        d["aws"].update(image_uri=f"127.0.0.1:{port}/team/model:1",
                        model_data_uri="s3://169.254.169.254/model.tar.gz",
                        s3_input_location=f"s3://127.0.0.1:{port}/in/", s3_output_location="s3://10.0.0.1/out/")

    for name, change in (("product", product), ("version", version), ("legal", legal), ("aws", aws)):
        edit(name, change)


def _registry_findings(run):
    return {(f.code, f.outcome): f for f in run.findings.filter(code__startswith="registry.")}


def test_a_listing_pointing_inside_is_validated_without_reaching_inside(ready_listing, alice, canary, connects):
    _point_inside(ready_listing, canary.port)
    run = execute_run(validation_run_start(listing=ready_listing, actor=alice).id)

    assert run.status == "succeeded"
    refused = _registry_findings(run)[("registry.E002", "failed")]
    assert refused.location == "field:aws.image_uri" and "loopback" in refused.message
    assert canary.accepted == 0, "a URL field made the service connect to an internal address"
    assert [a for a in connects if isinstance(a, tuple) and a[1] == canary.port] == []
    assert _not_loopback(connects) == []


def test_the_operator_allow_list_is_the_only_way_in(ready_listing, alice, canary, connects, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    _point_inside(ready_listing, canary.port)
    run = execute_run(validation_run_start(listing=ready_listing, actor=alice).id)

    findings = _registry_findings(run)
    assert ("registry.E002", "failed") not in findings  # allowed …
    assert ("registry.E003", "failed") in findings  # … so it really connected: the canary speaks no TLS
    assert canary.accepted >= 1 and any(isinstance(a, tuple) and a[1] == canary.port for a in connects)
    # Only the image URI was fetched: the other internal URL fields still reached nothing.
    assert _not_loopback(connects) == []


INTERNAL_REFERENCES = [
    ("localhost:{port}/x:1", "loopback"),
    ("[::1]:{port}/x:1", "loopback"),
    ("2130706433:{port}/x:1", "loopback"),  # 127.0.0.1 as one number
    ("[::ffff:127.0.0.1]:{port}/x:1", "loopback"),
    ("169.254.169.254/latest/meta-data:1", "metadata"),
    ("10.1.2.3:5000/team/model:1", "private"),
    ("172.16.5.4/team/model:1", "private"),
    ("192.168.0.10/team/model:1", "private"),
    ("100.64.0.1/team/model:1", "CGNAT"),
    ("[fe80::1]:5000/team/model:1", "link-local"),
    ("[fd00::1]:5000/team/model:1", "private"),
    ("0.0.0.0:{port}/x:1", "unspecified"),
]


@pytest.mark.parametrize("reference,reason", INTERNAL_REFERENCES, ids=[r for r, _ in INTERNAL_REFERENCES])
def test_the_registry_check_refuses_internal_image_references(reference, reason, canary, connects):
    subject = Subject(listing={"aws": {"image_uri": reference.format(port=canary.port)}})
    findings = list(container_registry(subject))
    [refused] = [f for f in findings if f.code == "registry.E002"]
    assert refused.outcome == "failed" and reason.lower() in refused.message.lower(), refused.message
    assert canary.accepted == 0 and connects == []  # refused before any connection, not after


@pytest.mark.parametrize("field", ["upload_to", "reference_prefix"])
@pytest.mark.parametrize("uri", ["s3://169.254.169.254/x", "s3://127.0.0.1/bundles", "s3://10.0.0.1/x",
                                 "s3://[::1]/x", "http://169.254.169.254/latest/"])
def test_the_export_forms_s3_fields_refuse_addresses(field, uri):
    from listings.export.forms import ExportOptionsForm

    form = ExportOptionsForm({field: uri, "reference_large_files": field == "reference_prefix"})
    assert not form.is_valid() and field in form.errors, form.errors
