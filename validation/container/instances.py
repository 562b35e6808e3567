"""What the chosen instance types need from an image: CPU architecture and accelerator.

The facts come from ``validation.aws_models.describe_instance_type``, the one place that knows instance
families (AWS_RULES.md §4). Its import is guarded: without it the checks that need instance facts report
"not run" instead of guessing from a second copy of the family rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

try:  # written by another part of the project; guarded so the image checks never depend on import order
    from validation.aws_models import describe_instance_type as _describe
except ImportError:  # pragma: no cover - depends on the tree
    _describe = None


@dataclass(frozen=True)
class InstanceFacts:
    name: str
    accelerator: str  # cpu | nvidia_gpu | graviton | inferentia | trainium | gaudi
    architecture: str  # x86_64 | arm64


def describe(name: str) -> InstanceFacts | None:
    """Facts for one instance type, or None when the name is unknown (the listing checks report that)."""
    if _describe is None:
        return None
    try:
        info = _describe(name)
    except Exception:  # unknown type: not this check's finding
        return None
    if info is None:
        return None
    return InstanceFacts(name, str(info.accelerator), str(info.architecture))


def declared_types(listing: Mapping, modes: tuple[str, ...] = ("realtime", "batch", "training"),
                   ) -> dict[str, list[str]]:
    types = listing.get("instance_types") or {}
    return {m: [t for t in types.get(m) or [] if isinstance(t, str)] for m in modes}


def available() -> bool:
    return _describe is not None


def all_declared(listing: Mapping) -> list[InstanceFacts]:
    seen: dict[str, InstanceFacts] = {}
    for names in declared_types(listing).values():
        for n in names:
            if n not in seen:
                facts = describe(n)
                if facts:
                    seen[n] = facts
    return list(seen.values())


def preferred_platforms(listing: Mapping) -> list[str]:
    """Which image of a multi-platform index to read: arm64 first only when every type is Graviton."""
    facts = all_declared(listing)
    if facts and all(f.architecture == "arm64" for f in facts):
        return ["linux/arm64", "linux/amd64"]
    return ["linux/amd64", "linux/arm64"]


OCI_ARCH = {"amd64": "x86_64", "arm64": "arm64", "x86_64": "x86_64", "aarch64": "arm64"}
