"""The OpenAPI schema and its browsable docs page, served without any CDN.

Swagger UI's JavaScript and CSS come from ``drf-spectacular-sidecar`` (vendored into static files) when that app
is installed; without it, ``/api/docs/`` sends the browser to DRF's own browsable API instead, so the product
never loads a third-party script (DESIGN.md: vendored assets only).
"""

from __future__ import annotations

from django.apps import apps
from django.shortcuts import redirect
from django.templatetags.static import static
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from listings.api.exceptions import api_exception_handler
from listings.api.throttling import API_THROTTLES

SIDECAR_APP = "drf_spectacular_sidecar"


class SchemaView(SpectacularAPIView):
    throttle_classes = API_THROTTLES

    def get_exception_handler(self):
        return api_exception_handler


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its script in a separate response (no inline script), assets from the sidecar."""

    url_name = "api:schema"
    title = "marketplace_prep API"
    throttle_classes = API_THROTTLES

    def get_exception_handler(self):
        return api_exception_handler

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        if not apps.is_installed(SIDECAR_APP):
            return redirect("api:v1:root")
        return super().get(request, *args, **kwargs)

    @staticmethod
    def _swagger_ui_resource(filename):
        return static(f"{SIDECAR_APP}/swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon():
        return static(f"{SIDECAR_APP}/swagger-ui-dist/favicon-32x32.png")
