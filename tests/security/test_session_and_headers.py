"""Sessions, CSRF, headers, logins, passwords and secrets.

- CSRF: every route that takes a POST (or PUT/DELETE) refuses one without the token — routes come from the URL
  resolver, so a new form is covered the day it appears; every POST form a page draws carries the token.
- Production settings (``DEBUG=false`` + a real ``SECRET_KEY``) pass ``manage.py check --deploy`` with no warning,
  and their responses carry HSTS, CSP, referrer, nosniff and frame headers and secure, HTTP-only cookies — read
  from a subprocess that loads the settings module exactly as production does.
- Logins are rate limited per address and user name; passwords are validated.
- Secrets — the server's own keys, API tokens, AWS keys a seller pasted into a notebook — never reach a page or
  a log line.
"""

from __future__ import annotations

import json
import logging
import secrets
import subprocess
import sys
import time
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.security.test_tenancy_sweep import ROUTES, request_kwargs, rightful_user, swept_routes, url_for
from tests.worker import ROOT, _database_url

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


# -- CSRF ----------------------------------------------------------------------------------------------------

def test_every_web_route_refuses_a_post_without_the_csrf_token(team_a_world, fake_aws_keys):
    """Logged in as whoever may use the route, with a body that would otherwise be accepted: 403."""
    w = team_a_objects = team_a_world
    users = {"alice": w.alice, "rita": w.rita, "ada": w.ada}
    checked, problems = [], []
    for found in swept_routes():
        route = ROUTES.get(found.name)
        if route is None or found.name.startswith("api:"):
            continue  # unclassified routes fail the tenancy sweep; the API is below
        browser = Client(enforce_csrf_checks=True)
        if route.access != "public":
            browser.force_login(users[rightful_user(route)])
        url = url_for(found, route, team_a_objects)
        for method in ("POST", *(m for m in route.writes if m != "POST")):
            kwargs = request_kwargs(found, method, team_a_objects)
            kwargs.pop("format", None)
            if method != "POST" and isinstance(kwargs.get("data"), dict):
                kwargs = {"data": json.dumps(kwargs["data"]), "content_type": "application/json"}
            response = getattr(browser, method.lower())(url, **kwargs)
            if response.status_code == 405:
                continue  # the route takes no such method at all
            checked.append(f"{method} {found.name}")
            if response.status_code != 403 or b"CSRF" not in response.content:
                problems.append(f"{method} {url} ({found.name}): {response.status_code} without a CSRF token")
    assert not problems, "\n".join(problems)
    assert len(checked) > 20 and "POST login" in checked and "POST review-approve" in checked


def test_api_writes_with_a_session_need_the_token_but_token_clients_do_not(team_a_world):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    alice = team_a_world.alice
    url = f"/api/v1/listings/{team_a_world.listing.id}/validate/"
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(alice)  # the session cookie a browser would send along on a cross-site post
    response = browser.post(url, {}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["error"]["message"]
    script = APIClient(enforce_csrf_checks=True)  # a token is not ambient: nothing for a forged request to ride
    script.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=alice)[0].key}")
    assert script.post(url, {}, format="json").status_code == 202


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(), "action": attrs.get("action"),
                               "token": False})
        elif tag == "input" and attrs.get("name") == "csrfmiddlewaretoken" and self.forms:
            self.forms[-1]["token"] = True


def test_every_post_form_on_every_page_carries_the_token(team_a_world):
    from tests.factories import ListingFactory

    team_a_objects = w = team_a_world
    alice, rita, ada = w.alice, w.rita, w.ada
    draft = ListingFactory(team=w.listing.team, created_by=alice)  # a draft shows every edit form
    pages = [(alice, reverse("listing-detail", args=[draft.id])), (alice, reverse("artifact-list", args=[draft.id])),
             (alice, reverse("artifact-panel", args=[draft.id])), (alice, reverse("listing-create")),
             (alice, reverse("listing-detail", args=[team_a_objects.listing.id])),
             (rita, reverse("review-version", args=[team_a_objects.version.id])),
             (rita, reverse("review-queue")), (ada, reverse("dashboard"))]
    pages += [(alice, reverse("listing-section", args=[draft.id, name]))
              for name in ("product", "version", "instance_types", "endpoint", "pricing", "legal", "aws")]
    seen = 0
    for user, url in pages:
        browser = Client()
        browser.force_login(user)
        response = browser.get(url)
        assert response.status_code == 200, url
        parser = _Forms()
        parser.feed(response.content.decode())
        for form in parser.forms:
            if form["method"] == "post":
                seen += 1
                assert form["token"], f"{url}: the form posting to {form['action']} has no CSRF token"
        assert b'<meta name="csrf-token" content="' in response.content or url.endswith("/panel/")  # htmx posts
    assert seen >= 10


# -- production settings -------------------------------------------------------------------------------------

_PROBE = """
import io, json, uuid, django
django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

out = {}
report = io.StringIO()
try:
    call_command("check", "--deploy", "--fail-level", "WARNING", stdout=report, stderr=report)
    out["check"] = [0, report.getvalue()]
except Exception as exc:  # SystemCheckError: the warnings are in its message
    out["check"] = [1, report.getvalue() + str(exc)]

# A user of our own, committed and removed again: the test's data is in a transaction we cannot see.
user = get_user_model().objects.create_user(f"probe-{uuid.uuid4().hex[:8]}", password="plum-orbit-canvas-drift")
try:
    c = Client(HTTP_HOST="example.com")
    plain = c.get("/accounts/login/")
    out["plain"] = [plain.status_code, plain.get("Location", "")]
    page = c.get("/accounts/login/", secure=True)
    out["page"] = [page.status_code, dict(page.headers)]
    token = c.cookies["csrftoken"]
    out["csrf_cookie"] = {k: token[k] for k in ("secure", "httponly", "samesite")}
    login = c.post("/accounts/login/", {"username": user.username, "password": "plum-orbit-canvas-drift"},
                   secure=True)
    out["login"] = [login.status_code, login.get("Location", "")]
    session = c.cookies.get("sessionid")
    out["session_cookie"] = session and {k: session[k] for k in ("secure", "httponly", "samesite")}
    api = c.get("/api/v1/", secure=True)
    out["api"] = [api.status_code, dict(api.headers)]
    c.post("/accounts/logout/", secure=True)
finally:
    user.delete()
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def production():
    """The settings module loaded as production loads it — ``DEBUG=false``, a real ``SECRET_KEY``,
    ``ALLOWED_HOSTS=example.com`` — in a subprocess of its own: ``check --deploy``, then a few requests."""
    import os

    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(60)[:50],
           "ALLOWED_HOSTS": "example.com", "DATABASE_URL": _database_url()}
    result = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0 and "RESULT" in result.stdout, result.stdout[-2000:] + result.stderr[-3000:]
    return json.loads(result.stdout.split("RESULT", 1)[1])


def test_check_deploy_passes_with_production_settings(production):
    code, report = production["check"]
    assert code == 0 and "System check identified no issues" in report, report


def test_production_responses_carry_security_headers_and_secure_cookies(production):
    out = production
    assert out["plain"] == [301, "https://example.com/accounts/login/"]  # plain http is sent to https
    status, headers = out["page"]
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    csp = headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'",
                      "base-uri 'self'", "form-action 'self'"):
        assert directive in csp, csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert out["csrf_cookie"] == {"secure": True, "httponly": "", "samesite": "Lax"}  # htmx reads the <meta>
    assert out["login"] == [302, "/"]
    assert out["session_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    api_status, api_headers = out["api"]
    assert api_status == 200
    assert api_headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert api_headers["X-Content-Type-Options"] == "nosniff"


# -- logins and passwords ------------------------------------------------------------------------------------

@pytest.fixture
def login_limit(settings, team_a_world):
    settings.LOGIN_ATTEMPTS_PER_WINDOW = 3
    settings.LOGIN_ATTEMPT_WINDOW_SECONDS = 60
    # A fast hash for these tests only (the default one costs most of a second per attempt on a CI machine).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    team_a_world.alice.set_password(PASSWORD)
    team_a_world.alice.save(update_fields=["password"])
    keys = [f"login-attempts:{addr}:alice" for addr in ("127.0.0.1", "10.9.8.7")]
    cache.delete_many(keys)  # the cache is the shared Redis: forget earlier runs
    yield settings
    cache.delete_many(keys)


def _login(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_login_attempts_are_limited_per_address_and_user_name(client, team_a_world, login_limit):
    for name in ("alice", "ALICE", "Alice"):  # the user name's case does not buy more guesses
        assert _login(client, name, "wrong").status_code == 200
    refused = _login(client, "alice", PASSWORD)
    assert refused.status_code == 429  # even the right password, once the limit is reached
    assert "Too many failed attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # A forged X-Forwarded-For does not reset the count (the address is the connection's) …
    assert _login(client, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    # … while alice on another machine is not locked out by someone guessing from this one.
    elsewhere = Client(REMOTE_ADDR="10.9.8.7")
    assert _login(elsewhere, "alice", PASSWORD).status_code == 302


def test_the_limit_lifts_after_its_window_and_a_good_login_resets_it(client, team_a_world, login_limit):
    login_limit.LOGIN_ATTEMPT_WINDOW_SECONDS = 1
    for _ in range(3):
        _login(client, "alice", "wrong")
    assert _login(client, "alice", PASSWORD).status_code == 429
    key = cache.make_and_validate_key("login-attempts:127.0.0.1:alice")
    ttl = cache._cache.get_client(key).pttl(key)
    assert 0 < ttl <= 1000, ttl  # the count lives for the window, no longer
    deadline = time.monotonic() + 5
    while cache.get("login-attempts:127.0.0.1:alice") is not None:
        assert time.monotonic() < deadline, "the count outlived its window"
        time.sleep(0.1)
    assert _login(client, "alice", "wrong").status_code == 200
    assert _login(client, "alice", PASSWORD).status_code == 302  # and a success forgets the failures
    assert cache.get("login-attempts:127.0.0.1:alice") is None


@pytest.mark.parametrize("password,why", [
    ("Sh0rt!", "too short"), ("password123", "too common"), ("8472619305551", "entirely numeric"),
    ("alice@example", "too similar"),
])
def test_weak_passwords_are_refused(team_a_world, password, why):
    from django.contrib.auth.forms import AdminPasswordChangeForm

    form = AdminPasswordChangeForm(team_a_world.alice, {"password1": password, "password2": password})
    assert not form.is_valid()
    assert why in " ".join(form.errors["password2"]).lower()


def test_a_long_passphrase_is_accepted(team_a_world):
    from django.contrib.auth.forms import AdminPasswordChangeForm

    passphrase = "plum-orbit-canvas-drift"
    form = AdminPasswordChangeForm(team_a_world.alice, {"password1": passphrase, "password2": passphrase})
    assert form.is_valid(), form.errors


# -- secrets -------------------------------------------------------------------------------------------------

AWS_KEY_ID = "AKIAZQ3EXAMPLE7KEYID"
AWS_SECRET = "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"  # 40 characters, the shape of a secret access key
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN" + "A" * 120


def _notebook_with_keys() -> bytes:
    cells = [
        {"id": "intro", "cell_type": "markdown", "metadata": {}, "source": ["# Try the model\n"]},
        {"id": "keys", "cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [
            {"output_type": "stream", "name": "stdout", "text": [f"aws_secret_access_key = {AWS_SECRET}\n"]}],
         "source": ["import boto3\n", f"session = boto3.Session(aws_access_key_id='{AWS_KEY_ID}',\n",
                    f"    aws_secret_access_key='{AWS_SECRET}', aws_session_token='{SESSION_TOKEN}')\n"]},
    ]
    return json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5,
                       "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                   "language": "python"}}}).encode()


def test_aws_keys_pasted_into_a_notebook_are_masked_in_findings_pages_and_logs(team_a_world, caplog):
    from listings.models import Artifact
    from tests.helpers import validate_now
    from tests.listing_builder import attach

    listing, alice = team_a_world.listing, team_a_world.alice
    Artifact.objects.filter(listing=listing, kind="notebook").delete()
    attach(listing, kind="notebook", content=_notebook_with_keys(), name="demo.ipynb", actor=alice)
    caplog.set_level(logging.DEBUG)
    run = validate_now(listing, alice)

    leaked = [f.code for f in run.findings.all()
              if any(s in f"{f.message} {f.hint} {json.dumps(f.measured)}" for s in (AWS_SECRET, SESSION_TOKEN))]
    assert not leaked, leaked
    found = run.findings.filter(code="notebook.E020", outcome="failed")
    assert found.exists() and run.verdict == "failed"  # found, said where, and it blocks submission
    browser = Client()
    browser.force_login(alice)
    for url in (reverse("listing-detail", args=[listing.id]), reverse("validation-run", args=[listing.id, run.id]),
                f"/api/v1/runs/{run.id}/"):
        body = browser.get(url, HTTP_ACCEPT="text/html").content.decode()
        assert AWS_SECRET not in body and SESSION_TOKEN not in body, url
    assert AWS_SECRET not in caplog.text and SESSION_TOKEN not in caplog.text


def test_server_secrets_and_api_tokens_never_reach_pages_or_logs(team_a_world, fake_aws_keys, settings, monkeypatch,
                                                                 caplog):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    team_a_objects = w = team_a_world
    alice, vera, rita, ada = w.alice, w.vera, w.rita, w.ada
    settings.SECRET_KEY = "sk-" + secrets.token_urlsafe(40)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    monkeypatch.setenv("DATABASE_PASSWORD", "pg-" + secrets.token_hex(12))
    tokens = {u.username: Token.objects.get_or_create(user=u)[0].key for u in (alice, vera, rita, ada)}
    secret_values = [settings.SECRET_KEY, AWS_SECRET, *tokens.values()]
    caplog.set_level(logging.DEBUG)

    bodies = []
    # Every page each role can open: the team's pages as alice, the reviewers' as rita, the dashboard as ada.
    readers = {"alice": ("public", "user", "team", "creator"), "rita": ("reviewer",), "ada": ("admin",)}
    for user in (alice, rita, ada):
        browser, api = Client(), APIClient()
        browser.force_login(user)
        api.credentials(HTTP_AUTHORIZATION=f"Token {tokens[user.username]}")
        for found in swept_routes():
            route = ROUTES.get(found.name)
            if route is None or route.access not in readers[user.username]:
                continue
            url = url_for(found, route, team_a_objects)
            client = api if found.name.startswith("api:") else browser
            bodies.append((user.username, url, _body(client.get(url))))
            if found.name.startswith("api:"):  # the browsable API echoes requests: look at it too
                bodies.append((user.username, url, _body(browser.get(url, HTTP_ACCEPT="text/html"))))
        # Errors are written to the log: make some.
        api.get("/api/v1/listings/not-a-uuid/")
        api.post(f"/api/v1/versions/{team_a_objects.version.id}/approve/", {}, format="json")
        api.put(f"/api/v1/listings/{team_a_objects.listing.id}/sections/product/", {"lock_version": 0}, format="json")
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION=f"Token {tokens['alice'][:-4]}dead")  # a near miss is logged as a 401
    bad.get("/api/v1/listings/")

    assert len(bodies) > 100
    for who, url, body in bodies:
        text = body.decode(errors="replace")
        shown = [s[:6] + "…" for s in secret_values if s in text]
        assert not shown, f"{url} shows {who} a secret: {shown}"
    assert not [s[:6] for s in secret_values if s in caplog.text]


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture(autouse=True)
def _no_stray_login_keys():
    yield
    for key in ("login-attempts:127.0.0.1:alice",):
        cache.delete(key)

