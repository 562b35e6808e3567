"""Seller pages: thin views — look up, validate the form, call a service, redirect or render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from listings import services
from listings.errors import NotAllowed, ServiceError
from listings.completeness import listing_completeness
from listings.display import url_for_each
from listings.forms import ListingCreateForm
from listings.models import EDITING_ROLES, ListingStatus, ProductKind, SubmissionBundle, Team
from listings.pagination import paginate
from listings.permissions import can_create_listings, can_edit, is_reviewer
from listings.sections import sections_for
from listings.review.selectors import review_note_flags
from listings.selectors import get_listing_for_user, listings_visible_to
from listings.snapshot import build_snapshot, content_hash
from listings.transitions import EDITABLE_STATUSES
from validation.presenters import cached_run_panel_context
from validation.selectors import latest_run_with_previous


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if is_reviewer(request.user) and not request.user.memberships.exists():
        return redirect("review-queue")
    return redirect("listing-list")


STATUS_FILTERS = {"": "All", **dict(ListingStatus.choices)}


@login_required
def listing_list(request: HttpRequest) -> HttpResponse:
    """The user's teams' listings, newest change first, 50 a page; ``?status=`` narrows them."""
    visible = listings_visible_to(request.user)
    status = request.GET.get("status", "")
    if status not in STATUS_FILTERS:
        status = ""
    # One GROUP BY gives the tabs' counts and the paginator's (no COUNT(*) of its own).
    counts = dict.fromkeys(ListingStatus.values, 0) | dict(
        visible.order_by().values_list("status").annotate(n=Count("id")))
    counts["total"] = sum(counts[value] for value in ListingStatus.values)
    listings = visible.order_by("-updated_at", "-id")
    if status:
        listings = listings.filter(status=status)
    page = paginate(request, listings.values("id", "title", "kind", "status", "updated_at", "team__name"),
                    count=counts[status] if status else counts["total"])
    detail_url, kinds = url_for_each("listing-detail"), dict(ProductKind.choices)
    page.object_list = [  # plain rows: what the table shows, ready to print
        {"url": detail_url(row["id"]), "title": row["title"], "kind": kinds.get(row["kind"], row["kind"]),
         "team": row["team__name"], "status": row["status"], "status_label": STATUS_FILTERS.get(row["status"], ""),
         "updated_at": row["updated_at"]}
        for row in page.object_list]
    return render(request, "listings/list.html", {
        "listings": page.object_list, "page_obj": page, "status": status, "total": counts["total"],
        "filters": [(value, label, counts[value] if value else counts["total"])
                    for value, label in STATUS_FILTERS.items()],
        "can_create": can_create_listings(request.user),
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


def _timeline(listing):
    """The timeline card's events: the latest 50 (its template shows the e-mail kept on each, not the user)."""
    return listing.events.all()[:50]


def _detail_context(request: HttpRequest, listing) -> dict:
    snapshot = build_snapshot(listing)
    digest = content_hash(snapshot)
    statuses, overall = listing_completeness(snapshot, digest)
    run = latest_run_with_previous(listing)
    # The versions card shows no snapshot and no bundle manifest: that large JSON stays in the database.
    versions = (listing.versions.defer("snapshot").select_related("decided_by", "created_by")
                .prefetch_related(Prefetch("bundles", queryset=SubmissionBundle.objects.defer("manifest"))))
    context = {
        "listing": listing, "snapshot": snapshot, "sections": sections_for(listing.kind), "statuses": statuses,
        "overall": overall, "editable": listing.status in EDITABLE_STATUSES,
        "can_edit": can_edit(request.user, listing), "run": None, "versions": versions,
        "events": _timeline(listing),
    }
    if run is not None:
        context.update(cached_run_panel_context(
            run, current=run.content_hash == digest, listing=listing,
            can_open=context["can_edit"] and context["editable"]))
    return context


@login_required
def listing_detail(request: HttpRequest, listing_id) -> HttpResponse:
    listing = get_listing_for_user(request.user, listing_id, **review_note_flags())
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
    return render(request, "listings/_timeline.html", {"listing": listing, "events": _timeline(listing)})
