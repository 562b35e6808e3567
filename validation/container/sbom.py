"""Packages inside the image and their CycloneDX bill of materials.

The parsers take the bytes of small database files captured during the one streaming pass (dpkg status,
apk installed, rpmdb.sqlite, dist-info METADATA); nothing else is buffered. ``cyclonedx_json`` renders the
report's packages with cyclonedx-python-lib (CycloneDX 1.6, which 1.5 tools also read for these fields).
"""

from __future__ import annotations

import re
import sqlite3
import struct

from validation.container.report import ImageReport, Package

DPKG_STATUS = re.compile(r"^var/lib/dpkg/(status|status\.d/[^/]+)$")
APK_INSTALLED = "lib/apk/db/installed"
RPM_SQLITE = "var/lib/rpm/rpmdb.sqlite"
RPM_UNREADABLE = {"var/lib/rpm/Packages": "Berkeley DB", "var/lib/rpm/Packages.db": "ndb",
                  "usr/lib/sysimage/rpm/Packages.db": "ndb"}
OS_RELEASE = {"etc/os-release", "usr/lib/os-release"}
PY_METADATA = re.compile(r"(?:^|/)([^/]+)\.(dist-info/METADATA|egg-info/PKG-INFO|egg-info)$")
CONDA_META = re.compile(r"(?:^|/)conda-meta/([^/]+)-([^-/]+)-([^-/]+)\.json$")


def _stanzas(text: str) -> list[dict[str, str]]:
    """RFC-822-like blocks separated by blank lines (dpkg status)."""
    out: list[dict[str, str]] = []
    cur: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        if not line.strip():
            if cur:
                out.append(cur)
            cur, last = {}, ""
        elif line[0] in " \t":
            if last:
                cur[last] += "\n" + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            last = key.strip()
            cur[last] = value.strip()
    if cur:
        out.append(cur)
    return out


def parse_dpkg(data: bytes, source: str) -> list[Package]:
    pkgs = []
    for st in _stanzas(data.decode("utf-8", "replace")):
        # Only installed packages: "deinstall ok config-files" leaves a stanza but no software.
        status = st.get("Status", "install ok installed")
        if "Package" in st and status.endswith(" installed"):
            pkgs.append(Package("deb", st["Package"], st.get("Version", ""), st.get("Architecture", ""), source))
    return pkgs


def parse_apk(data: bytes, source: str) -> list[Package]:
    pkgs = []
    cur: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").splitlines() + [""]:
        if not line.strip():
            if "P" in cur:
                pkgs.append(Package("apk", cur["P"], cur.get("V", ""), cur.get("A", ""), source, cur.get("L", "")))
            cur = {}
        elif len(line) > 2 and line[1] == ":":
            cur[line[0]] = line[2:]
    return pkgs


_RPM_TAGS = {1000: "name", 1001: "version", 1002: "release", 1003: "epoch", 1014: "license", 1022: "arch"}


def parse_rpm_header(blob: bytes) -> dict[str, str]:
    """The few tags we need from an rpm header blob (index entries, then a data store)."""
    count, dlen = struct.unpack_from(">II", blob, 0)
    if count > 100_000 or 8 + count * 16 + dlen > len(blob):
        raise ValueError("not an rpm header")
    store = 8 + count * 16
    out: dict[str, str] = {}
    for i in range(count):
        tag, typ, off, _n = struct.unpack_from(">iIiI", blob, 8 + i * 16)
        if tag not in _RPM_TAGS or not 0 <= off < dlen:
            continue
        if typ == 4:  # INT32
            out[_RPM_TAGS[tag]] = str(struct.unpack_from(">I", blob, store + off)[0])
        elif typ in (6, 9):  # STRING, I18NSTRING (first)
            end = blob.index(b"\0", store + off)
            out[_RPM_TAGS[tag]] = blob[store + off:end].decode("utf-8", "replace")
    return out


def parse_rpm_sqlite(data: bytes, source: str) -> list[Package]:
    """rpm ≥ 4.16 keeps its database in SQLite: read from memory (nothing written to disk)."""
    con = sqlite3.connect(":memory:")
    try:
        con.deserialize(data)
        pkgs = []
        for (blob,) in con.execute("SELECT blob FROM Packages"):
            h = parse_rpm_header(bytes(blob))
            if h.get("name") and h["name"] != "gpg-pubkey":
                version = h.get("version", "") + (f"-{h['release']}" if h.get("release") else "")
                if h.get("epoch"):
                    version = f"{h['epoch']}:{version}"
                pkgs.append(Package("rpm", h["name"], version, h.get("arch", ""), source, h.get("license", "")))
        return pkgs
    finally:
        con.close()


def parse_python_metadata(data: bytes, source: str) -> Package | None:
    """Name and Version from the header block of METADATA / PKG-INFO (the body is the long description)."""
    head = data.split(b"\n\n", 1)[0].decode("utf-8", "replace")
    fields: dict[str, str] = {}
    for line in head.splitlines():
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version", "License", "License-Expression") and key not in fields:
            fields[key] = value.strip()
    if not fields.get("Name"):
        return None
    lic = fields.get("License-Expression") or fields.get("License", "")
    return Package("pypi", fields["Name"], fields.get("Version", ""), "", source, lic if len(lic) < 100 else "")


def parse_os_release(data: bytes) -> dict[str, str]:
    out = {}
    for line in data.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() in ("ID", "VERSION_ID", "PRETTY_NAME", "ID_LIKE"):
            out[key.strip()] = value.strip().strip('"')
    return out


def _purl(p: Package, distro: str, distro_version: str):
    from packageurl import PackageURL

    q = {"arch": p.arch} if p.arch else {}
    if p.ecosystem == "deb":
        if distro_version:
            q["distro"] = f"{distro}-{distro_version}"
        return PackageURL("deb", distro or "debian", p.name, p.version or None, q or None)
    if p.ecosystem == "apk":
        return PackageURL("apk", distro or "alpine", p.name, p.version or None, q or None)
    if p.ecosystem == "rpm":
        version, epoch = p.version, ""
        if ":" in version:
            epoch, version = version.split(":", 1)
            q["epoch"] = epoch
        return PackageURL("rpm", distro or None, p.name, version or None, q or None)
    if p.ecosystem == "pypi":
        return PackageURL("pypi", None, re.sub(r"[-_.]+", "-", p.name).lower(), p.version or None)
    return PackageURL(p.ecosystem, None, p.name, p.version or None)


def cyclonedx_json(report: ImageReport, *, indent: int | None = 2) -> str:
    """The SBOM of the image read into ``report`` (OS packages and Python/conda distributions)."""
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
    from cyclonedx.output import make_outputter
    from cyclonedx.schema import OutputFormat, SchemaVersion
    from packageurl import PackageURL

    distro = report.os_release.get("ID", "")
    distro_version = report.os_release.get("VERSION_ID", "")
    name = (report.repo_tags[0].rsplit(":", 1)[0] if report.repo_tags else report.archive) or "image"
    digest = report.manifest_digest or report.config_digest
    image = Component(
        name=name, version=digest or None, type=ComponentType.CONTAINER, bom_ref=f"image:{digest or name}",
        purl=PackageURL("oci", None, name.rsplit("/", 1)[-1].lower(), digest or None),
    )
    bom = Bom()
    bom.metadata.component = image
    components = []
    seen: set[str] = set()
    for p in report.packages:
        purl = _purl(p, distro, distro_version)
        ref = str(purl)
        if ref in seen:
            continue
        seen.add(ref)
        licenses = []
        if p.license:
            simple = re.fullmatch(r"[A-Za-z0-9.\-+]+(?: (?:AND|OR|WITH) [A-Za-z0-9.\-+]+)*", p.license)
            licenses = [LicenseExpression(p.license)] if simple else [DisjunctiveLicense(name=p.license)]
        comp = Component(
            name=p.name, version=p.version or None, type=ComponentType.LIBRARY if p.ecosystem in ("pypi", "conda")
            else ComponentType.APPLICATION, purl=purl, bom_ref=ref, licenses=licenses,
            properties=[Property(name="marketplace_prep:source", value="/" + p.source)] if p.source else [],
        )
        components.append(comp)
        bom.components.add(comp)
    bom.register_dependency(image, components)
    return make_outputter(bom, OutputFormat.JSON, SchemaVersion.V1_6).output_as_string(indent=indent)
