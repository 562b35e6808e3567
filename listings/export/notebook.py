"""A sample notebook generated from the listing, for sellers who did not upload their own.

It follows the structure of AWS's sample-notebook templates (github.com/aws/amazon-sagemaker-examples,
``aws_marketplace/curating_aws_marketplace_listing_and_sample_notebook``), which is also what the notebook
checks look for (validation/checks/notebook.py, AWS_RULES.md §6):

* model package: 1 subscribe → 2 create an endpoint, real-time inference on ``data/input/real-time``, show the
  output, delete the endpoint → 3 batch transform on ``data/input/batch`` → 4 clean up (delete the model,
  unsubscribe);
* algorithm: 1 subscribe → 2 prepare the dataset (``data/train/<channel>``) → 3 train → 4 deploy, real-time
  inference, show the output, delete the endpoint → 5 tune (when the listing defines tuning objectives) →
  batch transform → clean up.

The seller's sample files are wired in by their place in the bundle and their content types; instance types,
hyperparameter defaults and ranges come from the listing. Built with nbformat (v4, fixed cell ids) and written
with sorted keys, so the same version yields the same bytes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from listings.export.layout import ArtifactEntry

__all__ = ["Sample", "generate_notebook"]

KERNEL = {"display_name": "conda_python3", "language": "python", "name": "conda_python3"}
_SPLIT = {"text/csv": "Line", "application/jsonlines": "Line", "application/x-jsonlines": "Line",
          "application/x-recordio-protobuf": "RecordIO", "application/x-recordio": "RecordIO"}


@dataclass(frozen=True)
class Sample:
    path: str  # below data/, e.g. "input/real-time/input.csv"
    content_type: str


def py(value: Any) -> str:
    """A Python literal for ``value`` (JSON's string, number and list syntax is Python's too)."""
    return json.dumps(value, ensure_ascii=False)


def _samples(entries: list[ArtifactEntry], direction: str, mode: str) -> list[Sample]:
    prefix = f"data/{direction}/{mode}/"
    return [Sample(e.arcname.removeprefix("data/"), e.content_type or str(e.tags.get("content_type", "")))
            for e in entries if e.kind == "sample_data" and e.arcname.startswith(prefix)]


class _Cells:
    def __init__(self) -> None:
        self.cells: list[Any] = []

    def md(self, text: str) -> None:
        self.cells.append(new_markdown_cell(text.strip("\n"), id=f"cell-{len(self.cells) + 1:02d}"))

    def code(self, text: str) -> None:
        self.cells.append(new_code_cell(text.strip("\n"), id=f"cell-{len(self.cells) + 1:02d}"))


def _bullets(samples: list[Sample], folder: str) -> str:
    if not samples:
        return f"- (no files in `data/{folder}` yet: add them before publishing the notebook)"
    return "\n".join(f"- `data/{s.path}` ({s.content_type})" for s in samples)


def _realtime_cells(c: _Cells, *, inputs: list[Sample], outputs: list[Sample], accept: str, heading: str) -> None:
    c.md(f"""
### {heading}

The sample inputs in `data/input/real-time`, each sent with its content type:

{_bullets(inputs, "input/real-time")}
""")
    samples = ",\n".join(f"    ({py(s.path)}, {py(s.content_type)})" for s in inputs)
    c.code(f"""
%%time
real_time_samples = [
{samples}
]
results = {{}}
for path, sample_content_type in real_time_samples:
    payload = (DATA / path).read_bytes()
    response = runtime.invoke_endpoint(
        EndpointName=model_name, ContentType=sample_content_type, Accept={py(accept)}, Body=payload
    )
    results[path] = response["Body"].read().decode("utf-8")
""")
    c.md(f"""
### C. Visualize output

Each result should match the expected output in `data/output/real-time`:

{_bullets(outputs, "output/real-time")}
""")
    c.code("""
for path, body in results.items():
    print(f"{path}:")
    print(body)
for expected in sorted((DATA / "output" / "real-time").glob("*")):
    print(f"expected ({expected.name}):")
    print(expected.read_text(errors="replace")[:2000])
""")


def _batch_upload_code(batch: list[Sample]) -> str:
    files = ",\n".join(f"    {py(s.path)}" for s in batch)
    return f"""
batch_inputs = [
{files}
]
batch_prefix = f"{{model_name}}/batch-input"
for path in batch_inputs:
    sagemaker_session.upload_data(str(DATA / path), key_prefix=batch_prefix)
batch_input = f"s3://{{sagemaker_session.default_bucket()}}/{{batch_prefix}}"
"""


_SHOW_BATCH = """
from sagemaker.s3 import S3Downloader

for uri in S3Downloader.list(transformer.output_path):
    print(f"{uri}:")
    print(S3Downloader.read_file(uri)[:2000])
"""


def _batch_and_clean_up(c: _Cells, *, batch: list[Sample], content_type: str, accept: str, number: int,
                        source: str, delete: str) -> None:
    """The notebook's last two sections, the same for both kinds: a batch transform of the batch samples from
    ``source`` (the model or the estimator), then deleting the model (``delete``) and unsubscribing."""
    c.md(f"""
## {number}. Perform batch inference

The batch transform reads these files from `data/input/batch` ({content_type}); its output should match
`data/output/batch`:

{_bullets(batch, "input/batch")}
""")
    c.code(_batch_upload_code(batch) + f"""
transformer = {source}.transformer(1, batch_transform_inference_instance_type, accept={py(accept)})
transformer.transform(batch_input, content_type=content_type, split_type={py(_SPLIT.get(content_type, "None"))})
transformer.wait()
""")
    c.code(_SHOW_BATCH)
    c.md(f"## {number + 1}. Clean up\n\n### A. Delete the model")
    c.code(delete)
    c.md(_UNSUBSCRIBE)


def _intro(c: _Cells, snapshot: dict[str, Any], *, what: str, steps: list[str]) -> None:
    product = snapshot.get("product") or {}
    version = snapshot.get("version") or {}
    contents = "\n".join(f"{i}. {step}" for i, step in enumerate(steps, start=1))
    c.md(f"""
# {product.get("title", "")}: sample notebook

{product.get("short_description", "")}

This notebook shows a buyer how to use this {what} from AWS Marketplace, end to end, with the sample data
that ships beside it in `data/`. It was generated from the listing (version "{version.get("version_title", "")}").

## Pre-requisites

1. Run it in Amazon SageMaker Studio or on a SageMaker notebook instance with the `conda_python3` kernel.
2. The execution role needs `AmazonSageMakerFullAccess` and permission to subscribe in AWS Marketplace.
3. Subscribe to the listing first (step 1).

## Contents

{contents}
""")
    usage = str(version.get("usage_instructions", "") or "").strip()
    if usage:
        c.md("## Usage instructions\n\n" + usage)


def _setup_code(*, arn_name: str, region: str, arn: str, extra_import: str) -> str:
    return f"""
import json
from pathlib import Path

import boto3
import sagemaker
from sagemaker import get_execution_role
{extra_import}

# The product's ARN in each Region; AWS Marketplace lists them on the listing's configuration page.
{arn_name}_map = {{
    {py(region)}: {py(arn)},
}}
sagemaker_session = sagemaker.Session()
region = sagemaker_session.boto_region_name
if region not in {arn_name}_map:
    raise ValueError(f"This notebook lists no ARN for {{region}}; use one of {{sorted({arn_name}_map)}}.")
{arn_name} = {arn_name}_map[region]
role = get_execution_role()
runtime = boto3.client("sagemaker-runtime")
# The sample data sits in data/ beside this notebook (in the bundle: one folder up).
DATA = Path("data") if Path("data").is_dir() else Path("..") / "data"
"""


def _model_package(snapshot: dict[str, Any], entries: list[ArtifactEntry], *, name: str, arn: str) -> _Cells:
    aws, types, endpoint = snapshot.get("aws") or {}, snapshot.get("instance_types") or {}, snapshot.get("endpoint") or {}
    recommended = types.get("recommended") or {}
    content_type = (endpoint.get("input_content_types") or [""])[0]
    accept = (endpoint.get("response_mime_types") or [""])[0]
    batch = [s for s in _samples(entries, "input", "batch") if s.content_type == content_type]
    c = _Cells()
    _intro(c, snapshot, what="model package", steps=[
        "Subscribe to the model package", "Create an endpoint and perform real-time inference",
        "Perform batch inference", "Clean up"])
    c.md("""
## 1. Subscribe to the model package

1. Open the listing in AWS Marketplace and choose **Continue to subscribe**.
2. Review the pricing and the end-user license agreement, then choose **Accept offer**.
3. Choose **Continue to configuration**, pick your Region and copy the **Product ARN**: the cell below picks
   it for the notebook's Region.
""")
    c.code(_setup_code(arn_name="model_package_arn", region=str(aws.get("region", "")), arn=arn,
                       extra_import="from sagemaker import ModelPackage"))
    c.md("## 2. Create an endpoint and perform real-time inference\n\n### A. Create an endpoint")
    c.code(f"""
model_name = {py(name)}
content_type = {py(content_type)}
real_time_inference_instance_type = {py(recommended.get("realtime", ""))}
batch_transform_inference_instance_type = {py(recommended.get("batch", ""))}

model = ModelPackage(role=role, model_package_arn=model_package_arn, sagemaker_session=sagemaker_session)
model.deploy(1, real_time_inference_instance_type, endpoint_name=model_name)
""")
    _realtime_cells(c, inputs=_samples(entries, "input", "real-time"), outputs=_samples(entries, "output", "real-time"),
                    accept=accept, heading="B. Perform real-time inference")
    c.md("### D. Delete the endpoint\n\nDelete the endpoint so you are no longer charged for it.")
    c.code("""
model.sagemaker_session.delete_endpoint(model_name)
model.sagemaker_session.delete_endpoint_config(model_name)
""")
    _batch_and_clean_up(c, batch=batch, content_type=content_type, accept=accept, number=3, source="model",
                        delete="model.delete_model()")
    return c


_UNSUBSCRIBE = """
### B. Unsubscribe from the listing (optional)

Open **Your Software subscriptions** in AWS Marketplace, find the listing and choose **Cancel subscription**.
Endpoints and jobs you started are billed until you delete them.
"""


def _range_code(hp: dict[str, Any]) -> str | None:
    """The SageMaker SDK parameter range of a tunable hyperparameter; None when it has none we can write."""
    kind = hp.get("type")
    try:
        if kind == "Integer" and hp.get("min") and hp.get("max"):
            return f"IntegerParameter({int(hp['min'])}, {int(hp['max'])})"
        if kind == "Continuous" and hp.get("min") and hp.get("max"):
            low, high = float(hp["min"]), float(hp["max"])
            return f"ContinuousParameter({low!r}, {high!r})" if math.isfinite(low) and math.isfinite(high) else None
    except (TypeError, ValueError):
        return None
    if kind == "Categorical" and hp.get("values"):
        return f"CategoricalParameter({py(list(hp['values']))})"
    return None


def _algorithm(snapshot: dict[str, Any], entries: list[ArtifactEntry], *, name: str, arn: str) -> _Cells:
    aws, types, endpoint = snapshot.get("aws") or {}, snapshot.get("instance_types") or {}, snapshot.get("endpoint") or {}
    recommended = types.get("recommended") or {}
    content_type = (endpoint.get("input_content_types") or [""])[0]
    accept = (endpoint.get("response_mime_types") or [""])[0]
    batch = [s for s in _samples(entries, "input", "batch") if s.content_type == content_type]
    channels = [ch for ch in snapshot.get("channels") or [] if isinstance(ch, dict)]
    hyperparameters = [hp for hp in snapshot.get("hyperparameters") or [] if isinstance(hp, dict)]
    objectives = [o for o in snapshot.get("tuning_objectives") or [] if isinstance(o, dict)]
    tunable = [(hp["name"], code) for hp in hyperparameters if hp.get("tunable") and (code := _range_code(hp))]
    tune = bool(objectives and tunable)
    steps = ["Subscribe to the algorithm", "Prepare dataset", "Train a model", "Deploy model and verify results"]
    steps += (["Tune your model (optional)"] if tune else []) + ["Perform batch inference", "Clean up"]
    n_batch = len(steps) - 1  # the clean-up section follows it

    c = _Cells()
    _intro(c, snapshot, what="algorithm", steps=steps)
    c.md("""
## 1. Subscribe to the algorithm

1. Open the listing in AWS Marketplace and choose **Continue to subscribe**.
2. Review the pricing and the end-user license agreement, then choose **Accept offer**.
3. Choose **Continue to configuration**, pick your Region and copy the **Product ARN**: the cell below picks
   it for the notebook's Region.
""")
    c.code(_setup_code(arn_name="algo_arn", region=str(aws.get("region", "")), arn=arn,
                       extra_import="from sagemaker.algorithm import AlgorithmEstimator"))
    channel_lines = "\n".join(
        f"- `{ch.get('name', '')}`{' (required)' if ch.get('required') else ''}: {ch.get('description', '')} "
        f"Content types: {', '.join(ch.get('content_types') or [])}." for ch in channels)
    c.md(f"""
## 2. Prepare dataset

The algorithm trains on these channels; put each channel's files in `data/train/<channel>` beside this notebook:

{channel_lines}
""")
    c.code(f"""
bucket = sagemaker_session.default_bucket()
prefix = {py(name)}
channels = {py([ch.get("name", "") for ch in channels])}
training_inputs = {{}}
for channel in channels:
    local = DATA / "train" / channel
    if local.is_dir():
        training_inputs[channel] = sagemaker_session.upload_data(
            str(local), bucket=bucket, key_prefix=f"{{prefix}}/{{channel}}"
        )
print(training_inputs)
""")
    defaults = {hp["name"]: hp["default"] for hp in hyperparameters if hp.get("default")}
    c.md("## 3. Train a model")
    c.code(f"""
training_instance_type = {py(recommended.get("training", ""))}
hyperparameters = {py(defaults)}
estimator = AlgorithmEstimator(
    algorithm_arn=algo_arn,
    role=role,
    instance_count=1,
    instance_type=training_instance_type,
    output_path=f"s3://{{bucket}}/{{prefix}}/output",
    base_job_name=prefix,
    sagemaker_session=sagemaker_session,
)
estimator.set_hyperparameters(**hyperparameters)
estimator.fit(training_inputs)
""")
    c.md("## 4. Deploy model and verify results\n\n### A. Deploy trained model")
    c.code(f"""
model_name = prefix
real_time_inference_instance_type = {py(recommended.get("realtime", ""))}
batch_transform_inference_instance_type = {py(recommended.get("batch", ""))}
content_type = {py(content_type)}
predictor = estimator.deploy(1, real_time_inference_instance_type, endpoint_name=model_name)
""")
    _realtime_cells(c, inputs=_samples(entries, "input", "real-time"), outputs=_samples(entries, "output", "real-time"),
                    accept=accept, heading="B. Perform real-time inference")
    c.md("### D. Delete the endpoint\n\nDelete the endpoint so you are no longer charged for it.")
    c.code("predictor.delete_endpoint()")
    if tune:
        objective = objectives[0]
        ranges = ",\n".join(f"    {py(hp_name)}: {code}" for hp_name, code in tunable)
        c.md("## 5. Tune your model (optional)\n\nAutomatic model tuning searches the tunable hyperparameters.")
        c.code(f"""
from sagemaker.tuner import CategoricalParameter, ContinuousParameter, HyperparameterTuner, IntegerParameter

hyperparameter_ranges = {{
{ranges}
}}
tuner = HyperparameterTuner(
    estimator,
    objective_metric_name={py(objective.get("metric_name", ""))},
    hyperparameter_ranges=hyperparameter_ranges,
    objective_type={py(objective.get("type", "Maximize"))},
    max_jobs=4,
    max_parallel_jobs=2,
)
tuner.fit(training_inputs)
""")
    _batch_and_clean_up(c, batch=batch, content_type=content_type, accept=accept, number=n_batch,
                        source="estimator", delete="transformer.delete_model()")
    return c


def generate_notebook(snapshot: dict[str, Any], entries: list[ArtifactEntry], *, name: str, arn: str) -> bytes:
    """The notebook's bytes (nbformat 4, validated against its schema)."""
    build = _algorithm if snapshot.get("kind") == "algorithm" else _model_package
    cells = build(snapshot, entries, name=name, arn=arn).cells
    nb = new_notebook(cells=cells, metadata={"kernelspec": dict(KERNEL),
                                             "language_info": {"name": "python"}})
    nbformat.validate(nb)
    return (nbformat.writes(nb, version=4).rstrip("\n") + "\n").encode()
