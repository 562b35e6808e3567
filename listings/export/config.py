"""The export's settings, read in one place with the defaults that run on a laptop.

``marketplace_prep/settings.py`` is the one env-driven settings module; until it defines these names, the
defaults below apply (each line there would read ``env.int(...)`` / ``env.str(...)`` with the same default).
"""

from __future__ import annotations

from django.conf import settings

MiB = 1024 * 1024


def endpoint_url() -> str | None:
    """``AWS_ENDPOINT_URL``: where the hand-off's AWS calls go instead of AWS (a sandbox such as moto or
    LocalStack). It is botocore's own variable name, so the CLI and SDKs pointed at the same sandbox agree.
    ``None`` means AWS itself, which only the S3 upload may use; the API dry run refuses to run without it."""
    return getattr(settings, "AWS_ENDPOINT_URL", None) or None


def region() -> str:
    return getattr(settings, "EXPORT_AWS_REGION", "") or getattr(settings, "AWS_S3_REGION_NAME", "") or "us-east-1"


def reference_min_bytes() -> int:
    """Files at least this large may be referenced (S3 URI + sha256) instead of embedded, when chosen."""
    return int(getattr(settings, "EXPORT_REFERENCE_MIN_BYTES", 100 * MiB))


def presigned_seconds() -> int:
    """Lifetime of the presigned link to the copy in the seller's bucket (made per click, never stored)."""
    return int(getattr(settings, "EXPORT_PRESIGNED_SECONDS", 15 * 60))


def multipart_chunk_bytes() -> int:
    """Part size of the multipart upload to the seller's bucket (S3's minimum part is 5 MiB)."""
    return max(5 * MiB, int(getattr(settings, "EXPORT_MULTIPART_CHUNK_BYTES", 16 * MiB)))


def heartbeat_seconds() -> float:
    """How often a running export writes its progress and heartbeat (the stale-job sweep reads it)."""
    return float(getattr(settings, "EXPORT_HEARTBEAT_SECONDS", 5.0))


def dry_run_available() -> bool:
    return endpoint_url() is not None
