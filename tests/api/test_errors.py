"""One error body everywhere, rate limits, and the API's own 404 for unknown addresses."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_rate_limits_answer_429_with_retry_after(api, alice, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "3/minute"}}
    client = api(alice)
    for _ in range(3):
        assert client.get("/api/v1/listings/").status_code == 200
    response = client.get("/api/v1/listings/")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled" and int(response["Retry-After"]) > 0


def test_starting_runs_has_its_own_limit(api, alice, listing, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"validation": "1/minute"}}
    client = api(alice)
    assert client.post(f"/api/v1/listings/{listing.id}/validate/", format="json").status_code == 202
    assert client.post(f"/api/v1/listings/{listing.id}/validate/", format="json").status_code == 429
    assert client.get(f"/api/v1/listings/{listing.id}/runs/").status_code == 200  # reading is not limited by it


def test_unknown_api_addresses_get_the_apis_404(api, alice):
    response = api(alice).get("/api/v1/nothing-here/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert api(alice).get("/api/v1/listings/not-a-uuid/").json()["error"]["code"] == "not_found"


def test_wrong_method_and_bad_json(api, alice, listing):
    client = api(alice)
    response = client.delete(f"/api/v1/listings/{listing.id}/")
    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"
    broken = client.put(f"/api/v1/listings/{listing.id}/sections/product/", "{not json",
                        content_type="application/json")
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "bad_request"


def test_validation_policy_must_be_known(api, alice, listing):
    response = api(alice).post(f"/api/v1/listings/{listing.id}/validate/", {"policy": "lenient"}, format="json")
    assert response.status_code == 400 and "policy" in response.json()["error"]["fields"]
    ok = api(alice).post(f"/api/v1/listings/{listing.id}/validate/", {"policy": "aws-minimum"}, format="json")
    assert ok.status_code == 202 and ok.json()["policy"] == "aws-minimum"
