"""Who reaches what: another team's objects are a 404 on every route, viewers cannot write, sellers cannot
review, anonymous callers get a 401 — each with the API's one error body."""

from __future__ import annotations

import pytest

from tests.api.conftest import complete_snapshot, fill_listing, validated_and_submitted

pytestmark = pytest.mark.django_db


def _routes(ids: dict) -> list[tuple[str, str, dict | None]]:
    listing, version = f"/api/v1/listings/{ids['listing']}", f"/api/v1/versions/{ids['version']}"
    return [
        ("get", f"{listing}/", None),
        ("get", f"{listing}/sections/product/", None),
        ("put", f"{listing}/sections/product/", {"product": {}, "lock_version": 1}),
        ("post", f"{listing}/validate/", {}),
        ("get", f"{listing}/runs/", None),
        ("post", f"{listing}/submit/", {}),
        ("get", f"{listing}/versions/", None),
        ("get", f"/api/v1/runs/{ids['run']}/", None),
        ("get", f"{version}/", None),
        ("post", f"{version}/approve/", {}),
        ("post", f"{version}/request-changes/", {"reason": "Because."}),
        ("post", f"{version}/export/", {}),
        ("get", f"/api/v1/bundles/{ids['bundle']}/", None),
        ("get", f"/api/v1/bundles/{ids['bundle']}/download/", None),
    ]


def _call(client, method: str, url: str, body):
    return getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)


def test_charlie_gets_404_on_every_route_of_team_as_objects(api, exported, charlie):
    client = api(charlie)
    for method, url, body in _routes(exported):
        response = _call(client, method, url, body)
        assert response.status_code == 404, (method, url, response.status_code)
        assert response.json()["error"]["code"] == "not_found", url
    assert client.get("/api/v1/listings/").json()["count"] == 0


def test_anonymous_callers_get_401_everywhere(api, exported):
    client = api()
    routes = [*_routes(exported), ("get", "/api/v1/listings/", None), ("post", "/api/v1/listings/", {}),
              ("get", "/api/v1/review/queue/", None), ("get", "/api/v1/rules/", None), ("get", "/api/v1/teams/", None),
              ("get", "/api/v1/", None)]
    for method, url, body in routes:
        response = _call(client, method, url, body)
        assert response.status_code == 401, (method, url, response.status_code)
        assert response.json()["error"]["code"] == "not_authenticated"
        assert response["WWW-Authenticate"] == "Token"


def test_a_bad_token_is_a_401(api, listing):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get(f"/api/v1/listings/{listing.id}/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


def test_a_viewer_reads_but_every_write_is_403(api, exported, vera, team_a):
    client = api(vera)
    listing = f"/api/v1/listings/{exported['listing']}"
    assert client.get(f"{listing}/").status_code == 200
    assert client.get(f"{listing}/").json()["can_edit"] is False
    section = client.get(f"{listing}/sections/product/").json()
    writes = [
        ("put", f"{listing}/sections/product/", section),
        ("post", f"{listing}/validate/", {}),
        ("post", f"{listing}/submit/", {}),
        ("post", f"/api/v1/versions/{exported['version']}/export/", {}),
        ("post", "/api/v1/listings/", {"team": str(team_a.id), "kind": "model_package", "title": "Viewer's",
                                       "short_description": "Made by a viewer."}),
        ("post", "/api/v1/listings/", {"team": str(team_a.id), "kind": "model_package", "title": " Bad ™"}),
    ]
    for method, url, body in writes:
        response = _call(client, method, url, body)
        assert response.status_code == 403, (url, response.json())
        assert response.json()["error"]["code"] == "forbidden"
    for method, url, body in _routes(exported):
        if method == "get":
            assert _call(client, method, url, body).status_code == 200, url


def test_sellers_get_403_on_the_queue_and_404_on_decisions_as_on_the_web(api, alice, team_a):
    client = api(alice)
    listing = fill_listing(client, team_a, complete_snapshot("model_package"))
    version = validated_and_submitted(client, listing["id"])

    assert client.get("/api/v1/review/queue/").status_code == 403
    assert client.post(f"/api/v1/versions/{version['id']}/approve/", format="json").status_code == 404
    assert client.post(f"/api/v1/versions/{version['id']}/request-changes/", {"reason": "x"},
                       format="json").status_code == 404
    assert client.get(f"/api/v1/versions/{version['id']}/").status_code == 200  # their own version


def test_a_reviewer_cannot_approve_their_own_teams_listing(api, alice, team_a):
    from tests.factories import MembershipFactory, make_reviewer

    reviewer_on_team = make_reviewer("rolf")
    MembershipFactory(team=team_a, user=reviewer_on_team, role="viewer")
    client = api(alice)
    listing = fill_listing(client, team_a, complete_snapshot("model_package"))
    version = validated_and_submitted(client, listing["id"])
    response = api(reviewer_on_team).post(f"/api/v1/versions/{version['id']}/approve/", format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_reviewers_read_versions_and_their_runs_but_not_the_teams_listings(api, exported, rita):
    client = api(rita)
    version = client.get(f"/api/v1/versions/{exported['version']}/").json()
    assert version["links"]["listing"] is None
    assert client.get(version["validation_run"]).status_code == 200
    assert client.get(f"/api/v1/listings/{exported['listing']}/").status_code == 404
    export = client.post(f"/api/v1/versions/{exported['version']}/export/", format="json")
    assert export.status_code == 403  # exporting is the seller team's


def test_a_run_of_a_listing_never_submitted_is_hidden_from_reviewers(api, alice, listing, rita):
    started = api(alice).post(f"/api/v1/listings/{listing.id}/validate/", format="json").json()
    assert api(rita).get(f"/api/v1/runs/{started['id']}/").status_code == 404
