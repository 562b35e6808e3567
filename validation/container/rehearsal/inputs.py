"""What a rehearsal runs on: the image(s), the model data and the sample files, from a ``Subject`` or paths.

Sample files carry tags ``mode`` (realtime | batch), ``direction`` (input | output) and ``content_type``
(validation/SNAPSHOT.md); missing content types are guessed from the extension. Each input is paired with
the seller's output for it: the same tag ``pair``, else the same name stem (``a.csv`` ↔ ``a.out.csv``), else
the only output of that mode when there is one input. Training data: files tagged ``channel`` go to that
channel; without any, the input samples feed the first channel.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from validation.container.rehearsal.probes import Sample

EXTENSION_TYPES = {
    ".csv": "text/csv", ".json": "application/json", ".jsonl": "application/jsonlines",
    ".txt": "text/plain", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".npy": "application/x-npy", ".parquet": "application/x-parquet",
}


@dataclass
class Inputs:
    image: Path | None = None
    image_name: str = ""
    train_image: Path | None = None  # a separate training image (tag role=training), else ``image``
    train_image_name: str = ""
    model_data: Path | None = None
    model_name: str = ""
    samples: list[Sample] = field(default_factory=list)
    channels: dict[str, list[Path]] = field(default_factory=dict)  # from files tagged ``channel``


def _field(item: object, name: str, default: object = None) -> object:
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def _files(obj: object, kind: str) -> list:
    if hasattr(obj, "files_of"):
        return list(obj.files_of(kind))
    if isinstance(obj, Mapping):
        value = obj.get(kind)
        if value is None:
            return []
        items = value if isinstance(value, (list, tuple)) else [value]
        return [{"path": v, "name": Path(v).name, "tags": {}} if isinstance(v, (str, os.PathLike)) else v
                for v in items]
    return []


def _sample(item: object) -> Sample | None:
    path = Path(_field(item, "path"))
    name = str(_field(item, "name") or path.name)
    tags = _field(item, "tags") or {}
    tags = tags if isinstance(tags, Mapping) else {}
    mode = str(tags.get("mode") or "").strip().lower().replace("-", "").replace("_", "")
    direction = str(tags.get("direction") or "").strip().lower()
    ctype = str(tags.get("content_type") or "").split(";", 1)[0].strip().lower()
    if not ctype:
        ctype = EXTENSION_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")
    try:
        size = path.stat().st_size
    except OSError:
        return None
    return Sample(path, name, mode, direction, ctype, size)


def _stem(name: str) -> str:
    base = Path(name).name.split(".")[0]
    for word in ("_output", "-output", "_input", "-input", "_out", "-out", "_in", "-in"):
        if base.endswith(word):
            return base[: -len(word)]
    return base


def _pair(samples: list[Sample], tags: dict[int, str]) -> None:
    for mode in ("realtime", "batch"):
        ins = [s for s in samples if s.mode == mode and s.direction == "input"]
        outs = [s for s in samples if s.mode == mode and s.direction == "output"]
        for s in ins:
            pair = tags.get(id(s))
            match = [o for o in outs if pair and tags.get(id(o)) == pair] or [o for o in outs if _stem(o.name) == _stem(s.name)]
            if match:
                s.expected = match[0]
        if len(ins) == 1 and len(outs) == 1 and ins[0].expected is None:
            ins[0].expected = outs[0]


def inputs_from(obj: object) -> Inputs:
    """``obj``: a ``Subject``, a mapping {"image", "train_image", "model_data", "sample_data"}, or an image path."""
    if isinstance(obj, (str, os.PathLike)):
        obj = {"image": obj}
    out = Inputs()
    images = _files(obj, "image")
    train = [i for i in images if str((_field(i, "tags") or {}).get("role", "")) == "training"]
    serve = [i for i in images if i not in train] or images
    if serve:
        out.image, out.image_name = Path(_field(serve[0], "path")), str(_field(serve[0], "name") or "image")
    if train:
        out.train_image, out.train_image_name = Path(_field(train[0], "path")), str(_field(train[0], "name"))
    for item in _files(obj, "train_image")[:1]:
        out.train_image, out.train_image_name = Path(_field(item, "path")), str(_field(item, "name"))
    models = _files(obj, "model_data")
    if models:
        out.model_data, out.model_name = Path(_field(models[0], "path")), str(_field(models[0], "name") or "model")
    pairs: dict[int, str] = {}
    for item in _files(obj, "sample_data"):
        s = _sample(item)
        if s is None:
            continue
        tags = _field(item, "tags") or {}
        channel = str(tags.get("channel") or "") if isinstance(tags, Mapping) else ""
        if channel:
            out.channels.setdefault(channel, []).append(s.path)
            continue
        if isinstance(tags, Mapping) and tags.get("pair"):
            pairs[id(s)] = str(tags["pair"])
        out.samples.append(s)
    _pair(out.samples, pairs)
    return out
