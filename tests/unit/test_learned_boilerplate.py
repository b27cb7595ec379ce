"""Learned boilerplate through the use cases: links nothing, survives a restart (rebuilt)."""

from __future__ import annotations

from service.adapters.memory import MemoryStore
from service.domain.models import ArticleInput
from tests.unit.conftest import Factory

# An outlet's own tagline: no known shape (service.pipeline.boilerplate) catches it, so only
# its recurrence at the end of unrelated articles can.
FOOTER = (
    "The Valley Courier has served the towns of the upper valley since 1898 and remains owned "
    "by its readers."
)
TEXTS = {
    "zoo": "The Riverton zoo welcomed a baby giraffe on Saturday, keepers at the zoo said.\n"
    "The giraffe calf stood within an hour and the zoo will show her to visitors in spring.",
    "bridge": "The Old Mill bridge will close for six months while crews replace its deck.\n"
    "Drivers face a detour while the bridge deck is replaced, county engineers said.",
    "comet": "Astronomers in Chile spotted a faint comet that may be visible next March.\n"
    "The comet probably comes from the Oort cloud, the astronomers said on Friday.",
}


def item(name: str, outlet: str) -> ArticleInput:
    return ArticleInput(
        f"https://{outlet.lower()}.example/{name}", outlet, name.title(), f"{TEXTS[name]}\n{FOOTER}"
    )


async def test_a_footer_links_nothing_and_is_remembered_after_a_restart(
    make_wiredesk: Factory,
) -> None:
    store = MemoryStore()
    wd = make_wiredesk(store=store)
    await wd.start()
    zoo = await wd.submit(item("zoo", "One"))
    bridge = await wd.submit(item("bridge", "Two"))
    assert bridge.story_id != zoo.story_id
    assert bridge.reason != "shared"
    learned = set(wd.recurrence.boilerplate())
    assert len(learned) == 1
    assert all(s.text != FOOTER for s in wd.brief_sources(zoo.story_id))

    again = make_wiredesk(store=store.clone())  # a restart: rebuilt from the stored articles
    await again.start()
    assert set(again.recurrence.boilerplate()) == learned
    comet = await again.submit(item("comet", "Three"))
    assert comet.story_id not in {zoo.story_id, bridge.story_id}
    assert again.list_clusters(None, 2, 10) == []
