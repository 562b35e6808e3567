"""Importing this package registers every check (one module per artifact kind)."""

from validation.checks import container_registry, container_static, listing, request  # noqa: F401
from validation.checks.registry import REGISTRY, ArtifactFile, Check, Subject, ordered_checks

__all__ = ["REGISTRY", "ArtifactFile", "Check", "Subject", "ordered_checks"]
