"""Redis adapters: the durable :class:`Store` and the brief :class:`Cache`.

Layout (``P`` = the configured prefix); records are msgpack-encoded dataclasses:

=====================  ======  ================================================
key                    type    holds
=====================  ======  ================================================
``P:articles``         hash    article id -> Article
``P:urls``             hash    url -> article id
``P:texts``            hash    text id -> TextRecord
``P:vectors``          hash    text id -> float32 bytes (the index is rebuilt from these)
``P:stories``          hash    story id -> Story (merged-away stories are removed)
``P:redirects``        hash    merged-away story id -> survivor id
``P:story_keys``       hash    client key -> story id
``P:counters``         hash    id counters
``P:history:<story>``  list    the story id's lineage events (StoryEvent), oldest first,
                               capped at the newest ``MAX_EVENTS_PER_STORY``
``P:founders``         hash    story id (live or merged away) -> founding article id
``P:deployment``       string  this deployment's random id (index snapshots carry it)
``P:brief:*``          string  cached brief JSON (with TTL)
``P:brieftag:<story>`` set     cache keys of one story's briefs, for invalidation
=====================  ======  ================================================

A commit is one ``MULTI``/``EXEC`` transaction: all of a change set is stored, or none of it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, cast

import msgspec
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from service.domain.errors import UnavailableError
from service.domain.lineage import MAX_EVENTS_PER_STORY, StoryEvent
from service.domain.models import Article, ChangeSet, Snapshot, Story, TextRecord

log = logging.getLogger(__name__)

_CHUNK = 1000  # fields per HMGET / HSCAN round trip: large enough to amortise, small for latency


def connect(url: str, *, timeout_s: float = 2.0) -> aioredis.Redis:
    """An asyncio Redis client that fails fast and reconnects by itself.

    One retry on connection errors covers a pooled connection that went stale while Redis
    restarted; the socket timeouts turn an unreachable Redis into an error in seconds, which the
    API answers with 503, instead of a hung request.
    """
    return aioredis.Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 1),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        health_check_interval=15,
    )


# /health must answer within a second even when Redis is frozen (SIGSTOP: the TCP connection
# opens, no reply comes): the ping gets this long, once, without the client's retry.
PING_TIMEOUT_S = 0.5


def _unavailable(exc: RedisError) -> UnavailableError:
    """Redis is unavailable, for the client; where it is (host, socket) goes to the log only."""
    log.warning("Redis call failed: %s: %s", exc.__class__.__name__, exc)
    return UnavailableError(f"Redis is unavailable ({exc.__class__.__name__}); retry shortly")


class RedisStore:
    """:class:`service.domain.ports.Store` on Redis hashes (see module docstring)."""

    def __init__(self, client: aioredis.Redis, prefix: str = "wd") -> None:
        self._r = client
        self._p = prefix

    def _k(self, name: str) -> str:
        return f"{self._p}:{name}"

    async def commit(self, changes: ChangeSet) -> None:
        """Write the change set in one MULTI/EXEC transaction."""
        enc = msgspec.msgpack.encode
        try:
            async with self._r.pipeline(transaction=True) as pipe:
                if changes.articles:
                    pipe.hset(
                        self._k("articles"),
                        mapping={a.article_id: enc(a) for a in changes.articles},
                    )
                    pipe.hset(
                        self._k("urls"), mapping={a.url: a.article_id for a in changes.articles}
                    )
                if changes.texts:
                    pipe.hset(
                        self._k("texts"), mapping={str(t.text_id): enc(t) for t in changes.texts}
                    )
                if changes.vectors:
                    pipe.hset(
                        self._k("vectors"), mapping={str(k): v for k, v in changes.vectors.items()}
                    )
                if changes.stories:
                    pipe.hset(
                        self._k("stories"), mapping={s.story_id: enc(s) for s in changes.stories}
                    )
                if changes.redirects:
                    pipe.hset(self._k("redirects"), mapping=_fields(changes.redirects))
                    pipe.hdel(self._k("stories"), *changes.redirects)
                if changes.story_keys:
                    pipe.hset(self._k("story_keys"), mapping=_fields(changes.story_keys))
                if changes.counters:
                    pipe.hset(self._k("counters"), mapping=_fields(changes.counters))
                by_story: dict[str, list[bytes]] = {}
                for event in changes.events:
                    by_story.setdefault(event.story_id, []).append(enc(event))
                for story_id, encoded in by_story.items():
                    key = self._k(f"history:{story_id}")
                    pipe.rpush(key, *encoded)
                    pipe.ltrim(key, -MAX_EVENTS_PER_STORY, -1)
                if changes.founders:
                    pipe.hset(self._k("founders"), mapping=_fields(changes.founders))
                await pipe.execute()
        except RedisError as exc:
            raise _unavailable(exc) from exc

    async def load(self) -> Snapshot:
        """Read every record (HSCAN, so a large store never blocks Redis)."""
        try:
            articles = [
                msgspec.msgpack.decode(v, type=Article)
                for v in (await self._hgetall("articles")).values()
            ]
            texts = [
                msgspec.msgpack.decode(v, type=TextRecord)
                for v in (await self._hgetall("texts")).values()
            ]
            stories = [
                msgspec.msgpack.decode(v, type=Story)
                for v in (await self._hgetall("stories")).values()
            ]
            redirects = _str_map(await self._hgetall("redirects"))
            story_keys = _str_map(await self._hgetall("story_keys"))
            counters = {k: int(v) for k, v in _str_map(await self._hgetall("counters")).items()}
            events = await self._history()
            founders = _str_map(await self._hgetall("founders"))
        except RedisError as exc:
            raise _unavailable(exc) from exc
        return Snapshot(
            tuple(articles),
            tuple(texts),
            tuple(stories),
            redirects,
            story_keys,
            counters,
            events=events,
            founders=founders,
        )

    async def _history(self) -> tuple[StoryEvent, ...]:
        """Every story id's events (SCAN for the lists, then LRANGE in pipelined chunks)."""
        keys = [k async for k in self._r.scan_iter(match=self._k("history:*"), count=_CHUNK)]
        out: list[StoryEvent] = []
        for start in range(0, len(keys), _CHUNK):
            async with self._r.pipeline(transaction=False) as pipe:
                for key in keys[start : start + _CHUNK]:
                    pipe.lrange(key, 0, -1)
                for values in await pipe.execute():
                    out.extend(msgspec.msgpack.decode(v, type=StoryEvent) for v in values)
        return tuple(out)

    async def load_vectors(self, text_ids: Iterable[int]) -> Mapping[int, bytes]:
        """HMGET in chunks; ids without a stored vector are left out."""
        ids = list(text_ids)
        out: dict[int, bytes] = {}
        try:
            for start in range(0, len(ids), _CHUNK):
                part = ids[start : start + _CHUNK]
                values = await self._r.hmget(self._k("vectors"), [str(i) for i in part])
                out.update(
                    {i: cast(bytes, v) for i, v in zip(part, values, strict=True) if v is not None}
                )
        except RedisError as exc:
            raise _unavailable(exc) from exc
        return out

    async def deployment_id(self) -> str:
        """A random id under ``{prefix}:deployment``, set once (``SET NX``) and kept.

        Raises:
            UnavailableError: Redis does not answer.
        """
        key = self._k("deployment")
        try:
            await self._r.set(key, uuid.uuid4().hex, nx=True)
            value = await self._r.get(key)
        except RedisError as exc:
            raise _unavailable(exc) from exc
        return value.decode() if isinstance(value, bytes) else str(value or "")

    async def ping(self) -> bool:
        """True when Redis answers PING within :data:`PING_TIMEOUT_S`.

        A connection error (a pooled connection that died with an outage fails at once) earns
        one more PING on a fresh connection within the same bound; a frozen Redis times out
        and gets none, so the answer still comes within :data:`PING_TIMEOUT_S`.
        """
        try:
            async with asyncio.timeout(PING_TIMEOUT_S):
                try:
                    return bool(await self._r.ping())
                except RedisConnectionError:
                    return bool(await self._r.ping())
        except (RedisError, TimeoutError):
            return False

    async def _hgetall(self, name: str) -> dict[bytes, bytes]:
        out: dict[bytes, bytes] = {}
        async for field, value in self._r.hscan_iter(self._k(name), count=_CHUNK):
            out[field] = value
        return out


def _fields(values: Mapping[str, str] | Mapping[str, int]) -> dict[Any, Any]:
    """A plain dict (redis-py's stubs want an invariant key union no concrete dict has)."""
    return dict(values)


def _str_map(raw: Mapping[Any, Any]) -> dict[str, str]:
    return {
        (k.decode() if isinstance(k, bytes) else str(k)): (
            v.decode() if isinstance(v, bytes) else str(v)
        )
        for k, v in raw.items()
    }


class RedisCache:
    """:class:`service.domain.ports.Cache` on Redis strings with per-tag key sets."""

    def __init__(self, client: aioredis.Redis, prefix: str = "wd") -> None:
        self._r = client
        self._p = prefix

    def _tag(self, tag: str) -> str:
        return f"{self._p}:brieftag:{tag}"

    async def get(self, key: str) -> bytes | None:
        """GET ``key``."""
        try:
            value = await self._r.get(f"{self._p}:{key}")
        except RedisError as exc:
            raise _unavailable(exc) from exc
        if value is None or isinstance(value, bytes):
            return value
        return str(value).encode()

    async def put(self, key: str, value: bytes, *, ttl_s: int, tag: str) -> None:
        """SET with expiry, and remember the key under ``tag`` (the tag set expires too)."""
        full = f"{self._p}:{key}"
        try:
            async with self._r.pipeline(transaction=True) as pipe:
                pipe.set(full, value, ex=ttl_s)
                pipe.sadd(self._tag(tag), full)
                pipe.expire(self._tag(tag), ttl_s)
                await pipe.execute()
        except RedisError as exc:
            raise _unavailable(exc) from exc

    async def invalidate(self, tags: Iterable[str]) -> int:
        """Delete every key remembered under the tags, and the tag sets."""
        dropped = 0
        try:
            for tag in tags:
                keys = await self._r.smembers(self._tag(tag))
                if keys:
                    dropped += int(await self._r.delete(*keys))
                await self._r.delete(self._tag(tag))
        except RedisError as exc:
            raise _unavailable(exc) from exc
        return dropped
