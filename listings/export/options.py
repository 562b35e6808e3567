"""What the seller chose for one export (stored in ``SubmissionBundle.options``).

Only the reference choice changes the bundle's bytes (a referenced file is listed in the manifest instead of
embedded); the S3 upload and the API dry run act on the finished zip. No credential is ever part of the options:
the worker uploads and calls with its own AWS identity (instance role or environment), and only the bucket
and prefix the seller names are stored.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from listings.export import config

__all__ = ["ExportOptions", "parse_s3_uri"]

# S3 bucket naming rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_KEY_PREFIX = re.compile(r"^[\w!\-.*'()/ =+@,:]*$")


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/prefix/`` → ``("bucket", "prefix")``; ``ValueError`` with the reason otherwise."""
    uri = (uri or "").strip()
    if not uri.startswith("s3://"):
        raise ValueError("Write it as s3://bucket/prefix.")
    bucket, _, prefix = uri[5:].partition("/")
    if not _BUCKET.match(bucket) or ".." in bucket or bucket.startswith("xn--"):
        raise ValueError(f"“{bucket}” is not an S3 bucket name (3–63 lower-case letters, digits, dots, hyphens).")
    try:
        ipaddress.ip_address(bucket)
    except ValueError:
        pass
    else:
        raise ValueError("An S3 bucket name cannot be an IP address.")
    prefix = prefix.strip("/")
    if len(prefix) > 900 or not _KEY_PREFIX.match(prefix) or any(p in ("", ".", "..") for p in prefix.split("/") if prefix):
        raise ValueError("The prefix may use letters, digits and ! - _ . * ' ( ) / = + @ , : only, without empty, "
                         "“.” or “..” parts.")
    return bucket, prefix


@dataclass(frozen=True)
class ExportOptions:
    reference_large_files: bool = False
    reference_min_bytes: int = field(default_factory=config.reference_min_bytes)
    reference_prefix: str = ""  # s3://bucket/prefix where the seller keeps the large files
    upload_to: str = ""  # s3://bucket/prefix: a copy of the zip goes there
    dry_run: bool = False

    @classmethod
    def from_dict(cls, data: Any) -> ExportOptions:
        data = data if isinstance(data, dict) else {}
        default = cls()
        try:
            min_bytes = int(data.get("reference_min_bytes", default.reference_min_bytes))
        except (TypeError, ValueError):
            min_bytes = default.reference_min_bytes
        return cls(
            reference_large_files=data.get("reference_large_files") is True,
            reference_min_bytes=max(1, min_bytes),
            reference_prefix=str(data.get("reference_prefix") or ""),
            upload_to=str(data.get("upload_to") or ""),
            dry_run=data.get("dry_run") is True,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def references(self, size: int) -> bool:
        return self.reference_large_files and size >= self.reference_min_bytes

    def bytes_affecting(self) -> dict[str, Any]:
        """The part that goes into the manifest: two exports with the same of these are byte-identical."""
        if not self.reference_large_files:
            return {"reference_large_files": False}
        return {"reference_large_files": True, "reference_min_bytes": self.reference_min_bytes,
                "reference_prefix": self.reference_prefix.rstrip("/")}
