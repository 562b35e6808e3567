"""The one way to reach stored bytes (STYLE.md 9; Read the Docs ``storage/__init__.py``).

Artifacts live in the ``artifacts`` storage under their sha256, so the same bytes are stored once and a
stored file can always be checked against its name. Bundles live in the ``exports`` storage. Both are a
local folder by default and a private S3 prefix when ``AWS_STORAGE_BUCKET_NAME`` is set.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import BinaryIO

from django.core.files import File
from django.core.files.storage import Storage, storages

CHUNK = 1024 * 1024
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def artifact_storage() -> Storage:
    return storages["artifacts"]


def export_storage() -> Storage:
    return storages["exports"]


def key_for_digest(sha256: str) -> str:
    if not _DIGEST.match(sha256):
        raise ValueError("not a sha256 hex digest")
    return f"sha256/{sha256[:2]}/{sha256}"


def iter_chunks(stream: BinaryIO, size: int = CHUNK) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk


def sha256_of(stream: BinaryIO) -> tuple[str, int]:
    digest, total = hashlib.sha256(), 0
    for chunk in iter_chunks(stream):
        digest.update(chunk)
        total += len(chunk)
    return digest.hexdigest(), total


def store_blob(stream: BinaryIO, *, sha256: str) -> str:
    """Store bytes under their digest unless they are already there; returns the storage key."""
    storage = artifact_storage()
    key = key_for_digest(sha256)
    if not storage.exists(key):
        stream.seek(0)
        saved = storage.save(key, File(stream))
        if saved != key:  # a concurrent upload of the same bytes won the race; keep one copy
            storage.delete(saved)
    return key


def open_blob(sha256: str) -> BinaryIO:
    return artifact_storage().open(key_for_digest(sha256), "rb")
