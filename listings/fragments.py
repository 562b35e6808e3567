"""Rendered fragments kept in the cache under what they show.

A fragment's key is a hash of the template's source and of the values it is drawn from, so a cached
fragment is never stale: any change to a value, or to the template in a deploy, is a new key, and old keys
simply age out. Rows of a long table are fetched with one ``get_many`` and only the misses are rendered, which
is what keeps a page of 50 queue rows from paying Django's template engine 50 times on every view.

The values must be plain (their ``repr`` says everything the fragment shows) and the template must need
nothing from the request: fragments are rendered without context processors (no user, no CSRF token).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.core.cache import cache
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

FRAGMENT_SECONDS = 15 * 60  # only to let the cache forget fragments no page shows any more
KEY_PREFIX = "fragment:v1:"


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def render_each(template_name: str, contexts: Sequence[dict]) -> list[SafeString]:
    """``template_name`` rendered once per context, each from the cache when its values were shown before."""
    if not contexts:
        return []
    template = get_template(template_name)
    # The backend's Template wraps the engine's; its source is the file's text (a deploy that edits it changes
    # every key).
    prefix = f"{KEY_PREFIX}{template_name}:{_digest(template.template.source)}:"
    keys = [prefix + _digest(repr(sorted(ctx.items()))) for ctx in contexts]
    found = cache.get_many(keys)
    fresh = {}
    for key, ctx in zip(keys, contexts):
        if key not in found:
            found[key] = fresh[key] = template.render(ctx)
    if fresh:
        cache.set_many(fresh, FRAGMENT_SECONDS)
    return [mark_safe(found[key]) for key in keys]  # rendered by the template engine, which escaped every value
