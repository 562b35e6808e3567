"""Exporting an approved version and downloading its bundle (thin views: look up, validate, call the service)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from listings.errors import NotAllowed, ServiceError
from listings.export import service
from listings.export.forms import ExportOptionsForm
from listings.jobs import JobStatus
from listings.selectors import get_bundle_for_user, get_version_for_user
from listings.storage import export_storage, is_remote


@login_required
@require_POST
def export(request: HttpRequest, version_id) -> HttpResponse:
    version = get_version_for_user(request.user, version_id)
    form = ExportOptionsForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else "Export options"
            messages.error(request, f"{label}: {' '.join(errors)}")
        return redirect("listing-detail", listing_id=version.listing_id)
    try:
        service.bundle_start(version=version, actor=request.user, options=form.options())
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
    if is_remote(storage):  # S3: hand out a short-lived presigned link instead of proxying bytes
        return HttpResponseRedirect(storage.url(bundle.storage_key, parameters={
            "ResponseContentDisposition": f'attachment; filename="{bundle.filename}"'}))
    response = FileResponse(storage.open(bundle.storage_key, "rb"), as_attachment=True, filename=bundle.filename,
                            content_type="application/zip")
    response["X-Content-SHA256"] = bundle.sha256
    return response


@login_required
def s3_copy(request: HttpRequest, bundle_id) -> HttpResponse:
    """A fresh short-lived link to the copy in the seller's bucket (links are never stored)."""
    from listings.export.s3 import presigned_link

    bundle = get_bundle_for_user(request.user, bundle_id)
    upload = bundle.options.get("s3_upload") if isinstance(bundle.options, dict) else None
    if bundle.status != JobStatus.SUCCEEDED or not isinstance(upload, dict) or upload.get("error") \
            or not upload.get("bucket") or not upload.get("key"):
        raise Http404("This bundle has no copy in S3.")
    return HttpResponseRedirect(presigned_link(bucket=upload["bucket"], key=upload["key"], filename=bundle.filename))


@login_required
def status(request: HttpRequest, bundle_id) -> HttpResponse:
    """The bundle row, polled by htmx while the export runs."""
    bundle = get_bundle_for_user(request.user, bundle_id)
    response = render(request, "listings/_bundle.html", {"b": bundle})
    if not bundle.is_active:
        response["HX-Trigger"] = "bundle-finished"
    return response
