"""Security headers Django 5.2 does not set itself."""

from __future__ import annotations

# Everything the pages load is vendored under /static/, so the policy can be strict: no inline script,
# no third-party origin. htmx is configured in static/js/app.js rather than by inline attributes.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/admin/") and not request.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


# --- A database that went away ------------------------------------------------------------------------------
DATABASE_UNAVAILABLE = ("The database is briefly unavailable (it may be restarting). Nothing you did was lost: "
                        "wait a few seconds, then try again.")
RETRY_AFTER_SECONDS = 5


def database_unavailable_response(request):
    """503 with a kind message: HTML for pages, the API's error body under /api/. Rendered without a request
    context, so nothing in it needs the database (no user, no session)."""
    from django.http import HttpResponse, JsonResponse
    from django.template.loader import render_to_string

    if request.path.startswith("/api/"):
        response = JsonResponse({"error": {"code": "service_unavailable", "message": DATABASE_UNAVAILABLE}},
                                status=503)
    else:
        response = HttpResponse(render_to_string("503.html", {"message": DATABASE_UNAVAILABLE}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """A lost PostgreSQL connection (restart, failover, a killed backend) is a short outage, not a bug: the
    request that meets it gets a 503 page instead of a 500, and the next one reconnects by itself (Django drops a
    connection that errored at the end of the request; ``CONN_HEALTH_CHECKS`` tests a reused one first)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import InterfaceError, OperationalError

        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        import logging

        logging.getLogger("django.request").warning("Database unavailable: %s %s (%s)", request.method,
                                                    request.path, type(exception).__name__)
        return database_unavailable_response(request)
