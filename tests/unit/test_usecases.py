from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.adapters.memory import MemoryStore
from service.domain.errors import InvalidInputError, NotFoundError, UnavailableError
from service.domain.models import ArticleInput
from service.pipeline.constraints import EntityConfig
from service.pipeline.group import GroupConfig
from service.settings import Settings
from service.usecases import Wiredesk
from tests.texts import OTHER, REWRITES, WIRE
from tests.unit.conftest import Factory

DAY = 86400.0
T0 = 1_700_000_000.0


def article(outlet: str, paragraphs: list[str], n: int = 0, **kw: object) -> ArticleInput:
    return ArticleInput(
        url=f"https://{outlet.lower()}.example/{n}",
        outlet=outlet,
        title=kw.pop("title", f"{outlet} story {n}"),  # type: ignore[arg-type]
        text="\n".join(paragraphs),
        published_at=kw.pop("published_at", T0),  # type: ignore[arg-type]
        story_key=kw.pop("story_key", None),  # type: ignore[arg-type]
    )


async def four_outlets(wd: Wiredesk) -> list[str]:
    out = []
    for i, (outlet, paragraphs) in enumerate(REWRITES.items()):
        out.append((await wd.submit(article(outlet, paragraphs, published_at=T0 + i))).story_id)
    return out


async def test_four_outlets_make_one_story_with_cross_outlet_clusters(
    make_wiredesk: Factory,
) -> None:
    wd = make_wiredesk()
    await wd.start()
    stories = await four_outlets(wd)
    assert len(set(stories)) == 1
    other = await wd.submit(article("Reuters", OTHER, published_at=T0 + 10))
    assert other.story_id != stories[0]

    detail = wd.get_story(stories[0])
    assert detail.story.article_count == 4
    widest = detail.clusters[0]
    assert set(widest.outlets) == {"ABC", "CBS", "MSN", "Yahoo"}
    assert widest.origin_article_id == "a1"

    brief = await wd.get_brief(stories[0])
    assert not brief.cached
    all_sentences = {s for p in REWRITES.values() for para in p for s in [para]}
    assert brief.sentences
    for sentence in brief.sentences:
        assert any(sentence.text in para for para in all_sentences)
    assert max(len(s.outlets) for s in brief.sentences) >= 3
    assert brief.word_count <= 100
    again = await wd.get_brief(stories[0])
    assert again.cached
    assert again.text == brief.text


async def test_near_duplicate_count_and_reuse_of_embeddings(make_wiredesk: Factory) -> None:
    wd = make_wiredesk()
    first = await wd.submit(article("MSN", WIRE))
    assert first.embedded == len(WIRE)
    assert first.near_duplicate_paragraphs == 0
    copy = await wd.submit(article("Yahoo", WIRE, n=2))
    assert copy.embedded == 0  # every paragraph's exact text was embedded before
    assert copy.near_duplicate_paragraphs == len(WIRE)
    assert copy.story_id == first.story_id


async def test_repost_is_idempotent_and_change_is_an_update(make_wiredesk: Factory) -> None:
    wd = make_wiredesk()
    a = await wd.submit(article("MSN", WIRE))
    version = wd.world.stories[a.story_id].version
    again = await wd.submit(article("MSN", WIRE))
    assert (again.status, again.article_id, again.story_id) == (
        "unchanged",
        a.article_id,
        a.story_id,
    )
    assert len(wd.world.articles) == 1
    assert wd.world.stories[a.story_id].version == version
    changed = await wd.submit(article("MSN", WIRE[:3]))
    assert (changed.status, changed.article_id) == ("updated", a.article_id)
    assert len(wd.world.articles) == 1
    assert wd.world.stories[a.story_id].version == version + 1
    assert len(wd.get_article(a.article_id)[0].paragraphs) == 3
    assert wd.world.cluster_articles[wd.world.texts[5].cluster_id] == {}


async def test_an_article_quoting_two_unalike_stories_merges_nothing(
    make_wiredesk: Factory,
) -> None:
    # Was a merge (the fault, issue 11 #5): one quoted paragraph of each is evidence about the
    # digest, not about the stories, which are not alike.
    wd = make_wiredesk()
    fire = await wd.submit(article("MSN", WIRE[:3]))
    budget = await wd.submit(article("Reuters", OTHER))
    bridge = await wd.submit(article("Digest", [WIRE[1], OTHER[1]], n=9))
    assert bridge.merged_story_ids == ()
    assert bridge.story_id in {fire.story_id, budget.story_id} or bridge.reason == "new"
    assert wd.get_article(fire.article_id)[1] == fire.story_id
    assert wd.get_article(budget.article_id)[1] == budget.story_id


async def test_bridging_article_merges_alike_stories_and_old_ids_redirect(
    make_wiredesk: Factory,
) -> None:
    # Every pair of stories counts as alike here, so the bridge merges as two halves of one
    # story would.
    wd = make_wiredesk(settings=Settings(embedder="hash", group=GroupConfig(alike_similarity=-1.0)))
    fire = await wd.submit(article("MSN", WIRE[:3]))
    budget = await wd.submit(article("Reuters", OTHER))
    assert fire.story_id != budget.story_id
    bridge = await wd.submit(article("Digest", [WIRE[1], OTHER[1]], n=9))
    assert bridge.story_id == fire.story_id  # the older story survives
    assert bridge.merged_story_ids == (budget.story_id,)
    detail = wd.get_story(budget.story_id)
    assert detail.story.story_id == fire.story_id
    assert detail.requested_id == budget.story_id
    assert wd.get_article(budget.article_id)[1] == fire.story_id
    page = wd.list_stories(10, None)
    assert [s.story_id for s in page.stories] == [fire.story_id]


async def test_story_key_groups_unrelated_texts(make_wiredesk: Factory) -> None:
    wd = make_wiredesk()
    a = await wd.submit(article("MSN", WIRE, story_key="evt-1"))
    b = await wd.submit(article("Reuters", OTHER, story_key="evt-1"))
    c = await wd.submit(article("Yahoo", WIRE, n=3, story_key="evt-2"))
    assert a.story_id == b.story_id
    assert c.story_id != a.story_id


async def test_far_apart_articles_join_only_on_strong_evidence(make_wiredesk: Factory) -> None:
    # Any similarity joins within the window; outside it only 0.99 would, or a shared cluster.
    # (Named-entity cannot-links off: the two texts name different places, and this test is
    # about the time window alone.)
    group = GroupConfig(
        join_similarity=0.0, resume_similarity=0.99, entities=EntityConfig(min_entities=10**6)
    )
    wd = make_wiredesk(settings=Settings(embedder="hash", group=group))
    a = await wd.submit(article("MSN", WIRE))
    near = await wd.submit(article("CBS", OTHER, n=1, published_at=T0 + 2 * DAY))
    assert (near.story_id, near.reason) == (a.story_id, "similar")
    far = await wd.submit(article("ABC", OTHER, n=2, published_at=T0 + 30 * DAY))
    assert far.story_id == a.story_id  # OTHER's own copy: shared clusters count at any distance
    other_far = await wd.submit(
        article(
            "NBC",
            ["A quiet week of weather with sunshine and light winds expected."],
            n=3,
            published_at=T0 + 60 * DAY,
        )
    )
    assert other_far.story_id != a.story_id


async def test_store_down_changes_nothing_and_recovers(make_wiredesk: Factory) -> None:
    store = MemoryStore()
    wd = make_wiredesk(store)
    await wd.submit(article("MSN", WIRE))
    store.down = True
    with pytest.raises(UnavailableError):
        await wd.submit(article("Reuters", OTHER))
    assert len(wd.world.articles) == 1
    assert len(wd.index) == len(wd.world.texts) == len(WIRE)
    assert not (await wd.health()).ok
    store.down = False
    assert (await wd.submit(article("Reuters", OTHER))).status == "created"
    assert (await wd.health()).ok


async def test_restart_restores_everything(make_wiredesk: Factory) -> None:
    store = MemoryStore()
    wd = make_wiredesk(store)
    ids = await four_outlets(wd)
    await wd.submit(article("Reuters", OTHER))
    brief = await wd.get_brief(ids[0])
    twin = make_wiredesk(store.clone())
    await twin.start()
    assert len(twin.index) == len(wd.index)
    assert twin.world.articles == wd.world.articles
    assert twin.world.stories == wd.world.stories
    assert (await twin.get_brief(ids[0])).text == brief.text
    # The next ids continue where the first instance stopped.
    nxt = await twin.submit(
        article(
            "New",
            [
                "A completely different paragraph about a chess "
                "tournament held in a small mountain village."
            ],
        )
    )
    assert nxt.article_id == f"a{len(wd.world.articles) + 1}"


async def test_batch_items_fail_alone(make_wiredesk: Factory) -> None:
    wd = make_wiredesk()
    bad = InvalidInputError("bad item")
    results = await wd.submit_many(
        [article("MSN", WIRE), bad, article("X", ["Advertisement"]), article("Reuters", OTHER)]
    )
    assert results[1] is bad
    assert isinstance(results[2], InvalidInputError)
    assert [getattr(r, "status", None) for r in results] == ["created", None, None, "created"]


async def test_reads_of_unknown_ids_raise_not_found(make_wiredesk: Factory) -> None:
    wd = make_wiredesk()
    with pytest.raises(NotFoundError):
        wd.get_article("a404")
    with pytest.raises(NotFoundError):
        wd.get_story("s404")
    with pytest.raises(NotFoundError):
        await wd.get_brief("s404")
    with pytest.raises(InvalidInputError):
        wd.list_stories(5, "not-a-cursor")


async def test_pagination_walks_every_story_once(make_wiredesk: Factory) -> None:
    wd = make_wiredesk()
    for i in range(5):
        await wd.submit(
            article(
                f"O{i}",
                [
                    f"Unique paragraph number {i} about topic {i * 7} "
                    f"with enough words to be kept here."
                ],
                n=i,
                published_at=T0 + i * 40 * DAY,
                story_key=f"k{i}",
            )
        )
    seen, cursor = [], None
    while True:
        page = wd.list_stories(2, cursor)
        seen += [s.story_id for s in page.stories]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["s5", "s4", "s3", "s2", "s1"]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.permutations(list(REWRITES)))
async def test_grouping_does_not_depend_on_arrival_order(
    make_wiredesk: Factory, order: list[str]
) -> None:
    wd = make_wiredesk()
    for i, outlet in enumerate(order):
        await wd.submit(article(outlet, REWRITES[outlet], published_at=T0 + i))
    await wd.submit(article("Reuters", OTHER))
    stories = {wd.get_article(a)[1] for a in wd.world.articles}
    assert len(stories) == 2
    # Clusters partition the paragraphs: each occurrence belongs to exactly one cluster.
    occurrences = sum(len(a.paragraphs) for a in wd.world.articles.values())
    assert sum(sum(c.values()) for c in wd.world.cluster_articles.values()) == occurrences


async def test_an_outlets_house_line_does_not_chain_its_stories(make_wiredesk: Factory) -> None:
    house = (
        "Follow the Millbrook Courier on every platform for breaking news, weather and sports "
        "from across the valley."
    )
    wd = make_wiredesk()
    fire = await wd.submit(article("Courier", [*WIRE, house], n=1))
    budget = await wd.submit(article("Courier", [*OTHER, house], n=2))
    assert budget.story_id != fire.story_id
    # The same line is still one near-duplicate cluster (attribution stays exact) ...
    assert budget.near_duplicate_paragraphs == 1
    # ... while a wire paragraph shared with another outlet still links.
    copy = await wd.submit(article("Yahoo", [WIRE[0], WIRE[1]], n=3))
    assert (copy.story_id, copy.reason) == (fire.story_id, "shared")


def cache_count(wd: Wiredesk, result: str) -> float | None:
    return wd.metrics.registry.get_sample_value("wiredesk_brief_cache_total", {"result": result})


async def test_briefs_come_from_the_process_lru_then_the_shared_cache(
    make_wiredesk: Factory,
) -> None:
    wd = make_wiredesk(settings=Settings(embedder="hash", brief_memory_entries=2))
    ids = await four_outlets(wd)
    story = ids[0]
    cold = await wd.get_brief(story)
    assert not cold.cached
    assert (await wd.get_brief(story)).cached
    assert cache_count(wd, "memory_hit") == 1
    # Other lengths fill the LRU (two entries); the oldest falls out and comes from the cache.
    await wd.get_brief(story, max_words=50)
    await wd.get_brief(story, max_words=60)
    again = await wd.get_brief(story)
    assert again.cached
    assert again.text == cold.text
    assert cache_count(wd, "hit") == 1
    # A change to the story bumps its version: neither cache can answer for it.
    await wd.submit(article("Reuters", [*WIRE[:2]], n=9))
    fresh = await wd.get_brief(story)
    assert not fresh.cached
    assert fresh.version == cold.version + 1


async def test_cache_down_still_summarises_and_keeps_nothing_in_memory(
    make_wiredesk: Factory,
) -> None:
    wd = make_wiredesk()
    ids = await four_outlets(wd)
    wd.cache.down = True  # type: ignore[attr-defined]
    assert not (await wd.get_brief(ids[0])).cached
    assert not (await wd.get_brief(ids[0])).cached
