"""The one exception of the registry source: carries the rule code it becomes (``registry.E0xx`` or, for
problems an archive can have too — missing blob, digest mismatch, invalid manifest — the ``container`` code)."""

from __future__ import annotations


class RegistryError(Exception):
    def __init__(self, code: str, message: str, location: str = "", **measured: object) -> None:
        super().__init__(message)
        self.code, self.message, self.location, self.measured = code, message, location, dict(measured)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class DeadlineExceeded(RegistryError):
    def __init__(self, message: str, location: str = "", **measured: object) -> None:
        super().__init__("registry.E004", message, location, **measured)
