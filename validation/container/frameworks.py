"""Which ML framework an image carries (from its installed distributions) and what a seller declared."""

from __future__ import annotations

import re

from validation.container.report import Package

# Distribution name (PyPI or conda, normalised) → the framework it is.
_DISTS = {
    "torch": "pytorch", "pytorch": "pytorch",
    "tensorflow": "tensorflow", "tensorflow-cpu": "tensorflow", "tensorflow-gpu": "tensorflow",
    "tensorflow-intel": "tensorflow", "tf-nightly": "tensorflow",
    "mxnet": "mxnet", "chainer": "chainer",
    "scikit-learn": "scikit-learn", "sklearn": "scikit-learn",
    "xgboost": "xgboost", "py-xgboost": "xgboost",
    "onnxruntime": "onnxruntime", "onnxruntime-gpu": "onnxruntime",
    "lightgbm": "lightgbm", "catboost": "catboost",
    "transformers": "transformers", "jax": "jax", "keras": "keras",
    "paddlepaddle": "paddlepaddle", "paddlepaddle-gpu": "paddlepaddle",
    "tensorrt": "tensorrt", "vllm": "vllm", "spacy": "spacy",
}
_PREFIXES = (("mxnet-", "mxnet"), ("tensorflow-", "tensorflow"), ("cupy-", "cupy"))

# What sellers type in the "framework" field → the same canonical names.
_DECLARED = {
    "pytorch": "pytorch", "torch": "pytorch", "tensorflow": "tensorflow", "tf": "tensorflow",
    "keras": "keras", "mxnet": "mxnet", "apache mxnet": "mxnet", "chainer": "chainer",
    "scikit-learn": "scikit-learn", "sklearn": "scikit-learn", "scikit learn": "scikit-learn",
    "xgboost": "xgboost", "onnx": "onnxruntime", "onnxruntime": "onnxruntime", "onnx runtime": "onnxruntime",
    "lightgbm": "lightgbm", "catboost": "catboost", "huggingface": "transformers",
    "hugging face": "transformers", "transformers": "transformers", "jax": "jax",
    "paddlepaddle": "paddlepaddle", "tensorrt": "tensorrt", "vllm": "vllm", "spacy": "spacy",
}
NOT_A_FRAMEWORK = {"", "none", "custom", "other", "n/a"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def framework_of(dist: str) -> str | None:
    n = _norm(dist)
    if n in _DISTS:
        return _DISTS[n]
    for prefix, fw in _PREFIXES:
        if n.startswith(prefix):
            return fw
    return None


def detect(packages: list[Package]) -> list[Package]:
    """One entry per framework found (the first distribution that provides it), name = canonical name."""
    found: dict[str, Package] = {}
    for p in packages:
        if p.ecosystem not in ("pypi", "conda"):
            continue
        fw = framework_of(p.name)
        if fw and fw not in found:
            found[fw] = Package(p.ecosystem, fw, p.version, "", p.source)
    return sorted(found.values(), key=lambda p: p.name)


def declared(value: str) -> str | None:
    """The canonical framework a seller declared; None for "custom"/empty; the raw text when unknown."""
    v = (value or "").strip().lower()
    if v in NOT_A_FRAMEWORK:
        return None
    return _DECLARED.get(v, _DECLARED.get(_norm(v), v))
