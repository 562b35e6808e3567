"""AWS resource checks (AWS_RULES.md §2 ARNs and roles, §4 Region, image, model data, S3 locations).

Region list, ARN and role patterns come from botocore (through the rules catalog); the ECR URI shape and S3
bucket naming are AWS's documented formats. The image must be in the seller's own ECR, in the listing's account
and Region (MP ``ml-uploading-your-images``), so those fields are compared with each other.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from validation.aws_models import compile_java_pattern
from validation.checks.listing_values import Report, kind_of, loc, shown
from validation.checks.registry import STAGE_METADATA, Subject, check
from validation.findings import Finding
from validation.rules import limit

_ACCOUNT = re.compile(r"\d{12}")
# <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag | @sha256:<64 hex>] (ECR repository and tag syntax)
_ECR = re.compile(r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/"
                  r"(?P<repository>(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)"
                  r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@(?P<digest>sha256:[0-9a-f]{64}))?")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_ARN_PLACE = re.compile(r"arn:[^:]*:[^:]*:(?P<region>[^:]*):(?P<account>\d{12}):")


def bucket_problem(bucket: str) -> str:
    """What is wrong with an S3 bucket name under AWS's naming rules ("" when it is valid)."""
    low, high = limit("listing.E108")
    if not low <= len(bucket) <= high:
        return f"the bucket name has {len(bucket)} characters (allowed: {low}–{high})"
    if not _BUCKET.fullmatch(bucket) or ".." in bucket or ".-" in bucket or "-." in bucket:
        return "the bucket name may hold only lower-case letters, digits, dots and hyphens, starting and ending " \
               "with a letter or digit"
    if _IPV4.fullmatch(bucket):
        return "the bucket name looks like an IP address"
    if bucket.startswith(("xn--", "sthree-")) or bucket.endswith(("-s3alias", "--ol-s3")):
        return "the bucket name uses a prefix or suffix AWS reserves"
    return ""


def s3_problem(uri: str) -> str:
    """What is wrong with ``s3://bucket/prefix`` ("" when it is a valid S3 address)."""
    if not uri.startswith("s3://"):
        return "it does not start with s3://"
    if any(c.isspace() for c in uri):
        return "it contains white space"
    return bucket_problem(uri[len("s3://"):].split("/", 1)[0])


def _place(report: Report, aws: dict) -> tuple[str | None, str | None]:
    """The listing's Region and account, each None unless valid (so later comparisons do not pile up)."""
    where = loc("aws", "region")
    region = report.text(aws, "region", where)
    if region is not None:
        regions = report.check("listing.E105", where)
        if region not in regions:
            report.fail("listing.E105", f"{shown(region)} is not a Region where SageMaker runs." if region
                        else "No Region is given.", where)
            region = None
    where = loc("aws", "account_id")
    account = report.text(aws, "account_id", where)
    if account is not None:
        report.check("listing.E106", where)
        if not _ACCOUNT.fullmatch(account):
            report.fail("listing.E106", f"{shown(account)} is not a 12-digit account ID." if account
                        else "No AWS account ID is given.", where)
            account = None
    return region, account


def _roles(report: Report, aws: dict, account: str | None) -> None:
    pattern = compile_java_pattern(limit("listing.E107"))
    for key, what in (("validation_role_arn", "validation role"), ("access_role_arn", "access role")):
        where = loc("aws", key)
        arn = report.text(aws, key, where)
        if arn is None:
            continue
        report.check("listing.E107", where)
        if not arn:
            report.fail("listing.E107", f"No {what} ARN is given.", where)
        elif pattern is not None and not pattern.fullmatch(arn):
            report.fail("listing.E107", f"The {what} {shown(arn, 60)} is not an IAM role ARN.", where)
        elif account and arn.split(":")[4] != account:
            report.fail("listing.E107", f"The {what} is in account {arn.split(':')[4]}, not the listing's {account}.",
                        where)


def _locations(report: Report, aws: dict) -> None:
    for key, what in (("s3_input_location", "S3 input location"), ("s3_output_location", "S3 output location")):
        where = loc("aws", key)
        uri = report.text(aws, key, where)
        if report.required("listing.E108", uri, where, f"The {what}") and (problem := s3_problem(uri)):
            report.fail("listing.E108", f"The {what} {shown(uri, 60)} is not valid: {problem}.", where)
    where = loc("aws", "model_data_uri")
    uri = report.text(aws, "model_data_uri", where)
    if uri is None or (not uri and kind_of(report.listing) == "algorithm"):  # algorithms train their model
        return
    suffix = report.check("listing.E111", where)
    if not uri:
        report.fail("listing.E111", "No model data location is given.", where)
        return
    problem = s3_problem(uri)
    if not problem and (not uri.endswith(suffix) or uri.endswith("/" + suffix)):
        problem = f"it does not name a {suffix} file"
    if problem:
        report.fail("listing.E111", f"The model data {shown(uri, 60)} is not valid: {problem}.", where)


def _image(report: Report, aws: dict, region: str | None, account: str | None) -> None:
    where = loc("aws", "image_uri")
    if isinstance(aws.get("image_uri"), list):  # several images: listing.E118 (consistency) reports it
        return
    image = report.text(aws, "image_uri", where)
    if not report.required("listing.E109", image, where, "The image URI"):
        return
    longest = report.check("listing.E109", where)
    match = _ECR.fullmatch(image)
    if len(image) > longest:
        report.fail("listing.E109", f"The image URI has {len(image)} characters; AWS allows {longest}.", where)
    elif not match:
        report.fail("listing.E109", f"{shown(image, 60)} is not an Amazon ECR image URI "
                                    "(<account>.dkr.ecr.<region>.amazonaws.com/<repository>).", where)
    elif account and match["account"] != account or region and match["region"] != region:
        report.fail("listing.E109", f"The image is in account {match['account']}, Region {match['region']}; the "
                                    f"listing publishes from account {account or '?'}, Region {region or '?'}.", where)
    if match:
        report.check("listing.W110", where)
        if not match["digest"]:
            report.fail("listing.W110", f"The image is referenced by tag ({match['tag'] or 'latest, implied'}), "
                                        "not by digest.", where)


def _sagemaker_arn(report: Report, aws: dict, region: str | None, account: str | None) -> None:
    where = loc("aws", "sagemaker_arn")
    arn = report.text(aws, "sagemaker_arn", where)
    if arn is None:
        return
    if not arn:  # normal while preparing: the ARN exists once the seller creates the resource from the bundle
        report.not_run("listing.E112", "No SageMaker ARN yet: add it once the model package or algorithm exists.",
                       where)
        return
    kind = kind_of(report.listing)
    report.check("listing.E112", where)
    pattern = compile_java_pattern(limit("listing.E112")[kind])
    place = _ARN_PLACE.match(arn)
    if pattern is not None and not pattern.fullmatch(arn) or place is None:
        report.fail("listing.E112", f"{shown(arn, 60)} is not a SageMaker {kind.replace('_', ' ')} ARN.", where)
    elif region and place["region"] != region or account and place["account"] != account:
        report.fail("listing.E112", f"The ARN is in Region {place['region']}, account {place['account']}; the listing "
                                    f"publishes from {region or '?'}, {account or '?'}.", where)


@check(
    name="listing.aws",
    title="AWS account, Region and resources",
    stage=STAGE_METADATA,
    codes=("listing.E029", "listing.E105", "listing.E106", "listing.E107", "listing.E108", "listing.E109",
           "listing.W110", "listing.E111", "listing.E112"),
)
def aws_rules(subject: Subject) -> Iterator[Finding]:
    report = Report(subject.listing)
    aws = report.section("aws")
    region, account = _place(report, aws)
    _roles(report, aws, account)
    _locations(report, aws)
    _image(report, aws, region, account)
    _sagemaker_arn(report, aws, region, account)
    yield from report.findings()
