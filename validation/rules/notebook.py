"""Sample notebook rules (AWS_RULES.md §6; template: EX, sample-notebook templates).

The buyer-workflow rules (E009–I018) mirror the sections of AWS's sample-notebook templates for model packages
and algorithms; the check detects each from headings and code and emits only the sections that apply to the
product kind.
"""

from __future__ import annotations

from validation.findings import Severity
from validation.rules.base import EXAMPLES_REPO, MP_DOCS, Rule
from validation.rules.data import MB, Bytes

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO
_REQS = MP_DOCS + "ml-listing-requirements-and-best-practices.html"
_SECURITY = MP_DOCS + "ml-security-and-intellectual-property.html"
_MP_TEMPLATE = EXAMPLES_REPO + "/ModelPackage/Sample_Notebook_Template"
_ALGO_TEMPLATE = EXAMPLES_REPO + "/Algorithm/Sample_Notebook_Template"
_API = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html"
_NBFORMAT = "https://nbformat.readthedocs.io/en/latest/format_description.html"


def _arn_patterns() -> dict[str, str]:
    """The ARN patterns from botocore's SageMaker model (AWS_RULES "API": read at run time, never copied)."""
    from validation.aws_models import service_model

    model = service_model("sagemaker")
    return {
        "model-package": model.shape_for("ModelPackageArn").metadata["pattern"],
        "algorithm": model.shape_for("AlgorithmArn").metadata["pattern"],
    }


RULES = [
    Rule("notebook.E001", "Sample notebook is provided", E, "MP", _REQS,
         "Upload the sample notebook (.ipynb) that runs the buyer's whole workflow; every version needs one.",
         section="6"),
    # Our guard, not an AWS number: larger notebooks are not parsed at all.
    Rule("notebook.E002", "Notebook is too large to check", E, "EX", EXAMPLES_REPO,
         "Clear the outputs (Kernel > Restart & Clear Output, or `jupyter nbconvert --clear-output`) so the "
         "notebook is at most {limit}.", limit=Bytes(50 * MB), section="6"),
    Rule("notebook.E003", "Notebook is valid JSON", E, "EX", _NBFORMAT,
         "Save the notebook again from Jupyter; the file is not a readable UTF-8 JSON document.", section="6"),
    Rule("notebook.E004", "Notebook matches the nbformat schema", E, "EX", _NBFORMAT,
         "Open and save the notebook in a current Jupyter, or run `jupyter nbconvert --to notebook` on it.",
         section="6"),
    Rule("notebook.E005", "Notebook format is too old", E, "EX", _NBFORMAT,
         "Convert the notebook to nbformat {limit} or later (`jupyter nbconvert --to notebook --nbformat 4`).",
         limit=4, section="6"),
    Rule("notebook.E006", "Notebook kernel is Python", E, "MP", _REQS,
         "Buyers run the notebook with boto3 and the SageMaker Python SDK: choose a Python 3 kernel.",
         section="6"),
    Rule("notebook.W007", "Notebook names its kernel", W, "EX", _MP_TEMPLATE,
         "Save the notebook with a kernel selected (for example conda_python3) so it opens ready to run.",
         aws_rejects=False, section="6"),
    Rule("notebook.E008", "Code cells are valid Python", E, "EX", EXAMPLES_REPO,
         "Fix the syntax error; the notebook must run from top to bottom without edits.", section="6"),
    Rule("notebook.E009", "Workflow: subscribe and pick the product ARN", E, "EX", EXAMPLES_REPO,
         "Add a 'Subscribe' section that explains the subscription and sets the ARN for the buyer's Region, "
         "e.g. `model_package_arn = model_package_map[region]` (algorithms: `algo_arn`).", section="6"),
    Rule("notebook.E010", "Workflow: create an endpoint", E, "EX", _MP_TEMPLATE,
         "Add a section that deploys the model: `model = ModelPackage(role=role, model_package_arn=arn, "
         "sagemaker_session=session)` then `predictor = model.deploy(1, instance_type, endpoint_name=name)`.",
         section="6"),
    Rule("notebook.E011", "Workflow: real-time inference", E, "EX", _MP_TEMPLATE,
         "Add a section that sends a file from data/input/real-time to the endpoint with "
         "`sagemaker-runtime` `invoke_endpoint(...)` or `predictor.predict(...)`.", section="6"),
    Rule("notebook.W012", "Workflow: show the output", W, "EX", _MP_TEMPLATE,
         "After the real-time inference, show the result (it should match data/output/real-time).",
         aws_rejects=False, section="6"),
    Rule("notebook.E013", "Workflow: delete the endpoint", E, "EX", _MP_TEMPLATE,
         "Add a section that deletes the endpoint so the buyer stops paying: "
         "`predictor.delete_endpoint()` or `session.delete_endpoint(name)`.", section="6"),
    Rule("notebook.E014", "Workflow: batch transform", E, "EX", _MP_TEMPLATE,
         "Add a section that runs a batch transform on data/input/batch: "
         "`transformer = model.transformer(1, instance_type)` then `transformer.transform(input_s3, "
         "content_type=...)`.", section="6"),
    Rule("notebook.E015", "Workflow: clean up", E, "EX", _MP_TEMPLATE,
         "Add a clean-up section that deletes the model (`model.delete_model()`) and explains how to "
         "unsubscribe.", section="6"),
    Rule("notebook.E016", "Workflow: prepare the training data", E, "EX", _ALGO_TEMPLATE,
         "Add a section that describes the training data format and uploads data/train (and data/test) with "
         "`session.upload_data(...)` to the buyer's default bucket.", section="6"),
    Rule("notebook.E017", "Workflow: train a model", E, "EX", _ALGO_TEMPLATE,
         "Add a section that trains with `AlgorithmEstimator(algorithm_arn=algo_arn, ...)` and "
         "`estimator.fit({{...}})`.", section="6"),
    Rule("notebook.I018", "Workflow: tune hyperparameters (optional)", I, "EX", _ALGO_TEMPLATE,
         "Optional: show a tuning job with `HyperparameterTuner(estimator, objective_metric_name, ...)` if "
         "the algorithm supports tuning.", aws_rejects=False, section="6"),
    Rule("notebook.E019", "Notebook still has placeholders", E, "EX", EXAMPLES_REPO,
         "Replace every template placeholder (`<...ARN...>`, `<your-...>`, `For Seller to update`, TODO, "
         "XXX, REPLACE_ME, `<<...>>`) with working values; only the buyer's own ARN may stay as a "
         "'<Customer to specify ...>' placeholder.", section="6"),
    Rule("notebook.E020", "Notebook contains a secret", E, "MP", _SECURITY,
         "Remove the credential from the notebook (sources and saved outputs), rotate it now, and let the "
         "notebook use the buyer's own role (`get_execution_role()`).", section="6"),
    Rule("notebook.W021", "Notebook shows an AWS account id", W, "MP", _SECURITY,
         "Don't print or hard-code your account id outside the product ARN; derive the buyer's from "
         "`boto3.client('sts').get_caller_identity()` when needed.", aws_rejects=False, section="6"),
    # Our best-practice sizes (GitHub renders the notebook for buyers; big outputs make it unreadable).
    Rule("notebook.W022", "Cell output is too large", W, "EX", EXAMPLES_REPO,
         "Keep each saved output at most {limit}: shrink images, print a summary instead of whole arrays.",
         aws_rejects=False, limit=Bytes(1 * MB), section="6"),
    Rule("notebook.W023", "Saved outputs are too large in total", W, "EX", EXAMPLES_REPO,
         "Keep all saved outputs together at most {limit}; clear the outputs that show nothing new.",
         aws_rejects=False, limit=Bytes(5 * MB), section="6"),
    Rule("notebook.W024", "Product ARN is chosen per Region", W, "EX", _MP_TEMPLATE,
         "Buyers run in their own Region: keep one ARN per Region in a dict "
         "(`model_package_map = {{'us-east-1': 'arn:aws:sagemaker:us-east-1:…', …}}`) and pick it with "
         "`model_package_map[sagemaker.Session().boto_region_name]`.", aws_rejects=False, section="6"),
    Rule("notebook.E025", "Product ARN is malformed", E, "API", _API,
         "Use the form arn:aws:sagemaker:<region>:<12-digit account>:model-package/<name> "
         "(algorithms: …:algorithm/<name>).", limit=_arn_patterns(), section="2"),
    Rule("notebook.W026", "Notebook hard-codes an S3 bucket", W, "EX", _ALGO_TEMPLATE,
         "The buyer cannot write to your bucket: use `sagemaker.Session().default_bucket()` and build S3 "
         "paths from it.", aws_rejects=False, section="6"),
    Rule("notebook.W027", "Notebook was saved with an error output", W, "EX", EXAMPLES_REPO,
         "Run the notebook top to bottom until no cell fails, then save it with those outputs.",
         aws_rejects=False, section="6"),
]
