"""The edge: allowed ``Host`` names, security headers, slow request bodies.

The Host check and the body timer are plain ASGI wrappers around each route; the security
headers are a ``before_send`` hook, so they reach every response, 404s included.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import unquote_plus

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import HTTPException
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.types import Message as LitestarMessage
from litestar.types import Scope as LitestarScope

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")

# Headers on every HTTP response. The dashboard has inline CSS but no script at all, so the
# Content-Security-Policy forbids every script and any framing (OWASP Secure Headers Project).
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
        b"frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


def default_allowed_hosts(bind_host: str) -> tuple[str, ...]:
    """Host names a server bound to ``bind_host`` answers when none are configured.

    Bound to loopback, only loopback names: a page on another site can then not reach the
    service through DNS rebinding (a name of the attacker's that resolves to 127.0.0.1).
    Bound elsewhere, any name (``*``): the operator knows the public names; set
    ``WIREDESK_ALLOWED_HOSTS`` to them.
    """
    name = bind_host.strip("[]").lower()
    if name == "localhost":
        return LOOPBACK_NAMES
    try:
        loopback = ipaddress.ip_address(name).is_loopback
    except ValueError:
        loopback = False
    return LOOPBACK_NAMES if loopback else ("*",)


def host_allowed(host_header: str, allowed: Iterable[str]) -> bool:
    """Whether a ``Host`` header (port ignored) matches an allowed name.

    Names match case-insensitively; ``*`` allows any host, ``*.example.org`` any subdomain.
    """
    host = host_header.strip().lower()
    if host.startswith("["):  # [::1]:8000
        host = host[1 : host.find("]")] if "]" in host else host
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    for pattern in allowed:
        p = pattern.strip().lower().strip("[]")
        if p in ("*", host) or (p.startswith("*.") and host.endswith(p[1:])):
            return True
    return False


async def _send_json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"status_code": status, "detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def allowed_hosts(app: ASGIApp, hosts: tuple[str, ...]) -> ASGIApp:
    """Refuse (400) HTTP requests whose ``Host`` header is not in ``hosts``."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
            if not host_allowed(host, hosts):
                shown = host or "(none)"
                await _send_json(
                    send, 400, f"Host {shown!r} is not served here (see WIREDESK_ALLOWED_HOSTS)"
                )
                return
        await app(scope, receive, send)

    return middleware


async def security_headers(message: LitestarMessage, _scope: LitestarScope) -> None:
    """A ``before_send`` hook: :data:`SECURITY_HEADERS` on every HTTP response.

    A hook rather than a middleware because litestar runs hooks for every response, 404s of
    unknown paths included, and middleware only for matched routes. Headers a response sets
    itself are kept.
    """
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for key, value in SECURITY_HEADERS:
            if key.decode() not in headers:
                headers.add(key.decode(), value.decode())


class BodyTimeoutError(HTTPException):
    """The client stopped sending its request body (HTTP 408)."""

    status_code = 408


def body_idle_timeout(app: ASGIApp, timeout_s: float) -> ASGIApp:
    """Answer 408 when a client sends no request-body bytes for ``timeout_s`` seconds.

    A body shorter than its declared ``Content-Length`` used to hold its request (and the
    connection) forever: the server waits for bytes that never come. Only reads of the body
    are timed; once it is complete, waiting for a disconnect (a streamed response) is not.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        complete = False

        async def timed_receive() -> Message:
            nonlocal complete
            if complete:
                return await receive()
            try:
                async with asyncio.timeout(timeout_s):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeoutError(
                    f"request body incomplete: nothing received for {timeout_s:g} s"
                ) from None
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await app(scope, timed_receive, send)

    return middleware


def client_identity(request: Request[Any, Any, Any]) -> str:
    """Whom a rate limit counts: the API key's digest when one is sent, else the address.

    The key itself is never kept (only a SHA-256 prefix), so it cannot leak through the
    limiter's store.
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "key:" + hashlib.sha256(token.strip().encode()).hexdigest()[:16]
    client = request.client
    return "addr:" + (client.host if client else "unknown")


def write_rate_limit(per_minute: int) -> RateLimitConfig:
    """Litestar's fixed-window limiter on writes (``POST``), per :func:`client_identity`."""
    return RateLimitConfig(
        rate_limit=("minute", per_minute),
        identifier_for_request=client_identity,
        check_throttle_handler=lambda request: request.method == "POST",
    )


# Query parameters whose values are secrets wherever they appear (OWASP Logging Cheat Sheet:
# never log session ids, access tokens or passwords). Wiredesk reads keys from the
# Authorization header only; a client that puts one in the URL must not see it in our logs.
SECRET_PARAMETERS = frozenset(
    {"key", "api_key", "apikey", "api-key", "token", "access_token", "auth", "password", "secret"}
)


def redact_query(path: str) -> str:
    """``path`` with the values of :data:`SECRET_PARAMETERS` replaced by ``REDACTED``."""
    base, sep, query = path.partition("?")
    if not sep:
        return path
    parts = []
    for pair in query.split("&"):
        name, eq, _value = pair.partition("=")
        secret = unquote_plus(name).lower() in SECRET_PARAMETERS
        parts.append(f"{name}{eq}REDACTED" if secret and eq else pair)
    return f"{base}?{'&'.join(parts)}"


class RedactSecrets(logging.Filter):
    """Redacts secret query values in uvicorn's access-log records (``args[2]`` is the path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True
