"""The live operations panel: queue depths from the broker and the workers Celery's inspect API sees."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)
QUEUES = ("default", "validation", "containers", "exports")
# kombu's Redis transport keeps priority levels in separate lists: "<queue>", "<queue>\x06\x163", …
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def queue_depths() -> dict[str, int | None]:
    if settings.REDIS_URL:
        import redis

        try:
            client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
            return {q: sum(client.llen(q + suffix) for suffix in _PRIORITY_SUFFIXES) for q in QUEUES}
        except redis.RedisError as exc:
            log.warning("queue depths unavailable: %s", exc)
            return {q: None for q in QUEUES}
    folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
    names = [p.name for p in folder.glob("*.msg")]
    return {q: sum(1 for n in names if n.endswith(f".{q}.msg")) for q in QUEUES}


def workers(timeout: float = 1.0) -> list[dict]:
    """Workers that answered a ping within ``timeout``, with the tasks each is running."""
    from marketplace_prep.celery import app

    try:
        inspect = app.control.inspect(timeout=timeout)
        active = inspect.active() or {}
        queues = inspect.active_queues() or {}
    except Exception as exc:  # the broker is down or does not support remote control
        log.warning("celery inspect failed: %s", exc)
        return []
    return [
        {"name": name, "queues": sorted(q["name"] for q in queues.get(name, [])),
         "active": [{"name": t.get("name", ""), "id": t.get("id", ""), "args": t.get("args", [])} for t in tasks]}
        for name, tasks in sorted(active.items())
    ]
