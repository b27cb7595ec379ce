"""The story id contract, as properties over random streams (issue 11).

Random sequences of joins, founds, online merges (bridging articles), updates and regrouping
passes; after every step:

* every id ever issued (returned at ingest, or as an article's current story) resolves to a
  live story;
* redirect chains are acyclic and end at live stories;
* no id resolves to a story that holds none of the articles it was issued for;
* a live story holds its founding article, and an absorbed id resolves to the story holding
  its founder;
* an article's stored story id resolves to the story that counts it among its members;
* a restart (the world rebuilt from the store) resolves every id the same way.
"""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from indexes.factory import create_index
from service.adapters.batching import BatchingEmbedder
from service.adapters.embedder import HashingEmbedder
from service.adapters.memory import MemoryCache, MemoryStore
from service.domain.models import ArticleInput
from service.domain.world import World
from service.pipeline.group import GroupConfig
from service.pipeline.regroup import RegroupConfig
from service.settings import Settings
from service.usecases import Wiredesk
from tests.texts import OTHER, TOPICS, WIRE

PARAGRAPHS = [t for texts in TOPICS.values() for t in texts] + WIRE + OTHER

join = st.tuples(st.just("post"), st.integers(0, len(PARAGRAPHS) - 1), st.integers(0, 3))
bridge = st.tuples(
    st.just("bridge"), st.integers(0, len(PARAGRAPHS) - 1), st.integers(0, len(PARAGRAPHS) - 1)
)
update = st.tuples(st.just("update"), st.integers(0, 50), st.integers(0, len(PARAGRAPHS) - 1))
regroup = st.tuples(st.just("regroup"), st.just(0), st.just(0))
steps = st.lists(st.one_of(join, join, bridge, update, regroup), min_size=4, max_size=22)


def check(world: World, issued: dict[str, set[str]]) -> None:
    live = {s for s in world.stories if world.members.get(s)}
    for start in world.redirects:
        seen = {start}
        story = start
        while story in world.redirects:
            story = world.redirects[story]
            assert story not in seen, f"redirect cycle through {story}"
            seen.add(story)
        assert story in live, f"{start} redirects to {story}, not a live story"
    for story_id, articles in issued.items():
        current = world.current_story_id(story_id)
        assert current in live, f"{story_id} resolves to {current}, not a live story"
        assert world.members[current] & articles, (story_id, current, articles)
    for story_id, members in world.members.items():  # an article's id resolves to its story
        for article_id in members:
            assert world.current_story_id(world.articles[article_id].story_id) == story_id
    for story_id, founder in world.founders.items():
        if founder in world.articles:
            holder = world.current_story_id(world.articles[founder].story_id)
            if story_id in live:
                assert holder == story_id, f"{story_id} does not hold its founder {founder}"
            else:
                assert world.current_story_id(story_id) == holder, story_id


async def run(script: list[tuple[str, int, int]], alike: float, min_articles: int) -> None:
    embedder = HashingEmbedder()
    store = MemoryStore()
    config = Settings(
        embedder="hash",
        group=GroupConfig(alike_similarity=alike),
        regroup=RegroupConfig(min_articles=min_articles),
    )
    wd = Wiredesk(
        config,
        store,
        MemoryCache(),
        create_index("numpy", embedder.dim),
        BatchingEmbedder(embedder),
    )
    urls: list[str] = []
    issued: dict[str, set[str]] = {}
    try:
        for n, (kind, a, b) in enumerate(script):
            if kind == "regroup":
                await wd.regroup()
            else:
                if kind == "post":
                    url, text = f"https://o{b}.example/{n}", PARAGRAPHS[a]
                    outlet = f"O{b}"
                elif kind == "bridge":
                    url, text = f"https://digest.example/{n}", f"{PARAGRAPHS[a]}\n{PARAGRAPHS[b]}"
                    outlet = "Digest"
                else:
                    if not urls:
                        continue
                    url, text = urls[a % len(urls)], PARAGRAPHS[b]
                    outlet = url.split("/")[2]
                outcome = await wd.submit(ArticleInput(url, outlet, None, text))
                if url not in urls:
                    urls.append(url)
                issued.setdefault(outcome.story_id, set()).add(outcome.article_id)
            for article_id in wd.world.articles:  # what GET /articles/{id} returns now
                issued.setdefault(wd.get_article(article_id)[1], set()).add(article_id)
            check(wd.world, issued)
        reloaded = World.from_snapshot(await store.load(), embedder.dim)
        for story_id in issued:
            assert reloaded.current_story_id(story_id) == wd.world.current_story_id(story_id)
        check(reloaded, issued)
    finally:
        await wd.embedder.close()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps, st.sampled_from([-1.0, 0.55]), st.sampled_from([3, 10]))
# Found by this property when redirects were not re-pointed: a pass splits three copies into
# s1, s2, s3; a fourth copy merges them online (s2, s3 -> s1); the next pass splits them again,
# and s2 must follow its founder a2 out of s1.
@example(
    [("post", 0, 0), ("post", 0, 0), ("post", 0, 0), ("regroup", 0, 0), ("post", 0, 0),
     ("regroup", 0, 0)],
    -1.0,
    3,
)  # fmt: skip
def test_every_issued_id_keeps_its_meaning(
    script: list[tuple[str, int, int]], alike: float, min_articles: int
) -> None:
    asyncio.run(run(script, alike, min_articles))
