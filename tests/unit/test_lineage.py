"""Story lineage, no-churn versions and kept titles (service.lineage.finalise and the use cases)."""

from __future__ import annotations

import dataclasses

import pytest

from service.adapters.memory import MemoryStore
from service.domain.errors import InvalidInputError, NotFoundError
from service.domain.lineage import StoryEvent
from service.domain.models import ChangeSet
from service.domain.world import World
from service.lineage import finalise
from service.pipeline.title import TitleConfig
from service.usecases import Wiredesk
from tests.texts import OTHER, WIRE
from tests.unit.conftest import Factory
from tests.unit.test_usecases import T0, article

NOW = 1_800_000_000.0
TITLES = TitleConfig()

PORTUGAL = OTHER
COMET = [
    "Astronomers at a mountaintop observatory in Chile have spotted a faint comet that will pass "
    "closest to the sun next March and may become visible to the naked eye.",
    "The icy visitor appears to come from the distant Oort cloud and is probably making its "
    "first trip into the inner solar system, which makes its brightness hard to predict.",
]


def kinds(events: tuple[StoryEvent, ...] | list[StoryEvent]) -> list[tuple[str, str]]:
    return [(e.story_id, e.kind) for e in events]


async def three_stories(wd: Wiredesk) -> tuple[str, str, str]:
    """Fire (two outlets), Portugal budget, comet: three stories, oldest first."""
    fire = await wd.submit(article("MSN", WIRE, published_at=T0))
    again = await wd.submit(article("Yahoo", WIRE[:3], n=1, published_at=T0 + 1))
    budget = await wd.submit(article("Reuters", PORTUGAL, n=2, published_at=T0 + 2))
    comet = await wd.submit(article("NBC", COMET, n=3, published_at=T0 + 3))
    assert again.story_id == fire.story_id
    assert len({fire.story_id, budget.story_id, comet.story_id}) == 3
    return fire.story_id, budget.story_id, comet.story_id


async def test_ingest_records_created_and_joined_with_reasons(make_wiredesk: Factory) -> None:
    wd = make_wiredesk()
    fire, budget, _ = await three_stories(wd)
    page = wd.get_history(fire, 50)
    assert (page.story_id, page.requested_id, page.live) == (fire, fire, True)
    # Newest first; the copy joined on shared paragraphs.
    assert [
        (e.kind, e.reason, e.article_ids) for e in page.events if e.kind != "title_changed"
    ] == [
        ("joined", "shared", ("a2",)),
        ("created", "new", ("a1",)),
    ]
    assert [e.event_id for e in page.events] == sorted(
        (e.event_id for e in page.events), reverse=True
    )
    created = page.events[-1]
    assert created.title == "MSN story 0"
    assert created.at == wd.world.stories[fire].created_at
    assert kinds(wd.get_history(budget, 50).events) == [(budget, "created")]


async def test_history_pages_with_a_cursor_and_refuses_bad_ones(make_wiredesk: Factory) -> None:
    wd = make_wiredesk()
    fire, _, _ = await three_stories(wd)
    await wd.submit(article("ABC", [WIRE[0], WIRE[4]], n=7, published_at=T0 + 5))
    everything = wd.get_history(fire, 500).events
    assert len(everything) >= 3
    seen: list[StoryEvent] = []
    cursor = None
    while True:
        page = wd.get_history(fire, 1, cursor)
        seen.extend(page.events)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(everything)
    with pytest.raises(InvalidInputError, match="cursor"):
        wd.get_history(fire, 1, "not a cursor!")
    with pytest.raises(NotFoundError):
        wd.get_history("s999", 10)


def bridge_merge(world: World, survivor: str, absorbed: str) -> ChangeSet:
    """An ingest-shaped merge (planner-independent): a copy of ``a1`` (the bridge) joins
    ``survivor``, which absorbs ``absorbed`` (its version: both versions plus the join)."""
    counters = dict(world.counters)
    counters["article"] += 1
    bridge = dataclasses.replace(
        world.articles["a1"],
        article_id=f"a{counters['article']}",
        seq=counters["article"],
        url="https://digest.example/1",
        content_hash="bridge",
    )
    merged = world.stories[survivor].version + 1 + world.stories[absorbed].version
    return ChangeSet(
        articles=(bridge,),
        stories=(dataclasses.replace(world.stories[survivor], version=merged),),
        redirects={absorbed: survivor},
        counters=counters,
    )


async def test_merge_records_both_sides_and_history_follows_the_redirect(
    make_wiredesk: Factory,
) -> None:
    """An ingest-shaped merge (planner-independent): a bridge joins fire and absorbs budget."""
    wd = make_wiredesk()
    fire, budget, _ = await three_stories(wd)
    world = wd.world
    changes = bridge_merge(world, fire, budget)
    bridge = changes.articles[0]
    done = finalise(world, changes, "shared", NOW, TITLES)
    await wd.store.commit(done)
    world.apply(done)
    page = wd.get_history(budget, 50)
    assert (page.story_id, page.requested_id, page.live) == (fire, budget, True)
    got = {(e.story_id, e.kind, e.article_ids, e.other_story_id) for e in page.events}
    assert {
        (budget, "merged_into", ("a3",), fire),
        (fire, "merged_from", ("a3",), budget),
        (fire, "joined", (bridge.article_id,), None),
        (budget, "created", ("a3",), None),
    } <= got
    assert all(e.reason == "shared" for e in done.events)
    # The survivor's own history has the merge but not the absorbed story's earlier events.
    assert (budget, "created") not in kinds(wd.get_history(fire, 50).events)


async def test_moves_splits_and_dissolved_stories_are_recorded(make_wiredesk: Factory) -> None:
    """A regrouping-shaped change set (planner-independent): a move, a split, a dissolution."""
    wd = make_wiredesk()
    fire, budget, comet = await three_stories(wd)
    world = wd.world
    a1, a2, a3, a4 = (world.articles[f"a{i}"] for i in range(1, 5))
    counters = dict(world.counters)
    counters["story"] += 1
    new_id = f"s{counters['story']}"
    new_story = dataclasses.replace(world.stories[fire], story_id=new_id, seq=counters["story"])
    changes = ChangeSet(
        articles=(
            dataclasses.replace(a2, story_id=new_id),  # split out of the fire story
            dataclasses.replace(a3, story_id=comet),  # moved
            dataclasses.replace(a4, story_id=fire),  # moved; the comet story had only a4
        ),
        stories=(
            dataclasses.replace(world.stories[fire], version=9),
            dataclasses.replace(world.stories[comet], version=9),
            new_story,
        ),
        redirects={budget: comet},
        counters=counters,
    )
    del a1
    done = finalise(world, changes, "regroup", NOW, TITLES)
    got = {(e.story_id, e.kind, e.article_ids, e.other_story_id) for e in done.events}
    assert {
        (new_id, "created", ("a2",), fire),
        (fire, "split_into", ("a2",), new_id),
        (new_id, "split_from", ("a2",), fire),
        (comet, "moved_out", ("a4",), fire),
        (fire, "moved_in", ("a4",), comet),
        (budget, "merged_into", (), comet),
        (comet, "merged_from", (), budget),
    } <= got
    # Moves out of a dissolved story are moves, not merges.
    assert (budget, "moved_out", ("a3",), comet) in got
    assert all(e.reason == "regroup" and e.at == NOW for e in done.events)
    ids = [e.event_id for e in done.events]
    assert ids == list(range(world.counters.get("event", 0) + 1, ids[-1] + 1))
    assert done.counters["event"] == ids[-1]


async def test_idle_bumps_are_dropped_and_missed_bumps_added(make_wiredesk: Factory) -> None:
    wd = make_wiredesk()
    fire, budget, comet = await three_stories(wd)
    world = wd.world
    before = {s: world.stories[s] for s in (fire, budget, comet)}
    a3 = world.articles["a3"]
    # The planner bumps all three stories but only moves a3 (budget -> comet), and bumps
    # neither side of the move correctly.
    changes = ChangeSet(
        articles=(dataclasses.replace(a3, story_id=comet),),
        stories=(dataclasses.replace(before[fire], version=5, updated_at=NOW),),
    )
    done = finalise(world, changes, "regroup", NOW, TITLES)
    stories = {s.story_id: s for s in done.stories}
    assert fire not in stories  # no member of the fire story changed
    assert set(stories) == {budget, comet}
    for sid in (budget, comet):
        assert stories[sid].version == before[sid].version + 1
        assert stories[sid].updated_at == NOW
    # A change set that re-states an article unchanged bumps nothing and records nothing.
    same = finalise(
        world,
        ChangeSet(
            articles=(world.articles["a1"],),
            stories=(dataclasses.replace(before[fire], version=7),),
        ),
        "update",
        NOW,
        TITLES,
    )
    assert same.stories == ()
    assert same.events == ()


async def test_whitespace_only_update_changes_no_version(make_wiredesk: Factory) -> None:
    wd = make_wiredesk()
    first = await wd.submit(article("MSN", WIRE))
    story = wd.world.stories[first.story_id]
    events = len(wd.get_history(first.story_id, 500).events)
    spaced = [WIRE[0].replace(" ", "  ", 3), *WIRE[1:]]
    again = await wd.submit(article("MSN", spaced))
    assert again.story_id == first.story_id
    after = wd.world.stories[first.story_id]
    assert (after.version, after.updated_at) == (story.version, story.updated_at)
    assert len(wd.get_history(first.story_id, 500).events) == events
    # A real change (a new paragraph) does bump, once, and is recorded as an update.
    changed = await wd.submit(article("MSN", [*WIRE, PORTUGAL[2]]))
    assert changed.status == "updated"
    bumped = wd.world.stories[first.story_id]
    assert bumped.version == story.version + 1
    latest = wd.get_history(first.story_id, 1).events[0]
    assert (latest.kind, latest.reason, latest.article_ids) == ("updated", "update", ("a1",))


async def test_keyed_stray_article_never_titles_the_story(make_wiredesk: Factory) -> None:
    """Fault 9: the title followed the oldest article, so a stray B titled a story about A."""
    wd = make_wiredesk()
    titles = []
    for n, outlet in enumerate(("CBS", "ABC", "MSN")):
        body = WIRE if outlet == "MSN" else [*WIRE[:3], WIRE[4]]
        out = await wd.submit(
            article(
                outlet,
                body,
                n=n,
                title=f"Millbrook factory fire {n}",
                story_key="k",
                published_at=T0 + 10 + n,
            )
        )
        titles.append(wd.world.story_view(out.story_id).title)
    stray = await wd.submit(
        article(
            "NBC", PORTUGAL, n=5, title="Portugal passes budget", story_key="k", published_at=T0
        )  # the oldest member
    )
    view = wd.world.story_view(stray.story_id)
    assert view.article_count == 4
    assert view.title == titles[-1]
    assert view.title != "Portugal passes budget"
    # Titles changed only on membership changes, and never to the stray's headline.
    changes = [e for e in wd.get_history(stray.story_id, 500).events if e.kind == "title_changed"]
    assert all(e.title != "Portugal passes budget" for e in changes)


async def test_history_and_titles_survive_a_restart(make_wiredesk: Factory) -> None:
    store = MemoryStore()
    wd = make_wiredesk(store)
    await wd.start()
    fire, budget, _ = await three_stories(wd)
    before = {s: wd.get_history(s, 500).events for s in (fire, budget)}
    titles = {s: wd.world.stories[s].title for s in (fire, budget)}
    twin = make_wiredesk(store.clone())
    await twin.start()
    for sid in (fire, budget):
        assert twin.get_history(sid, 500).events == before[sid]
        assert twin.world.stories[sid].title == titles[sid]
    more = await twin.submit(article("CBS", WIRE[1:], n=20))
    assert more.story_id == fire
    newest = twin.get_history(fire, 1).events[0]
    assert newest.event_id > max(e.event_id for e in before[fire])
