"""AWS request rules: the requests a listing implies, validated before anything is sent (AWS_RULES.md §1–4).

The SageMaker and Catalog requests are built from the listing (validation/aws_requests) and checked against the
installed botocore models (source API: ParamValidator plus the strict enum/pattern/min/max walk) and, inside
each Catalog change, against AWS's published DetailsDocument shapes (source SHAPES). A finding names the API
member and sits at the form field the member was built from.
"""

from __future__ import annotations

from validation.findings import Severity
from validation.rules.base import CATALOG_DOCS, SHAPES_REPO, Rule

E = Severity.ERROR
_SAGEMAKER_API = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html"
_CATALOG_API = CATALOG_DOCS + "API_marketplace-catalog_StartChangeSet.html"

RULES = [
    Rule("request.E001", "SageMaker request is valid", E, "API", _SAGEMAKER_API,
         "Correct the field shown: the CreateModelPackage / CreateAlgorithm request sent to SageMaker is built "
         "from it, and SageMaker refuses the whole request for one bad value.", section="4"),
    Rule("request.E002", "Catalog change set request is valid", E, "API", _CATALOG_API,
         "Correct the field shown: the StartChangeSet request sent to the AWS Marketplace Catalog API is built "
         "from it.", section="2"),
    Rule("request.E003", "Catalog change details follow AWS's published shapes", E, "SHAPES", SHAPES_REPO,
         "Correct the field shown: AWS Marketplace rejects the change set when a product, version or offer "
         "detail breaks its published limits.", section="1"),
]
