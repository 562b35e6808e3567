"""Seeds the page-load bench database: 10,000 listings across 50 teams, 200,000 findings over their runs,
versions in review, bundles and audit events (DESIGN.md "Non-functional targets": pages).

Idempotent: a ``bench.seeded`` audit event records the parameters; a second call with the same ones does
nothing, different ones (or ``--reseed``) empty the bench tables and seed again. Only a database whose name
contains "bench" is ever seeded (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/marketplace_prep_bench``); it is created and migrated when missing.

    python bench/seed_load.py                         # 10,000 listings, 200,000 findings (~1-2 min)
    python bench/seed_load.py --listings 1000 --findings 20000
    python bench/seed_load.py --reseed

What it makes (shares are of listings): 45 % drafts, 15 % submitted (a version waiting in the review
queue), 10 % changes requested, 30 % approved (a version, a third of them with an earlier one sent back,
and a finished export bundle). Every listing has its sections filled from tests/fixtures/listings, six
artifacts (notebook, logo, samples — the same bytes, stored once: content addressing), a latest run and,
for half of them, an earlier run; findings are split 2:1 between latest and earlier runs. Dates spread over
120 days, so the dashboard's 30-day window sees about a quarter of the activity. Users: ``bench-seller``
(owner of team 00, ~200 listings), ``bench-reviewer`` (reviewers group), ``bench-admin`` (superuser), and
one owner per team. Passwords are unusable: the benches log in by creating sessions directly.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import (REPO, bench_db_url, bench_var_dir, ensure_database, migrate,  # noqa: E402
                           refuse_non_bench, setup_django)

SEED_VERSION = 2
FIXTURES = REPO / "tests" / "fixtures"
BATCH = 5000
KEEP_TABLES = {"django_migrations", "django_content_type", "auth_permission"}


def _params(args) -> dict:
    return {"listings": args.listings, "teams": args.teams, "findings": args.findings, "seed_version": SEED_VERSION}


def _already_seeded(params: dict) -> bool:
    from listings.models import Listing, ListingEvent
    from validation.models import Finding

    marker = ListingEvent.objects.filter(type="bench.seeded").order_by("-created_at").first()
    return bool(marker and marker.data == params and Listing.objects.count() == params["listings"]
                and Finding.objects.count() == params["findings"])


def _empty_tables() -> None:
    from django.db import connection

    tables = [t for t in connection.introspection.django_table_names(only_existing=True) if t not in KEEP_TABLES]
    with connection.cursor() as cur:
        cur.execute("TRUNCATE {} RESTART IDENTITY CASCADE".format(", ".join(connection.ops.quote_name(t)
                                                                              for t in tables)))


def _store_fixture_blobs() -> dict[str, tuple[str, int, bytes]]:
    """The artifact bytes every seeded listing points at, stored once (content-addressed)."""
    from listings.storage import sha256_of, store_blob

    files = {
        "notebook_mp": (FIXTURES / "notebooks" / "model_package_template.ipynb").read_bytes(),
        "notebook_alg": (FIXTURES / "notebooks" / "algorithm_template.ipynb").read_bytes(),
        "logo": (FIXTURES / "logos" / "logo_transparent.png").read_bytes(),
        "csv": (FIXTURES / "data" / "realtime_input.csv").read_bytes(),
        "json_in": b'{"instances": [[5.1, 3.5, 1.4, 0.2]]}\n',
        "json_out": (FIXTURES / "data" / "realtime_output.json").read_bytes(),
    }
    out = {}
    for name, content in files.items():
        sha, size = sha256_of(io.BytesIO(content))
        store_blob(io.BytesIO(content), sha256=sha)
        out[name] = (sha, size, content)
    return out


_WORDS_A = ["Sentiment", "Fraud", "Churn", "Object", "Speech", "Anomaly", "Demand", "Document", "Image", "Entity"]
_WORDS_B = ["Classifier", "Detector", "Forecaster", "Ranker", "Extractor", "Segmenter", "Scorer", "Tagger"]
_LOCATIONS = {
    "listing": ["field:product.title", "field:product.short_description", "field:pricing.dimensions",
                "field:instance_types.realtime", "field:endpoint.input_content_types", "field:legal.eula_url",
                "field:aws.model_package_arn", "field:version.release_notes"],
    "notebook": [f"cell:{i}" for i in (1, 3, 7, 12, 18)],
    "data": ["file:data/input/real-time/input.csv row 3 column 2", "file:data/output/batch/batch.out.json"],
    "logo": ["file:listing/logo.png"],
    "docs": ["field:product.usage_instructions"],
}


def seed(params: dict, log=print) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from listings.models import (Artifact, Listing, ListingEvent, ListingSection, ListingVersion, Membership,
                                 SubmissionBundle, Team)
    from listings.permissions import REVIEWERS_GROUP
    from listings.sections import sections_for
    from validation.models import Finding, ValidationRun
    from validation.rules import CATALOG

    rng = random.Random(20240509)
    now = timezone.now()
    n, n_teams, n_findings = params["listings"], params["teams"], params["findings"]
    t0 = time.perf_counter()
    blobs = _store_fixture_blobs()
    snapshots = {k: json.loads((FIXTURES / "listings" / f"{k}.json").read_text())
                 for k in ("model_package", "algorithm")}
    section_specs = {k: sections_for(k) for k in snapshots}
    rules = [r for r in CATALOG.values() if r.code.split(".")[0] in _LOCATIONS]
    unusable = make_password(None)
    User = get_user_model()

    with transaction.atomic():
        owners = User.objects.bulk_create(
            User(username=f"bench-owner-{t:02d}", email=f"owner{t:02d}@bench.invalid", password=unusable)
            for t in range(n_teams))
        seller = User.objects.create(username="bench-seller", email="seller@bench.invalid", password=unusable)
        reviewer = User.objects.create(username="bench-reviewer", email="reviewer@bench.invalid", password=unusable)
        reviewer.groups.add(Group.objects.get_or_create(name=REVIEWERS_GROUP)[0])
        User.objects.create(username="bench-admin", email="admin@bench.invalid", password=unusable,
                            is_staff=True, is_superuser=True)
        teams = Team.objects.bulk_create(Team(name=f"bench-team-{t:02d}", created_at=now - timedelta(days=200))
                                         for t in range(n_teams))
        Membership.objects.bulk_create([Membership(team=t, user=o, role="owner") for t, o in zip(teams, owners)]
                                       + [Membership(team=teams[0], user=seller, role="owner")])

        # Listings and their states -------------------------------------------------------------------
        listings, plan = [], []
        for i in range(n):
            kind = "algorithm" if i % 5 == 0 else "model_package"
            roll = rng.random()
            status = ("draft" if roll < 0.45 else "submitted" if roll < 0.60 else
                      "changes_requested" if roll < 0.70 else "approved")
            created = now - timedelta(days=rng.uniform(1, 120))
            updated = created + (now - created) * rng.random()
            team = teams[i % n_teams]
            listings.append(Listing(team=team, kind=kind, status=status, title=f"{rng.choice(_WORDS_A)} "
                                    f"{rng.choice(_WORDS_B)} {i:05d}", created_by=owners[i % n_teams],
                                    created_at=created, updated_at=updated, lock_version=rng.randint(1, 40)))
            plan.append({"older_run": i % 2 == 0, "owner": owners[i % n_teams]})
        Listing.objects.bulk_create(listings, batch_size=BATCH)
        log(f"  listings: {n} ({time.perf_counter() - t0:.1f} s)")

        sections = []
        for listing in listings:
            snap = snapshots[listing.kind]
            for spec in section_specs[listing.kind]:
                data = {key: snap[key] for key in spec.keys}
                if spec.name == "product":
                    data = {"product": {**snap["product"], "title": listing.title}}
                sections.append(ListingSection(listing=listing, name=spec.name, data=data,
                                               updated_at=listing.updated_at))
        ListingSection.objects.bulk_create(sections, batch_size=BATCH)
        del sections
        log(f"  sections ({time.perf_counter() - t0:.1f} s)")

        artifacts = []
        for listing in listings:
            nb = blobs["notebook_mp" if listing.kind == "model_package" else "notebook_alg"]
            rows = [("notebook", nb, "sample.ipynb", "application/x-ipynb+json", {}),
                    ("logo", blobs["logo"], "logo.png", "image/png", {})]
            for mode in ("realtime", "batch"):
                rows += [("sample_data", blobs["csv"], f"{mode}-input.csv", "text/csv",
                          {"mode": mode, "direction": "input", "content_type": "text/csv"}),
                         ("sample_data", blobs["json_out"], f"{mode}-output.json", "application/json",
                          {"mode": mode, "direction": "output", "content_type": "application/json"})]
            for kind, (sha, size, _), name, ctype, tags in rows:
                artifacts.append(Artifact(listing=listing, kind=kind, sha256=sha, size=size, original_name=name,
                                          content_type=ctype, tags=tags, uploaded_by=listing.created_by,
                                          created_at=listing.created_at))
        Artifact.objects.bulk_create(artifacts, batch_size=BATCH)
        del artifacts
        log(f"  artifacts ({time.perf_counter() - t0:.1f} s)")

        # Runs and findings: latest runs get two shares of findings, earlier runs one ------------------
        runs, latest_run = [], {}
        for listing, p in zip(listings, plan):
            stamps = [listing.updated_at - timedelta(minutes=5)]
            if p["older_run"]:
                stamps.insert(0, listing.created_at + (listing.updated_at - listing.created_at) * 0.3)
            for k, created in enumerate(stamps):
                # A run that stopped on an error (1%) never leads to a version: submitting needs a finished run.
                errored = rng.random() < 0.01 and (listing.status == "draft" or k < len(stamps) - 1)
                run = ValidationRun(
                    listing=listing, content_hash=hashlib.sha256(f"{listing.id}{k}".encode()).hexdigest(),
                    policy="strict", status="failed" if errored else "succeeded", progress=100,
                    created_at=created, started_at=created + timedelta(seconds=0.4),
                    finished_at=created + timedelta(seconds=rng.uniform(1.5, 4.0)),
                    heartbeat_at=created + timedelta(seconds=1), checks_total=21, checks_done=21,
                    error="Stopped by the bench seed." if errored else "", created_by=p["owner"])
                run._latest = k == len(stamps) - 1
                runs.append(run)
            latest_run[listing.id] = run
        weights = [2 if r._latest else 1 for r in runs]
        unit, findings_left = n_findings / sum(weights), n_findings
        counts = []
        for w in weights:
            c = min(findings_left, round(w * unit))
            counts.append(c)
            findings_left -= c
        counts[-1] += findings_left  # rounding: the total is exact
        for run, count in zip(runs, counts):
            run._findings = []
            for pos in range(count):
                rule = rules[rng.randrange(len(rules))]
                roll = rng.random()
                outcome = "passed" if roll < 0.6 else "failed" if roll < 0.85 else "not_run"
                area = rule.code.split(".")[0]
                run._findings.append(Finding(
                    run=run, check_name=f"{area}.bench", code=rule.code, severity=str(rule.severity),
                    outcome=outcome, position=pos, source=rule.source[:16],
                    message=(f"{rule.title}." if outcome != "not_run" else "Not run: no container image is attached."),
                    hint=rule.hint[:500] if outcome == "failed" else "",
                    location=rng.choice(_LOCATIONS[area])))
            blocking = any(f.outcome == "failed" and f.severity == "error" for f in run._findings)
            if run.status == "succeeded":
                run.verdict = "failed" if blocking else "passed"
            run.summary = {"passed": sum(f.outcome == "passed" for f in run._findings),
                           "not_run": sum(f.outcome == "not_run" for f in run._findings),
                           "failed_error": sum(f.outcome == "failed" and f.severity == "error" for f in run._findings)}
        ValidationRun.objects.bulk_create(runs, batch_size=BATCH)
        log(f"  runs: {len(runs)} ({time.perf_counter() - t0:.1f} s)")
        batch: list = []
        for run in runs:
            batch.extend(run._findings)
            if len(batch) >= BATCH:
                Finding.objects.bulk_create(batch)
                batch = []
        Finding.objects.bulk_create(batch)
        log(f"  findings: {n_findings} ({time.perf_counter() - t0:.1f} s)")

        # Versions, bundles, events -------------------------------------------------------------------
        versions, bundles, events = [], [], []
        for listing, p in zip(listings, plan):
            actor, email = p["owner"], p["owner"].email
            events.append(ListingEvent(listing=listing, type="listing.created", actor=actor, actor_email=email,
                                       created_at=listing.created_at, data={"kind": listing.kind}))
            run = latest_run[listing.id]
            events.append(ListingEvent(listing=listing, type="validation.queued", actor=actor, actor_email=email,
                                       created_at=run.created_at, data={"run": str(run.id), "trigger": "requested"}))
            events.append(ListingEvent(listing=listing, type=f"validation.{run.verdict or 'errored'}",
                                       created_at=run.finished_at, data={"run": str(run.id), "summary": run.summary}))
            if listing.status == "draft":
                continue
            snap = {**snapshots[listing.kind], "id": str(listing.id)}
            number = 1
            submitted_at = run.finished_at + timedelta(minutes=2)
            if listing.status == "approved" and rng.random() < 1 / 3:
                versions.append(ListingVersion(
                    listing=listing, number=1, snapshot=snap, content_hash=run.content_hash, status="changes_requested",
                    validation_run=run, created_by=actor, created_at=submitted_at - timedelta(days=2),
                    decided_by=reviewer, decided_at=submitted_at - timedelta(days=1),
                    decision_reason="Please state the latency on the recommended instance type."))
                number = 2
            status = {"submitted": "submitted", "changes_requested": "changes_requested",
                      "approved": "approved"}[listing.status]
            decided = status != "submitted"
            version = ListingVersion(
                listing=listing, number=number, snapshot=snap, content_hash=run.content_hash, status=status,
                validation_run=run, created_by=actor, created_at=submitted_at,
                decided_by=reviewer if decided else None,
                decided_at=submitted_at + timedelta(hours=rng.uniform(1, 60)) if decided else None,
                decision_reason="Missing the output format section." if status == "changes_requested" else "")
            versions.append(version)
            events.append(ListingEvent(listing=listing, type="listing.submitted", actor=actor, actor_email=email,
                                       created_at=submitted_at, data={"version": number}))
            if decided:
                events.append(ListingEvent(
                    listing=listing, type="review.approved" if status == "approved" else "review.changes_requested",
                    actor=reviewer, actor_email=reviewer.email, created_at=version.decided_at,
                    data={"version": number}))
            if status == "approved":
                done = version.decided_at + timedelta(minutes=3)
                bundle = SubmissionBundle(version=version, requested_by=actor, status="succeeded", progress=100,
                                          created_at=done - timedelta(seconds=20), started_at=done - timedelta(seconds=19),
                                          finished_at=done, sha256=hashlib.sha256(str(version.id).encode()).hexdigest(),
                                          size=rng.randint(50_000, 5_000_000))
                bundle.storage_key = f"bundles/{bundle.id}.zip"
                bundles.append(bundle)
                events.append(ListingEvent(listing=listing, type="export.succeeded", actor=actor, actor_email=email,
                                           created_at=done, data={"bundle": str(bundle.id)}))
        ListingVersion.objects.bulk_create(versions, batch_size=1000)
        SubmissionBundle.objects.bulk_create(bundles, batch_size=BATCH)
        ListingEvent.objects.bulk_create(events, batch_size=BATCH)
        ListingEvent.objects.bulk_create([ListingEvent(listing=None, type="bench.seeded", data=params)])
        log(f"  versions: {len(versions)}, bundles: {len(bundles)}, events: {len(events)} "
            f"({time.perf_counter() - t0:.1f} s)")

    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")  # planner statistics as a live database would have them
    log(f"  vacuum analyze ({time.perf_counter() - t0:.1f} s)")
    return {"listings": n, "runs": len(runs), "findings": n_findings, "versions": len(versions),
            "submitted": sum(v.status == "submitted" for v in versions), "bundles": len(bundles),
            "events": len(events), "seconds": round(time.perf_counter() - t0, 1)}


def ensure_seeded(listings: int = 10_000, teams: int = 50, findings: int = 200_000, *, reseed: bool = False,
                  db_url: str | None = None, log=print) -> dict:
    """Creates, migrates and seeds the bench database unless it already holds exactly this seed.
    Call it in a fresh process (it sets up Django against the bench database)."""
    db_url = db_url or bench_db_url()
    refuse_non_bench(db_url)
    var_dir = bench_var_dir("pages")
    if ensure_database(db_url):
        log(f"created database {db_url}")
    migrate(db_url, var_dir)
    setup_django(db_url, var_dir)
    params = {"listings": listings, "teams": teams, "findings": findings, "seed_version": SEED_VERSION}
    if not reseed and _already_seeded(params):
        log(f"bench database already seeded with {params}")
        return {**params, "seeded": False}
    log(f"seeding {db_url} with {params}")
    _empty_tables()
    return {**seed(params, log=log), "seeded": True}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listings", type=int, default=10_000)
    ap.add_argument("--teams", type=int, default=50)
    ap.add_argument("--findings", type=int, default=200_000)
    ap.add_argument("--reseed", action="store_true", help="empty the bench tables and seed again")
    ap.add_argument("--database-url", default=None, help="default: BENCH_DATABASE_URL or marketplace_prep_bench")
    args = ap.parse_args()
    result = ensure_seeded(args.listings, args.teams, args.findings, reseed=args.reseed, db_url=args.database_url)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
