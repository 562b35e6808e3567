"""Comments and waivers over the REST API: the page's rules, the API's error body."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from listings.models import Waiver
from tests.api.conftest import api  # noqa: F401  (fixture)
from tests.helpers import submitted_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(warning_listing, alice):
    return submitted_version(warning_listing, alice)


def test_a_reviewer_comments_and_the_seller_answers(api, submitted, rita, bob):  # noqa: F811
    base = f"/api/v1/versions/{submitted.id}"
    created = api(rita).post(f"{base}/comments/", {"anchor_kind": "field", "anchor": "product.title",
                                                   "body": "Too long."}, format="json")
    assert created.status_code == 201, created.json()
    thread = created.json()
    assert (thread["area"], thread["by_reviewer"], thread["author"]) == ("product", True, "rita@example.com")
    reply = api(bob).post(f"/api/v1/comments/{thread['id']}/replies/", {"body": "Fixed."}, format="json")
    assert reply.status_code == 201 and reply.json()["thread"] == thread["id"]
    resolved = api(rita).post(f"/api/v1/comments/{thread['id']}/resolve/", format="json")
    assert resolved.status_code == 200 and resolved.json()["resolved_by"] == "rita@example.com"
    threads = api(bob).get(f"{base}/comments/").json()
    assert [r["body"] for r in threads[0]["replies"]] == ["Fixed."]


def test_bad_anchors_and_empty_bodies_are_400(api, submitted, rita):  # noqa: F811
    base = f"/api/v1/versions/{submitted.id}/comments/"
    for body in ({"anchor_kind": "field", "anchor": "product.nope", "body": "x"}, {"body": ""},
                 {"anchor_kind": "elsewhere", "body": "x"}):
        response = api(rita).post(base, body, format="json")
        assert response.status_code == 400, body
        assert "error" in response.json()


def test_tenancy_and_roles(api, submitted, rita, charlie, vera):  # noqa: F811
    thread = api(rita).post(f"/api/v1/versions/{submitted.id}/comments/", {"body": "Hi"}, format="json").json()
    finding = submitted.validation_run.findings.get(code="listing.W007", outcome="failed")
    waiver = {"finding": finding.pk, "reason": "ok", "expires_at": (timezone.now() + timedelta(days=5)).isoformat()}
    routes = [("get", f"/api/v1/versions/{submitted.id}/comments/", None),
              ("post", f"/api/v1/versions/{submitted.id}/comments/", {"body": "x"}),
              ("get", f"/api/v1/versions/{submitted.id}/waivers/", None),
              ("post", f"/api/v1/versions/{submitted.id}/waivers/", waiver),
              ("post", f"/api/v1/comments/{thread['id']}/replies/", {"body": "x"}),
              ("post", f"/api/v1/comments/{thread['id']}/resolve/", {}),
              ("post", f"/api/v1/comments/{thread['id']}/reopen/", {})]
    for method, url, body in routes:
        response = getattr(api(charlie), method)(url, body, format="json")
        assert response.status_code == 404, url
        assert getattr(api(), method)(url, body, format="json").status_code == 401, url
    for method, url, body in routes:
        status = getattr(api(vera), method)(url, body, format="json").status_code
        expected = 200 if method == "get" else 404 if url.endswith("/waivers/") else 403
        assert status == expected, (url, status)


def test_a_reviewer_waives_a_warning_but_never_an_error(api, submitted, rita):  # noqa: F811
    base = f"/api/v1/versions/{submitted.id}/waivers/"
    expires = (timezone.now() + timedelta(days=30)).isoformat()
    error = submitted.validation_run.findings.filter(severity="error").first()
    refused = api(rita).post(base, {"finding": error.pk, "reason": "no", "expires_at": expires}, format="json")
    assert refused.status_code == 400 and "cannot be waived" in refused.json()["error"]["message"]
    warning = submitted.validation_run.findings.get(code="listing.W007", outcome="failed")
    granted = api(rita).post(base, {"finding": warning.pk, "reason": "Reads well.", "expires_at": expires},
                             format="json")
    assert granted.status_code == 201 and granted.json()["active"] is True
    assert Waiver.objects.get().code == "listing.W007"
    approved = api(rita).post(f"/api/v1/versions/{submitted.id}/approve/", format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"


def test_approval_over_the_api_waits_for_the_waiver(api, submitted, rita):  # noqa: F811
    response = api(rita).post(f"/api/v1/versions/{submitted.id}/approve/", format="json")
    assert response.status_code == 400 and "neither fixed nor waived" in response.json()["error"]["message"]
