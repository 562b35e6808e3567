"""Artifact pages and endpoints: thin views — look up (team-scoped), call a service, render or answer JSON.

Two ways to upload, one service behind them:
- ``upload_form``: a plain ``multipart/form-data`` post (works without JavaScript, and for scripts). The
  file streams to a scratch file through ``ScratchUploadHandler`` — installed before anything reads the
  body, which is why the view is CSRF-exempt on the outside and CSRF-protected on the inside (Django docs,
  "Modifying upload handlers on the fly").
- the resumable upload driven by ``static/js/upload.js``: ``upload_start`` (JSON), then ``PUT`` chunks with
  ``Content-Range`` to ``upload_session``, then ``upload_complete``. ``GET upload_session`` says how many
  bytes arrived, which is where an interrupted upload resumes.
"""

from __future__ import annotations

import json
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from listings.artifacts import limits, services
from listings.artifacts.forms import UploadForm, UploadStartForm
from listings.artifacts.receiving import ScratchUploadHandler
from listings.artifacts.sniff import served_content_type
from listings.artifacts.selectors import COMMON_CONTENT_TYPES, artifact_groups, get_artifact, get_upload, references
from listings.errors import Conflict, NotAllowed, ServiceError
from listings.models import Artifact, ArtifactKind, UploadSession
from listings.permissions import can_edit
from listings.selectors import get_listing_for_user
from listings.storage import blob_download_url, open_blob
from listings.transitions import EDITABLE_STATUSES

MULTIPART_OVERHEAD = 64 * 1024  # boundaries and the small form fields around the file
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


# -- rendering helpers ---------------------------------------------------------------------------------------

def _panel_context(request: HttpRequest, listing) -> dict:
    editor = can_edit(request.user, listing)
    return {
        "listing": listing, "groups": artifact_groups(listing), "refs": references(listing),
        "can_edit": editor, "editable": listing.status in EDITABLE_STATUSES,
        "can_change": editor and listing.status in EDITABLE_STATUSES,
        "kinds": ArtifactKind.choices, "content_types": COMMON_CONTENT_TYPES,
        "chunk_bytes": limits.guard("chunk_bytes"), "hash_max_bytes": limits.guard("client_hash_max_bytes"),
    }


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _error(message: str, status: int = 400, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _service_error(exc: ServiceError) -> JsonResponse:
    extra = {"received": exc.current["received"]} if isinstance(exc, Conflict) and "received" in exc.current else {}
    return _error(str(exc), exc.status_code, **extra)


def _artifact_json(request: HttpRequest, artifact: Artifact) -> dict:
    return {
        "id": str(artifact.id), "kind": artifact.kind, "name": artifact.original_name, "size": artifact.size,
        "sha256": artifact.sha256, "content_type": artifact.content_type, "tags": artifact.tags,
        "download_url": reverse("artifact-download", args=[artifact.listing_id, artifact.id]),
    }


def _session_json(session: UploadSession) -> dict:
    args = [session.listing_id, session.id]
    return {
        "id": str(session.id), "kind": session.kind, "name": session.original_name, "size": session.size,
        "received": session.received, "complete": session.received == session.size,
        "url": reverse("artifact-upload-session", args=args),
        "complete_url": reverse("artifact-upload-complete", args=args),
        "chunk_bytes": limits.guard("chunk_bytes"),
    }


def _after_change(listing) -> dict:
    """What the page refreshes after a change: the list, and the validation run it started."""
    from validation.selectors import latest_run

    run = latest_run(listing)
    return {
        "list_url": reverse("artifact-panel", args=[listing.id]) + "?part=list",
        "run_panel_url": reverse("validation-run", args=[listing.id, run.id]) if run else "",
    }


# -- pages ---------------------------------------------------------------------------------------------------

@login_required
def artifact_page(request: HttpRequest, listing_id) -> HttpResponse:
    """The artifacts of a listing on a page of their own (also the no-JavaScript way to upload)."""
    listing = get_listing_for_user(request.user, listing_id)
    return render(request, "listings/artifacts/page.html", _panel_context(request, listing))


@login_required
def panel(request: HttpRequest, listing_id) -> HttpResponse:
    """The panel on the listing page (loaded by htmx); ``?part=list`` is just the list, refreshed after a change."""
    listing = get_listing_for_user(request.user, listing_id)
    template = "listings/artifacts/_list.html" if request.GET.get("part") == "list" else \
        "listings/artifacts/_panel_body.html"
    return render(request, template, _panel_context(request, listing))


@login_required
def download(request: HttpRequest, listing_id, artifact_id) -> HttpResponse:
    listing = get_listing_for_user(request.user, listing_id)
    artifact = get_artifact(listing, artifact_id)
    content_type = served_content_type(artifact.content_type)  # never a type the browser would run
    url = blob_download_url(artifact.sha256, filename=artifact.original_name, content_type=content_type)
    if url:  # S3: a short-lived presigned link; the bytes never pass through the web process
        return HttpResponseRedirect(url)
    try:
        stream = open_blob(artifact.sha256)
    except FileNotFoundError:
        raise Http404("The stored file is missing.")
    return FileResponse(stream, as_attachment=True, filename=artifact.original_name, content_type=content_type)


@login_required
@require_POST
def remove(request: HttpRequest, listing_id, artifact_id) -> HttpResponse:
    listing = get_listing_for_user(request.user, listing_id)
    artifact = get_artifact(listing, artifact_id)
    try:
        services.artifact_remove(artifact=artifact, actor=request.user)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    except ServiceError as exc:
        if request.htmx:  # 200: htmx swaps only successful answers, and the list carries the message
            return render(request, "listings/artifacts/_list.html",
                          _panel_context(request, listing) | {"error": str(exc)})
        messages.error(request, str(exc))
        return redirect("listing-detail", listing_id=listing.id)
    listing.refresh_from_db()
    if request.htmx:
        response = render(request, "listings/artifacts/_list.html",
                          _panel_context(request, listing) | {"notice": f"Removed “{artifact.original_name}”."})
        response["HX-Trigger"] = json.dumps({"artifact-run-started": _after_change(listing)})
        return response
    messages.success(request, f"Removed “{artifact.original_name}”. A validation run started.")
    return redirect("listing-detail", listing_id=listing.id)


# -- the plain form post -------------------------------------------------------------------------------------

@csrf_exempt
@require_POST
def upload_form(request: HttpRequest, listing_id) -> HttpResponse:
    # Look up and authorise before a byte of the body is read: another team's listing is a 404, a viewer a
    # 403, and an oversize body is refused by its Content-Length alone.
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    listing = get_listing_for_user(request.user, listing_id)
    if not can_edit(request.user, listing):
        raise PermissionDenied("Viewers cannot upload files. Ask an owner of your team for the editor role.")
    kind_hint = request.GET.get("kind", "")
    cap = limits.max_bytes(kind_hint) if kind_hint in ArtifactKind.values else limits.largest_upload()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > cap + MULTIPART_OVERHEAD:
        return _refuse(request, listing, f"The file is over the {limits.human_size(cap)} upload limit.", status=413)
    handler = ScratchUploadHandler(request, max_bytes=cap)
    request.upload_handlers = [handler]
    try:
        return _receive_form(request, listing, handler, cap)
    finally:
        handler.discard()  # stored (moved) or refused: the scratch file never outlives the request


@csrf_protect
def _receive_form(request: HttpRequest, listing, handler: ScratchUploadHandler, cap: int) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    if handler.too_large:
        return _refuse(request, listing, f"The file is over the {limits.human_size(cap)} upload limit.", status=413)
    if handler.extra_files:
        return _refuse(request, listing, "Upload one file at a time.")
    if not form.is_valid():
        return _refuse(request, listing, form.first_error())
    upload = request.FILES["file"]
    try:
        artifact = services.artifact_add(
            listing=listing, actor=request.user, kind=form.cleaned_data["kind"], received=upload.received(),
            content_type=form.cleaned_data["content_type"], tags=form.tags(),
            expected_sha256=form.cleaned_data["sha256"],
        )
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    except ServiceError as exc:
        return _refuse(request, listing, str(exc), status=exc.status_code)
    listing.refresh_from_db()
    if _wants_json(request):
        return JsonResponse({"artifact": _artifact_json(request, artifact), **_after_change(listing)}, status=201)
    messages.success(request, f"Uploaded “{artifact.original_name}”. A validation run started.")
    return redirect("listing-detail", listing_id=listing.id)


def _refuse(request: HttpRequest, listing, message: str, *, status: int = 400) -> HttpResponse:
    if _wants_json(request):
        return _error(message, status)
    messages.error(request, message)
    return redirect("listing-detail", listing_id=listing.id)


# -- the resumable upload ------------------------------------------------------------------------------------

@login_required
@require_POST
def upload_start(request: HttpRequest, listing_id) -> HttpResponse:
    listing = get_listing_for_user(request.user, listing_id)
    form = UploadStartForm(request.POST)
    if not form.is_valid():
        return _error(form.first_error())
    try:
        session = services.upload_start(
            listing=listing, actor=request.user, kind=form.cleaned_data["kind"], name=form.cleaned_data["name"],
            size=form.cleaned_data["size"], content_type=form.cleaned_data["content_type"], tags=form.tags(),
            sha256=form.cleaned_data["sha256"],
        )
    except ServiceError as exc:
        return _service_error(exc)
    return JsonResponse(_session_json(session), status=201)


@login_required
@require_http_methods(["GET", "PUT", "DELETE"])
def upload_session(request: HttpRequest, listing_id, upload_id) -> HttpResponse:
    listing = get_listing_for_user(request.user, listing_id)
    session = get_upload(listing, request.user, upload_id)
    if request.method == "GET":
        return JsonResponse(_session_json(session))
    if request.method == "DELETE":
        try:
            services.upload_cancel(session=session, actor=request.user)
        except ServiceError as exc:
            return _service_error(exc)
        return HttpResponse(status=204)
    match = _RANGE.match(request.headers.get("Content-Range", ""))
    if not match:
        return _error("Send each chunk with a Content-Range header: bytes <first>-<last>/<size>.")
    start, end, total = (int(g) for g in match.groups())
    declared = request.META.get("CONTENT_LENGTH")
    if declared and declared.isdigit() and int(declared) != end - start + 1:
        return _error("The chunk's Content-Length does not match its Content-Range.")
    try:
        session = services.upload_append(session=session, actor=request.user, stream=request, start=start,
                                         end=end, total=total)
    except ServiceError as exc:
        return _service_error(exc)
    return JsonResponse(_session_json(session))


@login_required
@require_POST
def upload_complete(request: HttpRequest, listing_id, upload_id) -> HttpResponse:
    listing = get_listing_for_user(request.user, listing_id)
    session = get_upload(listing, request.user, upload_id)
    try:
        artifact = services.upload_complete(session=session, actor=request.user)
    except ServiceError as exc:
        return _service_error(exc)
    listing.refresh_from_db()
    return JsonResponse({"artifact": _artifact_json(request, artifact), **_after_change(listing)}, status=201)
