"""The AWS requests a listing implies (validation/aws_requests) and their checks (validation/checks/request.py).

Pure: no Django, no network. Complete snapshots live in tests/fixtures/requests/; the full listing fixtures in
tests/fixtures/listings/ (written with the listing checks) are used as well when present.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from botocore.validate import validate_parameters

from validation.aws_models import service_model, validate_request
from validation.aws_requests import (
    BuiltRequest,
    IncompleteListing,
    build_change_set,
    build_create_algorithm,
    build_create_model_package,
    build_sagemaker_request,
    dimension_keys,
    predicted_arn,
    sagemaker_name,
    validate_change_details,
    validate_change_set,
    validate_change_set_request,
    validate_sagemaker_request,
)
from validation.aws_requests.base import resource_name
from validation.checks import request as request_check
from validation.checks.registry import REGISTRY, Subject
from validation.findings import Outcome, Severity
from validation.rules import request as request_rules

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RULES = {r.code: r for r in request_rules.RULES}
NAME_RE = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
REF_RE = re.compile(r"\$([A-Za-z]+)\.Entity\.Identifier")


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / "requests" / name).read_text())


@pytest.fixture
def model_package() -> dict[str, Any]:
    return load("model_package_listing.json")


@pytest.fixture
def algorithm() -> dict[str, Any]:
    return load("algorithm_listing.json")


def complete_snapshots() -> list[Any]:
    """Ours, plus the listing-check fixtures when that work has landed (same snapshot format)."""
    out = [pytest.param(load("model_package_listing.json"), id="requests/model_package"),
           pytest.param(load("algorithm_listing.json"), id="requests/algorithm")]
    for path in sorted((FIXTURES / "listings").glob("*.json")):
        out.append(pytest.param(json.loads(path.read_text()), id=f"listings/{path.stem}"))
    return out


def run_checks(snapshot: dict[str, Any]) -> list:
    subject = Subject(snapshot)
    return list(request_check.sagemaker_request(subject)) + list(request_check.catalog_request(subject))


def failed(findings: list) -> list:
    return [f for f in findings if f.outcome == Outcome.FAILED]


def change(built: BuiltRequest, change_type: str) -> dict[str, Any]:
    (found,) = [c for c in built.params["ChangeSet"] if c["ChangeType"] == change_type]
    return found


def pricing(built: BuiltRequest) -> dict[str, Any]:
    return change(built, "UpdatePricingTerms")["DetailsDocument"]


# ------------------------------------------------------------------------------------------------- catalog


def test_rules_are_well_formed_and_every_code_is_in_a_check():
    codes = set(REGISTRY["request.sagemaker"].codes) | set(REGISTRY["request.catalog"].codes)
    assert codes == set(RULES)
    for r in request_rules.RULES:
        assert r.severity == Severity.ERROR and r.aws_rejects
        assert r.hint_text() and "{" not in r.hint_text()
        json.dumps(r.as_dict())


# ----------------------------------------------------------------------------------------- valid requests


@pytest.mark.parametrize("snapshot", complete_snapshots())
def test_complete_listing_builds_valid_requests(snapshot):
    built = build_sagemaker_request(snapshot)
    assert validate_sagemaker_request(built) == []
    # botocore's own validator agrees, so our strict walk is not the only judge
    validate_parameters(built.params, service_model("sagemaker").operation_model(built.operation).input_shape)
    change_set = build_change_set(snapshot, version_number=3)
    assert validate_change_set(change_set) == []
    assert not failed(run_checks(snapshot))


def test_model_package_request_content(model_package):
    built = build_create_model_package(model_package)
    p = built.params
    assert built.operation == "CreateModelPackage" and p["CertifyForMarketplace"] is True
    assert NAME_RE.fullmatch(p["ModelPackageName"])
    (container,) = p["InferenceSpecification"]["Containers"]  # one container (AWS_RULES.md §4)
    assert container["Image"] == model_package["aws"]["image_uri"]
    assert container["ModelDataUrl"] == model_package["aws"]["model_data_uri"]
    assert container["Environment"] == model_package["endpoint"]["environment"]
    spec = p["InferenceSpecification"]
    assert spec["SupportedRealtimeInferenceInstanceTypes"] == model_package["instance_types"]["realtime"]
    assert spec["SupportedTransformInstanceTypes"] == model_package["instance_types"]["batch"]
    (profile,) = p["ValidationSpecification"]["ValidationProfiles"]  # exactly one validation profile
    job = profile["TransformJobDefinition"]
    assert job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] == model_package["aws"]["s3_input_location"]
    assert job["TransformInput"]["ContentType"] == "text/csv" and job["TransformInput"]["SplitType"] == "Line"
    assert job["TransformOutput"]["S3OutputPath"] == model_package["aws"]["s3_output_location"]
    assert job["TransformResources"] == {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1}
    assert job["BatchStrategy"] == "MultiRecord" and job["MaxPayloadInMB"] == 6
    assert p["ValidationSpecification"]["ValidationRole"] == model_package["aws"]["validation_role_arn"]


def test_algorithm_request_content(algorithm):
    p = build_create_algorithm(algorithm).params
    spec = p["TrainingSpecification"]
    by_name = {hp["Name"]: hp for hp in spec["SupportedHyperParameters"]}
    assert by_name["num_round"]["Range"] == {
        "IntegerParameterRangeSpecification": {"MinValue": "1", "MaxValue": "1000"}}
    assert by_name["eta"]["Range"] == {"ContinuousParameterRangeSpecification": {"MinValue": "0.01", "MaxValue": "1.0"}}
    assert by_name["objective"]["Range"] == {
        "CategoricalParameterRangeSpecification": {"Values": ["binary:logistic", "binary:hinge"]}}
    assert "Range" not in by_name["feature_names"] and "DefaultValue" not in by_name["feature_names"]
    assert by_name["feature_names"]["IsRequired"] is True and by_name["num_round"]["IsTunable"] is True
    assert spec["SupportsDistributedTraining"] is True
    assert spec["SupportedTuningJobObjectiveMetrics"] == [{"Type": "Maximize", "MetricName": "validation:auc"}]
    assert [c["Name"] for c in spec["TrainingChannels"]] == ["train", "validation"]
    assert spec["TrainingChannels"][0]["SupportedCompressionTypes"] == ["None", "Gzip"]
    assert "InferenceSpecification" in p and "ModelDataUrl" not in p["InferenceSpecification"]["Containers"][0]
    (profile,) = p["ValidationSpecification"]["ValidationProfiles"]
    training = profile["TrainingJobDefinition"]
    assert training["TrainingInputMode"] == "File"
    assert [c["DataSource"]["S3DataSource"]["S3Uri"] for c in training["InputDataConfig"]] == [
        "s3://acme-churn-eu-west-1/validation/input/train/", "s3://acme-churn-eu-west-1/validation/input/validation/"]
    assert training["HyperParameters"] == {"num_round": "100", "eta": "0.3", "objective": "binary:logistic"}
    assert training["ResourceConfig"]["InstanceType"] == "ml.m5.2xlarge"
    assert training["StoppingCondition"]["MaxRuntimeInSeconds"] > 0
    transform = profile["TransformJobDefinition"]
    assert transform["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"].endswith("/validation/input/batch/")


def test_recordio_and_unknown_content_types_split_accordingly(model_package):
    model_package["endpoint"]["input_content_types"] = ["application/x-recordio-protobuf"]
    job = build_create_model_package(model_package).params["ValidationSpecification"]["ValidationProfiles"][0]
    assert job["TransformJobDefinition"]["TransformInput"]["SplitType"] == "RecordIO"
    model_package["endpoint"]["input_content_types"] = ["image/jpeg"]
    job = build_create_model_package(model_package).params["ValidationSpecification"]["ValidationProfiles"][0]
    assert job["TransformJobDefinition"]["TransformInput"]["SplitType"] == "None"
    assert job["TransformJobDefinition"]["TransformOutput"]["AssembleWith"] == "None"


# ------------------------------------------------------------------------------------------------ names


def test_names_follow_the_api_pattern_and_botocore_maximum():
    limit = service_model("sagemaker").shape_for("EntityName").metadata["max"]
    assert resource_name("Acme Sentiment Analyzer™ — v2!", max_length=limit) == "acme-sentiment-analyzer-v2"
    assert resource_name("Análisis de sentimiento", max_length=limit) == "analisis-de-sentimiento"
    assert resource_name("日本語のみ", max_length=limit) == ""
    long = resource_name("word " * 200, max_length=limit, suffix="-v12")
    assert len(long) <= limit and long.endswith("-v12") and NAME_RE.fullmatch(long) and "--" not in long


def test_version_number_suffixes_the_name_and_the_predicted_arn(model_package):
    built = build_create_model_package(model_package, version_number=7)
    assert built.params["ModelPackageName"].endswith("-v7")
    arn = predicted_arn(model_package, kind="model_package", version_number=7)
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{built.params['ModelPackageName']}"
    details = change(build_change_set(model_package, version_number=7), "AddDeliveryOptions")["DetailsDocument"]
    option = details["DeliveryOptions"][0]["Details"]["SageMakerModelPackageDeliveryOptionDetails"]
    assert option["SageMakerModelPackageArn"] == arn  # the ARN CreateModelPackage will return


def test_a_title_without_ascii_letters_cannot_name_the_resource(model_package):
    model_package["product"]["title"] = "日本語のみ"
    with pytest.raises(IncompleteListing) as err:
        build_create_model_package(model_package)
    assert [m.location for m in err.value.missing] == ["field:product.title"]


# -------------------------------------------------------------------------------- errors at the seller's field


def test_bogus_realtime_instance_type_is_found_at_its_field(model_package):
    model_package["instance_types"]["realtime"][2] = "ml.bogus"
    findings = run_checks(model_package)
    (bad,) = [f for f in failed(findings) if f.code == "request.E001"]
    assert bad.location == "field:instance_types.realtime[2]"
    assert "SupportedRealtimeInferenceInstanceTypes[2]" in bad.message and "ml.bogus" in bad.message
    assert "not a value AWS accepts" in bad.message
    assert bad.measured["member"] == "InferenceSpecification.SupportedRealtimeInferenceInstanceTypes[2]"


def test_600_character_title_is_found_at_the_title(model_package):
    model_package["product"]["title"] = "A" * 600
    built = build_create_model_package(model_package)
    assert len(built.params["ModelPackageName"]) <= 63 and validate_sagemaker_request(built) == []
    findings = failed(run_checks(model_package))
    assert findings and {f.location for f in findings} == {"field:product.title"}
    (title,) = [f for f in findings if f.code == "request.E003"]
    assert "ProductTitle" in title.message and "too long" in title.message


def test_newline_in_short_description_breaks_the_sagemaker_description(model_package):
    model_package["product"]["short_description"] = "Line one.\nLine two."
    (bad,) = failed(list(request_check.sagemaker_request(Subject(model_package))))
    assert bad.location == "field:product.short_description" and "ModelPackageDescription" in bad.message


def test_environment_key_error_is_found_at_the_entry(model_package):
    model_package["endpoint"]["environment"] = {"1BAD-KEY": "x"}
    (bad,) = failed(list(request_check.sagemaker_request(Subject(model_package))))
    assert bad.location == "field:endpoint.environment[1BAD-KEY]"


def test_hyperparameter_type_error_is_found_at_the_hyperparameter(algorithm):
    algorithm["hyperparameters"][1]["type"] = "Float"
    (bad,) = failed(list(request_check.sagemaker_request(Subject(algorithm))))
    assert bad.location == "field:hyperparameters[1].type"


def test_bad_access_role_and_notebook_url_are_found_at_their_fields(model_package):
    model_package["aws"]["access_role_arn"] = "arn:aws:iam::123:role/x"
    model_package["version"]["notebook_url"] = "http://example.com/nb.ipynb"
    bad = {f.location for f in failed(run_checks(model_package)) if f.code == "request.E003"}
    assert bad == {"field:aws.access_role_arn", "field:version.notebook_url"}


# ------------------------------------------------------------------------------------- incomplete listings


def test_missing_image_uri_is_a_not_run_finding_naming_the_field(model_package):
    model_package["aws"]["image_uri"] = ""
    model_package["aws"]["validation_role_arn"] = ""
    findings = list(request_check.sagemaker_request(Subject(model_package)))
    assert {f.outcome for f in findings} == {Outcome.NOT_RUN}
    assert {f.location for f in findings} == {"field:aws.image_uri", "field:aws.validation_role_arn"}
    assert all("cannot be built yet" in f.message for f in findings)


def test_unpriced_dimension_and_missing_arn_stop_the_change_set(model_package):
    del model_package["pricing"]["prices"]["ml.g5.xlarge.m.i.r"]
    model_package["aws"]["region"] = ""
    with pytest.raises(IncompleteListing) as err:
        build_change_set(model_package, version_number=1)
    assert {m.location for m in err.value.missing} == {"field:pricing.prices[ml.g5.xlarge.m.i.r]",
                                                       "field:aws.sagemaker_arn"}
    findings = list(request_check.catalog_request(Subject(model_package)))
    assert findings and all(f.outcome == Outcome.NOT_RUN for f in findings)


@pytest.mark.parametrize("mutate", [
    lambda s: s.update(product=None),
    lambda s: s["instance_types"].update(realtime="ml.m5.large"),
    lambda s: s["instance_types"].update(realtime=["ml.m5.large", 5]),
    lambda s: s.update(hyperparameters=[3, None]),
    lambda s: s["pricing"].update(prices=["0.5"], free_trial_days="14"),
    lambda s: s["endpoint"].update(environment=["A=1"], max_payload_mb="6"),
    lambda s: s.update(kind="dataset"),
    lambda s: s.update(kind=["algorithm"]),
    lambda s: s["pricing"].update(model=["hourly"]),
    lambda s: s["legal"].update(eula={"custom": True}),
    lambda s: s.clear(),
])
@pytest.mark.parametrize("name", ["model_package_listing.json", "algorithm_listing.json"])
def test_wrong_types_never_crash(name, mutate):
    snapshot = load(name)
    mutate(snapshot)
    findings = run_checks(snapshot)
    assert findings and {f.code for f in findings} <= set(RULES)
    assert all(f.outcome in (Outcome.FAILED, Outcome.NOT_RUN, Outcome.PASSED) for f in findings)
    assert not [f for f in findings if "could not be built (" in f.message]  # no builder fault


def test_wrong_item_type_is_located_at_the_item(model_package):
    model_package["instance_types"]["realtime"][1] = 5
    with pytest.raises(IncompleteListing) as err:
        build_create_model_package(model_package)
    assert [m.location for m in err.value.missing] == ["field:instance_types.realtime[1]"]


# ---------------------------------------------------------------------------------------------- change set


@pytest.mark.parametrize("name", ["model_package_listing.json", "algorithm_listing.json"])
def test_rate_card_prices_every_dimension_and_the_trial_grants_them_all(name):
    snapshot = load(name)
    keys = [k for k, _ in dimension_keys(snapshot)]
    terms = {t["Type"]: t for t in pricing(build_change_set(snapshot, version_number=1))["Terms"]}
    (card,) = terms["UsageBasedPricingTerm"]["RateCards"]
    assert [item["DimensionKey"] for item in card["RateCard"]] == keys
    assert {item["DimensionKey"]: item["Price"] for item in card["RateCard"]} == snapshot["pricing"]["prices"]
    assert [g["DimensionKey"] for g in terms["FreeTrialPricingTerm"]["Grants"]] == keys
    assert terms["FreeTrialPricingTerm"]["Duration"] == f"P{snapshot['pricing']['free_trial_days']}D"
    instance_types = snapshot["instance_types"]
    expected = {f"{t}.m.i.r" for t in instance_types["realtime"]} | {f"{t}.m.i.b" for t in instance_types["batch"]}
    if snapshot["kind"] == "algorithm":
        expected |= {f"{t}.a.t" for t in instance_types["training"]}
    assert set(keys) == expected


def test_per_inference_prices_m_i_c_instead_of_realtime_hours(model_package):
    model_package["pricing"].update(model="per_inference", prices={
        "m.i.c": "0.001", "ml.m5.xlarge.m.i.b": "0.40", "ml.g4dn.xlarge.m.i.b": "0.90"})
    doc = pricing(build_change_set(model_package, version_number=1))
    assert doc["PricingModel"] == "Usage"
    keys = [i["DimensionKey"] for i in doc["Terms"][0]["RateCards"][0]["RateCard"]]
    assert keys == ["m.i.c", "ml.m5.xlarge.m.i.b", "ml.g4dn.xlarge.m.i.b"]


def test_free_product_prices_every_dimension_at_zero_without_trial_or_refund(model_package):
    model_package["pricing"].update(model="free", prices={}, free_trial_days=14)
    model_package["legal"]["refund_policy"] = ""
    built = build_change_set(model_package, version_number=1)
    doc = pricing(built)
    assert doc["PricingModel"] == "Free" and len(doc["Terms"]) == 1
    assert {i["Price"] for i in doc["Terms"][0]["RateCards"][0]["RateCard"]} == {"0"}
    assert "UpdateSupportTerms" not in [c["ChangeType"] for c in built.params["ChangeSet"]]
    assert validate_change_set(built) == []


def test_paid_product_without_refund_policy_fails_at_the_field(model_package):
    model_package["legal"]["refund_policy"] = ""
    (bad,) = failed(list(request_check.catalog_request(Subject(model_package))))
    assert bad.code == "request.E003" and bad.location == "field:legal.refund_policy"


def test_numeric_prices_keep_their_decimals(model_package):
    model_package["pricing"]["prices"]["ml.m5.large.m.i.r"] = 0.1
    card = pricing(build_change_set(model_package, version_number=1))["Terms"][0]["RateCards"][0]["RateCard"]
    assert card[0] == {"DimensionKey": "ml.m5.large.m.i.r", "Price": "0.1"}


def test_legal_terms_standard_or_custom(model_package, algorithm):
    standard = change(build_change_set(model_package, version_number=1), "UpdateLegalTerms")["DetailsDocument"]
    assert standard["Terms"][0]["Documents"] == [{"Type": "StandardEula", "Version": "2022-07-14"}]
    custom = change(build_change_set(algorithm, version_number=1), "UpdateLegalTerms")["DetailsDocument"]
    assert custom["Terms"][0]["Documents"] == [{"Type": "CustomEula", "Url": algorithm["legal"]["eula_url"]}]


def test_samples_are_text_or_url_and_recommended_types_include_training(algorithm):
    details = change(build_change_set(algorithm, version_number=1), "AddDeliveryOptions")["DetailsDocument"]
    option = details["DeliveryOptions"][0]["Details"]["SageMakerAlgorithmDeliveryOptionDetails"]
    assert option["InputProperties"]["SampleInput"] == {
        "RealtimeInferenceText": "0.3,12,1,0,55.2", "BatchTransformUrl": algorithm["version"]["sample_input_batch"]}
    assert option["RecommendedInstanceTypes"] == {"RealtimeInference": "ml.m5.large", "BatchTransform": "ml.m5.xlarge",
                                                  "Training": "ml.m5.2xlarge"}
    assert option["SageMakerAlgorithmArn"] == algorithm["aws"]["sagemaker_arn"]  # given ARN wins over prediction
    assert details["Version"] == {"VersionTitle": "2.0.1", "ReleaseNotes": algorithm["version"]["release_notes"]}


@pytest.mark.parametrize("name", ["model_package_listing.json", "algorithm_listing.json"])
def test_change_names_chain_to_earlier_changes(name):
    params = build_change_set(load(name), version_number=1).params
    assert params["Catalog"] == "AWSMarketplace"
    order = [c["ChangeType"] for c in params["ChangeSet"]]
    assert order[0] == "CreateProduct" and order[-1] == "ReleaseOffer"
    assert order.index("ReleaseProduct") < order.index("CreateOffer")
    defined: set[str] = set()
    references = 0
    for c in params["ChangeSet"]:
        assert "DetailsDocument" in c and "Details" not in c  # documents, not JSON strings
        text = json.dumps({"Entity": c["Entity"], "DetailsDocument": c["DetailsDocument"]})
        for ref in re.findall(r'"(\$[^"]*)"', text):
            m = REF_RE.fullmatch(ref)
            assert m and m[1] in defined, ref
            references += 1
        if "ChangeName" in c:
            assert c["ChangeName"] not in defined
            defined.add(c["ChangeName"])
    assert defined == {"CreateProductChange", "CreateOfferChange"} and references >= 8


def test_documented_change_names_break_the_botocore_model_and_are_exempted(model_package):
    built = build_change_set(model_package, version_number=1)
    raw = {(e.path, e.kind) for e in validate_request("marketplace-catalog", "StartChangeSet", built.params)}
    # botocore's ChangeName pattern is "^[a-zA-Z]$" (one letter); Identifier's refuses "$X.Entity.Identifier"
    assert ("ChangeSet[0].ChangeName", "pattern") in raw and ("ChangeSet[1].Entity.Identifier", "pattern") in raw
    assert validate_change_set_request(built) == []


def test_broken_chains_and_change_names_are_reported(model_package):
    built = build_change_set(model_package, version_number=1)
    params = copy.deepcopy(built.params)
    params["ChangeSet"][1]["Entity"]["Identifier"] = "$CreateOfferChange.Entity.Identifier"  # not yet defined
    params["ChangeSet"][4]["ChangeName"] = "Create-Offer"
    params["ChangeSet"][5]["Entity"]["Identifier"] = "$Nowhere.Entity.Identifier"
    errors = validate_change_set_request(BuiltRequest(built.service, built.operation, params, built.sources))
    paths = {e.path for e in errors}
    assert {"ChangeSet[1].Entity.Identifier", "ChangeSet[4].ChangeName", "ChangeSet[5].Entity.Identifier"} <= paths


def test_trial_grants_must_match_the_rate_card(model_package):
    built = build_change_set(model_package, version_number=1)
    params = copy.deepcopy(built.params)
    for c in params["ChangeSet"]:
        if c["ChangeType"] == "UpdatePricingTerms":
            c["DetailsDocument"]["Terms"][1]["Grants"].pop()
    errors = validate_change_details(BuiltRequest(built.service, built.operation, params, built.sources))
    (error,) = errors
    assert error.path.endswith("Terms[1].Grants") and "ml.g4dn.xlarge.m.i.b" in error.message
    assert built.location_for(error.path) == "field:pricing.free_trial_days"


def test_unknown_details_member_is_reported(model_package):
    built = build_change_set(model_package, version_number=1)
    params = copy.deepcopy(built.params)
    params["ChangeSet"][1]["DetailsDocument"]["Title"] = "typo"
    (error,) = validate_change_details(BuiltRequest(built.service, built.operation, params, built.sources))
    assert error.kind == "unknown" and error.path == "ChangeSet[1].DetailsDocument.Title"


# ------------------------------------------------------------------------------------ mapping and determinism


def test_location_for_is_longest_prefix_and_index_aware():
    built = BuiltRequest("sagemaker", "CreateModelPackage", {}, {
        "A": "field:a", "A.B": "field:a.b", "A.B[2]": "field:a.b[2]", "A.Env": "field:env", "A.Env.K": "field:env[K]"})
    assert built.location_for("A.B[2]") == "field:a.b[2]"
    assert built.location_for("A.B[2].C") == "field:a.b[2]"
    assert built.location_for("A.B[20]") == "field:a.b"
    assert built.location_for("A.Bc") == "field:a"
    assert built.location_for("A.Env (key: K)") == "field:env[K]"
    assert built.location_for("Z") == ""


@pytest.mark.parametrize("name", ["model_package_listing.json", "algorithm_listing.json"])
def test_every_request_is_json_and_deterministic(name):
    snapshot = load(name)
    first = [build_sagemaker_request(snapshot, version_number=2), build_change_set(snapshot, version_number=2)]
    again = [build_sagemaker_request(copy.deepcopy(snapshot), version_number=2),
             build_change_set(copy.deepcopy(snapshot), version_number=2)]
    for a, b in zip(first, again):
        assert json.dumps(a.params, sort_keys=True) == json.dumps(b.params, sort_keys=True)
        assert a.to_json() == b.to_json() and json.loads(a.to_json()) == a.params
    token = first[1].params["ClientRequestToken"]
    assert build_change_set(snapshot, version_number=3).params["ClientRequestToken"] != token
    assert snapshot == load(name)  # builders do not mutate the snapshot


def test_sagemaker_name_matches_between_builders(algorithm):
    name = sagemaker_name(algorithm, kind="algorithm", version_number=4)
    assert build_create_algorithm(algorithm, version_number=4).params["AlgorithmName"] == name


def test_problems_at_one_field_are_one_finding(algorithm):
    algorithm["metrics"][0]["regex"] = ""  # too short and not matching ".+": one finding, both told
    algorithm["instance_types"]["batch"] = []
    findings = failed(list(request_check.sagemaker_request(Subject(algorithm))))
    by_location = {f.location: f for f in findings}
    assert len(findings) == len(by_location) == 2
    regex = by_location["field:metrics[0].regex"]
    assert "too short" in regex.message and "Also:" in regex.message and len(regex.measured["members"]) == 2
    assert "has too few items" in by_location["field:instance_types.batch"].message
