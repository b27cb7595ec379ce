"""One contract for the webhook store: the Redis adapter and the in-memory fake."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from service.adapters.redis_store import connect
from service.adapters.webhook_store import MemoryWebhookStore, RedisWebhookStore
from service.domain.errors import UnavailableError
from service.domain.ports import WebhookStore
from service.domain.webhooks import DeliveryAttempt, Webhook


@pytest.fixture(params=["redis", "memory"])
async def store(
    request: pytest.FixtureRequest, redis_url: str, redis_prefix: str
) -> AsyncIterator[WebhookStore]:
    if request.param == "memory":
        yield MemoryWebhookStore()
        return
    client = connect(redis_url)
    yield RedisWebhookStore(client, redis_prefix)
    await client.aclose()


def hook(n: int, created_at: float) -> Webhook:
    return Webhook(
        webhook_id=f"wh_{n:016x}",
        url=f"https://hooks.example/{n}",
        secret=f"whsec_{n}",
        events=("story.created",),
        outlet="CBS",
        keyword="fire",
        min_outlets=2,
        created_at=created_at,
    )


def attempt(n: int) -> DeliveryAttempt:
    return DeliveryAttempt(
        f"dl_{n}", f"e-{n}", "story.created", 1, float(n), 500, False, "HTTP 500", 1.5, float(n) + 1
    )


async def test_subscriptions_round_trip_oldest_first_and_remove(store: WebhookStore) -> None:
    assert await store.all() == []
    await store.add(hook(2, 20.0))
    await store.add(hook(1, 10.0))
    assert await store.all() == [hook(1, 10.0), hook(2, 20.0)]  # every field, secret included
    assert await store.remove(hook(1, 10.0).webhook_id)
    assert not await store.remove(hook(1, 10.0).webhook_id)
    assert await store.all() == [hook(2, 20.0)]


async def test_the_log_keeps_the_newest_and_goes_with_its_subscription(
    store: WebhookStore,
) -> None:
    h = hook(3, 1.0)
    await store.add(h)
    for n in range(7):
        await store.record(h.webhook_id, attempt(n), keep=5)
    got = await store.deliveries(h.webhook_id, limit=100)
    assert [a.delivery_id for a in got] == ["dl_6", "dl_5", "dl_4", "dl_3", "dl_2"]
    assert got[0] == attempt(6)
    assert len(await store.deliveries(h.webhook_id, limit=2)) == 2
    assert await store.deliveries("wh_unknown", limit=10) == []
    await store.remove(h.webhook_id)
    assert await store.deliveries(h.webhook_id, limit=10) == []


async def test_an_unreachable_backend_raises_unavailable(redis_prefix: str) -> None:
    fake = MemoryWebhookStore()
    fake.down = True
    dead = connect("redis://127.0.0.1:1/0", timeout_s=0.2)
    real = RedisWebhookStore(dead, redis_prefix)
    for s in (fake, real):
        with pytest.raises(UnavailableError):
            await s.all()
        with pytest.raises(UnavailableError):
            await s.add(hook(1, 1.0))
        with pytest.raises(UnavailableError):
            await s.record("wh_x", attempt(1), keep=3)
    await dead.aclose()
    assert isinstance(dead, aioredis.Redis)
