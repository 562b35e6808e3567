"""No Docker engine runs here, so the production shape is checked as a document."""

from __future__ import annotations

from pathlib import Path

import yaml

from django.conf import settings

COMPOSE = yaml.safe_load((Path(__file__).resolve().parent.parent / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_every_service_of_the_design_is_there_with_a_health_check():
    assert set(SERVICES) == {"web", "worker", "container-worker", "beat", "postgres", "redis", "s3"}
    for name, service in SERVICES.items():
        assert "healthcheck" in service, name


def test_web_runs_gunicorn_with_whitenoise_static_files():
    command = SERVICES["web"]["command"]
    assert "gunicorn marketplace_prep.wsgi" in command and "collectstatic" in command
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE
    assert SERVICES["web"]["environment"]["STATICFILES_BACKEND"].startswith("whitenoise.")


def test_app_services_point_at_postgres_redis_and_s3_and_wait_for_them():
    for name in ("web", "worker", "container-worker", "beat"):
        env = SERVICES[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert env["AWS_S3_ENDPOINT_URL"] == "http://s3:9000" and env["AWS_STORAGE_BUCKET_NAME"]
        assert env["DEBUG"] == "false" and "SECRET_KEY_FILE" in env
        assert set(SERVICES[name]["depends_on"]) == {"postgres", "redis", "s3"}


def test_container_work_has_its_own_queue_and_only_it_is_privileged():
    assert "--queues=containers" in SERVICES["container-worker"]["command"]
    assert "containers" not in SERVICES["worker"]["command"].split("--queues=")[1]
    assert [n for n, s in SERVICES.items() if s.get("privileged")] == ["container-worker"]
    assert settings.CELERY_TASK_ROUTES["validation.tasks.run_container_validation"]["queue"] == "containers"


def test_stateful_services_keep_their_data_in_volumes():
    for name in ("postgres", "redis", "s3"):
        assert SERVICES[name]["volumes"], name
    assert "--appendonly yes" in SERVICES["redis"]["command"]
