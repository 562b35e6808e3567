"""AWS service models from botocore, read at run time: instance types and strict request validation.

Source tag **API** in AWS_RULES.md: the service models inside ``botocore`` are authoritative and move with boto3
upgrades, so nothing here copies a list or a limit by hand.

Why a strict validator of our own: botocore's ``ParamValidator`` (botocore/validate.py) checks only required
members, unknown members, Python types and ``min`` (length/value). It deliberately ignores ``enum``, ``pattern``
and ``max`` — the service enforces those, so a bad request only fails once it reaches AWS. For a listing that
fails late (SageMaker validation job, Marketplace review) we want the seller to see e.g. ``ml.bogus``, a 600-char
name or a newline in a description before anything is sent. ``validate_request`` therefore runs
``ParamValidator`` and then walks the input shape checking ``enum``, ``pattern`` and ``min``/``max`` for strings
(length), lists and maps (count) and numbers (value), reporting each (path, kind) once.

Patterns in the models are Java regexes (matched whole, like ``Matcher.matches``). ``compile_java_pattern``
translates what Python ``re`` lacks — ``\\p{L}``-style classes, surrogate-pair ranges, ``$`` with a quantifier —
compiles with ``re.ASCII`` (Java's ``\\w``/``\\d``/``\\s`` are ASCII) and makes ``.`` exclude Java's line
terminators. A pattern it still cannot handle is skipped (never a false error) and listed by
``skipped_patterns(service)``. A few model patterns are contradicted by AWS's own documented requests and are
not checked (``_UNENFORCED_PATTERNS``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import botocore.session
from botocore.model import ServiceModel, Shape
from botocore.validate import ParamValidator

__all__ = [
    "InstanceTypeInfo",
    "RequestError",
    "compile_java_pattern",
    "describe_instance_type",
    "grouped_instance_types",
    "instance_types",
    "service_model",
    "skipped_patterns",
    "validate_request",
]

Mode = Literal["training", "realtime", "batch"]


@lru_cache(maxsize=None)
def service_model(service: str) -> ServiceModel:
    """The botocore service model; loading and parsing the JSON is slow, so it is cached per process."""
    return botocore.session.get_session().get_service_model(service)


# --------------------------------------------------------------------------------------------- instance types

_MODE_SHAPES: dict[str, str] = {
    "training": "TrainingInstanceType",
    "realtime": "ProductionVariantInstanceType",
    "batch": "TransformInstanceType",
}

_LABELS = {
    "cpu": "CPU",
    "graviton": "Graviton (arm64)",
    "nvidia_gpu": "NVIDIA GPU",
    "inferentia": "Inferentia",
    "trainium": "Trainium",
    "gaudi": "Gaudi",
}
# Family order in pickers: plain CPUs first, then the accelerators.
_ACCELERATOR_ORDER = {kind: i for i, kind in enumerate(_LABELS)}

# family = <series letters><generation digits><option letters>[-<suffix>], e.g. c6gn, p4de, c7i-flex, p6e-gb200
_FAMILY_RE = re.compile(r"(?P<series>[a-z]+)(?P<gen>\d+)(?P<opts>[a-z]*)(?:-(?P<suffix>[a-z0-9-]+))?")
_SIZE_RE = re.compile(r"(?P<n>\d*)xlarge")
_SMALL_SIZES = {"nano": 1 / 16, "micro": 1 / 8, "small": 1 / 4, "medium": 1 / 2, "large": 1.0}


@dataclass(frozen=True)
class InstanceTypeInfo:
    name: str  # as given, e.g. "ml.g5.xlarge"
    family: str  # "g5"
    size: str  # "xlarge"
    accelerator: str  # cpu | nvidia_gpu | graviton | inferentia | trainium | gaudi
    label: str  # human label of the accelerator, e.g. "NVIDIA GPU"; "NVIDIA GPU (arm64)" for g5g
    architecture: str  # "x86_64" | "arm64"


def instance_types(mode: Mode) -> list[str]:
    """Instance types SageMaker accepts for ``mode`` (training/realtime/batch), in botocore's enum order."""
    try:
        shape_name = _MODE_SHAPES[mode]
    except KeyError:
        raise ValueError(f"mode must be one of {sorted(_MODE_SHAPES)}, not {mode!r}") from None
    # Only ml.* types can be put in a model package/algorithm; any other value in the enum is not for us.
    return [t for t in service_model("sagemaker").shape_for(shape_name).enum if t.startswith("ml.")]


@lru_cache(maxsize=1024)
def describe_instance_type(name: str) -> InstanceTypeInfo:
    """Family, size, accelerator and CPU architecture of an instance type such as ``ml.g5.xlarge``."""
    bare = name[3:] if name.startswith("ml.") else name
    family, sep, size = bare.partition(".")
    if not sep or not family or not size:
        raise ValueError(f"not an instance type: {name!r}")
    m = _FAMILY_RE.fullmatch(family)
    series, opts, suffix = (m["series"], m["opts"], m["suffix"] or "") if m else (family, "", "")
    # Graviton is marked by a 'g' right after the generation digit (c6g, m6gd, c6gn, r7gd, c8g, g5g);
    # "gb" suffixes (p6e-gb200) are Grace Blackwell: NVIDIA GPUs on NVIDIA's arm64 Grace CPU.
    arm = opts.startswith("g") or suffix.startswith("gb")
    if series in ("p", "g"):  # p2-p6 (+ d/de/e/en/dn/-b200...), g4dn/g5/g6/g6e/g7/g7e, g5g
        accelerator = "nvidia_gpu"
    elif series == "inf":
        accelerator = "inferentia"
    elif series == "trn":
        accelerator = "trainium"
    elif series == "dl":  # dl1: Habana Gaudi
        accelerator = "gaudi"
    else:
        accelerator = "graviton" if arm else "cpu"
    return InstanceTypeInfo(
        name=name,
        family=family,
        size=size,
        accelerator=accelerator,
        # g5g / p6e-gb200 pair NVIDIA GPUs with an arm64 CPU: the seller's image must be built for arm64.
        label=_LABELS[accelerator] + (" (arm64)" if arm and accelerator != "graviton" else ""),
        architecture="arm64" if arm else "x86_64",
    )


def _size_key(size: str) -> tuple[float, str]:
    """Order sizes roughly by vCPUs: medium < large < xlarge < 2xlarge < ... < 48xlarge < metal*."""
    if size in _SMALL_SIZES:
        return (_SMALL_SIZES[size], size)
    m = _SIZE_RE.fullmatch(size)
    if m:
        return (float(m["n"] or 1) * 2, size)
    return (float("inf"), size)  # metal, metal-24xl, anything new: last, alphabetically


def _family_key(info: InstanceTypeInfo) -> tuple[int, str, int, str, str]:
    # Natural order inside an accelerator kind: c5 < c5n < c6i < c7i < c7i-flex < c10 ..., p3 < p3dn < p4d.
    m = _FAMILY_RE.fullmatch(info.family)
    rank = _ACCELERATOR_ORDER[info.accelerator]
    if not m:
        return (rank, info.family, 0, "", "")
    return (rank, m["series"], int(m["gen"]), m["opts"], m["suffix"] or "")


def grouped_instance_types(mode: Mode) -> list[tuple[str, list[InstanceTypeInfo]]]:
    """``instance_types(mode)`` grouped by family for pickers: families by accelerator then name, types by size."""
    groups: dict[str, list[InstanceTypeInfo]] = {}
    for name in instance_types(mode):
        info = describe_instance_type(name)
        groups.setdefault(info.family, []).append(info)
    ordered = sorted(groups.values(), key=lambda infos: _family_key(infos[0]))
    return [(infos[0].family, sorted(infos, key=lambda i: _size_key(i.size))) for infos in ordered]


# ------------------------------------------------------------------------------------------ Java regex patterns


class _Unsupported(Exception):
    """A Java regex construct we do not translate; the pattern is skipped rather than guessed at."""


# Java escapes that Python lacks or reads differently (\Z, \v): refuse instead of mis-validating.
_UNSUPPORTED_ESCAPES = set("hHRXGQEkKzZvV")
_POSIX_CLASSES = {"Alnum": "a-zA-Z0-9", "Alpha": "a-zA-Z", "Digit": "0-9", "Upper": "A-Z", "Lower": "a-z"}
# Java's '.' stops at any line terminator, Python's only at \n.
_JAVA_DOT = r"[^\n\r\x85\u2028\u2029]"
_QUANTIFIER_RE = re.compile(r"\{\d+(?:,\d*)?\}")


@lru_cache(maxsize=1)
def _category_ranges() -> dict[str, list[tuple[int, int]]]:
    """Code-point ranges per Unicode general category (Lu, Nd, ...): Python ``re`` has no ``\\p{..}``."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    prev, start = None, 0
    for cp in range(0x110000 + 1):
        cat = unicodedata.category(chr(cp)) if cp < 0x110000 else None
        if cat != prev:
            if prev is not None:
                ranges.setdefault(prev, []).append((start, cp - 1))
            prev, start = cat, cp
    return ranges


def _property_class(name: str) -> str:
    """Body of a character class (no brackets) for Java ``\\p{name}``."""
    if name in _POSIX_CLASSES:
        return _POSIX_CLASSES[name]
    name = name.removeprefix("Is")
    if not name or len(name) > 2:  # scripts/blocks (\p{IsLatin}, \p{InGreek}) are not translated
        raise _Unsupported(f"\\p{{{name}}}")
    spans = sorted(r for cat, rs in _category_ranges().items() if cat.startswith(name) for r in rs)
    if not spans:
        raise _Unsupported(f"\\p{{{name}}}")
    return "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in spans)


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            e = pattern[i + 1]
            if e in "pP" and pattern.startswith("{", i + 2):
                end = pattern.index("}", i)
                body = _property_class(pattern[i + 3 : end])
                if in_class:
                    if e == "P":  # a negated set inside a class has no Python spelling
                        raise _Unsupported("\\P inside a class")
                    out.append(body)
                else:
                    out.append(f"[^{body}]" if e == "P" else f"[{body}]")
                i = end + 1
                continue
            hi = re.match(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", pattern[i:], re.I)
            if hi:  # UTF-16 surrogate pair -> one supplementary code point (Java reads them that way)
                cp = 0x10000 + ((int(hi[1], 16) - 0xD800) << 10) + (int(hi[2], 16) - 0xDC00)
                out.append(f"\\U{cp:08x}")
                i += hi.end()
                continue
            if e in _UNSUPPORTED_ESCAPES or e == "x" and pattern.startswith("{", i + 2):
                raise _Unsupported(f"\\{e}")
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "[" or pattern.startswith("&&", i):  # Java class union/intersection
                raise _Unsupported("nested character class")
            if c == "]" and not (out and out[-1] in ("[", "[^")):
                in_class = False
            out.append(c)
        elif c == "[":
            in_class = True
            if pattern.startswith("[^", i):
                out.append("[^")
                i += 2
                continue
            out.append("[")
        elif c == ".":
            out.append(_JAVA_DOT)
        elif c == "$" and (q := _QUANTIFIER_RE.match(pattern, i + 1)):
            out.append("$")  # Java accepts "${1,128}" (a quantified anchor == the anchor); Python refuses
            i = q.end()
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


@lru_cache(maxsize=None)
def compile_java_pattern(pattern: str) -> re.Pattern[str] | None:
    """Compile a Java regex from a botocore model for ``fullmatch``; ``None`` if it cannot be done faithfully."""
    try:
        return re.compile(_translate(pattern), re.ASCII)
    except (_Unsupported, re.error, ValueError):
        return None


@lru_cache(maxsize=None)
def skipped_patterns(service: str) -> dict[str, str]:
    """Shape name -> pattern for every pattern in ``service`` that ``validate_request`` cannot check."""
    model = service_model(service)
    found: dict[str, str] = {}
    for shape_name in model.shape_names:
        pattern = model.shape_for(shape_name).metadata.get("pattern")
        if pattern is not None and compile_java_pattern(pattern) is None:
            found[shape_name] = pattern
    return found


# -------------------------------------------------------------------------------------------- request checks

# Model patterns that AWS's own documented requests break, so the service evidently does not enforce them:
# the Catalog API guide (ml-add-version / ml-update-version) sends Entity.Type "MachineLearningProduct@1.0",
# which fails EntityType's "^[a-zA-Z]+$". Checking them would reject every correct change set.
_UNENFORCED_PATTERNS: dict[str, frozenset[str]] = {
    "marketplace-catalog": frozenset({"EntityType"}),
}

ErrorKind = Literal["required", "type", "min", "max", "enum", "pattern", "unknown", "other"]


@dataclass(frozen=True)
class RequestError:
    path: str  # e.g. "InferenceSpecification.SupportedRealtimeInferenceInstanceTypes[0]"; "" = the request
    message: str
    kind: str  # one of ErrorKind


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _botocore_errors(params: dict[str, Any], shape: Shape) -> list[RequestError]:
    """Run botocore's own validator and turn its (reason, name, details) tuples into RequestErrors."""
    report = ParamValidator().validate(params, shape)
    errors: list[RequestError] = []
    # ValidationErrors keeps raw tuples in _errors; reading them beats parsing generate_report()'s prose.
    for reason, name, details in getattr(report, "_errors", []):
        path = name.removeprefix(".")  # botocore paths start with "." ("" is the request itself)
        if reason == "missing required field":
            errors.append(RequestError(_join(path, details["required_name"]), "is required", "required"))
        elif reason == "unknown field":
            valid = ", ".join(details["valid_names"])
            errors.append(
                RequestError(_join(path, details["unknown_param"]), f"is not a known member (one of: {valid})", "unknown")
            )
        elif reason in ("invalid type", "invalid type for document", "unable to encode to json"):
            got = type(details.get("param")).__name__
            errors.append(RequestError(path, f"has the wrong type ({got}): {_short(details.get('param'))}", "type"))
        elif reason == "invalid length":
            errors.append(RequestError(path, f"is shorter than the minimum length {details['min_allowed']}", "min"))
        elif reason == "invalid range":
            errors.append(RequestError(path, f"is below the minimum {details['min_allowed']}", "min"))
        else:  # tagged-union errors ("empty input", "more than one input") and anything botocore adds later
            errors.append(RequestError(path, reason, "other"))
    return errors


def _check_bounds(value: float, shape: Shape, path: str, what: str, errors: list[RequestError]) -> None:
    lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
    if lo is not None and value < lo:
        errors.append(RequestError(path, f"{what} {value} is below the minimum {lo}", "min"))
    if hi is not None and value > hi:
        errors.append(RequestError(path, f"{what} {value} is above the maximum {hi}", "max"))


def _walk(value: Any, shape: Shape, path: str, errors: list[RequestError], unenforced: frozenset[str]) -> None:
    """Check enum/pattern/min/max everywhere; wrong types are left to botocore (which reports them)."""
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document") or not isinstance(value, dict):
            return  # free-form JSON (e.g. DetailsDocument) has no shape to walk
        for member, member_value in value.items():
            if member in shape.members:
                _walk(member_value, shape.members[member], _join(path, member), errors, unenforced)
    elif kind == "list":
        if isinstance(value, (list, tuple)):
            _check_bounds(len(value), shape, path, "item count", errors)
            for i, item in enumerate(value):
                _walk(item, shape.member, f"{path}[{i}]", errors, unenforced)
    elif kind == "map":
        if isinstance(value, dict):
            _check_bounds(len(value), shape, path, "entry count", errors)
            for key, item in value.items():
                # Same path spellings as botocore so duplicates can be dropped.
                _walk(key, shape.key, f"{path} (key: {key})", errors, unenforced)
                _walk(item, shape.value, _join(path, str(key)), errors, unenforced)
    elif kind == "string":
        if isinstance(value, str):
            _check_bounds(len(value), shape, path, "length", errors)
            allowed = shape.metadata.get("enum")
            if allowed and value not in allowed:
                shown = ", ".join(allowed) if len(allowed) <= 12 else f"{len(allowed)} values, see the API reference"
                errors.append(RequestError(path, f"{_short(value)} is not an allowed value ({shown})", "enum"))
            pattern = shape.metadata.get("pattern")
            if pattern is not None and shape.name not in unenforced:
                compiled = compile_java_pattern(pattern)
                if compiled is not None and not compiled.fullmatch(value):
                    errors.append(RequestError(path, f"{_short(value)} does not match the pattern {pattern}", "pattern"))
    elif kind in ("integer", "long", "float", "double"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            _check_bounds(value, shape, path, "value", errors)
    elif kind == "blob":
        if isinstance(value, (bytes, bytearray, str)):
            _check_bounds(len(value), shape, path, "length", errors)


def validate_request(service: str, operation: str, params: dict[str, Any]) -> list[RequestError]:
    """All problems AWS would reject ``params`` for, for ``service``/``operation`` (e.g. sagemaker CreateModelPackage).

    botocore's ParamValidator errors come first, then the strict walk's; one error per (path, kind).
    Raises botocore's ``OperationNotFoundError`` / ``UnknownServiceError`` for unknown names.
    """
    shape = service_model(service).operation_model(operation).input_shape
    if shape is None:  # operations without input
        return [] if not params else [RequestError("", "this operation takes no parameters", "unknown")]
    errors = _botocore_errors(params, shape)
    strict: list[RequestError] = []
    _walk(params, shape, "", strict, _UNENFORCED_PATTERNS.get(service, frozenset()))
    seen = {(e.path, e.kind) for e in errors}
    for error in strict:
        if (error.path, error.kind) not in seen:
            seen.add((error.path, error.kind))
            errors.append(error)
    return errors

