"""The command-line pre-flight (``manage.py prep``): the same checks as the web, on local files.

Kinds are detected from the content (magic bytes and structure), never from the file name; ``--kind`` forces.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import tarfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from validation.checks.registry import ArtifactFile, Check, Subject, ordered_checks
from validation.engine import run_checks, verdict_of
from validation.findings import Finding
from validation.snapshot_schema import empty_snapshot

KINDS = ("listing", "notebook", "sample_data", "logo", "image", "model_data", "documentation")
# Which checks speak about which kind of input (check names are "<area>.<what>"): an entry ending in "." selects
# every check of that area, any other entry names one check exactly.
AREAS_FOR_KIND = {
    "listing": ("listing.", "request.", "docs.usage_instructions", "docs.listing_copy"),
    "notebook": ("notebook.",),
    "sample_data": ("data.",),
    "logo": ("logo.",),
    "image": ("container.",),
    "model_data": (),  # read by the container rehearsal only; nothing checks a model archive on its own
    "documentation": ("docs.documentation_files",),
}
_SNIFF_BYTES = 4096


# AWS's sample-notebook layout (data/input/real-time/…, data/output/batch/…): what lies there is sample data,
# images included (an image there is a sample request, not a logo).
_DIRECTIONS = {"input", "output"}
_MODES = {"realtime", "real-time", "real_time", "batch"}
_IMAGE_ARCHIVE_MEMBER = re.compile(r"(?:\./)?(?:blobs/|oci-layout$|index\.json$|manifest\.json$|repositories$|"
                                   r"[0-9a-f]{64}(?:/|\.json$|\.tar$))")


def in_sample_layout(path: Path) -> bool:
    parts = [p.lower() for p in path.parent.parts]
    return any(p in _DIRECTIONS and any(q in _MODES for q in parts[i + 1:]) for i, p in enumerate(parts))


def _gzip_kind(path: Path) -> str:
    """A gzip-compressed tar is an image archive (``docker save | gzip``, an OCI layout) when its first member
    belongs to that layout; otherwise it is model data (SageMaker's model.tar.gz). Only the first header is read."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            first = tar.next()
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        return "model_data"
    return "image" if first is not None and _IMAGE_ARCHIVE_MEMBER.match(first.name) else "model_data"


def detect_kind(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
        fh.seek(257)
        tar_magic = fh.read(5)
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "sample_data" if in_sample_layout(path) else "logo"
    if tar_magic == b"ustar":
        return "image"
    if head.startswith(b"\x1f\x8b"):
        return _gzip_kind(path)
    text = head.lstrip()
    if text.startswith(b"{"):
        try:
            data = json.loads(path.read_bytes()) if path.stat().st_size < 50 * 1024**2 else None
        except ValueError:
            data = None
        if isinstance(data, dict) and "cells" in data and "nbformat" in data:
            return "notebook"
        if isinstance(data, dict) and {"kind", "product"} <= set(data):
            return "listing"
    if (path.suffix.lower() in (".md", ".markdown", ".rst", ".txt", ".html", ".htm") and b"\x00" not in head
            and not in_sample_layout(path)):
        return "documentation"
    return "sample_data"


def collect(paths: Iterable[Path]) -> list[Path]:
    """The files to check: each file given, and every file under each folder given (hidden files and folders
    such as .ipynb_checkpoints/ or .git/ left out)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file()
                                and not any(part.startswith(".") for part in p.relative_to(path).parts)))
        else:
            files.append(path)
    return files


def display_name(path: Path, roots: Iterable[Path] = ()) -> str:
    """A file's name in findings: its path under the folder it was found in (``input/real-time/a.csv``), so two
    files of one name in different folders stay apart; a file given by itself is named by its name."""
    for root in roots:
        if root.is_dir():
            try:
                return path.relative_to(root).as_posix()
            except ValueError:
                continue
    return path.name


class ListingFileError(ValueError):
    """The listing file cannot be read as a listing (bad usage rather than a finding)."""


def load_listing(path: Path) -> dict:
    """A listing.json (the bundle's listing/listing.json shape). Sections or fields left out count as empty,
    so the checks report them as missing rather than stopping."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ListingFileError(f"{path}: not a listing JSON file ({exc})") from exc
    if not isinstance(data, dict) or data.get("kind") not in ("model_package", "algorithm"):
        raise ListingFileError(f'{path}: not a listing: expected a JSON object with "kind": "model_package" '
                               'or "algorithm" (the bundle\'s listing/listing.json)')
    snapshot = empty_snapshot(data["kind"])
    for key, value in data.items():
        empty = snapshot.get(key)
        snapshot[key] = {**empty, **value} if isinstance(empty, dict) and isinstance(value, dict) else value
    return snapshot


_ALGORITHM_NOTEBOOK = re.compile(rb"algo_arn|algorithm_arn|AlgorithmEstimator|:algorithm/")


def _product_kind(artifacts: list[ArtifactFile]) -> str:
    """Without a listing, a notebook tells which product it is for (AWS's algorithm template uses ``algo_arn``
    and ``AlgorithmEstimator``); model package otherwise."""
    for f in artifacts:
        if f.kind == "notebook" and f.path.stat().st_size < 50 * 1024**2 and _ALGORITHM_NOTEBOOK.search(
                f.path.read_bytes()):
            return "algorithm"
    return "model_package"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def build_subject(files: list[Path], *, kind: str | None, listing: dict | None,
                  roots: Iterable[Path] = ()) -> tuple[Subject, set[str]]:
    """``roots``: the folders given on the command line, to name files by their path under them."""
    roots = list(roots)
    snapshot = listing
    artifacts, kinds = [], set()
    for path in files:
        file_kind = kind or detect_kind(path)
        kinds.add(file_kind)
        if file_kind == "listing":
            snapshot = load_listing(path)
            continue
        artifacts.append(ArtifactFile(kind=file_kind, path=path, name=display_name(path, roots),
                                      sha256=_sha256(path)))
    if listing is not None:
        kinds.add("listing")
    if snapshot is None:
        snapshot = empty_snapshot(_product_kind(artifacts))
    return Subject(listing=snapshot, files=tuple(artifacts)), kinds


def selects(entry: str, name: str) -> bool:
    return name.startswith(entry) if entry.endswith(".") else name == entry


def checks_for(kinds: set[str], *, rehearse: bool = True) -> list[Check]:
    """``rehearse=False`` leaves out the container rehearsal (it runs the image: ``prep check --run`` only)."""
    entries = [e for k in kinds for e in AREAS_FOR_KIND.get(k, ())]
    return [c for c in ordered_checks() if any(selects(e, c.name) for e in entries)
            and (rehearse or c.name != REHEARSAL_CHECK)]


def run(subject: Subject, kinds: set[str], *, policy: str, rehearse: bool = False) -> list[tuple[Check, list[Finding]]]:
    return run_checks(subject, policy=policy, checks=checks_for(kinds, rehearse=rehearse))


# --- container images (issue 5): a registry reference instead of an archive; the rehearsal only with --run ----
REHEARSAL_CHECK = "container.rehearsal"


def is_image_reference(text: str) -> bool:
    """``host/repo:tag`` or ``host/repo@sha256:…`` (ECR or any OCI registry), as ``aws.image_uri`` holds it."""
    from validation.container.registry import RegistryError, parse_reference

    try:
        parse_reference(text)
    except RegistryError:
        return False
    return True


def with_image_reference(subject: Subject, kinds: set[str], reference: str) -> tuple[Subject, set[str]]:
    """The subject with ``reference`` as the listing's ``aws.image_uri``: the registry check streams the image
    from there, as on the web (no archive attached)."""
    aws = subject.listing.get("aws") if isinstance(subject.listing.get("aws"), dict) else {}
    listing = {**subject.listing, "aws": {**aws, "image_uri": reference}}
    return dataclasses.replace(subject, listing=listing), kinds | {"image"}


# --- output ----------------------------------------------------------------------------------------------
def _counts(results) -> dict[str, int]:
    all_findings = [f for _, fs in results for f in fs]
    return {o: sum(1 for f in all_findings if f.outcome == o) for o in ("failed", "not_run", "passed")}


def as_text(results, *, verbose: bool = False) -> str:
    lines = []
    for check, findings in results:
        for f in findings:
            if f.outcome == "passed" and not verbose:
                continue
            mark = {"failed": "FAIL", "not_run": "SKIP", "passed": "ok  "}[str(f.outcome)]
            where = f" [{f.location}]" if f.location else ""
            lines.append(f"{mark} {f.code} {f.severity}: {f.message}{where}")
            if f.hint and f.outcome != "passed":
                lines.append(f"     fix: {f.hint}")
    counts = _counts(results)
    if not any(counts.values()):
        lines.append("NOTHING CHECKED: no offline check applies to these files (use --kind to say what they are).")
    verdict = verdict_of(f for _, fs in results for f in fs)
    lines.append(f"{verdict.upper()}: {counts['failed']} failed, {counts['not_run']} not run, {counts['passed']} passed")
    return "\n".join(lines)


def as_json(results) -> str:
    findings = [f.as_dict() | {"check": c.name} for c, fs in results for f in fs]
    return json.dumps({"verdict": verdict_of(f for _, fs in results for f in fs), "counts": _counts(results),
                       "findings": findings}, indent=2, ensure_ascii=False)


# Characters XML 1.0 cannot carry at all (control characters from a binary file quoted in a message).
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", str(value)))


def _xml_attr(value: str) -> str:
    return quoteattr(_NOT_XML.sub("\ufffd", str(value)))


def as_junit(results) -> str:
    """JUnit XML as CI systems read it (GitLab, Jenkins, GitHub test reporters): one test case per finding, so
    a seller's CI shows each rule. A blocking finding is a <failure> carrying the fix; a failed warning passes
    with the message in <system-out>; a check that did not run is <skipped> with its reason."""
    cases, failures, skipped = [], 0, 0
    for check, findings in results:
        for f in findings:
            name = _xml_attr(f"{f.code} {f.location}".strip())
            body = ""
            if f.blocking:
                failures += 1
                detail = f.message + (f"\nwhere: {f.location}" if f.location else "") + (
                    f"\nfix: {f.hint}" if f.hint else "")
                body = f"<failure message={_xml_attr(f.message)} type={_xml_attr(f.code)}>{_xml_text(detail)}</failure>"
            elif f.outcome == "failed":
                body = f"<system-out>{_xml_text(f'{f.severity}: {f.message}' + (f' fix: {f.hint}' if f.hint else ''))}</system-out>"
            elif f.outcome == "not_run":
                skipped += 1
                body = f"<skipped message={_xml_attr(f.message)}/>"
            cases.append(f"    <testcase classname={_xml_attr(check.name)} name={name} time=\"0\">{body}</testcase>")
    counts = f'tests="{len(cases)}" failures="{failures}" errors="0" skipped="{skipped}"'
    return "\n".join(['<?xml version="1.0" encoding="UTF-8"?>', f'<testsuites name="marketplace_prep" {counts}>',
                      f'  <testsuite name="marketplace_prep" {counts} time="0">', *cases, "  </testsuite>",
                      "</testsuites>"]) + "\n"
