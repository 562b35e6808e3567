"""The browsable API (session login) renders every route, and list queries stay constant as rows grow."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from listings.models import ListingVersion
from tests.api.test_access import _routes
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


def test_every_route_renders_in_the_browsable_api(client, alice, rita, exported):
    ids = exported
    client.force_login(alice)
    urls = {url for _, url, _ in _routes(ids)} | {"/api/v1/", "/api/v1/listings/", "/api/v1/rules/",
                                                  "/api/v1/teams/"}
    for url in sorted(urls):
        if url.endswith("/download/"):
            continue  # a zip, not a page
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code in (200, 405), (url, response.status_code)
        assert response["Content-Type"].startswith("text/html"), url
    client.force_login(rita)
    assert client.get("/api/v1/review/queue/", HTTP_ACCEPT="text/html").status_code == 200


def test_session_writes_need_the_csrf_token(alice, listing):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(f"/api/v1/listings/{listing.id}/validate/", {}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["error"]["message"]


@pytest.mark.parametrize("url", ["/api/v1/listings/", "/api/v1/review/queue/"])
def test_list_queries_do_not_grow_with_rows(api, alice, rita, team_a, django_assert_max_num_queries, url):
    user = rita if "review" in url else alice

    def add(n):
        for _ in range(n):
            listing = ListingFactory(team=team_a)
            ListingVersion.objects.create(listing=listing, number=1, snapshot={}, content_hash="0" * 64,
                                          created_by=alice)

    client = api(user)
    add(2)
    client.get(url)  # warm: the token and the user are loaded the same way on every request
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).json()["count"] == 2
    add(10)
    with django_assert_max_num_queries(len(few)):
        assert client.get(url).json()["count"] == 12
