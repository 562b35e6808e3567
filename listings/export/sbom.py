"""``sbom/``: the CycloneDX bill of materials of each image the version's validation run analysed.

Where it comes from, in order:

1. The run's own SBOMs (``validation.selectors.run_sboms``): the container check keeps one per image it read
   (uploaded archive or registry reference) as a ``RunReport``. Stored once, so every export of the version
   copies the same bytes.
2. For a run that predates those reports, an uploaded image archive is analysed at export time
   (``validation.container.analyse_image``, one streaming pass, memory flat) and rendered with
   ``cyclonedx_json``. That SBOM is a function of the image's bytes, so it is kept content-addressed under
   ``derived/sbom/<aa>/<image sha256>.cdx.json`` in the artifacts storage and reused by later exports.
   CycloneDX output carries a random ``serialNumber`` and a creation ``timestamp``; both are made stable here
   (a name-based UUID of the image digest; no timestamp, which the schema allows).

The first SBOM (the serving image's) is ``sbom/image.cdx.json``; any other is named after its image.
"""

from __future__ import annotations

import json
import logging
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile

from listings.storage import artifact_storage, key_for_digest, local_copy

log = logging.getLogger(__name__)

__all__ = ["bundle_sboms", "image_sbom", "normalise", "sbom_key", "store_sbom", "stored_sbom"]


def sbom_key(image_sha256: str) -> str:
    key_for_digest(image_sha256)  # validates the digest
    return f"derived/sbom/{image_sha256[:2]}/{image_sha256}.cdx.json"


def normalise(text: str, *, image_sha256: str) -> bytes:
    """Stable bytes: serial number derived from the image digest, no creation time, LF and a final newline."""
    bom = json.loads(text)
    bom["serialNumber"] = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"marketplace-prep:sbom:{image_sha256}"))
    metadata = bom.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("timestamp", None)
    return (json.dumps(bom, indent=2, ensure_ascii=False) + "\n").encode()


def stored_sbom(image_sha256: str) -> bytes | None:
    storage, key = artifact_storage(), sbom_key(image_sha256)
    if not storage.exists(key):
        return None
    with storage.open(key, "rb") as fh:
        return fh.read()


def store_sbom(image_sha256: str, data: bytes) -> None:
    """Keep the SBOM of an image (once: the same image always has the same SBOM)."""
    storage, key = artifact_storage(), sbom_key(image_sha256)
    if storage.exists(key):
        return
    saved = storage.save(key, ContentFile(data))
    if saved != key:  # a concurrent export stored it first; keep one copy
        storage.delete(saved)


def _analyse(image_sha256: str, listing: dict) -> bytes | None:
    from validation.container import analyse_image, cyclonedx_json

    settings.SCRATCH_ROOT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.SCRATCH_ROOT, prefix="sbom-") as scratch:
        report = analyse_image(local_copy(image_sha256, Path(scratch)), listing)
    if not report.format:  # not an image archive we can read: the run reported why, the bundle has no SBOM
        log.info("no SBOM for image %s: %s", image_sha256[:12], "; ".join(p.message for p in report.problems))
        return None
    return normalise(cyclonedx_json(report), image_sha256=image_sha256)


def image_sbom(image_sha256: str, listing: dict) -> bytes | None:
    """The image's SBOM: the stored copy, else analysed now and stored; ``None`` if the image is unreadable."""
    data = stored_sbom(image_sha256)
    if data is not None:
        return data
    data = _analyse(image_sha256, listing)
    if data is not None:
        store_sbom(image_sha256, data)
    return data


def _is_cyclonedx(data: bytes) -> bool:
    """A kept report can be a stand-in ("omitted: too large"); only a real CycloneDX document goes in."""
    try:
        return json.loads(data).get("bomFormat") == "CycloneDX"
    except (ValueError, AttributeError):
        return False


def bundle_sboms(run, images: list[tuple[str, str]], listing: dict) -> list[tuple[str, bytes]]:
    """``[(arcname, bytes)]`` for ``sbom/``. ``images`` are the version's uploaded images as (name, sha256)."""
    from listings.export.layout import safe_name
    from validation.selectors import run_sboms

    found = [(label, data) for label, data in (run_sboms(run) if run is not None else []) if _is_cyclonedx(data)]
    if not found:
        found = [(name, data) for name, sha256 in images if (data := image_sbom(sha256, listing)) is not None]
    out, taken = [], set()
    for i, (label, data) in enumerate(found):
        stem = "image" if i == 0 else safe_name(label, default="image").removesuffix(".tar")
        arcname, n = f"sbom/{stem}.cdx.json", 1
        while arcname.casefold() in taken:
            n += 1
            arcname = f"sbom/{stem}-{n}.cdx.json"
        taken.add(arcname.casefold())
        out.append((arcname, data))
    return out
