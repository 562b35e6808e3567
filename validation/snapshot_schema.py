"""The empty listing, exactly as validation/SNAPSHOT.md describes it (pure; shared by the app and the checks)."""

from __future__ import annotations

import copy
from dataclasses import dataclass

SCHEMA_VERSION = 1

_PARAMETER_LISTS = ("input_parameters", "custom_attributes", "output_parameters")

_EMPTY: dict = {
    "product": {"title": "", "short_description": "", "long_description": "", "highlights": [], "categories": [],
                "search_keywords": [], "sku": "", "support_description": "", "additional_resources": [],
                "video_url": ""},
    "version": {"version_title": "", "release_notes": "", "usage_instructions": "", "input_description": "",
                "output_description": "", "input_limitations": "", "sample_input_realtime": "",
                "sample_output_realtime": "", "sample_input_batch": "", "sample_output_batch": "",
                **{name: [] for name in _PARAMETER_LISTS}, "repository_url": "", "notebook_url": ""},
    "instance_types": {"realtime": [], "batch": [], "training": [],
                       "recommended": {"realtime": "", "batch": "", "training": ""}, "distributed_training": False},
    "endpoint": {"input_content_types": [], "response_mime_types": [], "batch_strategy": "MultiRecord",
                 "max_payload_mb": None, "environment": {}, "framework": "", "framework_version": ""},
    "hyperparameters": [],
    "channels": [],
    "metrics": [],
    "tuning_objectives": [],
    "pricing": {"model": "free", "prices": {}, "free_trial_days": None},
    "legal": {"eula": "standard", "eula_url": "", "refund_policy": ""},
    "aws": {"region": "", "account_id": "", "validation_role_arn": "", "access_role_arn": "",
            "s3_input_location": "", "s3_output_location": "", "image_uri": "", "model_data_uri": "",
            "sagemaker_arn": ""},
}


def empty_section_value(key: str):
    return copy.deepcopy(_EMPTY[key])


def empty_snapshot(kind: str) -> dict:
    return {"schema": SCHEMA_VERSION, "id": "", "kind": kind, **copy.deepcopy(_EMPTY), "artifacts": []}


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    keys: tuple[str, ...]  # the snapshot's top-level keys this section owns
    kinds: tuple[str, ...] = ("model_package", "algorithm")
    help: str = ""


SECTIONS: tuple[Section, ...] = (
    Section("product", "Product information", ("product",),
            help="What buyers read first: title, descriptions, highlights, categories, keywords, support."),
    Section("version", "Version", ("version",),
            help="This version's title, release notes, usage instructions and sample input and output."),
    Section("instance_types", "Instance types", ("instance_types",),
            help="Where buyers can run the product, and the type you recommend for each mode."),
    Section("endpoint", "Endpoint configuration", ("endpoint",),
            help="Content types in and out, batch strategy, container environment, framework."),
    Section("hyperparameters", "Hyperparameters", ("hyperparameters",), kinds=("algorithm",),
            help="The hyperparameters your training code accepts, with their types, ranges and defaults."),
    Section("training", "Training channels and metrics", ("channels", "metrics", "tuning_objectives"),
            kinds=("algorithm",), help="Input channels, metric definitions and tuning objectives."),
    Section("pricing", "Pricing and free trial", ("pricing",),
            help="Free, hourly per instance type, or per inference; and an optional free trial."),
    Section("legal", "Legal and support", ("legal",), help="End-user licence agreement and refund policy."),
    Section("aws", "AWS settings", ("aws",),
            help="Region, account, roles, S3 locations and the image and model data AWS will use."),
)
BY_NAME = {s.name: s for s in SECTIONS}


def sections_for(kind: str) -> list[Section]:
    return [s for s in SECTIONS if kind in s.kinds]


def section_of_location(location: str) -> str | None:
    """``field:hyperparameters[2].default`` → ``hyperparameters``; ``field:channels[0].name`` → ``training``."""
    if not location.startswith("field:"):
        return None
    key = location[6:].split(".", 1)[0].split("[", 1)[0]
    return next((s.name for s in SECTIONS if key in s.keys), None)
