"""The reviewer's queue and decisions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from listings import services
from listings.errors import NotAllowed, ServiceError
from listings.forms import RequestChangesForm
from listings.permissions import can_review, is_reviewer
from listings.selectors import get_version_for_reviewer, review_queue
from validation.presenters import run_panel_context


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    if not is_reviewer(request.user):
        raise PermissionDenied("The review queue is for reviewers.")
    return render(request, "review/queue.html", {"versions": review_queue(request.user)[:200]})


@login_required
def version_review(request: HttpRequest, version_id, form=None) -> HttpResponse:
    version = get_version_for_reviewer(request.user, version_id)
    context = {
        "version": version, "listing": version.listing, "snapshot": version.snapshot,
        "may_decide": can_review(request.user, version.listing) and version.status == "submitted",
        "own_team": not can_review(request.user, version.listing),
        "form": form or RequestChangesForm(),
        "events": version.listing.events.select_related("actor")[:50],
    }
    if version.validation_run:
        context.update(run_panel_context(version.validation_run, current=True))
    return render(request, "review/version.html", context, status=400 if form is not None else 200)


@login_required
@require_POST
def approve(request: HttpRequest, version_id) -> HttpResponse:
    version = get_version_for_reviewer(request.user, version_id)
    try:
        services.review_approve(version=version, actor=request.user)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("review-version", version_id=version.id)
    messages.success(request, f"Approved version {version.number} of “{version.listing.title}”.")
    return redirect("review-queue")


@login_required
@require_POST
def request_changes(request: HttpRequest, version_id) -> HttpResponse:
    version = get_version_for_reviewer(request.user, version_id)
    form = RequestChangesForm(request.POST)
    if not form.is_valid():
        return version_review(request, version_id, form=form)
    try:
        services.review_request_changes(version=version, actor=request.user, reason=form.cleaned_data["reason"])
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("review-version", version_id=version.id)
    messages.success(request, f"Changes requested on version {version.number}; the seller team was told.")
    return redirect("review-queue")
