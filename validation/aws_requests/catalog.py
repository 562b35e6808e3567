"""The Catalog API ``StartChangeSet`` request that publishes a listing (AWS_RULES.md §1–3).

One change set creates the ``MachineLearningProduct@1.0`` and its public ``Offer@1.0`` and releases both, in the
order and with the ``ChangeName`` chaining AWS's Catalog API guide shows for a new product with a public offer
(https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-seller-products.html; the ML change types
from ml-add-version.html and update-pricing-terms.html)::

    CreateProduct (ChangeName CreateProductChange) -> UpdateInformation -> AddDeliveryOptions -> ReleaseProduct
    -> CreateOffer (ChangeName CreateOfferChange, ProductId $CreateProductChange.Entity.Identifier)
    -> UpdateLegalTerms -> UpdateSupportTerms -> UpdatePricingTerms -> ReleaseOffer

Every change carries a ``DetailsDocument`` object (not the older ``Details`` JSON string).

Where AWS's documents and botocore's ``marketplace-catalog`` model disagree we keep AWS's documented form and
check it ourselves (``_exempt`` below):

* ``ChangeName``: the model's pattern is ``^[a-zA-Z]$`` — a single letter — yet every example in the guide names
  changes ``CreateProductChange`` / ``CreateOfferChange``. We check ``^[a-zA-Z]+$`` (1–72, the model's length).
* ``Entity.Identifier``: the model's pattern ``^[\\w\\-@]+$`` refuses the guide's ``$CreateProductChange.Entity.
  Identifier`` references. We accept exactly that reference form, and only for a ``ChangeName`` defined earlier.
* ``Entity.Type`` ``MachineLearningProduct@1.0`` vs the model's ``^[a-zA-Z]+$``: already exempted service-wide in
  ``validation.aws_models._UNENFORCED_PATTERNS``.

Choices where the guide is silent or inconsistent:

* ``Price`` is a decimal *string* ("0.50"), as in the Offer@1.0 examples (the ML pricing page shows numbers);
  strings keep the seller's exact decimals (a float would turn 0.1 into 0.1000000000000000055...).
* ``DeliveryOptions[].Details`` uses ``SageMakerModelPackageDeliveryOptionDetails`` /
  ``SageMakerAlgorithmDeliveryOptionDetails`` with ``SageMakerModelPackageArn`` / ``SageMakerAlgorithmArn`` — the
  published shapes; there is no ``SourceArn`` or ``ContainerImages`` member for ML products.
* Per-inference pricing prices real-time as ``m.i.c``; batch (and training) stay hourly per instance type.
* A free product gets ``PricingModel: Free`` with every dimension at "0": the guide requires every supported
  instance type in the pricing terms and documents ``Free`` as a model but shows no free example — verify with
  ``Intent: VALIDATE`` first.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from validation.aws_models import RequestError, service_model, validate_request
from validation.aws_requests.base import BuiltRequest, MissingField, Reader
from validation.aws_requests.catalog_shapes import validate_details
from validation.aws_requests.sagemaker import predicted_arn

__all__ = [
    "build_change_set",
    "dimension_keys",
    "validate_change_details",
    "validate_change_set",
    "validate_change_set_request",
]

SERVICE = "marketplace-catalog"
OPERATION = "StartChangeSet"
CATALOG = "AWSMarketplace"
PRODUCT = "MachineLearningProduct@1.0"
OFFER = "Offer@1.0"
CREATE_PRODUCT = "CreateProductChange"  # the change names AWS's guide uses
CREATE_OFFER = "CreateOfferChange"
STANDARD_EULA_VERSION = "2022-07-14"  # Standard Contract for AWS Marketplace (SCMP), AWS_RULES.md §3
CURRENCY = "USD"

_PRICING_MODELS = {"free": "Free", "hourly": "Usage", "per_inference": "Usage"}
_DELIVERY = {
    "model_package": ("SageMakerModelPackageDeliveryOptionDetails", "SageMakerModelPackageArn"),
    "algorithm": ("SageMakerAlgorithmDeliveryOptionDetails", "SageMakerAlgorithmArn"),
}
_CHANGE_NAME_RE = re.compile(r"[A-Za-z]+")
_REFERENCE_RE = re.compile(r"\$([A-Za-z]+)\.Entity\.Identifier")
_EXEMPT_PATH_RE = re.compile(r"ChangeSet\[(\d+)\]\.(ChangeName|Entity\.Identifier)")


def _ref(change_name: str) -> str:
    return f"${change_name}.Entity.Identifier"


# ---------------------------------------------------------------------------------------------------- pricing


def dimension_keys(snapshot: Any) -> list[tuple[str, str]]:
    """``(dimension key, location of what implies it)`` in rate-card order, per AWS_RULES.md §3.

    Hourly: ``<type>.m.i.r`` per real-time type; per inference: one ``m.i.c`` instead; always ``<type>.m.i.b`` per
    batch type and, for algorithms, ``<type>.a.t`` per training type. Wrong-typed items are skipped.
    """
    r = Reader(snapshot, OPERATION)
    return _dimensions(r, r.raw("kind"), r.raw("pricing.model"))


def _dimensions(r: Reader, kind: Any, model: Any) -> list[tuple[str, str]]:
    dims: list[tuple[str, str]] = []
    if model == "per_inference":
        dims.append(("m.i.c", "field:pricing.model"))
    else:
        dims += [(f"{t}.m.i.r", f"field:instance_types.realtime[{i}]")
                 for i, t in enumerate(r.texts("instance_types.realtime", "Real-time instance types")) if t]
    dims += [(f"{t}.m.i.b", f"field:instance_types.batch[{i}]")
             for i, t in enumerate(r.texts("instance_types.batch", "Batch instance types")) if t]
    if kind == "algorithm":
        dims += [(f"{t}.a.t", f"field:instance_types.training[{i}]")
                 for i, t in enumerate(r.texts("instance_types.training", "Training instance types")) if t]
    unique: dict[str, str] = {}  # a type listed twice is one dimension
    for key, location in dims:
        unique.setdefault(key, location)
    return list(unique.items())


def _price(r: Reader, key: str, prices: dict[str, Any]) -> str:
    location = f"field:pricing.prices[{key}]"
    value = prices.get(key)
    if value is None or value == "":
        r.missing.append(MissingField(location, f"Price of {key}", "is not set (every dimension must be priced)"))
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:  # str() first: Decimal(0.1) would carry the float's binary error into the price
            return format(Decimal(str(value)), "f")
        except InvalidOperation:
            pass
    r.missing.append(MissingField(location, f"Price of {key}", f"has the wrong type ({type(value).__name__})"))
    return ""


def _pricing_terms(r: Reader, kind: Any, prefix: str) -> dict[str, Any]:
    model = r.raw("pricing.model")
    r.source(prefix, "field:pricing.model")
    if not isinstance(model, str) or model not in _PRICING_MODELS:
        r.missing.append(MissingField("field:pricing.model", "Pricing model", "must be free, hourly or per_inference"))
        return {"PricingModel": "", "Terms": []}
    dims = _dimensions(r, kind, model)
    if not dims:
        r.missing.append(MissingField("field:instance_types.realtime", "Supported instance types",
                                      "are empty, so there is nothing to price"))
    prices = r.mapping("pricing.prices", "Prices")
    card = []
    for j, (key, _) in enumerate(dims):
        price = "0" if model == "free" else _price(r, key, prices)
        card.append({"DimensionKey": key, "Price": price})
        r.source(f"{prefix}.Terms[0].RateCards[0].RateCard[{j}]", f"field:pricing.prices[{key}]")
    r.source(f"{prefix}.Terms[0]", "field:pricing.prices")
    terms: list[dict[str, Any]] = [{"Type": "UsageBasedPricingTerm", "CurrencyCode": CURRENCY,
                                    "RateCards": [{"RateCard": card}]}]
    days = r.integer("pricing.free_trial_days", "Free trial days")
    if days is not None and model != "free":
        # "Grants ... All supported dimensionKeys must be provided" (update-pricing-terms.html)
        terms.append({"Type": "FreeTrialPricingTerm", "Duration": f"P{days}D",
                      "Grants": [{"DimensionKey": key} for key, _ in dims]})
        r.source(f"{prefix}.Terms[1]", "field:pricing.free_trial_days")
    return {"PricingModel": _PRICING_MODELS[model], "Terms": terms}


# ------------------------------------------------------------------------------------------------ the changes


def _information(r: Reader, prefix: str) -> dict[str, Any]:
    info: dict[str, Any] = {}
    for member, key, label in (("ProductTitle", "title", "Title"),
                               ("ShortDescription", "short_description", "Short description"),
                               ("LongDescription", "long_description", "Long description"),
                               ("SupportDescription", "support_description", "Support description")):
        info[member] = r.text(f"product.{key}", label, required=member == "ProductTitle")
        r.source(f"{prefix}.{member}", f"field:product.{key}")
    for member, key, label in (("Highlights", "highlights", "Highlights"),
                               ("SearchKeywords", "search_keywords", "Search keywords"),
                               ("Categories", "categories", "Categories")):
        info[member] = r.texts(f"product.{key}", label)
        r.source_items(f"{prefix}.{member}", f"field:product.{key}", len(info[member]))
    resources = []
    for i, item in enumerate(r.records("product.additional_resources", "Additional resources")):
        loc = f"product.additional_resources[{i}]"
        resources.append({"Text": r.text(f"{loc}.text", f"Additional resource #{i + 1} text", item.get("text")),
                          "Url": r.text(f"{loc}.url", f"Additional resource #{i + 1} URL", item.get("url"))})
        r.source(f"{prefix}.AdditionalResources[{i}]", f"field:{loc}")
        r.source(f"{prefix}.AdditionalResources[{i}].Text", f"field:{loc}.text")
        r.source(f"{prefix}.AdditionalResources[{i}].Url", f"field:{loc}.url")
    info["AdditionalResources"] = resources
    r.source(f"{prefix}.AdditionalResources", "field:product.additional_resources")
    optional = (("Sku", "sku", "SKU"), ("LogoUrl", "logo_url", "Logo URL"))  # logo_url: only once the app has one
    for member, key, label in optional:
        value = r.text(f"product.{key}", label)
        if value:
            info[member] = value
            r.source(f"{prefix}.{member}", f"field:product.{key}")
    video = r.text("product.video_url", "Video URL")
    if video:
        info["VideoUrls"] = [video]
        r.source(f"{prefix}.VideoUrls", "field:product.video_url")
    return info


def _sample(r: Reader, prefix: str, realtime_key: str, batch_key: str) -> dict[str, Any]:
    """Text or an https URL, per mode (sample.py: ``*Text`` or ``*Url``)."""
    sample: dict[str, Any] = {}
    for mode, key in (("RealtimeInference", realtime_key), ("BatchTransform", batch_key)):
        value = r.text(f"version.{key}", key.replace("_", " ").capitalize())
        for suffix in ("Text", "Url"):
            r.source(f"{prefix}.{mode}{suffix}", f"field:version.{key}")
        if value:
            sample[f"{mode}Url" if re.match(r"https?://", value) else f"{mode}Text"] = value
    return sample


def _parameters(r: Reader, key: str, prefix: str, *, output: bool) -> list[dict[str, Any]]:
    out = []
    for i, item in enumerate(r.records(f"version.{key}", key.replace("_", " ").capitalize())):
        loc = f"version.{key}[{i}]"
        entry = {"Name": r.text(f"{loc}.name", f"{key} #{i + 1} name", item.get("name")),
                 "Description": r.text(f"{loc}.description", f"{key} #{i + 1} description", item.get("description"))}
        required = r.flag(f"{loc}.required", f"{key} #{i + 1} required", item.get("required"))
        if output:  # output parameters carry AlwaysReturned, not Constraints/Required (output_parameter.py)
            entry["AlwaysReturned"] = required
            r.source(f"{prefix}[{i}].AlwaysReturned", f"field:{loc}.required")
        else:
            constraints = r.text(f"{loc}.constraints", f"{key} #{i + 1} constraints", item.get("constraints"))
            if constraints:
                entry["Constraints"] = constraints
            entry["Required"] = required
            r.source(f"{prefix}[{i}].Constraints", f"field:{loc}.constraints")
            r.source(f"{prefix}[{i}].Required", f"field:{loc}.required")
        out.append(entry)
        r.source(f"{prefix}[{i}]", f"field:{loc}")
        r.source(f"{prefix}[{i}].Name", f"field:{loc}.name")
        r.source(f"{prefix}[{i}].Description", f"field:{loc}.description")
    r.source(prefix, f"field:version.{key}")
    return out


def _delivery_options(r: Reader, kind: str, version_number: int, prefix: str) -> dict[str, Any]:
    details_key, arn_key = _DELIVERY[kind]
    d = f"{prefix}.DeliveryOptions[0].Details.{details_key}"
    version = {"VersionTitle": r.text("version.version_title", "Version title"),
               "ReleaseNotes": r.text("version.release_notes", "Release notes")}
    r.source(f"{prefix}.Version.VersionTitle", "field:version.version_title")
    r.source(f"{prefix}.Version.ReleaseNotes", "field:version.release_notes")

    inputs: dict[str, Any] = {"Description": r.text("version.input_description", "Input description"),
                              "SampleInput": _sample(r, f"{d}.InputProperties.SampleInput",
                                                     "sample_input_realtime", "sample_input_batch")}
    r.source(f"{d}.InputProperties.Description", "field:version.input_description")
    limitations = r.text("version.input_limitations", "Input limitations")
    if limitations:
        inputs["Limitations"] = limitations
        r.source(f"{d}.InputProperties.Limitations", "field:version.input_limitations")
    for member, key in (("Parameters", "input_parameters"), ("SageMakerCustomAttributes", "custom_attributes")):
        params = _parameters(r, key, f"{d}.InputProperties.{member}", output=False)
        if params:
            inputs[member] = params
    outputs: dict[str, Any] = {"Description": r.text("version.output_description", "Output description"),
                               "SampleOutput": _sample(r, f"{d}.OutputProperties.SampleOutput",
                                                       "sample_output_realtime", "sample_output_batch")}
    r.source(f"{d}.OutputProperties.Description", "field:version.output_description")
    out_params = _parameters(r, "output_parameters", f"{d}.OutputProperties.Parameters", output=True)
    if out_params:
        outputs["Parameters"] = out_params

    recommended = {"RealtimeInference": r.text("instance_types.recommended.realtime", "Recommended real-time type"),
                   "BatchTransform": r.text("instance_types.recommended.batch", "Recommended batch type")}
    r.source(f"{d}.RecommendedInstanceTypes.RealtimeInference", "field:instance_types.recommended.realtime")
    r.source(f"{d}.RecommendedInstanceTypes.BatchTransform", "field:instance_types.recommended.batch")
    if kind == "algorithm":
        recommended["Training"] = r.text("instance_types.recommended.training", "Recommended training type")
        r.source(f"{d}.RecommendedInstanceTypes.Training", "field:instance_types.recommended.training")

    # The ARN CreateModelPackage/CreateAlgorithm returns; before that call it is predicted from Region + account.
    arn = r.text("aws.sagemaker_arn", "SageMaker ARN") or predicted_arn(r.snapshot, kind=kind,
                                                                         version_number=version_number)
    if not arn:
        r.missing.append(MissingField("field:aws.sagemaker_arn", "SageMaker ARN",
                                      "is empty (set it, or the Region and account so it can be predicted)"))
    r.source(f"{d}.{arn_key}", "field:aws.sagemaker_arn")
    for member, key in (("UsageInstructions", "usage_instructions"), ("SampleNotebookUrl", "notebook_url"),
                        ("RepositoryUrl", "repository_url")):
        r.source(f"{d}.{member}", f"field:version.{key}")
    r.source(f"{d}.AccessRoleArn", "field:aws.access_role_arn")
    r.source(f"{d}.InputProperties", "field:version.input_description")
    r.source(f"{d}.OutputProperties", "field:version.output_description")
    details = {
        "UsageInstructions": r.text("version.usage_instructions", "Usage instructions"),
        "SampleNotebookUrl": r.text("version.notebook_url", "Sample notebook URL"),
        "RepositoryUrl": r.text("version.repository_url", "Repository URL"),
        "InputProperties": inputs,
        "OutputProperties": outputs,
        "RecommendedInstanceTypes": recommended,
        arn_key: arn,
        "AccessRoleArn": r.text("aws.access_role_arn", "Access role ARN"),
    }
    return {"Version": version, "DeliveryOptions": [{"Details": {details_key: details}}]}


def _legal_terms(r: Reader, prefix: str) -> dict[str, Any]:
    eula = r.raw("legal.eula")
    r.source(prefix, "field:legal.eula")
    if eula == "custom":
        url = r.text("legal.eula_url", "EULA URL", required=True)
        r.source(f"{prefix}.Terms[0].Documents[0]", "field:legal.eula_url")
        document: dict[str, Any] = {"Type": "CustomEula", "Url": url}
    else:
        if eula != "standard":
            r.missing.append(MissingField("field:legal.eula", "EULA", "must be standard or custom"))
        document = {"Type": "StandardEula", "Version": STANDARD_EULA_VERSION}
    return {"Terms": [{"Type": "LegalTerm", "Documents": [document]}]}


def _change_set_name(title: str, version_number: int) -> str:
    """``<title> v<n>`` in the model's ``ChangeSetName`` alphabet ``[\\w\\s+=.:@-]`` (ASCII), at most its max."""
    limit = service_model(SERVICE).shape_for("ChangeSetName").metadata["max"]
    suffix = f" v{version_number}"
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    cleaned = " ".join(re.sub(r"[^A-Za-z0-9_+=.:@\- ]", " ", folded).split())
    return (cleaned[: limit - len(suffix)].rstrip() or "listing") + suffix


def build_change_set(snapshot: Any, *, version_number: int) -> BuiltRequest:
    """``StartChangeSet`` publishing this listing version; raises ``IncompleteListing`` naming what to fill.

    ``version_number`` names the change set, makes ``ClientRequestToken`` stable (re-sending the same bundle
    cannot start a second change set) and, when ``aws.sagemaker_arn`` is empty, selects the predicted ARN of
    ``build_create_*(snapshot, version_number=...)``.
    """
    r = Reader(snapshot, OPERATION)
    kind = r.raw("kind")
    if not isinstance(kind, str) or kind not in _DELIVERY:
        raise ValueError(f"unknown listing kind {kind!r}")
    changes: list[dict[str, Any]] = []

    def add(change_type: str, entity_type: str, details: Any = None, *, reference: str | None = None,
            name: str | None = None) -> str:
        entity: dict[str, Any] = {"Type": entity_type}
        if reference:
            entity["Identifier"] = _ref(reference)
        change: dict[str, Any] = {"ChangeType": change_type, "Entity": entity}
        if name:
            change["ChangeName"] = name
        change["DetailsDocument"] = {} if details is None else details
        changes.append(change)
        return f"ChangeSet[{len(changes) - 1}].DetailsDocument"

    def next_prefix() -> str:
        return f"ChangeSet[{len(changes)}].DetailsDocument"

    add("CreateProduct", PRODUCT, name=CREATE_PRODUCT)
    add("UpdateInformation", PRODUCT, _information(r, next_prefix()), reference=CREATE_PRODUCT)
    add("AddDeliveryOptions", PRODUCT, _delivery_options(r, kind, version_number, next_prefix()),
        reference=CREATE_PRODUCT)
    add("ReleaseProduct", PRODUCT, reference=CREATE_PRODUCT)
    add("CreateOffer", OFFER, {"ProductId": _ref(CREATE_PRODUCT)}, name=CREATE_OFFER)
    add("UpdateLegalTerms", OFFER, _legal_terms(r, next_prefix()), reference=CREATE_OFFER)
    refund = r.text("legal.refund_policy", "Refund policy")
    if refund or r.raw("pricing.model") != "free":  # required for paid products (AWS_RULES.md §3)
        r.source(f"{next_prefix()}.Terms[0].RefundPolicy", "field:legal.refund_policy")
        add("UpdateSupportTerms", OFFER, {"Terms": [{"Type": "SupportTerm", "RefundPolicy": refund}]},
            reference=CREATE_OFFER)
    add("UpdatePricingTerms", OFFER, _pricing_terms(r, kind, next_prefix()), reference=CREATE_OFFER)
    add("ReleaseOffer", OFFER, reference=CREATE_OFFER)

    title = r.text("product.title", "Title")
    listing_id = r.raw("id")
    token_seed = f"marketplace-prep:{listing_id if isinstance(listing_id, str) else ''}:{title}:v{version_number}"
    params = {
        "Catalog": CATALOG,
        "ChangeSet": changes,
        "ChangeSetName": _change_set_name(title, version_number),
        "ClientRequestToken": str(uuid.uuid5(uuid.NAMESPACE_URL, token_seed)),
    }
    r.source("ChangeSetName", "field:product.title")
    return r.finish(SERVICE, params)


# ------------------------------------------------------------------------------------------------- validation


def _exempt(error: RequestError, params: dict[str, Any]) -> bool:
    """Pattern errors on AWS's documented ChangeName / reference forms (see the module docstring)."""
    m = _EXEMPT_PATH_RE.fullmatch(error.path)
    if error.kind != "pattern" or not m:
        return False
    change = params["ChangeSet"][int(m[1])]
    entity = change.get("Entity")
    if m[2] == "ChangeName":
        value = change.get("ChangeName")
    else:
        value = entity.get("Identifier") if isinstance(entity, dict) else None
    if not isinstance(value, str):
        return False
    return bool((_CHANGE_NAME_RE if m[2] == "ChangeName" else _REFERENCE_RE).fullmatch(value))


def _references(value: Any, path: str) -> list[tuple[str, str]]:
    """Every ``$...`` string under ``value`` with its path."""
    if isinstance(value, str):
        return [(path, value)] if value.startswith("$") else []
    if isinstance(value, dict):
        return [ref for k, v in value.items() for ref in _references(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [ref for i, v in enumerate(value) for ref in _references(v, f"{path}[{i}]")]
    return []


def _chain_errors(changes: list[Any]) -> list[RequestError]:
    """ChangeNames unique; each ``$Name.Entity.Identifier`` names a change *earlier* in the set."""
    errors: list[RequestError] = []
    defined: set[str] = set()
    for i, change in enumerate(changes):
        if not isinstance(change, dict):
            continue
        refs = _references(change.get("Entity"), f"ChangeSet[{i}].Entity")
        refs += _references(change.get("DetailsDocument"), f"ChangeSet[{i}].DetailsDocument")
        for path, value in refs:
            m = _REFERENCE_RE.fullmatch(value)
            if not m:
                errors.append(RequestError(path, f"{value!r} is not a $ChangeName.Entity.Identifier reference",
                                           "other"))
            elif m[1] not in defined:
                errors.append(RequestError(path, f"{value!r} refers to no earlier change named {m[1]}", "other"))
        name = change.get("ChangeName")
        if name is not None:
            if not isinstance(name, str) or not _CHANGE_NAME_RE.fullmatch(name):
                errors.append(RequestError(f"ChangeSet[{i}].ChangeName", f"{name!r} is not letters only", "pattern"))
            elif name in defined:
                errors.append(RequestError(f"ChangeSet[{i}].ChangeName", f"{name!r} is used twice", "other"))
            else:
                defined.add(name)
    return errors


def validate_change_set_request(built: BuiltRequest) -> list[RequestError]:
    """The outer request: botocore's model (with the documented exemptions) and the ChangeName chain."""
    errors = [e for e in validate_request(built.service, built.operation, built.params) if not _exempt(e, built.params)]
    changes = built.params.get("ChangeSet")
    return errors + (_chain_errors(changes) if isinstance(changes, list) else [])


def _grant_errors(details: dict[str, Any], path: str) -> list[RequestError]:
    """A free trial must grant exactly the dimensions the rate card prices."""
    terms = details.get("Terms") if isinstance(details.get("Terms"), list) else []
    priced, granted, grant_path = set(), None, ""
    for i, term in enumerate(terms):
        if not isinstance(term, dict):
            continue
        if term.get("Type") == "UsageBasedPricingTerm":
            for card in term.get("RateCards") or []:
                items = card.get("RateCard") if isinstance(card, dict) else None
                priced |= {item.get("DimensionKey") for item in items or [] if isinstance(item, dict)}
        elif term.get("Type") == "FreeTrialPricingTerm":
            granted = {g.get("DimensionKey") for g in term.get("Grants") or [] if isinstance(g, dict)}
            grant_path = f"{path}.Terms[{i}].Grants"
    if granted is None or granted == priced:
        return []
    missing, extra = sorted(map(str, priced - granted)), sorted(map(str, granted - priced))
    text = "; ".join(part for part in (f"missing {', '.join(missing)}" if missing else "",
                                       f"not priced: {', '.join(extra)}" if extra else "") if part)
    return [RequestError(grant_path, f"the free trial must grant every priced dimension ({text})", "other")]


def validate_change_details(built: BuiltRequest) -> list[RequestError]:
    """Each change's DetailsDocument against AWS's published shapes (catalog_shapes), plus trial grants."""
    errors: list[RequestError] = []
    changes = built.params.get("ChangeSet")
    for i, change in enumerate(changes if isinstance(changes, list) else []):
        if not isinstance(change, dict) or not isinstance(change.get("Entity"), dict):
            continue  # botocore already reports a malformed change
        path = f"ChangeSet[{i}].DetailsDocument"
        entity_type, change_type = change["Entity"].get("Type"), change.get("ChangeType")
        errors += validate_details(str(entity_type), str(change_type), change.get("DetailsDocument"), path)
        if change_type == "UpdatePricingTerms" and isinstance(change.get("DetailsDocument"), dict):
            errors += _grant_errors(change["DetailsDocument"], path)
    return errors


def validate_change_set(built: BuiltRequest) -> list[RequestError]:
    return validate_change_set_request(built) + validate_change_details(built)
