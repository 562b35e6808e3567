"""Static analysis of the uploaded container image (AWS_RULES.md §4–5): one streaming read per image.

The rehearsal run (stage ``STAGE_REHEARSAL``) is a separate check; this one never executes the image. Besides
its findings it keeps the image report and the CycloneDX SBOM with the run (``Subject.attach``) and tells
``subject.report`` how far the read is, one line per tenth of the image.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from validation.checks.registry import STAGE_IMAGE_STATIC, Subject, check
from validation.container.analysis import analyse_image
from validation.container.report import ImageReport
from validation.container.sbom import cyclonedx_json
from validation.container.verdicts import CODES, findings
from validation.findings import Finding, Outcome
from validation.rules.container import RULES_BY_CODE as R

log = logging.getLogger(__name__)
SBOM_CONTENT_TYPE = "application/vnd.cyclonedx+json"


def human_size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} GB"


PROGRESS_FROM = 32 * 1024 * 1024  # smaller images are read in a blink: no progress lines


def read_progress(subject: Subject, name: str) -> Callable[[int, int], None]:
    """``progress(done, total)`` for the analysis: a line each time the read passes another tenth."""
    told = [0]

    def progress(done: int, total: int) -> None:
        if total < PROGRESS_FROM:
            return
        tenth = 10 * done // total
        if told[0] < tenth < 10:
            told[0] = tenth
            subject.report(f"Image {name}: {100 * done // total}% read ({human_size(done)} of {human_size(total)})")

    return progress


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def keep_image_report(subject: Subject, report: ImageReport, label: str, produced: list[Finding],
                      role: str = "") -> None:
    """The summary line, the image report (packages counted: they are in the SBOM) and the SBOM."""
    problems = sum(1 for f in produced if f.outcome == Outcome.FAILED)
    if report.layers:
        subject.report(f"Image {label}: {report.format or 'image'}, {len(report.layers)} layers, "
                       f"{human_size(report.size_uncompressed)} unpacked, {_count(len(report.packages), 'package')}; "
                       f"{_count(problems, 'problem')} found")
    else:
        subject.report(f"Image {label}: could not be read ({_count(problems, 'problem')})")
    data = report.as_dict()
    data["packages"] = len(report.packages)
    data["role"] = role
    subject.attach("image", data, label=label)
    if report.layers:
        try:
            subject.attach("sbom", cyclonedx_json(report), label=label, content_type=SBOM_CONTENT_TYPE)
        except Exception:  # the findings stand without it; the page says no SBOM was kept
            log.exception("SBOM of %s could not be written", label)
            subject.report(f"Image {label}: the SBOM could not be written")


@check(
    name="container.static",
    title="Container image (static analysis)",
    stage=STAGE_IMAGE_STATIC,
    codes=CODES,
    time_limit=1800.0,  # a multi-GB image is read at disk speed; the service reports progress meanwhile
)
def container_static(subject: Subject) -> Iterator[Finding]:
    images = subject.files_of("image")
    if not images:
        for code in CODES:
            yield R[code].not_run("Not run: no container image is attached.", location="artifact:image")
        return
    def role_of(image) -> str:
        return str(image.tags.get("role", "")) if isinstance(image.tags, dict) else ""

    # The serving image first, so the run's first SBOM is the one buyers run (``selectors.run_sbom``).
    for image in sorted(images, key=lambda i: role_of(i) == "training"):
        role = role_of(image)
        subject.report(f"Image {image.name}: reading {human_size(image.path.stat().st_size)} (static analysis)")
        report = analyse_image(image.path, subject.listing, progress=read_progress(subject, image.name))
        produced = findings(report, subject.listing, role=role, where=f"artifact:{image.name}")
        keep_image_report(subject, report, image.name, produced, role)
        yield from produced
