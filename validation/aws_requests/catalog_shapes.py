"""The inside of a Catalog change: each ``DetailsDocument`` checked against AWS's published shapes.

botocore types ``DetailsDocument`` as a free-form JSON document, so ``validate_request`` cannot see a 600-character
``ProductTitle`` or a ``SageMakerModelPackageArn`` in the wrong form. AWS publishes the real shapes per entity
type and change type; the constraints below are transcribed from them and cited per block:

* ``MachineLearningProduct@1.0`` — github.com/awslabs/aws-marketplace-catalog-api-shapes-for-python,
  ``src/aws_marketplace_catalog_shapes_machinelearningproduct_1_0_changetypes/models/*.py`` (OpenAPI-generated
  pydantic models: ``max_length``, ``min_length`` and ``re.match`` patterns). Where the Catalog API guide's
  "Required fields" (ml-add-version.html) makes a member required that the generated model leaves optional, we
  follow the guide.
* ``Offer@1.0`` — the change types ML listings use, as the Catalog API guide shows them
  (update-pricing-terms.html, work-with-seller-products.html) plus the limits AWS_RULES.md §3 attributes to
  SHAPES (refund policy 1–500 characters, ≤ 800 rate-card items, the standard EULA version).

A shape pattern is applied like the generated models apply it: ``re.match`` (anchored at the start only).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from validation.aws_models import RequestError

__all__ = ["DETAILS_SHAPES", "validate_details"]


@dataclass(frozen=True)
class Str:
    min: int = 0
    max: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bool:
    pass


@dataclass(frozen=True)
class Arr:
    item: Spec
    min: int = 0
    max: int | None = None


@dataclass(frozen=True)
class Obj:
    members: Mapping[str, Spec]
    required: frozenset[str] = frozenset()
    exactly_one: tuple[tuple[str, ...], ...] = ()  # member groups of which exactly one must be present


@dataclass(frozen=True)
class Tagged:
    """An object whose ``tag`` member (e.g. ``Type``) picks the shape of the rest."""

    tag: str
    variants: Mapping[str, Obj] = field(default_factory=dict)


Spec = Union[Str, Bool, Arr, Obj, Tagged]


def obj(required: Mapping[str, Spec] | None = None, optional: Mapping[str, Spec] | None = None,
        exactly_one: tuple[tuple[str, ...], ...] = ()) -> Obj:
    return Obj({**(required or {}), **(optional or {})}, frozenset(required or {}), exactly_one)


# ----------------------------------------------------------------------- MachineLearningProduct@1.0 (SHAPES repo)

NONBLANK = r"^\S+[\S\s]*"  # starts with a non-space character (so: not empty, no leading white space)
HTTPS_URL = r"^https:\/\/(www\.)?[-a-zA-Z0-9@._]{1,256}\.[a-zA-Z0-9()]{2,63}\b([-a-zA-Z0-9@_+.\/]*)"
HTTP_URL = (r"^https?:\/\/(www\.)?[-a-zA-Z0-9@:%._+~#=]{1,256}\.[a-zA-Z0-9()]{2,63}\b"
            r"([-a-zA-Z0-9()@:%_+.~#?&\/=, ]*)$")
PRINTABLE_ASCII = r"^[ -~]+"
INSTANCE_TYPE = r"^\S{1,24}$"
ROLE_ARN = r"^arn:aws:iam::\d{12}:role(\/[A-Za-z0-9_+=,.@-]+)?$"
MODEL_PACKAGE_ARN = r"^arn:aws:sagemaker:[a-z0-9-]{4,24}:[0-9]{12}:model-package\/\S{1,2048}$"
ALGORITHM_ARN = r"^arn:aws:sagemaker:[a-z0-9-]{4,24}:[0-9]{12}:algorithm\/\S{1,2048}$"

# additional_resource.py
_ADDITIONAL_RESOURCE = obj(required={"Text": Str(max=500, pattern=NONBLANK), "Url": Str(pattern=HTTP_URL)})
# update_information_change_detail.py
_UPDATE_INFORMATION = obj(optional={
    "ProductTitle": Str(max=72, pattern=NONBLANK),
    "ShortDescription": Str(max=1000, pattern=NONBLANK),
    "LongDescription": Str(max=5000, pattern=NONBLANK),
    "Sku": Str(max=5000, pattern=NONBLANK),
    "LogoUrl": Str(pattern=HTTPS_URL),
    "VideoUrls": Arr(Str(), max=1),
    "Highlights": Arr(Str(max=500), min=1, max=3),
    "AdditionalResources": Arr(_ADDITIONAL_RESOURCE, max=3),
    "SupportDescription": Str(max=2000, pattern=NONBLANK),
    "Categories": Arr(Str(), min=1, max=3),
    "SearchKeywords": Arr(Str(max=50), min=1, max=15),
})
# create_product_change_detail.py
_CREATE_PRODUCT = obj(optional={"ProductTitle": Str(max=72, pattern=NONBLANK)})
# sample.py: text or https URL, for real-time and for batch (AWS_RULES.md §2 requires both)
_SAMPLE = obj(
    optional={"RealtimeInferenceText": Str(min=1, max=10000), "RealtimeInferenceUrl": Str(max=10000, pattern=HTTPS_URL),
              "BatchTransformText": Str(min=1, max=10000), "BatchTransformUrl": Str(max=10000, pattern=HTTPS_URL)},
    exactly_one=(("RealtimeInferenceText", "RealtimeInferenceUrl"), ("BatchTransformText", "BatchTransformUrl")),
)
# parameter.py / output_parameter.py (Name and Description required per ml-add-version.html)
_PARAMETER = obj(required={"Name": Str(min=1, max=100, pattern=PRINTABLE_ASCII), "Description": Str(min=1, max=1000)},
                 optional={"Constraints": Str(min=1, max=1500), "Required": Bool()})
_OUTPUT_PARAMETER = obj(required={"Name": Str(min=1, max=100, pattern=PRINTABLE_ASCII),
                                  "Description": Str(min=1, max=1000)},
                        optional={"AlwaysReturned": Bool()})
# input_properties.py / output_properties.py
_INPUT_PROPERTIES = obj(
    required={"Description": Str(min=1, max=10000), "SampleInput": _SAMPLE},
    optional={"Limitations": Str(min=1, max=1000), "Parameters": Arr(_PARAMETER, max=35),
              "SageMakerCustomAttributes": Arr(_PARAMETER, max=35)},
)
_OUTPUT_PROPERTIES = obj(required={"Description": Str(min=1, max=10000), "SampleOutput": _SAMPLE},
                         optional={"Parameters": Arr(_OUTPUT_PARAMETER, max=35)})
# add_delivery_options_sage_maker_{model_package,algorithm}_delivery_option_details.py
_DELIVERY_COMMON: dict[str, Spec] = {
    "UsageInstructions": Str(max=10000),
    "SampleNotebookUrl": Str(max=2000, pattern=HTTPS_URL),
    "RepositoryUrl": Str(max=2000, pattern=HTTPS_URL),
    "InputProperties": _INPUT_PROPERTIES,
    "OutputProperties": _OUTPUT_PROPERTIES,
    "AccessRoleArn": Str(pattern=ROLE_ARN),
}
_MODEL_PACKAGE_DELIVERY = obj(required={
    **_DELIVERY_COMMON,
    "RecommendedInstanceTypes": obj(required={"BatchTransform": Str(max=24, pattern=INSTANCE_TYPE),
                                              "RealtimeInference": Str(max=24, pattern=INSTANCE_TYPE)}),
    "SageMakerModelPackageArn": Str(pattern=MODEL_PACKAGE_ARN),
})
_ALGORITHM_DELIVERY = obj(required={
    **_DELIVERY_COMMON,
    "RecommendedInstanceTypes": obj(required={"BatchTransform": Str(max=24, pattern=INSTANCE_TYPE),
                                              "RealtimeInference": Str(max=24, pattern=INSTANCE_TYPE),
                                              "Training": Str(max=24, pattern=INSTANCE_TYPE)}),
    "SageMakerAlgorithmArn": Str(pattern=ALGORITHM_ARN),
})
# add_delivery_options_change_detail.py + add_version.py; "limited to one delivery option per version"
_ADD_DELIVERY_OPTIONS = obj(required={
    "Version": obj(required={"VersionTitle": Str(max=64, pattern=NONBLANK),
                             "ReleaseNotes": Str(max=30000, pattern=NONBLANK)}),
    "DeliveryOptions": Arr(obj(required={"Details": obj(
        optional={"SageMakerModelPackageDeliveryOptionDetails": _MODEL_PACKAGE_DELIVERY,
                  "SageMakerAlgorithmDeliveryOptionDetails": _ALGORITHM_DELIVERY},
        exactly_one=(("SageMakerModelPackageDeliveryOptionDetails", "SageMakerAlgorithmDeliveryOptionDetails"),),
    )}), min=1, max=1),
})
_EMPTY = obj()  # ReleaseProduct / ReleaseOffer take an empty document

# ------------------------------------------------------------------------------------------ Offer@1.0 (guide)

DECIMAL = r"^\d+(\.\d+)?$"
_RATE_CARD_ITEM = obj(required={"DimensionKey": Str(min=1), "Price": Str(pattern=DECIMAL)})
_PRICING_TERM = Tagged("Type", {
    "UsageBasedPricingTerm": obj(required={
        "CurrencyCode": Str(enum=("USD",)),
        # "You must include one RateCard only within this array" (update-pricing-terms.html)
        "RateCards": Arr(obj(required={"RateCard": Arr(_RATE_CARD_ITEM, min=1, max=800)}), min=1, max=1),
    }),
    "FreeTrialPricingTerm": obj(required={"Duration": Str(pattern=r"^P\d+D$"),
                                          "Grants": Arr(obj(required={"DimensionKey": Str(min=1)}), min=1)}),
})
_UPDATE_PRICING_TERMS = obj(required={"PricingModel": Str(enum=("Usage", "Free", "Contract")),
                                      "Terms": Arr(_PRICING_TERM, min=1)})
_LEGAL_DOCUMENT = Tagged("Type", {
    "StandardEula": obj(required={"Version": Str(enum=("2022-07-14",))}),
    "CustomEula": obj(required={"Url": Str(pattern=HTTPS_URL)}),
})
_UPDATE_LEGAL_TERMS = obj(required={"Terms": Arr(Tagged("Type", {"LegalTerm": obj(required={
    "Documents": Arr(_LEGAL_DOCUMENT, min=1, max=1)})}), min=1, max=1)})
_UPDATE_SUPPORT_TERMS = obj(required={"Terms": Arr(Tagged("Type", {"SupportTerm": obj(required={
    "RefundPolicy": Str(min=1, max=500)})}), min=1, max=1)})
_CREATE_OFFER = obj(required={"ProductId": Str(min=1)}, optional={"Name": Str(min=1, max=150)})

DETAILS_SHAPES: dict[tuple[str, str], Spec] = {
    ("MachineLearningProduct@1.0", "CreateProduct"): _CREATE_PRODUCT,
    ("MachineLearningProduct@1.0", "UpdateInformation"): _UPDATE_INFORMATION,
    ("MachineLearningProduct@1.0", "AddDeliveryOptions"): _ADD_DELIVERY_OPTIONS,
    ("MachineLearningProduct@1.0", "ReleaseProduct"): _EMPTY,
    ("Offer@1.0", "CreateOffer"): _CREATE_OFFER,
    ("Offer@1.0", "UpdatePricingTerms"): _UPDATE_PRICING_TERMS,
    ("Offer@1.0", "UpdateLegalTerms"): _UPDATE_LEGAL_TERMS,
    ("Offer@1.0", "UpdateSupportTerms"): _UPDATE_SUPPORT_TERMS,
    ("Offer@1.0", "ReleaseOffer"): _EMPTY,
}

# --------------------------------------------------------------------------------------------------- checking


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member


def _wrong_type(path: str, value: Any, detail: str) -> RequestError:
    return RequestError(path, f"has the wrong type ({type(value).__name__}): {detail}", "type")


def _bounds(count: int, low: int, high: int | None, path: str, what: str, errors: list[RequestError]) -> None:
    if count < low:
        errors.append(RequestError(path, f"{what} {count} is below the minimum {low}", "min"))
    if high is not None and count > high:
        errors.append(RequestError(path, f"{what} {count} is above the maximum {high}", "max"))


def _check(value: Any, spec: Spec, path: str, errors: list[RequestError]) -> None:
    if isinstance(spec, Str):
        if not isinstance(value, str):
            errors.append(_wrong_type(path, value, _short(value)))
            return
        _bounds(len(value), spec.min, spec.max, path, "length", errors)
        if spec.enum and value not in spec.enum:
            allowed = ", ".join(spec.enum)
            errors.append(RequestError(path, f"{_short(value)} is not an allowed value ({allowed})", "enum"))
        if spec.pattern is not None and not re.match(spec.pattern, value):
            errors.append(RequestError(path, f"{_short(value)} does not match the pattern {spec.pattern}", "pattern"))
    elif isinstance(spec, Bool):
        if not isinstance(value, bool):
            errors.append(_wrong_type(path, value, _short(value)))
    elif isinstance(spec, Arr):
        if not isinstance(value, list):
            errors.append(_wrong_type(path, value, "a list expected"))
            return
        _bounds(len(value), spec.min, spec.max, path, "item count", errors)
        for i, item in enumerate(value):
            _check(item, spec.item, f"{path}[{i}]", errors)
    elif isinstance(spec, Tagged):
        if not isinstance(value, dict):
            errors.append(_wrong_type(path, value, "an object expected"))
            return
        variant = spec.variants.get(value.get(spec.tag))
        if variant is None:
            errors.append(RequestError(_join(path, spec.tag),
                                       f"{_short(value.get(spec.tag))} is not an allowed value "
                                       f"({', '.join(spec.variants)})", "enum"))
            return
        _check({k: v for k, v in value.items() if k != spec.tag}, variant, path, errors)
    elif isinstance(spec, Obj):
        if not isinstance(value, dict):
            errors.append(_wrong_type(path, value, "an object expected"))
            return
        for name in sorted(spec.required - value.keys()):
            errors.append(RequestError(_join(path, name), "is required", "required"))
        for group in spec.exactly_one:
            present = [m for m in group if m in value]
            if len(present) != 1:
                errors.append(RequestError(_join(path, group[0]),
                                           f"exactly one of {', '.join(group)} is required ({len(present)} given)",
                                           "required"))
        for name, item in value.items():
            if name in spec.members:
                _check(item, spec.members[name], _join(path, name), errors)
            else:
                known = ", ".join(spec.members) or "none"
                errors.append(RequestError(_join(path, name), f"is not a known member (one of: {known})", "unknown"))


def validate_details(entity_type: str, change_type: str, details: Any, path: str) -> list[RequestError]:
    """Errors in one change's ``DetailsDocument`` (at ``path``); an unknown change type is itself an error."""
    spec = DETAILS_SHAPES.get((entity_type, change_type))
    if spec is None:
        return [RequestError(path, f"no published shape for change type {change_type} on {entity_type}", "other")]
    errors: list[RequestError] = []
    _check(details, spec, path, errors)
    return errors
