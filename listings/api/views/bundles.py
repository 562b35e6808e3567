"""A bundle's state, and its download: streamed from local storage, or a redirect to a presigned S3 link."""

from __future__ import annotations

from django.http import FileResponse, HttpResponseRedirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from listings.api.serializers import BundleSerializer
from listings.api.views.base import ApiView, FileDownloadView, errors
from listings.errors import Conflict
from listings.jobs import JobStatus
from listings.selectors import get_bundle_for_user
from listings.storage import export_storage


class BundleDetailView(ApiView):
    @extend_schema(summary="A submission bundle: status, sha256, size and download link",
                   responses={200: BundleSerializer, **errors(404)})
    def get(self, request, bundle_id):
        bundle = get_bundle_for_user(request.user, bundle_id)
        return Response(BundleSerializer(bundle, context={"request": request}).data)


class BundleDownloadView(FileDownloadView):
    @extend_schema(
        summary="Download the bundle's zip",
        description="Streams the zip, or — when bundles are stored in S3 — redirects (302) to a short-lived "
                    "presigned link. 409 while the bundle is not built yet.",
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The zip."),
            302: OpenApiResponse(description="Redirect to a presigned S3 link (S3 storage only)."),
            **errors(404, 409),
        },
    )
    def get(self, request, bundle_id):
        bundle = get_bundle_for_user(request.user, bundle_id)
        if bundle.status != JobStatus.SUCCEEDED:
            raise Conflict("This bundle is not built yet; download it when its status is succeeded.",
                           current={"status": bundle.status, "progress": bundle.progress})
        storage = export_storage()
        if hasattr(storage, "bucket_name"):  # S3: a short-lived presigned link instead of proxying the bytes
            return HttpResponseRedirect(storage.url(bundle.storage_key, parameters={
                "ResponseContentDisposition": f'attachment; filename="{bundle.filename}"'}))
        try:
            stream = storage.open(bundle.storage_key, "rb")
        except FileNotFoundError:  # removed from the export folder behind our back: say so, not a 500
            raise NotFound("This bundle's file is no longer stored; export the version again.") from None
        response = FileResponse(stream, as_attachment=True, filename=bundle.filename, content_type="application/zip")
        if bundle.sha256:
            response["X-Content-SHA256"] = bundle.sha256
        return response
