"""Errors to HTTP, in one place. Every error body is ``{"status_code", "detail", "extra"?}``."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    ValidationException,
)
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE, HTTP_429_TOO_MANY_REQUESTS

from service.api.bodies import BodyTooLargeError, UnsupportedMediaTypeError, too_large_message
from service.api.middleware import BodyTimeoutError
from service.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    UnavailableError,
    WiredeskError,
)

log = logging.getLogger(__name__)

STATUS: dict[type[WiredeskError], int] = {
    UnsupportedMediaTypeError: 415,
    BodyTooLargeError: 413,
    InvalidInputError: 400,
    NotFoundError: 404,
    ConflictError: 409,
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


def unexpected_error(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[dict[str, object]]:
    """The framework's own refusals in the project's words; anything else: 500, logged whole.

    The framework raises for unknown paths (404), wrong methods (405), query and path
    parameters that fail their declared bounds (400) and bodies over the size limit while
    reading (413). Their status stands; their message is ours, so it does not change with the
    installed litestar release.
    """
    if isinstance(exc, HTTPException):
        status = exc.status_code
        body: dict[str, object] = {
            "status_code": status,
            "detail": _framework_message(request, exc),
        }
        if isinstance(exc, ValidationException) and (names := _parameters(exc)):
            body["extra"] = {"field": names[0]}
        headers = dict(exc.headers or {})
        if status == HTTP_429_TOO_MANY_REQUESTS:  # RFC 9110 section 10.2.3
            reset = {k.lower(): v for k, v in headers.items()}.get("ratelimit-reset", "60")
            headers.setdefault("Retry-After", reset)
        return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return Response(
        {"status_code": 500, "detail": "internal error"}, status_code=500, media_type=MediaType.JSON
    )


def _parameters(exc: ValidationException) -> list[str]:
    """Names of the parameters a framework validation error is about (its ``extra`` list)."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    return [str(e["key"]) for e in extra if isinstance(e, dict) and e.get("key")]


def _framework_message(request: Request[Any, Any, Any], exc: HTTPException) -> str:
    path = request.url.path
    message = f"request refused ({exc.status_code})"
    if isinstance(exc, NotFoundException):
        message = f"no such endpoint: {path} (see /schema/openapi.json)"
    elif isinstance(exc, MethodNotAllowedException):
        message = f"{request.method} is not allowed on {path}"
    elif exc.status_code == HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        message = too_large_message(request.app.state.settings.max_body_bytes)
    elif isinstance(exc, ValidationException):
        shown = ", ".join(
            f"`{n}`={v!r}" if (v := request.query_params.get(n)) is not None else f"`{n}`"
            for n in _parameters(exc)
        )
        message = (
            f"invalid parameter {shown}: outside its documented type or range "
            "(see /schema/openapi.json)"
            if shown
            else f"invalid request to {path}"
        )
    elif exc.status_code == HTTP_429_TOO_MANY_REQUESTS:
        limit = request.app.state.settings.write_rate_per_minute
        message = (
            f"too many writes from this client: the limit is {limit} a minute "
            "(WIREDESK_WRITE_RATE_PER_MINUTE); retry after the Retry-After seconds"
        )
    elif isinstance(exc, BodyTimeoutError) or exc.status_code == 401:
        # our own: the body-timeout middleware's and the API-key guard's messages
        message = str(exc.detail)
    return message
