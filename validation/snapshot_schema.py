"""The listing snapshot's shape as data (validation/SNAPSHOT.md): sections, their keys and empty values. Pure.

The app creates a new listing with ``empty_snapshot(kind)`` (or one section's default from
``EMPTY_SNAPSHOT_SECTIONS``), so "every key is always present" (SNAPSHOT.md) holds from the first save; the checks
and ``validation.checks.sections.section_findings`` use ``SECTION_KEYS`` to route findings to a section's form.
"""

from __future__ import annotations

import copy
import re
from typing import Any

SCHEMA_VERSION = 1
KINDS = ("model_package", "algorithm")

# section → the top-level snapshot keys it owns (SNAPSHOT.md table).
SECTION_KEYS: dict[str, tuple[str, ...]] = {
    "product": ("product",),
    "version": ("version",),
    "instance_types": ("instance_types",),
    "endpoint": ("endpoint",),
    "hyperparameters": ("hyperparameters",),
    "training": ("channels", "metrics", "tuning_objectives"),
    "pricing": ("pricing",),
    "legal": ("legal",),
    "aws": ("aws",),
}
# Free-form dicts: their entries are located in brackets (``field:pricing.prices[m.i.c]``), fixed fields with a dot.
MAP_FIELDS = frozenset({"field:endpoint.environment", "field:pricing.prices"})

# section → {top-level key: its empty value}. Unset text is "", unset lists [], unset numbers None, maps {}.
# Unset choices are "": pricing "model" and legal "eula" are then asked for (listing.E089, E100); an unset
# "batch_strategy" leaves SageMaker's default. Shared: deep-copy before changing (empty_snapshot does).
EMPTY_SNAPSHOT_SECTIONS: dict[str, dict[str, Any]] = {
    "product": {"product": {
        "title": "", "short_description": "", "long_description": "", "highlights": [], "categories": [],
        "search_keywords": [], "sku": "", "support_description": "", "additional_resources": [], "video_url": "",
    }},
    "version": {"version": {
        "version_title": "", "release_notes": "", "usage_instructions": "",
        "input_description": "", "output_description": "", "input_limitations": "",
        "sample_input_realtime": "", "sample_output_realtime": "", "sample_input_batch": "", "sample_output_batch": "",
        # parameter items: {"name": str, "description": str, "constraints": str, "required": bool}
        "input_parameters": [], "custom_attributes": [], "output_parameters": [],
        "repository_url": "", "notebook_url": "",
    }},
    "instance_types": {"instance_types": {
        "realtime": [], "batch": [], "training": [],
        "recommended": {"realtime": "", "batch": "", "training": ""},
        "distributed_training": False,
    }},
    "endpoint": {"endpoint": {
        "input_content_types": [], "response_mime_types": [], "batch_strategy": "", "max_payload_mb": None,
        "environment": {}, "framework": "", "framework_version": "",
    }},
    "hyperparameters": {"hyperparameters": []},
    "training": {"channels": [], "metrics": [], "tuning_objectives": []},
    "pricing": {"pricing": {"model": "", "prices": {}, "free_trial_days": None}},
    "legal": {"legal": {"eula": "", "eula_url": "", "refund_policy": ""}},
    "aws": {"aws": {
        "region": "", "account_id": "", "validation_role_arn": "", "access_role_arn": "", "s3_input_location": "",
        "s3_output_location": "", "image_uri": "", "model_data_uri": "", "sagemaker_arn": "",
    }},
}


def empty_snapshot(kind: str, *, listing_id: str = "") -> dict[str, Any]:
    """A complete snapshot with every key present and nothing filled in; a fresh copy on every call."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    snapshot: dict[str, Any] = {"schema": SCHEMA_VERSION, "id": listing_id, "kind": kind}
    for keys in EMPTY_SNAPSHOT_SECTIONS.values():
        snapshot.update(copy.deepcopy(keys))
    snapshot["artifacts"] = []
    return snapshot


def section_of(location: str) -> str | None:
    """The section a finding's location belongs to: ``field:metrics[2].regex`` → ``training``; else None."""
    if not location.startswith("field:"):
        return None
    path = location[len("field:"):]
    end = min((i for i in (path.find("."), path.find("[")) if i >= 0), default=len(path))
    key = path[:end]
    return next((section for section, keys in SECTION_KEYS.items() if key in keys), None)


_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[([^\]]*)\]")


def value_at(snapshot: dict, location: str) -> Any:
    """The value a ``field:`` location names (``field:product.search_keywords[3]``), or None if absent."""
    if not location.startswith("field:"):
        return None
    path = "." + location[len("field:"):]
    value: Any = snapshot
    for name, key in _STEP.findall(path):
        if isinstance(value, dict):
            value = value.get(name or key)
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    return value


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not (value.strip() if isinstance(value, str) else value))
