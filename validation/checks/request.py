"""AWS request checks (AWS_RULES.md §1–4; issue 4 "AWS request validity").

Build the requests the listing implies — ``CreateModelPackage`` / ``CreateAlgorithm`` and the Catalog
``StartChangeSet`` — exactly as the bundle will carry them, and validate them with botocore plus the strict walk
(and, for Catalog changes, AWS's DetailsDocument shapes). Each error becomes a finding at the form field the
request member was built from; listing data the request cannot be built without becomes a not-run finding
naming the field to fill.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import botocore

from validation.aws_models import RequestError
from validation.aws_requests import (
    BuiltRequest,
    IncompleteListing,
    build_change_set,
    build_sagemaker_request,
    validate_change_details,
    validate_change_set_request,
    validate_sagemaker_request,
)
from validation.checks.registry import STAGE_METADATA, Subject, check
from validation.findings import Finding
from validation.rules import request as request_rules
from validation.rules.base import Rule

log = logging.getLogger(__name__)
_RULES = {r.code: r for r in request_rules.RULES}
# The version number only names the change set, seeds its idempotency token and suffixes the predicted SageMaker
# name; none of that depends on the seller's data, so the check builds "version 1".
CHECK_VERSION_NUMBER = 1


def rule(code: str) -> Rule:
    return _RULES[code]


_STEP_RE = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _value_at(params: Any, path: str) -> Any:
    """The request value at a validation path (``A.B[2].C``); ``None`` if it cannot be followed."""
    value = params
    for name, index in _STEP_RE.findall(path):
        if index:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
        else:
            value = value.get(name) if isinstance(value, dict) else None
    return value


def _plain(error: RequestError, value: Any) -> str:
    """What is wrong, in words a seller reads without knowing botocore's vocabulary."""
    if error.kind in ("min", "max"):
        more = error.kind == "max"
        if isinstance(value, (list, dict)):
            return "has too many items" if more else "has too few items"
        if isinstance(value, str):
            return "is too long" if more else "is too short"
        return "is too large" if more else "is too small"
    return {
        "required": "is required but missing",
        "type": "has the wrong type",
        "enum": "is not a value AWS accepts",
        "pattern": "is not in the form AWS accepts",
        "unknown": "is not a member AWS knows",
    }.get(error.kind, "is not accepted")


def _sentence(built: BuiltRequest, error: RequestError) -> str:
    member = error.path or "(the request itself)"
    return f"{built.operation} member {member} {_plain(error, _value_at(built.params, error.path))}: {error.message}."


def _report(r: Rule, built: BuiltRequest, errors: list[RequestError], passed: str) -> Iterator[Finding]:
    """One failed finding per seller field (several problems at one field are told together), else a pass."""
    if not errors:
        yield r.passed(passed, operation=built.operation)
        return
    grouped: dict[str, list[RequestError]] = {}
    for error in errors:  # errors without a field stay one finding per request member
        grouped.setdefault(built.location_for(error.path) or f"member:{error.path}", []).append(error)
    for key, group in grouped.items():
        sentences = list(dict.fromkeys(_sentence(built, e) for e in group))
        message = sentences[0] + (" Also: " + " ".join(sentences[1:]) if len(sentences) > 1 else "")
        yield r.failed(message, location="" if key.startswith("member:") else key, operation=built.operation,
                       member=group[0].path, kind=group[0].kind, members=[e.path for e in group])


def _build(r: Rule, what: str, build: Callable[[], BuiltRequest]) -> tuple[BuiltRequest | None, list[Finding]]:
    """Run a builder; listing gaps (and, defensively, any builder fault) become not-run findings."""
    try:
        return build(), []
    except IncompleteListing as gap:
        return None, [r.not_run(f"The {gap.operation} request cannot be built yet: {m.label} {m.reason}.",
                                location=m.location) for m in gap.missing]
    except ValueError as exc:  # unknown listing kind
        return None, [r.not_run(f"The {what} request cannot be built: {exc}.", location="field:kind")]
    except Exception as exc:  # a builder bug must not hide the other checks' findings
        log.exception("building the %s request failed", what)
        return None, [r.not_run(f"The {what} request could not be built ({type(exc).__name__}: {exc}).")]


@check(name="request.sagemaker", title="SageMaker request (CreateModelPackage / CreateAlgorithm)",
       stage=STAGE_METADATA, codes=("request.E001",))
def sagemaker_request(subject: Subject) -> Iterator[Finding]:
    r = rule("request.E001")
    built, gaps = _build(r, "SageMaker", lambda: build_sagemaker_request(subject.listing))
    yield from gaps
    if built is not None:
        yield from _report(r, built, validate_sagemaker_request(built),
                           f"The {built.operation} request built from the listing is valid for the SageMaker API "
                           f"(botocore {botocore.__version__}).")


@check(name="request.catalog", title="AWS Marketplace Catalog change set (StartChangeSet)",
       stage=STAGE_METADATA, codes=("request.E002", "request.E003"))
def catalog_request(subject: Subject) -> Iterator[Finding]:
    outer, inner = rule("request.E002"), rule("request.E003")
    built, gaps = _build(outer, "StartChangeSet",
                         lambda: build_change_set(subject.listing, version_number=CHECK_VERSION_NUMBER))
    yield from gaps
    if built is None:
        yield inner.not_run("The change details are checked once the change set can be built.")
        return
    yield from _report(outer, built, validate_change_set_request(built),
                       f"The StartChangeSet request built from the listing is valid for the Marketplace Catalog API "
                       f"(botocore {botocore.__version__}).")
    yield from _report(inner, built, validate_change_details(built),
                       "Every product, version and offer change follows AWS's published shapes.")
