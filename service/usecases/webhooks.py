"""Webhooks: story events POSTed to subscribed URLs, signed, retried, logged, never blocking.

A subscription (:class:`~service.domain.webhooks.Webhook`) names a URL and filters (event
types, an outlet, a keyword, a minimum of outlets). Every event of :class:`Events` that
passes a subscription's filters becomes a *delivery* in that subscription's own queue
(bounded: :attr:`WebhookConfig.queue_size`; when full, the oldest waiting delivery is dropped
and logged), and that subscription's own worker task sends it:

* ``POST`` of ``{"id", "type", "webhook_id", "data"}`` (``data`` is the event payload,
  docs/EVENTS.md) with ``Wiredesk-Signature: t=<unix>,v1=<hex>`` (signed afresh on every try:
  :func:`service.domain.webhooks.sign`), ``Wiredesk-Event``, ``Wiredesk-Delivery`` and
  ``Wiredesk-Attempt`` headers;
* a 2xx answer is success; anything else (another status, a redirect, a timeout, a refused
  address, a network error) is retried after :func:`~service.domain.webhooks.backoff_s`, up
  to :attr:`WebhookConfig.max_attempts` tries;
* every try is logged (:meth:`Webhooks.deliveries`, the newest
  :attr:`WebhookConfig.log_size` kept).

The event's producer (the write path) only appends to queues; a slow or dead target holds up
its own queue and nothing else. Target URLs obey the safe-fetch rules of
:class:`~service.adapters.fetch.SafeFetcher` (no loopback, private, link-local or metadata
addresses unless ``WIREDESK_FETCH_ALLOW_PRIVATE=true``), checked when subscribing, before
every try (DNS may change) and on the address each connection reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import secrets
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from service.adapters.fetch import (
    USER_AGENT,
    FetchConfig,
    FetchError,
    Resolver,
    SafeFetcher,
    system_resolver,
)
from service.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    UnavailableError,
)
from service.domain.events import EVENT_TYPES, LiveEvent
from service.domain.ports import WebhookStore
from service.domain.webhooks import (
    SIGNATURE_HEADER,
    DeliveryAttempt,
    Webhook,
    WebhookConfig,
    backoff_s,
    sign,
)
from service.usecases.events import Events

log = logging.getLogger(__name__)

# A receiver's answer is not used; reading at most this much of it lets the connection be
# reused without letting a target stream an endless body at us.
_ANSWER_BYTES = 64 * 1024
# Subscribing resolves the target's host; a resolver that hangs must not hold the request.
_RESOLVE_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class _Delivery:
    delivery_id: str
    event: LiveEvent
    body: bytes


@dataclass(eq=False)
class _Target:
    """One subscription's queue and worker."""

    hook: Webhook
    queue: deque[_Delivery] = field(default_factory=deque)
    dropped: deque[DeliveryAttempt] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


def check_syntax(url: str) -> None:
    """Refuse a URL that no HTTP client could send to, before any resolution.

    Raises:
        FetchError: control characters or spaces, an unparsable URL, a port outside 1-65535,
            or a host name that is not a valid DNS name (empty or over-long labels).
    """
    if any(ch <= " " or ch == "\x7f" for ch in url):
        raise FetchError("webhook url refused: it holds spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname or ""
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as exc:
        raise FetchError(f"webhook url refused: {exc}") from None
    if parts.scheme not in {"http", "https"} or not host:
        raise FetchError(f"webhook url refused: only http and https URLs with a host: {url!r}")
    if port == 0:
        raise FetchError("webhook url refused: port 0 is not a port to deliver to")
    if not host.startswith("["):
        try:
            host.encode("idna")
        except UnicodeError:
            raise FetchError(
                f"webhook url refused: {host[:80]!r} is not a valid host name"
            ) from None


def matches(hook: Webhook, event: LiveEvent, keywords: Callable[[], str]) -> bool:
    """Whether ``event`` passes ``hook``'s filters (all given filters must pass).

    ``keywords`` gives the text the ``keyword`` filter searches (asked only when needed).
    """
    if hook.events and event.type not in hook.events:
        return False
    if hook.outlet is not None and hook.outlet.casefold() not in {
        o.casefold() for o in event.outlets
    }:
        return False
    if len(event.outlets) < hook.min_outlets:
        return False
    return hook.keyword is None or hook.keyword.casefold() in keywords()


class Webhooks:
    """Subscriptions, their queues and workers (see the module docstring).

    Attributes:
        events: where events come from.
        store: where subscriptions and logs persist.
        config: limits.
    """

    def __init__(
        self,
        events: Events,
        store: WebhookStore,
        config: WebhookConfig | None = None,
        *,
        allow_private: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver = system_resolver,
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.events = events
        self.store = store
        self.config = config or events.desk.settings.webhooks
        self._allow_private = allow_private
        self._resolver = resolver
        self._transport = transport
        # Made by start(): connections exist only while the service runs.
        self._rules: SafeFetcher | None = None
        self._client: httpx.AsyncClient | None = None
        self._rand = rand
        self._clock = clock
        self._hooks: dict[str, Webhook] = {}
        self._targets: dict[str, _Target] = {}
        events.listen(self.on_event)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Load the stored subscriptions (their queues start empty) and open the client."""
        self._hooks = {h.webhook_id: h for h in await self.store.all()}
        self._rules = SafeFetcher(
            FetchConfig(allow_private=self._allow_private, timeout_s=self.config.timeout_s),
            resolver=self._resolver,
        )
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=self.config.timeout_s,
            transport=self._transport,
            headers={"user-agent": USER_AGENT},
        )

    async def close(self) -> None:
        """Stop every worker (waiting deliveries are abandoned) and close the connections."""
        for target in self._targets.values():
            if target.task is not None:
                target.task.cancel()
        for target in self._targets.values():
            if target.task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await target.task
        self._targets.clear()
        if self._client is not None:
            await self._client.aclose()
        if self._rules is not None:
            await self._rules.aclose()
        self._client = self._rules = None

    # ------------------------------------------------------------------ subscriptions
    async def subscribe(
        self,
        url: str,
        events: Sequence[str] = (),
        outlet: str | None = None,
        keyword: str | None = None,
        min_outlets: int = 1,
    ) -> Webhook:
        """Make a subscription; its secret is in the result (and shown only then).

        Raises:
            InvalidInputError: an unknown event type, or a URL that is not http(s) or whose
                host does not resolve, or resolves to a refused address (field ``url``).
            ConflictError: :attr:`WebhookConfig.max_webhooks` subscriptions exist.
            UnavailableError: the store is down; nothing was made.
        """
        unknown = [e for e in events if e not in EVENT_TYPES]
        if unknown:
            raise InvalidInputError(
                f"unknown event type {unknown[0]!r}; the types are {', '.join(EVENT_TYPES)}",
                field="events",
            )
        if len(self._hooks) >= self.config.max_webhooks:
            raise ConflictError(
                f"{self.config.max_webhooks} webhooks exist, the limit "
                "(WIREDESK_WEBHOOKS__MAX_WEBHOOKS); delete one first"
            )
        await self._check_url(url)
        hook = Webhook(
            webhook_id=f"wh_{secrets.token_hex(8)}",
            url=url,
            secret=f"whsec_{secrets.token_urlsafe(32)}",
            events=tuple(dict.fromkeys(events)),
            outlet=outlet,
            keyword=keyword,
            min_outlets=min_outlets,
            created_at=self._clock(),
        )
        await self.store.add(hook)
        self._hooks[hook.webhook_id] = hook
        return hook

    def _started(self) -> tuple[SafeFetcher, httpx.AsyncClient]:
        if self._rules is None or self._client is None:
            raise UnavailableError("webhooks are not running (the service is starting)")
        return self._rules, self._client

    async def _check_url(self, url: str) -> None:
        rules, _client = self._started()
        check_syntax(url)
        try:
            async with asyncio.timeout(_RESOLVE_TIMEOUT_S):
                await rules.check_url(url)
        except TimeoutError:
            raise FetchError(
                f"webhook url refused: cannot resolve its host within {_RESOLVE_TIMEOUT_S:g} s"
            ) from None
        except FetchError as exc:
            raise FetchError(f"webhook url refused: {exc}") from None
        except (ValueError, UnicodeError) as exc:  # the resolver's refusals of odd names
            raise FetchError(f"webhook url refused: {exc}") from None

    async def unsubscribe(self, webhook_id: str) -> None:
        """Delete a subscription, its log and its waiting deliveries.

        Raises:
            NotFoundError: no such subscription.
            UnavailableError: the store is down; nothing was deleted.
        """
        if webhook_id not in self._hooks:
            raise NotFoundError(f"no webhook with id {webhook_id!r}")
        await self.store.remove(webhook_id)
        del self._hooks[webhook_id]
        target = self._targets.pop(webhook_id, None)
        if target is not None and target.task is not None:
            target.task.cancel()

    def all(self) -> list[Webhook]:
        """Every subscription, oldest first."""
        return sorted(self._hooks.values(), key=lambda h: (h.created_at, h.webhook_id))

    def get(self, webhook_id: str) -> Webhook:
        """One subscription.

        Raises:
            NotFoundError: no such subscription.
        """
        hook = self._hooks.get(webhook_id)
        if hook is None:
            raise NotFoundError(f"no webhook with id {webhook_id!r}")
        return hook

    async def deliveries(self, webhook_id: str, limit: int) -> list[DeliveryAttempt]:
        """The subscription's newest logged tries, newest first.

        Raises:
            NotFoundError: no such subscription.
            UnavailableError: the store is down.
        """
        self.get(webhook_id)
        return await self.store.deliveries(webhook_id, limit)

    def waiting(self, webhook_id: str) -> int:
        """Deliveries waiting in a subscription's queue (0 when it has none)."""
        target = self._targets.get(webhook_id)
        return len(target.queue) if target is not None else 0

    # ------------------------------------------------------------------ fan-out
    def on_event(self, event: LiveEvent) -> None:
        """The events listener: queue ``event`` for every matching subscription (no waiting)."""
        if self._client is None:
            return  # not started, or stopped
        text: str | None = None

        def keywords() -> str:  # once per event, and only if a keyword filter asks
            nonlocal text
            if text is None:
                text = self.events.keywords(event)
            return text

        for hook in self._hooks.values():
            if matches(hook, event, keywords):
                self._enqueue(hook, event)

    def _enqueue(self, hook: Webhook, event: LiveEvent) -> None:
        target = self._targets.get(hook.webhook_id)
        if target is None:
            target = self._targets[hook.webhook_id] = _Target(hook)
        if target.task is None or target.task.done():
            target.task = asyncio.get_running_loop().create_task(self._work(target))
        body = json.dumps(
            {
                "id": event.event_id,
                "type": event.type,
                "webhook_id": hook.webhook_id,
                "data": event.data(),
            },
            separators=(",", ":"),
        ).encode()
        delivery = _Delivery(f"dl_{secrets.token_hex(8)}", event, body)
        if len(target.queue) >= self.config.queue_size:
            lost = target.queue.popleft()
            if len(target.dropped) < self.config.log_size:
                target.dropped.append(
                    DeliveryAttempt(
                        lost.delivery_id,
                        lost.event.event_id,
                        lost.event.type,
                        0,
                        self._clock(),
                        None,
                        False,
                        f"dropped unsent: {self.config.queue_size} deliveries were waiting "
                        "(the target is too slow or down)",
                        0.0,
                    )
                )
        target.queue.append(delivery)
        target.wake.set()

    # ------------------------------------------------------------------ sending
    async def _work(self, target: _Target) -> None:
        """One subscription's worker: send its deliveries in order, each with its retries."""
        while True:
            while target.dropped:
                await self._log(target.hook, target.dropped.popleft())
            if not target.queue:
                target.wake.clear()
                await target.wake.wait()
                continue
            delivery = target.queue.popleft()
            try:
                await self._deliver(target.hook, delivery)
            except Exception:  # the worker outlives any one delivery
                log.exception("webhook %s: delivery failed unexpectedly", target.hook.webhook_id)

    async def _deliver(self, hook: Webhook, delivery: _Delivery) -> None:
        for attempt in range(1, self.config.max_attempts + 1):
            started = self._clock()
            status, error, took_ms = await self._try(hook, delivery, attempt)
            ok = error is None
            delay = None
            if not ok and attempt < self.config.max_attempts:
                delay = backoff_s(attempt, self.config, self._rand)
            await self._log(
                hook,
                DeliveryAttempt(
                    delivery.delivery_id,
                    delivery.event.event_id,
                    delivery.event.type,
                    attempt,
                    started,
                    status,
                    ok,
                    error,
                    round(took_ms, 1),
                    started + took_ms / 1000 + delay if delay is not None else None,
                ),
            )
            if delay is None:
                return
            await asyncio.sleep(delay)

    async def _try(
        self, hook: Webhook, delivery: _Delivery, attempt: int
    ) -> tuple[int | None, str | None, float]:
        """One POST: (status or ``None``, error or ``None`` on a 2xx, milliseconds)."""
        start = time.perf_counter()
        status: int | None = None
        error: str | None = None
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: sign(hook.secret, timestamp, delivery.body),
            "Wiredesk-Event": delivery.event.type,
            "Wiredesk-Delivery": delivery.delivery_id,
            "Wiredesk-Attempt": str(attempt),
        }
        rules, client = self._started()
        try:
            async with asyncio.timeout(self.config.timeout_s):
                await rules.check_url(hook.url)
                async with client.stream(
                    "POST", hook.url, content=delivery.body, headers=headers
                ) as response:
                    rules.check_peer(response, hook.url)
                    status = response.status_code
                    read = 0
                    async for chunk in response.aiter_bytes():
                        read += len(chunk)
                        if read >= _ANSWER_BYTES:
                            break
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except FetchError as exc:
            error = str(exc)
        except TimeoutError:
            error = f"no answer within {self.config.timeout_s:g} s"
        except (httpx.HTTPError, httpx.InvalidURL, ValueError, UnicodeError) as exc:
            error = f"{exc.__class__.__name__}: {exc}"[:300]
        return status, error, (time.perf_counter() - start) * 1000

    async def _log(self, hook: Webhook, attempt: DeliveryAttempt) -> None:
        if hook.webhook_id not in self._hooks:
            return  # unsubscribed meanwhile
        try:
            await self.store.record(hook.webhook_id, attempt, self.config.log_size)
        except Exception:
            log.warning("webhook %s: delivery log not written", hook.webhook_id, exc_info=True)
