"""One contract for the FeedRegistry port: the in-memory fake and the Redis adapter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from service.adapters.feed_registry import MemoryFeedRegistry, RedisFeedRegistry
from service.adapters.redis_store import connect
from service.domain.errors import UnavailableError
from service.domain.feeds import FeedState, ItemError
from service.domain.ports import FeedRegistry

pytestmark = pytest.mark.integration


@pytest.fixture(params=["memory", "redis"])
async def registry(
    request: pytest.FixtureRequest, redis_url: str, redis_prefix: str
) -> AsyncIterator[FeedRegistry]:
    if request.param == "memory":
        yield MemoryFeedRegistry()
        return
    client = connect(redis_url)
    yield RedisFeedRegistry(client, redis_prefix)
    await client.aclose()


async def test_one_feed_per_canonical_url(registry: FeedRegistry) -> None:
    feed, created = await registry.add("https://news.test/rss/", "Gazette", 600, 100.0)
    assert created
    assert (feed.url, feed.outlet, feed.interval_s, feed.created_at) == (
        "https://news.test/rss/",
        "Gazette",
        600,
        100.0,
    )
    same, created = await registry.add("HTTPS://news.test/rss?utm_source=x", None, 60, 200.0)
    assert not created
    assert same == feed
    other, created = await registry.add("https://news.test/atom", None, 900, 300.0)
    assert created
    assert other.feed_id != feed.feed_id
    assert await registry.get(feed.feed_id) == feed
    assert await registry.get("feed-999999") is None
    assert [f.feed_id for f in await registry.feeds()] == [feed.feed_id, other.feed_id]


async def test_concurrent_registrations_of_one_url_make_one_feed(registry: FeedRegistry) -> None:
    results = await asyncio.gather(
        *(registry.add("https://news.test/rss", None, 600, 1.0) for _ in range(8))
    )
    assert sum(created for _, created in results) == 1
    assert len({feed.feed_id for feed, _ in results}) == 1
    assert len(await registry.feeds()) == 1


async def test_state_round_trips_and_dies_with_its_feed(registry: FeedRegistry) -> None:
    feed, _ = await registry.add("https://news.test/rss", None, 600, 1.0)
    assert await registry.state(feed.feed_id) == FeedState()
    state = FeedState(
        title="Gazette",
        etag='"v1"',
        last_modified="Tue, 24 Nov 2026 09:00:00 GMT",
        last_fetch_at=5.0,
        last_status=200,
        new_items=2,
        total_items=7,
        errors=0,
        next_poll_at=605.0,
        item_errors=(ItemError(4.0, "https://news.test/a", "no article"),),
    )
    await registry.save_state(feed.feed_id, state)
    assert await registry.state(feed.feed_id) == state
    await registry.mark_seen(feed.feed_id, ["g:1"], 10)

    assert await registry.remove(feed.feed_id)
    assert not await registry.remove(feed.feed_id)
    assert await registry.get(feed.feed_id) is None
    assert await registry.feeds() == []
    await registry.save_state(feed.feed_id, state)  # a poll ending after the removal
    assert await registry.state(feed.feed_id) == FeedState()
    assert await registry.seen(feed.feed_id, ["g:1"]) == set()
    again, created = await registry.add("https://news.test/rss", None, 600, 2.0)
    assert created
    assert again.feed_id != feed.feed_id


async def test_seen_keys_are_per_feed_and_bounded_newest_kept(registry: FeedRegistry) -> None:
    a, _ = await registry.add("https://news.test/a", None, 600, 1.0)
    b, _ = await registry.add("https://news.test/b", None, 600, 1.0)
    assert await registry.seen(a.feed_id, []) == set()
    await registry.mark_seen(a.feed_id, ["g:1", "g:2", "g:3"], 4)
    assert await registry.seen(a.feed_id, ["g:1", "g:3", "g:9"]) == {"g:1", "g:3"}
    assert await registry.seen(b.feed_id, ["g:1"]) == set()
    await registry.mark_seen(a.feed_id, ["g:1"], 4)  # seen again: now the newest
    await registry.mark_seen(a.feed_id, ["g:4", "g:5"], 4)
    assert await registry.seen(a.feed_id, [f"g:{i}" for i in range(1, 6)]) == {
        "g:1",
        "g:3",
        "g:4",
        "g:5",
    }


async def test_the_fake_fails_like_an_unreachable_redis() -> None:
    fake = MemoryFeedRegistry()
    fake.down = True
    with pytest.raises(UnavailableError):
        await fake.feeds()
    client = connect("redis://127.0.0.1:1/0", timeout_s=0.2)
    try:
        with pytest.raises(UnavailableError):
            await RedisFeedRegistry(client, "nowhere").feeds()
    finally:
        await client.aclose()


async def test_one_poller_holds_the_lease_until_it_lets_go_or_it_expires(
    registry: FeedRegistry,
) -> None:
    assert await registry.lease("serve", 5.0)
    assert await registry.lease("serve", 5.0)  # renewal
    assert not await registry.lease("watch", 5.0)
    await registry.release("watch")  # not the holder: nothing happens
    assert not await registry.lease("watch", 5.0)
    await registry.release("serve")
    assert await registry.lease("watch", 0.2)
    assert not await registry.lease("serve", 5.0)
    await asyncio.sleep(0.3)  # the holder stopped renewing
    assert await registry.lease("serve", 5.0)
