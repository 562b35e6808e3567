"""The SageMaker request a listing implies: ``CreateModelPackage`` or ``CreateAlgorithm`` (AWS_RULES.md §4).

Shapes follow the installed botocore ``sagemaker`` model and AWS's guides for Marketplace resources:
https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-mkt-create-model-package.html and
https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-mkt-create-algo.html — ``CertifyForMarketplace`` true,
one container, and exactly one validation profile (model package: a batch transform job; algorithm: a training
job plus a transform job, since an algorithm without inference fails at listing).

Where the seller's sample data sits in S3 (the bundle README tells them to upload it so):
* model package: transform input = ``aws.s3_input_location`` (the batch sample), output = ``aws.s3_output_location``;
* algorithm: channel ``c`` = ``<s3_input_location>/c/``, transform input = ``<s3_input_location>/batch/``
  (mirrors the bundle's ``data/input/batch``), outputs under ``aws.s3_output_location``.
"""

from __future__ import annotations

from typing import Any

from validation.aws_models import RequestError, service_model, validate_request
from validation.aws_requests.base import BuiltRequest, MissingField, Reader, resource_name

__all__ = [
    "build_create_algorithm",
    "build_create_model_package",
    "build_sagemaker_request",
    "predicted_arn",
    "sagemaker_name",
    "validate_sagemaker_request",
]

SERVICE = "sagemaker"
OPERATIONS = {"model_package": "CreateModelPackage", "algorithm": "CreateAlgorithm"}
_NAME_MEMBER = {"CreateModelPackage": "ModelPackageName", "CreateAlgorithm": "AlgorithmName"}
_ARN_RESOURCE = {"model_package": "model-package", "algorithm": "algorithm"}

PROFILE_NAME = "marketplace-validation"
# Validation jobs run on the seller's sample data; one instance is what AWS's validation uses, and a day is
# SageMaker's own default MaxRuntimeInSeconds, so a slow but correct training job is not cut short.
INSTANCE_COUNT = 1
TRAINING_VOLUME_GB = 30
TRAINING_MAX_RUNTIME_S = 86_400

# How a batch transform splits the input into records, by content type (SageMaker Developer Guide,
# "Use batch transform": Line for CSV and JSON Lines, RecordIO for RecordIO-protobuf; anything else whole).
_SPLIT_BY_CONTENT_TYPE = {
    "text/csv": "Line",
    "application/jsonlines": "Line",
    "application/x-jsonlines": "Line",
    "application/x-recordio-protobuf": "RecordIO",
    "application/x-recordio": "RecordIO",
}

_INFER = "InferenceSpecification"
_CONTAINER = f"{_INFER}.Containers[0]"
_TRAIN = "TrainingSpecification"
_PROFILE = "ValidationSpecification.ValidationProfiles[0]"
_TRANSFORM = f"{_PROFILE}.TransformJobDefinition"
_TRAINING_JOB = f"{_PROFILE}.TrainingJobDefinition"


def sagemaker_name(snapshot: Any, *, kind: str, version_number: int | None = None) -> str:
    """The model package / algorithm name ``build_*`` uses: the title's slug, ``-v<n>`` when a version is given.

    The maximum length is read from botocore (``EntityName`` max, 63 today), not copied.
    """
    operation = OPERATIONS[kind]
    shape = service_model(SERVICE).operation_model(operation).input_shape.members[_NAME_MEMBER[operation]]
    title = (snapshot.get("product") or {}).get("title") if isinstance(snapshot, dict) else None
    suffix = f"-v{version_number}" if version_number is not None else ""
    return resource_name(title if isinstance(title, str) else "", max_length=shape.metadata["max"], suffix=suffix)


def predicted_arn(snapshot: Any, *, kind: str, version_number: int | None = None) -> str:
    """The ARN ``Create*`` will return, from the listing's Region and account; ``""`` if either is unknown."""
    aws = snapshot.get("aws") if isinstance(snapshot, dict) else None
    region = aws.get("region") if isinstance(aws, dict) else None
    account = aws.get("account_id") if isinstance(aws, dict) else None
    name = sagemaker_name(snapshot, kind=kind, version_number=version_number)
    if not (isinstance(region, str) and region and isinstance(account, str) and account and name):
        return ""
    return f"arn:aws:sagemaker:{region}:{account}:{_ARN_RESOURCE[kind]}/{name}"


# ------------------------------------------------------------------------------------------------ shared parts


def _name_and_description(r: Reader, kind: str, version_number: int | None, params: dict[str, Any]) -> None:
    member = _NAME_MEMBER[OPERATIONS[kind]]
    title = r.text("product.title", "Title", required=True)
    name = sagemaker_name(r.snapshot, kind=kind, version_number=version_number)
    if title.strip() and not name:
        r.missing.append(MissingField("field:product.title", "Title",
                                      "has no ASCII letter or digit to derive the SageMaker name from"))
    params[member] = name
    r.source(member, "field:product.title")
    description = r.text("product.short_description", "Short description")
    if description:
        desc_member = member.replace("Name", "Description")
        params[desc_member] = description
        r.source(desc_member, "field:product.short_description")


def _inference_specification(r: Reader, *, model_data: bool) -> dict[str, Any]:
    container: dict[str, Any] = {"Image": r.text("aws.image_uri", "Image URI", required=True)}
    r.source(f"{_INFER}.Containers", "field:aws.image_uri")
    r.source(f"{_CONTAINER}.Image", "field:aws.image_uri")
    if model_data:  # optional in the API: some sellers bake the weights into the image
        url = r.text("aws.model_data_uri", "Model data URI")
        if url.strip():
            container["ModelDataUrl"] = url
            r.source(f"{_CONTAINER}.ModelDataUrl", "field:aws.model_data_uri")
    environment = r.mapping("endpoint.environment", "Container environment")
    if environment:
        container["Environment"] = dict(environment)  # values are passed as given: botocore reports a non-string
        r.source(f"{_CONTAINER}.Environment", "field:endpoint.environment")
        for key in environment:
            r.source(f"{_CONTAINER}.Environment.{key}", f"field:endpoint.environment[{key}]")
    spec: dict[str, Any] = {"Containers": [container]}
    for member, path, label in (
        ("SupportedTransformInstanceTypes", "instance_types.batch", "Batch instance types"),
        ("SupportedRealtimeInferenceInstanceTypes", "instance_types.realtime", "Real-time instance types"),
        ("SupportedContentTypes", "endpoint.input_content_types", "Input content types"),
        ("SupportedResponseMIMETypes", "endpoint.response_mime_types", "Response MIME types"),
    ):
        values = r.texts(path, label)
        spec[member] = values
        r.source_items(f"{_INFER}.{member}", f"field:{path}", len(values))
    return spec


def _join_s3(prefix: str, folder: str) -> str:
    return f"{prefix.rstrip('/')}/{folder}/"


def _transform_job(r: Reader, *, input_uri: str, input_location: str) -> dict[str, Any]:
    """The validation batch transform, from the batch sample (the recommended batch type, first content type)."""
    content_types = r.texts("endpoint.input_content_types", "Input content types", required=True)
    accepts = r.texts("endpoint.response_mime_types", "Response MIME types")
    content_type = content_types[0] if content_types else ""
    split = _SPLIT_BY_CONTENT_TYPE.get(content_type.split(";", 1)[0].strip().lower(), "None")
    job: dict[str, Any] = {
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_uri}},
            "ContentType": content_type,
            "CompressionType": "None",
            "SplitType": split,
        },
        "TransformOutput": {
            "S3OutputPath": r.text("aws.s3_output_location", "S3 output location", required=True),
            # records split by line are written back one per line, so outputs line up with inputs
            "AssembleWith": "Line" if split == "Line" else "None",
        },
        "TransformResources": {
            "InstanceType": r.text("instance_types.recommended.batch", "Recommended batch instance type",
                                   required=True),
            "InstanceCount": INSTANCE_COUNT,
        },
    }
    if accepts:
        job["TransformOutput"]["Accept"] = accepts[0]
        r.source(f"{_TRANSFORM}.TransformOutput.Accept", "field:endpoint.response_mime_types[0]")
    strategy = r.text("endpoint.batch_strategy", "Batch strategy")
    if strategy:
        job["BatchStrategy"] = strategy
        r.source(f"{_TRANSFORM}.BatchStrategy", "field:endpoint.batch_strategy")
    payload = r.integer("endpoint.max_payload_mb", "Maximum payload (MB)")
    if payload is not None:
        job["MaxPayloadInMB"] = payload
        r.source(f"{_TRANSFORM}.MaxPayloadInMB", "field:endpoint.max_payload_mb")
    r.source(f"{_TRANSFORM}.TransformInput.DataSource", input_location)
    r.source(f"{_TRANSFORM}.TransformInput.ContentType", "field:endpoint.input_content_types[0]")
    r.source(f"{_TRANSFORM}.TransformInput.SplitType", "field:endpoint.input_content_types[0]")
    r.source(f"{_TRANSFORM}.TransformOutput", "field:aws.s3_output_location")
    r.source(f"{_TRANSFORM}.TransformResources", "field:instance_types.recommended.batch")
    return job


def _validation_role(r: Reader) -> str:
    r.source("ValidationSpecification.ValidationRole", "field:aws.validation_role_arn")
    return r.text("aws.validation_role_arn", "Validation role ARN", required=True)


# ------------------------------------------------------------------------------------------------ model package


def build_create_model_package(snapshot: Any, *, version_number: int | None = None) -> BuiltRequest:
    """``CreateModelPackage`` for a model-package listing; raises ``IncompleteListing`` naming what to fill."""
    r = Reader(snapshot, "CreateModelPackage")
    params: dict[str, Any] = {}
    _name_and_description(r, "model_package", version_number, params)
    params[_INFER] = _inference_specification(r, model_data=True)
    s3_in = r.text("aws.s3_input_location", "S3 input location", required=True)
    params["ValidationSpecification"] = {
        "ValidationRole": _validation_role(r),
        "ValidationProfiles": [{
            "ProfileName": PROFILE_NAME,
            "TransformJobDefinition": _transform_job(r, input_uri=s3_in, input_location="field:aws.s3_input_location"),
        }],
    }
    params["CertifyForMarketplace"] = True
    return r.finish(SERVICE, params)


# ---------------------------------------------------------------------------------------------------- algorithm


def _hyperparameter(r: Reader, i: int, hp: dict[str, Any]) -> dict[str, Any]:
    loc, req = f"hyperparameters[{i}]", f"{_TRAIN}.SupportedHyperParameters[{i}]"
    label = f"Hyperparameter #{i + 1}"
    kind = r.text(f"{loc}.type", f"{label} type", hp.get("type"))
    out: dict[str, Any] = {"Name": r.text(f"{loc}.name", f"{label} name", hp.get("name")), "Type": kind}
    r.source(req, f"field:{loc}")
    for member, key in (("Name", "name"), ("Type", "type"), ("Description", "description"),
                        ("IsTunable", "tunable"), ("IsRequired", "required"), ("DefaultValue", "default")):
        r.source(f"{req}.{member}", f"field:{loc}.{key}")
    description = r.text(f"{loc}.description", f"{label} description", hp.get("description"))
    if description:
        out["Description"] = description
    if kind in ("Integer", "Continuous"):
        low = r.text(f"{loc}.min", f"{label} minimum", hp.get("min"))
        high = r.text(f"{loc}.max", f"{label} maximum", hp.get("max"))
        if low or high:  # the API needs both once a range is given
            r.text(f"{loc}.min", f"{label} minimum", low, required=True)
            r.text(f"{loc}.max", f"{label} maximum", high, required=True)
            spec = f"{kind}ParameterRangeSpecification"
            out["Range"] = {spec: {"MinValue": low, "MaxValue": high}}
            r.source(f"{req}.Range", f"field:{loc}")
            r.source(f"{req}.Range.{spec}.MinValue", f"field:{loc}.min")
            r.source(f"{req}.Range.{spec}.MaxValue", f"field:{loc}.max")
    elif kind == "Categorical":
        values = r.texts(f"{loc}.values", f"{label} values", hp.get("values"))
        out["Range"] = {"CategoricalParameterRangeSpecification": {"Values": values}}
        r.source(f"{req}.Range", f"field:{loc}.values")
        r.source_items(f"{req}.Range.CategoricalParameterRangeSpecification.Values", f"field:{loc}.values",
                       len(values))
    out["IsTunable"] = r.flag(f"{loc}.tunable", f"{label} tunable", hp.get("tunable"))
    out["IsRequired"] = r.flag(f"{loc}.required", f"{label} required", hp.get("required"))
    default = r.text(f"{loc}.default", f"{label} default", hp.get("default"))
    if default:
        out["DefaultValue"] = default
    return out


def _channel(r: Reader, i: int, channel: dict[str, Any]) -> dict[str, Any]:
    loc, req = f"channels[{i}]", f"{_TRAIN}.TrainingChannels[{i}]"
    label = f"Channel #{i + 1}"
    out: dict[str, Any] = {"Name": r.text(f"{loc}.name", f"{label} name", channel.get("name"))}
    r.source(req, f"field:{loc}")
    r.source(f"{req}.Name", f"field:{loc}.name")
    description = r.text(f"{loc}.description", f"{label} description", channel.get("description"))
    if description:
        out["Description"] = description
        r.source(f"{req}.Description", f"field:{loc}.description")
    out["IsRequired"] = r.flag(f"{loc}.required", f"{label} required", channel.get("required"))
    r.source(f"{req}.IsRequired", f"field:{loc}.required")
    for member, key, what in (("SupportedContentTypes", "content_types", "content types"),
                              ("SupportedCompressionTypes", "compression", "compression types"),
                              ("SupportedInputModes", "input_modes", "input modes")):
        values = r.texts(f"{loc}.{key}", f"{label} {what}", channel.get(key))
        if values or member != "SupportedCompressionTypes":
            out[member] = values
            r.source_items(f"{req}.{member}", f"field:{loc}.{key}", len(values))
    return out


def _training_specification(r: Reader) -> dict[str, Any]:
    spec: dict[str, Any] = {"TrainingImage": r.text("aws.image_uri", "Image URI", required=True)}
    r.source(f"{_TRAIN}.TrainingImage", "field:aws.image_uri")
    hyperparameters = r.records("hyperparameters", "Hyperparameters")
    if hyperparameters:
        spec["SupportedHyperParameters"] = [_hyperparameter(r, i, hp) for i, hp in enumerate(hyperparameters)]
        r.source(f"{_TRAIN}.SupportedHyperParameters", "field:hyperparameters")
    types = r.texts("instance_types.training", "Training instance types")
    spec["SupportedTrainingInstanceTypes"] = types
    r.source_items(f"{_TRAIN}.SupportedTrainingInstanceTypes", "field:instance_types.training", len(types))
    spec["SupportsDistributedTraining"] = r.flag("instance_types.distributed_training", "Distributed training")
    r.source(f"{_TRAIN}.SupportsDistributedTraining", "field:instance_types.distributed_training")
    metrics = r.records("metrics", "Metrics")
    if metrics:
        spec["MetricDefinitions"] = []
        r.source(f"{_TRAIN}.MetricDefinitions", "field:metrics")
        for i, metric in enumerate(metrics):
            spec["MetricDefinitions"].append({
                "Name": r.text(f"metrics[{i}].name", f"Metric #{i + 1} name", metric.get("name")),
                "Regex": r.text(f"metrics[{i}].regex", f"Metric #{i + 1} regex", metric.get("regex")),
            })
            r.source(f"{_TRAIN}.MetricDefinitions[{i}]", f"field:metrics[{i}]")
            r.source(f"{_TRAIN}.MetricDefinitions[{i}].Name", f"field:metrics[{i}].name")
            r.source(f"{_TRAIN}.MetricDefinitions[{i}].Regex", f"field:metrics[{i}].regex")
    channels = r.records("channels", "Training channels")
    if not channels:  # TrainingChannels needs 1-8; without one there is no validation training job either
        r.missing.append(MissingField("field:channels", "Training channels", "needs at least one entry"))
    spec["TrainingChannels"] = [_channel(r, i, c) for i, c in enumerate(channels)]
    r.source(f"{_TRAIN}.TrainingChannels", "field:channels")
    objectives = r.records("tuning_objectives", "Tuning objectives")
    if objectives:
        spec["SupportedTuningJobObjectiveMetrics"] = []
        r.source(f"{_TRAIN}.SupportedTuningJobObjectiveMetrics", "field:tuning_objectives")
        for i, objective in enumerate(objectives):
            loc, req = f"tuning_objectives[{i}]", f"{_TRAIN}.SupportedTuningJobObjectiveMetrics[{i}]"
            spec["SupportedTuningJobObjectiveMetrics"].append({
                "Type": r.text(f"{loc}.type", f"Tuning objective #{i + 1} type", objective.get("type")),
                "MetricName": r.text(f"{loc}.metric_name", f"Tuning objective #{i + 1} metric",
                                     objective.get("metric_name")),
            })
            r.source(req, f"field:{loc}")
            r.source(f"{req}.Type", f"field:{loc}.type")
            r.source(f"{req}.MetricName", f"field:{loc}.metric_name")
    return spec


def _training_job(r: Reader, spec: dict[str, Any], s3_in: str) -> dict[str, Any]:
    """The validation training job: every channel's data under ``<s3_input_location>/<channel>/``."""
    channels = spec["TrainingChannels"]
    modes = [set(c.get("SupportedInputModes", [])) for c in channels]
    # File works with every algorithm container that reads /opt/ml/input/data; use it whenever all channels allow it.
    if modes and all("File" in m for m in modes):
        mode = "File"
    else:
        mode = next((c["SupportedInputModes"][0] for c in channels if c.get("SupportedInputModes")), "File")
    job: dict[str, Any] = {"TrainingInputMode": mode, "InputDataConfig": []}
    r.source(f"{_TRAINING_JOB}.TrainingInputMode", "field:channels[0].input_modes")
    for i, channel in enumerate(channels):
        entry: dict[str, Any] = {
            "ChannelName": channel["Name"],
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": _join_s3(s3_in, channel["Name"]),
                                            "S3DataDistributionType": "FullyReplicated"}},
        }
        if channel.get("SupportedContentTypes"):
            entry["ContentType"] = channel["SupportedContentTypes"][0]
            r.source(f"{_TRAINING_JOB}.InputDataConfig[{i}].ContentType", f"field:channels[{i}].content_types[0]")
        if channel.get("SupportedCompressionTypes"):
            entry["CompressionType"] = channel["SupportedCompressionTypes"][0]
            r.source(f"{_TRAINING_JOB}.InputDataConfig[{i}].CompressionType", f"field:channels[{i}].compression[0]")
        job["InputDataConfig"].append(entry)
        r.source(f"{_TRAINING_JOB}.InputDataConfig[{i}]", f"field:channels[{i}].name")
        r.source(f"{_TRAINING_JOB}.InputDataConfig[{i}].DataSource", "field:aws.s3_input_location")
    defaults = {}
    for i, hp in enumerate(spec.get("SupportedHyperParameters", [])):
        if "DefaultValue" in hp:  # hyperparameters.json holds strings; the defaults already are
            defaults[hp["Name"]] = hp["DefaultValue"]
            r.source(f"{_TRAINING_JOB}.HyperParameters.{hp['Name']}", f"field:hyperparameters[{i}].default")
    if defaults:
        job["HyperParameters"] = defaults
    job["OutputDataConfig"] = {"S3OutputPath": r.text("aws.s3_output_location", "S3 output location", required=True)}
    r.source(f"{_TRAINING_JOB}.OutputDataConfig", "field:aws.s3_output_location")
    job["ResourceConfig"] = {
        "InstanceType": r.text("instance_types.recommended.training", "Recommended training instance type",
                               required=True),
        "InstanceCount": INSTANCE_COUNT,
        "VolumeSizeInGB": TRAINING_VOLUME_GB,
    }
    r.source(f"{_TRAINING_JOB}.ResourceConfig.InstanceType", "field:instance_types.recommended.training")
    job["StoppingCondition"] = {"MaxRuntimeInSeconds": TRAINING_MAX_RUNTIME_S}
    return job


def build_create_algorithm(snapshot: Any, *, version_number: int | None = None) -> BuiltRequest:
    """``CreateAlgorithm`` for an algorithm listing; raises ``IncompleteListing`` naming what to fill."""
    r = Reader(snapshot, "CreateAlgorithm")
    params: dict[str, Any] = {}
    _name_and_description(r, "algorithm", version_number, params)
    training = _training_specification(r)
    params[_TRAIN] = training
    # A training-only algorithm fails at listing (AWS_RULES.md §4): the image also serves.
    params[_INFER] = _inference_specification(r, model_data=False)
    s3_in = r.text("aws.s3_input_location", "S3 input location", required=True)
    params["ValidationSpecification"] = {
        "ValidationRole": _validation_role(r),
        "ValidationProfiles": [{
            "ProfileName": PROFILE_NAME,
            "TrainingJobDefinition": _training_job(r, training, s3_in),
            "TransformJobDefinition": _transform_job(r, input_uri=_join_s3(s3_in, "batch"),
                                                     input_location="field:aws.s3_input_location"),
        }],
    }
    params["CertifyForMarketplace"] = True
    return r.finish(SERVICE, params)


# -------------------------------------------------------------------------------------------------- by kind


def build_sagemaker_request(snapshot: Any, *, version_number: int | None = None) -> BuiltRequest:
    """The request for the snapshot's ``kind``; ``ValueError`` for an unknown kind."""
    kind = snapshot.get("kind") if isinstance(snapshot, dict) else None
    if kind == "model_package":
        return build_create_model_package(snapshot, version_number=version_number)
    if kind == "algorithm":
        return build_create_algorithm(snapshot, version_number=version_number)
    raise ValueError(f"unknown listing kind {kind!r}")


def validate_sagemaker_request(built: BuiltRequest) -> list[RequestError]:
    """botocore's ParamValidator plus the strict enum/pattern/min/max walk (validation.aws_models)."""
    return validate_request(built.service, built.operation, built.params)
