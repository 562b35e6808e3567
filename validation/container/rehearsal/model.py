"""The seller's model data (one ``model.tar.gz``) extracted into a folder that becomes /opt/ml/model.

Python's own ``tarfile`` ``data`` filter (PEP 706) refuses absolute names, ``..``, links leaving the folder
and device files, and drops setuid bits; on top of it the total size and the member count are bounded, and
the archive is read as a stream (``r|*``), so a gzip bomb stops at the size limit.
"""

from __future__ import annotations

import os
import tarfile
import zlib
from pathlib import Path


class ModelDataError(Exception):
    pass


def extract_model(archive: str | os.PathLike, dest: Path, *, max_bytes: int, max_files: int) -> tuple[int, int]:
    """Extract into ``dest`` (existing, empty). Returns (files, bytes). Raises ModelDataError."""
    files = total = 0
    try:
        with tarfile.open(archive, mode="r|*") as tar:
            for member in tar:
                files += 1
                if files > max_files:
                    raise ModelDataError(f"more than {max_files:,} members")
                if member.isfile():
                    total += member.size
                    if total > max_bytes:
                        raise ModelDataError(f"it unpacks to more than {max_bytes:,} bytes")
                try:
                    tar.extract(member, dest, filter="data")
                except tarfile.FilterError as exc:
                    raise ModelDataError(f"unsafe member: {exc}") from None
    except tarfile.TarError as exc:
        raise ModelDataError(f"it is not a readable .tar.gz ({exc})") from None
    except (EOFError, OSError, ValueError, zlib.error) as exc:  # zlib/gzip errors, truncation
        raise ModelDataError(f"it cannot be read to the end ({exc})") from None
    return files, total
