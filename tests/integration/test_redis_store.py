"""One contract for the Store and Cache ports: the in-memory fakes and the Redis adapters."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import numpy as np
import pytest
import redis

from service.adapters.memory import MemoryCache, MemoryStore
from service.adapters.redis_store import RedisCache, RedisStore, connect
from service.domain.errors import UnavailableError
from service.domain.lineage import MAX_EVENTS_PER_STORY, StoryEvent
from service.domain.models import Article, ChangeSet, Paragraph, Snapshot, Story, TextRecord
from service.domain.ports import Cache, Store

DIM = 8


def vec(seed: int) -> bytes:
    v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return (v / np.linalg.norm(v)).astype(np.float32).tobytes()


def article(n: int, story: str, text_ids: tuple[int, ...], **changes: object) -> Article:
    paragraphs = tuple(
        Paragraph(
            i,
            f"Paragraph {i} of article {n}. It has two sentences.",
            (f"Paragraph {i} of article {n}.", "It has two sentences."),
            t,
        )
        for i, t in enumerate(text_ids)
    )
    base = Article(
        article_id=f"a{n}",
        seq=n,
        url=f"https://o{n}.example/story",
        outlet=f"Outlet {n}",
        title=f"Title {n}" if n % 2 else None,
        published_at=1_700_000_000.0 + n if n % 2 else None,
        ingested_at=1_700_000_100.0 + n,
        updated_at=1_700_000_200.0 + n,
        story_key="key-1" if n == 1 else None,
        content_hash=f"h{n}",
        paragraphs=paragraphs,
        story_id=story,
        doc_vector=vec(100 + n),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def first_change() -> ChangeSet:
    return ChangeSet(
        articles=(article(1, "s1", (1, 2)), article(2, "s2", (3,))),
        texts=(
            TextRecord(1, "fp1", "c1", 9),
            TextRecord(2, "fp2", "c2", 9),
            TextRecord(3, "fp3", "c1", 9),
        ),
        vectors={1: vec(1), 2: vec(2), 3: vec(3)},
        stories=(Story("s1", 1, 10.0, 10.0, 1, "key-1"), Story("s2", 2, 11.0, 11.0, 1)),
        story_keys={"key-1": "s1"},
        counters={"article": 2, "text": 3, "story": 2, "cluster": 2},
    )


def merge_change() -> ChangeSet:
    """Article 3 bridges s1 and s2: s2 is merged into s1; article 1 is updated."""
    return ChangeSet(
        articles=(article(3, "s1", (2, 4)), article(1, "s1", (1,), content_hash="h1b")),
        texts=(TextRecord(4, "fp4", "c3", 9),),
        vectors={4: vec(4)},
        stories=(Story("s1", 1, 10.0, 12.0, 3, "key-1"),),
        redirects={"s2": "s1"},
        story_keys={"key-2": "s1"},
        counters={"article": 3, "text": 4, "story": 2, "cluster": 3},
    )


@dataclass(frozen=True)
class Loaded:
    """A snapshot as order-free dicts."""

    articles: dict[str, Article]
    texts: dict[int, TextRecord]
    stories: dict[str, Story]
    redirects: dict[str, str]
    story_keys: dict[str, str]
    counters: dict[str, int]


def by_id(snapshot: Snapshot) -> Loaded:
    return Loaded(
        articles={a.article_id: a for a in snapshot.articles},
        texts={t.text_id: t for t in snapshot.texts},
        stories={s.story_id: s for s in snapshot.stories},
        redirects=dict(snapshot.redirects),
        story_keys=dict(snapshot.story_keys),
        counters=dict(snapshot.counters),
    )


@dataclass
class Backend:
    """A store and cache under test, a way to reopen the store, and the stored TTL of a key."""

    name: str
    store: Store
    cache: Cache
    reopen: Callable[[], Awaitable[Store]]
    ttl: Callable[[str], int]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "memory":
        store, cache = MemoryStore(), MemoryCache()

        async def reopen_memory() -> Store:
            return store.clone()

        yield Backend("memory", store, cache, reopen_memory, lambda key: cache.ttls[key])
        return

    redis_url: str = request.getfixturevalue("redis_url")
    prefix: str = request.getfixturevalue("redis_prefix")
    client = connect(redis_url)
    others = []
    raw = redis.Redis.from_url(redis_url)

    async def reopen_redis() -> Store:
        fresh = connect(redis_url)
        others.append(fresh)
        return RedisStore(fresh, prefix)

    def ttl(key: str) -> int:
        return int(raw.ttl(f"{prefix}:{key}"))

    try:
        yield Backend(
            "redis", RedisStore(client, prefix), RedisCache(client, prefix), reopen_redis, ttl
        )
    finally:
        for c in [client, *others]:
            await c.aclose()
        raw.close()


# ---------------------------------------------------------------------------------- Store
async def test_empty_store_loads_empty(backend: Backend) -> None:
    snapshot = await backend.store.load()
    assert by_id(snapshot) == by_id(Snapshot())
    assert await backend.store.load_vectors([1, 2]) == {}
    assert await backend.store.ping() is True


async def test_commit_load_round_trip(backend: Backend) -> None:
    changes = first_change()
    await backend.store.commit(changes)
    for store in (backend.store, await backend.reopen()):
        assert by_id(await store.load()) == Loaded(
            articles={a.article_id: a for a in changes.articles},
            texts={t.text_id: t for t in changes.texts},
            stories={s.story_id: s for s in changes.stories},
            redirects={},
            story_keys={"key-1": "s1"},
            counters={"article": 2, "text": 3, "story": 2, "cluster": 2},
        )
        loaded = await store.load_vectors([1, 2, 3])
        assert loaded == dict(changes.vectors)
    a1 = by_id(await backend.store.load()).articles["a1"]
    assert isinstance(a1.paragraphs[0], Paragraph)
    assert a1.paragraphs[0].sentences == ("Paragraph 0 of article 1.", "It has two sentences.")
    assert np.frombuffer(a1.doc_vector, dtype=np.float32).shape == (DIM,)


async def test_redirects_remove_the_merged_story(backend: Backend) -> None:
    await backend.store.commit(first_change())
    await backend.store.commit(merge_change())
    got = by_id(await (await backend.reopen()).load())
    assert set(got.stories) == {"s1"}
    assert got.stories["s1"].version == 3
    assert got.redirects == {"s2": "s1"}
    assert got.story_keys == {"key-1": "s1", "key-2": "s1"}
    assert got.counters == {"article": 3, "text": 4, "story": 2, "cluster": 3}
    assert set(got.articles) == {"a1", "a2", "a3"}
    assert got.articles["a1"].content_hash == "h1b"
    assert len(got.articles["a1"].paragraphs) == 1
    assert got.articles["a2"].story_id == "s2"  # readers follow the redirect
    assert set(got.texts) == {1, 2, 3, 4}


def events(first: int, count: int, story: str = "s1") -> tuple[StoryEvent, ...]:
    return tuple(
        StoryEvent(first + i, story, "joined", 1_700_000_000.0 + i, "shared", (f"a{i}",))
        for i in range(count)
    )


async def test_history_round_trip_keeps_order_and_is_capped(backend: Backend) -> None:
    titled = dataclasses.replace(first_change().stories[0], title="Title 1", title_article_id="a1")
    head = (
        StoryEvent(1, "s1", "created", 10.0, "new", ("a1",), None, "Title 1"),
        StoryEvent(2, "s2", "created", 11.0, "new", ("a2",)),
    )
    await backend.store.commit(dataclasses.replace(first_change(), stories=(titled,), events=head))
    merged = (
        StoryEvent(3, "s2", "merged_into", 12.0, "shared", ("a2",), "s1"),
        StoryEvent(4, "s1", "merged_from", 12.0, "shared", ("a2",), "s2"),
    )
    await backend.store.commit(dataclasses.replace(merge_change(), events=merged))
    got = await (await backend.reopen()).load()
    assert sorted(got.events, key=lambda e: e.event_id) == [*head, *merged]
    assert {s.story_id: s for s in got.stories}["s1"].version == 3
    # Each story id keeps its newest MAX_EVENTS_PER_STORY events, oldest of them first.
    many = events(10, MAX_EVENTS_PER_STORY + 5)
    await backend.store.commit(ChangeSet(events=many[:7]))
    await backend.store.commit(ChangeSet(events=many[7:]))
    kept = [e for e in (await (await backend.reopen()).load()).events if e.story_id == "s1"]
    assert kept == list(many[5:])


async def test_load_vectors_returns_only_existing_ids(backend: Backend) -> None:
    changes = first_change()
    await backend.store.commit(changes)
    got = await backend.store.load_vectors([3, 99, 1, -5])
    assert got == {3: changes.vectors[3], 1: changes.vectors[1]}
    assert await backend.store.load_vectors([]) == {}
    many = await backend.store.load_vectors(range(-1000, 1500))  # crosses a 1000-id chunk
    assert many == dict(changes.vectors)
    for raw in got.values():
        v = np.frombuffer(raw, dtype=np.float32)
        assert v.shape == (DIM,)
        assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-6


async def test_empty_change_set_commits_nothing(backend: Backend) -> None:
    await backend.store.commit(ChangeSet())
    assert by_id(await backend.store.load()) == by_id(Snapshot())


# ---------------------------------------------------------------------------------- Cache
async def test_cache_put_get_invalidate(backend: Backend) -> None:
    cache = backend.cache
    assert await cache.get("brief:s1:v1:100:None") is None
    await cache.put("brief:s1:v1:100:None", b"one", ttl_s=600, tag="s1")
    await cache.put("brief:s1:v1:50:2", b"two", ttl_s=600, tag="s1")
    await cache.put("brief:s2:v1:100:None", b"\x00three\xff", ttl_s=600, tag="s2")
    assert await cache.get("brief:s1:v1:100:None") == b"one"
    assert await cache.get("brief:s2:v1:100:None") == b"\x00three\xff"
    assert 0 < backend.ttl("brief:s1:v1:100:None") <= 600

    assert await cache.invalidate(["s1"]) == 2
    assert await cache.get("brief:s1:v1:100:None") is None
    assert await cache.get("brief:s1:v1:50:2") is None
    assert await cache.get("brief:s2:v1:100:None") == b"\x00three\xff"
    assert await cache.invalidate(["s1", "nothing"]) == 0
    assert await cache.invalidate([]) == 0

    await cache.put("brief:s1:v2:100:None", b"new", ttl_s=30, tag="s1")  # tag usable again
    assert await cache.get("brief:s1:v2:100:None") == b"new"
    assert 0 < backend.ttl("brief:s1:v2:100:None") <= 30
    assert await cache.invalidate(["s2", "s1"]) == 2


async def test_cache_overwrite_keeps_latest(backend: Backend) -> None:
    await backend.cache.put("k", b"old", ttl_s=60, tag="t")
    await backend.cache.put("k", b"new", ttl_s=60, tag="t")
    assert await backend.cache.get("k") == b"new"
    assert await backend.cache.invalidate(["t"]) == 1


# ------------------------------------------------------------------------------ Redis only
@pytest.mark.integration
async def test_redis_cache_tag_set_expires_too(redis_url: str, redis_prefix: str) -> None:
    client = connect(redis_url)
    raw = redis.Redis.from_url(redis_url)
    try:
        await RedisCache(client, redis_prefix).put("brief:x", b"v", ttl_s=120, tag="s9")
        assert 0 < int(raw.ttl(f"{redis_prefix}:brieftag:s9")) <= 120
        assert raw.smembers(f"{redis_prefix}:brieftag:s9") == {f"{redis_prefix}:brief:x".encode()}
    finally:
        await client.aclose()
        raw.close()


@pytest.mark.integration
async def test_redis_prefixes_are_isolated(redis_url: str, redis_prefix: str) -> None:
    client = connect(redis_url)
    other = f"{redis_prefix}:other{uuid.uuid4().hex[:6]}"
    try:
        await RedisStore(client, redis_prefix).commit(first_change())
        assert by_id(await RedisStore(client, other).load()) == by_id(Snapshot())
    finally:
        await client.aclose()


@pytest.mark.integration
async def test_redis_unreachable_raises_unavailable_quickly() -> None:
    client = connect("redis://127.0.0.1:1", timeout_s=1.0)
    store, cache = RedisStore(client, "wdtest:down"), RedisCache(client, "wdtest:down")
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: store.commit(first_change()),
        store.load,
        lambda: store.load_vectors([1, 2]),
        lambda: cache.get("k"),
        lambda: cache.put("k", b"v", ttl_s=5, tag="t"),
        lambda: cache.invalidate(["t"]),
    ]
    try:
        for call in calls:
            start = time.monotonic()
            with pytest.raises(UnavailableError, match="Redis is unavailable"):
                await call()
            assert time.monotonic() - start < 5.0
        start = time.monotonic()
        assert await store.ping() is False
        assert time.monotonic() - start < 5.0
    finally:
        await client.aclose()


async def test_memory_store_down_changes_nothing() -> None:
    store, cache = MemoryStore(), MemoryCache()
    store.down = cache.down = True
    with pytest.raises(UnavailableError):
        await store.commit(first_change())
    with pytest.raises(UnavailableError):
        await cache.put("k", b"v", ttl_s=5, tag="t")
    assert await store.ping() is False
    store.down = False
    assert by_id(await store.load()) == by_id(Snapshot())


async def test_founders_and_repointed_redirects_are_durable(backend: Backend) -> None:
    # The id contract's data: each story's founding article, and a redirect re-pointed when
    # its founder moved (a later hset of the same field replaces it).
    await backend.store.commit(dataclasses.replace(first_change(), founders={"s1": "a1"}))
    await backend.store.commit(dataclasses.replace(merge_change(), founders={"s2": "a2"}))
    await backend.store.commit(ChangeSet(redirects={"s2": "s9"}, founders={"s9": "a2"}))
    snapshot = await (await backend.reopen()).load()
    assert snapshot.founders == {"s1": "a1", "s2": "a2", "s9": "a2"}
    assert snapshot.redirects == {"s2": "s9"}
