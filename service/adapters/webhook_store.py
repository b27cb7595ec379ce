"""Webhook subscriptions and delivery logs: on Redis, and an in-memory fake.

Redis layout (``P`` = the configured prefix); records are msgpack-encoded dataclasses:

=========================  ======  ==============================================
key                        type    holds
=========================  ======  ==============================================
``P:webhooks``             hash    webhook id -> Webhook (its secret included)
``P:webhook_log:<id>``     list    DeliveryAttempt, newest first, trimmed to ``keep``
=========================  ======  ==============================================

Both classes pass the same contract test (``tests/integration/test_webhook_store.py``).
"""

from __future__ import annotations

from typing import cast

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from service.adapters.redis_store import _unavailable
from service.domain.errors import UnavailableError
from service.domain.webhooks import DeliveryAttempt, Webhook


def _order(hooks: list[Webhook]) -> list[Webhook]:
    return sorted(hooks, key=lambda w: (w.created_at, w.webhook_id))


class RedisWebhookStore:
    """:class:`service.domain.ports.WebhookStore` on Redis (see module docstring)."""

    def __init__(self, client: aioredis.Redis, prefix: str = "wd") -> None:
        self._r = client
        self._p = prefix

    def _log(self, webhook_id: str) -> str:
        return f"{self._p}:webhook_log:{webhook_id}"

    async def add(self, webhook: Webhook) -> None:
        """Keep a new subscription."""
        try:
            await self._r.hset(
                f"{self._p}:webhooks", webhook.webhook_id, msgspec.msgpack.encode(webhook)
            )
        except RedisError as exc:
            raise _unavailable(exc) from None

    async def remove(self, webhook_id: str) -> bool:
        """Drop a subscription and its log in one transaction."""
        try:
            async with self._r.pipeline(transaction=True) as pipe:
                pipe.hdel(f"{self._p}:webhooks", webhook_id)
                pipe.delete(self._log(webhook_id))
                removed, _ = await pipe.execute()
        except RedisError as exc:
            raise _unavailable(exc) from None
        return bool(removed)

    async def all(self) -> list[Webhook]:
        """Every subscription, oldest first."""
        try:
            raw = await self._r.hvals(f"{self._p}:webhooks")
        except RedisError as exc:
            raise _unavailable(exc) from None
        return _order([msgspec.msgpack.decode(cast(bytes, v), type=Webhook) for v in raw])

    async def record(self, webhook_id: str, attempt: DeliveryAttempt, keep: int) -> None:
        """``LPUSH`` then ``LTRIM`` in one transaction."""
        try:
            async with self._r.pipeline(transaction=True) as pipe:
                pipe.lpush(self._log(webhook_id), msgspec.msgpack.encode(attempt))
                pipe.ltrim(self._log(webhook_id), 0, keep - 1)
                await pipe.execute()
        except RedisError as exc:
            raise _unavailable(exc) from None

    async def deliveries(self, webhook_id: str, limit: int) -> list[DeliveryAttempt]:
        """The newest ``limit`` attempts, newest first."""
        try:
            raw = await self._r.lrange(self._log(webhook_id), 0, limit - 1)
        except RedisError as exc:
            raise _unavailable(exc) from None
        return [msgspec.msgpack.decode(cast(bytes, v), type=DeliveryAttempt) for v in raw]


class MemoryWebhookStore:
    """The same contract in dictionaries; :class:`UnavailableError` while ``down`` is set."""

    def __init__(self) -> None:
        self.down = False
        self._hooks: dict[str, Webhook] = {}
        self._logs: dict[str, list[DeliveryAttempt]] = {}

    def _check(self) -> None:
        if self.down:
            raise UnavailableError("webhook store is unavailable (simulated)")

    async def add(self, webhook: Webhook) -> None:
        """Keep a new subscription."""
        self._check()
        self._hooks[webhook.webhook_id] = webhook

    async def remove(self, webhook_id: str) -> bool:
        """Drop a subscription and its log."""
        self._check()
        self._logs.pop(webhook_id, None)
        return self._hooks.pop(webhook_id, None) is not None

    async def all(self) -> list[Webhook]:
        """Every subscription, oldest first."""
        self._check()
        return _order(list(self._hooks.values()))

    async def record(self, webhook_id: str, attempt: DeliveryAttempt, keep: int) -> None:
        """Log an attempt, newest first, trimmed to ``keep``."""
        self._check()
        log = self._logs.setdefault(webhook_id, [])
        log.insert(0, attempt)
        del log[keep:]

    async def deliveries(self, webhook_id: str, limit: int) -> list[DeliveryAttempt]:
        """The newest ``limit`` attempts, newest first."""
        self._check()
        return list(self._logs.get(webhook_id, [])[:limit])
