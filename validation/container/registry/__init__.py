"""The registry source of container validation: read an image by reference (ECR or any OCI registry, Registry
HTTP API v2) in one streaming pass, into the same ``ImageReport`` an uploaded archive gives.

Public API:
- ``analyse_reference(reference, listing, *, progress, credentials=None, platform=None, options=None)``
  → ``ImageReport`` (registry failures as ``registry.E0xx`` problems; image problems keep ``container`` codes).
- ``findings(report, listing, role=..., where=...)`` → registry findings + ``container.verdicts.findings``.
- ``RegistryOptions``: SSRF allow-list (default: the ``OUTBOUND_ALLOWED_HOSTS`` setting), endpoint overrides,
  plain-http hosts, timeouts, overall deadline, size caps, the ECR (boto3) endpoint.
- ``parse_reference``, ``Reference``, ``Credentials``, ``RegistryClient``, ``RegistryError``,
  ``ecr_credentials``, ``parse_ecr_host``.

Archive and registry share the analysis: ``source`` supplies the layout and the blob stream, and reuses
``analysis.analyse_layout`` (config, layers, summary) and ``walker.LayerWalker._walk_layer`` (one layer).
"""

from validation.container.registry.client import Credentials, RegistryClient, parse_challenges
from validation.container.registry.ecr import ecr_credentials, parse_ecr_host
from validation.container.registry.errors import DeadlineExceeded, RegistryError
from validation.container.registry.reference import Reference, parse_reference
from validation.container.registry.source import analyse_reference
from validation.container.registry.transport import RegistryOptions
from validation.container.registry.verdicts import CODES, findings, registry_findings

__all__ = ["CODES", "Credentials", "DeadlineExceeded", "Reference", "RegistryClient", "RegistryError",
           "RegistryOptions", "analyse_reference", "ecr_credentials", "findings", "parse_challenges",
           "parse_ecr_host", "parse_reference", "registry_findings"]
