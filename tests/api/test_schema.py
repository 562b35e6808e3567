"""The OpenAPI schema, its docs page (no CDN), the rules catalog and the token command."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def test_the_schema_generates_without_warnings():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    for path in ("/api/v1/listings/{listing_id}/sections/{name}/", "/api/v1/runs/{run_id}/",
                 "/api/v1/bundles/{bundle_id}/download/", "/api/v1/review/queue/", "/api/v1/rules/"):
        assert path in schema, path


def test_the_schema_is_served_and_names_token_auth(api):
    response = api().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    assert "/api/v1/listings/" in schema["paths"]


def test_docs_with_the_sidecar_load_nothing_from_a_cdn(api, settings):
    from django.contrib.staticfiles import finders

    assert "drf_spectacular_sidecar" in settings.INSTALLED_APPS  # Swagger UI's assets come from our static files
    page = api().get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn." not in html and "https://" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    script = api().get("/api/docs/?script=")
    assert script.status_code == 200 and "/api/schema/" in script.content.decode()


def test_the_rules_catalog_lists_every_rule(api, alice):
    from validation.rules import CATALOG

    client = api(alice)
    body = client.get("/api/v1/rules/", {"limit": 1000}).json()
    assert body["count"] == len(CATALOG)
    first = body["results"][0]
    assert {"code", "title", "severity", "source", "url", "hint", "limit", "aws_rejects"} <= set(first)
    e002 = client.get("/api/v1/rules/", {"limit": 1000}).json()["results"]
    assert next(r for r in e002 if r["code"] == "listing.E002")["limit"] == 72
    warnings = client.get("/api/v1/rules/", {"severity": "warning", "limit": 1000}).json()["results"]
    assert warnings and all(r["severity"] == "warning" for r in warnings)


def test_teams_lists_mine_with_my_role(api, alice, vera, charlie, team_a):
    body = api(vera).get("/api/v1/teams/").json()
    assert [(t["name"], t["role"]) for t in body["results"]] == [("Team A", "viewer")]


def test_api_token_prints_the_same_token_until_rotated(alice):
    out = io.StringIO()
    call_command("api_token", "alice", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip()
    assert key == Token.objects.get(user=alice).key
    again = io.StringIO()
    call_command("api_token", "alice", stdout=again, stderr=io.StringIO())
    assert again.getvalue().strip() == key
    rotated = io.StringIO()
    call_command("api_token", "alice", "--rotate", stdout=rotated, stderr=io.StringIO())
    assert rotated.getvalue().strip() != key and not Token.objects.filter(key=key).exists()


def test_api_token_refuses_an_unknown_user(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("api_token", "nobody", stdout=io.StringIO(), stderr=io.StringIO())
