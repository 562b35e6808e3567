"""Seller pages: thin views — look up, validate the form, call a service, redirect or render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from listings import services
from listings.errors import NotAllowed, ServiceError
from listings.completeness import listing_completeness
from listings.forms import ListingCreateForm
from listings.models import EDITING_ROLES, Team
from listings.permissions import can_edit, is_reviewer
from listings.sections import sections_for
from listings.selectors import get_listing_for_user, listings_visible_to
from listings.snapshot import build_snapshot, content_hash
from listings.transitions import EDITABLE_STATUSES
from validation.presenters import run_panel_context
from validation.selectors import latest_run


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if is_reviewer(request.user) and not request.user.memberships.exists():
        return redirect("review-queue")
    return redirect("listing-list")


@login_required
def listing_list(request: HttpRequest) -> HttpResponse:
    listings = listings_visible_to(request.user).order_by("-updated_at")
    status = request.GET.get("status", "")
    if status:
        listings = listings.filter(status=status)
    can_create = request.user.memberships.filter(role__in=EDITING_ROLES).exists()
    return render(request, "listings/list.html", {
        "listings": listings[:200], "status": status, "can_create": can_create,
        "counts": listings_visible_to(request.user).aggregate(
            total=Count("id"), drafts=Count("id", filter=Q(status="draft")),
            in_review=Count("id", filter=Q(status="submitted")),
        ),
    })


def _editable_teams(user):
    return Team.objects.filter(memberships__user=user, memberships__role__in=EDITING_ROLES).order_by("name")


@login_required
def listing_create(request: HttpRequest) -> HttpResponse:
    teams = _editable_teams(request.user)
    if not teams.exists():
        raise PermissionDenied("Only owners and editors of a team can create listings.")
    form = ListingCreateForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            listing = services.listing_create(
                team=form.cleaned_data["team"], actor=request.user, kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"], short_description=form.cleaned_data["short_description"],
            )
        except services.InvalidSection as exc:
            for finding in exc.findings:
                field = finding.location.removeprefix("field:product.")
                form.add_error(field if field in form.fields and field not in form.errors else None,
                               f"{finding.message} {finding.hint}".strip())
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Listing created. Fill in the rest, then validate it.")
            return redirect("listing-detail", listing_id=listing.id)
    return render(request, "listings/new.html", {"form": form})


def _detail_context(request: HttpRequest, listing) -> dict:
    snapshot = build_snapshot(listing)
    statuses, overall = listing_completeness(snapshot)
    run = latest_run(listing)
    versions = listing.versions.select_related("decided_by", "created_by").prefetch_related("bundles")
    context = {
        "listing": listing, "snapshot": snapshot, "sections": sections_for(listing.kind), "statuses": statuses,
        "overall": overall, "editable": listing.status in EDITABLE_STATUSES,
        "can_edit": can_edit(request.user, listing), "run": None, "versions": versions,
        "events": listing.events.select_related("actor")[:50],
    }
    if run is not None:
        context.update(run_panel_context(run, current=run.content_hash == content_hash(snapshot)))
    return context


@login_required
def listing_detail(request: HttpRequest, listing_id) -> HttpResponse:
    listing = get_listing_for_user(request.user, listing_id)
    return render(request, "listings/detail.html", _detail_context(request, listing))


@login_required
@require_POST
def listing_submit(request: HttpRequest, listing_id) -> HttpResponse:
    listing = get_listing_for_user(request.user, listing_id)
    try:
        version = services.listing_submit(listing=listing, actor=request.user)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Version {version.number} is frozen and waiting for a reviewer.")
    return redirect("listing-detail", listing_id=listing.id)


@login_required
def listing_timeline(request: HttpRequest, listing_id) -> HttpResponse:
    """The timeline card, refreshed by htmx when a run or an export finishes."""
    listing = get_listing_for_user(request.user, listing_id)
    return render(request, "listings/_timeline.html", {"listing": listing, "events": listing.events.select_related("actor")[:50]})
