"""What every API view shares: JSON in, the API's error body out, rate limits, and the schema's error responses."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer

from listings.api.exceptions import api_exception_handler
from listings.api.pagination import ApiPagination
from listings.api.serializers import ErrorSerializer
from listings.api.throttling import API_THROTTLES

_ERROR_TEXT = {
    400: "Invalid: `error.fields` names each problem at its field path.",
    401: "No or a bad token: send `Authorization: Token <key>`.",
    403: "Your role does not allow this (for example a viewer writing).",
    404: "No such object, or not one of your teams'.",
    409: "Someone changed it first: `error.current` holds what is stored now.",
    429: "Rate limit: wait the seconds in `Retry-After`.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The schema's error responses for an operation: 401 and 429 always, plus ``codes``."""
    return {code: OpenApiResponse(ErrorSerializer, description=_ERROR_TEXT[code])
            for code in sorted({401, 429, *codes})}


class ApiView(GenericAPIView):
    parser_classes = [JSONParser]
    throttle_classes = API_THROTTLES
    pagination_class = ApiPagination
    # What the browsable API renders as the request body's starting point; the schema's request and response
    # bodies are declared per method with ``extend_schema``.
    serializer_class = serializers.Serializer

    def get_queryset(self):
        # The browsable API asks a view that answers a list for its queryset, to draw filter forms. These views
        # read through the team-scoped selectors instead and have no filter backends, so there is none.
        return None

    def get_exception_handler(self):
        # Set here rather than only in settings, so the API's error body holds whatever the settings say.
        return api_exception_handler


class FileDownloadView(ApiView):
    """A view whose answer is a file (a ``FileResponse`` or a redirect to a presigned link). Its errors are
    JSON, and any Accept header a download tool sends is fine."""

    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)
