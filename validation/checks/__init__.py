"""Importing this package registers every check (one module per artifact kind)."""

from validation.checks import (  # noqa: F401
    consistency,
    container_registry,
    container_static,
    docs,
    listing,
    listing_aws,
    listing_endpoint,
    listing_hyperparameters,
    listing_instances,
    listing_legal,
    listing_pricing,
    listing_training,
    listing_version,
    logo,
    notebook,
    rehearsal,
    request,
    sample_data,
)
from validation.checks.registry import REGISTRY, ArtifactFile, Check, Subject, ordered_checks

__all__ = ["REGISTRY", "ArtifactFile", "Check", "Subject", "ordered_checks"]
