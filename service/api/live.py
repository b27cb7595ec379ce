"""Live updates over HTTP: the ``GET /events`` stream and the ``/webhooks`` subscriptions.

Bodies and their converters live here rather than in :mod:`service.api.schemas`, beside the
routes that use them. See docs/EVENTS.md for the wire contract.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

import msgspec
from litestar import Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from msgspec import Meta

from service.api.routes import json_body, require_api_key
from service.api.schemas import iso
from service.domain.errors import InvalidInputError, WiredeskError
from service.domain.events import LiveEvent
from service.domain.webhooks import DeliveryAttempt, Webhook
from service.usecases import Wiredesk
from service.usecases.events import Events, StreamFilter

# Stream clients reconnect after this long (the SSE ``retry:`` field, milliseconds).
RECONNECT_MS = 3000
# Outlet filters one stream may name; an operator follows a handful of outlets, and each one
# costs a comparison per event.
MAX_OUTLETS = 20
OUTLET_CHARS = 200


# --------------------------------------------------------------------------- the stream
def _message(event: LiveEvent) -> ServerSentEventMessage:
    return ServerSentEventMessage(
        data=json.dumps(event.data(), ensure_ascii=False, separators=(",", ":")),
        event=event.type,
        id=event.event_id,
    )


async def _stream(
    events: Events, wanted: StreamFilter, last_event_id: str | None
) -> AsyncIterator[ServerSentEventMessage]:
    """The messages of one stream; the client is forgotten however the stream ends.

    The client registers here, when the body starts, not in the handler: a client that goes
    away before its body starts never runs this generator, and so leaves nothing registered.
    """
    try:
        client, resume = events.open(wanted, last_event_id)
    except WiredeskError as exc:  # the last stream slot went meanwhile, or the server stops
        yield ServerSentEventMessage(data=None, comment=f"refused: {exc}")
        return
    heartbeat_s = events.config.heartbeat_s
    try:
        yield ServerSentEventMessage(data=None, comment="wiredesk story events", retry=RECONNECT_MS)
        if resume.gap:
            yield ServerSentEventMessage(
                data=None,
                comment="gap: events after Last-Event-ID are no longer held; "
                "reload what you show, then follow",
            )
        for event in resume.backlog:
            yield _message(event)
        while True:
            waiting = await client.next(heartbeat_s)
            if waiting is not None:
                yield _message(waiting)
            elif client.dropped:
                yield ServerSentEventMessage(
                    data=None,
                    comment=f"dropped: this client fell {client.bound} events behind; "
                    "reconnect with Last-Event-ID to resume",
                )
                return
            elif client.ending:
                yield ServerSentEventMessage(
                    data=None, comment="server stopping: reconnect with Last-Event-ID"
                )
                return
            else:
                yield ServerSentEventMessage(data=None, comment="heartbeat")
    finally:
        events.close(client)


def _outlets(values: list[str] | None) -> list[str]:
    """Check the ``outlet`` filter values.

    Raises:
        InvalidInputError: too many, or one empty or too long.
    """
    outlets = values or []
    if len(outlets) > MAX_OUTLETS:
        raise InvalidInputError(
            f"at most {MAX_OUTLETS} `outlet` filters; got {len(outlets)}", field="outlet"
        )
    for outlet in outlets:
        if not outlet.strip() or len(outlet) > OUTLET_CHARS:
            raise InvalidInputError(
                f"`outlet` must be an outlet name of 1 to {OUTLET_CHARS} characters",
                field="outlet",
            )
    return [o.strip() for o in outlets]


@get(
    "/events",
    media_type="text/event-stream",
    summary="Live story events (server-sent events)",
)
async def event_stream(
    wiredesk: NamedDependency[Wiredesk],
    story_id: Annotated[
        str | None,
        QueryParameter(
            max_length=200,
            description="Only this story's events; a merged-away id follows its survivor",
        ),
    ] = None,
    outlet: Annotated[
        list[str] | None,
        QueryParameter(description="Only stories with this outlet (repeat for any of several)"),
    ] = None,
    last_event_id: Annotated[
        str | None,
        QueryParameter(
            max_length=40,
            description="Resume after this event id (for clients that cannot send the header)",
        ),
    ] = None,
    last_event_id_header: Annotated[
        str | None,
        HeaderParameter(
            name="Last-Event-ID",
            max_length=40,
            description="Resume after this event id (browsers send it when they reconnect)",
        ),
    ] = None,
) -> ServerSentEvent:
    """``story.created``, ``story.updated``, ``story.merged`` and ``brief.changed`` events.

    Each event has an ``id:``; a client that reconnects with ``Last-Event-ID`` gets the events
    it missed while the in-memory ring still holds them (else a ``gap`` comment). Idle streams
    get a comment every 15 s. A client that falls behind is dropped with a final comment.
    """
    events = wiredesk.events
    wanted = events.stream_filter(story_id, _outlets(outlet))
    resume_after = last_event_id_header or last_event_id
    events.check_open(resume_after)
    return ServerSentEvent(
        _stream(events, wanted, resume_after),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# --------------------------------------------------------------------------- webhooks
EventType = Annotated[str, Meta(min_length=1, max_length=40)]


class WebhookIn(msgspec.Struct, forbid_unknown_fields=True):
    """A subscription: where to POST and which events (every filter optional)."""

    url: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=2048,
            description="http(s) URL receiving the deliveries; public addresses only unless "
            "WIREDESK_FETCH_ALLOW_PRIVATE=true",
        ),
    ]
    events: Annotated[list[EventType], Meta(max_length=4)] | None = None
    outlet: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    keyword: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    min_outlets: Annotated[int, Meta(ge=1, le=10_000)] = 1


class WebhookOut(msgspec.Struct):
    """A subscription as listed (never its secret)."""

    webhook_id: str
    url: str
    events: list[str]
    outlet: str | None
    keyword: str | None
    min_outlets: int
    created_at: str | None
    waiting: int


class WebhookCreated(msgspec.Struct):
    """A new subscription with its signing secret (shown this once)."""

    webhook_id: str
    secret: str
    url: str
    events: list[str]
    outlet: str | None
    keyword: str | None
    min_outlets: int
    created_at: str | None


class WebhooksOut(msgspec.Struct):
    """Every subscription, oldest first."""

    webhooks: list[WebhookOut]


class DeliveryOut(msgspec.Struct):
    """One try of one delivery."""

    delivery_id: str
    event_id: str
    event_type: str
    attempt: int
    at: str | None
    status_code: int | None
    ok: bool
    error: str | None
    duration_ms: float
    next_retry_at: str | None


class DeliveriesOut(msgspec.Struct):
    """A subscription's newest delivery tries, newest first."""

    webhook_id: str
    deliveries: list[DeliveryOut]


def _webhook_out(hook: Webhook, waiting: int) -> WebhookOut:
    return WebhookOut(
        hook.webhook_id,
        hook.url,
        list(hook.events),
        hook.outlet,
        hook.keyword,
        hook.min_outlets,
        iso(hook.created_at),
        waiting,
    )


def _delivery_out(attempt: DeliveryAttempt) -> DeliveryOut:
    return DeliveryOut(
        attempt.delivery_id,
        attempt.event_id,
        attempt.event_type,
        attempt.attempt,
        iso(attempt.at),
        attempt.status_code,
        attempt.ok,
        attempt.error,
        attempt.duration_ms,
        iso(attempt.next_retry_at),
    )


@post(
    "/webhooks",
    guards=[require_api_key],
    before_request=json_body(WebhookIn),
    summary="Subscribe a URL to story events",
)
async def create_webhook(
    data: JSONBody[WebhookIn], wiredesk: NamedDependency[Wiredesk]
) -> Response[WebhookCreated]:
    """201 with the subscription's id and signing secret; the secret is never shown again."""
    hook = await wiredesk.webhooks.subscribe(
        data.url.strip(),
        data.events or (),
        data.outlet.strip() if data.outlet else None,
        data.keyword.strip() if data.keyword else None,
        data.min_outlets,
    )
    body = WebhookCreated(
        hook.webhook_id,
        hook.secret,
        hook.url,
        list(hook.events),
        hook.outlet,
        hook.keyword,
        hook.min_outlets,
        iso(hook.created_at),
    )
    return Response(body, status_code=201)


@get("/webhooks", guards=[require_api_key], summary="Webhook subscriptions")
async def list_webhooks(wiredesk: NamedDependency[Wiredesk]) -> WebhooksOut:
    """Every subscription (without secrets) and how many deliveries wait in its queue."""
    hooks = wiredesk.webhooks
    return WebhooksOut([_webhook_out(h, hooks.waiting(h.webhook_id)) for h in hooks.all()])


@delete(
    "/webhooks/{webhook_id:str}",
    guards=[require_api_key],
    summary="Delete a webhook subscription",
    status_code=204,
)
async def delete_webhook(webhook_id: FromPath[str], wiredesk: NamedDependency[Wiredesk]) -> None:
    """Stop deliveries to the subscription and drop its log."""
    await wiredesk.webhooks.unsubscribe(webhook_id)


@get(
    "/webhooks/{webhook_id:str}/deliveries",
    guards=[require_api_key],
    summary="A webhook's delivery log",
)
async def webhook_deliveries(
    webhook_id: FromPath[str],
    wiredesk: NamedDependency[Wiredesk],
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> DeliveriesOut:
    """Each try: when, the status code or error, how long, when the next try is due."""
    attempts = await wiredesk.webhooks.deliveries(webhook_id, limit)
    return DeliveriesOut(webhook_id, [_delivery_out(a) for a in attempts])


ROUTES = [event_stream, create_webhook, list_webhooks, delete_webhook, webhook_deliveries]
