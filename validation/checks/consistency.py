"""Checks across sections of the listing (AWS_RULES.md §4, FAQ): what no single section can see.

Each section's own check reports its wrong types; here values are read through a silent ``Report`` and only the
cross-section rules speak, each at the field the seller would change.
"""

from __future__ import annotations

from collections.abc import Iterator

from validation.aws_models import InstanceTypeInfo, describe_instance_type
from validation.checks.listing_instances import MODES, supported_types
from validation.checks.listing_values import Report, kind_of, listed, loc, plural, shown
from validation.checks.registry import STAGE_METADATA, Subject, check
from validation.findings import Finding
from validation.rules import limit

_TRAINING_FIELDS = ((("hyperparameters",), "hyperparameters"), (("channels",), "training channels"),
                    (("metrics",), "metric definitions"), (("tuning_objectives",), "tuning objectives"),
                    (("instance_types", "training"), "training instance types"))


def _describe(name: str) -> InstanceTypeInfo | None:
    if len(name) > 64:  # no instance type is this long; and describe_instance_type caches what it is given
        return None
    try:
        return describe_instance_type(name)
    except ValueError:  # not an instance type at all: listing.E050 reports it
        return None


def _accelerators(report: Report, types: dict[str, list[str] | None], framework: str) -> None:
    """W113/W114: GPU types with a CPU-only framework, Inferentia/Trainium without Neuron (soft: names only)."""
    cpu_only, neuron = limit("listing.W113"), limit("listing.W114")
    lowered = framework.lower()
    for code, wanted, mismatch in (
        ("listing.W113", {"nvidia_gpu"}, any(name in lowered for name in cpu_only)),
        ("listing.W114", {"inferentia", "trainium"}, not any(name in lowered for name in neuron)),
    ):
        report.check(code, loc("instance_types"))
        for mode in MODES:
            hits = [t for t in types[mode] or [] if (info := _describe(t)) and info.accelerator in wanted]
            if hits and mismatch:
                what = "GPU" if code == "listing.W113" else "Inferentia/Trainium"
                report.fail(code, f"{plural(len(hits), what + ' type')} ({listed(hits)}) with the framework "
                                  f"“{framework or 'not stated'}”.", loc("instance_types", mode), types=hits[:20])
                break


def _architectures(report: Report, types: dict[str, list[str] | None]) -> None:
    report.check("listing.W115", loc("instance_types"))
    by_arch: dict[str, list[str]] = {}
    for mode in MODES:
        for name in types[mode] or []:
            if info := _describe(name):
                by_arch.setdefault(info.architecture, []).append(name)
    if len(by_arch) > 1:
        report.fail("listing.W115", f"arm64 types ({listed(by_arch.get('arm64', []))}) are mixed with x86 types "
                                    f"({listed(by_arch.get('x86_64', []))}): one image must run on both.",
                    loc("instance_types"), architectures=sorted(by_arch))


def _kind_shape(report: Report, quiet: Report, kind: str, types: dict[str, list[str] | None]) -> None:
    if kind == "algorithm":
        report.check("listing.E116", loc("instance_types"))
        if not (types["realtime"] or types["batch"]):
            report.fail("listing.E116", "The algorithm has no real-time or batch instance types: a training-only "
                                        "algorithm cannot be listed.", loc("instance_types", "realtime"))
        return
    report.check("listing.W117", loc("instance_types", "training"))
    for path, what in _TRAINING_FIELDS:
        container = quiet.section(path[0]) if len(path) > 1 else quiet.listing
        if container.get(path[-1]):
            report.fail("listing.W117", f"A model package ignores its {what}.", loc(*path))


def _one_container(report: Report, quiet: Report) -> None:
    where = loc("aws", "image_uri")
    images = quiet.section("aws").get("image_uri")
    allowed = report.check("listing.E118", where)
    if isinstance(images, list) and len(images) != allowed:
        report.fail("listing.E118", f"{plural(len(images), 'image')} given; a Marketplace product ships exactly "
                                    f"{allowed} container.", where, count=len(images))


@check(
    name="listing.consistency",
    title="Consistency across sections",
    stage=STAGE_METADATA,
    codes=("listing.W113", "listing.W114", "listing.W115", "listing.E116", "listing.W117", "listing.E118",
           "listing.E119"),
)
def consistency_rules(subject: Subject) -> Iterator[Finding]:
    report, quiet = Report(subject.listing), Report(subject.listing)
    kinds = report.check("listing.E119", "field:kind")
    if report.listing.get("kind") not in kinds:
        report.fail("listing.E119", f"The listing kind {shown(report.listing.get('kind'))} is not one AWS "
                                    "lists.", "field:kind")
    kind = kind_of(report.listing)
    # Only the modes this kind uses: a model package's training types are ignored (W117 says so).
    modes = limit("listing.E051")[kind]
    types = {mode: found if mode in modes else None
             for mode, found in supported_types(quiet, quiet.section("instance_types")).items()}
    framework = quiet.section("endpoint").get("framework")
    framework = framework if isinstance(framework, str) else ""
    _accelerators(report, types, framework)
    _architectures(report, types)
    _kind_shape(report, quiet, kind, types)
    _one_container(report, quiet)
    yield from report.findings()
