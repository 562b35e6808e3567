"""One error body for every API failure, so a seller's pipeline parses errors one way.

```
{"error": {"code": "invalid", "message": "…",
           "fields": {"product.title": [{"code": "listing.E002", "message": "…", "hint": "…"}]},
           "current": {…}}}                                   ← 409 only: what is stored now
```
``code`` is one of ``ERROR_CODES``. Service errors (listings/errors.py) carry their HTTP status; the findings of
``InvalidSection`` are keyed by the path their location names (validation/SNAPSHOT.md "Locations"), so a client
shows each problem at its field exactly as the web form does.
"""

from __future__ import annotations

import logging
import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.encoding import force_str
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from listings.errors import Conflict, ServiceError

log = logging.getLogger("django.request")

NON_FIELD = "non_field_errors"

# status → the code a client switches on; anything else falls back to DRF's own code for the exception.
_CODE_BY_STATUS = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    415: "unsupported_media_type",
    429: "throttled",
    503: "service_unavailable",
}
ERROR_CODES = ("invalid", *_CODE_BY_STATUS.values(), "server_error")


def error_body(code: str, message: str, *, fields: dict | None = None, current: dict | None = None) -> dict:
    body: dict = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    if current is not None:
        body["current"] = current
    return {"error": body}


def finding_fields(findings) -> dict[str, list[dict]]:
    """``field:product.search_keywords[3]`` → ``{"product.search_keywords[3]": [{code, message, hint}]}``."""
    fields: dict[str, list[dict]] = {}
    for finding in findings:
        location = finding.location or ""
        path = location.removeprefix("field:") if location.startswith("field:") else NON_FIELD
        fields.setdefault(path, []).append({"code": finding.code, "message": finding.message, "hint": finding.hint})
    return fields


def _flatten(detail, path: str, out: dict[str, list[dict]]) -> None:
    """DRF's nested ``{"team": [ErrorDetail]}`` → dotted paths, the same shape as findings."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            key = NON_FIELD if key in (NON_FIELD, "detail") and not path else key
            _flatten(value, f"{path}.{key}" if path else str(key), out)
    elif isinstance(detail, list):
        if all(isinstance(item, (str, exceptions.ErrorDetail)) for item in detail):
            for item in detail:
                out.setdefault(path or NON_FIELD, []).append(
                    {"code": getattr(item, "code", None) or "invalid", "message": force_str(item), "hint": ""})
        else:
            for index, item in enumerate(detail):
                _flatten(item, f"{path}[{index}]", out)
    else:
        out.setdefault(path or NON_FIELD, []).append(
            {"code": getattr(detail, "code", None) or "invalid", "message": force_str(detail), "hint": ""})


def _response(status_code: int, body: dict, headers: dict | None = None) -> Response:
    return Response(body, status=status_code, headers=headers)


def api_exception_handler(exc, context):
    from listings.services import InvalidSection

    if isinstance(exc, InvalidSection):
        return _response(400, error_body("invalid", str(exc), fields=finding_fields(exc.findings)))
    if isinstance(exc, Conflict):
        return _response(409, error_body("conflict", str(exc), current=exc.current))
    if isinstance(exc, ServiceError):
        code = _CODE_BY_STATUS.get(exc.status_code, "bad_request")
        return _response(exc.status_code, error_body(code, str(exc)))

    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*(exc.args or ("Not found.",)))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*(exc.args or ()))
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database went away (restart, failover): a short outage the client should retry, not a bug.
        from marketplace_prep.middleware import database_unavailable_response

        request = context.get("request")
        return database_unavailable_response(getattr(request, "_request", request))
    if not isinstance(exc, exceptions.APIException):
        request = context.get("request")
        # Logged like Django logs an unhandled error (with the traceback, for the admins' mail), and signalled
        # so the test client re-raises it; the client gets the same body shape as every other error.
        from django.core.signals import got_request_exception

        log.error("Internal Server Error: %s", getattr(request, "path", ""), exc_info=exc,
                  extra={"status_code": 500, "request": getattr(request, "_request", request)})
        got_request_exception.send(sender=None, request=getattr(request, "_request", request))
        response = _response(500, error_body("server_error", "Something went wrong on our side; it has been "
                                                             "logged. Try again later."))
        response._has_been_logged = True  # logged above, with the traceback; Django need not log it again
        return response

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(math.ceil(exc.wait))
    set_rollback()

    if isinstance(exc, exceptions.ValidationError):
        fields: dict[str, list[dict]] = {}
        _flatten(exc.detail, "", fields)
        return _response(400, error_body("invalid", "Some values are not valid: see the fields listed.",
                                         fields=fields), headers)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        code = "not_authenticated"
    elif isinstance(exc, exceptions.Throttled):
        code = "throttled"
    else:
        code = _CODE_BY_STATUS.get(exc.status_code, exc.default_code)
    message = force_str(exc.detail) if not isinstance(exc.detail, (dict, list)) else force_str(exc.default_detail)
    return _response(exc.status_code, error_body(code, message), headers)


def api_not_found(request, *args, **kwargs):
    """Any /api/ address no route matches: the API's 404 body rather than the site's HTML page."""
    return JsonResponse(error_body("not_found", "No such API endpoint. The schema at /api/schema/ lists them."),
                        status=status.HTTP_404_NOT_FOUND)
