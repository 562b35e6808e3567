"""Status fields, each published in the schema as its own named enum.

Three different things are called ``status`` — a listing's, a version's and a job's (runs and bundles). Left to
drf-spectacular's enum naming they collide (a warning, and names like ``Status26cEnum``); instead each field
class below is mapped to a named component (``ListingStatus``, ``VersionStatus``, ``JobStatus``) by an extension,
which needs no settings entry and reads the choices from the models, the one place they are defined.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from listings.jobs import JobStatus
from listings.models import ListingStatus, VersionStatus


class _StatusField(serializers.ChoiceField):
    choices_class: type = JobStatus
    description = ""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", self.description or None)
        super().__init__(choices=self.choices_class.choices, **kwargs)


class ListingStatusField(_StatusField):
    choices_class = ListingStatus


class VersionStatusField(_StatusField):
    choices_class = VersionStatus


class JobStatusField(_StatusField):
    choices_class = JobStatus
    description = "queued, running, succeeded, or failed (the job itself broke, not the listing)."


class _StatusFieldExtension(OpenApiSerializerFieldExtension):
    target_class = _StatusField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        choices = self.target.choices_class
        component = ResolvedComponent(
            name=choices.__name__, type=ResolvedComponent.SCHEMA, object=choices.__name__,
            schema={"type": "string", "enum": list(choices.values),
                    "description": "\n".join(f"* `{value}` - {label}" for value, label in choices.choices)},
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref
