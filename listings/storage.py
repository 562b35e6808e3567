"""The one way to reach stored bytes (STYLE.md 9; Read the Docs ``storage/__init__.py``).

Artifacts live in the ``artifacts`` storage under their sha256, so the same bytes are stored once and a
stored file can always be checked against its name. Bundles live in the ``exports`` storage. Both are a
local folder by default and a private S3 prefix when ``AWS_STORAGE_BUCKET_NAME`` is set.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from django.core.files import File
from django.core.files.storage import Storage, storages
from django.utils.http import content_disposition_header

log = logging.getLogger(__name__)

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


def _save_once(storage: Storage, key: str, content: File, size: int | None) -> bool:
    """Save ``content`` at ``key``; True if this call wrote it. A failed write leaves no partial blob that a
    later upload of the same bytes would take for complete."""
    try:
        saved = storage.save(key, content)
    except BaseException:
        try:
            if size is not None and storage.exists(key) and storage.size(key) != size:
                storage.delete(key)
        except Exception:  # the original error matters more than the clean-up's
            log.exception("could not remove a partial blob at %s", key)
        raise
    if saved != key:  # a concurrent upload of the same bytes won the race; keep one copy
        storage.delete(saved)
        return False
    return True


def store_blob(stream: BinaryIO, *, sha256: str) -> str:
    """Store bytes under their digest unless they are already there; returns the storage key."""
    storage = artifact_storage()
    key = key_for_digest(sha256)
    if not storage.exists(key):
        stream.seek(0)
        _save_once(storage, key, File(stream), None)
    return key


class _ScratchFile(File):
    """A finished upload in scratch. ``temporary_file_path`` lets a local storage move it into place
    (a rename on the same disk: a 20 GB upload is not copied twice); S3 streams it in parts."""

    def __init__(self, path: Path):
        super().__init__(open(path, "rb"), name=path.name)
        self._path = path

    def temporary_file_path(self) -> str:
        return str(self._path)


def store_file(path: Path, *, sha256: str) -> tuple[str, bool]:
    """Store a scratch file under its digest unless those bytes are stored already.

    Returns the storage key and whether this call wrote it. The scratch file may be gone afterwards (moved).
    The caller vouches that ``sha256`` is the file's digest — it was computed while the bytes arrived.
    """
    storage = artifact_storage()
    key = key_for_digest(sha256)
    if storage.exists(key):
        return key, False
    size = path.stat().st_size
    content = _ScratchFile(path)
    try:
        return key, _save_once(storage, key, content, size)
    finally:
        content.close()


def blob_exists(sha256: str) -> bool:
    return artifact_storage().exists(key_for_digest(sha256))


def delete_blob(sha256: str) -> None:
    """Only ``listings.artifacts.services`` calls this, after checking no artifact or version needs the bytes."""
    artifact_storage().delete(key_for_digest(sha256))


def is_remote(storage: Storage) -> bool:
    return hasattr(storage, "bucket_name")


def blob_download_url(sha256: str, *, filename: str, content_type: str) -> str | None:
    """A short-lived presigned link that makes the browser save the file under its name (S3), or ``None``
    when the storage is a local folder and the app streams the bytes itself."""
    storage = artifact_storage()
    if not is_remote(storage):
        return None
    return storage.url(key_for_digest(sha256), parameters={
        "ResponseContentDisposition": content_disposition_header(True, filename),
        "ResponseContentType": content_type or "application/octet-stream",
    })


def open_blob(sha256: str) -> BinaryIO:
    """The stored bytes as a stream read front to back; ``FileNotFoundError`` when they are missing.

    From S3 this is the object's streaming body: django-storages' ``S3File`` would first download the whole
    object into a ``SpooledTemporaryFile``, and a multi-GB artifact would sit in memory or scratch space.
    """
    storage = artifact_storage()
    if not is_remote(storage):
        return storage.open(key_for_digest(sha256), "rb")
    from botocore.exceptions import ClientError
    from storages.utils import clean_name

    name = storage._normalize_name(clean_name(key_for_digest(sha256)))  # the key under the storage's location
    try:
        body = storage.bucket.Object(name).get()["Body"]
    except ClientError as exc:
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
            raise FileNotFoundError(name) from exc
        raise OSError(str(exc)) from exc
    return _StreamingBlob(body)


class _StreamingBlob:
    """botocore's StreamingBody as a context-managed binary reader (``read(-1)`` reads to the end)."""

    def __init__(self, body):
        self.body = body

    def read(self, n: int = -1) -> bytes:
        return self.body.read(None if n is None or n < 0 else n)

    def close(self) -> None:
        self.body.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def local_copy(sha256: str, scratch: Path) -> Path:
    """A local path to the blob for checks that read files: the stored file itself when storage is a local
    folder, else a streamed copy in ``scratch`` (removed by the caller with the scratch folder)."""
    storage = artifact_storage()
    if not is_remote(storage):
        return Path(storage.path(key_for_digest(sha256)))
    target = scratch / sha256
    if not target.exists():
        with open_blob(sha256) as source, target.open("wb") as out:
            for chunk in iter_chunks(source):
                out.write(chunk)
    return target
