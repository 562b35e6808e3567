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

Two pieces are copies kept in step by hand: ``source._analyse_remote`` (= ``analysis._analyse`` after
``open_layout``) and ``source.RemoteLayerWalker._read`` (= ``walker.LayerWalker._read`` with the blob read
from HTTP instead of ``os.pread``). A seam in those two modules — ``_analyse`` taking an ``ImageLayout`` plus a
"layer opener", and ``_read`` calling ``self._open_blob(fd, ref) -> (compression, region factory)`` — would
let this package supply only the opener.
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
