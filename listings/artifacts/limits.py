"""How big an upload may be, and the guards that keep hostile files from costing memory or disk.

Where AWS (or our rules catalog) owns a number, it is read from the catalog — the logo's file size
(``logo.E003``), its formats (``logo.E002``), the largest notebook we check (``notebook.E002``) and the pixel
count we decode safely (``data.E012``) — so a limit lives in one place (STYLE.md 13). The remaining numbers
are our own defences, not AWS rules; each can be overridden in settings (``ARTIFACT_MAX_BYTES`` per kind,
``ARTIFACT_UPLOAD_GUARDS`` for the rest) so tests can use tiny limits and an operator can loosen them.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings

from listings.models import ArtifactKind

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

# Our defences (not AWS numbers). The gzip numbers match the container reader's (validation/container/limits.py).
DEFAULT_GUARDS: dict[str, Any] = {
    "chunk_bytes": 8 * MiB,  # what the browser sends per request of a resumable upload
    "max_chunk_bytes": 64 * MiB,  # the most one chunk request may carry
    "client_hash_max_bytes": 64 * MiB,  # the browser hashes files up to this size (SubtleCrypto needs it whole)
    "gzip_max_ratio": 100,  # model data may not expand past this many times its compressed size …
    "gzip_ratio_floor": 16 * MiB,  # … judged once this much came out (tiny archives compress well)
    "gzip_max_unpacked": 64 * GiB,  # … nor past this in total
    "tar_max_members": 100_000,
    "tar_max_header_ext": 1 * MiB,  # one pax header or GNU long name
    "logo_max_pixels": 4096 * 4096,  # refused before decoding; a logo AWS accepts is at most 640×640
    "session_ttl_seconds": 24 * 3600,  # an abandoned resumable upload (and its scratch file) is swept after this
}

_FALLBACK_BYTES = {
    ArtifactKind.NOTEBOOK: 50 * MiB,
    ArtifactKind.SAMPLE_DATA: 1 * GiB,
    ArtifactKind.LOGO: 5 * MiB,
    ArtifactKind.DOCUMENTATION: 100 * MiB,
}
_FALLBACK_LOGO_FORMATS = ("PNG", "JPEG", "GIF")
_FALLBACK_MAX_PIXELS = 89_478_485


def rule_limit(code: str, default: Any = None) -> Any:
    """A rule's limit from the catalog; also finds rules of an area module the catalog does not load yet."""
    try:
        from validation.rules import CATALOG

        if code in CATALOG:
            return CATALOG[code].limit
        area = code.split(".", 1)[0]
        for item in getattr(import_module(f"validation.rules.{area}"), "RULES", ()):
            if item.code == code:
                return item.limit
    except ImportError:
        pass
    return default


def guard(name: str) -> Any:
    return getattr(settings, "ARTIFACT_UPLOAD_GUARDS", {}).get(name, DEFAULT_GUARDS[name])


def max_bytes(kind: str) -> int:
    """The largest file of this kind we accept (never above ``MAX_UPLOAD_BYTES``)."""
    overrides = getattr(settings, "ARTIFACT_MAX_BYTES", {})
    if kind in overrides:
        limit = int(overrides[kind])
    elif kind == ArtifactKind.LOGO:
        limit = int(rule_limit("logo.E003", _FALLBACK_BYTES[kind]))
    elif kind == ArtifactKind.NOTEBOOK:
        limit = int(rule_limit("notebook.E002", _FALLBACK_BYTES[kind]))
    else:
        limit = _FALLBACK_BYTES.get(kind, settings.MAX_UPLOAD_BYTES)
    return min(limit, settings.MAX_UPLOAD_BYTES)


def largest_upload() -> int:
    return max(max_bytes(kind) for kind in ArtifactKind.values)


def logo_formats() -> tuple[str, ...]:
    return tuple(rule_limit("logo.E002", _FALLBACK_LOGO_FORMATS))


def logo_max_pixels() -> int:
    """Our logo guard, never above the catalog's "pixels we decode safely" (``data.E012``)."""
    return min(int(guard("logo_max_pixels")), int(rule_limit("data.E012", _FALLBACK_MAX_PIXELS)))


def human_size(size: int) -> str:
    """The size the way a seller reads it (binary units, as AWS writes "5 MB")."""
    for unit, step in (("GB", GiB), ("MB", MiB), ("KB", KiB)):
        if size >= step:
            value = size / step
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} byte{'' if size == 1 else 's'}"
