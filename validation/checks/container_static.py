"""Static analysis of the uploaded container image (AWS_RULES.md §4–5): one streaming read per image.

The rehearsal run (stage ``STAGE_REHEARSAL``) is a separate check; this one never executes the image.
"""

from __future__ import annotations

from collections.abc import Iterator

from validation.checks.registry import STAGE_IMAGE_STATIC, Subject, check
from validation.container.analysis import analyse_image
from validation.container.verdicts import CODES, findings
from validation.findings import Finding
from validation.rules.container import RULES_BY_CODE as R


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
    for image in images:
        report = analyse_image(image.path, subject.listing)
        role = str(image.tags.get("role", "")) if isinstance(image.tags, dict) else ""
        yield from findings(report, subject.listing, role=role, where=f"artifact:{image.name}")
