"""The two AWS requests in the bundle, built from the frozen snapshot and validated before they are written.

``sagemaker/create_model_package.json`` or ``sagemaker/create_algorithm.json`` and ``marketplace/change_set.json``
come from ``validation.aws_requests`` — the same builders the request checks use, so what the seller saw
validated is byte for byte what the bundle carries — and each is validated again here (botocore's
``ParamValidator`` plus the strict enum/pattern/min/max walk; for the change set also AWS's DetailsDocument
shapes and the ChangeName chain). A request that does not validate stops the export with every error named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from listings.export.errors import ExportError
from validation.aws_models import RequestError
from validation.aws_requests import (
    BuiltRequest,
    IncompleteListing,
    build_change_set,
    build_sagemaker_request,
    validate_change_set,
    validate_sagemaker_request,
)

__all__ = ["ARCNAMES", "BundleRequests", "bundle_requests"]

ARCNAMES = {
    "CreateModelPackage": "sagemaker/create_model_package.json",
    "CreateAlgorithm": "sagemaker/create_algorithm.json",
    "StartChangeSet": "marketplace/change_set.json",
}
MAX_SHOWN = 10


@dataclass(frozen=True)
class BundleRequests:
    sagemaker: BuiltRequest
    change_set: BuiltRequest

    @property
    def sagemaker_arcname(self) -> str:
        return ARCNAMES[self.sagemaker.operation]

    @property
    def resource_name(self) -> str:
        """The model package / algorithm name the SageMaker request creates."""
        member = "ModelPackageName" if self.sagemaker.operation == "CreateModelPackage" else "AlgorithmName"
        return str(self.sagemaker.params.get(member, ""))


def _explain(built: BuiltRequest, errors: list[RequestError]) -> str:
    parts = []
    for error in errors[:MAX_SHOWN]:
        where = built.location_for(error.path)
        field = f" (field {where.removeprefix('field:')})" if where.startswith("field:") else ""
        parts.append(f"{error.path or 'the request'} {error.message}{field}")
    more = f"; and {len(errors) - MAX_SHOWN} more" if len(errors) > MAX_SHOWN else ""
    return "; ".join(parts) + more


def _built(build, snapshot: dict[str, Any], version_number: int, what: str) -> BuiltRequest:
    try:
        return build(snapshot, version_number=version_number)
    except IncompleteListing as exc:
        gaps = "; ".join(f"{m.label} {m.reason}" for m in exc.missing[:MAX_SHOWN])
        raise ExportError(f"The {what} cannot be built from this version: {gaps}.") from exc
    except ValueError as exc:
        raise ExportError(f"The {what} cannot be built from this version: {exc}.") from exc


def bundle_requests(snapshot: dict[str, Any], *, version_number: int) -> BundleRequests:
    """Both requests, validated; raises ``ExportError`` naming every problem."""
    sagemaker = _built(build_sagemaker_request, snapshot, version_number, "SageMaker request")
    errors = validate_sagemaker_request(sagemaker)
    if errors:
        raise ExportError(f"The SageMaker {sagemaker.operation} request does not validate against botocore's "
                          f"sagemaker model: {_explain(sagemaker, errors)}.")
    change_set = _built(build_change_set, snapshot, version_number, "Catalog API change set")
    errors = validate_change_set(change_set)
    if errors:
        raise ExportError("The Catalog API StartChangeSet request does not validate against botocore's "
                          f"marketplace-catalog model and AWS's published shapes: {_explain(change_set, errors)}.")
    return BundleRequests(sagemaker=sagemaker, change_set=change_set)
