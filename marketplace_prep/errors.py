"""What a person sees when Django refuses a request before any view runs.

A form body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``, or with more fields than
``DATA_UPLOAD_MAX_NUMBER_FIELDS``, is refused while the CSRF check reads it. Django's own answer is a bare "Bad
Request (400)"; here the page says what was too large and what to do, the autosave line beside a section's Save
button says it in its own words, and the API answers in its error body. Any other 400 is Django's.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.views import defaults

from listings.display import megabytes


def _refusal(exception) -> tuple[int, str] | None:
    if isinstance(exception, RequestDataTooBig):
        return 413, (f"What this form sent is larger than the {megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)} a "
                     "form may send, so nothing was saved. Shorten the longest text (a pasted file, perhaps); "
                     "files go on the listing's Files page, where large uploads are taken in parts.")
    if isinstance(exception, (TooManyFieldsSent, TooManyFilesSent)):
        return 400, (f"This form sent more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} fields, more than a form "
                     "may send, so nothing was saved. Remove rows you do not need, or split them across saves.")
    return None


def _is_autosave(request) -> bool:
    try:
        return resolve(request.path_info).url_name == "listing-section-draft"
    except Resolver404:
        return False


def bad_request(request, exception):
    refusal = _refusal(exception)
    if refusal is None:
        return defaults.bad_request(request, exception)
    status, message = refusal
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "bad_request", "message": message}}, status=status)
    if _is_autosave(request):
        # The status line beside Save shows refusals marked X-Draft-Status in their own words (sections.js).
        draft_message = "Not autosaved: " + message[0].lower() + message[1:].replace(
            "so nothing was saved", "so no draft was kept")
        response = HttpResponse(render_to_string("listings/sections/_draft_status.html", {"error": draft_message}),
                                status=status)
        response["X-Draft-Status"] = "refused"
        return response
    # Rendered without the request: the page needs no user, session or database.
    return HttpResponse(render_to_string("400_too_large.html", {"message": message, "status": status}),
                        status=status)
