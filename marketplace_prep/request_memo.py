"""Per-request memo: a lookup a page repeats (the user's role in a team, the review SLA) costs one query per
request, not one per template tag or helper that asks.

``RequestMemoMiddleware`` gives each request an empty dict (``request.memo``) and makes it the current one
for the code the request runs; ``memoized(key, compute)`` answers from it. Outside a request (services called
by tests, Celery tasks, management commands) nothing is memoized: every call computes, as before. The memo
lives exactly as long as the request, so a change made by one request is seen by the next.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_current: ContextVar[dict | None] = ContextVar("request_memo", default=None)


def memoized(key, compute: Callable[[], T]) -> T:
    memo = _current.get()
    if memo is None:
        return compute()
    try:
        return memo[key]
    except KeyError:
        value = memo[key] = compute()
        return value


def remember(key, value) -> None:
    """Memoizes ``value`` a request already has in hand (read along with something else)."""
    memo = _current.get()
    if memo is not None:
        memo[key] = value


def in_request() -> bool:
    return _current.get() is not None


class RequestMemoMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.memo = {}
        token = _current.set(request.memo)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
