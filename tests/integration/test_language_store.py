"""Articles' languages in Redis: kept on new records, absent (None) on records stored before."""

from __future__ import annotations

import dataclasses

import msgspec
import pytest
import redis

from service.adapters.redis_store import RedisStore, connect
from service.domain.models import ChangeSet, Story, TextRecord
from service.domain.world import World
from tests.integration.test_redis_store import DIM, article, vec

pytestmark = pytest.mark.integration


async def test_language_round_trips_and_old_records_load_without_one(
    redis_url: str, redis_prefix: str
) -> None:
    client = connect(redis_url)
    try:
        store = RedisStore(client, redis_prefix)
        await store.commit(
            ChangeSet(
                articles=(
                    dataclasses.replace(article(1, "s1", (1,)), language="fr"),
                    dataclasses.replace(article(2, "s2", (2,)), language="und"),
                ),
                texts=(TextRecord(1, "fp1", "c1", 9), TextRecord(2, "fp2", "c2", 9)),
                vectors={1: vec(1), 2: vec(2)},
                stories=(Story("s1", 1, 10.0, 10.0, 1), Story("s2", 2, 11.0, 11.0, 1)),
                counters={"article": 2, "text": 2, "story": 2, "cluster": 2},
            )
        )
        # A record as stored before languages were kept: the same map without the field.
        old = msgspec.to_builtins(article(3, "s2", (2,)), builtin_types=(bytes,))
        old.pop("language")
        raw = redis.Redis.from_url(redis_url)
        raw.hset(f"{redis_prefix}:articles", "a3", msgspec.msgpack.encode(old))
        raw.close()

        snapshot = await store.load()
        languages = {a.article_id: a.language for a in snapshot.articles}
        assert languages == {"a1": "fr", "a2": "und", "a3": None}
        world = World.from_snapshot(snapshot, DIM)
        assert world.story_view("s1").languages == ("fr",)
        assert world.story_view("s2").languages == ("und",)  # the old record adds none
        assert world.story_allows("s1", "fr")
        assert not world.story_allows("s1", "en")
        assert world.text_language == {1: "fr", 2: "und"}
    finally:
        await client.aclose()
