"""What each listing rule says and where: one behaviour per test, from a valid fixture with one change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from validation.checks.registry import Subject
from validation.checks.sections import listing_checks
from validation.rules import limit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "listings"


def load(kind: str = "model_package") -> dict:
    return json.loads((FIXTURES / f"{kind}.json").read_text())


def failures(listing: dict, code: str) -> list:
    return [f for check in listing_checks() for f in check.func(Subject(listing))
            if f.code == code and f.outcome == "failed"]


def one(listing: dict, code: str):
    found = failures(listing, code)
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------------------------------- product
def test_long_keywords_are_summarised_in_one_finding():
    listing = load()
    listing["product"]["search_keywords"] = ["ok", "k" * 51, "l" * 60, "m" * 70]
    finding = one(listing, "listing.E016")
    assert finding.message.startswith("3 keywords exceed 50 characters")
    assert finding.location == "field:product.search_keywords" and finding.measured["items"] == [1, 2, 3]


def test_categories_must_come_from_aws_list():
    listing = load()
    listing["product"]["categories"] = ["Text", "Blockchain"]
    assert "Blockchain" in one(listing, "listing.E014").message


def test_an_additional_resource_needs_text_and_an_http_link():
    listing = load()
    listing["product"]["additional_resources"] = [{"text": "", "url": "https://example.com/a"},
                                                  {"text": "Docs", "url": "ftp://example.com/b"}]
    assert one(listing, "listing.E022").location == "field:product.additional_resources[0].text"
    assert one(listing, "listing.E024").location == "field:product.additional_resources[1].url"


def test_video_must_be_https_and_media_must_not_repeat():
    listing = load()
    listing["product"]["video_url"] = "http://example.com/v"
    assert one(listing, "listing.E025").location == "field:product.video_url"
    listing["product"]["video_url"] = listing["product"]["additional_resources"][0]["url"] + "/"
    assert one(listing, "listing.E027").location == "field:product.video_url"


# --------------------------------------------------------------------------------------------------- version
def test_links_and_samples_must_be_https():
    listing = load()
    listing["version"]["notebook_url"] = "http://github.com/x/y.ipynb"
    listing["version"]["sample_output_batch"] = "http://example.com/out.csv"
    assert one(listing, "listing.E037").location == "field:version.notebook_url"
    assert one(listing, "listing.E045").location == "field:version.sample_output_batch"


def test_a_repository_outside_github_is_a_warning():
    listing = load()
    listing["version"]["repository_url"] = "https://gitlab.com/seller/samples"
    finding = one(listing, "listing.W039")
    assert finding.severity == "warning" and finding.measured["host"] == "gitlab.com"


def test_parameter_names_are_printable_ascii():
    listing = load()
    listing["version"]["input_parameters"][0]["name"] = "größe"
    assert one(listing, "listing.E047").location == "field:version.input_parameters[0].name"


@pytest.mark.parametrize("field", ["version_title", "release_notes", "usage_instructions", "input_description",
                                   "sample_input_batch", "notebook_url"])
def test_required_version_fields(field):
    listing = load()
    listing["version"][field] = "   "
    assert [f.location for f in failures(listing, {
        "version_title": "listing.E030", "release_notes": "listing.E032", "usage_instructions": "listing.E034",
        "input_description": "listing.E040", "sample_input_batch": "listing.E043", "notebook_url": "listing.E036",
    }[field])] == [f"field:version.{field}"]


# -------------------------------------------------------------------------------------------- instance types
def test_an_unknown_instance_type_is_an_error_for_its_mode():
    listing = load()
    listing["instance_types"]["batch"].append("ml.m5.larg")
    finding = one(listing, "listing.E050")
    assert finding.location == "field:instance_types.batch" and finding.measured["unknown"] == ["ml.m5.larg"]


def test_algorithms_need_training_types_and_a_recommended_one():
    listing = load("algorithm")
    listing["instance_types"]["training"] = []
    listing["instance_types"]["recommended"]["training"] = ""
    assert one(listing, "listing.E051").location == "field:instance_types.training"
    assert one(listing, "listing.E052").location == "field:instance_types.recommended.training"


def test_model_packages_need_no_training_types():
    listing = load()
    assert not failures(listing, "listing.E051") and not failures(listing, "listing.E052")


def test_the_recommended_type_must_be_supported():
    listing = load()
    listing["instance_types"]["recommended"]["realtime"] = "ml.c5.xlarge"
    assert one(listing, "listing.E053").measured["aws_error"] == "INVALID_RECOMMENDED_INSTANCE_TYPE"


# --------------------------------------------------------------------------------------------------- endpoint
def test_endpoint_formats():
    listing = load()
    listing["endpoint"].update(response_mime_types=["json"], environment={"1BAD": "x"}, batch_strategy="Lines",
                               input_content_types=[])
    assert one(listing, "listing.E057").measured["invalid"] == ["json"]
    assert one(listing, "listing.E059").location == "field:endpoint.environment[1BAD]"
    assert one(listing, "listing.E061").location == "field:endpoint.batch_strategy"
    assert one(listing, "listing.E055").location == "field:endpoint.input_content_types"


def test_a_negative_payload_is_refused():
    listing = load()
    listing["endpoint"]["max_payload_mb"] = -1
    assert one(listing, "listing.E062")


# -------------------------------------------------------------------------------------------- hyperparameters
@pytest.mark.parametrize("change,code,field", [
    ({"min": "10", "max": "1"}, "listing.E067", "min"),
    ({"min": "1.5"}, "listing.E067", "min"),
    ({"default": "20000"}, "listing.E071", "default"),
    ({"default": "ten"}, "listing.E071", "default"),
    ({"required": True}, "listing.E072", "default"),
    ({"type": "Float"}, "listing.E066", "type"),
    ({"name": "eta"}, "listing.E065", "name"),
])
def test_hyperparameter_rules(change, code, field):
    listing = load("algorithm")
    listing["hyperparameters"][0].update(change)  # num_round: Integer 1–10000, default 100
    if code == "listing.E065":
        listing["hyperparameters"][0], listing["hyperparameters"][1] = (listing["hyperparameters"][1],
                                                                        listing["hyperparameters"][0])
        assert one(listing, code).location == f"field:hyperparameters[1].{field}"
    else:
        assert one(listing, code).location == f"field:hyperparameters[0].{field}"


def test_a_categorical_default_must_be_among_its_values():
    listing = load("algorithm")
    listing["hyperparameters"][3]["default"] = "rank:pairwise"
    assert one(listing, "listing.E071").location == "field:hyperparameters[3].default"


def test_continuous_ranges_accept_exponents():
    listing = load("algorithm")
    listing["hyperparameters"][1].update(min="1e-8", max="1.0E2", default="0.5")
    assert not failures(listing, "listing.E067") and not failures(listing, "listing.E071")


def test_model_packages_skip_algorithm_sections():
    listing = load()
    listing["hyperparameters"] = [{"name": "x", "type": "Bogus"}]
    assert not failures(listing, "listing.E066")
    assert one(listing, "listing.W117").location == "field:hyperparameters"


# --------------------------------------------------------------------------------------------------- training
def test_channel_rules():
    listing = load("algorithm")
    listing["channels"][1].update(name="train", compression=["Zip"], input_modes=[])
    listing["channels"].append({"name": "test data", "content_types": [], "compression": [], "input_modes": ["File"]})
    assert one(listing, "listing.E077").location == "field:channels[1].name"
    assert one(listing, "listing.E079").location == "field:channels[1].compression"
    assert one(listing, "listing.E080").location == "field:channels[1].input_modes"
    assert one(listing, "listing.E075").location == "field:channels[2].name"
    assert one(listing, "listing.E078").location == "field:channels[2].content_types"


def test_a_regex_that_does_not_compile():
    listing = load("algorithm")
    listing["metrics"][0]["regex"] = "validation-auc:([0-9"
    assert one(listing, "listing.E084").location == "field:metrics[0].regex"


@pytest.mark.parametrize("regex,line,expected", [
    (r"validation-auc:([0-9\.]+)", "epoch 3 done", "does not match"),
    (r"(validation)-auc:([0-9\.]+)", "validation-auc:0.9", "2 capture groups"),
    (r"validation-auc:(\S+)", "validation-auc:high", "not a number"),
])
def test_a_regex_must_capture_a_number_from_its_sample_line(regex, line, expected):
    listing = load("algorithm")
    listing["metrics"][0].update(regex=regex, sample_log_line=line)
    finding = one(listing, "listing.W085")
    assert expected in finding.message and finding.location == "field:metrics[0].sample_log_line"


def test_a_tuning_objective_names_a_defined_metric():
    listing = load("algorithm")
    listing["tuning_objectives"] = [{"type": "Maximise", "metric_name": "validation:f1"}]
    assert one(listing, "listing.E087").location == "field:tuning_objectives[0].type"
    assert one(listing, "listing.E088").location == "field:tuning_objectives[0].metric_name"


# ---------------------------------------------------------------------------------------------------- pricing
def test_unpriced_instance_types_name_the_exact_missing_keys():
    listing = load("algorithm")
    for key in ("ml.c5.2xlarge.a.t", "ml.m5.xlarge.m.i.b"):
        del listing["pricing"]["prices"][key]
    finding = one(listing, "listing.E090")
    assert finding.measured == {"missing": ["ml.c5.2xlarge.a.t", "ml.m5.xlarge.m.i.b"],
                                "aws_error": "UPDATE_PRICING_REQUIRED"}
    assert "ml.c5.2xlarge (training)" in finding.message


def test_per_inference_pricing_needs_its_price_and_real_time_hourly_prices_are_stray():
    listing = load()
    listing["pricing"]["model"] = "per_inference"
    assert one(listing, "listing.E091").location == f"field:pricing.prices[{limit('listing.E091')}]"
    stray = one(listing, "listing.W096")
    assert stray.measured["stray"] == ["ml.m5.large.m.i.r", "ml.g5.xlarge.m.i.r"]


def test_prices_are_plain_decimal_strings():
    listing = load()
    listing["pricing"]["prices"]["ml.m5.large.m.i.r"] = "-0.5"
    listing["pricing"]["prices"]["ml.g5.xlarge.m.i.r"] = 1.2
    assert one(listing, "listing.E092").location == "field:pricing.prices[ml.m5.large.m.i.r]"
    assert one(listing, "listing.E029").location == "field:pricing.prices[ml.g5.xlarge.m.i.r]"


def test_a_free_product_ignores_prices_and_needs_no_refund_policy():
    listing = load()
    listing["pricing"]["model"] = "free"
    listing["legal"]["refund_policy"] = ""
    assert one(listing, "listing.W096").severity == "warning"
    assert not failures(listing, "listing.E102")


def test_free_trials():
    listing = load("algorithm")
    listing["pricing"]["free_trial_days"] = 10
    assert one(listing, "listing.W098").measured == {"days": 10}
    listing["pricing"].update(free_trial_days=14, model="per_inference")
    assert one(listing, "listing.W099")
    listing["pricing"]["free_trial_days"] = True
    assert one(listing, "listing.E029").location == "field:pricing.free_trial_days"


# ------------------------------------------------------------------------------------------------------ legal
def test_paid_products_need_a_refund_policy_in_allowed_characters():
    listing = load()
    listing["legal"]["refund_policy"] = ""
    assert one(listing, "listing.E102").location == "field:legal.refund_policy"
    listing["legal"]["refund_policy"] = "Refunds © 2024 — within 30 days, in € or £."
    assert one(listing, "listing.E104").measured["characters"] == ["—", "€"]


def test_a_custom_eula_needs_an_https_link():
    listing = load()
    listing["legal"].update(eula="custom", eula_url="")
    assert one(listing, "listing.E101").location == "field:legal.eula_url"
    listing["legal"]["eula"] = "mine"
    assert one(listing, "listing.E100")


# -------------------------------------------------------------------------------------------------------- aws
@pytest.mark.parametrize("field,value,code", [
    ("region", "us-moon-1", "listing.E105"),
    ("account_id", "12345678901a", "listing.E106"),
    ("validation_role_arn", "arn:aws:iam::123456789012:user/alice", "listing.E107"),
    ("access_role_arn", "arn:aws:iam::210987654321:role/Access", "listing.E107"),
    ("s3_output_location", "s3://Seller_Bucket/out", "listing.E108"),
    ("s3_input_location", "https://example-seller-validation.s3.amazonaws.com/in", "listing.E108"),
    ("image_uri", "docker.io/seller/sentiment:1.0", "listing.E109"),
    ("image_uri", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sentiment-en@sha256:" + "0" * 64, "listing.E109"),
    ("model_data_uri", "s3://example-seller-artifacts/model.zip", "listing.E111"),
    ("sagemaker_arn", "arn:aws:sagemaker:us-east-1:123456789012:algorithm/sentiment", "listing.E112"),
    ("sagemaker_arn", "arn:aws:sagemaker:eu-west-1:123456789012:model-package/sentiment", "listing.E112"),
])
def test_aws_resources(field, value, code):
    listing = load()
    listing["aws"][field] = value
    assert one(listing, code).location == f"field:aws.{field}"


def test_an_image_by_tag_is_a_warning():
    listing = load()
    listing["aws"]["image_uri"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/sentiment-en:1.0.0"
    assert one(listing, "listing.W110").severity == "warning"
    assert not failures(listing, "listing.E109")


def test_a_missing_sagemaker_arn_is_not_run_rather_than_failed():
    listing = load()
    listing["aws"]["sagemaker_arn"] = ""
    outcomes = [f.outcome for check in listing_checks() for f in check.func(Subject(listing))
                if f.code == "listing.E112"]
    assert outcomes == ["not_run"]


def test_algorithms_need_no_model_data():
    listing = load("algorithm")
    assert listing["aws"]["model_data_uri"] == "" and not failures(listing, "listing.E111")


# ------------------------------------------------------------------------------------------------ consistency
def test_gpu_types_with_a_cpu_only_framework_are_a_warning():
    listing = load()
    listing["endpoint"]["framework"] = "scikit-learn"
    assert one(listing, "listing.W113").location == "field:instance_types.realtime"


def test_graviton_mixed_with_x86_is_a_warning():
    listing = load()
    listing["instance_types"]["realtime"].append("ml.c6g.large")
    assert one(listing, "listing.W115").measured["architectures"] == ["arm64", "x86_64"]


def test_a_training_only_algorithm_cannot_be_listed():
    listing = load("algorithm")
    listing["instance_types"].update(realtime=[], batch=[])
    assert one(listing, "listing.E116").location == "field:instance_types.realtime"


def test_one_container_and_a_known_kind():
    listing = load()
    listing["aws"]["image_uri"] = [listing["aws"]["image_uri"]] * 2
    assert one(listing, "listing.E118").measured == {"count": 2}
    listing["kind"] = "dataset"
    assert one(listing, "listing.E119").location == "field:kind"
