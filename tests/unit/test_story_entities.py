"""story_entities keeps each article's entities once, and never serves a replaced article's."""

from __future__ import annotations

from service.ingest import story_entities
from service.pipeline.constraints import article_entities
from service.usecases import Wiredesk
from tests.texts import OTHER, WIRE
from tests.unit.conftest import Factory
from tests.unit.test_usecases import T0, article


def brute(wd: Wiredesk, story_id: str) -> frozenset[str]:
    out: set[str] = set()
    for a in wd.world.story_articles(story_id):
        out |= article_entities(a.title, (p.text for p in a.paragraphs))
    return frozenset(out)


async def test_cached_entities_equal_a_fresh_extraction_and_follow_updates(
    make_wiredesk: Factory,
) -> None:
    wd = make_wiredesk()
    first = await wd.submit(article("MSN", WIRE, title="Millbrook plant fire"))
    await wd.submit(article("Yahoo", WIRE, n=2, title="Kessler Polymers fire", published_at=T0 + 1))
    story = first.story_id
    entities = story_entities(wd.world, story)
    assert entities == brute(wd, story)
    assert entities  # the texts name places, people and a company
    assert len(wd.world.entity_cache) == 2
    assert story_entities(wd.world, story) == entities  # from the cache: the same
    # The MSN article is replaced by a version naming other things: its entities change.
    before = wd.world.entity_cache[first.article_id]
    await wd.submit(article("MSN", [*WIRE, OTHER[0]], title="Millbrook fire and budget"))
    assert wd.world.articles[first.article_id] is not before[0]
    current = wd.world.current_story_id(story)
    assert story_entities(wd.world, current) == brute(wd, current)
    assert wd.world.entity_cache[first.article_id][0] is wd.world.articles[first.article_id]
