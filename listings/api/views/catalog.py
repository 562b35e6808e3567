"""Reference data: the API's entry points, your teams, and the rules catalog."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse

from listings.api.selectors import memberships_of
from listings.api.serializers import RuleSerializer, TeamSerializer
from listings.api.views.base import ApiView, errors
from validation.rules import CATALOG

_SEVERITIES = ("error", "warning", "info")


class RootView(ApiView):
    @extend_schema(
        summary="Entry points of the API",
        responses={200: inline_serializer("ApiRoot", {name: serializers.URLField() for name in (
            "listings", "teams", "review_queue", "rules", "schema", "docs")}), **errors()},
    )
    def get(self, request):
        def url(name):
            return reverse(name, request=request)

        return Response({
            "listings": url("api:v1:listing-list"), "teams": url("api:v1:team-list"),
            "review_queue": url("api:v1:review-queue"), "rules": url("api:v1:rule-list"),
            "schema": url("api:schema"), "docs": url("api:docs"),
        })


class TeamListView(ApiView):
    serializer_class = TeamSerializer

    def get_queryset(self):
        return memberships_of(self.request.user)

    @extend_schema(summary="Your teams and your role in each", responses={200: TeamSerializer(many=True), **errors()})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class RuleListView(ApiView):
    serializer_class = RuleSerializer

    def get_queryset(self) -> list[dict]:
        area = self.request.query_params.get("area")
        severity = self.request.query_params.get("severity")
        if severity and severity not in _SEVERITIES:
            raise ValidationError({"severity": [f"Choose one of: {', '.join(_SEVERITIES)}."]})
        return [r.as_dict() for r in CATALOG.values()
                if (not area or r.area == area) and (not severity or str(r.severity) == severity)]

    @extend_schema(
        summary="The rules catalog",
        description="Every check's stable code, severity, AWS source, hint and limit — the same catalog the "
                    "Rules page shows and the checks enforce.",
        parameters=[OpenApiParameter("area", str, description="Only rules of this area, e.g. listing or notebook."),
                    OpenApiParameter("severity", enum=list(_SEVERITIES))],
        responses={200: RuleSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
