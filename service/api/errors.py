"""Errors to HTTP, in one place. Every error body is ``{"status_code", "detail", "extra"?}``."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException

from service.domain.errors import InvalidInputError, NotFoundError, UnavailableError, WiredeskError

log = logging.getLogger(__name__)

STATUS: dict[type[WiredeskError], int] = {
    InvalidInputError: 400,
    NotFoundError: 404,
    UnavailableError: 503,
}


def status_of(exc: WiredeskError) -> int:
    """HTTP status of a domain error."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def domain_error(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, object]]:
    """Map a :class:`WiredeskError` to its status with a message naming the problem."""
    assert isinstance(exc, WiredeskError)
    status = status_of(exc)
    body: dict[str, object] = {"status_code": status, "detail": str(exc)}
    if isinstance(exc, InvalidInputError) and exc.field:
        body["extra"] = {"field": exc.field}
    headers = {"Retry-After": "5"} if status == 503 else None
    return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)


def undecodable_body(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, object]]:
    """A body that is not UTF-8 (JSON must be): 400, not the 500 of an unforeseen error."""
    assert isinstance(exc, UnicodeDecodeError)
    return Response(
        {
            "status_code": 400,
            "detail": f"malformed request body: not valid UTF-8 at byte {exc.start}",
        },
        status_code=400,
        media_type=MediaType.JSON,
    )


def unexpected_error(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[dict[str, object]]:
    """Anything unforeseen: log it whole, answer 500 without internals."""
    if isinstance(exc, HTTPException):
        body: dict[str, object] = {"status_code": exc.status_code, "detail": exc.detail}
        if exc.extra:
            body["extra"] = exc.extra
        return Response(
            body, status_code=exc.status_code, media_type=MediaType.JSON, headers=exc.headers
        )
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return Response(
        {"status_code": 500, "detail": "internal error"}, status_code=500, media_type=MediaType.JSON
    )
