"""Static analysis of the image the listing names by URI (ECR or another OCI registry).

The one check that reads from the network, and deliberately so: the image is streamed through the analysis
layer by layer, never stored whole, so there is no "fetch first" step a service could do for it. It runs only
in the container stage (on the ``containers`` queue), behind the SSRF guard (``validation/netguard.py``).
Like the archive check, it keeps the image report and the SBOM with the run.
"""

from __future__ import annotations

from collections.abc import Iterator

from validation.checks.container_static import keep_image_report, read_progress
from validation.checks.registry import STAGE_IMAGE_STATIC, Subject, check
from validation.container.registry import CODES, RegistryOptions, analyse_reference, findings
from validation.findings import Finding
from validation.rules import rule


@check(
    name="container.registry",
    title="Container image from the registry (static analysis)",
    stage=STAGE_IMAGE_STATIC,
    codes=CODES,
    time_limit=3600.0,
)
def container_registry(subject: Subject) -> Iterator[Finding]:
    aws = subject.listing.get("aws") if isinstance(subject.listing.get("aws"), dict) else {}
    reference = str(aws.get("image_uri") or "")
    if subject.files_of("image") or not reference:
        reason = "an image archive is attached" if subject.files_of("image") else "no image URI is set"
        for code in CODES:
            yield rule(code).not_run(f"Not run: {reason}.", location="field:aws.image_uri")
        return
    subject.report(f"Image {reference}: reading from the registry (static analysis)")
    report = analyse_reference(reference, subject.listing, options=RegistryOptions(),
                               progress=read_progress(subject, reference))
    produced = findings(report, subject.listing, where="field:aws.image_uri")
    keep_image_report(subject, report, reference, produced)
    yield from produced
