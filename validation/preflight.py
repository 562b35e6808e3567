"""The command-line pre-flight (``manage.py prep``): the same checks as the web, on local files.

Kinds are detected from the content (magic bytes and structure), never from the file name; ``--kind`` forces.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from validation.checks.registry import ArtifactFile, Check, Subject, ordered_checks
from validation.engine import run_checks, verdict_of
from validation.findings import Finding
from validation.snapshot_schema import empty_snapshot

KINDS = ("listing", "notebook", "sample_data", "logo", "image", "model_data", "documentation")
# Which checks speak about which kind of input (check names are "<area>.<what>").
AREAS_FOR_KIND = {
    "listing": ("listing.", "request.", "docs."),
    "notebook": ("notebook.",),
    "sample_data": ("data.",),
    "logo": ("logo.",),
    "image": ("container.",),
    "model_data": ("model_data.",),
    "documentation": ("docs.",),
}
_SNIFF_BYTES = 4096


def detect_kind(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
        fh.seek(257)
        tar_magic = fh.read(5)
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "logo"
    if tar_magic == b"ustar":
        return "image"
    if head.startswith(b"\x1f\x8b"):
        return "model_data"
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
    if path.suffix.lower() in (".md", ".markdown", ".rst", ".txt") and b"\x00" not in head:
        return "documentation"
    return "sample_data"


def collect(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def build_subject(files: list[Path], *, kind: str | None, listing: dict | None) -> tuple[Subject, set[str]]:
    snapshot = listing or empty_snapshot("model_package")
    artifacts, kinds = [], set()
    for path in files:
        file_kind = kind or detect_kind(path)
        kinds.add(file_kind)
        if file_kind == "listing":
            snapshot = json.loads(path.read_text())
            continue
        artifacts.append(ArtifactFile(kind=file_kind, path=path, name=path.name, sha256=_sha256(path)))
    if listing is not None:
        kinds.add("listing")
    return Subject(listing=snapshot, files=tuple(artifacts)), kinds


def checks_for(kinds: set[str]) -> list[Check]:
    prefixes = tuple(p for k in kinds for p in AREAS_FOR_KIND.get(k, ()))
    return [c for c in ordered_checks() if c.name.startswith(prefixes)]


def run(subject: Subject, kinds: set[str], *, policy: str) -> list[tuple[Check, list[Finding]]]:
    return run_checks(subject, policy=policy, checks=checks_for(kinds))


# --- output ----------------------------------------------------------------------------------------------
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
    all_findings = [f for _, fs in results for f in fs]
    counts = {o: sum(1 for f in all_findings if f.outcome == o) for o in ("failed", "not_run", "passed")}
    verdict = verdict_of(all_findings)
    lines.append(f"{verdict.upper()}: {counts['failed']} failed, {counts['not_run']} not run, {counts['passed']} passed")
    return "\n".join(lines)


def as_json(results) -> str:
    findings = [f.as_dict() | {"check": c.name} for c, fs in results for f in fs]
    return json.dumps({"verdict": verdict_of(f for _, fs in results for f in fs), "findings": findings}, indent=2)


def as_junit(results) -> str:
    """One test case per finding, so a seller's CI shows each rule; failures carry the hint."""
    cases, failures, skipped = [], 0, 0
    for check, findings in results:
        for f in findings:
            name = quoteattr(f"{f.code} {f.location}".strip())
            body = ""
            if f.outcome == "failed" and f.severity == "error":
                failures += 1
                body = f"<failure message={quoteattr(f.message)}>{escape(f.hint)}</failure>"
            elif f.outcome == "failed":
                body = f"<system-out>{escape(f.severity + ': ' + f.message)}</system-out>"
            elif f.outcome == "not_run":
                skipped += 1
                body = f"<skipped message={quoteattr(f.message)}/>"
            cases.append(f'  <testcase classname={quoteattr(check.name)} name={name}>{body}</testcase>')
    header = (f'<testsuite name="marketplace_prep" tests="{len(cases)}" failures="{failures}" '
              f'skipped="{skipped}">')
    return "\n".join(['<?xml version="1.0" encoding="UTF-8"?>', header, *cases, "</testsuite>"])
