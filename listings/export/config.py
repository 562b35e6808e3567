"""The export's settings, as the export reads them. Defaults and environment variables live once, in
``marketplace_prep/settings.py`` ("Export"); tests override them with ``settings`` fixtures."""

from __future__ import annotations

from django.conf import settings

MiB = 1024 * 1024


def endpoint_url() -> str | None:
    """``AWS_ENDPOINT_URL``: where the hand-off's AWS calls go instead of AWS (a sandbox such as moto or
    LocalStack). It is botocore's own variable name, so the CLI and SDKs pointed at the same sandbox agree.
    ``None`` means AWS itself, which only the S3 upload may use; the API dry run refuses to run without it."""
    return settings.AWS_ENDPOINT_URL or None


def region() -> str:
    return settings.EXPORT_AWS_REGION or settings.AWS_S3_REGION_NAME or "us-east-1"


def reference_min_bytes() -> int:
    """Files at least this large may be referenced (S3 URI + sha256) instead of embedded, when chosen."""
    return int(settings.EXPORT_REFERENCE_MIN_BYTES)


def presigned_seconds() -> int:
    """Lifetime of the presigned link to the copy in the seller's bucket (made per click, never stored)."""
    return int(settings.EXPORT_PRESIGNED_SECONDS)


def multipart_chunk_bytes() -> int:
    """Part size of the multipart upload to the seller's bucket (S3's minimum part is 5 MiB)."""
    return max(5 * MiB, int(settings.EXPORT_MULTIPART_CHUNK_BYTES))


def heartbeat_seconds() -> float:
    """How often a running export writes its progress and heartbeat (the stale-job sweep reads it)."""
    return float(settings.EXPORT_HEARTBEAT_SECONDS)


def dry_run_available() -> bool:
    return endpoint_url() is not None
