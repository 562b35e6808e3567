"""The exact AWS requests an approved listing version implies (issue 7's bundle; issue 4's request checks).

* ``sagemaker``: ``CreateModelPackage`` / ``CreateAlgorithm`` (botocore ``sagemaker`` model).
* ``catalog``: the Catalog API ``StartChangeSet`` for ``MachineLearningProduct@1.0`` + ``Offer@1.0``, with each
  ``DetailsDocument`` checked against AWS's published shapes (``catalog_shapes``).

Builders are pure and deterministic; each returns a ``BuiltRequest`` whose ``location_for(path)`` turns a
request path from a validation error into the seller's form field, or raises ``IncompleteListing``.
"""

from validation.aws_requests.base import BuiltRequest, IncompleteListing, MissingField
from validation.aws_requests.catalog import (
    build_change_set,
    dimension_keys,
    validate_change_details,
    validate_change_set,
    validate_change_set_request,
)
from validation.aws_requests.sagemaker import (
    build_create_algorithm,
    build_create_model_package,
    build_sagemaker_request,
    predicted_arn,
    sagemaker_name,
    validate_sagemaker_request,
)

__all__ = [
    "BuiltRequest",
    "IncompleteListing",
    "MissingField",
    "build_change_set",
    "build_create_algorithm",
    "build_create_model_package",
    "build_sagemaker_request",
    "dimension_keys",
    "predicted_arn",
    "sagemaker_name",
    "validate_change_details",
    "validate_change_set",
    "validate_change_set_request",
    "validate_sagemaker_request",
]
