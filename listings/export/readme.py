"""``README.md``: what is in the bundle and the exact order of AWS CLI calls that publish it.

The order is the one AWS documents for a new ML product: the image in the seller's ECR and the model data
and validation sample in S3 (same Region), ``CreateModelPackage`` / ``CreateAlgorithm`` with
``CertifyForMarketplace``, wait until SageMaker's validation job completes, then the Catalog API
``StartChangeSet`` and ``DescribeChangeSet`` (https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-mkt-create-model-package.html,
https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-seller-products.html). Every command is
complete — names, Regions, S3 URIs come from the listing — so the seller copies, never retypes. Pure text
from the plan, so it is as reproducible as the rest of the bundle.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from listings.export.aws_requests import BundleRequests
from listings.export.documents import GENERATOR, PlannedFile

__all__ = ["ReadmeContext", "readme"]

CATALOG_REGION = "us-east-1"  # the AWS Marketplace Catalog API is served from us-east-1 only
_ECR = re.compile(r"^(?P<registry>[^/]+)/(?P<repo>[^@:]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")


@dataclass(frozen=True)
class ReadmeContext:
    snapshot: dict[str, Any]
    version_number: int
    requests: BundleRequests
    files: list[PlannedFile]  # every planned file except README.md and manifest.json
    approved_at: str | None
    approved_by: str | None
    policy: str | None
    warnings: list[dict[str, str]] = field(default_factory=list)  # failed warnings of the run: code, message, location


def q(value: str) -> str:
    return shlex.quote(value)


def _src(f: PlannedFile) -> str:
    """Where a command reads the file: its place in the bundle, or its S3 URI when it is referenced."""
    return f.arcname if f.embedded else (f.uri or "")


def _join_s3(prefix: str, name: str) -> str:
    return prefix.rstrip("/") + "/" + name


def _table(files: list[PlannedFile]) -> str:
    folders = [
        ("manifest.json", "every file with its sha256 and size; listing, version, policy, generator, approval time"),
        ("sagemaker/", "the SageMaker request, validated against botocore's sagemaker model"),
        ("marketplace/change_set.json", "the Catalog API StartChangeSet request (MachineLearningProduct@1.0 and Offer@1.0)"),
        ("listing/", "listing.json (the frozen listing), usage.md and usage.html, the logo, documentation"),
        ("notebook/", "the sample notebook"),
        ("data/", "sample input and output for real-time and batch inference"),
        ("artifacts/", "the container image archive and the model data, when embedded"),
        ("reports/", "the validation report (JSON, HTML, CSV) and the review record"),
        ("sbom/", "CycloneDX bill of materials of the image"),
    ]
    present = {f.arcname.split("/")[0] + ("/" if "/" in f.arcname else "") for f in files if f.embedded}
    present.add("manifest.json")
    rows = [f"| `{name}` | {what} |" for name, what in folders
            if name in present or (name.endswith(".json") and name.split("/")[0] + "/" in present)]
    return "| path | what |\n|---|---|\n" + "\n".join(rows)


def _image_steps(ctx: ReadmeContext, region: str, account: str) -> list[str]:
    image_uri = str((ctx.snapshot.get("aws") or {}).get("image_uri", ""))
    m = _ECR.match(image_uri)
    registry = m["registry"] if m else f"{account}.dkr.ecr.{region}.amazonaws.com"
    repo = m["repo"] if m else ""
    tag = (m["tag"] if m and m["tag"] else f"marketplace-v{ctx.version_number}")
    digest = m["digest"] if m else None
    archives = [f for f in ctx.files if f.arcname.startswith("artifacts/image/")]
    lines = ["### 1. Push the container image to your Amazon ECR repository", "",
             f"The request names the image `{image_uri}`: it must be in your own ECR repository in {region}.", ""]
    lines += ["```sh", f"aws ecr get-login-password --region {region} | "
                       f"docker login --username AWS --password-stdin {registry}"]
    for archive in archives:
        if archive.embedded:
            lines.append(f"LOADED=$(docker load --input {q(archive.arcname)} | "
                         "sed -n 's/^Loaded image\\( ID\\)\\{0,1\\}: //p' | head -n 1)")
        else:
            lines.append(f"aws s3 cp {q(archive.uri or '')} image.tar   # referenced, sha256 {archive.sha256}")
            lines.append("LOADED=$(docker load --input image.tar | "
                         "sed -n 's/^Loaded image\\( ID\\)\\{0,1\\}: //p' | head -n 1)")
        lines += [f'docker tag "$LOADED" {q(f"{registry}/{repo}:{tag}")}', f"docker push {q(f'{registry}/{repo}:{tag}')}"]
    if not archives:
        lines.append(f"# no image archive was uploaded to the listing: push your image to {registry}/{repo} yourself")
    check = f"aws ecr describe-images --region {region} --repository-name {q(repo)} "
    check += (f"--image-ids imageDigest={digest}" if digest else f"--image-ids imageTag={q(tag)}")
    lines += [check + " --query 'imageDetails[0].[imageDigest,imageScanFindingsSummary]'", "```", ""]
    if digest:
        lines += [f"The digest ECR reports must be `{digest}`, the one in the request. If the push produced another "
                  "digest, put the new image URI in the listing's AWS section, validate, submit and export again: "
                  "the requests must name the image you pushed.", ""]
    lines += ["AWS Marketplace refuses images with Critical or High vulnerabilities: check the scan before step 4.", ""]
    return lines


def _data_steps(ctx: ReadmeContext, kind: str) -> list[str]:
    aws = ctx.snapshot.get("aws") or {}
    s3_in = str(aws.get("s3_input_location", ""))
    content_type = ((ctx.snapshot.get("endpoint") or {}).get("input_content_types") or [""])[0]
    lines: list[str] = []
    model_data = [f for f in ctx.files if f.arcname.startswith("artifacts/model/")]
    model_uri = str(aws.get("model_data_uri", ""))
    if kind == "model_package" and model_uri:
        lines += ["### 2. Upload the model data to S3", "",
                  f"SageMaker reads the model from `{model_uri}` (same Region as the image).", "", "```sh"]
        for f in model_data:
            if f.embedded:
                lines.append(f"aws s3 cp {q(f.arcname)} {q(model_uri)}")
            elif f.uri == model_uri:
                lines.append(f"aws s3 ls {q(model_uri)}   # referenced: it must already be there "
                             f"({f.size} bytes, sha256 {f.sha256})")
            else:
                lines.append(f"aws s3 cp {q(f.uri or '')} {q(model_uri)}   # referenced, sha256 {f.sha256}")
        if not model_data:
            lines.append(f"aws s3 ls {q(model_uri)}   # no model data was uploaded to the listing: it must be there")
        lines += ["```", ""]
    else:
        lines += ["### 2. Model data", "", "Nothing to upload: " + (
            "an algorithm trains its own model." if kind == "algorithm" else "the model is inside the image."), ""]
    batch = [f for f in ctx.files if f.arcname.startswith("data/input/batch/")]
    matching = [f for f in batch if f.content_type == content_type] or batch
    lines += ["### 3. Upload the validation sample data to S3", ""]
    if kind == "model_package":
        lines += [f"SageMaker's validation runs a batch transform on every file under `{s3_in}`, sent as "
                  f"`{content_type}`: upload only the batch inputs of that type.", "", "```sh"]
        lines += [f"aws s3 cp {q(_src(f))} {q(_join_s3(s3_in, f.arcname.rsplit('/', 1)[1]))}" for f in matching]
        lines += ["```", ""]
    else:
        channels = [ch for ch in ctx.snapshot.get("channels") or [] if isinstance(ch, dict)]
        lines += [f"SageMaker's validation trains on `{s3_in}<channel>/` and then runs a batch transform on "
                  f"`{_join_s3(s3_in, 'batch/')}` (`{content_type}`). The training data is yours (it is not in "
                  "the listing): upload it per channel.", "", "```sh"]
        for ch in channels:
            name = str(ch.get("name", ""))
            lines.append(f"aws s3 cp --recursive {q(f'data/train/{name}')} {q(_join_s3(s3_in, name + '/'))}"
                         f"   # {'required' if ch.get('required') else 'optional'} channel")
        lines += [f"aws s3 cp {q(_src(f))} {q(_join_s3(_join_s3(s3_in, 'batch'), f.arcname.rsplit('/', 1)[1]))}"
                  for f in matching]
        lines += ["```", ""]
    return lines


def readme(ctx: ReadmeContext) -> str:
    snapshot = ctx.snapshot
    product, aws = snapshot.get("product") or {}, snapshot.get("aws") or {}
    kind = str(snapshot.get("kind", ""))
    region, account = str(aws.get("region", "")), str(aws.get("account_id", ""))
    sm = ctx.requests.sagemaker
    name = ctx.requests.resource_name
    create = "create-model-package" if sm.operation == "CreateModelPackage" else "create-algorithm"
    describe = ("describe-model-package --model-package-name" if sm.operation == "CreateModelPackage"
                else "describe-algorithm --algorithm-name")
    status_field = "ModelPackageStatus" if sm.operation == "CreateModelPackage" else "AlgorithmStatus"
    details_field = "ModelPackageStatusDetails" if sm.operation == "CreateModelPackage" else "AlgorithmStatusDetails"
    what = "model package" if kind == "model_package" else "algorithm"

    out = [f"# Submission bundle: {product.get('title', '')}, version {ctx.version_number}", ""]
    approved = f"approved {ctx.approved_at}" if ctx.approved_at else "not approved"
    out += [f"Listing `{snapshot.get('id', '')}` ({what}), version {ctx.version_number}, {approved}"
            + (f" by {ctx.approved_by}" if ctx.approved_by else "")
            + (f"; validated with the `{ctx.policy}` policy" if ctx.policy else "") + f". Written by {GENERATOR}.", ""]
    out += ["These files are what AWS's APIs accept as they are: run the commands below in this folder, in this "
            "order, with credentials of AWS account " + f"`{account}`. No credentials are stored in this bundle.", ""]
    out += ["## What is in it", "", _table(ctx.files), ""]
    out += ["## Check it first", "", "Every file's sha256 is in `manifest.json`:", "", "```sh",
            "jq -r '.files[] | select(.embedded != false) | \"\\(.sha256)  \\(.path)\"' manifest.json | sha256sum -c -",
            "```", ""]
    referenced = [f for f in ctx.files if not f.embedded]
    if referenced:
        out += ["### Files referenced instead of embedded", "",
                "These were too large to embed (you chose to reference them). They must be at these URIs, byte for "
                "byte:", "", "| file | S3 URI | sha256 | bytes |", "|---|---|---|---|"]
        out += [f"| `{f.arcname}` | `{f.uri}` | `{f.sha256}` | {f.size} |" for f in referenced]
        out += [""]
    if ctx.warnings:
        out += ["### Warnings the validation left open", "",
                "They do not stop AWS, but buyers see the result. Details and fixes: `reports/validation.html`.", ""]
        out += [f"- `{w['code']}` {w['message']}" + (f" (`{w['location']}`)" if w.get("location") else "")
                for w in ctx.warnings]
        out += [""]
    out += ["## Publish, in this order", ""]
    out += _image_steps(ctx, region, account)
    out += _data_steps(ctx, kind)
    out += [f"### 4. Create the {what} with SageMaker", "", "```sh",
            f"aws sagemaker {create} --region {region} --cli-input-json file://{ctx.requests.sagemaker_arcname}",
            "```", "",
            "`CertifyForMarketplace` is true and the validation profile is already in the request.", ""]
    out += ["### 5. Wait until SageMaker's validation has completed", "",
            "SageMaker runs the validation job(s) of the request; this takes from minutes to hours.", "", "```sh",
            "while true; do",
            f"  STATUS=$(aws sagemaker {describe} {q(name)} --region {region} --query {status_field} --output text)",
            '  echo "$STATUS"',
            '  case "$STATUS" in Completed|Failed) break ;; esac',
            "  sleep 60",
            "done",
            f"aws sagemaker {describe} {q(name)} --region {region} --query {details_field}",
            "```", "",
            f"Go on only when the status is `Completed`. On `Failed`, `{details_field}` says why; fix the listing, "
            "validate, submit and export again.", ""]
    out += ["### 6. Start the AWS Marketplace change set", "",
            "Optionally let AWS check the change set without applying it first:", "", "```sh",
            f"aws marketplace-catalog start-change-set --region {CATALOG_REGION} "
            "--cli-input-json file://marketplace/change_set.json --intent VALIDATE --client-request-token \"$(uuidgen)\"",
            "```", "", "Then start it for real; it prints the `ChangeSetId`:", "", "```sh",
            f"CHANGE_SET_ID=$(aws marketplace-catalog start-change-set --region {CATALOG_REGION} "
            "--cli-input-json file://marketplace/change_set.json --query ChangeSetId --output text)",
            'echo "$CHANGE_SET_ID"', "```", "",
            "The change set creates the product and its public offer and releases both, with each change "
            "pointing at the ones before it by `ChangeName`. Its `ClientRequestToken` is fixed: sending the same "
            "file twice cannot start a second change set.", ""]
    out += ["### 7. Follow the change set until it has succeeded", "", "```sh",
            f"aws marketplace-catalog describe-change-set --region {CATALOG_REGION} --catalog AWSMarketplace "
            '--change-set-id "$CHANGE_SET_ID" --query \'[Status,FailureCode,ChangeSet[].ErrorDetailList]\'',
            "```", "",
            "`PREPARING` and `APPLYING` move on by themselves; `SUCCEEDED` means the listing is live (limited "
            "visibility until AWS Marketplace reviews it); `FAILED` lists each change's errors.", ""]
    version = snapshot.get("version") or {}
    out += ["## Sample notebook and data for buyers", "",
            f"The listing sends buyers to `{version.get('notebook_url', '')}` and "
            f"`{version.get('repository_url', '')}`. Publish `notebook/` and `data/` there with `data/` beside the "
            "notebook, as AWS's template expects. The sample data is shown to buyers: it must be public.", ""]
    generated = [f for f in ctx.files if f.arcname.startswith("notebook/") and f.data is not None]
    if generated:
        out += [f"No notebook was uploaded, so `{generated[0].arcname}` was generated from the listing, following "
                "AWS's sample-notebook template. Run it once end to end before you publish it. It names the "
                f"product ARN for {region} only: once AWS Marketplace has published the listing, add the ARN it "
                "shows for each Region to the map in its first code cell.", ""]
    return "\n".join(out)
