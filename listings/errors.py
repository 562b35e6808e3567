"""Errors a service raises for the user to read. Views turn them into messages; the API into 4xx bodies."""

from __future__ import annotations


class ServiceError(Exception):
    """The action cannot be done as asked; the message says why and what to do."""

    status_code = 400


class Conflict(ServiceError):
    """Someone else changed the same thing first."""

    status_code = 409

    def __init__(self, message: str, *, current: dict | None = None):
        super().__init__(message)
        self.current = current or {}


class NotAllowed(ServiceError):
    status_code = 403
