"""Starting a run and the live run panel (polled by htmx while the run is active)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from listings.errors import NotAllowed
from listings.permissions import can_edit
from listings.selectors import get_listing_for_user
from listings.snapshot import build_snapshot, content_hash
from listings.transitions import EDITABLE_STATUSES
from validation import services
from validation.presenters import run_panel_context
from validation.rules import CATALOG, POLICIES
from validation.selectors import get_run_for_listing, report_bytes


@login_required
@require_POST
def run_start(request: HttpRequest, listing_id) -> HttpResponse:
    listing = get_listing_for_user(request.user, listing_id)
    try:
        run = services.validation_run_start(listing=listing, actor=request.user)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    if request.htmx:
        return render(request, "validation/_run.html", _panel(request, listing, run, current=True))
    return redirect("listing-detail", listing_id=listing.id)


def _panel(request: HttpRequest, listing, run, *, current: bool) -> dict:
    return {
        **run_panel_context(run, current=current), "listing": listing,
        "can_edit": can_edit(request.user, listing), "editable": listing.status in EDITABLE_STATUSES,
    }


@login_required
def run_panel(request: HttpRequest, listing_id, run_id) -> HttpResponse:
    listing = get_listing_for_user(request.user, listing_id)
    run = get_run_for_listing(listing, run_id)
    current = run.content_hash == content_hash(build_snapshot(listing))
    response = render(request, "validation/_run.html", _panel(request, listing, run, current=current))
    if request.htmx and not run.is_active:
        # Tell the page the run finished so the parts that depend on it (the Submit button) refresh.
        response["HX-Trigger"] = "validation-finished"
    return response


@login_required
def run_report(request: HttpRequest, listing_id, run_id, report_id) -> HttpResponse:
    """A report a check kept with the run (the SBOM, the image report, the rehearsal's logs), as a download."""
    listing = get_listing_for_user(request.user, listing_id)
    run = get_run_for_listing(listing, run_id)
    report = run.reports.filter(pk=report_id).first()
    if report is None:
        raise Http404("No such report.")
    try:
        content = report_bytes(report)
    except FileNotFoundError:
        raise Http404("The report's content is no longer stored.")
    stem = "".join(c if c.isalnum() or c in "-_." else "-" for c in (report.label or "image"))[:80].strip("-.")
    suffix = ".cdx.json" if report.kind == "sbom" else ".json"
    response = HttpResponse(content, content_type=report.content_type or "application/json")
    response["Content-Disposition"] = f'attachment; filename="{report.kind}-{stem or "image"}{suffix}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def rules_page(request: HttpRequest) -> HttpResponse:
    areas: dict[str, list] = {}
    for item in CATALOG.values():
        areas.setdefault(item.area, []).append(item)
    return render(request, "validation/rules.html", {"areas": areas, "policies": POLICIES})
