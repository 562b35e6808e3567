"""The in-app notification list behind the bell in the top bar."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from listings.review import services
from listings.review.selectors import notifications_for


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    items = list(notifications_for(request.user)[:100])
    return render(request, "notifications/list.html", {
        "items": items, "unread": sum(1 for n in items if n.read_at is None)})


@login_required
@require_POST
def notification_open(request: HttpRequest, notification_id) -> HttpResponse:
    """Mark one as read and go where it points (only ever a path on this site)."""
    item = notifications_for(request.user).filter(pk=notification_id).first()
    if item is None:
        raise Http404("No such notification.")
    services.notifications_mark_read(user=request.user, notification_id=item.pk)
    if item.url and url_has_allowed_host_and_scheme(item.url, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(item.url)
    return redirect("notifications")


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_read(user=request.user)
    return redirect("notifications")
