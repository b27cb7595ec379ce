"""uvicorn's HTTP protocol with a header deadline (slowloris protection).

uvicorn closes idle keep-alive connections, and the app times out stalled request bodies
(:func:`service.api.middleware.body_idle_timeout`), but a client that sends its request line
and headers a byte at a time holds a connection and its buffers indefinitely: "Slowloris"
(R. Hansen, 2009). This protocol gives every request ``header_timeout_s`` from its first byte
(or from the connection's opening) to finish its headers, then closes the connection, as
nginx's ``client_header_timeout`` and Apache's ``mod_reqtimeout`` do.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` that closes connections whose headers take too long."""

    header_timeout_s: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._expire)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expire(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request's headers."""
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        """A request's first byte: its headers have ``header_timeout_s`` from now."""
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        """Headers done: the body (if any) is the app's to time."""
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Nothing left to time."""
        self._disarm()
        super().connection_lost(exc)


def protocol_with_header_timeout(timeout_s: float) -> type[HeaderTimeoutProtocol]:
    """A :class:`HeaderTimeoutProtocol` subclass with this deadline (uvicorn takes a class)."""
    return type("HeaderTimeout", (HeaderTimeoutProtocol,), {"header_timeout_s": timeout_s})
