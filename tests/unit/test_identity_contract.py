"""The story-id contract at the use-case level, over random streams (hypothesis; memory fakes).

A stream is a random sequence of operations on :class:`service.usecases.Wiredesk`:

* ``new``: an article about a topic no other article covers (one of the project's own
  unrelated news texts, ``service/evaluation/data/unrelated_news.jsonl``);
* ``join``: another outlet's article that reprints a paragraph of an earlier article verbatim
  (a shared near-duplicate cluster: it joins that article's story);
* ``bridge``: an article that reprints one paragraph of each of two earlier articles (an
  online merge when they sit in different stories);
* ``update``: an earlier article re-posted at its URL with a paragraph more;
* ``regroup``: the background regrouping pass.

After every operation, every story id ever returned at ingest must, under the contract:

1. resolve through redirects to a live story;
2. have a redirect chain that ends at a live story without a cycle;
3. resolve to a story that holds at least one of the articles the id was returned for;

and a story's version moves only when its members or a member's content changed (no churn).

Property 3 failed on the regrouping pass that re-clustered from scratch and handed a story's
id to a group holding none of the articles it was returned for (issue 11, fault 1); the shrunk
counter-example stays pinned as an ``@example``. It holds since ids follow founding articles
(:mod:`service.regrouping`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from indexes.factory import create_index
from service.adapters.batching import BatchingEmbedder
from service.adapters.embedder import HashingEmbedder
from service.adapters.memory import MemoryCache, MemoryStore
from service.domain.models import ArticleInput
from service.evaluation.unrelated import load_unrelated
from service.pipeline.constraints import EntityConfig
from service.pipeline.group import GroupConfig
from service.pipeline.regroup import RegroupConfig
from service.settings import Settings
from service.usecases import Wiredesk
from tests.unit.conftest import Clock

TOPICS = [a.paragraphs for a in load_unrelated()[0]]

Op = tuple[str, int, int]
OPS = st.one_of(
    st.tuples(st.just("new"), st.integers(0, len(TOPICS) - 1), st.just(0)),
    st.tuples(st.just("join"), st.integers(0, 50), st.integers(0, 2)),
    st.tuples(st.just("bridge"), st.integers(0, 50), st.integers(0, 50)),
    st.tuples(st.just("update"), st.integers(0, 50), st.integers(0, len(TOPICS) - 1)),
    st.tuples(st.just("regroup"), st.just(0), st.just(0)),
)


@dataclass
class Replay:
    """A Wiredesk on fakes, the articles posted so far and the ids returned for them."""

    wd: Wiredesk
    posted: list[ArticleInput] = field(default_factory=list)
    issued: dict[str, set[str]] = field(default_factory=dict)  # story id -> article ids
    seen: dict[str, tuple[frozenset[tuple[str, str]], int]] = field(default_factory=dict)

    async def submit(self, item: ArticleInput, replace: int | None = None) -> None:
        out = await self.wd.submit(item)
        self.issued.setdefault(out.story_id, set()).add(out.article_id)
        if replace is None:
            self.posted.append(item)
        else:
            self.posted[replace] = item

    async def apply(self, op: Op) -> None:
        kind, x, y = op
        n = len(self.posted)
        if kind == "new" or (n == 0 and kind != "regroup"):
            paragraphs = TOPICS[x % len(TOPICS)]
            await self.submit(self.article(f"Outlet{n}", list(paragraphs), f"topic {x}"))
        elif kind == "join":
            source = self.posted[x % n]
            copied = source.text.split("\n")[y % len(source.text.split("\n"))]
            own = f"Outlet{n} adds that its reporters are following developments closely."
            await self.submit(self.article(f"Outlet{n}", [copied, own], f"join {x}"))
        elif kind == "bridge":
            first = self.posted[x % n].text.split("\n")[0]
            second = self.posted[y % n].text.split("\n")[-1]
            await self.submit(self.article(f"Outlet{n}", [first, second], f"bridge {x} {y}"))
        elif kind == "update":
            i = x % n
            old = self.posted[i]
            extra = TOPICS[y % len(TOPICS)][1]
            changed = ArticleInput(old.url, old.outlet, old.title, f"{old.text}\n{extra}")
            await self.submit(changed, replace=i)
        else:
            await self.wd.regroup()

    def article(self, outlet: str, paragraphs: list[str], title: str) -> ArticleInput:
        n = len(self.posted)
        return ArticleInput(
            url=f"https://{outlet.lower()}.example/{n}",
            outlet=outlet,
            title=title,
            text="\n".join(paragraphs),
            published_at=1_700_000_000.0 + 3600.0 * n,
        )

    # ------------------------------------------------------------------------ the contract
    def live(self, story_id: str) -> bool:
        world = self.wd.world
        return story_id in world.stories and bool(world.members.get(story_id))

    def chain(self, story_id: str) -> Iterator[str]:
        """The ids a redirect chain visits (raises AssertionError on a cycle)."""
        seen = [story_id]
        redirects = self.wd.world.redirects
        while story_id in redirects:
            story_id = redirects[story_id]
            assert story_id not in seen, f"redirect cycle {[*seen, story_id]}"
            seen.append(story_id)
        yield from seen

    def check_resolves(self) -> None:
        for story_id in self.issued:
            end = list(self.chain(story_id))[-1]
            assert self.live(end), f"{story_id} resolves to {end}, which is not a live story"

    def check_chains(self) -> None:
        for story_id in list(self.wd.world.redirects):
            end = list(self.chain(story_id))[-1]
            assert self.live(end), f"redirect chain of {story_id} ends at dead {end}"

    def check_versions(self) -> None:
        world = self.wd.world
        now = {
            sid: (
                frozenset((a, world.articles[a].content_hash) for a in world.members[sid]),
                story.version,
            )
            for sid, story in world.stories.items()
            if world.members.get(sid)
        }
        for sid, (members, version) in now.items():
            if sid in self.seen and self.seen[sid][1] != version:
                assert self.seen[sid][0] != members, f"{sid} bumped to v{version} unchanged"
        self.seen = now

    def check_meaning(self) -> None:
        world = self.wd.world
        for story_id, articles in self.issued.items():
            end = list(self.chain(story_id))[-1]
            held = world.members.get(end, set())
            assert articles & held, (
                f"{story_id} was returned for {sorted(articles)} but resolves to {end}, "
                f"holding {sorted(held)}"
            )


def replay(ops: list[Op], *checks: str, config: Settings | None = None) -> None:
    async def go() -> None:
        embedder = HashingEmbedder()
        wd = Wiredesk(
            config or Settings(embedder="hash"),
            MemoryStore(),
            MemoryCache(),
            create_index("numpy", embedder.dim),
            BatchingEmbedder(embedder),
            clock=Clock(),
        )
        run = Replay(wd)
        try:
            for op in [*ops, ("regroup", 0, 0)]:
                await run.apply(op)
                for check in checks:
                    getattr(run, check)()
        finally:
            await wd.embedder.close()

    asyncio.run(go())


STREAMS = st.lists(OPS, min_size=1, max_size=20)
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(STREAMS)
def test_every_issued_id_resolves_to_a_live_story(ops: list[Op]) -> None:
    replay(ops, "check_resolves")


@SETTINGS
@given(STREAMS)
def test_redirect_chains_end_at_live_stories_without_cycles(ops: list[Op]) -> None:
    replay(ops, "check_chains")


@SETTINGS
@given(STREAMS)
def test_versions_move_only_when_members_or_content_change(ops: list[Op]) -> None:
    replay(ops, "check_versions")


# Eight copies of one wire story and two of another; a bridge merges the two online; the
# pass splits them again and the first story's id goes with the second story's articles.
FAULT_1 = [("new", 0, 0), ("new", 1, 0), *[("new", 0, 0)] * 6, ("new", 1, 0), ("bridge", 0, 1)]


@SETTINGS
@given(STREAMS)
@example(FAULT_1)
def test_no_id_resolves_to_a_story_without_its_articles(ops: list[Op]) -> None:
    replay(ops, "check_meaning")


# Passes from the third article on, after an online grouping that joins every article to the
# story before it: the pass splits, founding stories whose founder (the group's earliest
# article) was returned another id; later arrivals are returned the new id. Before the founder
# of such a story was re-anchored to the first article its id is returned for, the next split
# could send that founder back to an older story and the new id with it, away from every
# article it was returned for (the one id lost per set in `wiredesk eval stream`).
EAGER_SMALL_PASSES = Settings(
    embedder="hash",
    group=GroupConfig(
        join_similarity=-1.0,
        resume_similarity=-1.0,
        merge_similarity=1.0,
        entities=EntityConfig(min_entities=10**6),
    ),
    regroup=RegroupConfig(min_articles=3),
)


# Shrunk by hypothesis on the code before the re-anchoring: two copies of one article and one
# of another join one story online; the pass splits the second topic off (a new story founded
# by its earlier article); the next arrival joins that new story online and is returned its
# id; the last pass sends it off alone, and the id, following the split's founder, held none
# of the articles it was returned for.
SPLIT_FOUNDED = [("new", 1, 0), ("new", 1, 0), ("new", 2, 0), ("regroup", 0, 0), ("new", 0, 0)]


@SETTINGS
@given(STREAMS)
@example(SPLIT_FOUNDED)
def test_no_id_loses_its_meaning_through_split_founded_stories(ops: list[Op]) -> None:
    replay(ops, "check_meaning", "check_resolves", config=EAGER_SMALL_PASSES)
