"""The regrouping pass through the use cases: moves, ids, versions, keys, persistence."""

from __future__ import annotations

import pytest

from service.adapters.memory import MemoryStore
from service.domain.errors import UnavailableError
from service.domain.models import ArticleInput
from service.pipeline.group import GroupConfig
from service.pipeline.regroup import RegroupConfig
from service.regrouping import TermsMemo, article_terms, pass_stories
from service.settings import Settings
from service.usecases import Wiredesk
from tests.texts import TOPICS
from tests.unit.conftest import Factory

T0 = 1_700_000_000.0
# The online grouping never joins anything here, so every article founds its own story and
# only the regrouping pass can bring a topic together.
ALONE = GroupConfig(
    join_similarity=0.999, merge_similarity=0.999, resume_similarity=0.999, min_shared_words=10**6
)


def settings(**regroup: object) -> Settings:
    return Settings(embedder="hash", group=ALONE, regroup=RegroupConfig(**regroup))  # type: ignore[arg-type]


def topic_inputs(key_for: str | None = None) -> list[ArticleInput]:
    out = []
    for n, (topic, text) in enumerate((t, x) for t, texts in TOPICS.items() for x in texts):
        out.append(
            ArticleInput(
                url=f"https://example.test/{topic}/{n}",
                outlet=f"Outlet{n % 5}",
                title=None,
                text=text,
                published_at=T0 + n * 600,
                story_key=topic if topic == key_for else None,
            )
        )
    return out


async def submit_all(wd: Wiredesk, inputs: list[ArticleInput]) -> list[str]:
    ids = []
    for item in inputs:
        ids.append((await wd.submit(item)).article_id)
    return ids


def stories_of(wd: Wiredesk, ids: list[str]) -> list[str]:
    return [wd.get_article(i)[1] for i in ids]


async def test_regroup_brings_topics_together_and_keeps_the_oldest_ids(
    make_wiredesk: Factory,
) -> None:
    wd = make_wiredesk(settings=settings())
    ids = await submit_all(wd, topic_inputs())
    assert len(set(stories_of(wd, ids))) == 12
    assert wd.regroup_wanted.is_set()

    result = await wd.regroup()
    assert result is not None
    assert (result.articles, result.moved, result.created, result.dissolved) == (12, 8, 0, 8)
    assert not wd.regroup_wanted.is_set()
    after = stories_of(wd, ids)
    assert after == [s for s in ("s1", "s4", "s7", "s10") for _ in range(3)]
    # A dissolved id still answers, with the story that took its article.
    detail = wd.get_story("s2")
    assert detail.story.story_id == "s1"
    assert detail.requested_id == "s2"
    assert detail.story.article_count == 3
    assert wd.metrics.regrouped._value.get() == 8

    again = await wd.regroup()
    assert again is not None
    assert again.moved == 0


async def test_regroup_bumps_versions_so_cached_briefs_are_not_served(
    make_wiredesk: Factory,
) -> None:
    wd = make_wiredesk(settings=settings())
    await submit_all(wd, topic_inputs())
    before = await wd.get_brief("s1")
    assert (await wd.get_brief("s1")).cached
    await wd.regroup()
    after = await wd.get_brief("s1")
    assert not after.cached
    assert after.version > before.version
    assert len({a for s in after.sentences for a in s.article_ids}) > 1  # now three articles


async def test_keyed_stories_are_never_regrouped(make_wiredesk: Factory) -> None:
    wd = make_wiredesk(settings=settings(min_articles=9))  # the pass sees the 9 unkeyed ones
    inputs = topic_inputs(key_for="ferry")
    ids = await submit_all(wd, inputs[:3])
    assert not wd.regroup_wanted.is_set()  # keyed arrivals ask for no pass
    ids += await submit_all(wd, inputs[3:])
    keyed_story = stories_of(wd, ids[:1])[0]
    await wd.regroup()
    assert stories_of(wd, ids[:3]) == [keyed_story] * 3
    assert wd.get_story(keyed_story).story.article_count == 3
    assert len(set(stories_of(wd, ids[3:]))) == 3


async def test_a_regrouped_world_survives_a_restart(make_wiredesk: Factory) -> None:
    store = MemoryStore()
    wd = make_wiredesk(store, settings())
    ids = await submit_all(wd, topic_inputs())
    await wd.regroup()
    restarted = make_wiredesk(store, settings())
    await restarted.start()
    assert stories_of(restarted, ids) == stories_of(wd, ids)
    assert restarted.get_story("s3").story.story_id == "s1"
    assert {s.story_id: s.version for s in restarted.world.live_stories()} == {
        s.story_id: s.version for s in wd.world.live_stories()
    }


async def test_store_down_during_a_pass_changes_nothing(make_wiredesk: Factory) -> None:
    store = MemoryStore()
    wd = make_wiredesk(store, settings())
    ids = await submit_all(wd, topic_inputs())
    store.down = True
    with pytest.raises(UnavailableError):
        await wd.regroup()
    assert len(set(stories_of(wd, ids))) == 12
    assert wd.regroup_wanted.is_set()  # asks to be tried again
    store.down = False
    result = await wd.regroup()
    assert result is not None
    assert result.moved == 8


async def test_disabled_or_small_passes_leave_stories(make_wiredesk: Factory) -> None:
    off = make_wiredesk(settings=settings(enabled=False))
    ids = await submit_all(off, topic_inputs())
    assert not off.regroup_wanted.is_set()
    assert await off.regroup() is None
    assert len(set(stories_of(off, ids))) == 12

    small = make_wiredesk(settings=settings(min_articles=13))
    ids = await submit_all(small, topic_inputs())
    result = await small.regroup()
    assert result is not None
    assert result.moved == 0
    assert len(set(stories_of(small, ids))) == 12


async def test_pass_takes_whole_recent_stories_up_to_the_cap(make_wiredesk: Factory) -> None:
    wd = make_wiredesk(settings=settings())
    await submit_all(wd, topic_inputs())
    await wd.regroup()  # four stories of three articles; s10 (drought) updated last
    chosen = pass_stories(wd.world, RegroupConfig(max_articles=7))
    assert len(chosen) == 2
    assert all(len(wd.world.members[s.story_id]) == 3 for s in chosen)
    assert chosen[0].updated_at >= chosen[1].updated_at


async def test_article_terms_weigh_title_words(make_wiredesk: Factory) -> None:
    wd = make_wiredesk(settings=settings())
    item = ArticleInput(
        url="https://example.test/crane",
        outlet="Herald",
        title="Harbor crane collapse",
        text="The crane fell onto the bridge. Engineers inspected the crane arm.",
        published_at=T0,
    )
    article = wd.world.articles[(await wd.submit(item)).article_id]
    assert article_terms(article, title_weight=1)["crane"] == 1 + 2  # title once, body twice
    assert article_terms(article, title_weight=4)["crane"] == 4 + 2
    assert article_terms(article, title_weight=4)["harbor"] == 4  # title only
    assert "harbor" not in article_terms(article, title_weight=0)
    assert article_terms(article, title_weight=0)["bridge"] == 1


async def test_terms_memo_keeps_only_the_last_pass(make_wiredesk: Factory) -> None:
    wd = make_wiredesk(settings=settings())
    ids = await submit_all(wd, topic_inputs()[:2])
    first, second = (wd.world.articles[i] for i in ids)
    memo = TermsMemo(title_weight=3)
    assert memo(first) == article_terms(first, title_weight=3)
    assert memo(first) is memo(first)  # computed once
    memo.end_pass()
    memo(second)
    memo.end_pass()
    assert set(memo._kept) == {second.article_id}


# Settled single-article stories, each alone on its subject (texts written for this test).
SINGLES = {
    "library": "The Kelby public library reopened on Saturday after a two-year renovation that "
    "added a children's wing and a rooftop reading garden.",
    "comet": "Astronomers at the Ostrava observatory said a newly found comet will pass close "
    "enough to be seen with binoculars in late March.",
    "orchard": "Apple growers in the Renn valley expect a record harvest after a mild spring and "
    "a wet summer, the growers' cooperative said.",
}
# Unrelated arrivals that share a word or two (and a headline word) with one settled story.
# Before lone arrivals needed positive evidence, the next pass moved the first two into the
# library and comet stories: among unrelated articles the least unrelated pair still stands
# out in z-scores, and the mean raw cosine cleared its floor.
ARRIVALS = [
    (
        "Library to close in Marlow",
        "The Marlow branch library will close for good in June because of budget cuts, the "
        "district said. Its books will move to the high school.",
    ),
    (
        "Comet seen over Tarn",
        "Amateur stargazers in Tarn photographed a bright meteor that lit up the night sky on "
        "Friday, the town's astronomy club said.",
    ),
    (
        "Museum finds lost painting",
        "A painting missing for sixty years was found in the attic of the Verlo town museum "
        "during repairs to its roof, curators said on Thursday.",
    ),
]


def snapshot(wd: Wiredesk) -> dict[str, tuple[frozenset[str], int]]:
    world = wd.world
    return {
        sid: (frozenset(world.members[sid]), story.version)
        for sid, story in world.stories.items()
        if world.members.get(sid)
    }


async def test_an_unrelated_arrival_stays_its_own_story_and_changes_no_other(
    make_wiredesk: Factory,
) -> None:
    wd = make_wiredesk(settings=Settings(embedder="hash"))  # the default grouping and pass
    n = 0
    for topic, texts in TOPICS.items():
        for i, text in enumerate(texts):
            n += 1
            item = ArticleInput(
                f"https://o{i}.example/{topic}",
                f"Outlet{i}",
                f"{topic.title()} update",
                text,
                T0 + 3600 * n,
            )
            await wd.submit(item)
    for name, text in SINGLES.items():
        n += 1
        await wd.submit(
            ArticleInput(f"https://nbc.example/{name}", "NBC", name.title(), text, T0 + 3600 * n)
        )
    await wd.regroup()
    for title, text in ARRIVALS:
        before = snapshot(wd)
        n += 1
        item = ArticleInput(f"https://herald.example/{n}", "Herald", title, text, T0 + 3600 * n)
        accepted = await wd.submit(item)
        for _ in range(2):  # the pass after it, and another one later
            await wd.regroup()
            assert wd.get_article(accepted.article_id)[1] == accepted.story_id
            assert wd.world.members[accepted.story_id] == {accepted.article_id}
            after = snapshot(wd)
            assert {s: after.get(s) for s in before} == before  # no other story changed
