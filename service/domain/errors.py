"""Domain errors; the API maps each to one HTTP status in one place (``service.api.errors``)."""

from __future__ import annotations


class WiredeskError(Exception):
    """Base of the errors a client can cause or see."""


class InvalidInputError(WiredeskError):
    """The request is well-formed but its content cannot be used (HTTP 400/422)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(WiredeskError):
    """An id names nothing (HTTP 404)."""


class UnavailableError(WiredeskError):
    """A backing service (Redis) is unreachable; nothing was changed (HTTP 503)."""


class ConflictError(WiredeskError):
    """The request conflicts with the current state, such as a full quota (HTTP 409)."""
