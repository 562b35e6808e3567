"""An optional dry run of the bundle's two API calls against a configured sandbox endpoint.

``AWS_ENDPOINT_URL`` names the endpoint (moto, LocalStack, or a test account's private endpoint); without it
the dry run is refused, so a misclick never creates anything in AWS. The SageMaker call is sent as it is in
the bundle and the resource it created is deleted again; the Catalog call is sent with ``Intent=VALIDATE``
(AWS's own check-only mode) and its own idempotency token, so the bundle's token stays unused for the real call.

Each call ends as ``accepted``, ``refused`` (the endpoint answered with an error: the message says why) or
``unavailable`` (the endpoint does not offer that API, or cannot be reached) — never a silent pass.
"""

from __future__ import annotations

import copy
import logging
import uuid
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from listings.export import config
from listings.export.aws_requests import BundleRequests
from listings.export.errors import ExportError

log = logging.getLogger(__name__)

__all__ = ["dry_run"]

CATALOG_REGION = "us-east-1"
_UNAVAILABLE_CODES = {"404", "501", "NotImplemented", "UnknownOperationException", "InvalidAction",
                      "UnrecognizedClientException"}
_SNAKE = {"CreateModelPackage": "create_model_package", "CreateAlgorithm": "create_algorithm",
          "StartChangeSet": "start_change_set"}


def _client(service: str, region: str):
    return boto3.client(service, endpoint_url=config.endpoint_url(), region_name=region,
                        config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5,
                                      read_timeout=30))


def _error(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        message = str(err.get("Message", "") or exc)
        if message.lstrip().startswith("<"):  # an HTML error page: the endpoint does not speak this API
            return "unavailable", f"HTTP {status or code}: the endpoint does not offer this operation"
        outcome = "unavailable" if code in _UNAVAILABLE_CODES or status in ("404", "501") else "refused"
        return outcome, f"{code or status}: {message[:500]}"
    if isinstance(exc, EndpointConnectionError):
        return "unavailable", f"the endpoint cannot be reached: {exc}"[:500]
    return "refused", f"{type(exc).__name__}: {exc}"[:500]


def _call(client, operation: str, params: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    try:
        answer = getattr(client, _SNAKE[operation])(**params)
    except (ClientError, BotoCoreError) as exc:
        outcome, message = _error(exc)
        return outcome, message, {}
    answer.pop("ResponseMetadata", None)
    return "accepted", "", answer


def _sagemaker(requests: BundleRequests, region: str) -> dict[str, Any]:
    sm = requests.sagemaker
    client = _client("sagemaker", region)
    outcome, message, answer = _call(client, sm.operation, copy.deepcopy(sm.params))
    result = {"service": "sagemaker", "operation": sm.operation, "outcome": outcome, "message": message}
    if outcome == "accepted":
        arn = answer.get("ModelPackageArn") or answer.get("AlgorithmArn") or ""
        result["message"] = f"Created {arn}; deleted again." if arn else "Accepted."
        try:  # leave the sandbox as we found it
            if sm.operation == "CreateModelPackage":
                client.delete_model_package(ModelPackageName=arn or requests.resource_name)
            else:
                client.delete_algorithm(AlgorithmName=requests.resource_name)
        except (ClientError, BotoCoreError) as exc:
            result["message"] = f"Created {arn}; it could not be deleted again ({_error(exc)[1]})."
    return result


def _catalog(requests: BundleRequests) -> dict[str, Any]:
    params = copy.deepcopy(requests.change_set.params)
    params["Intent"] = "VALIDATE"
    params["ClientRequestToken"] = str(uuid.uuid4())  # not the bundle's token: the real call must stay possible
    outcome, message, answer = _call(_client("marketplace-catalog", CATALOG_REGION), "StartChangeSet", params)
    if outcome == "accepted":
        message = f"Change set {answer.get('ChangeSetId', '')} accepted for validation (Intent VALIDATE)."
    return {"service": "marketplace-catalog", "operation": "StartChangeSet", "outcome": outcome, "message": message}


def dry_run(requests: BundleRequests, *, region: str) -> list[dict[str, Any]]:
    if not config.dry_run_available():
        raise ExportError("The API dry run needs a sandbox endpoint: set AWS_ENDPOINT_URL.")
    return [_sagemaker(requests, region or config.region()), _catalog(requests)]
