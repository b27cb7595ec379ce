"""The :class:`~service.domain.ports.FeedRegistry` port: on Redis, and an in-memory fake.

Redis layout (``P`` = the configured prefix; records are msgpack-encoded):

======================  ======  ================================================
key                     type    holds
======================  ======  ================================================
``P:feeds``             hash    feed id -> Feed
``P:feed_urls``         hash    canonical feed URL -> feed id (one feed per URL)
``P:feed_next``         string  the feed id counter
``P:feed_state``        hash    feed id -> FeedState
``P:feed_seen:<id>``    zset    item keys the feed has seen, scored by ``P:feed_seq``
``P:feed_seq``          string  the seen-key counter (newest key = highest score)
``P:feed_poller``       string  the poller lease: its owner's id, with a TTL
======================  ======  ================================================

Registration is one Lua script (``HSETNX`` on the URL, then the record), so two clients
registering one URL at once get one feed. Both adapters pass ``tests/integration/
test_feed_registry.py``.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import cast

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from service.adapters.redis_store import _unavailable
from service.domain.errors import UnavailableError
from service.domain.feeds import Feed, FeedState
from service.pipeline.urls import canonical_url

_ADD = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
  return ARGV[2]
end
return redis.call('HGET', KEYS[1], ARGV[1])
"""

_SAVE_STATE = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
return 0
"""


_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _id_order(feed: Feed) -> tuple[float, int]:
    number = feed.feed_id.rpartition("-")[2]
    return feed.created_at, int(number) if number.isdigit() else 0


class RedisFeedRegistry:
    """:class:`~service.domain.ports.FeedRegistry` on Redis (see module docstring)."""

    def __init__(self, client: aioredis.Redis, prefix: str = "wd") -> None:
        self._r = client
        self._p = prefix

    def _k(self, name: str) -> str:
        return f"{self._p}:{name}"

    async def add(
        self, url: str, outlet: str | None, interval_s: int, now: float
    ) -> tuple[Feed, bool]:
        """Register ``url`` unless its canonical form is present (see the port)."""
        try:
            number = int(await self._r.incr(self._k("feed_next")))
            feed = Feed(f"feed-{number}", url, outlet, interval_s, now)
            got = await self._r.eval(
                _ADD,
                2,
                self._k("feed_urls"),
                self._k("feeds"),
                canonical_url(url),
                feed.feed_id,
                msgspec.msgpack.encode(feed),
            )
            feed_id = got.decode() if isinstance(got, bytes) else str(got)
            if feed_id == feed.feed_id:
                return feed, True
            existing = await self.get(feed_id)
        except RedisError as exc:
            raise _unavailable(exc) from exc
        if existing is None:  # removed between the two calls: register again
            return await self.add(url, outlet, interval_s, now)
        return existing, False

    async def get(self, feed_id: str) -> Feed | None:
        """The feed, or ``None``."""
        try:
            raw = await self._r.hget(self._k("feeds"), feed_id)
        except RedisError as exc:
            raise _unavailable(exc) from exc
        return None if raw is None else msgspec.msgpack.decode(cast(bytes, raw), type=Feed)

    async def feeds(self) -> list[Feed]:
        """Every feed, oldest first."""
        try:
            raw = await self._r.hgetall(self._k("feeds"))
        except RedisError as exc:
            raise _unavailable(exc) from exc
        found = [msgspec.msgpack.decode(cast(bytes, v), type=Feed) for v in raw.values()]
        return sorted(found, key=_id_order)

    async def remove(self, feed_id: str) -> bool:
        """Forget the feed, its state and seen keys."""
        feed = await self.get(feed_id)
        if feed is None:
            return False
        try:
            async with self._r.pipeline(transaction=True) as pipe:
                pipe.hdel(self._k("feeds"), feed_id)
                pipe.hdel(self._k("feed_urls"), canonical_url(feed.url))
                pipe.hdel(self._k("feed_state"), feed_id)
                pipe.delete(self._k(f"feed_seen:{feed_id}"))
                await pipe.execute()
        except RedisError as exc:
            raise _unavailable(exc) from exc
        return True

    async def state(self, feed_id: str) -> FeedState:
        """The saved state or a fresh one."""
        try:
            raw = await self._r.hget(self._k("feed_state"), feed_id)
        except RedisError as exc:
            raise _unavailable(exc) from exc
        if raw is None:
            return FeedState()
        return msgspec.msgpack.decode(cast(bytes, raw), type=FeedState)

    async def save_state(self, feed_id: str, state: FeedState) -> None:
        """Replace the state of a feed that is still registered."""
        try:
            await self._r.eval(
                _SAVE_STATE,
                2,
                self._k("feeds"),
                self._k("feed_state"),
                feed_id,
                msgspec.msgpack.encode(state),
            )
        except RedisError as exc:
            raise _unavailable(exc) from exc

    async def seen(self, feed_id: str, keys: Sequence[str]) -> set[str]:
        """Which keys are in the feed's seen set (one ``ZMSCORE``)."""
        if not keys:
            return set()
        try:
            scores = await self._r.zmscore(self._k(f"feed_seen:{feed_id}"), list(keys))
        except RedisError as exc:
            raise _unavailable(exc) from exc
        return {k for k, s in zip(keys, scores, strict=True) if s is not None}

    async def mark_seen(self, feed_id: str, keys: Sequence[str], keep: int) -> None:
        """Add keys with the newest scores, then trim the set to the newest ``keep``."""
        if not keys:
            return
        key = self._k(f"feed_seen:{feed_id}")
        try:
            top = int(await self._r.incrby(self._k("feed_seq"), len(keys)))
            scores = {k: top - len(keys) + i + 1 for i, k in enumerate(keys)}
            async with self._r.pipeline(transaction=True) as pipe:
                pipe.zadd(key, scores)
                pipe.zremrangebyrank(key, 0, -keep - 1)
                await pipe.execute()
        except RedisError as exc:
            raise _unavailable(exc) from exc

    async def lease(self, owner: str, ttl_s: float) -> bool:
        """Take or renew the lease (one Lua script: compare and set with a TTL)."""
        try:
            got = await self._r.eval(
                _LEASE, 1, self._k("feed_poller"), owner, max(1, int(ttl_s * 1000))
            )
        except RedisError as exc:
            raise _unavailable(exc) from exc
        return bool(got)

    async def release(self, owner: str) -> None:
        """Drop the lease if ``owner`` holds it."""
        try:
            await self._r.eval(_RELEASE, 1, self._k("feed_poller"), owner)
        except RedisError as exc:
            raise _unavailable(exc) from exc


class MemoryFeedRegistry:
    """:class:`~service.domain.ports.FeedRegistry` in dictionaries (``down`` fakes an outage)."""

    def __init__(self) -> None:
        self.down = False
        self._feeds: dict[str, Feed] = {}
        self._urls: dict[str, str] = {}
        self._states: dict[str, FeedState] = {}
        self._seen: dict[str, OrderedDict[str, None]] = {}
        self._next = 0
        self._lease: tuple[str, float] | None = None  # owner, expiry (monotonic seconds)

    def _check(self) -> None:
        if self.down:
            raise UnavailableError("feed registry is unavailable (fake outage)")

    async def add(
        self, url: str, outlet: str | None, interval_s: int, now: float
    ) -> tuple[Feed, bool]:
        """Register ``url`` unless present."""
        self._check()
        key = canonical_url(url)
        if key in self._urls:
            return self._feeds[self._urls[key]], False
        self._next += 1
        feed = Feed(f"feed-{self._next}", url, outlet, interval_s, now)
        self._feeds[feed.feed_id] = feed
        self._urls[key] = feed.feed_id
        return feed, True

    async def get(self, feed_id: str) -> Feed | None:
        """The feed, or ``None``."""
        self._check()
        return self._feeds.get(feed_id)

    async def feeds(self) -> list[Feed]:
        """Every feed, oldest first."""
        self._check()
        return sorted(self._feeds.values(), key=_id_order)

    async def remove(self, feed_id: str) -> bool:
        """Forget the feed, its state and seen keys."""
        self._check()
        feed = self._feeds.pop(feed_id, None)
        if feed is None:
            return False
        self._urls.pop(canonical_url(feed.url), None)
        self._states.pop(feed_id, None)
        self._seen.pop(feed_id, None)
        return True

    async def state(self, feed_id: str) -> FeedState:
        """The saved state or a fresh one."""
        self._check()
        return self._states.get(feed_id, FeedState())

    async def save_state(self, feed_id: str, state: FeedState) -> None:
        """Replace the state of a feed that is still registered."""
        self._check()
        if feed_id in self._feeds:
            self._states[feed_id] = state

    async def seen(self, feed_id: str, keys: Sequence[str]) -> set[str]:
        """Which keys are in the feed's seen set."""
        self._check()
        known = self._seen.get(feed_id, OrderedDict())
        return {k for k in keys if k in known}

    async def mark_seen(self, feed_id: str, keys: Sequence[str], keep: int) -> None:
        """Add keys as newest, then keep the newest ``keep``."""
        self._check()
        known = self._seen.setdefault(feed_id, OrderedDict())
        for key in keys:
            known.pop(key, None)
            known[key] = None
        while len(known) > keep:
            known.popitem(last=False)

    async def lease(self, owner: str, ttl_s: float) -> bool:
        """Take or renew the lease."""
        self._check()
        now = time.monotonic()
        if self._lease is None or self._lease[0] == owner or self._lease[1] <= now:
            self._lease = (owner, now + ttl_s)
            return True
        return False

    async def release(self, owner: str) -> None:
        """Drop the lease if ``owner`` holds it."""
        self._check()
        if self._lease is not None and self._lease[0] == owner:
            self._lease = None
