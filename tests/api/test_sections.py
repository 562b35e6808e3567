"""Saving sections: lock versions, values AWS would reject, malformed bodies, and creating listings."""

from __future__ import annotations

import pytest
from django.urls import reverse

from listings.models import Listing
from tests.api.conftest import complete_snapshot, fill_listing, put_section, validated_and_submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing(api, alice, team_a):
    """Team A's model package with every section complete, so each test changes one value from a valid one."""
    return Listing.objects.get(pk=fill_listing(api(alice), team_a, complete_snapshot("model_package"))["id"])


def _product(client, listing_id) -> dict:
    return client.get(f"/api/v1/listings/{listing_id}/sections/product/").json()


def test_a_stale_lock_version_is_refused_with_the_saved_section(api, listing, alice, bob):
    seen = _product(api(bob), listing.id)
    by_bob = put_section(api(bob), listing.id, "product", {"product": {**seen["product"], "title": "Bob's title"}},
                         seen["lock_version"])
    assert by_bob.status_code == 200

    by_alice = put_section(api(alice), listing.id, "product",
                           {"product": {**seen["product"], "title": "Alice's title"}}, seen["lock_version"])
    assert by_alice.status_code == 409
    error = by_alice.json()["error"]
    assert error["code"] == "conflict" and "saved this section while you were editing" in error["message"]
    assert error["current"] == by_bob.json()  # the section as GET shows it: data and the new lock version
    assert error["current"]["product"]["title"] == "Bob's title"
    assert _product(api(alice), listing.id)["product"]["title"] == "Bob's title"

    retry = put_section(api(alice), listing.id, "product",
                        {"product": {**seen["product"], "title": "Alice's title"}}, error["current"]["lock_version"])
    assert retry.status_code == 200 and retry.json()["product"]["title"] == "Alice's title"


def test_lock_version_is_required(api, listing, alice):
    response = api(alice).put(f"/api/v1/listings/{listing.id}/sections/product/",
                              {"product": _product(api(alice), listing.id)["product"]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["lock_version"][0]["code"] == "required"


def _web_form_errors(client, listing, field: str, **changes) -> list[str]:
    """What the web form says for the same value (tests/listings/test_views.py posts it the same way)."""
    from listings.snapshot import build_snapshot

    product = build_snapshot(listing)["product"] | changes
    resources = "\n".join(f"{r['text']} | {r['url']}" for r in product["additional_resources"])
    post = {**{k: "\n".join(v) if isinstance(v, list) else v for k, v in product.items()
               if k != "additional_resources"},
            "additional_resources": resources, "lock_version": listing.sections.get(name="product").lock_version}
    response = client.post(reverse("listing-section", args=[listing.id, "product"]), post)
    assert response.status_code == 400
    return response.context["form"].errors[field]


@pytest.mark.parametrize(("field", "value", "code"), [
    ("title", "Churn ™ Predictor", "listing.E004"),
    ("search_keywords", ["churn", "k" * 51], "listing.E016"),
    ("categories", ["Computer Vision", "Astrology"], "listing.E014"),
])
def test_a_value_aws_would_reject_is_a_400_at_its_field_with_the_web_forms_code_and_message(
        api, client, listing, alice, field, value, code):
    seen = _product(api(alice), listing.id)
    response = put_section(api(alice), listing.id, "product", {"product": {**seen["product"], field: value}},
                           seen["lock_version"])
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    problems = error["fields"][f"product.{field}"]
    assert code in [p["code"] for p in problems]
    problem = next(p for p in problems if p["code"] == code)
    assert problem["message"] and problem["hint"]

    client.force_login(alice)
    web = _web_form_errors(client, listing, field, **{field: value})
    assert f"{problem['message']} {problem['hint']}" in web
    assert _product(api(alice), listing.id) == seen  # nothing saved


def test_a_wrong_type_inside_a_section_is_located(api, listing, alice):
    seen = _product(api(alice), listing.id)
    response = put_section(api(alice), listing.id, "product",
                           {"product": {**seen["product"], "highlights": "not a list"}}, seen["lock_version"])
    assert response.status_code == 400
    assert "listing.E029" in [p["code"] for p in response.json()["error"]["fields"]["product.highlights"]]


@pytest.mark.parametrize("body", [
    {"product": ["a list, not an object"]},
    {"product": {"title": "x"}, "version": {}},
    {"product": {"no_such_field": 1}},
])
def test_a_body_that_is_not_the_sections_shape_is_a_400(api, listing, alice, body):
    response = put_section(api(alice), listing.id, "product", body, 1)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request" and response.json()["error"]["message"]


def test_a_section_body_must_be_a_json_object(api, listing, alice):
    response = api(alice).put(f"/api/v1/listings/{listing.id}/sections/product/", [1, 2], format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"
    form = api(alice).put(f"/api/v1/listings/{listing.id}/sections/product/", "lock_version=1",
                          content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415 and form.json()["error"]["code"] == "unsupported_media_type"


def test_sections_of_another_kind_do_not_exist(api, listing, alice):
    for name in ("hyperparameters", "training", "nonsense"):
        response = api(alice).get(f"/api/v1/listings/{listing.id}/sections/{name}/")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_listing_in_review_cannot_be_edited(api, alice, team_a):
    client = api(alice)
    listing = fill_listing(client, team_a, complete_snapshot("model_package"))
    validated_and_submitted(client, listing["id"])
    seen = _product(client, listing["id"])
    response = put_section(client, listing["id"], "product", {"product": seen["product"]}, seen["lock_version"])
    assert response.status_code == 400 and "waiting for review" in response.json()["error"]["message"]


# --------------------------------------------------------------------------------------------------- create
def test_create_checks_the_title_with_the_web_forms_rules(api, alice, team_a):
    response = api(alice).post("/api/v1/listings/", {"team": str(team_a.id), "kind": "model_package",
                                                     "title": "t" * 73, "short_description": "Fine."}, format="json")
    assert response.status_code == 400
    assert [p["code"] for p in response.json()["error"]["fields"]["product.title"]] == ["listing.E002"]
    assert "72" in response.json()["error"]["fields"]["product.title"][0]["hint"]


def test_create_answers_with_the_listing_and_its_sections(api, alice, team_a):
    response = api(alice).post("/api/v1/listings/", {"team": str(team_a.id), "kind": "algorithm",
                                                     "title": "Boost", "short_description": "Trains trees."},
                               format="json")
    assert response.status_code == 201
    body = response.json()
    assert response["Location"] == body["links"]["self"]
    assert body["status"] == "draft" and body["kind"] == "algorithm" and body["can_edit"] is True
    assert list(body["sections"]) == ["product", "version", "instance_types", "endpoint", "hyperparameters",
                                      "training", "pricing", "legal", "aws"]
    assert body["snapshot"]["product"]["title"] == "Boost"
    listed = api(alice).get("/api/v1/listings/").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]


def test_create_in_another_team_is_as_if_the_team_did_not_exist(api, alice, charlie, team_b):
    response = api(alice).post("/api/v1/listings/", {"team": str(team_b.id), "kind": "model_package",
                                                     "title": "Mine now"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["team"][0]["code"] == "does_not_exist"


def test_create_needs_a_known_kind(api, alice, team_a):
    response = api(alice).post("/api/v1/listings/", {"team": str(team_a.id), "kind": "dataset", "title": "X"},
                               format="json")
    assert response.status_code == 400 and response.json()["error"]["fields"]["kind"][0]["code"] == "invalid_choice"


def test_listing_filters(api, alice, listing):
    client = api(alice)
    assert client.get("/api/v1/listings/", {"status": "draft"}).json()["count"] == 1
    assert client.get("/api/v1/listings/", {"status": "approved"}).json()["count"] == 0
    assert client.get("/api/v1/listings/", {"kind": "algorithm"}).json()["count"] == 0
    assert client.get("/api/v1/listings/", {"team": str(listing.team_id)}).json()["count"] == 1
    bad = client.get("/api/v1/listings/", {"status": "lost"})
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]
    page = client.get("/api/v1/listings/", {"limit": 1, "offset": 0}).json()
    assert set(page) == {"count", "next", "previous", "results"}
