"""How checks are declared and found.

A check is a pure function: it takes a ``Subject`` (listing data and local files) and yields ``Finding``s.
No ORM, no network — the services fetch artifacts once and hand paths in (DESIGN.md "Checks are pure").
Stages order the work cheap-first, so a seller sees metadata problems in seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from validation.findings import Finding

STAGE_METADATA = 10
STAGE_FILES = 20
STAGE_NOTEBOOK = 30
STAGE_DATA = 40
STAGE_IMAGE_STATIC = 50
STAGE_REHEARSAL = 60


@dataclass(frozen=True)
class ArtifactFile:
    """One artifact as a check sees it: a local path plus what the seller said it is."""

    kind: str  # notebook | sample_data | logo | image | model_data | documentation
    path: Path
    name: str
    sha256: str = ""
    tags: dict = field(default_factory=dict)  # e.g. {"mode": "batch", "direction": "input", "content_type": "text/csv"}


@dataclass(frozen=True)
class Subject:
    listing: dict  # the listing snapshot, the same shape as the bundle's listing/listing.json
    files: tuple[ArtifactFile, ...] = ()
    # Long checks (image reads, the rehearsal) report what they are doing, e.g. "probe /ping: 200 in 12 ms";
    # the service shows it live. A plain callable keeps the checks free of the ORM.
    progress: Callable[[str], None] | None = field(default=None, compare=False)
    # What a check keeps with the run besides its findings (the image report, the SBOM, the rehearsal's logs,
    # probes and outbound attempts): ``keep(kind, data, label=…, content_type=…)``; the service stores it.
    keep: Callable[..., None] | None = field(default=None, compare=False)

    def report(self, note: str) -> None:
        if self.progress is not None:
            self.progress(note)

    def attach(self, kind: str, data: object, *, label: str = "", content_type: str = "application/json") -> None:
        """Keep ``data`` (a JSON-able dict/list, or text/bytes) with the run as a report named ``kind``
        (``image``, ``sbom``, ``rehearsal``) for the image ``label``; a no-op where nobody keeps reports."""
        if self.keep is not None:
            self.keep(kind, data, label=label, content_type=content_type)

    def files_of(self, kind: str) -> list[ArtifactFile]:
        return [f for f in self.files if f.kind == kind]


CheckFunc = Callable[[Subject], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    stage: int
    func: CheckFunc
    codes: tuple[str, ...]  # every rule code the check may emit (kept in step with the catalog by a test)
    time_limit: float = 20.0  # seconds; past it the check becomes a not-run finding


REGISTRY: dict[str, Check] = {}


def check(*, name: str, title: str, stage: int, codes: Iterable[str], time_limit: float = 20.0):
    def register(func: CheckFunc) -> CheckFunc:
        if name in REGISTRY:
            raise ValueError(f"check {name} registered twice")
        REGISTRY[name] = Check(name, title, stage, func, tuple(codes), time_limit)
        return func

    return register


def ordered_checks() -> list[Check]:
    return sorted(REGISTRY.values(), key=lambda c: (c.stage, c.name))
