"""Submitting, the frozen versions, the reviewer's queue and decisions, and exporting a bundle."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from listings import services
from listings.api.selectors import bundles_of_version, versions_of_listing
from listings.api.serializers import (
    BundleSerializer,
    RequestChangesSerializer,
    VersionDetailSerializer,
    VersionSerializer,
)
from listings.api.views.base import ApiView, errors
from listings.models import Membership
from listings.permissions import is_reviewer
from listings.selectors import get_listing_for_user, get_version_for_reviewer, get_version_for_user, review_queue


def version_body(version, request) -> dict:
    version.bundle_list = bundles_of_version(version)
    is_member = Membership.objects.filter(team_id=version.listing.team_id, user=request.user).exists()
    return VersionDetailSerializer(version, context={"request": request, "is_member": is_member}).data


class SubmitView(ApiView):
    @extend_schema(
        summary="Submit the listing for review",
        description="Freezes the listing as the next version. Allowed when the latest validation run of exactly "
                    "this content has finished without a blocking failure. Owners and editors only.",
        request=None,
        responses={201: VersionDetailSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, listing_id):
        listing = get_listing_for_user(request.user, listing_id)
        version = services.listing_submit(listing=listing, actor=request.user)
        body = version_body(version, request)
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})


class ListingVersionsView(ApiView):
    serializer_class = VersionSerializer

    def get_queryset(self):
        return versions_of_listing(get_listing_for_user(self.request.user, self.kwargs["listing_id"]))

    @extend_schema(summary="A listing's versions, newest first",
                   responses={200: VersionSerializer(many=True), **errors(404)})
    def get(self, request, listing_id):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class VersionDetailView(ApiView):
    @extend_schema(summary="One frozen version with its snapshot and bundles",
                   description="For the listing's team, and for reviewers.",
                   responses={200: VersionDetailSerializer, **errors(404)})
    def get(self, request, version_id):
        return Response(version_body(get_version_for_user(request.user, version_id), request))


class ReviewQueueView(ApiView):
    serializer_class = VersionSerializer

    def get_queryset(self):
        return review_queue(self.request.user).select_related("decided_by")

    @extend_schema(summary="Versions waiting for review, oldest first",
                   description="Reviewers only; others get 403, as on the web review queue.",
                   responses={200: VersionSerializer(many=True), **errors(403)})
    def get(self, request):
        if not is_reviewer(request.user):
            raise PermissionDenied("The review queue is for reviewers.")
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ApproveView(ApiView):
    @extend_schema(
        summary="Approve a submitted version",
        description="Reviewers only (others get 404, as on the web review page); nobody approves their own "
                    "team's listing (403). A version already decided is a 409.",
        request=None,
        responses={200: VersionDetailSerializer, **errors(403, 404, 409)},
    )
    def post(self, request, version_id):
        version = get_version_for_reviewer(request.user, version_id)
        version = services.review_approve(version=version, actor=request.user)
        return Response(version_body(version, request))


class RequestChangesView(ApiView):
    serializer_class = RequestChangesSerializer
    @extend_schema(
        summary="Ask the seller team for changes",
        description="Reviewers only (others get 404); the reason is required and sent to the seller team.",
        request=RequestChangesSerializer,
        responses={200: VersionDetailSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, version_id):
        version = get_version_for_reviewer(request.user, version_id)
        serializer = RequestChangesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.review_request_changes(version=version, actor=request.user,
                                                  reason=serializer.validated_data["reason"])
        return Response(version_body(version, request))


class ExportView(ApiView):
    throttle_scope = "export"

    @extend_schema(
        summary="Export an approved version as a submission bundle",
        description="Queues the export and answers at once with the bundle; poll its `url` until `status` is "
                    "`succeeded`, then fetch `download_url`. Owners and editors of the listing's team only.",
        request=None,
        responses={202: BundleSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, version_id):
        version = get_version_for_user(request.user, version_id)
        bundle = services.bundle_request(version=version, actor=request.user)
        body = BundleSerializer(bundle, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})
