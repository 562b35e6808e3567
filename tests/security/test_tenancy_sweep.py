"""The tenancy sweep: every URL pattern of the project, found by walking the resolver, requested with team A's
object ids as every kind of outsider.

- charlie (team B) → 404 on every method a route accepts, exactly as for ids that do not exist;
- vera (team A viewer) → reads work, writes are 403;
- sellers on reviewer actions → 403 (the queue) or 404 (a version), as the views define; non-admins → 403 on the
  dashboard;
- anonymous → redirected to the login page (web) or 401 (API).

Every route must be classified in ``ROUTES``: a route added later without a line here fails
``test_every_route_is_classified`` and names itself, so nothing new ships unswept. Which methods a route accepts is
discovered, not declared: the route's rightful user (alice, or the reviewer, or the admin) sends GET, POST, PUT and
DELETE inside a rolled-back savepoint, and whatever is not a 405 is swept for everyone else.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token

from listings.section_forms import form_for
from listings.section_forms.rows import form_post_data
from listings.sections import sections_for
from listings.snapshot import build_snapshot

pytestmark = pytest.mark.django_db

METHODS = ("GET", "POST", "PUT", "DELETE")

# Routes left out of the sweep, by the start of their path, each with the reason.
SKIPPED = {
    "admin/": "Django's own admin: staff-only behind its own login and permission checks, no product code. "
              "(Static files are served by WhiteNoise middleware, not by a URL pattern, so none appear here.)",
}


@dataclass(frozen=True)
class Route:
    """How one route is guarded.

    access: ``public`` (no login), ``user`` (any logged-in user; no team object in the path), ``team`` (a team A
    object in the path), ``creator`` (an upload: only the person who started it), ``reviewer``, ``admin``,
    ``fallback`` (the API's catch-all 404).
    writes: methods that change something — a viewer gets 403 on them (everything else accepted is a read).
    denied: what users without the role get on ``reviewer``/``admin`` routes.
    algorithm: fill ``listing_id`` with team A's algorithm (routes of algorithm-only sections).
    expect: per persona and method, a status that differs from the access rule (e.g. viewers who may not create).
    methods: per method, an access that differs from ``access`` (the team reads a version's waivers; only a
    reviewer grants one).
    """

    access: str
    writes: tuple[str, ...] = ()
    denied: int = 403
    algorithm: bool = False
    expect: dict = field(default_factory=dict)
    methods: dict = field(default_factory=dict)  # method → access, where one method is guarded differently


WRITE = ("POST",)
ROUTES: dict[str, Route] = {
    # -- site ------------------------------------------------------------------------------------------------
    "login": Route("public", writes=WRITE),
    "logout": Route("public", writes=WRITE),
    "healthz": Route("public"),
    "home": Route("user"),
    "rules": Route("user"),
    "listing-list": Route("user"),
    # A viewer belongs to no team they may create listings in; charlie creates in his own team only.
    "listing-create": Route("user", writes=WRITE, expect={"vera": dict.fromkeys(METHODS, 403)}),
    "listing-detail": Route("team"),
    "listing-timeline": Route("team"),
    "listing-section": Route("team", writes=WRITE),
    "listing-section-check": Route("team"),  # live checks while typing: nothing is saved
    # Autosave keeps the form as typed, as the person's own draft: a write, so a viewer is refused.
    "listing-section-draft": Route("team", writes=WRITE),
    "listing-section-draft-discard": Route("team", writes=WRITE),
    "listing-section-rows": Route("team", writes=WRITE, algorithm=True),
    "listing-hyperparameters-export": Route("team", algorithm=True),
    "listing-hyperparameters-import": Route("team", writes=WRITE, algorithm=True),
    "listing-metric-try": Route("team", writes=WRITE, algorithm=True),
    "listing-submit": Route("team", writes=WRITE),
    "validation-start": Route("team", writes=WRITE),
    "validation-run": Route("team"),
    "validation-run-report": Route("team"),
    "artifact-list": Route("team"),
    "artifact-panel": Route("team"),
    "artifact-upload": Route("team", writes=WRITE),
    "artifact-upload-start": Route("team", writes=WRITE),
    "artifact-upload-session": Route("creator", writes=("PUT", "DELETE")),
    "artifact-upload-complete": Route("creator", writes=WRITE),
    "artifact-download": Route("team"),
    "artifact-remove": Route("team", writes=WRITE),
    "version-export": Route("team", writes=WRITE),
    "bundle-download": Route("team"),
    "bundle-status": Route("team"),
    "bundle-s3-copy": Route("team"),
    "review-queue": Route("reviewer", denied=403),
    "review-version": Route("reviewer", denied=404),
    "review-approve": Route("reviewer", denied=404),
    "review-request-changes": Route("reviewer", denied=404),
    "review-claim": Route("reviewer", denied=404),
    "review-assign": Route("reviewer", denied=404),
    "review-section-approve": Route("reviewer", denied=404),
    "review-section-reopen": Route("reviewer", denied=404),
    "review-comment-add": Route("reviewer", denied=404),
    "review-waiver-grant": Route("reviewer", denied=404),
    "review-waiver-revoke": Route("reviewer", denied=404),
    # Comment threads are the team's and the reviewers'; the team's viewers read them but may not write.
    "comment-reply": Route("team", writes=WRITE),
    "comment-resolve": Route("team", writes=WRITE),
    "comment-reopen": Route("team", writes=WRITE),
    "listing-comment-add": Route("team", writes=WRITE),
    "listing-compare": Route("team"),
    "version-file": Route("team"),
    "notifications": Route("user"),
    "notifications-read": Route("user"),
    "notification-open": Route("creator"),  # a notification is its recipient's alone
    "dashboard": Route("admin"),
    "dashboard-operations": Route("admin"),
    "dashboard-run-retry": Route("admin"),
    "dashboard-run-fail": Route("admin"),
    # -- API -------------------------------------------------------------------------------------------------
    "api:schema": Route("public"),
    "api:docs": Route("public"),
    "api:<catch-all>": Route("fallback"),
    "api:v1:root": Route("user"),
    "api:v1:team-list": Route("user"),
    "api:v1:rule-list": Route("user"),
    # charlie names team A in the body: the team is simply not one of his (400, as for any unknown team).
    "api:v1:listing-list": Route("user", writes=WRITE, expect={"vera": {"POST": 403}, "charlie": {"POST": 400}}),
    "api:v1:listing-detail": Route("team"),
    "api:v1:listing-section": Route("team", writes=("PUT",)),
    "api:v1:listing-validate": Route("team", writes=WRITE),
    "api:v1:listing-runs": Route("team"),
    "api:v1:listing-submit": Route("team", writes=WRITE),
    "api:v1:listing-versions": Route("team"),
    "api:v1:listing-artifacts": Route("team", writes=WRITE),
    "api:v1:listing-uploads": Route("team", writes=WRITE),
    "api:v1:artifact-detail": Route("team", writes=("DELETE",)),
    "api:v1:artifact-download": Route("team"),
    "api:v1:upload-detail": Route("creator", writes=("PUT", "DELETE")),
    "api:v1:upload-complete": Route("creator", writes=WRITE),
    "api:v1:run-detail": Route("team"),
    "api:v1:version-detail": Route("team"),
    "api:v1:version-approve": Route("reviewer", denied=404),
    "api:v1:version-request-changes": Route("reviewer", denied=404),
    "api:v1:version-export": Route("team", writes=WRITE),
    "api:v1:review-queue": Route("reviewer", denied=403),
    "api:v1:version-comments": Route("team", writes=WRITE),
    "api:v1:version-waivers": Route("team", methods={"POST": "reviewer"}, denied=404),
    "api:v1:comment-replies": Route("team", writes=WRITE),
    "api:v1:comment-resolve": Route("team", writes=WRITE),
    "api:v1:comment-reopen": Route("team", writes=WRITE),
    "api:v1:bundle-detail": Route("team"),
    "api:v1:bundle-download": Route("team"),
}


# -- the URL tree --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Found:
    name: str  # namespaced, e.g. "api:v1:run-detail"
    route: str  # the path pattern as written, for messages
    params: tuple[str, ...]


def walk(patterns=None, prefix: str = "", namespace: tuple[str, ...] = (), params: tuple[str, ...] = ()):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        converters = tuple(getattr(p.pattern, "converters", {}) or ())
        if isinstance(p, URLResolver):
            ns = namespace + ((p.namespace,) if p.namespace else ())
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns, params + converters)
        elif isinstance(p, URLPattern):
            name = ":".join(namespace + (p.name or "<catch-all>",))
            yield Found(name, prefix + str(p.pattern), params + converters)


def swept_routes() -> list[Found]:
    return [f for f in walk() if not any(f.route.startswith(skip) for skip in SKIPPED)]


def test_every_route_is_classified():
    found = {f.name: f for f in swept_routes()}
    unclassified = sorted(f"{f.name} ({f.route})" for f in found.values() if f.name not in ROUTES)
    assert not unclassified, (
        "Routes nobody classified for the tenancy sweep — add each to ROUTES in this file with who may use it:\n  "
        + "\n  ".join(unclassified))
    stale = sorted(set(ROUTES) - set(found))
    assert not stale, f"ROUTES names routes that no longer exist: {stale}"
    unknown = sorted({p for f in found.values() for p in f.params} - set(PARAMS))
    assert not unknown, f"Path parameters the sweep cannot fill — add them to PARAMS: {unknown}"


# -- filling the paths ---------------------------------------------------------------------------------------

PARAMS: dict[str, Callable] = {
    "listing_id": lambda o, route: (o.algorithm if route.algorithm else o.listing).id,
    "version_id": lambda o, route: o.version.id,
    "run_id": lambda o, route: o.run.id,
    "bundle_id": lambda o, route: o.bundle.id,
    "artifact_id": lambda o, route: o.artifact.id,
    "upload_id": lambda o, route: o.upload.id,
    "report_id": lambda o, route: o.report.id,
    "comment_id": lambda o, route: o.thread.id,
    "waiver_id": lambda o, route: o.waiver.id,
    "notification_id": lambda o, route: o.notification.id,
    "area": lambda o, route: "product",
    "sha256": lambda o, route: o.artifact.sha256,  # the logo, part of the frozen version
    "name": lambda o, route: "hyperparameters" if route.algorithm else "product",
}


def url_for(found: Found, route: Route, objects, *, random_ids: bool = False) -> str:
    if found.name == "api:<catch-all>":
        return "/api/v1/no-such-thing/"
    kwargs = {}
    for param in found.params:
        value = PARAMS[param](objects, route)
        if random_ids:
            value = uuid.uuid4() if isinstance(value, uuid.UUID) else 987654321 if isinstance(value, int) else value
        kwargs[param] = value
    return reverse(found.name, kwargs=kwargs)


def _section_post(listing, name: str) -> dict:
    from listings.models import ListingSection

    form_class = form_for(name)
    row = ListingSection.objects.get(listing=listing, name=name)
    snapshot = build_snapshot(listing)
    form = form_class(initial={"lock_version": row.lock_version, **form_class.initial_from(snapshot[form_class.key])},
                      snapshot=snapshot)
    return form_post_data(form).dict()


def request_kwargs(found: Found, method: str, objects) -> dict:
    """A body that gets past form validation to the permission check (so a viewer's 403 is the role's)."""
    name, api = found.name, found.name.startswith("api:")
    if method == "GET" or method == "DELETE":
        return {}
    if name in ("artifact-upload-session", "api:v1:upload-detail") and method == "PUT":
        return {"data": b"hello", "content_type": "application/octet-stream", "HTTP_CONTENT_RANGE": "bytes 0-4/5"}
    if method == "PUT" and name != "api:v1:listing-section":
        return {"data": {}, "format": "json"} if api else {}
    if name in ("listing-section", "listing-section-check", "listing-section-draft"):
        return {"data": _section_post(objects.listing, "product")}
    if name == "listing-section-rows":
        return {"data": {**_section_post(objects.algorithm, "hyperparameters"), "add_row": "hyperparameters"}}
    if name == "listing-hyperparameters-import":
        return {"data": {"hyperparameters_file": SimpleUploadedFile("hyperparameters.json", b"[]")}}
    if name == "listing-metric-try":
        return {"data": {"regex": r"loss=(\S+)", "sample_log_line": "loss=0.25"}}
    if name in ("artifact-upload", "api:v1:listing-artifacts"):
        body = {"kind": "documentation", "file": SimpleUploadedFile("README.md", b"# Notes\n")}
        return {"data": body} if not api else {"data": body, "format": "multipart"}
    if name in ("artifact-upload-start", "api:v1:listing-uploads"):
        body = {"kind": "documentation", "name": "more.md", "size": 5}
        return {"data": body} if not api else {"data": body, "format": "json"}
    if name == "api:v1:listing-section":
        section = {k: v for k, v in build_snapshot(objects.listing).items() if k == "product"}
        from listings.models import ListingSection

        lock = ListingSection.objects.get(listing=objects.listing, name="product").lock_version
        return {"data": {**section, "lock_version": lock}, "format": "json"}
    if name == "api:v1:listing-list":
        return {"data": {"team": str(objects.listing.team_id), "kind": "model_package", "title": "Sneaky Listing",
                         "short_description": "Made by someone who may not."}, "format": "json"}
    if name in ("review-request-changes", "api:v1:version-request-changes"):
        return {"data": {"reason": "Please fix the logo."}, **({"format": "json"} if api else {})}
    if name in ("comment-reply", "listing-comment-add", "review-comment-add"):
        return {"data": {"body": "Looks right to me.", "anchor_kind": "general", "anchor": ""}}
    if name in ("api:v1:version-comments", "api:v1:comment-replies"):
        return {"data": {"body": "Looks right to me."}, "format": "json"}
    if name == "api:v1:version-waivers":
        finding = objects.run.findings.order_by("position").first()
        return {"data": {"finding": finding.id, "reason": "Accepted for launch.",
                         "expires_at": "2099-01-01T00:00:00Z"}, "format": "json"}
    if name == "login":
        return {"data": {"username": f"nobody-{uuid.uuid4().hex[:8]}", "password": "wrong"}}
    return {"data": {}, "format": "json"} if api else {}


# -- clients -------------------------------------------------------------------------------------------------

class Callers:
    """One web client and one API client (token) per persona, made once."""

    def __init__(self, users: dict):
        from rest_framework.test import APIClient

        self.web, self.api = {"anon": Client()}, {"anon": APIClient()}
        for persona, user in users.items():
            web = Client()
            web.force_login(user)
            self.web[persona] = web
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
            self.api[persona] = api

    def call(self, persona: str, found: Found, method: str, url: str, objects):
        api = found.name.startswith("api:")
        client = (self.api if api else self.web)[persona]
        kwargs = request_kwargs(found, method, objects)
        if not api:
            kwargs.pop("format", None)
            if method in ("PUT", "DELETE") and isinstance(kwargs.get("data"), dict):
                # Django's test client sends PUT/DELETE bodies raw: send JSON, as a browser script would.
                kwargs = {**kwargs, "data": json.dumps(kwargs["data"]), "content_type": "application/json"}
        return getattr(client, method.lower())(url, **kwargs)


class _Rollback(Exception):
    pass


def rolled_back(callers: Callers, persona: str, found: Found, method: str, url: str, objects):
    """The rightful user's request, undone afterwards (it may approve, remove or submit)."""
    response = None
    try:
        with transaction.atomic():
            response = callers.call(persona, found, method, url, objects)
            raise _Rollback
    except _Rollback:
        pass
    for obj in (objects.listing, objects.algorithm, objects.version, objects.upload):
        obj.refresh_from_db()
    return response


def _login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def rightful_user(route: Route) -> str:
    return {"reviewer": "rita", "admin": "ada"}.get(route.access, "alice")


# -- the sweep -----------------------------------------------------------------------------------------------

def test_every_route_keeps_team_a_to_itself(team_a_world, fake_aws_keys):
    objects = w = team_a_world
    callers = Callers({"alice": w.alice, "vera": w.vera, "charlie": w.charlie, "rita": w.rita, "ada": w.ada})
    team_a_marks = {str(objects.listing.id), objects.listing.title, str(objects.algorithm.id), objects.algorithm.title,
                    str(objects.version.id), str(objects.run.id), str(objects.bundle.id)}
    problems: list[str] = []
    swept = 0

    def expect(ok: bool, what: str) -> None:
        if not ok:
            problems.append(what)

    for found in swept_routes():
        route = ROUTES.get(found.name)
        if route is None:
            continue  # test_every_route_is_classified names it
        url = url_for(found, route, objects)
        api = found.name.startswith("api:")
        # Web views are swept with GET and POST (and the methods they write with); API views with every method.
        methods = METHODS if api else ("GET", "POST", *(m for m in route.writes if m not in ("GET", "POST")))
        whole_route = route
        for method in methods:
            route = replace(whole_route, access=whole_route.methods[method]) if method in whole_route.methods \
                else whole_route
            owner = rightful_user(route)
            where = f"{method} {url} ({found.name})"
            if route.access == "public":
                if method == "GET" or method in route.writes:
                    response = callers.call("anon", found, method, url, objects)
                    expect(response.status_code not in (401, 403, 404) and response.status_code < 500
                           and (response.status_code != 405 or found.name == "logout"),
                           f"{where}: anonymous got {response.status_code} on a public route")
                continue
            if route.access == "fallback":
                for persona in ("anon", "charlie", "vera", "alice"):
                    status = callers.call(persona, found, method, url, objects).status_code
                    expect(status == 404, f"{where}: {persona} got {status}, expected the API's 404")
                continue

            control = rolled_back(callers, owner, found, method, url, objects)
            if control.status_code == 405:
                continue  # the route does not take this method, for anyone
            swept += 1
            expect(control.status_code not in (403, 404) and control.status_code < 500,
                   f"{where}: {owner} (who may) got {control.status_code}; the sweep's ids or body are wrong")
            is_write = method in route.writes

            # anonymous
            response = callers.call("anon", found, method, url, objects)
            if api:
                expect(response.status_code == 401, f"{where}: anonymous got {response.status_code}, expected 401")
            else:
                expect(_login_redirect(response), f"{where}: anonymous got {response.status_code} "
                                                  f"{response.get('Location', '')}, expected the login page")

            personas = ("charlie", "vera", "alice") if route.access in ("reviewer", "admin") else ("charlie", "vera")
            for persona in personas:
                status = callers.call(persona, found, method, url, objects).status_code
                wanted = route.expect.get(persona, {}).get(method)
                if wanted is not None:
                    expect(status == wanted, f"{where}: {persona} got {status}, expected {wanted}")
                elif route.access in ("reviewer", "admin"):
                    expect(status == route.denied, f"{where}: {persona} got {status}, expected {route.denied}")
                elif route.access == "user":
                    expect(status < 400, f"{where}: {persona} got {status}")
                elif persona == "charlie" or route.access == "creator":
                    expect(status == 404, f"{where}: {persona} got {status}, expected 404")
                elif is_write:
                    expect(status == 403, f"{where}: the viewer got {status} on a write, expected 403")
                else:
                    expect(status < 400, f"{where}: the viewer got {status} on a read")

            if route.access == "user" and method == "GET":
                body = callers.call("charlie", found, method, url, objects).content.decode(errors="replace")
                leaked = sorted(mark for mark in team_a_marks if mark in body)
                expect(not leaked, f"{where}: charlie's page shows team A's {leaked}")
            if route.access in ("team", "creator"):
                # A team A id and an id that does not exist look the same from outside.
                other = url_for(found, route, objects, random_ids=True)
                missing = callers.call("charlie", found, method, other, objects).status_code
                expect(missing == 404, f"{method} {other} ({found.name}): charlie got {missing} for a missing id")

    assert not problems, f"{len(problems)} problems:\n  " + "\n  ".join(problems)
    assert swept > 60  # the sweep really ran over the routes (GET and POST of each, and more)


def test_every_section_of_team_a_is_a_404_for_charlie(team_a_world):
    client = Client()
    client.force_login(team_a_world.charlie)
    for listing in (team_a_world.listing, team_a_world.algorithm):
        for spec in sections_for(listing.kind):
            url = reverse("listing-section", args=[listing.id, spec.name])
            assert client.get(url).status_code == 404, url
            assert client.post(url).status_code == 404, url
            url = reverse("listing-section-check", args=[listing.id, spec.name])
            assert client.post(url).status_code == 404, url
            api_url = f"/api/v1/listings/{listing.id}/sections/{spec.name}/"
            assert client.get(api_url).status_code == 404
