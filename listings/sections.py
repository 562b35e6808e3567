"""The sections a seller edits one at a time, in the order the pages show them.

Which snapshot keys a section owns, and their empty values, are facts of the snapshot's shape and live in
validation/snapshot_schema.py; this module adds what the pages need: titles, help, which kinds have them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from validation.snapshot_schema import EMPTY_SNAPSHOT_SECTIONS, SECTION_KEYS, section_of

section_of_location = section_of


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    kinds: tuple[str, ...] = ("model_package", "algorithm")
    help: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        return SECTION_KEYS[self.name]


SECTIONS: tuple[Section, ...] = (
    Section("product", "Product information",
            help="What buyers read first: title, descriptions, highlights, categories, keywords, support."),
    Section("version", "Version",
            help="This version's title, release notes, usage instructions and sample input and output."),
    Section("instance_types", "Instance types",
            help="Where buyers can run the product, and the type you recommend for each mode."),
    Section("endpoint", "Endpoint configuration",
            help="Content types in and out, batch strategy, container environment, framework."),
    Section("hyperparameters", "Hyperparameters", kinds=("algorithm",),
            help="The hyperparameters your training code accepts, with their types, ranges and defaults."),
    Section("training", "Training channels and metrics", kinds=("algorithm",),
            help="Input channels, metric definitions and tuning objectives."),
    Section("pricing", "Pricing and free trial",
            help="Free, hourly per instance type, or per inference; and an optional free trial."),
    Section("legal", "Legal and support", help="End-user licence agreement and refund policy."),
    Section("aws", "AWS settings",
            help="Region, account, roles, S3 locations and the image and model data AWS will use."),
)
BY_NAME = {s.name: s for s in SECTIONS}
assert set(BY_NAME) == set(SECTION_KEYS), "every section of the snapshot needs a page, and only those"


def sections_for(kind: str) -> list[Section]:
    return [s for s in SECTIONS if kind in s.kinds]


def empty_section_value(key: str):
    for values in EMPTY_SNAPSHOT_SECTIONS.values():
        if key in values:
            return copy.deepcopy(values[key])
    raise KeyError(key)
