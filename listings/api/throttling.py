"""Rate limits for the API (DRF throttles), with defaults that hold until settings name their own.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` when set there (read on every request, so a
settings change needs no code change); otherwise from ``DEFAULT_RATES``. Scopes:

- ``anon`` — per client address, for the few endpoints open without a login (schema, docs);
- ``user`` — per user, every endpoint;
- ``validation`` and ``export`` — per user, starting runs and exports, which queue work for the workers.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

DEFAULT_RATES = {"anon": "50/hour", "user": "1000/hour", "validation": "120/hour", "export": "60/hour"}


class _RateFromSettings:
    scope: str | None

    def get_rate(self):
        configured = (api_settings.DEFAULT_THROTTLE_RATES or {}).get(self.scope)
        return configured or DEFAULT_RATES.get(self.scope)


class AnonThrottle(_RateFromSettings, AnonRateThrottle):
    pass


class UserThrottle(_RateFromSettings, UserRateThrottle):
    pass


class ActionThrottle(_RateFromSettings, ScopedRateThrottle):
    """Views that queue work name a ``throttle_scope``; views without one are not limited by it."""


API_THROTTLES = [AnonThrottle, UserThrottle, ActionThrottle]
