"""What every request builder shares: the built request, where each part came from, and a careful snapshot reader.

A builder turns the listing snapshot (validation/SNAPSHOT.md) into the exact parameters of one AWS API call. Two
things make the result useful beyond the bundle:

* ``BuiltRequest.sources`` maps request paths (the spelling ``validate_request`` reports, e.g.
  ``InferenceSpecification.SupportedRealtimeInferenceInstanceTypes[2]``) to the seller's form field
  (``field:instance_types.realtime[2]``), so an error AWS would raise is shown where the seller fixes it.
* ``IncompleteListing`` says which fields must be filled before the request can be built at all (an image URI, a
  role ...). Builders collect every such gap before raising, so the seller sees all of them at once.

Builders are pure (no ORM, no network, no clock) and deterministic: the same snapshot gives the same bytes.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BuiltRequest", "IncompleteListing", "MissingField", "Reader", "resource_name"]

# botocore spells a map key's path "Environment (key: FOO)"; sources register it as "Environment.FOO".
_MAP_KEY_RE = re.compile(r" \(key: ([^)]*)\)")
_UNSET: Any = object()  # "read the value at path" (None is a value: absent)


@dataclass(frozen=True)
class BuiltRequest:
    """One AWS request as it will be sent: ``service``/``operation`` plus ``params`` (JSON-serialisable)."""

    service: str  # botocore service name, e.g. "sagemaker", "marketplace-catalog"
    operation: str  # e.g. "CreateModelPackage", "StartChangeSet"
    params: dict[str, Any]
    sources: Mapping[str, str] = field(default_factory=dict)  # request path prefix -> snapshot location

    def location_for(self, path: str) -> str:
        """The seller's field for a request path: the longest registered prefix that ends at a path boundary.

        Index-aware: ``A.B[2].C`` matches ``A.B[2]`` (then ``A.B``) but never ``A.B[20]``. ``""`` when nothing
        matches (a constant the builder chose, e.g. ``CertifyForMarketplace``).
        """
        path = _MAP_KEY_RE.sub(r".\1", path)
        cuts = [len(path)] + [i for i in range(len(path) - 1, 0, -1) if path[i] in ".["]
        for cut in cuts:
            location = self.sources.get(path[:cut])
            if location is not None:
                return location
        return ""

    def to_json(self) -> str:
        """The request as the bundle writes it: sorted keys, two-space indent, UTF-8 text, trailing newline."""
        return json.dumps(self.params, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class MissingField:
    location: str  # e.g. "field:aws.image_uri"
    label: str  # what the seller calls it, e.g. "Image URI"
    reason: str = "is empty"  # or "has the wrong type (int)", ...


class IncompleteListing(Exception):
    """The listing lacks data the request cannot be built without; ``missing`` lists every gap found."""

    def __init__(self, operation: str, missing: list[MissingField]):
        self.operation = operation
        self.missing = missing
        super().__init__(f"{operation}: " + "; ".join(f"{m.label} {m.reason}" for m in missing))


class Reader:
    """Reads snapshot values by their location path and records what a builder could not use.

    The snapshot promises every key exists, but API clients can send anything, so a wrong type is recorded as a
    gap (never a crash). ``need_*`` records an empty value as a gap too; plain readers accept emptiness and leave
    it to the request validation to report at the field.
    """

    def __init__(self, snapshot: Any, operation: str):
        self.snapshot = snapshot if isinstance(snapshot, dict) else {}
        self.operation = operation
        self.sources: dict[str, str] = {}
        self.missing: list[MissingField] = []

    # -- raw access -------------------------------------------------------------------------------------------
    def raw(self, path: str) -> Any:
        """Value at ``"section.key.key"`` (dict keys only); ``None`` if any step is absent or not a dict."""
        value: Any = self.snapshot
        for part in path.split("."):
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    def _wrong(self, path: str, label: str, value: Any, want: str) -> None:
        reason = f"has the wrong type ({type(value).__name__}; {want})"
        self.missing.append(MissingField(f"field:{path}", label, reason))

    # -- typed readers ----------------------------------------------------------------------------------------
    def text(self, path: str, label: str, value: Any = _UNSET, *, required: bool = False) -> str:
        """A string field (``value`` given: an item already read, ``path`` is then only its location)."""
        value = self.raw(path) if value is _UNSET else value
        if value is None:
            value = ""
        if not isinstance(value, str):
            self._wrong(path, label, value, "text expected")
            return ""
        if required and not value.strip():
            self.missing.append(MissingField(f"field:{path}", label))
        return value

    def flag(self, path: str, label: str, value: Any = _UNSET) -> bool:
        value = self.raw(path) if value is _UNSET else value
        if value is None:
            return False
        if not isinstance(value, bool):
            self._wrong(path, label, value, "true or false expected")
            return False
        return value

    def integer(self, path: str, label: str) -> int | None:
        value = self.raw(path)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self._wrong(path, label, value, "a whole number expected")
            return None
        return value

    def items(self, path: str, label: str, value: Any = _UNSET, *, required: bool = False) -> list[Any]:
        value = self.raw(path) if value is _UNSET else value
        if value is None:
            value = []
        if not isinstance(value, list):
            self._wrong(path, label, value, "a list expected")
            return []
        if required and not value:
            self.missing.append(MissingField(f"field:{path}", label, "needs at least one entry"))
        return value

    def texts(self, path: str, label: str, value: Any = _UNSET, *, required: bool = False) -> list[str]:
        """A list of strings; a non-string item is a gap at its own index."""
        out: list[str] = []
        for i, item in enumerate(self.items(path, label, value, required=required)):
            out.append(self.text(f"{path}[{i}]", f"{label} #{i + 1}", item))
        return out

    def mapping(self, path: str, label: str) -> dict[str, Any]:
        value = self.raw(path)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self._wrong(path, label, value, "a mapping expected")
            return {}
        return value

    def records(self, path: str, label: str, value: Any = _UNSET) -> list[dict[str, Any]]:
        """A list of objects (hyperparameters, channels ...); a non-object item is a gap and is skipped."""
        out: list[dict[str, Any]] = []
        for i, item in enumerate(self.items(path, label, value)):
            if isinstance(item, dict):
                out.append(item)
            else:
                self._wrong(f"{path}[{i}]", f"{label} #{i + 1}", item, "an object expected")
                out.append({})
        return out

    # -- bookkeeping ------------------------------------------------------------------------------------------
    def source(self, request_path: str, location: str) -> None:
        """Record that ``request_path`` (and everything below it) came from ``location`` (``field:...``)."""
        self.sources[request_path] = location

    def source_items(self, request_path: str, location: str, count: int) -> None:
        """A list copied item by item: ``X`` -> ``loc`` and ``X[i]`` -> ``loc[i]``."""
        self.source(request_path, location)
        for i in range(count):
            self.source(f"{request_path}[{i}]", f"{location}[{i}]")

    def finish(self, service: str, params: dict[str, Any]) -> BuiltRequest:
        if self.missing:
            raise IncompleteListing(self.operation, _unique(self.missing))
        return BuiltRequest(service, self.operation, params, dict(self.sources))


def _unique(missing: list[MissingField]) -> list[MissingField]:
    seen: set[tuple[str, str]] = set()
    out = []
    for m in missing:
        if (m.location, m.reason) not in seen:
            seen.add((m.location, m.reason))
            out.append(m)
    return out


def resource_name(title: str, *, max_length: int, suffix: str = "") -> str:
    """A SageMaker resource name from a product title, in the API's ``[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`` form.

    Accents are folded to ASCII ("Análisis" -> "analisis"), symbols such as ™ dropped, every other run of
    non-alphanumerics becomes one hyphen, and the result is lower-cased (SageMaker lower-cases names in ARNs, so
    the ARN we predict for the Catalog change set matches the one returned) and cut to ``max_length`` including
    ``suffix``. ``""`` when the title has no ASCII letter or digit at all (a title only in, say, Japanese): the
    caller reports that as a gap.
    """
    # Symbols (™ ® © €) separate words instead of folding into letters (NFKD turns ™ into "TM").
    plain = "".join(" " if unicodedata.category(c).startswith("S") else c for c in title)
    folded = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", folded).strip("-").lower()
    slug = slug[: max(0, max_length - len(suffix))].rstrip("-")
    return f"{slug}{suffix}" if slug else ""
