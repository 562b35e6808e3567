"""Exporting an approved version and downloading its bundle."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from listings import services
from listings.errors import NotAllowed, ServiceError
from listings.jobs import JobStatus
from listings.selectors import get_bundle_for_user, get_version_for_user
from listings.storage import export_storage


@login_required
@require_POST
def export(request: HttpRequest, version_id) -> HttpResponse:
    version = get_version_for_user(request.user, version_id)
    try:
        services.bundle_request(version=version, actor=request.user)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Export started; the bundle appears below when it is ready.")
    return redirect("listing-detail", listing_id=version.listing_id)


@login_required
def download(request: HttpRequest, bundle_id) -> HttpResponse:
    bundle = get_bundle_for_user(request.user, bundle_id)
    if bundle.status != JobStatus.SUCCEEDED:
        raise Http404("This bundle is not ready.")
    storage = export_storage()
    if hasattr(storage, "bucket_name"):  # S3: hand out a short-lived presigned link instead of proxying bytes
        return HttpResponseRedirect(storage.url(bundle.storage_key, parameters={
            "ResponseContentDisposition": f'attachment; filename="{bundle.filename}"'}))
    return FileResponse(storage.open(bundle.storage_key, "rb"), as_attachment=True, filename=bundle.filename,
                        content_type="application/zip")


@login_required
def status(request: HttpRequest, bundle_id) -> HttpResponse:
    """The bundle row, polled by htmx while the export runs."""
    bundle = get_bundle_for_user(request.user, bundle_id)
    response = render(request, "listings/_bundle.html", {"b": bundle})
    if not bundle.is_active:
        response["HX-Trigger"] = "bundle-finished"
    return response
