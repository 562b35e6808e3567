"""Editing one section: the form, saving with its lock version, and live checks as the seller types."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from listings import drafts, services
from listings.completeness import listing_completeness
from listings.errors import Conflict, NotAllowed, ServiceError
from listings.models import ListingSection
from listings.permissions import can_edit
from listings.section_forms import form_for
from listings.section_forms.hyperparameters import (
    IMPORT_MAX_BYTES,
    ImportProblem,
    export_hyperparameters,
    parse_hyperparameters_json,
)
from listings.section_forms.rows import form_post_data
from listings.section_forms.training import try_metric
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


def _editable_now(request, listing) -> bool:
    return can_edit(request.user, listing) and listing.status in EDITABLE_STATUSES


def _render(request, listing, spec, form, *, status=200, conflict=None, partial=False, restored=None,
            held_draft=None):
    snapshot = form.snapshot
    statuses, overall = listing_completeness(snapshot)
    context = {
        "listing": listing, "section": spec, "form": form, "sections": sections_for(listing.kind),
        "statuses": statuses, "overall": overall, "conflict": conflict,
        "editable": _editable_now(request, listing), "restored": restored, "held_draft": held_draft,
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
        if _editable_now(request, listing):
            # What the person typed and did not save comes back in the form (listings/drafts.py).
            restored = drafts.restore_draft(row=row, user=request.user, form_class=form_class, snapshot=snapshot)
            if restored is not None:
                return _render(request, listing, spec, restored.form, restored=restored)
            held_draft = None
        else:  # waiting for review: the draft waits too, and the page says where it is
            held_draft = drafts.draft_of(row=row, user=request.user) if can_edit(request.user, listing) else None
        initial = {"lock_version": row.lock_version, **form_class.initial_from(snapshot[form_class.key])}
        form = form_class(initial=initial, snapshot=snapshot)
        form.findings = section_findings(snapshot, name)
        return _render(request, listing, spec, form, held_draft=held_draft)

    form = form_class(request.POST, snapshot=snapshot)
    if not form.is_valid():
        return _render(request, listing, spec, form, status=400)
    try:
        services.section_save(listing=listing, actor=request.user, section=name, data=form.to_data(),
                              lock_version=form.cleaned_data["lock_version"], clear_draft=True)
    except services.InvalidSection as exc:
        form.snapshot = snapshot | form.to_data()
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


# ------------------------------------------------------------------------------------------- autosaved drafts

_LOGGED_OUT = ("You are logged out, so this draft was not kept. Log in again in another tab, then keep typing "
               "here: what you typed is still in this page.")


def _draft_status(request, *, draft=None, error="", status=200) -> HttpResponse:
    """The small status beside the Save button. Refusals carry ``X-Draft-Status`` so sections.js shows their
    words, where it shows a generic line for any other error (a CSRF failure's page, a proxy's 502)."""
    response = render(request, "listings/sections/_draft_status.html", {"draft": draft, "error": error},
                      status=status)
    if error:
        response["X-Draft-Status"] = "refused"
    return response


@require_POST
def section_draft(request: HttpRequest, listing_id, name: str) -> HttpResponse:
    """Autosave (htmx): keep the form's raw values as the person's draft of the section; nothing is checked or
    applied to the listing. Another team's listing is a 404, a viewer gets 403."""
    if not request.user.is_authenticated:
        if not request.htmx:
            return redirect_to_login(request.get_full_path())
        # Following a redirect to the login page would swap that whole page into the status line.
        return _draft_status(request, error=_LOGGED_OUT, status=401)
    listing = get_listing_for_user(request.user, listing_id)
    _section(listing, name)
    try:
        draft = drafts.section_draft_save(listing=listing, actor=request.user, section=name, data=request.POST)
    except ServiceError as exc:
        return _draft_status(request, error=str(exc), status=exc.status_code)
    return _draft_status(request, draft=draft)


@login_required
@require_POST
def section_draft_discard(request: HttpRequest, listing_id, name: str) -> HttpResponse:
    listing = get_listing_for_user(request.user, listing_id)
    spec, _ = _section(listing, name)
    try:
        discarded = drafts.section_draft_discard(listing=listing, actor=request.user, section=name)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    if discarded:
        messages.success(request, f"Your unsaved changes to {spec.title.lower()} were discarded. The form shows the "
                                  "saved values.")
    return redirect("listing-section", listing_id=listing.id, name=name)


# ------------------------------------------------------------------ rows, hyperparameters.json, metric regexes


def _editable(request: HttpRequest, listing_id, name: str):
    """A POST that prepares an edit: another team's listing is a 404, a viewer gets 403."""
    listing = get_listing_for_user(request.user, listing_id)
    spec, form_class = _section(listing, name)
    if not can_edit(request.user, listing):
        raise PermissionDenied("Viewers cannot edit listings. Ask an owner of your team for the editor role.")
    return listing, spec, form_class


@login_required
@require_POST
def section_add_row(request: HttpRequest, listing_id, name: str) -> HttpResponse:
    """"Add" without JavaScript: the form comes back as posted with one more blank row; nothing is saved."""
    listing, spec, form_class = _editable(request, listing_id, name)
    prefix = request.POST.get("add_row", "")
    if prefix not in {rows.name for rows in getattr(form_class, "rows", ())}:
        raise Http404("No such list in this section.")
    data = request.POST.copy()
    try:
        total = max(int(data.get(f"{prefix}-TOTAL_FORMS", "0")), 0)
    except ValueError:
        total = 0
    data[f"{prefix}-TOTAL_FORMS"] = str(total + 1)
    form = form_class(data, snapshot=build_snapshot(listing))
    new_row = form.formsets[prefix].forms[-1]
    first = next(iter(new_row.fields.values()))
    first.widget.attrs["autofocus"] = True  # the browser scrolls to the new row
    form.notice = "A blank row was added at the end of the list. Nothing is saved until you press Save."
    return _render(request, listing, spec, form)


@login_required
@require_GET
def hyperparameters_export(request: HttpRequest, listing_id) -> HttpResponse:
    """The saved hyperparameters as ``hyperparameters.json``: the list of rows exactly as the listing holds them."""
    listing = get_listing_for_user(request.user, listing_id)
    _section(listing, "hyperparameters")
    response = HttpResponse(export_hyperparameters(build_snapshot(listing)),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="hyperparameters.json"'
    return response


@login_required
@require_POST
def hyperparameters_import(request: HttpRequest, listing_id) -> HttpResponse:
    """Fill the form from an uploaded ``hyperparameters.json``, with the checks' findings at the rows.

    Nothing is saved: the rows replace the saved ones when the seller saves the form."""
    listing, spec, form_class = _editable(request, listing_id, "hyperparameters")
    snapshot = build_snapshot(listing)
    upload = request.FILES.get("hyperparameters_file")
    errors: list[str] = []
    rows: list[dict] = []
    if upload is None:
        errors = ["Choose a hyperparameters.json file to import."]
    else:
        try:
            rows = parse_hyperparameters_json(upload.read(IMPORT_MAX_BYTES + 1))
        except ImportProblem as exc:
            errors = exc.messages
    if errors:
        if "hyperparameters-TOTAL_FORMS" in request.POST:  # keep the page as the seller had it
            form = form_class(request.POST, snapshot=snapshot)
        else:
            current = ListingSection.objects.get(listing=listing, name="hyperparameters")
            form = form_class(initial={"lock_version": current.lock_version,
                                       **form_class.initial_from(snapshot["hyperparameters"])}, snapshot=snapshot)
        form.import_errors = errors
        form.import_filename = f"“{upload.name}”" if upload is not None else ""
        return _render(request, listing, spec, form, status=400)
    try:
        lock_version = int(request.POST.get("lock_version", ""))
    except ValueError:
        lock_version = ListingSection.objects.get(listing=listing, name="hyperparameters").lock_version
    imported = form_class(initial={"lock_version": lock_version, "hyperparameters": rows}, snapshot=snapshot)
    form = form_class(form_post_data(imported), snapshot=snapshot)
    if form.is_valid():
        form.snapshot = snapshot | form.to_data()
        form.refused_prefix = ""
        form.show_findings(section_findings(form.snapshot, "hyperparameters"))
    count = f"{len(rows)} hyperparameter{'' if len(rows) == 1 else 's'}"
    form.notice = (f"Imported {count} from “{upload.name}”. Nothing is saved yet: check them below, then save to "
                   "replace the saved hyperparameters.")
    return _render(request, listing, spec, form)


@login_required
@require_POST
def metric_try(request: HttpRequest, listing_id) -> JsonResponse:
    """A metric regex tried on a sample log line with Python's ``re`` (see listings/section_forms/training.py)."""
    _editable(request, listing_id, "training")
    outcome = try_metric(request.POST.get("regex", ""), request.POST.get("sample_log_line", ""))
    return JsonResponse(outcome.as_dict())
