"""Bounds on how much work and memory one image read may take.

Every number here is a *defence* (against bombs, header floods, hostile archives) or a *budget* (how much
text we scan), not an AWS rule — AWS numbers live in ``validation.rules.container``. They are configurable
so tests can use tiny limits and an operator can loosen them for unusual images.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class ReadLimits:
    chunk_size: int = 1 * MiB  # read/decompress granularity: the unit of peak memory per layer stream
    # Decompression bombs: a layer may not expand past ``max_ratio`` times the compressed bytes read so far
    # (judged only once ``ratio_floor`` bytes came out, so tiny well-compressed layers are fine) nor past
    # ``max_layer_uncompressed``; the whole image not past ``max_image_uncompressed``.
    max_ratio: float = 100.0
    ratio_floor: int = 16 * MiB
    max_layer_uncompressed: int = 64 * GiB
    max_image_uncompressed: int = 256 * GiB
    max_entries: int = 2_000_000  # tar members over all layers: bounds the in-memory file index
    max_json: int = 8 * MiB  # manifest, index, config
    max_header_ext: int = 1 * MiB  # one pax header or GNU long name
    max_outer_members: int = 100_000
    # Text scanning (secrets, run-time download hints): small files only, with a total budget so a
    # repository-sized image cannot make the scan slow.
    text_file_max: int = 64 * 1024
    text_total_max: int = 64 * MiB
    script_max: int = 256 * 1024  # entrypoint scripts kept to the end of the read
    package_db_max: int = 32 * MiB  # dpkg status, apk installed, rpmdb.sqlite
    metadata_max: int = 64 * 1024  # one dist-info METADATA (headers are at its start)
    top_waste: int = 20  # largest wasted files listed in the report
    progress_every: int = 16 * MiB


DEFAULT_LIMITS = ReadLimits()
