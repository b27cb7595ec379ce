"""Maintained orderings and counts: always equal to a from-scratch scan of the world.

``GET /stories``, ``GET /clusters`` and ``/metrics`` read orderings and counters the world
keeps up to date in :meth:`World.apply` (issue 16: reads cost O(page), not O(world)). These
tests recompute every one of them by brute force after ingests, article updates, merges,
regrouping passes and a restart from the store, and require equality.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from service.adapters.memory import MemoryStore
from service.domain.orderings import SortedKeys
from service.domain.world import World
from service.pipeline.group import GroupConfig
from service.settings import Settings
from service.usecases import Wiredesk
from tests.texts import OTHER, REWRITES, WIRE
from tests.unit.conftest import Factory
from tests.unit.test_usecases import T0, article

# --------------------------------------------------------------------------- SortedKeys

_OPS = st.lists(st.tuples(st.integers(0, 30), st.none() | st.integers(-50, 50)), max_size=120)


@settings(max_examples=60, deadline=None)
@given(ops=_OPS, batch=st.integers(1, 200), bound=st.integers(-60, 60))
def test_sorted_keys_match_a_sorted_copy(
    ops: list[tuple[int, int | None]], batch: int, bound: int
) -> None:
    keys: SortedKeys[int] = SortedKeys()
    expected: dict[int, tuple[int, int]] = {}
    for start in range(0, len(ops), batch):  # batches: big ones take the re-sort path
        changes: dict[int, tuple[int, int] | None] = {}
        for member, value in ops[start : start + batch]:
            changes[member] = None if value is None else (value, member)
        keys.update(changes)
        for member, key in changes.items():
            if key is None:
                expected.pop(member, None)
            else:
                expected[member] = key
        ordered = sorted(expected.values())
        assert list(keys.ascending()) == ordered
        assert len(keys) == len(expected)
        assert list(keys.descending_below((bound,))) == [
            k for k in reversed(ordered) if k < (bound,)
        ]
        assert list(keys.descending_below(None)) == ordered[::-1]
        assert keys.count_below((bound,)) == sum(1 for k in ordered if k < (bound,))
        for member in range(31):
            assert (member in keys) == (member in expected)
            assert keys.key(member) == expected.get(member)


# --------------------------------------------------------------------------- the world


def brute_story_order(world: World) -> list[str]:
    """Live story ids newest-updated first (ties: newer seq first), by a full sort."""
    live = [s for s in world.stories.values() if world.members.get(s.story_id)]
    return [s.story_id for s in sorted(live, key=lambda s: (-s.updated_at, -s.seq))]


def brute_outlets(world: World, cluster: str) -> int:
    return len({world.articles[a].outlet for a in world.cluster_articles.get(cluster, {})})


def brute_cluster_order(world: World) -> list[tuple[int, str]]:
    carried = [c for c, a in world.cluster_articles.items() if a]
    return sorted((-brute_outlets(world, c), c) for c in carried)


def assert_maintained(wd: Wiredesk) -> None:
    """Every maintained ordering and count equals its brute-force value."""
    world = wd.world
    assert [k[2] for k in world.story_order.descending_below(None)] == brute_story_order(world)
    assert list(world.cluster_order.ascending()) == brute_cluster_order(world)
    for cluster in world.cluster_articles:
        assert world.cluster_outlet_count(cluster) == brute_outlets(world, cluster)
    assert world.paragraph_count == sum(len(a.paragraphs) for a in world.articles.values())
    # The reads built on them, against the brute-force answer.
    walked: list[str] = []
    cursor = None
    while True:
        page = wd.list_stories(2, cursor)
        walked.extend(s.story_id for s in page.stories)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert walked == brute_story_order(world)
    boilerplate = wd.desk.recurrence.boilerplate()
    for min_outlets in (1, 2, 3):
        wide = [(n, c) for n, c in brute_cluster_order(world) if c not in boilerplate]
        expected = [c for n, c in wide if -n >= min_outlets][:3]
        assert [c.cluster_id for c in wd.list_clusters(None, min_outlets, 3)] == expected
    gauges = wd.gauges()
    carried = [c for c, a in world.cluster_articles.items() if a]
    assert gauges["clusters"] == len(carried)
    assert gauges["cross_outlet_clusters"] == sum(
        1 for c in carried if brute_outlets(world, c) >= 2 and c not in boilerplate
    )
    assert gauges["stories"] == len(brute_story_order(world))
    assert gauges["paragraphs"] == sum(len(a.paragraphs) for a in world.articles.values())


async def test_orderings_follow_ingest_updates_merges_regroups_and_restart(
    make_wiredesk: Factory,
) -> None:
    store = MemoryStore()
    # Every pair of stories counts as alike, so a bridging article merges two stories.
    alike = Settings(embedder="hash", group=GroupConfig(alike_similarity=-1.0))
    wd = make_wiredesk(store, alike)
    await wd.start()
    assert_maintained(wd)
    fire = await wd.submit(article("MSN", WIRE[:3]))
    assert_maintained(wd)
    budget = await wd.submit(article("Reuters", OTHER, n=1, published_at=T0 + 5))
    for i, (outlet, paragraphs) in enumerate(REWRITES.items()):
        await wd.submit(article(outlet, paragraphs, n=10 + i, published_at=T0 + 10 + i))
        assert_maintained(wd)
    # Updates: the same URL with a shorter body detaches the old version's paragraphs (the
    # clusters only Reuters carried leave the ordering).
    await wd.submit(article("MSN", WIRE[:1], published_at=T0 + 1))
    carried = wd.gauges()["clusters"]
    await wd.submit(article("Reuters", OTHER[1:2], n=1, published_at=T0 + 5))
    assert wd.gauges()["clusters"] == carried - (len(OTHER) - 1)
    assert_maintained(wd)
    bridge = await wd.submit(article("Digest", [WIRE[1], OTHER[1]], n=9, published_at=T0 + 20))
    assert bridge.merged_story_ids == (budget.story_id,)
    assert bridge.story_id == fire.story_id
    assert_maintained(wd)
    # Unrelated singletons, then a regrouping pass over them.
    rng = random.Random(3)
    words = " ".join(OTHER).split()
    for n in range(6):
        text = " ".join(rng.sample(words, 25))
        await wd.submit(article(f"Outlet{n % 3}", [text], n=100 + n, published_at=T0 + 30 + n))
    await wd.regroup()
    assert_maintained(wd)
    # A restart loads everything in one change set: the same orderings come back.
    restarted = make_wiredesk(store, alike)
    await restarted.start()
    assert_maintained(restarted)
    assert list(restarted.world.story_order.ascending()) == list(wd.world.story_order.ascending())
    assert list(restarted.world.cluster_order.ascending()) == list(
        wd.world.cluster_order.ascending()
    )
