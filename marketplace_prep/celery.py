"""The Celery app. Tasks stay thin: they take ids and call a service (STYLE.md 6)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace_prep.settings")

app = Celery("marketplace_prep")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
