"""Receiving bytes: scratch files under ``SCRATCH_ROOT/uploads``, hashed while they arrive.

Two ways in, one place on disk:
- a plain form post (``multipart/form-data``): ``ScratchUploadHandler`` replaces Django's handlers for that
  one view and writes the file part straight to a scratch file, computing sha256 and size on the way — the
  bytes never sit in memory and never touch ``/tmp``;
- a resumable upload: each chunk request's body is copied from the request stream onto the session's scratch
  file at the offset it claims (``append_chunk``).
Scratch paths are made from UUIDs only; the seller's file name is never part of a path.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopUpload

COPY_CHUNK = 1024 * 1024


def scratch_dir() -> Path:
    path = Path(settings.SCRATCH_ROOT) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def scratch_path(upload_id: uuid.UUID | str) -> Path:
    return scratch_dir() / f"{uuid.UUID(str(upload_id)).hex}.part"


def discard(path: Path | None) -> None:
    if path is not None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


@dataclass
class Received:
    """A complete file in scratch, ready to be inspected and stored."""

    path: Path
    size: int
    name: str  # as the client sent it (sanitised later, for display only)
    sha256: str = ""  # when it was computed while receiving
    client_content_type: str = ""


class ScratchUploadedFile(UploadedFile):
    def __init__(self, path: Path, file, name: str, content_type: str, size: int, sha256: str):
        super().__init__(file, name, content_type, size, None)
        self.scratch_path = path
        self.sha256 = sha256

    def received(self) -> Received:
        return Received(path=self.scratch_path, size=self.size, name=self.name or "", sha256=self.sha256,
                        client_content_type=self.content_type or "")


class ScratchUploadHandler(FileUploadHandler):
    """Stream one uploaded file to a scratch file, hashing as it arrives; stop past ``max_bytes``."""

    def __init__(self, request=None, *, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.too_large = False
        self.extra_files = False
        self._path: Path | None = None
        self._file = None
        self._hash = None
        self._size = 0

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        if self._path is not None:  # one file per request: a second one is skipped unread
            self.extra_files = True
            raise SkipFile()
        self._path = scratch_dir() / f"{uuid.uuid4().hex}.part"
        self._file = open(self._path, "w+b")
        self._hash = hashlib.sha256()
        self._size = 0

    def receive_data_chunk(self, raw_data, start):
        self._size += len(raw_data)
        if self._size > self.max_bytes:
            self.too_large = True
            self.upload_interrupted()
            raise StopUpload(connection_reset=True)
        self._hash.update(raw_data)
        self._file.write(raw_data)
        return None  # consumed: no later handler sees the bytes

    def file_complete(self, file_size):
        if self._file is None:
            return None
        self._file.flush()
        self._file.seek(0)
        return ScratchUploadedFile(self._path, self._file, self.file_name, self.content_type, self._size,
                                   self._hash.hexdigest())

    def upload_interrupted(self):
        """The client went away or we stopped the upload: leave nothing behind."""
        self.discard()

    def discard(self) -> None:
        """Close and remove the scratch file (the view calls this when the request is over, whatever happened)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        discard(self._path)


def append_chunk(path: Path, stream, *, offset: int, length: int) -> int:
    """Write ``length`` bytes from ``stream`` at ``offset``; returns how many arrived (fewer if the client
    went away). Whatever lies past ``offset`` from an earlier, broken attempt is cut off first."""
    written = 0
    with open(path, "r+b" if path.exists() else "w+b") as f:
        f.truncate(offset)
        f.seek(offset)
        while written < length:
            try:
                data = stream.read(min(COPY_CHUNK, length - written))
            except OSError:  # the connection dropped mid-chunk: keep what arrived
                break
            if not data:
                break
            f.write(data)
            written += len(data)
        f.flush()
        os.fsync(f.fileno())  # the offset we report must survive a crash: resuming trusts it
    return written


def read_head(path: Path, n: int) -> bytes:
    with open(path, "rb") as f:
        return f.read(n)
