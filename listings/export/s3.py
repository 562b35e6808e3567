"""Hand-off to the seller's own S3 bucket: a multipart upload of the finished zip, and short-lived links to it.

Credentials: none are asked for or stored. The worker uses its own AWS identity (its instance or task role, or
the environment), and the seller grants that identity ``s3:PutObject`` on the prefix they name; only the
bucket and prefix are kept. A presigned link embeds a signature (and, with a role, a session token), so links
are made on each click and never stored.

Memory is one part (``EXPORT_MULTIPART_CHUNK_BYTES``, 16 MiB by default) whatever the bundle's size. A failed
upload is aborted, so no half-uploaded parts stay billed in the seller's bucket.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from listings.export import config

log = logging.getLogger(__name__)

__all__ = ["presigned_link", "s3_client", "upload_bundle"]


def s3_client():
    # Path-style addressing works with every endpoint (moto, LocalStack, MinIO) and with buckets with dots.
    return boto3.client("s3", endpoint_url=config.endpoint_url(), region_name=config.region(),
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                      retries={"max_attempts": 5, "mode": "standard"}))


def object_key(prefix: str, filename: str) -> str:
    return f"{prefix.strip('/')}/{filename}" if prefix.strip("/") else filename


def upload_bundle(path: Path, *, bucket: str, key: str, sha256: str) -> dict[str, Any]:
    """Upload ``path`` in parts; returns what the page shows (never a link, never a credential)."""
    client = s3_client()
    chunk = config.multipart_chunk_bytes()
    upload = client.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/zip",
                                            Metadata={"sha256": sha256})
    upload_id = upload["UploadId"]
    parts: list[dict[str, Any]] = []
    try:
        with open(path, "rb") as fh:
            number = 1
            while True:
                data = fh.read(chunk)
                if not data and parts:
                    break
                answer = client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data)
                parts.append({"PartNumber": number, "ETag": answer["ETag"]})
                number += 1
                if len(data) < chunk:
                    break
        done = client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                                MultipartUpload={"Parts": parts})
    except BaseException:
        try:
            client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except Exception:  # the upload's own error matters more
            log.exception("could not abort the multipart upload to s3://%s/%s", bucket, key)
        raise
    return {"bucket": bucket, "key": key, "uri": f"s3://{bucket}/{key}", "etag": done.get("ETag", "").strip('"'),
            "parts": len(parts), "size": path.stat().st_size, "sha256": sha256}


def presigned_link(*, bucket: str, key: str, filename: str) -> str:
    from django.utils.http import content_disposition_header

    return s3_client().generate_presigned_url(
        "get_object",
        Params={"Bucket": bucket, "Key": key,
                "ResponseContentDisposition": content_disposition_header(True, filename)},
        ExpiresIn=config.presigned_seconds(),
    )
