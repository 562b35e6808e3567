"""Schemathesis against the served OpenAPI schema: every operation, bounded examples, no server errors.

In-process WSGI (``schemathesis.openapi.from_wsgi``): the app on the test database, alice's token on every
request. Path parameters name real objects (a draft listing with artifacts, an upload, a run, an approved
version, a built bundle) so the fuzzed bodies and queries reach the code behind the 404s, plus a few with
generated ids. Each example runs in a savepoint that is rolled back, so a DELETE does not starve the rest.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

from listings.api import throttling
from listings.models import ListingSection
from tests.api.conftest import start_upload
from tests.helpers import submitted_version
from tests.listing_builder import complete_listing

pytestmark = pytest.mark.django_db

# (generation mode, variant, examples per operation): about 30 operations, 450 requests.
PLAN = (
    (GenerationMode.POSITIVE, "draft", 6),
    (GenerationMode.POSITIVE, "exported", 2),
    (GenerationMode.POSITIVE, "review", 2),
    (GenerationMode.NEGATIVE, "draft", 4),
    (GenerationMode.POSITIVE, "generated", 1),  # generated ids: the 404 paths
)
# FUZZ_SCALE=10 multiplies the examples for a longer hunt by hand.
SCALE = max(1, int(os.environ.get("FUZZ_SCALE", "1")))
# What bounds the run: at most this many examples, so requests, per operation (max_examples below).
EXAMPLES_PER_OPERATION = sum(examples for _, _, examples in PLAN) * SCALE


@pytest.fixture
def variants(exported, api, alice, rita, team_a) -> dict[str, dict]:
    """Who asks about what. ``draft``: alice's draft listing with its artifacts and an open upload; ``exported``:
    her approved, exported listing with its run, version and bundle; ``review``: rita (a reviewer) on a version
    waiting for review; ``generated``: alice, with every id left to schemathesis. ``body`` values replace what
    was generated where the body has the key (the team to create in), and a section's current lock version."""
    token = lambda user: Token.objects.get_or_create(user=user)[0].key  # noqa: E731
    draft = complete_listing(team_a, alice)
    upload = start_upload(api(alice), draft.id, kind="sample_data", name="more.csv", size=10, tags={
        "mode": "batch", "direction": "input", "content_type": "text/csv"}).json()
    assert "id" in upload, upload
    waiting = submitted_version(complete_listing(team_a, alice, kind="algorithm"), alice)
    common = {"run_id": exported["run"], "version_id": exported["version"], "bundle_id": exported["bundle"],
              "upload_id": upload["id"]}
    lock = lambda listing_id, name: ListingSection.objects.get(listing_id=listing_id, name=name).lock_version  # noqa
    return {
        "draft": {"token": token(alice), "ids": {**common, "listing_id": str(draft.id), "name": "pricing",
                                                  "artifact_id": str(draft.artifacts.first().id)},
                  "body": {"team": str(team_a.id), "lock_version": lock(draft.id, "pricing")}},
        "exported": {"token": token(alice), "ids": {**common, "listing_id": exported["listing"], "name": "product"},
                     "body": {"team": str(team_a.id), "lock_version": lock(exported["listing"], "product")}},
        "review": {"token": token(rita), "ids": {**common, "version_id": str(waiting.id),
                                                 "listing_id": str(waiting.listing_id)}, "body": {}},
        "generated": {"token": token(alice), "ids": None, "body": {}},
    }


@pytest.fixture
def wsgi_app(monkeypatch, variants):
    """Django's WSGI handler as the test client sees it: no connection closing between requests (the test's
    transaction lives on that connection) and no rate limits (hundreds of requests in a minute). After
    ``variants``: Django's test client, used there, connects the signal again after each of its requests."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    monkeypatch.setattr(throttling._RateFromSettings, "allow_request", lambda self, request, view: True,
                        raising=False)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_no_operation_answers_with_a_server_error(wsgi_app, variants):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30, [op.label for op in operations]

    errors: list[str] = []
    unsatisfiable: list[str] = []
    sent = {"count": 0}
    statuses: dict[str, set[int]] = {}

    def exercise(operation, mode, variant, examples):
        names = {p.name for p in operation.path_parameters}
        given_ids = variants[variant]["ids"]
        fixed = {k: v for k, v in given_ids.items() if k in names} if given_ids else None
        headers = {"Authorization": f"Token {variants[variant]['token']}"}
        replace = variants[variant]["body"] if mode == GenerationMode.POSITIVE else {}
        always = {"lock_version"} if "/sections/" in operation.path else set()  # an open object in the schema

        @settings(max_examples=examples * SCALE, deadline=None, database=None, derandomize=SCALE == 1, print_blob=False,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(mode, path_parameters=fixed))
        def run(case):
            if isinstance(case.body, dict):
                case.body.update({k: v for k, v in replace.items() if k in case.body or k in always})
            with transaction.atomic():
                response = case.call(headers=headers)
                sent["count"] += 1
                statuses.setdefault(operation.label, set()).add(response.status_code)
                try:
                    case.validate_response(response, checks=[not_a_server_error], headers=headers)
                except (AssertionError, FailureGroup) as exc:
                    text = response.text[:600].replace("\n", " ")
                    errors.append(f"{operation.label} [{mode} {variant}] → "
                                  f"{response.status_code}\n  {case.as_curl_command(headers=headers)}\n  {text}\n"
                                  f"  {str(exc)[:300]}")
                transaction.set_rollback(True)

        try:
            run()
        except Unsatisfiable:  # nothing to break in negative mode: only fixed path parameters, no body or query
            unsatisfiable.append(f"{operation.label} [{mode} {variant}]")

    for operation in operations:
        for mode, variant, examples in PLAN:
            exercise(operation, mode, variant, examples)

    assert not errors, f"{len(errors)} server error(s):\n" + "\n".join(dict.fromkeys(errors))
    assert len(operations) * 5 <= sent["count"] <= len(operations) * EXAMPLES_PER_OPERATION, sent
    # The real ids make most operations succeed at least once (not only 400/404): the fuzzing reached the code.
    succeeded = [label for label, codes in statuses.items() if any(200 <= c < 300 for c in codes)]
    assert len(succeeded) >= 0.75 * len(operations), statuses
    assert not [u for u in unsatisfiable if "positive" in u], unsatisfiable



@pytest.mark.parametrize("query", ["limit=27068957024347363124409532416", "limit=5&offset=99999999999999999999999",
                                   "limit=-3&offset=-7", "limit=abc"])
def test_pagination_survives_absurd_limits(api, alice, team_a, query):
    """Found by the run above: a limit past PostgreSQL's bigint went into SQL's LIMIT (500)."""
    complete_listing(team_a, alice)
    response = api(alice).get(f"/api/v1/listings/?{query}")
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) <= 500


def test_a_bundle_whose_file_is_gone_is_a_404_not_a_500(api, alice, exported):
    """Found by the run above (an export folder emptied under a running server)."""
    from listings.models import SubmissionBundle
    from listings.storage import export_storage

    bundle = SubmissionBundle.objects.get(pk=exported["bundle"])
    export_storage().delete(bundle.storage_key)
    response = api(alice).get(f"/api/v1/bundles/{bundle.pk}/download/")
    assert response.status_code == 404, response.content
    assert "export the version again" in response.json()["error"]["message"]
