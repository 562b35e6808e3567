"""Validation runs: start one (the worker executes it), list a listing's runs, read one with its findings."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from listings.api.selectors import get_run_for_user
from listings.api.serializers import RunDetailSerializer, RunSerializer, ValidationStartSerializer
from listings.api.views.base import ApiView, errors
from listings.selectors import get_listing_for_user
from listings.snapshot import build_snapshot, content_hash
from validation import services
from validation.findings import Outcome


def run_detail_body(run, request, *, listing=None) -> dict:
    current = content_hash(build_snapshot(listing or run.listing))
    return RunDetailSerializer(run, context={"request": request, "current_hash": current}).data


class ValidateView(ApiView):
    serializer_class = ValidationStartSerializer
    throttle_scope = "validation"

    @extend_schema(
        summary="Start a validation run",
        description="Queues the checks over the listing as it is now and answers at once with the run; poll "
                    "its `url` until `status` is `succeeded` (or `failed`: the run itself broke). Owners and "
                    "editors only.",
        request=ValidationStartSerializer,
        responses={202: RunDetailSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, listing_id):
        listing = get_listing_for_user(request.user, listing_id)
        options = ValidationStartSerializer(data=request.data if isinstance(request.data, dict) else {})
        options.is_valid(raise_exception=True)
        run = services.validation_run_start(listing=listing, actor=request.user,
                                            policy=options.validated_data.get("policy"))
        body = run_detail_body(run, request, listing=listing)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class ListingRunsView(ApiView):
    serializer_class = RunSerializer

    def get_queryset(self):
        listing = get_listing_for_user(self.request.user, self.kwargs["listing_id"])
        return listing.validation_runs.select_related("listing", "created_by").order_by("-created_at", "id")

    @extend_schema(summary="A listing's validation runs, newest first",
                   responses={200: RunSerializer(many=True), **errors(404)})
    def get(self, request, listing_id):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class RunDetailView(ApiView):
    @extend_schema(
        summary="One validation run: progress, verdict and findings",
        description="Findings are in the order the checks produced them. `outcome=failed` keeps only failures.",
        parameters=[OpenApiParameter("outcome", enum=[o.value for o in Outcome],
                                     description="Only findings with this outcome.")],
        responses={200: RunDetailSerializer, **errors(400, 404)},
    )
    def get(self, request, run_id):
        run = get_run_for_user(request.user, run_id)
        outcome = request.query_params.get("outcome")
        if outcome and outcome not in {o.value for o in Outcome}:
            raise ValidationError({"outcome": [f"Choose one of: {', '.join(o.value for o in Outcome)}."]})
        body = run_detail_body(run, request)
        if outcome:
            body["findings"] = [f for f in body["findings"] if f["outcome"] == outcome]
        return Response(body)
