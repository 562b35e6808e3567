"""The SBOM: packages captured during the one pass, rendered as CycloneDX and valid against its schema."""

from __future__ import annotations

import json
import sqlite3
import struct

from tests.container import imagebuild as ib
from tests.container.helpers import analyse
from validation.container import cyclonedx_json
from validation.container.sbom import parse_rpm_header


def _rpm_header(**tags: str | int) -> bytes:
    ids = {"name": 1000, "version": 1001, "release": 1002, "epoch": 1003, "arch": 1022, "license": 1014}
    index, store = b"", b""
    for key, value in tags.items():
        if isinstance(value, int):
            store += bytes(-len(store) % 4)
            index += struct.pack(">iIiI", ids[key], 4, len(store), 1)
            store += struct.pack(">I", value)
        else:
            index += struct.pack(">iIiI", ids[key], 6, len(store), 1)
            store += value.encode() + b"\0"
    return struct.pack(">II", len(tags), len(store)) + index + store


def _rpmdb() -> bytes:
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
    con.execute("INSERT INTO Packages (blob) VALUES (?)",
                (_rpm_header(name="bash", version="5.2.15", release="2.amzn2023", arch="x86_64", license="GPLv3+"),))
    con.execute("INSERT INTO Packages (blob) VALUES (?)",
                (_rpm_header(name="openssl-libs", version="3.0.8", release="1", epoch=1, arch="x86_64"),))
    data = con.serialize()
    con.close()
    return data


def test_sbom_lists_os_and_python_packages_and_validates(tmp_path):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    layers = ib.good_serve_layers(**{
        "usr/lib/python3/dist-packages/requests-2.31.0.egg-info/PKG-INFO": "Name: requests\nVersion: 2.31.0\n",
        "opt/conda/conda-meta/xgboost-2.0.3-cpu_py311_0.json": "{}",
        # conda's package cache holds copies, not installed software: not in the SBOM
        "opt/conda/pkgs/torch-1.0-py0/lib/python3.11/site-packages/torch-1.0.dist-info/METADATA":
            "Name: torch\nVersion: 1.0\n",
        "var/lib/rpm/rpmdb.sqlite": _rpmdb(),
        "lib/apk/db/installed": "P:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\n\nP:busybox\nV:1.36.1-r5\nA:x86_64\n\n",
    })
    report, _ = analyse(ib.docker_save(tmp_path / "s.tar", layers, ib.config(layers)))
    got = {(p.ecosystem, p.name, p.version) for p in report.packages}
    assert got == {("deb", "busybox-static", "1:1.35.0-4+b3"), ("pypi", "torch", "2.1.0"),
                   ("pypi", "requests", "2.31.0"), ("conda", "xgboost", "2.0.3"), ("rpm", "bash", "5.2.15-2.amzn2023"),
                   ("rpm", "openssl-libs", "1:3.0.8-1"), ("apk", "musl", "1.2.4-r2"), ("apk", "busybox", "1.36.1-r5")}
    assert {p.name for p in report.frameworks} == {"pytorch", "xgboost"}
    text = cyclonedx_json(report)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    purls = {c["purl"] for c in doc["components"]}
    assert "pkg:deb/debian/busybox-static@1:1.35.0-4%2Bb3?arch=amd64&distro=debian-12" in purls
    assert "pkg:pypi/torch@2.1.0" in purls
    assert doc["metadata"]["component"]["type"] == "container"
    assert doc["specVersion"] == "1.6"


def test_packages_removed_by_later_layers_are_not_listed(tmp_path):
    layers = ib.good_serve_layers()
    layers.append(ib.layer_tar({
        "usr/local/lib/python3.11/site-packages/.wh.torch-2.1.0.dist-info": b"",
        "var/lib/dpkg/status": "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nArchitecture: amd64\n",
    }))
    report, _ = analyse(ib.docker_save(tmp_path / "r.tar", layers, ib.config(layers)))
    assert [(p.ecosystem, p.name) for p in report.packages] == [("deb", "libc6")]
    assert report.frameworks == []


def test_unreadable_rpm_database_is_noted(tmp_path):
    layers = ib.good_serve_layers(**{"var/lib/rpm/Packages": b"\x00\x06\x15\x61" * 100})
    report, fs = analyse(ib.docker_save(tmp_path / "b.tar", layers, ib.config(layers)))
    assert any("Berkeley DB" in n for n in report.package_notes)
    assert "Berkeley DB" in next(f for f in fs if f.code == "container.I026").message


def test_rpm_header_parser_rejects_garbage():
    assert parse_rpm_header(_rpm_header(name="x", version="1"))["name"] == "x"
    try:
        parse_rpm_header(struct.pack(">II", 5, 10**6))
    except ValueError:
        pass
    else:  # pragma: no cover
        raise AssertionError("garbage accepted")
