"""A rule: one thing AWS (or AWS's best practice) asks, with a stable code.

Every AWS number we enforce lives in exactly one ``Rule.limit`` (AWS_RULES.md: "one fact, one place"). Forms,
checks, help text and the Rules page all read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from validation.findings import Finding, Outcome, Severity

# Where a rule comes from (AWS_RULES.md "Source tags") and the page a seller can read.
SOURCES: dict[str, str] = {
    "API": "botocore service models (sagemaker, marketplace-catalog)",
    "SHAPES": "AWS Marketplace Catalog API shapes (MachineLearningProduct@1.0, Offer@1.0)",
    "MP": "AWS Marketplace Seller Guide — machine learning products",
    "SM": "Amazon SageMaker Developer Guide",
    "EX": "AWS listing checklist and sample-notebook templates",
    "FAQ": "Seller FAQ",
}

MP_DOCS = "https://docs.aws.amazon.com/marketplace/latest/userguide/"
SM_DOCS = "https://docs.aws.amazon.com/sagemaker/latest/dg/"
CATALOG_DOCS = "https://docs.aws.amazon.com/marketplace/latest/APIReference/"
SHAPES_REPO = "https://github.com/awslabs/aws-marketplace-catalog-api-shapes-for-python"
EXAMPLES_REPO = (
    "https://github.com/aws/amazon-sagemaker-examples/tree/main/aws_marketplace/"
    "curating_aws_marketplace_listing_and_sample_notebook"
)


@dataclass(frozen=True)
class Rule:
    code: str  # "<area>.<E|W|I><nnn>", stable forever; retire a code rather than reuse it
    title: str
    severity: Severity  # under the ``strict`` policy
    source: str  # a key of SOURCES
    url: str
    hint: str  # how to fix it; may use {limit}
    aws_rejects: bool = True  # False: best practice only, downgraded to info under ``aws-minimum``
    limit: Any = None
    section: str = ""  # AWS_RULES.md section, e.g. "1"
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def area(self) -> str:
        return self.code.split(".", 1)[0]

    def hint_text(self) -> str:
        return self.hint.format(limit=self.limit)

    def failed(self, message: str, *, location: str = "", hint: str | None = None, **measured: Any) -> Finding:
        return Finding(
            code=self.code,
            severity=self.severity,
            outcome=Outcome.FAILED,
            message=message,
            hint=self.hint_text() if hint is None else hint,
            location=location,
            source=self.source,
            measured=measured,
        )

    def passed(self, message: str = "", *, location: str = "", **measured: Any) -> Finding:
        return Finding(
            code=self.code,
            severity=self.severity,
            outcome=Outcome.PASSED,
            message=message or self.title,
            location=location,
            source=self.source,
            measured=measured,
        )

    def not_run(self, reason: str, *, location: str = "") -> Finding:
        return Finding(
            code=self.code,
            severity=self.severity,
            outcome=Outcome.NOT_RUN,
            message=reason,
            location=location,
            source=self.source,
        )

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "title": self.title,
            "severity": str(self.severity),
            "aws_rejects": self.aws_rejects,
            "source": self.source,
            "source_name": SOURCES.get(self.source, self.source),
            "url": self.url,
            "hint": self.hint_text(),
            "limit": self.limit,
            "section": self.section,
        }
