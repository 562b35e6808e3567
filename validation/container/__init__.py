"""Reading container images (static analysis in one streaming pass) — DESIGN.md "Container validation".

Public API:
- ``analyse_image(path, listing, progress) -> ImageReport``: read an uploaded docker-save / OCI archive.
- ``findings(report, listing, role=...) -> list[Finding]``: the report judged against the listing.
- ``cyclonedx_json(report) -> str``: the SBOM of what was found.
"""

from validation.container.analysis import analyse_image
from validation.container.limits import DEFAULT_LIMITS, ReadLimits
from validation.container.report import ImageReport
from validation.container.sbom import cyclonedx_json
from validation.container.verdicts import findings

__all__ = ["DEFAULT_LIMITS", "ImageReport", "ReadLimits", "analyse_image", "cyclonedx_json", "findings"]
