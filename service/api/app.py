"""The litestar application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import cast

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.types import Middleware

from service.api import dashboard, live, openapi
from service.api.errors import domain_error, unexpected_error
from service.api.feeds import FEED_ROUTES
from service.api.middleware import (
    ASGIApp,
    RedactSecrets,
    allowed_hosts,
    body_idle_timeout,
    default_allowed_hosts,
    security_headers,
    write_rate_limit,
)
from service.api.routes import ROUTES, provide_wiredesk
from service.bootstrap import running
from service.domain.errors import WiredeskError
from service.domain.ports import Embedder
from service.settings import Settings


def _plain_asgi(factory: Callable[[ASGIApp], ASGIApp]) -> Middleware:
    """A plain-ASGI middleware factory, typed for litestar (whose events are TypedDicts)."""
    return cast("Middleware", factory)


def create_app(settings: Settings | None = None, *, embedder: Embedder | None = None) -> Litestar:
    """Build the app; the service starts in the lifespan and stops with it.

    Args:
        settings: configuration; ``None`` reads ``WIREDESK_*`` from the environment.
        embedder: an already-loaded embedder to use (tests share one model across apps).
    """
    settings = settings if settings is not None else Settings.from_env()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in access.filters):
        access.addFilter(RedactSecrets())

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with running(settings, embedder=embedder) as wiredesk:
            app.state.wiredesk = wiredesk
            yield

    hosts = settings.allowed_hosts or default_allowed_hosts(settings.host)
    limits = (
        [write_rate_limit(settings.write_rate_per_minute).middleware]
        if settings.write_rate_per_minute > 0
        else []
    )
    app = Litestar(
        route_handlers=[*ROUTES, *FEED_ROUTES, *live.ROUTES],
        # Outermost first: the Host check, then the body timer (its 408 is an exception the
        # app's handlers turn into a JSON response).
        middleware=[
            _plain_asgi(lambda app: allowed_hosts(app, hosts)),
            _plain_asgi(lambda app: body_idle_timeout(app, settings.body_timeout_s)),
            *limits,
        ],
        lifespan=[lifespan],
        dependencies={"wiredesk": Provide(provide_wiredesk, sync_to_thread=False)},
        exception_handlers={
            WiredeskError: domain_error,
            Exception: unexpected_error,
        },
        before_send=[security_headers],
        request_max_body_size=settings.max_body_bytes,
        state=State({"settings": settings}),
        template_config=dashboard.template_config(),
        openapi_config=OpenAPIConfig(
            title="Wiredesk",
            version="1.0.0",
            description="One clean, attributed extractive brief per news story.",
            path="/schema",
            render_plugins=[JsonRenderPlugin(), openapi.LocalDocsPlugin()],
        ),
    )
    openapi.complete(app)
    return app
