"""Tests for validation.aws_models: botocore-derived instance types and strict request validation."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.validate import validate_parameters

from validation.aws_models import (
    InstanceTypeInfo,
    RequestError,
    compile_java_pattern,
    describe_instance_type,
    grouped_instance_types,
    instance_types,
    service_model,
    skipped_patterns,
    validate_request,
)

ACCOUNT = "123456789012"
BUCKET = "s3://acme-ml-artifacts-us-east-1"
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/acme-sentiment:1.4.0"
DIGEST = "sha256:" + "3f1c" * 16
ROLE = f"arn:aws:iam::{ACCOUNT}:role/MarketplaceValidationRole"


def model_package_request() -> dict[str, Any]:
    """What the bundle generates for a model-package listing (sagemaker/create_model_package.json)."""
    return {
        "ModelPackageName": "acme-sentiment-1-4-0",
        "ModelPackageDescription": "Sentiment classifier for English product reviews (3 classes, F1 0.91).",
        "InferenceSpecification": {
            "Containers": [
                {
                    "Image": IMAGE,
                    "ImageDigest": DIGEST,
                    "ModelDataUrl": f"{BUCKET}/sentiment/1.4.0/model.tar.gz",
                    "Environment": {"MODEL_SERVER_WORKERS": "2", "MAX_BATCH_SIZE": "32"},
                }
            ],
            "SupportedTransformInstanceTypes": ["ml.m5.xlarge", "ml.g4dn.xlarge"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large", "ml.g5.xlarge"],
            "SupportedContentTypes": ["application/json", "text/csv"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
        "ValidationSpecification": {
            "ValidationRole": ROLE,
            "ValidationProfiles": [
                {
                    "ProfileName": "batch-validation",
                    "TransformJobDefinition": {
                        "MaxConcurrentTransforms": 1,
                        "MaxPayloadInMB": 6,
                        "BatchStrategy": "SingleRecord",
                        "TransformInput": {
                            "DataSource": {
                                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{BUCKET}/validation/input/"}
                            },
                            "ContentType": "application/json",
                            "CompressionType": "None",
                            "SplitType": "None",
                        },
                        "TransformOutput": {
                            "S3OutputPath": f"{BUCKET}/validation/output/",
                            "Accept": "application/json",
                            "AssembleWith": "None",
                        },
                        "TransformResources": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
                    },
                }
            ],
        },
        "CertifyForMarketplace": True,
        "Tags": [{"Key": "team", "Value": "nlp"}],
    }


def algorithm_request() -> dict[str, Any]:
    return {
        "AlgorithmName": "acme-forecaster",
        "AlgorithmDescription": "Gradient-boosted demand forecaster.",
        "TrainingSpecification": {
            "TrainingImage": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/acme-forecaster:2.0.1",
            "SupportedHyperParameters": [
                {
                    "Name": "max_depth",
                    "Type": "Integer",
                    "Range": {"IntegerParameterRangeSpecification": {"MinValue": "1", "MaxValue": "12"}},
                    "IsTunable": True,
                    "IsRequired": False,
                    "DefaultValue": "6",
                }
            ],
            "SupportedTrainingInstanceTypes": ["ml.m5.xlarge", "ml.c5.2xlarge"],
            "SupportsDistributedTraining": False,
            "MetricDefinitions": [{"Name": "validation:rmse", "Regex": r"validation-rmse=([0-9.]+)"}],
            "TrainingChannels": [
                {
                    "Name": "training",
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedCompressionTypes": ["None", "Gzip"],
                    "SupportedInputModes": ["File"],
                    "IsRequired": True,
                }
            ],
            "SupportedTuningJobObjectiveMetrics": [{"Type": "Minimize", "MetricName": "validation:rmse"}],
        },
        "InferenceSpecification": {
            "Containers": [{"Image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/acme-forecaster:2.0.1"}],
            "SupportedTransformInstanceTypes": ["ml.m5.xlarge"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        "ValidationSpecification": {
            "ValidationRole": ROLE,
            "ValidationProfiles": [
                {
                    "ProfileName": "train-validation",
                    "TrainingJobDefinition": {
                        "TrainingInputMode": "File",
                        "HyperParameters": {"max_depth": "6"},
                        "InputDataConfig": [
                            {
                                "ChannelName": "training",
                                "DataSource": {
                                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{BUCKET}/train/"}
                                },
                                "ContentType": "text/csv",
                            }
                        ],
                        "OutputDataConfig": {"S3OutputPath": f"{BUCKET}/train-output/"},
                        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
                        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
                    },
                }
            ],
        },
        "CertifyForMarketplace": True,
    }


def change_set_request() -> dict[str, Any]:
    # Shape of AWS's own example in the Catalog API guide (ml-update-version).
    return {
        "Catalog": "AWSMarketplace",
        "ChangeSet": [
            {
                "ChangeType": "UpdateDeliveryOptions",
                "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": "prod-4hxbsbsnwbqv4@1"},
                "DetailsDocument": {"Version": {"ReleaseNotes": "Adds ml.g5 support."}},
            }
        ],
        "ChangeSetName": "acme-sentiment 1.4.0",
    }


def by_kind(errors: list[RequestError]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in errors:
        out.setdefault(e.kind, []).append(e.path)
    return out


# ------------------------------------------------------------------------------------------- valid requests


def test_valid_model_package_request_passes() -> None:
    params = model_package_request()
    assert validate_request("sagemaker", "CreateModelPackage", params) == []
    # and botocore agrees, so the test data is not accidentally lenient
    validate_parameters(params, service_model("sagemaker").operation_model("CreateModelPackage").input_shape)


def test_valid_algorithm_request_passes() -> None:
    assert validate_request("sagemaker", "CreateAlgorithm", algorithm_request()) == []


def test_valid_change_set_passes() -> None:
    # Entity.Type "MachineLearningProduct@1.0" breaks the model's EntityType pattern but is what AWS documents.
    assert validate_request("marketplace-catalog", "StartChangeSet", change_set_request()) == []


def test_unicode_text_is_accepted_by_translated_java_classes() -> None:
    params = model_package_request()
    params["ModelPackageDescription"] = "Análisis de sentimiento — 日本語にも対応 (v1.4)."
    params["Tags"] = [{"Key": "équipe", "Value": "traitement du langage"}]
    assert validate_request("sagemaker", "CreateModelPackage", params) == []


# --------------------------------------------------------------------------- what ParamValidator lets through


def test_unknown_instance_type_is_an_enum_error_at_its_path() -> None:
    params = model_package_request()
    params["InferenceSpecification"]["SupportedRealtimeInferenceInstanceTypes"][1] = "ml.bogus"
    shape = service_model("sagemaker").operation_model("CreateModelPackage").input_shape
    validate_parameters(params, shape)  # botocore alone does not notice
    errors = validate_request("sagemaker", "CreateModelPackage", params)
    assert [(e.path, e.kind) for e in errors] == [
        ("InferenceSpecification.SupportedRealtimeInferenceInstanceTypes[1]", "enum")
    ]
    assert "ml.bogus" in errors[0].message


def test_bad_transform_instance_type_in_validation_profile() -> None:
    params = model_package_request()
    resources = params["ValidationSpecification"]["ValidationProfiles"][0]["TransformJobDefinition"]
    resources["TransformResources"]["InstanceType"] = "ml.g5g.xlarge"  # not a batch type
    errors = validate_request("sagemaker", "CreateModelPackage", params)
    assert by_kind(errors) == {
        "enum": ["ValidationSpecification.ValidationProfiles[0].TransformJobDefinition.TransformResources.InstanceType"]
    }


def test_overlong_name_gives_max_and_pattern_once_each() -> None:
    params = model_package_request()
    params["ModelPackageName"] = "a" * 599 + "-"
    errors = validate_request("sagemaker", "CreateModelPackage", params)
    assert sorted((e.path, e.kind) for e in errors) == [("ModelPackageName", "max"), ("ModelPackageName", "pattern")]


def test_newline_in_description_breaks_the_unicode_pattern() -> None:
    params = model_package_request()
    params["ModelPackageDescription"] = "Line one.\nLine two."
    assert by_kind(validate_request("sagemaker", "CreateModelPackage", params)) == {
        "pattern": ["ModelPackageDescription"]
    }


def test_map_count_and_key_pattern() -> None:
    params = model_package_request()
    job = params["ValidationSpecification"]["ValidationProfiles"][0]["TransformJobDefinition"]
    job["Environment"] = {f"VAR_{i}": "x" for i in range(17)}  # AWS allows 16
    params["InferenceSpecification"]["Containers"][0]["Environment"]["1BAD"] = "x"
    kinds = by_kind(validate_request("sagemaker", "CreateModelPackage", params))
    assert kinds["max"] == ["ValidationSpecification.ValidationProfiles[0].TransformJobDefinition.Environment"]
    assert kinds["pattern"] == ["InferenceSpecification.Containers[0].Environment (key: 1BAD)"]


def test_list_and_number_maximums() -> None:
    params = model_package_request()
    params["InferenceSpecification"]["Containers"] *= 16  # 1-15 in the API
    errors = validate_request("sagemaker", "CreateModelPackage", params)
    assert ("InferenceSpecification.Containers", "max") in {(e.path, e.kind) for e in errors}

    algo = algorithm_request()
    job = algo["ValidationSpecification"]["ValidationProfiles"][0]["TrainingJobDefinition"]
    job["ResourceConfig"]["KeepAlivePeriodInSeconds"] = 21601
    assert [(e.path, e.kind) for e in validate_request("sagemaker", "CreateAlgorithm", algo)] == [
        ("ValidationSpecification.ValidationProfiles[0].TrainingJobDefinition.ResourceConfig.KeepAlivePeriodInSeconds", "max")
    ]


# ------------------------------------------------------------------------------------ what ParamValidator finds


def test_missing_required_members() -> None:
    params = model_package_request()
    del params["ValidationSpecification"]["ValidationRole"]
    params["InferenceSpecification"].pop("Containers")
    errors = validate_request("sagemaker", "CreateModelPackage", params)
    assert sorted((e.path, e.kind) for e in errors) == [
        ("InferenceSpecification.Containers", "required"),
        ("ValidationSpecification.ValidationRole", "required"),
    ]


def test_unknown_member_and_wrong_type() -> None:
    params = model_package_request()
    params["CertifyForMarketPlace"] = True  # typo
    params["InferenceSpecification"]["SupportedContentTypes"] = "application/json"  # not a list
    kinds = by_kind(validate_request("sagemaker", "CreateModelPackage", params))
    assert kinds == {"unknown": ["CertifyForMarketPlace"], "type": ["InferenceSpecification.SupportedContentTypes"]}


def test_minimum_is_reported_once_although_both_validators_check_it() -> None:
    params = model_package_request()
    resources = params["ValidationSpecification"]["ValidationProfiles"][0]["TransformJobDefinition"]["TransformResources"]
    resources["InstanceCount"] = 0
    params["ModelPackageName"] = ""  # min 1 (and the pattern needs a character)
    errors = validate_request("sagemaker", "CreateModelPackage", params)
    assert sorted((e.path, e.kind) for e in errors) == [
        ("ModelPackageName", "min"),
        ("ModelPackageName", "pattern"),
        ("ValidationSpecification.ValidationProfiles[0].TransformJobDefinition.TransformResources.InstanceCount", "min"),
    ]


def test_request_error_is_frozen_and_hashable() -> None:
    error = RequestError("A.B[0]", "msg", "enum")
    assert {error, RequestError("A.B[0]", "msg", "enum")} == {error}
    with pytest.raises(AttributeError):
        error.kind = "max"  # type: ignore[misc]


# ------------------------------------------------------------------------------------------------ change sets


def test_change_set_bad_catalog_and_identifier() -> None:
    shape = service_model("marketplace-catalog").shape_for("Catalog")
    assert "pattern" in shape.metadata  # the premise of this test
    params = change_set_request()
    params["Catalog"] = "AWS Marketplace"
    params["ChangeSet"][0]["Entity"]["Identifier"] = "prod 123"
    assert by_kind(validate_request("marketplace-catalog", "StartChangeSet", params)) == {
        "pattern": ["Catalog", "ChangeSet[0].Entity.Identifier"]
    }


def test_change_set_requires_a_change() -> None:
    params = change_set_request()
    params["ChangeSet"] = []
    assert by_kind(validate_request("marketplace-catalog", "StartChangeSet", params)) == {"min": ["ChangeSet"]}


# -------------------------------------------------------------------------------------------- Java patterns


def test_patterns_used_by_our_operations_all_compile() -> None:
    """Every pattern reachable from the three request shapes is checked, none silently skipped."""
    skipped: list[str] = []

    def walk(shape: Any, seen: set[str]) -> None:
        if shape.name in seen:
            return
        seen.add(shape.name)
        pattern = shape.metadata.get("pattern")
        if pattern is not None and compile_java_pattern(pattern) is None:
            skipped.append(f"{shape.name}: {pattern}")
        for child in getattr(shape, "members", {}).values():
            walk(child, seen)
        for attr in ("member", "key", "value"):
            if hasattr(shape, attr):
                walk(getattr(shape, attr), seen)

    for service, operation in [
        ("sagemaker", "CreateModelPackage"),
        ("sagemaker", "CreateAlgorithm"),
        ("marketplace-catalog", "StartChangeSet"),
    ]:
        walk(service_model(service).operation_model(operation).input_shape, set())
    assert skipped == []


def test_skipped_patterns_across_whole_models() -> None:
    # Today every pattern in both models translates; this catches a botocore upgrade that adds a construct
    # we do not handle (it would be skipped, not mis-checked — see compile_java_pattern).
    counts = {s: len(skipped_patterns(s)) for s in ("sagemaker", "marketplace-catalog")}
    assert counts == {"sagemaker": 0, "marketplace-catalog": 0}, skipped_patterns("sagemaker")


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        (r"[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*", "Ünïcode — ok (1.0)", True),
        (r"[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*", "tab\there", False),
        (r"([\p{L}\p{Z}\p{N}_.:\/=+\-@]*)${1,128}", "team:nlp", True),  # quantified anchor
        (r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*", "emoji 😀 ok", True),  # surrogate pair
        (r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*", "bell \x07", False),
        (r"arn:[\p{Alnum}\-]+:lambda:[\p{Alnum}\-]+:[0-9]{12}:function:.*", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f", True),
        (r"[-\w]+\/.+", "application/json", True),
        (r"[-\w]+\/.+", "äpplication/json", False),  # Java \w is ASCII
        (r".*", "a\rb", False),  # Java '.' stops at \r too
        (r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", "acme--model-1", True),
    ],
)
def test_compile_java_pattern(pattern: str, value: str, matches: bool) -> None:
    compiled = compile_java_pattern(pattern)
    assert compiled is not None
    assert bool(compiled.fullmatch(value)) is matches


@pytest.mark.parametrize("pattern", [r"[a-z&&[^aeiou]]+", r"\p{IsLatin}+", r"\Qa.b\E", r"(unclosed"])
def test_untranslatable_patterns_are_skipped_not_guessed(pattern: str) -> None:
    assert compile_java_pattern(pattern) is None


# -------------------------------------------------------------------------------------------- instance types


def _enum(shape_name: str) -> list[str]:
    model = botocore.session.get_session().get_service_model("sagemaker")
    return [t for t in model.shape_for(shape_name).enum if t.startswith("ml.")]


@pytest.mark.parametrize(
    ("mode", "shape_name"),
    [("training", "TrainingInstanceType"), ("realtime", "ProductionVariantInstanceType"), ("batch", "TransformInstanceType")],
)
def test_instance_types_come_from_botocore(mode: str, shape_name: str) -> None:
    assert instance_types(mode) == _enum(shape_name)  # type: ignore[arg-type]


def test_batch_types_include_m5_and_exclude_realtime_only_types() -> None:
    batch = set(instance_types("batch"))
    assert "ml.m5.xlarge" in batch
    realtime_only = set(instance_types("realtime")) - batch
    assert realtime_only  # e.g. Graviton and inf1 are real-time only
    assert "ml.c6g.large" in realtime_only and "ml.c6g.large" not in batch


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError):
        instance_types("async")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "family", "size", "accelerator", "label", "architecture"),
    [
        ("ml.g5.xlarge", "g5", "xlarge", "nvidia_gpu", "NVIDIA GPU", "x86_64"),
        ("ml.p4de.24xlarge", "p4de", "24xlarge", "nvidia_gpu", "NVIDIA GPU", "x86_64"),
        ("ml.p6-b200.48xlarge", "p6-b200", "48xlarge", "nvidia_gpu", "NVIDIA GPU", "x86_64"),
        ("ml.g5g.xlarge", "g5g", "xlarge", "nvidia_gpu", "NVIDIA GPU (arm64)", "arm64"),
        ("ml.c6g.large", "c6g", "large", "graviton", "Graviton (arm64)", "arm64"),
        ("ml.c6gn.xlarge", "c6gn", "xlarge", "graviton", "Graviton (arm64)", "arm64"),
        ("ml.r7gd.medium", "r7gd", "medium", "graviton", "Graviton (arm64)", "arm64"),
        ("ml.inf2.xlarge", "inf2", "xlarge", "inferentia", "Inferentia", "x86_64"),
        ("ml.trn1.2xlarge", "trn1", "2xlarge", "trainium", "Trainium", "x86_64"),
        ("ml.dl1.24xlarge", "dl1", "24xlarge", "gaudi", "Gaudi", "x86_64"),
        ("ml.m5.large", "m5", "large", "cpu", "CPU", "x86_64"),
        ("ml.c7i-flex.xlarge", "c7i-flex", "xlarge", "cpu", "CPU", "x86_64"),
    ],
)
def test_describe_instance_type(
    name: str, family: str, size: str, accelerator: str, label: str, architecture: str
) -> None:
    assert describe_instance_type(name) == InstanceTypeInfo(name, family, size, accelerator, label, architecture)


def test_describe_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        describe_instance_type("ml.bogus")


def test_every_enum_value_is_classified() -> None:
    # Each family of every mode parses; NVIDIA families match AWS_RULES §4 (g4dn, g5, g6, g6e, g7, g7e, p2-p6).
    for mode in ("training", "realtime", "batch"):
        for name in instance_types(mode):
            info = describe_instance_type(name)
            assert info.size and info.family
            if info.accelerator == "nvidia_gpu":
                assert info.family[0] in "gp" and info.family[1].isdigit()


def test_grouped_instance_types_order() -> None:
    groups = grouped_instance_types("realtime")
    flat = [info.name for _, infos in groups for info in infos]
    assert sorted(flat) == sorted(instance_types("realtime"))  # every type exactly once
    families = [family for family, _ in groups]
    kinds = [infos[0].accelerator for _, infos in groups]
    order = ["cpu", "graviton", "nvidia_gpu", "inferentia", "trainium", "gaudi"]
    assert kinds == sorted(kinds, key=order.index)  # CPUs first, accelerators grouped
    assert families.index("p3") < families.index("p4d") < families.index("p6-b200")
    assert families.index("c5") < families.index("c6i") < families.index("c7i")
    m5 = dict(groups)["m5"]
    sizes = [i.size for i in m5]
    assert sizes[:4] == ["large", "xlarge", "2xlarge", "4xlarge"]
    assert sizes.index("12xlarge") < sizes.index("24xlarge")
    assert all(all(i.family == family for i in infos) for family, infos in groups)


def test_service_model_is_cached() -> None:
    assert service_model("sagemaker") is service_model("sagemaker")
