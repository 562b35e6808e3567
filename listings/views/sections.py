"""Editing one section: the form, saving with its lock version, and live checks as the seller types."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from listings import services
from listings.completeness import listing_completeness
from listings.errors import Conflict, NotAllowed, ServiceError
from listings.models import ListingSection
from listings.permissions import can_edit
from listings.section_forms import form_for
from listings.sections import BY_NAME, sections_for
from listings.selectors import get_listing_for_user
from listings.snapshot import build_snapshot
from listings.transitions import EDITABLE_STATUSES
from validation.checks.sections import section_findings


def _section(listing, name):
    spec = BY_NAME.get(name)
    form_class = form_for(name)
    if spec is None or form_class is None or listing.kind not in spec.kinds:
        raise Http404("No such section.")
    return spec, form_class


def _render(request, listing, spec, form, *, status=200, conflict=None, partial=False):
    snapshot = form.snapshot
    statuses, overall = listing_completeness(snapshot)
    context = {
        "listing": listing, "section": spec, "form": form, "sections": sections_for(listing.kind),
        "statuses": statuses, "overall": overall, "conflict": conflict,
        "editable": can_edit(request.user, listing) and listing.status in EDITABLE_STATUSES,
    }
    template = "listings/sections/_form.html" if partial else "listings/sections/edit.html"
    return render(request, template, context, status=status)


@login_required
def section_edit(request: HttpRequest, listing_id, name: str) -> HttpResponse:
    listing = get_listing_for_user(request.user, listing_id)
    spec, form_class = _section(listing, name)
    snapshot = build_snapshot(listing)
    row = ListingSection.objects.get(listing=listing, name=name)
    if request.method != "POST":
        initial = {"lock_version": row.lock_version, **form_class.initial_from(snapshot[form_class.key])}
        form = form_class(initial=initial, snapshot=snapshot)
        form.findings = section_findings(snapshot, name)
        return _render(request, listing, spec, form)

    form = form_class(request.POST, snapshot=snapshot)
    if not form.is_valid():
        return _render(request, listing, spec, form, status=400)
    try:
        services.section_save(listing=listing, actor=request.user, section=name, data=form.to_data(),
                              lock_version=form.cleaned_data["lock_version"])
    except services.InvalidSection as exc:
        form.show_findings(exc.findings)
        return _render(request, listing, spec, form, status=400)
    except Conflict as exc:
        form.add_error(None, str(exc))
        theirs = form_class(initial=form_class.initial_from(exc.current["data"].get(form_class.key)), snapshot=snapshot)
        # Keep what the seller typed, but arm the form with the new lock version: saving again is a decision.
        form.data = form.data.copy()
        form.data["lock_version"] = exc.current["lock_version"]
        return _render(request, listing, spec, form, status=409, conflict=theirs)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    except ServiceError as exc:
        form.add_error(None, str(exc))
        return _render(request, listing, spec, form, status=400)
    messages.success(request, f"{spec.title} saved.")
    return redirect("listing-section", listing_id=listing.id, name=name)


@login_required
@require_POST
def section_check(request: HttpRequest, listing_id, name: str) -> HttpResponse:
    """Live checks while typing (htmx): the same checks, nothing saved."""
    listing = get_listing_for_user(request.user, listing_id)
    spec, form_class = _section(listing, name)
    snapshot = build_snapshot(listing)
    form = form_class(request.POST, snapshot=snapshot)
    if form.is_valid():
        form.snapshot = snapshot | form.to_data()
        form.show_findings(section_findings(form.snapshot, name))
    return _render(request, listing, spec, form, partial=True)
