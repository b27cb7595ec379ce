"""The search index and what's new, on the use cases over the in-memory fakes."""

from __future__ import annotations

import pytest

from service.domain.errors import InvalidInputError
from service.lineage import finalise
from service.pipeline.title import TitleConfig
from service.usecases import Wiredesk
from service.usecases.search import parse_query, parse_time, words
from tests.unit.conftest import Factory
from tests.unit.test_lineage import bridge_merge, three_stories
from tests.unit.test_usecases import T0, article


def found(wd: Wiredesk, q: str, outlet: str | None = None) -> list[str]:
    page = wd.search.stories(parse_query(q, outlet), 100)
    return [s.story_id for s in page.stories]


async def test_index_is_built_once_then_kept_by_the_change_listener(
    make_wiredesk: Factory,
) -> None:
    wd = make_wiredesk()
    fire, budget, comet = await three_stories(wd)
    assert found(wd, "oort") == [comet]
    assert wd.search.builds == 1
    later = await wd.submit(article("AP", ["The Oort cloud comet brightened overnight, "
                                           "observers in Chile said on Friday."], n=9,
                                     published_at=T0 + 9))  # fmt: skip
    assert set(found(wd, "oort")) == {comet, later.story_id}
    assert found(wd, "oort", outlet="ap") == [later.story_id]
    assert wd.search.builds == 1  # no rebuild: the listener added the new article's words
    # An update drops the words the article lost.
    await wd.submit(article("NBC", ["A quiet night at the observatory."], n=3,
                            published_at=T0 + 3))  # fmt: skip
    assert comet not in found(wd, "oort")
    assert found(wd, "observatory quiet") != []
    assert set(found(wd, "")) == {fire, budget, comet, later.story_id}  # no words: every story


async def test_versions_on_events_say_which_articles_are_news(make_wiredesk: Factory) -> None:
    wd = make_wiredesk()
    fire, budget, _ = await three_stories(wd)
    v2 = wd.world.stories[fire].version  # after MSN (v1) and Yahoo joined
    history = wd.get_history(fire, 50).events
    assert all(e.version is not None for e in history)
    assert history[0].version == v2
    # A bridge absorbs the budget story: its articles arrive at the merged version.
    world = wd.world
    changes = bridge_merge(world, fire, budget)
    bridge = changes.articles[0]
    merged = changes.stories[0].version
    done = finalise(world, changes, "shared", T0 + 10, TitleConfig())
    await wd.store.commit(done)
    world.apply(done)
    wd.desk.applied(done, "shared")
    assert {e.version for e in done.events if e.story_id == fire} == {merged}
    assert wd.whatsnew.new_articles(fire, v2) == {"a3", bridge.article_id}
    assert wd.whatsnew.new_articles(fire, merged) == set()
    assert wd.whatsnew.new_articles(fire, 0) == set(world.members[fire])
    news = await wd.whatsnew.brief_since(fire, v2)
    assert news.since_version == v2
    assert news.sentences
    assert {o for s in news.sentences for o in s.outlets} == {"Reuters"}  # the bridge echoes
    for bad in (-1, merged + 1):
        with pytest.raises(InvalidInputError, match="since_version"):
            await wd.whatsnew.brief_since(fire, bad)
    assert found(wd, "oort") != []


def test_words_and_times() -> None:
    assert words("Ärzte ÉTÉ l'été") == ["arzte", "ete", "l", "ete"]
    assert parse_time("2026-11-20T08:00:00Z", "since") == parse_time("1795161600", "since")
    assert parse_time("2026-11-20T08:00:00", "since") == 1795161600.0  # no zone: UTC
    assert parse_time(" ", "since") is None
    for bad in ("tomorrow", "inf", "-5", "1e12"):
        with pytest.raises(InvalidInputError, match="since"):
            parse_time(bad, "since")
