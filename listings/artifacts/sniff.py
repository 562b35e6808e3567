"""What a file's first bytes say it is (magic numbers), whatever its name or declared type claims.

Pure functions on bytes: no Django, no files. ``describe`` names a format the way a seller reads it ("a PNG
image"); ``expected_for_content_type`` says which formats a declared sample-data content type allows.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

HEAD_BYTES = 64 * 1024  # how much of the start of a file the sniffers look at

GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Format:
    key: str  # png, jpeg, gif, tar, gzip, html, json, text, binary …
    label: str  # "a PNG image"
    mime: str


_SIGNATURES: tuple[tuple[bytes, int, Format], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, Format("png", "a PNG image", "image/png")),
    (b"\xff\xd8\xff", 0, Format("jpeg", "a JPEG image", "image/jpeg")),
    (b"GIF87a", 0, Format("gif", "a GIF image", "image/gif")),
    (b"GIF89a", 0, Format("gif", "a GIF image", "image/gif")),
    (b"II*\x00", 0, Format("tiff", "a TIFF image", "image/tiff")),
    (b"MM\x00*", 0, Format("tiff", "a TIFF image", "image/tiff")),
    (b"%PDF-", 0, Format("pdf", "a PDF document", "application/pdf")),
    (b"PK\x03\x04", 0, Format("zip", "a ZIP archive (or an Office document)", "application/zip")),
    (b"PK\x05\x06", 0, Format("zip", "an empty ZIP archive", "application/zip")),
    (GZIP_MAGIC, 0, Format("gzip", "a gzip-compressed file", "application/gzip")),
    (b"\xfd7zXZ\x00", 0, Format("xz", "an xz-compressed file", "application/x-xz")),
    (b"\x28\xb5\x2f\xfd", 0, Format("zstd", "a zstd-compressed file", "application/zstd")),
    (b"7z\xbc\xaf\x27\x1c", 0, Format("7z", "a 7-Zip archive", "application/x-7z-compressed")),
    (b"\x7fELF", 0, Format("elf", "a Linux executable (ELF)", "application/x-executable")),
    (b"\x93NUMPY", 0, Format("npy", "a NumPy array (.npy)", "application/x-npy")),
    (b"\x1a\x45\xdf\xa3", 0, Format("webm", "a WebM/Matroska video", "video/webm")),
    (b"SQLite format 3\x00", 0, Format("sqlite", "an SQLite database", "application/vnd.sqlite3")),
    (b"ustar\x0000", 257, Format("tar", "a tar archive", "application/x-tar")),
    (b"ustar  \x00", 257, Format("tar", "a tar archive", "application/x-tar")),
    (b"ustar\x00", 257, Format("tar", "a tar archive", "application/x-tar")),
)
# Short magic numbers that ordinary text can start with (a CSV whose first cell is "ID3" or "MZ"): they
# count only when the bytes are not text.
_WEAK_SIGNATURES: tuple[tuple[bytes, int, Format], ...] = (
    (b"BZh", 0, Format("bzip2", "a bzip2-compressed file", "application/x-bzip2")),
    (b"MZ", 0, Format("exe", "a Windows executable", "application/x-msdownload")),
    (b"PAR1", 0, Format("parquet", "a Parquet file", "application/x-parquet")),
    (b"fLaC", 0, Format("flac", "a FLAC audio file", "audio/flac")),
    (b"OggS", 0, Format("ogg", "an Ogg media file", "audio/ogg")),
    (b"ID3", 0, Format("mp3", "an MP3 audio file", "audio/mpeg")),
)

TAR = Format("tar", "a tar archive", "application/x-tar")
HTML = Format("html", "an HTML page", "text/html")
XML = Format("xml", "an XML document", "application/xml")
SVG = Format("svg", "an SVG image", "image/svg+xml")
JSON = Format("json", "JSON text", "application/json")
TEXT = Format("text", "plain text", "text/plain")
BINARY = Format("binary", "binary data of an unknown format", "application/octet-stream")
EMPTY = Format("empty", "an empty file", "application/octet-stream")

_HTML_START = re.compile(rb"^(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|script|iframe|meta|title|div|p|a)[\s>/]",
                         re.IGNORECASE | re.DOTALL)
_BOM = b"\xef\xbb\xbf"


def is_text(head: bytes) -> bool:
    """UTF-8 (or ASCII) text without NUL bytes; a multi-byte character cut at the end of ``head`` is fine."""
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3 and exc.reason in ("unexpected end of data",)


def _riff(head: bytes) -> Format | None:
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {
            b"WAVE": Format("wav", "a WAV audio file", "audio/wav"),
            b"WEBP": Format("webp", "a WebP image", "image/webp"),
            b"AVI ": Format("avi", "an AVI video", "video/x-msvideo"),
        }.get(head[8:12])
    if head[4:8] == b"ftyp":
        return Format("mp4", "an MP4/MOV media file", "video/mp4")
    return None


def describe(head: bytes) -> Format:
    """The format ``head`` (the first bytes of a file) belongs to."""
    if not head:
        return EMPTY
    for magic, offset, fmt in _SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            return fmt
    media = _riff(head)
    if media:
        return media
    if not is_text(head):
        for magic, offset, fmt in _WEAK_SIGNATURES:
            if head[offset:offset + len(magic)] == magic:
                return fmt
        return BINARY
    text = head[len(_BOM):] if head.startswith(_BOM) else head
    stripped = text.lstrip()
    if _HTML_START.match(stripped):
        return HTML
    lowered = stripped[:512].lower()
    if lowered.startswith(b"<svg") or (lowered.startswith(b"<?xml") and b"<svg" in stripped[:4096].lower()):
        return SVG
    if lowered.startswith(b"<?xml"):
        return XML
    if stripped[:1] in (b"{", b"["):
        return JSON
    return TEXT


# Which formats each declared sample-data content type allows. Types not listed (protobuf RecordIO,
# octet-stream, vendor types) have no signature we could check: their bytes are accepted as they are, and
# the sample-data checks judge them later.
_TEXTUAL = {"text", "json", "html", "xml", "svg"}
_BY_TYPE: dict[str, set[str]] = {
    "text/csv": {"text", "json"},  # a one-column CSV of numbers may start with "["; rare but valid text
    "text/plain": {"text", "json"},
    "text/x-libsvm": {"text"},
    "text/libsvm": {"text"},
    "text/tab-separated-values": {"text"},
    "text/markdown": {"text", "json"},
    "application/json": {"json"},
    "application/jsonlines": {"json"},
    "application/x-jsonlines": {"json"},
    "application/x-ndjson": {"json"},
    "application/ndjson": {"json"},
    "text/html": {"html", "text"},
    "application/xml": {"xml", "svg"},
    "text/xml": {"xml", "svg"},
    "image/png": {"png"},
    "image/jpeg": {"jpeg"},
    "image/jpg": {"jpeg"},
    "image/gif": {"gif"},
    "image/tiff": {"tiff"},
    "image/webp": {"webp"},
    "image/svg+xml": {"svg"},
    "application/x-image": {"png", "jpeg", "gif", "tiff", "webp"},  # SageMaker's "any image"
    "image/*": {"png", "jpeg", "gif", "tiff", "webp"},
    "audio/wav": {"wav"},
    "audio/x-wav": {"wav"},
    "audio/wave": {"wav"},
    "audio/flac": {"flac"},
    "audio/mpeg": {"mp3", "binary"},  # MP3 frames without an ID3 tag have no fixed magic
    "audio/ogg": {"ogg"},
    "video/mp4": {"mp4"},
    "application/pdf": {"pdf"},
    "application/zip": {"zip"},
    "application/gzip": {"gzip"},
    "application/x-gzip": {"gzip"},
    "application/x-tar": {"tar"},
    "application/x-npy": {"npy"},
    "application/x-parquet": {"parquet"},
    "application/vnd.apache.parquet": {"parquet"},
}

_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9*][a-z0-9!#$&^_.+*-]{0,63}$")


def normalise_content_type(value: str) -> str:
    """``type/subtype`` in lower case, parameters dropped; ``""`` when it is not a content type at all."""
    base = (value or "").split(";", 1)[0].strip().lower()
    return base if _CONTENT_TYPE.match(base) else ""


def allowed_for_content_type(content_type: str) -> set[str] | None:
    """Format keys a declared content type allows, or ``None`` when any bytes are acceptable."""
    base = normalise_content_type(content_type)
    if base in _BY_TYPE:
        return _BY_TYPE[base]
    if base.startswith("text/"):
        return set(_TEXTUAL)
    return None


# Types a browser renders as a document or runs as code. A seller may declare any of them for sample data (their
# model may take HTML), but served from our origin under that type a file would be a page or a script our own
# Content-Security-Policy (script-src 'self') trusts. Downloads of such files go out as opaque bytes.
_ACTIVE_TYPES = {"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml", "text/xsl",
                 "text/css", "application/wasm", "text/vtt", "application/x-shockwave-flash", "application/hta",
                 "text/x-component"}


def served_content_type(content_type: str) -> str:
    """The ``Content-Type`` to serve a stored file with: its own, unless a browser would render or run it."""
    base = normalise_content_type(content_type)
    if not base or base in _ACTIVE_TYPES or "script" in base or base.startswith("multipart/") \
            or base.endswith("+xml"):
        return "application/octet-stream"
    return base


_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def display_name(name: str, *, fallback: str = "upload") -> str:
    """The original file name, for display and download headers only — never a path on disk or in storage.

    Folders are dropped (browsers on Windows send ``C:\\…``), control and bidirectional-override characters
    removed (they can make ``evil.exe`` read as ``exe.live``), whitespace collapsed, and the length capped
    while keeping the extension.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(" " if unicodedata.category(ch) in ("Zs",) else ch for ch in name
                   if unicodedata.category(ch) not in _CONTROL)
    name = re.sub(r"\s+", " ", name).strip().strip(".").strip()
    if not name:
        return fallback
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:20] if dot else ""
        name = (stem if dot else name)[: 200 - len(ext) - 1].rstrip() + ("." + ext if ext else "")
    return name


_BY_EXTENSION = {
    ".csv": "text/csv", ".tsv": "text/tab-separated-values", ".txt": "text/plain", ".json": "application/json",
    ".jsonl": "application/jsonlines", ".jsonlines": "application/jsonlines", ".ndjson": "application/jsonlines",
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".tif": "image/tiff",
    ".tiff": "image/tiff", ".webp": "image/webp", ".wav": "audio/wav", ".flac": "audio/flac", ".mp3": "audio/mpeg",
    ".npy": "application/x-npy", ".parquet": "application/x-parquet", ".libsvm": "text/x-libsvm",
    ".recordio": "application/x-recordio-protobuf", ".pdf": "application/pdf", ".mp4": "video/mp4",
}


def content_type_from_name(name: str) -> str:
    """The content type a file's extension suggests — a default the seller did not override, nothing more."""
    import mimetypes

    lower = (name or "").lower()
    dot = lower.rfind(".")
    if dot >= 0 and lower[dot:] in _BY_EXTENSION:
        return _BY_EXTENSION[lower[dot:]]
    return normalise_content_type(mimetypes.guess_type(lower)[0] or "")
