"""Is this file what the seller says it is, whole and safe to keep? Read the bytes, never the extension.

Each kind has a cheap test of its first bytes (``check_head``: also run on the first chunk of a resumable
upload, so a 10 GB file of the wrong kind is refused after 8 MB, not after 10 GB) and a full inspection of
the finished file (``inspect_file``) that reads it in bounded pieces: tar headers are walked with seeks,
model data is decompressed as a stream with caps against gzip bombs, a logo's pixel count is read from its
header before Pillow decodes anything. A refusal is an ``ArtifactRefused`` whose message says what the file
looks like and what was expected.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from listings.artifacts import limits, sniff
from listings.errors import ServiceError
from listings.models import ArtifactKind
from validation.container.tarstream import ChunkSource, FileSource, TarFormatError, TarReader, TarTruncated

READ_CHUNK = 1024 * 1024


class ArtifactRefused(ServiceError):
    """The file is refused; the message is for the seller and names the problem and the fix."""


@dataclass
class Inspection:
    content_type: str
    sha256: str = ""  # set when the inspection read every byte anyway (model data)
    details: dict = field(default_factory=dict)


EXPECTED = {
    ArtifactKind.IMAGE: "a container image must be the plain tar archive that `docker save IMAGE -o image.tar` "
                        "(or `skopeo copy … oci-archive:image.tar`) writes",
    ArtifactKind.MODEL_DATA: "model data must be a gzip-compressed tar archive (model.tar.gz), as SageMaker "
                             "unpacks it into /opt/ml/model",
    ArtifactKind.NOTEBOOK: "a sample notebook must be a Jupyter notebook (.ipynb), which is a JSON document",
    ArtifactKind.LOGO: "the logo must be a {formats} image",
    ArtifactKind.DOCUMENTATION: "documentation must be Markdown, plain text, HTML or PDF",
    ArtifactKind.SAMPLE_DATA: "the sample's content type is {content_type}",
}


def _expected(kind: str, *, content_type: str = "") -> str:
    formats = limits.logo_formats()
    return EXPECTED[kind].format(formats=", ".join(formats[:-1]) + f" or {formats[-1]}" if len(formats) > 1
                                 else formats[0], content_type=content_type)


def _refuse_format(name: str, found: sniff.Format, kind: str, *, content_type: str = "", hint: str = "") -> None:
    message = f"“{name}” looks like {found.label}, but {_expected(kind, content_type=content_type)}."
    raise ArtifactRefused(f"{message} {hint}".strip())


# -- the first bytes -----------------------------------------------------------------------------------------

def check_head(head: bytes, *, kind: str, name: str, content_type: str = "", complete: bool = True) -> sniff.Format:
    """Refuse a file whose first bytes contradict its kind. ``complete``: ``head`` is the whole file, or at
    least 512 bytes of it (a tar header); a shorter partial head only gets the checks it can support."""
    found = sniff.describe(head)
    if found is sniff.EMPTY:
        raise ArtifactRefused(f"“{name}” is empty. Choose the file again; it may not have been saved.")
    if kind == ArtifactKind.IMAGE:
        if found.key == "gzip":
            _refuse_format(name, found, kind, hint="Decompress it first (`gunzip image.tar.gz`): AWS pushes the "
                                                   "layers as they are and we read them without unpacking the whole.")
        if found.key != "tar" and (complete or len(head) >= 512):
            _refuse_format(name, found, kind)
    elif kind == ArtifactKind.MODEL_DATA:
        if found.key == "tar":
            _refuse_format(name, found, kind, hint="Compress it: `gzip model.tar` writes model.tar.gz.")
        if found.key != "gzip":
            _refuse_format(name, found, kind)
    elif kind == ArtifactKind.NOTEBOOK:
        if found.key == "html":
            _refuse_format(name, found, kind, hint="Perhaps the notebook viewer's web page was saved instead: in "
                                                   "Jupyter use File › Download (.ipynb).")
        if found.key != "json":
            _refuse_format(name, found, kind)
    elif kind == ArtifactKind.LOGO:
        if found.key not in {f.lower() for f in limits.logo_formats()}:
            _refuse_format(name, found, kind, hint="Export the logo as PNG from your image editor.")
    elif kind == ArtifactKind.DOCUMENTATION:
        if found.key not in {"pdf", "text", "html", "json", "xml"}:
            _refuse_format(name, found, kind)
    elif kind == ArtifactKind.SAMPLE_DATA:
        allowed = sniff.allowed_for_content_type(content_type)
        if allowed is not None and found.key not in allowed:
            _refuse_format(name, found, kind, content_type=sniff.normalise_content_type(content_type),
                           hint="Upload the right file, or set the content type the file really has.")
    return found


# -- the whole file ------------------------------------------------------------------------------------------

def digest_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def inspect_file(path: Path, *, kind: str, name: str, content_type: str = "") -> Inspection:
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(sniff.HEAD_BYTES)
    found = check_head(head, kind=kind, name=name, content_type=content_type)
    if kind == ArtifactKind.IMAGE:
        return _inspect_image(path, size, name)
    if kind == ArtifactKind.MODEL_DATA:
        return _inspect_model_data(path, size, name)
    if kind == ArtifactKind.NOTEBOOK:
        return _inspect_notebook(path, name)
    if kind == ArtifactKind.LOGO:
        return _inspect_logo(path, name)
    if kind == ArtifactKind.DOCUMENTATION:
        return _inspect_documentation(path, size, name, found)
    return Inspection(content_type=sniff.normalise_content_type(content_type) or found.mime)


def _tar_reader(src, *, max_ext: int) -> TarReader:
    return TarReader(src, max_ext=max_ext)


def _inspect_image(path: Path, size: int, name: str) -> Inspection:
    """Walk the tar headers, seeking over member data: a 20 GB archive costs a few thousand small reads."""
    max_members = limits.guard("tar_max_members")
    names: set[str] = set()
    members = 0
    fd = os.open(path, os.O_RDONLY)
    try:
        reader = _tar_reader(FileSource(fd, size), max_ext=limits.guard("tar_max_header_ext"))
        for entry in reader:
            members += 1
            if members > max_members:
                raise ArtifactRefused(f"“{name}” has more than {max_members:,} entries; a container image "
                                      "archive has a few per layer. Export the image again with `docker save`.")
            clean = entry.name.replace("\\", "/")
            while clean.startswith("./"):
                clean = clean[2:]
            if "/" not in clean.rstrip("/"):
                names.add(clean)
    except TarTruncated as exc:
        raise ArtifactRefused(f"“{name}” is cut short ({exc}): the upload or the export did not finish. "
                              "Export the image again and upload the whole file.") from None
    except TarFormatError as exc:
        raise ArtifactRefused(f"“{name}” is not a readable tar archive ({exc}); "
                              f"{_expected(ArtifactKind.IMAGE)}.") from None
    finally:
        os.close(fd)
    if not members:
        raise ArtifactRefused(f"“{name}” is an empty tar archive; {_expected(ArtifactKind.IMAGE)}.")
    if "manifest.json" not in names and "index.json" not in names:
        raise ArtifactRefused(
            f"“{name}” is a tar archive, but not of a container image: it has neither manifest.json (docker save) "
            "nor index.json (OCI layout). Export the image with `docker save IMAGE -o image.tar`."
        )
    layout = "oci" if "index.json" in names else "docker"
    return Inspection(content_type="application/x-tar", details={"members": members, "layout": layout})


class _GzipBomb(ArtifactRefused):
    pass


def _gunzip(f: BinaryIO, hasher, compressed_size: int, name: str) -> Iterator[bytes]:
    """Decompress a gzip stream (concatenated members too), hashing the compressed bytes on the way.

    Output per call is bounded (``max_length``), so a chunk of zeros cannot expand in memory; the total is
    capped absolutely and relative to the compressed size. zlib checks each member's CRC-32 and length.
    """
    ratio, floor = limits.guard("gzip_max_ratio"), limits.guard("gzip_ratio_floor")
    max_unpacked = limits.guard("gzip_max_unpacked")
    unpacked = 0

    def emit(out: bytes) -> bytes:
        nonlocal unpacked
        unpacked += len(out)
        if unpacked > max_unpacked:
            raise _GzipBomb(f"“{name}” expands past {limits.human_size(max_unpacked)}; model data that large "
                            "cannot be unpacked safely.")
        if unpacked > floor and unpacked > ratio * max(compressed_size, 1):
            raise _GzipBomb(f"“{name}” expands more than {ratio:g} times its size ({limits.human_size(compressed_size)} "
                            f"became over {limits.human_size(unpacked)}): that is a decompression bomb, not model data.")
        return out

    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    while True:
        data = f.read(READ_CHUNK)
        if not data:
            break
        hasher.update(data)
        while data:
            try:
                out = d.decompress(data, READ_CHUNK)
            except zlib.error as exc:
                raise ArtifactRefused(f"“{name}” is a damaged gzip file ({exc}). Compress the model again and "
                                      "upload the new file.") from None
            data = d.unconsumed_tail
            if out:
                yield emit(out)
            if d.eof:
                rest = d.unused_data + data
                if rest.startswith(sniff.GZIP_MAGIC):  # concatenated members (pigz, some build tools)
                    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    data = rest
                elif rest.count(0) == len(rest):
                    data = b""  # zero padding after the stream (tape-style writers): harmless
                else:
                    raise ArtifactRefused(f"“{name}” has unexpected bytes after the end of its gzip stream; "
                                          "compress the model again.")
    while not d.eof:
        try:
            out = d.decompress(b"", READ_CHUNK)
        except zlib.error as exc:
            raise ArtifactRefused(f"“{name}” is a damaged gzip file ({exc}).") from None
        if not out:
            raise ArtifactRefused(f"“{name}” is cut short: the gzip stream ends early, so the upload or the "
                                  "compression did not finish. Upload the whole file again.")
        yield emit(out)


def _inspect_model_data(path: Path, size: int, name: str) -> Inspection:
    """One pass over every byte: sha256 of the upload, gzip integrity, and the tar inside, member by member."""
    hasher = hashlib.sha256()
    with open(path, "rb") as f:
        chunks = _gunzip(f, hasher, size, name)
        first = b""
        for first in chunks:
            if first:
                break
        inner = sniff.describe(first)
        if inner.key != "tar":
            what = "nothing" if inner is sniff.EMPTY else inner.label
            raise ArtifactRefused(f"“{name}” is gzip-compressed, but it holds {what} rather than a tar archive; "
                                  f"{_expected(ArtifactKind.MODEL_DATA)} (`tar czf model.tar.gz -C model .`).")

        def stream() -> Iterator[bytes]:
            yield first
            yield from chunks

        source = ChunkSource(stream())
        reader = _tar_reader(source, max_ext=limits.guard("tar_max_header_ext"))
        members = 0
        max_members = limits.guard("tar_max_members")
        try:
            for _entry in reader:
                members += 1
                if members > max_members:
                    raise ArtifactRefused(f"“{name}” has more than {max_members:,} files; pack the model "
                                          "into fewer files.")
        except TarTruncated as exc:
            raise ArtifactRefused(f"“{name}” holds a tar archive that is cut short ({exc}). Create the "
                                  "archive again with `tar czf model.tar.gz …` and upload it.") from None
        except TarFormatError as exc:
            raise ArtifactRefused(f"“{name}” holds a damaged tar archive ({exc}).") from None
        source.drain()  # the rest of the gzip stream: its CRC and end are checked, and every byte hashed
        unpacked = source.position
    if not members:
        raise ArtifactRefused(f"“{name}” is an empty archive: it holds no files.")
    return Inspection(content_type="application/gzip", sha256=hasher.hexdigest(),
                      details={"members": members, "unpacked": unpacked})


def _inspect_notebook(path: Path, name: str) -> Inspection:
    raw = path.read_bytes()  # bounded: notebooks above the catalog's size limit were refused already
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ArtifactRefused(f"“{name}” is not UTF-8 text; {_expected(ArtifactKind.NOTEBOOK)}. Save it again "
                              "from Jupyter.") from None
    try:
        document = json.loads(text)
    except RecursionError:
        raise ArtifactRefused(f"“{name}” is nested too deeply to be a notebook.") from None
    except ValueError as exc:
        raise ArtifactRefused(f"“{name}” is not valid JSON ({exc}); {_expected(ArtifactKind.NOTEBOOK)}. "
                              "Save it again from Jupyter.") from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list) \
            or not isinstance(document.get("nbformat"), int):
        raise ArtifactRefused(f"“{name}” is JSON, but not a Jupyter notebook: it has no “cells” list and "
                              "“nbformat” number.")
    return Inspection(content_type="application/x-ipynb+json",
                      details={"cells": len(document["cells"]), "nbformat": document["nbformat"]})


def _inspect_logo(path: Path, name: str) -> Inspection:
    from PIL import Image, UnidentifiedImageError

    max_pixels = limits.logo_max_pixels()
    formats = limits.logo_formats()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=list(formats)) as img:  # reads the header only
                width, height = img.size
                if width * height > max_pixels:
                    raise ArtifactRefused(
                        f"“{name}” claims {width:,} × {height:,} pixels, more than the {max_pixels:,} we decode "
                        f"safely (a decompression bomb, or a far too large logo). {_resize_hint()}"
                    )
                fmt = img.format
                img.load()  # full decode: a truncated or damaged file fails here, within the pixel budget
    except ArtifactRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ArtifactRefused(f"“{name}” claims more pixels than we decode safely (a decompression bomb). "
                              f"{_resize_hint()}") from None
    except UnidentifiedImageError:
        raise ArtifactRefused(f"“{name}” cannot be read as an image; {_expected(ArtifactKind.LOGO)}.") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ArtifactRefused(f"“{name}” is a damaged or truncated image ({exc}). Export the logo again.") from None
    return Inspection(content_type=Image.MIME.get(fmt, "application/octet-stream"),
                      details={"format": fmt, "width": width, "height": height})


def _resize_hint() -> str:
    low, high = limits.rule_limit("logo.E004", (120, 640))
    return f"AWS shows logos {low}–{high} pixels wide and high: resize it."


_MARKDOWN_EXT = (".md", ".markdown", ".mdown")
_HTML_EXT = (".html", ".htm")


def _inspect_documentation(path: Path, size: int, name: str, found: sniff.Format) -> Inspection:
    if found.key == "pdf":
        with open(path, "rb") as f:
            f.seek(max(0, size - 2048))
            tail = f.read()
        if b"%%EOF" not in tail:
            raise ArtifactRefused(f"“{name}” is a PDF that is cut short (it has no end-of-file marker). Export "
                                  "it again and upload the whole file.")
        return Inspection(content_type="application/pdf")
    # Text: every byte must be UTF-8 without NULs (read in pieces with an incremental decoder).
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as f:
        try:
            while chunk := f.read(READ_CHUNK):
                if b"\x00" in chunk:
                    raise UnicodeDecodeError("utf-8", chunk, 0, 1, "NUL byte")
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ArtifactRefused(f"“{name}” is not UTF-8 text; {_expected(ArtifactKind.DOCUMENTATION)}. Save "
                                  "it as UTF-8.") from None
    lower = name.lower()
    if found.key == "html" or lower.endswith(_HTML_EXT):
        content_type = "text/html"
    elif lower.endswith(_MARKDOWN_EXT):
        content_type = "text/markdown"
    else:
        content_type = "text/plain"
    return Inspection(content_type=content_type)
