"""Listing rules (AWS_RULES.md §1–4): product information, version, instance types, endpoint, hyperparameters,
training, pricing, legal, the SageMaker resource, and consistency across sections.

One rule per thing AWS (or its best practice) asks. Titles state the requirement, so a passed finding reads
right with the title as its message. Every number lives once in ``limit``; forms read it with ``limit(code)``.
Where botocore's sagemaker model holds the fact (a shape's ``max``, ``enum`` or ``pattern``), it is read from
the model at import time (marked "botocore") so it moves with boto3 upgrades instead of being retyped here.
Severity follows the code letter: ``E`` — AWS rejects it; ``W`` — best practice (``aws_rejects=False``).
Hints are ``str.format`` templates with ``{limit}``: no other braces in them (a test formats every hint).
"""

from __future__ import annotations

from typing import Any

import botocore.session

from validation.aws_models import service_model
from validation.findings import Severity
from validation.rules.base import CATALOG_DOCS, MP_DOCS, SHAPES_REPO, SM_DOCS, Rule
from validation.snapshot_schema import KINDS

_REQS = MP_DOCS + "ml-listing-requirements-and-best-practices.html"
_LIMITS = MP_DOCS + "ml-service-restrictions-and-limits.html"
_PRICING = MP_DOCS + "machine-learning-pricing.html"
_IMAGES = MP_DOCS + "ml-uploading-your-images.html"
_SUBMIT = MP_DOCS + "product-submission.html"
_ML = MP_DOCS + "machine-learning-products.html"
_PRODUCT = CATALOG_DOCS + "work-with-seller-products.html"
_VERSION = CATALOG_DOCS + "ml-add-version.html"
_PRICING_API = CATALOG_DOCS + "update-pricing-terms.html"
_SM_API = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/"
_HP = _SM_API + "API_HyperParameterSpecification.html"
_CHANNEL = _SM_API + "API_ChannelSpecification.html"
_METRIC = _SM_API + "API_MetricDefinition.html"
_TUNING = _SM_API + "API_HyperParameterTuningJobObjective.html"
_INFERENCE = _SM_API + "API_InferenceSpecification.html"
_CONTAINER = _SM_API + "API_ModelPackageContainerDefinition.html"
_TRANSFORM = _SM_API + "API_TransformJobDefinition.html"
_ALGORITHM = _SM_API + "API_CreateAlgorithm.html"
_BATCH = SM_DOCS + "your-algorithms-batch-code.html"
_BUCKETS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"

_SAGEMAKER = service_model("sagemaker")


def _api(shape: str, key: str) -> Any:
    """One fact from botocore's sagemaker model (source tag API), e.g. ``_api("ChannelName", "max")``."""
    return _SAGEMAKER.shape_for(shape).metadata[key]


def _api_range(shape: str) -> tuple[int, int]:
    meta = _SAGEMAKER.shape_for(shape).metadata
    return (meta.get("min", 0), meta["max"])


def _api_enum(shape: str) -> tuple[str, ...]:
    return tuple(_SAGEMAKER.shape_for(shape).enum)


# Rules about information still missing rather than wrong. A draft may lack it (a save is not refused), a
# submission may not (the validation run fails), and the completeness meters count these.
_REQUIRED = frozenset({
    "listing.E001", "listing.E005", "listing.E009", "listing.E019", "listing.E030", "listing.E032",
    "listing.E034", "listing.E036", "listing.E040", "listing.E043", "listing.E051", "listing.E052",
    "listing.E055", "listing.E089", "listing.E090", "listing.E091", "listing.E100", "listing.E101",
    "listing.E102", "listing.E116",
})


def _r(code: str, title: str, source: str, url: str, hint: str, *, limit: Any = None, section: str) -> Rule:
    best_practice = ".W" in code
    return Rule(code, title, Severity.WARNING if best_practice else Severity.ERROR, source, url, hint,
                aws_rejects=not best_practice, limit=limit, section=section,
                tags=("required",) if code in _REQUIRED else ())


# AWS's category list for ML products. There is no API to fetch it (SHAPES only says "from AWS's list").
# TO BE CONFIRMED against the Seller Guide's category picker before release; edit here only.
ML_CATEGORIES = (
    "Computer Vision", "Natural Language Processing", "Speech Recognition", "Text", "Image", "Video", "Audio",
    "Structured", "Generative AI", "Anomaly Detection", "Recommendation", "Forecasting", "Classification",
    "Regression", "Clustering",
)
# Modes a listing must support per kind (SHAPES, MP): model packages serve real-time and batch; algorithms
# also train. The same tuple drives "instance types per mode", "recommended per mode" and pricing.
REQUIRED_MODES = {"model_package": ("realtime", "batch"), "algorithm": ("training", "realtime", "batch")}

RULES = [
    # ---------------------------------------------------------------------------------- §1 product information
    _r("listing.E001", "Title is required", "SHAPES", SHAPES_REPO,
       "Give the product a title buyers will recognise.", section="1"),
    _r("listing.E002", "Title fits the length limit", "SHAPES", _PRODUCT,
       "Shorten the title to at most {limit} characters.", limit=72, section="1"),
    _r("listing.E003", "Title does not start with white space", "MP", _REQS,
       "Remove the spaces or tabs at the start of the title.", section="1"),
    _r("listing.E004", "No space before a trademark sign", "MP", _REQS,
       "Write the ™ directly after the word it marks, with no space before it.", section="1"),
    _r("listing.E005", "Short description is required", "SHAPES", SHAPES_REPO,
       "Describe the product in two or three sentences.", section="1"),
    _r("listing.E006", "Short description fits the length limit", "SHAPES", _PRODUCT,
       "Shorten the short description to at most {limit} characters.", limit=1000, section="1"),
    _r("listing.W007", "Short description follows AWS's length guidance", "MP", _REQS,
       "AWS's guide asks for two or three sentences (at most {limit} characters); move detail to the long "
       "description.", limit=350, section="1"),
    _r("listing.E008", "No control characters in text", "MP", _REQS,
       "Remove invisible control characters (often pasted from a PDF or a terminal); use plain line breaks.",
       limit=((0x00, 0x08), (0x0B, 0x1F)), section="1"),  # code point ranges; tab and line feed are allowed
    _r("listing.E009", "Long description is required", "SHAPES", SHAPES_REPO,
       "Describe what the product does, its use cases, data and limits.", section="1"),
    _r("listing.E010", "Long description fits the length limit", "SHAPES", _PRODUCT,
       "Shorten the long description to at most {limit:,} characters.", limit=5000, section="1"),
    _r("listing.E011", "Highlights: allowed number of items", "SHAPES", _PRODUCT,
       "Give between {limit[0]} and {limit[1]} highlights.", limit=(1, 3), section="1"),
    _r("listing.E012", "Each highlight fits the length limit", "SHAPES", _PRODUCT,
       "Shorten each highlight to at most {limit} characters.", limit=500, section="1"),
    _r("listing.E013", "Categories: allowed number of items", "SHAPES", _PRODUCT,
       "Choose between {limit[0]} and {limit[1]} categories.", limit=(1, 3), section="1"),
    _r("listing.E014", "Categories come from AWS's list", "SHAPES", _PRODUCT,
       "Choose categories from AWS's list for machine learning products.", limit=ML_CATEGORIES, section="1"),
    _r("listing.E015", "Search keywords: allowed number of items", "SHAPES", _PRODUCT,
       "Give between {limit[0]} and {limit[1]} search keywords.", limit=(1, 15), section="1"),
    _r("listing.E016", "Each search keyword fits the length limit", "SHAPES", _PRODUCT,
       "Shorten each keyword to at most {limit} characters.", limit=50, section="1"),
    _r("listing.E017", "Search keywords fit the total length limit", "MP", _REQS,
       "Keep all keywords together within {limit} characters: drop or shorten some.", limit=250, section="1"),
    _r("listing.E018", "SKU fits the length limit", "MP", _REQS,
       "Shorten the SKU to at most {limit} characters.", limit=100, section="1"),
    _r("listing.E019", "Support description is required", "SHAPES", SHAPES_REPO,
       "Say how buyers get support: channels, hours and response times.", section="1"),
    _r("listing.E020", "Support description fits the length limit", "SHAPES", _PRODUCT,
       "Shorten the support description to at most {limit:,} characters.", limit=2000, section="1"),
    _r("listing.E021", "Additional resources: allowed number of items", "SHAPES", _PRODUCT,
       "Keep at most {limit} additional resources.", limit=3, section="1"),
    _r("listing.E022", "Each additional resource has a text and a link", "SHAPES", _PRODUCT,
       "Give every additional resource both a short text and its link, or remove it.", section="1"),
    _r("listing.E023", "Each additional resource text fits the length limit", "SHAPES", _PRODUCT,
       "Shorten the resource text to at most {limit} characters.", limit=500, section="1"),
    _r("listing.E024", "Additional resource links are web addresses", "SHAPES", _PRODUCT,
       "Use an absolute {limit[1]}:// address (or {limit[0]}://) with a host name.", limit=("http", "https"),
       section="1"),
    _r("listing.E025", "At most one video, as an https link", "SHAPES", _PRODUCT,
       "Give at most {limit} video, as one absolute https:// address.", limit=1, section="1"),
    _r("listing.E026", "Links fit the length limit", "MP", _REQS,
       "Use a shorter address (at most {limit:,} characters).", limit=2048, section="1"),
    _r("listing.E027", "No duplicate media", "MP", _REQS,
       "Each link to a video or resource should appear once: remove the repeat.", section="1"),
    _r("listing.E028", "Media: allowed number of items", "SHAPES", _PRODUCT,
       "Keep the logo, video and resources to at most {limit} items in all.", limit=15, section="1"),
    _r("listing.E029", "Listing values have the expected types", "SHAPES", SHAPES_REPO,
       "Send this field in the type the listing format describes (text, list, number, true/false); the "
       "form or API client sent something else.", section="1"),
    # ---------------------------------------------------------------------------------------------- §2 version
    _r("listing.E030", "Version title is required", "SHAPES", _VERSION,
       "Name the version, e.g. '1.0' or '2024-06 release'.", section="2"),
    _r("listing.E031", "Version title fits the length limit", "SHAPES", _VERSION,
       "Shorten the version title to at most {limit} characters.", limit=64, section="2"),
    _r("listing.E032", "Release notes are required", "SHAPES", _VERSION,
       "Say what this version changes for buyers.", section="2"),
    _r("listing.E033", "Release notes fit the length limit", "SHAPES", _VERSION,
       "Shorten the release notes to at most {limit:,} characters.", limit=30000, section="2"),
    _r("listing.E034", "Usage instructions are required", "SHAPES", _VERSION,
       "Explain how to call the product: input, output, an example request.", section="2"),
    _r("listing.E035", "Usage instructions fit the length limit", "SHAPES", _VERSION,
       "Shorten the usage instructions to at most {limit:,} characters; link to longer documentation.",
       limit=10000, section="2"),
    _r("listing.E036", "Sample notebook and repository links are given", "SHAPES", _VERSION,
       "Link the sample notebook and the repository with sample data (GitHub works well).", section="2"),
    _r("listing.E037", "Sample notebook and repository links use https", "MP", _REQS,
       "Use an absolute https:// address with a host name.", section="2"),
    _r("listing.E038", "Sample notebook and repository links fit the length limit", "SHAPES", _VERSION,
       "Use a shorter address (at most {limit:,} characters).", limit=2000, section="2"),
    _r("listing.W039", "Sample repository is on GitHub", "MP", _REQS,
       "AWS recommends a public repository on {limit[0]} so buyers can clone the samples.",
       limit=("github.com",), section="2"),
    _r("listing.E040", "Input and output descriptions are given", "SHAPES", _VERSION,
       "Describe the input the model expects and the output it returns.", section="2"),
    _r("listing.E041", "Input and output descriptions fit the length limit", "SHAPES", _VERSION,
       "Shorten the description to at most {limit:,} characters.", limit=10000, section="2"),
    _r("listing.E042", "Input limitations fit the length limit", "SHAPES", _VERSION,
       "Shorten the input limitations to at most {limit:,} characters.", limit=1000, section="2"),
    _r("listing.E043", "Sample input and output are given for real-time and batch", "SHAPES", _VERSION,
       "Give a sample input and output for real-time inference and for batch transform (text or an https "
       "link).", section="2"),
    _r("listing.E044", "Sample text fits the length limit", "SHAPES", _VERSION,
       "Shorten the sample to at most {limit:,} characters, or link to a file with an https:// address.",
       limit=10000, section="2"),
    _r("listing.E045", "Sample links use https", "MP", _REQS,
       "Use an absolute https:// address with a host name for samples given as links.", section="2"),
    _r("listing.E046", "Parameters: allowed number per list", "SHAPES", _VERSION,
       "Keep at most {limit} input parameters, custom attributes and output parameters each.", limit=35,
       section="2"),
    _r("listing.E047", "Parameter names are printable ASCII within the length limit", "SHAPES", _VERSION,
       "Name each parameter with {limit[0]} to {limit[1]} printable ASCII characters.", limit=(1, 100),
       section="2"),
    _r("listing.E048", "Parameter descriptions fit the length limit", "SHAPES", _VERSION,
       "Shorten the parameter description to at most {limit:,} characters.", limit=1000, section="2"),
    _r("listing.E049", "Parameter constraints fit the length limit", "SHAPES", _VERSION,
       "Shorten the parameter constraints to at most {limit:,} characters.", limit=1500, section="2"),
    # ------------------------------------------------------------------------------ §2, §4 instance types
    _r("listing.E050", "Instance types are ones SageMaker offers for their mode", "API", _INFERENCE,
       "Pick instance types from the list for that mode (read from the SageMaker API model); check for typos.",
       section="4"),
    _r("listing.E051", "Instance types are given for every required mode", "SHAPES", _VERSION,
       "Model packages need real-time and batch instance types; algorithms also need training types.",
       limit=REQUIRED_MODES, section="2"),
    _r("listing.E052", "A recommended instance type is given for every required mode", "SHAPES", _VERSION,
       "Pick one recommended instance type per mode (real-time, batch, and training for algorithms).",
       section="2"),
    _r("listing.E053", "Recommended instance types are among the supported ones", "SHAPES", _VERSION,
       "Recommend a type you also list as supported for that mode (AWS: INVALID_RECOMMENDED_INSTANCE_TYPE).",
       section="2"),
    _r("listing.E054", "Recommended instance types fit the length limit", "SHAPES", _VERSION,
       "Use an instance type name of at most {limit} characters, e.g. ml.m5.large.", limit=24, section="2"),
    # ------------------------------------------------------------------------------------------- §4 endpoint
    _r("listing.E055", "Content types are given", "API", _INFERENCE,
       "List the input content types the container accepts and the response MIME types it returns.",
       section="4"),
    _r("listing.E056", "Content types fit the length limit", "API", _INFERENCE,
       "Shorten the content type to at most {limit} characters.", limit=_api("ContentType", "max"),
       section="4"),  # botocore
    _r("listing.E057", "Response MIME types are well formed", "API", _INFERENCE,
       "Write a MIME type as type/subtype, e.g. application/json (pattern {limit}).",
       limit=_api("ResponseMIMEType", "pattern"), section="4"),  # botocore
    _r("listing.E058", "Container environment: allowed number of variables", "API", _TRANSFORM,
       "Keep at most {limit} environment variables.", limit=_api("TransformEnvironmentMap", "max"),
       section="4"),  # botocore: the validation transform job carries the environment (its map allows 16)
    _r("listing.E059", "Environment variable names are valid", "API", _CONTAINER,
       "Start a variable name with a letter or underscore and use only letters, digits and underscores "
       "(pattern {limit}).", limit=_api("EnvironmentKey", "pattern"), section="4"),  # botocore
    _r("listing.E060", "Environment variable values fit the length limit", "API", _CONTAINER,
       "Shorten the value to at most {limit:,} characters.", limit=_api("EnvironmentValue", "max"),
       section="4"),  # botocore
    _r("listing.E061", "Batch strategy is one SageMaker knows", "API", _TRANSFORM,
       "Choose {limit[0]} or {limit[1]}.", limit=_api_enum("BatchStrategy"), section="4"),  # botocore
    _r("listing.E062", "Batch payload size fits SageMaker's limit", "SM", _BATCH,
       "Set the maximum payload to a whole number of MB from 0 to {limit}.", limit=100, section="4"),
    # ------------------------------------------------------------------------------------ §4 hyperparameters
    _r("listing.E063", "Hyperparameters: allowed number", "API", _ALGORITHM,
       "Keep at most {limit} hyperparameters.", limit=_api("HyperParameterSpecifications", "max"),
       section="4"),  # botocore
    _r("listing.E064", "Hyperparameter names are given within the length limit", "API", _HP,
       "Name each hyperparameter with {limit[0]} to {limit[1]} characters.",
       limit=(1, _api("ParameterName", "max")), section="4"),  # botocore (AWS requires the name)
    _r("listing.E065", "Hyperparameter names are unique", "API", _HP,
       "Rename or remove the repeated hyperparameter.", section="4"),
    _r("listing.E066", "Hyperparameter types are ones SageMaker knows", "API", _HP,
       "Choose one of: {limit[0]}, {limit[1]}, {limit[2]}, {limit[3]}.", limit=_api_enum("ParameterType"),
       section="4"),  # botocore
    _r("listing.E067", "Integer and continuous ranges have a valid minimum and maximum", "API", _HP,
       "Give a minimum and a maximum that are numbers of the parameter's type, minimum not above maximum.",
       section="4"),
    _r("listing.E068", "Categorical hyperparameters: allowed number of values", "API", _HP,
       "Give between {limit[0]} and {limit[1]} values.", limit=_api_range("ParameterValues"),
       section="4"),  # botocore
    _r("listing.E069", "Range values fit the length limit", "API", _HP,
       "Shorten the value to at most {limit} characters.", limit=_api("ParameterValue", "max"),
       section="4"),  # botocore
    _r("listing.E070", "Default values fit the length limit", "API", _HP,
       "Shorten the default value to at most {limit:,} characters.", limit=_api("HyperParameterValue", "max"),
       section="4"),  # botocore
    _r("listing.E071", "Default values fit the type and the range", "API", _HP,
       "Make the default a value of the parameter's type, inside its range or among its values.", section="4"),
    _r("listing.E072", "A hyperparameter with a default is not required", "API", _HP,
       "Either remove the default or mark the hyperparameter as not required.", section="4"),
    _r("listing.E073", "Hyperparameter and channel descriptions fit the length limit", "API", _HP,
       "Shorten the description to at most {limit:,} characters.", limit=_api("EntityDescription", "max"),
       section="4"),  # botocore
    # ------------------------------------------------------------------------------------------- §4 training
    _r("listing.E074", "Training channels: allowed number", "API", _CHANNEL,
       "Declare between {limit[0]} and {limit[1]} training channels.",
       limit=_api_range("ChannelSpecifications"), section="4"),  # botocore
    _r("listing.E075", "Channel names use allowed characters", "API", _CHANNEL,
       "Use letters, digits, '.', '-' and '_' only (pattern {limit}), e.g. train or validation.",
       limit=_api("ChannelName", "pattern"), section="4"),  # botocore
    _r("listing.E076", "Channel names fit the length limit", "API", _CHANNEL,
       "Shorten the channel name to at most {limit} characters.", limit=_api("ChannelName", "max"),
       section="4"),  # botocore
    _r("listing.E077", "Channel names are unique", "API", _CHANNEL,
       "Rename or remove the repeated channel.", section="4"),
    _r("listing.E078", "Channels list their content types", "API", _CHANNEL,
       "List at least one content type the channel accepts, e.g. text/csv.", section="4"),
    _r("listing.E079", "Channel compression types are ones SageMaker knows", "API", _CHANNEL,
       "Use {limit[0]} or {limit[1]}.", limit=_api_enum("CompressionType"), section="4"),  # botocore
    _r("listing.E080", "Channels list valid input modes", "API", _CHANNEL,
       "Choose at least one of: {limit[0]}, {limit[1]}, {limit[2]}.", limit=_api_enum("TrainingInputMode"),
       section="4"),  # botocore
    _r("listing.E081", "Metric definitions: allowed number", "API", _METRIC,
       "Keep at most {limit} metric definitions.", limit=_api("MetricDefinitionList", "max"),
       section="4"),  # botocore
    _r("listing.E082", "Metric names are given within the length limit", "API", _METRIC,
       "Name each metric with {limit[0]} to {limit[1]} characters.", limit=_api_range("MetricName"),
       section="4"),  # botocore
    _r("listing.E083", "Metric regexes are given within the length limit", "API", _METRIC,
       "Write a regex of {limit[0]} to {limit[1]} characters.", limit=_api_range("MetricRegex"),
       section="4"),  # botocore
    _r("listing.E084", "Metric regexes compile", "API", _METRIC,
       "Fix the regular expression (unbalanced brackets, a stray quantifier, a bad escape).", section="4"),
    _r("listing.W085", "Metric regexes capture a number from the sample log line", "SM", _METRIC,
       "Use exactly one capture group around the number, and a sample line the training log really prints.",
       section="4"),
    _r("listing.W086", "Metric names are unique", "SM", _METRIC,
       "Give each metric its own name so tuning and dashboards can tell them apart.", section="4"),
    _r("listing.E087", "Tuning objective types are ones SageMaker knows", "API", _TUNING,
       "Choose {limit[0]} or {limit[1]}.", limit=_api_enum("HyperParameterTuningJobObjectiveType"),
       section="4"),  # botocore
    _r("listing.E088", "Tuning objectives name a defined metric", "API", _TUNING,
       "Name a metric defined under metrics, spelled the same way.", section="4"),
    # -------------------------------------------------------------------------------------------- §3 pricing
    _r("listing.E089", "Pricing model is one AWS offers", "MP", _PRICING,
       "Choose free, hourly per instance type, or per inference.", limit=("free", "hourly", "per_inference"),
       section="3"),
    # Dimension keys per mode; "<type>" is replaced by the instance type (AWS error UPDATE_PRICING_REQUIRED).
    _r("listing.E090", "Every supported instance type is priced", "MP", _PRICING_API,
       "Set an hourly price (0.00 is allowed) for every supported instance type in every mode.",
       limit={"realtime": "<type>.m.i.r", "batch": "<type>.m.i.b", "training": "<type>.a.t"}, section="3"),
    _r("listing.E091", "Per-inference pricing has its price", "MP", _PRICING_API,
       "Set the price per inference (dimension {limit}).", limit="m.i.c", section="3"),
    _r("listing.E092", "Prices are decimal amounts of zero or more", "SHAPES", _PRICING_API,
       "Write the price in US dollars as digits with an optional decimal point, e.g. 0.50.", section="3"),
    _r("listing.E093", "Prices fit the maximum", "SHAPES", _PRICING_API,
       "Lower the price to at most {limit:,} US dollars.", limit=100_000_000, section="3"),
    _r("listing.E094", "Prices have at most the allowed decimals", "SHAPES", _PRICING_API,
       "Round the price to at most {limit} decimal places.", limit=8, section="3"),
    _r("listing.E095", "Rate card: allowed number of prices", "SHAPES", _PRICING_API,
       "Keep at most {limit} priced dimensions; remove instance types you do not need.", limit=800,
       section="3"),
    _r("listing.W096", "Prices belong to supported instance types", "MP", _PRICING,
       "Remove prices for instance types or modes the listing does not support; AWS ignores them.",
       section="3"),
    _r("listing.E097", "Free trial length is allowed", "MP", _PRICING,
       "Set the free trial to between {limit[0]} and {limit[1]} days, or remove it.", limit=(5, 31),
       section="3"),
    _r("listing.W098", "Free trial length follows AWS's guidance", "MP", _PRICING,
       "AWS recommends a free trial of {limit[0]} to {limit[1]} days.", limit=(14, 30), section="3"),
    _r("listing.W099", "Free trials go with hourly pricing", "MP", _PRICING,
       "Offer a free trial only with {limit[0]} pricing, or remove it.", limit=("hourly",), section="3"),
    # ---------------------------------------------------------------------------------------------- §3 legal
    _r("listing.E100", "EULA is the standard contract or a custom one", "SHAPES", SHAPES_REPO,
       "Choose the Standard Contract for AWS Marketplace (version 2022-07-14) or give a custom EULA link.",
       limit=("standard", "custom"), section="3"),
    _r("listing.E101", "Custom EULA has an https link", "SHAPES", SHAPES_REPO,
       "Give the custom EULA as an absolute https:// address buyers can open.", section="3"),
    _r("listing.E102", "Paid products have a refund policy", "SHAPES", SHAPES_REPO,
       "Describe the refund policy (required whenever any price is above zero).", section="3"),
    _r("listing.E103", "Refund policy fits the length limit", "SHAPES", SHAPES_REPO,
       "Shorten the refund policy to at most {limit} characters.", limit=500, section="3"),
    _r("listing.E104", "Refund policy uses allowed characters", "MP", _PRICING,
       "Use plain ASCII text; of other signs only {limit} are allowed.", limit="©®™¢£¤¥", section="3"),
    # ---------------------------------------------------------------------------------- §2, §4 AWS resources
    _r("listing.E105", "Region is one where SageMaker runs", "API", _LIMITS,
       "Choose the AWS Region you publish from, e.g. us-east-1.",
       limit=tuple(botocore.session.get_session().get_available_regions("sagemaker")), section="4"),  # botocore
    _r("listing.E106", "AWS account ID has the right form", "API", _SUBMIT,
       "Give the 12-digit AWS account ID of the seller account, digits only.", limit=12, section="4"),
    _r("listing.E107", "Role ARNs are IAM roles in the seller's account", "API", _VERSION,
       "Use an ARN like arn:aws:iam::<account>:role/<name> in the listing's account.",
       limit=_api("RoleArn", "pattern"), section="2"),  # botocore
    _r("listing.E108", "S3 locations are valid s3:// addresses", "API", _BUCKETS,
       "Write s3://<bucket>/<prefix>; bucket names have {limit[0]} to {limit[1]} lower-case letters, digits, "
       "dots or hyphens.", limit=(3, 63), section="4"),
    _r("listing.E109", "Image is in the seller's ECR in the listing's Region", "MP", _IMAGES,
       "Push the image to Amazon ECR in your account and Region and use its URI (at most {limit} "
       "characters).", limit=_api("ContainerImage", "max"), section="4"),  # botocore
    _r("listing.W110", "Image is pinned by digest", "MP", _IMAGES,
       "Refer to the image as <repository>@sha256:<digest> so the version you validated is the one published.",
       section="4"),
    _r("listing.E111", "Model data is a gzipped tar archive in S3", "MP", _IMAGES,
       "Upload the model as one {limit} archive to S3 and give its s3:// address.", limit=".tar.gz",
       section="4"),
    _r("listing.E112", "SageMaker ARN matches the kind, Region and account", "SHAPES", _VERSION,
       "Use the ARN of the model package or algorithm you created in the listing's account and Region.",
       limit={"model_package": _api("ModelPackageArn", "pattern"), "algorithm": _api("AlgorithmArn", "pattern")},
       section="2"),  # botocore
    # ---------------------------------------------------------------------------------------- consistency
    _r("listing.W113", "GPU instance types go with a GPU-capable framework", "FAQ", _ML,
       "Remove the GPU types, or confirm the framework really uses the GPU (CPU-only: {limit[1]}).",
       limit=("sklearn", "scikit-learn"), section="4"),
    _r("listing.W114", "Inferentia and Trainium types go with a Neuron build", "API", _ML,
       "Inf/Trn instances run only Neuron-compiled models: name the Neuron SDK in the framework or remove them.",
       limit=("neuron",), section="4"),
    _r("listing.W115", "Instance types share one CPU architecture", "MP", _IMAGES,
       "Graviton (arm64) and x86 types in one listing need one multi-architecture image; or drop one kind.",
       section="4"),
    _r("listing.E116", "Algorithms have an inference specification", "MP", _ML,
       "Add real-time and batch instance types and content types: a training-only algorithm cannot be listed.",
       section="4"),
    _r("listing.W117", "Model packages carry no training settings", "SM", _INFERENCE,
       "Remove hyperparameters, channels, metrics and training types: model packages ignore them.",
       section="4"),
    _r("listing.E118", "One container per product", "FAQ", _ML,
       "Ship exactly {limit} image; put ensembles or pipelines inside it.", limit=1, section="4"),
    _r("listing.E119", "Listing kind is a model package or an algorithm", "SHAPES", _ML,
       "Set the kind to {limit[0]} or {limit[1]}.", limit=KINDS, section="4"),
]
