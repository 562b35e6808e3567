"""The reviewer's pages and every review write (thin views: look up, validate the form, call a service).

Access follows the existing review views: the queue is a 403 for non-reviewers, a version's review page and
its actions a 404 (a seller does not learn which versions exist); comments and compare pages are scoped to the
listing's team or reviewers (404 otherwise), and a viewer's write is a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from listings.errors import NotAllowed, ServiceError
from listings.pagination import paginate
from listings.permissions import is_reviewer
from listings.review import services
from listings.review.areas import areas_for
from listings.review.forms import AssignForm, CommentForm, QueueFilterForm, ReplyForm, RequestChangesForm, WaiverForm
from listings.review.policy import review_sla_hours
from listings.review.presenters import compare, queue_row_html, queue_rows, review_page_context
from listings.review.selectors import (
    QUEUE_VIEWS,
    QueueFilters,
    eligible_reviewers,
    get_thread_for_user,
    get_waiver_for_reviewer,
    queue_counts,
    queue_page_values,
    queue_teams,
    review_queue,
)
from listings.selectors import get_listing_for_user, get_version_for_reviewer, get_version_for_user
from listings.storage import open_blob


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    """Back to the page the form was on (``next``), if it is one of ours."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


def _run(request: HttpRequest, action, *, success: str = "") -> bool:
    """Call a service; a refusal of role is a 403, any other refusal a message on the page."""
    try:
        action()
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    except ServiceError as exc:
        messages.error(request, str(exc))
        return False
    if success:
        messages.success(request, success)
    return True


def _review_url(version, fragment: str = "") -> str:
    return reverse("review-version", args=[version.id]) + (f"#{fragment}" if fragment else "")


# ---------------------------------------------------------------------------------------------------- pages
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """The reviewers' queue, 50 versions a page; the view, team, kind and title filters stay in the page links."""
    if not is_reviewer(request.user):
        raise PermissionDenied("The review queue is for reviewers.")
    form = QueueFilterForm(request.GET or None, teams=queue_teams())
    filters = QueueFilters()
    if form.is_valid():
        filters = QueueFilters(view=form.cleaned_data["view"] or "waiting", team=form.cleaned_data["team"],
                               kind=form.cleaned_data["kind"], q=form.cleaned_data["q"].strip())
    now, sla = timezone.now(), review_sla_hours()
    counts = queue_counts(request.user, now=now)
    unfiltered = not (filters.team or filters.kind or filters.q)
    # The tab's count is the paginator's, when no other filter narrows the view: no COUNT(*) of its own.
    known = counts.get(filters.view) if unfiltered else None
    decided = filters.view == "decided"
    versions = queue_page_values(review_queue(request.user, filters, now=now), decided=decided)
    page = paginate(request, versions, count=known)
    rows = queue_rows(page.object_list, viewer=request.user, now=now, sla=sla, decided=decided)
    return render(request, "review/queue.html", {
        "rows": rows, "row_html": queue_row_html(rows, decided=decided), "page_obj": page,
        "form": form, "filters": filters, "views": QUEUE_VIEWS, "counts": counts, "sla_hours": sla,
        "decided_view": decided,
        "back": request.get_full_path(),  # where a row's Claim button comes back to
    })


@login_required
def version_review(request: HttpRequest, version_id, form=None) -> HttpResponse:
    version = get_version_for_reviewer(request.user, version_id)
    context = review_page_context(version, request.user, against=request.GET.get("against"))
    if form is not None:
        context["form"] = form
    return render(request, "review/version.html", context, status=400 if form is not None else 200)


@login_required
def version_file(request: HttpRequest, version_id, sha256: str) -> HttpResponse:
    """A file of a frozen version (the logo on the buyer preview): its bytes by digest. Images are shown
    inline; anything else downloads."""
    version = get_version_for_user(request.user, version_id)
    artifact = next((a for a in version.snapshot.get("artifacts") or [] if a.get("sha256") == sha256), None)
    if artifact is None:
        raise Http404("No such file in this version.")
    content_type = artifact.get("content_type") or "application/octet-stream"
    inline = content_type in ("image/png", "image/jpeg", "image/gif")
    try:
        stream = open_blob(sha256)
    except (FileNotFoundError, ValueError):
        raise Http404("The stored file is missing.")
    return FileResponse(stream, as_attachment=not inline, filename=artifact.get("name") or sha256,
                        content_type=content_type if inline else "application/octet-stream")


@login_required
def listing_compare(request: HttpRequest, listing_id) -> HttpResponse:
    """Any two versions of a listing, side by side (``?from=1&to=2``); for the team and for reviewers."""
    from listings.models import Listing

    if is_reviewer(request.user):
        try:
            listing = Listing.objects.select_related("team").get(pk=listing_id)
        except Listing.DoesNotExist:
            raise Http404("No such listing.")
    else:
        listing = get_listing_for_user(request.user, listing_id)
    versions = list(listing.versions.order_by("-number"))
    if not versions:
        raise Http404("This listing has no versions yet.")
    by_number = {str(v.number): v for v in versions}
    new = by_number.get(request.GET.get("to", ""), versions[0])
    default_old = next((v for v in versions if v.number < new.number), None)
    old = by_number.get(request.GET.get("from", ""), default_old)
    if old is not None and old.pk == new.pk:
        old = default_old
    return render(request, "review/compare.html", {
        "listing": listing, "versions": versions, "old": old, "new": new,
        "diff": compare(old, new), "is_reviewer": is_reviewer(request.user),
        "is_member": listing.team.memberships.filter(user=request.user).exists(),
    })


# ------------------------------------------------------------------------------------------------ decisions
@login_required
@require_POST
def approve(request: HttpRequest, version_id) -> HttpResponse:
    version = get_version_for_reviewer(request.user, version_id)
    ok = _run(request, lambda: services.review_approve(version=version, actor=request.user),
              success=f"Approved version {version.number} of “{version.listing.title}”. The seller team was told.")
    return redirect("review-queue") if ok else redirect("review-version", version_id=version.id)


@login_required
@require_POST
def request_changes(request: HttpRequest, version_id) -> HttpResponse:
    version = get_version_for_reviewer(request.user, version_id)
    form = RequestChangesForm(request.POST, areas=areas_for(version.listing.kind))
    if not form.is_valid():
        return version_review(request, version_id, form=form)
    ok = _run(request, lambda: services.review_request_changes(
        version=version, actor=request.user, reason=form.cleaned_data["reason"],
        sections=form.cleaned_data["sections"]),
        success=f"Changes requested on version {version.number}; the seller team was told.")
    return redirect("review-queue") if ok else redirect("review-version", version_id=version.id)


@login_required
@require_POST
def claim(request: HttpRequest, version_id) -> HttpResponse:
    version = get_version_for_reviewer(request.user, version_id)
    _run(request, lambda: services.review_claim(version=version, actor=request.user),
         success=f"You have version {version.number} of “{version.listing.title}”.")
    return _back(request, _review_url(version))


@login_required
@require_POST
def assign(request: HttpRequest, version_id) -> HttpResponse:
    version = get_version_for_reviewer(request.user, version_id)
    form = AssignForm(request.POST, reviewers=eligible_reviewers(version.listing))
    if not form.is_valid():
        messages.error(request, "Choose a reviewer from the list (reviewers of the listing's own team cannot).")
        return _back(request, _review_url(version))
    assignee = form.cleaned_data["assignee"]
    _run(request, lambda: services.review_assign(version=version, actor=request.user, assignee=assignee),
         success=f"Assigned to {assignee.get_username()}." if assignee else "Nobody has this version now.")
    return _back(request, _review_url(version))


@login_required
@require_POST
def section_approve(request: HttpRequest, version_id, area: str) -> HttpResponse:
    version = get_version_for_reviewer(request.user, version_id)
    _run(request, lambda: services.review_section_approve(version=version, actor=request.user, area=area))
    return redirect(_review_url(version, "scope"))


@login_required
@require_POST
def section_reopen(request: HttpRequest, version_id, area: str) -> HttpResponse:
    version = get_version_for_reviewer(request.user, version_id)
    _run(request, lambda: services.review_section_reopen(version=version, actor=request.user, area=area))
    return redirect(_review_url(version, "scope"))


# ------------------------------------------------------------------------------------------------- waivers
@login_required
@require_POST
def waiver_grant(request: HttpRequest, version_id) -> HttpResponse:
    version = get_version_for_reviewer(request.user, version_id)
    form = WaiverForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{form.fields[f].label if f in form.fields else 'Waiver'}: {' '.join(e)}"
                             for f, e in form.errors.items())
        messages.error(request, f"The waiver was not saved. {problems}")
        return redirect(_review_url(version, "report"))
    _run(request, lambda: services.waiver_grant(
        version=version, finding_id=form.cleaned_data["finding"], actor=request.user,
        reason=form.cleaned_data["reason"], expires_at=form.expires_at),
        success=f"Waived until {form.cleaned_data['expires_on']:%Y-%m-%d}.")
    return redirect(_review_url(version, "report"))


@login_required
@require_POST
def waiver_revoke(request: HttpRequest, waiver_id) -> HttpResponse:
    waiver = get_waiver_for_reviewer(request.user, waiver_id)
    _run(request, lambda: services.waiver_revoke(waiver=waiver, actor=request.user),
         success=f"The waiver of {waiver.code} is revoked.")
    return _back(request, reverse("review-queue"))


# ------------------------------------------------------------------------------------------------ comments
@login_required
@require_POST
def comment_add(request: HttpRequest, version_id) -> HttpResponse:
    """A reviewer comments on a version, anchored to what the form's hidden fields name."""
    version = get_version_for_reviewer(request.user, version_id)
    form = CommentForm(request.POST)
    fragment = "threads"
    if not form.is_valid():
        messages.error(request, "The comment was not saved: " + " ".join(
            e for errors in form.errors.values() for e in errors))
    else:
        comment = None

        def add():
            nonlocal comment
            comment = services.comment_add(listing=version.listing, version=version, actor=request.user,
                                           anchor_kind=form.cleaned_data["anchor_kind"],
                                           anchor=form.cleaned_data["anchor"], body=form.cleaned_data["body"])

        if _run(request, add, success="Comment added; the seller team sees it on their listing page."):
            fragment = f"thread-{comment.id}"
    return redirect(_review_url(version, fragment))


@login_required
@require_POST
def listing_comment_add(request: HttpRequest, listing_id) -> HttpResponse:
    """A seller leaves a note for the reviewers on the listing page (about the whole listing)."""
    listing = get_listing_for_user(request.user, listing_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write something: the comment is empty.")
    else:
        version = listing.versions.order_by("-number").first()
        _run(request, lambda: services.comment_add(listing=listing, version=version, actor=request.user,
                                                   body=form.cleaned_data["body"]),
             success="Comment added; reviewers see it on the review page.")
    return redirect(reverse("listing-detail", args=[listing.id]) + "#review-comments")


def _thread_fallback(thread) -> str:
    return reverse("listing-detail", args=[thread.listing_id]) + f"#thread-{(thread.parent or thread).id}"


@login_required
@require_POST
def comment_reply(request: HttpRequest, comment_id) -> HttpResponse:
    thread = get_thread_for_user(request.user, comment_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write something: the reply is empty.")
    else:
        _run(request, lambda: services.comment_reply(thread=thread, actor=request.user, body=form.cleaned_data["body"]))
    return _back(request, _thread_fallback(thread))


@login_required
@require_POST
def comment_resolve(request: HttpRequest, comment_id) -> HttpResponse:
    thread = get_thread_for_user(request.user, comment_id)
    _run(request, lambda: services.comment_resolve(thread=thread, actor=request.user))
    return _back(request, _thread_fallback(thread))


@login_required
@require_POST
def comment_reopen(request: HttpRequest, comment_id) -> HttpResponse:
    thread = get_thread_for_user(request.user, comment_id)
    _run(request, lambda: services.comment_reopen(thread=thread, actor=request.user))
    return _back(request, _thread_fallback(thread))
