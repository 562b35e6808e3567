"""Artifacts over the API: list, upload, remove, download — the same services as the web (listings/artifacts/).

Three ways to upload, one service behind them (``artifact_add``), so every way refuses the same files with the
same messages and leaves nothing behind when it does:

- single-shot ``multipart/form-data`` to ``/listings/{id}/artifacts/`` for small files: the file streams to a
  scratch file through ``ScratchUploadHandler`` (installed before authentication could read the body);
- resumable: ``POST /listings/{id}/uploads/`` opens a session; ``PUT /uploads/{id}/`` with
  ``Content-Range: bytes a-b/total`` and the raw bytes appends one chunk where the upload stands (anything else
  is a 409 whose ``error.current`` is the session, ``received`` included: resume from there);
  ``GET /uploads/{id}/`` says how far it got; ``POST /uploads/{id}/complete/`` attaches the file;
- direct, when artifacts live in S3: ``POST /listings/{id}/uploads/`` with ``"direct": true`` also answers
  with a presigned PUT for a scratch key; ``complete`` then verifies, inspects and attaches the object.

Another team's listing, artifact or upload is a 404; an upload belongs to the person who started it.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.core.exceptions import SuspiciousOperation
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.response import Response

from listings.api.artifact_serializers import (
    ArtifactCreatedSerializer,
    ArtifactSerializer,
    ArtifactUploadSerializer,
    UploadSessionSerializer,
    UploadStartSerializer,
)
from listings.api.serializers import ErrorSerializer, api_url
from listings.api.throttling import AnonThrottle, UserThrottle
from listings.api.views.base import ApiView, FileDownloadView, errors
from listings.artifacts import limits, services
from listings.artifacts.receiving import ScratchUploadHandler
from listings.artifacts.sniff import served_content_type
from listings.errors import Conflict, NotAllowed, ServiceError
from listings.models import Artifact, ArtifactKind, UploadSession
from listings.permissions import can_edit
from listings.selectors import get_listing_for_user, listings_visible_to
from listings.snapshot import build_snapshot, content_hash
from listings.storage import artifact_storage, blob_download_url, is_remote, open_blob

MULTIPART_OVERHEAD = 64 * 1024  # boundaries and the small form fields around the file
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
_VIEWERS = "Viewers cannot upload or remove files. Ask an owner of your team for the editor role."


class TooLarge(ServiceError):
    status_code = 413


_TOO_LARGE = {413: OpenApiResponse(ErrorSerializer, description="The body is over the upload limit for the kind.")}


# ------------------------------------------------------------------------------------------------ selectors
# Team-scoped reads by the objects' own ids (as listings/api/selectors.py does for runs and bundles).

def get_artifact_for_user(user, artifact_id) -> Artifact:
    try:
        return (Artifact.objects.select_related("listing", "listing__team", "uploaded_by")
                .get(pk=artifact_id, listing__in=listings_visible_to(user).values("pk")))
    except (Artifact.DoesNotExist, ValueError):
        raise Http404("No such artifact.")


def get_upload_for_user(user, upload_id) -> UploadSession:
    """A resumable upload belongs to the person who started it (as on the web)."""
    try:
        return (UploadSession.objects.select_related("listing", "listing__team")
                .get(pk=upload_id, created_by=user, listing__in=listings_visible_to(user).values("pk")))
    except (UploadSession.DoesNotExist, ValueError):
        raise Http404("No such upload.")


# -------------------------------------------------------------------------------------------------- helpers
def _require_editor(user, listing) -> None:
    if not can_edit(user, listing):
        raise NotAllowed(_VIEWERS)


def _started_run(listing, artifact, request) -> dict | None:
    """The validation run the change started (after commit), if it could be queued."""
    run = listing.validation_runs.filter(created_at__gte=artifact.created_at).order_by("-created_at").first()
    if run is None:
        return None
    return {"id": run.id, "url": api_url("run-detail", {"request": request}, run_id=run.id), "status": run.status,
            "verdict": run.verdict, "is_current": run.content_hash == content_hash(build_snapshot(listing))}


def _created(artifact, request) -> Response:
    listing = artifact.listing
    listing.refresh_from_db()
    artifact = Artifact.objects.select_related("uploaded_by").get(pk=artifact.pk)
    body = ArtifactCreatedSerializer({"artifact": artifact, "validation_run": _started_run(listing, artifact, request)},
                                     context={"request": request}).data
    return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["artifact"]["url"]})


def _session_body(session, request, **context) -> dict:
    return UploadSessionSerializer(session, context={"request": request, **context}).data


def _with_session(exc: Conflict, session_id, request) -> Conflict:
    """A 409 about an upload carries the session as it stands (``received`` is where to resume)."""
    current = UploadSession.objects.select_related("listing").filter(pk=session_id).first()
    if current is None:
        return exc
    return Conflict(str(exc), current=dict(_session_body(current, request)))


class _ChunkParser(BaseParser):
    """Names ``application/octet-stream`` as what a chunk PUT takes. The view streams the body itself to the
    scratch file (``upload_append``) and never asks DRF to parse it."""

    media_type = "application/octet-stream"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream


class ChunkThrottle(UserThrottle):
    """Chunks and offset polls count in their own bucket: a 20 GB upload is thousands of requests. Set
    ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["upload_chunk"]`` to change the rate."""

    scope = "upload_chunk"
    DEFAULT = "20000/hour"

    def get_rate(self):
        return super().get_rate() or self.DEFAULT


# ------------------------------------------------------------------------------------------------ artifacts
class ListingArtifactsView(ApiView):
    parser_classes = [MultiPartParser]

    def get_serializer_class(self):
        return ArtifactUploadSerializer if self.request.method == "POST" else ArtifactSerializer

    def initial(self, request, *args, **kwargs):
        # The file must stream to scratch from the first byte, so the handler goes in before anything could
        # read the body (session authentication's CSRF check reads a form post).
        self._upload_handler = None
        if request.method == "POST":
            hint = request.query_params.get("kind", "")
            cap = limits.max_bytes(hint) if hint in ArtifactKind.values else limits.largest_upload()
            self._upload_handler = ScratchUploadHandler(request._request, max_bytes=cap)
            request._request.upload_handlers = [self._upload_handler]
        super().initial(request, *args, **kwargs)

    def get_queryset(self):
        listing = get_listing_for_user(self.request.user, self.kwargs["listing_id"])
        artifacts = listing.artifacts.select_related("uploaded_by").order_by("created_at", "original_name", "id")
        kind = self.request.query_params.get("kind")
        if kind:
            if kind not in ArtifactKind.values:
                raise ValidationError({"kind": [f"Choose one of: {', '.join(ArtifactKind.values)}."]})
            artifacts = artifacts.filter(kind=kind)
        return artifacts

    def finalize_response(self, request, response, *args, **kwargs):
        handler = getattr(self, "_upload_handler", None)
        if handler is not None:
            handler.discard()  # stored (moved) or refused: the scratch file never outlives the request
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        summary="A listing's artifacts",
        parameters=[OpenApiParameter("kind", enum=ArtifactKind.values, description="Only files of this kind.")],
        responses={200: ArtifactSerializer(many=True), **errors(400, 404)},
    )
    def get(self, request, listing_id):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ArtifactSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Upload a small file in one request",
        description=(
            "`multipart/form-data` with `file`, `kind` and, for sample data, `tags` (a JSON object) or the "
            "fields `mode`, `direction`, `content_type`. An optional `sha256` is checked against the bytes "
            "received. The bytes are inspected (a file that is not what its kind says is refused with 400 and "
            "nothing is kept); the change starts a validation run. Add `?kind=` to have an oversize body "
            "refused by its length alone. For large files use a resumable upload (`/uploads/`)."
        ),
        parameters=[OpenApiParameter("kind", enum=ArtifactKind.values, description="The kind, for the size limit.")],
        request={"multipart/form-data": ArtifactUploadSerializer},
        responses={201: ArtifactCreatedSerializer, **errors(400, 403, 404, 409), **_TOO_LARGE},
    )
    def post(self, request, listing_id):
        listing = get_listing_for_user(request.user, listing_id)
        _require_editor(request.user, listing)  # before a byte of the body is read
        handler = self._upload_handler
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > handler.max_bytes + MULTIPART_OVERHEAD:
            raise TooLarge(f"The file is over the {limits.human_size(handler.max_bytes)} upload limit. "
                           "Send large files as a resumable upload.")
        try:
            payload = request.data  # reads the body, the file straight to scratch
        except SuspiciousOperation as exc:  # too many fields, an oversize text field, a broken multipart body
            raise ParseError(f"The multipart body could not be read: {exc}") from None
        envelope = ArtifactUploadSerializer(data=payload)
        if handler.too_large:
            raise TooLarge(f"The file is over the {limits.human_size(handler.max_bytes)} upload limit.")
        if handler.extra_files:
            raise ValidationError({"file": ["Upload one file at a time."]})
        envelope.is_valid(raise_exception=True)
        data = envelope.validated_data
        upload = data["file"]
        if not hasattr(upload, "received"):  # parsed by another handler: never expected
            raise ServiceError("The file could not be received; send it again.")
        artifact = services.artifact_add(
            listing=listing, actor=request.user, kind=data["kind"], received=upload.received(),
            content_type=data.get("content_type", ""), tags=envelope.tags_given(),
            expected_sha256=data.get("sha256", ""))
        return _created(artifact, request)


class ArtifactDetailView(ApiView):
    @extend_schema(summary="One artifact", responses={200: ArtifactSerializer, **errors(404)})
    def get(self, request, artifact_id):
        artifact = get_artifact_for_user(request.user, artifact_id)
        return Response(ArtifactSerializer(artifact, context={"request": request}).data)

    @extend_schema(
        summary="Remove an artifact",
        description="Detaches the file and starts a validation run. The stored bytes stay while another "
                    "artifact or a submitted version names them. Owners and editors only.",
        responses={204: OpenApiResponse(description="Removed."), **errors(400, 403, 404, 409)},
    )
    def delete(self, request, artifact_id):
        artifact = get_artifact_for_user(request.user, artifact_id)
        services.artifact_remove(artifact=artifact, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ArtifactDownloadView(FileDownloadView):
    @extend_schema(
        summary="Download an artifact's bytes",
        description="Streams the file, or — when artifacts are stored in S3 — redirects (302) to a short-lived "
                    "presigned link. `X-Content-SHA256` carries the digest.",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            302: OpenApiResponse(description="Redirect to a presigned S3 link (S3 storage only)."),
            **errors(404),
        },
    )
    def get(self, request, artifact_id):
        artifact = get_artifact_for_user(request.user, artifact_id)
        content_type = served_content_type(artifact.content_type)  # never a type the browser would run
        url = blob_download_url(artifact.sha256, filename=artifact.original_name, content_type=content_type)
        if url:  # S3: the bytes never pass through the web process
            return HttpResponseRedirect(url)
        try:
            stream = open_blob(artifact.sha256)
        except FileNotFoundError:
            raise Http404("The stored file is missing.")
        response = FileResponse(stream, as_attachment=True, filename=artifact.original_name,
                                content_type=content_type)
        response["X-Content-SHA256"] = artifact.sha256
        return response


# -------------------------------------------------------------------------------------------------- uploads
class ListingUploadsView(ApiView):
    def get_serializer_class(self):
        return UploadStartSerializer if self.request.method == "POST" else UploadSessionSerializer

    @extend_schema(
        summary="Your unfinished uploads to a listing",
        description="Resumable uploads you started and have not finished or cancelled, oldest first: find the "
                    "one to resume after a crash.",
        responses={200: UploadSessionSerializer(many=True), **errors(404)},
    )
    def get_queryset(self):
        listing = get_listing_for_user(self.request.user, self.kwargs["listing_id"])
        return (UploadSession.objects.filter(listing=listing, created_by=self.request.user)
                .select_related("listing").order_by("created_at", "id"))

    def get(self, request, listing_id):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            UploadSessionSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Start a resumable upload",
        description=(
            "Checks everything that can be checked before the first byte (kind, size limit, sample tags) and "
            "opens an upload session. Then PUT the bytes in chunks to `upload_url` and POST to `complete_url`. "
            "With `\"direct\": true` (S3 storage only, files up to 5 GB) the answer also holds `direct_upload`: "
            "a presigned URL to PUT the whole file to, before completing. Owners and editors only."
        ),
        request=UploadStartSerializer,
        responses={201: UploadSessionSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, listing_id):
        listing = get_listing_for_user(request.user, listing_id)
        _require_editor(request.user, listing)
        envelope = UploadStartSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        data = envelope.validated_data
        if data["direct"]:
            if not is_remote(artifact_storage()):
                raise ValidationError({"direct": ["Direct uploads need S3 storage, which this server does not "
                                                  "use; leave out `direct` and send the file in chunks."]})
            if data["size"] > services.DIRECT_PUT_MAX_BYTES:
                raise ValidationError({"direct": [
                    f"S3 takes at most {limits.human_size(services.DIRECT_PUT_MAX_BYTES)} in one PUT; leave "
                    "out `direct` and send the file in chunks."]})
        session = services.upload_start(
            listing=listing, actor=request.user, kind=data["kind"], name=data["name"], size=data["size"],
            content_type=data["content_type"], tags=data.get("tags") or {}, sha256=data["sha256"])
        context = {}
        if data["direct"]:
            try:
                url = services.direct_upload_url(session)
            except BaseException:
                services.upload_cancel(session=session, actor=request.user)
                raise
            context["direct_upload"] = {
                "url": url, "method": "PUT",
                "expires_at": timezone.now() + timedelta(seconds=services.DIRECT_URL_SECONDS)}
        body = _session_body(session, request, **context)
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})


class UploadDetailView(ApiView):
    parser_classes = [_ChunkParser]
    throttle_classes = [AnonThrottle, ChunkThrottle]
    serializer_class = UploadSessionSerializer

    @extend_schema(
        summary="How far an upload got",
        description="`received` is the number of bytes stored: an interrupted upload resumes there.",
        responses={200: UploadSessionSerializer, **errors(404)},
    )
    def get(self, request, upload_id):
        return Response(_session_body(get_upload_for_user(request.user, upload_id), request))

    @extend_schema(
        summary="Send one chunk",
        description=(
            "The body is the chunk's raw bytes (`Content-Type: application/octet-stream`); `Content-Range: "
            "bytes <first>-<last>/<size>` says where they go (inclusive, as in HTTP). A chunk must start at "
            "`received`: one that starts elsewhere (out of order, or overlapping what arrived) is refused with "
            "409 and `error.current` holding the session — resume from its `received`. If the connection "
            "drops mid-chunk the bytes that arrived are kept; GET the upload to see where to resume. A first "
            "chunk whose bytes are not of the upload's kind is refused with 400 and the upload is dropped."
        ),
        parameters=[OpenApiParameter("Content-Range", str, OpenApiParameter.HEADER, required=True,
                                     description="bytes <first>-<last>/<size>, e.g. bytes 0-8388607/20000000")],
        request={"application/octet-stream": OpenApiTypes.BINARY},
        responses={200: UploadSessionSerializer, **errors(400, 403, 404, 409)},
    )
    def put(self, request, upload_id):
        session = get_upload_for_user(request.user, upload_id)
        match = _RANGE.match(request.headers.get("Content-Range", "").strip())
        if not match:
            raise ValidationError({"Content-Range": ["Send each chunk with a Content-Range header: "
                                                     "bytes <first>-<last>/<size>."]})
        start, end, total = (int(g) for g in match.groups())
        declared = request.META.get("CONTENT_LENGTH")
        if declared and declared.isdigit() and int(declared) != end - start + 1:
            raise ValidationError({"Content-Range": [
                f"The chunk's Content-Length ({int(declared):,}) does not match its Content-Range "
                f"({max(end - start + 1, 0):,} bytes)."]})
        try:
            session = services.upload_append(session=session, actor=request.user, stream=request._request,
                                             start=start, end=end, total=total)
        except Conflict as exc:
            raise _with_session(exc, session.id, request) from exc
        return Response(_session_body(session, request))

    @extend_schema(
        summary="Cancel an upload",
        description="Forgets the upload and the bytes that arrived (and the scratch object of a direct upload).",
        responses={204: OpenApiResponse(description="Cancelled."), **errors(403, 404)},
    )
    def delete(self, request, upload_id):
        session = get_upload_for_user(request.user, upload_id)
        services.upload_cancel(session=session, actor=request.user)
        services.direct_upload_discard(session.id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UploadCompleteView(ApiView):
    @extend_schema(
        summary="Finish an upload: inspect the file and attach it",
        description=(
            "Every byte must have arrived (else 409 with the session in `error.current`). The file is inspected "
            "like a single-shot upload: a file that is not what its kind says is refused with 400 and nothing "
            "is kept — start again. A direct upload's object is verified (size, and sha256 when given), "
            "inspected, stored under its digest and its scratch object deleted. Answers with the artifact and "
            "the validation run the change started."
        ),
        request=None,
        responses={201: ArtifactCreatedSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, upload_id):
        session = get_upload_for_user(request.user, upload_id)
        try:
            if session.received == 0 and services.direct_upload_arrived(session):
                artifact = services.upload_complete_direct(session=session, actor=request.user)
            else:
                artifact = services.upload_complete(session=session, actor=request.user)
        except Conflict as exc:
            raise _with_session(exc, session.id, request) from exc
        return _created(artifact, request)
