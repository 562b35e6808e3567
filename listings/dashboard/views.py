"""The admins' dashboard: the pipeline at a glance, and a live operations panel loaded by htmx."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from listings.dashboard import metrics, operations
from listings.permissions import is_admin
from validation.services import validation_run_fail, validation_run_retry


def _require_admin(request: HttpRequest) -> None:
    if not is_admin(request.user):
        raise PermissionDenied("The dashboard is for admins.")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return render(request, "dashboard/index.html", {
        **metrics.dashboard_metrics(),  # cached for a minute; the operations panel below stays live (htmx)
        "window_days": metrics.WINDOW_DAYS, "cache_seconds": metrics.CACHE_SECONDS,
    })


@login_required
def operations_panel(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return render(request, "dashboard/_operations.html", {
        "queues": operations.queue_depths(), "workers": operations.workers(),
        "oldest": metrics.oldest_waiting(), "stuck": metrics.stuck_runs(),
    })


@login_required
@require_POST
def run_retry(request: HttpRequest, run_id) -> HttpResponse:
    _require_admin(request)
    if validation_run_retry(run_id=run_id, actor=request.user):
        metrics.forget_metrics()  # the admin sees the run's new state on the page they are sent back to
        messages.success(request, "The run was sent back to the queue.")
    else:
        messages.error(request, "That run is no longer stuck; nothing was changed.")
    return redirect("dashboard")


@login_required
@require_POST
def run_fail(request: HttpRequest, run_id) -> HttpResponse:
    _require_admin(request)
    validation_run_fail(run_id=run_id, error="Stopped by an admin from the dashboard.", actor=request.user)
    metrics.forget_metrics()
    messages.success(request, "The run was marked failed; the seller can validate again.")
    return redirect("dashboard")
