"""Planning a regrouping pass against the world, under the story id contract (no I/O).

**The id contract.** A story id is a promise to the client that stored it: it names the story
of the article it was returned for.

1. A story id follows its **founding article** (the article whose arrival created it),
   recorded in ``World.founders`` and durable in the store (``P:founders``). A story founded
   by a regrouping split has not been returned to anyone yet: its founder is a placeholder
   (the group's earliest article, which was returned another id) until the service first
   returns the new id for an article (an online join, a merge it survives, an update), and
   that article becomes the founder (:meth:`World.founder_unissued
   <service.domain.world.World.founder_unissued>`, :func:`service.ingest.plan`). Without
   that, a later split could send the placeholder back to an older story and the id with
   it, away from every article it was returned for (the one id lost per set in
   ``wiredesk eval stream`` before the fix; ``tests/unit/test_identity_contract.py``).
2. A **merge** (online, or a regrouping pass putting two founders in one group) keeps the
   oldest id and **redirects** the others to it.
3. A **split** keeps the id on the part that holds its founder; the other parts keep the id
   of another founder they hold, or get new ids.
4. A redirect of an absorbed id follows its founding article too: when a pass moves that
   article, the redirect is **re-pointed** to the article's new story (redirects are recomputed
   from founders, never left to history).

So every id ever returned resolves, through at most one hop after a pass, to the live story
that holds its founding article, an article that was returned that id: never to a story none
of whose articles were ever given it. Keyed stories (a client ``story_key``) are never touched
by a pass: the key is authoritative.

:func:`plan_regroup` picks the pass's articles (whole unkeyed stories, most recently updated
first, up to ``max_articles``), marks the stories not touched since the last pass as fixed
(:mod:`service.pipeline.regroup`: they neither split nor merge with each other) and the
articles alone in a touched story as lone (a lone article joins a fixed story only on positive
evidence, so one unrelated arrival changes no other story), gathers the must-link evidence
(content paragraph clusters, learned boilerplate left out:
:mod:`service.pipeline.recurrence`), the cannot-link evidence (named entities:
:mod:`service.pipeline.constraints`) and the document vectors, runs
:func:`service.pipeline.regroup.regroup`, and turns its plan into one
:class:`~service.domain.models.ChangeSet`: moved articles, new stories with their founders,
version bumps of every story whose membership changed, and redirects (dissolved stories and
repaired old redirects). "Touched" is durable: the pass records the last article it saw in the
``regrouped_article`` counter, and a story holding a later article is touched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from service.domain.models import Article, ChangeSet, Story
from service.domain.world import World
from service.ingest import bump_story, found_story
from service.pipeline.constraints import article_entities
from service.pipeline.lexical import content_terms
from service.pipeline.regroup import RegroupArticle, RegroupConfig, regroup
from service.pipeline.split import count_words

# The counter that remembers the last article a pass saw (stories holding later ones are
# touched); kept with the id counters, which the store keeps and merges by maximum.
REGROUPED = "regrouped_article"


@dataclass(frozen=True, slots=True)
class RegroupResult:
    """A planned pass.

    Attributes:
        changes: what to commit (empty when nothing changes).
        articles: articles the pass looked at.
        moved: articles that change story.
        created: stories founded by splits.
        dissolved: stories redirected into another.
        repointed: old redirects re-pointed to their founder's new story.
    """

    changes: ChangeSet
    articles: int
    moved: int
    created: int
    dissolved: int
    repointed: int = 0


def article_terms(
    article: Article, title_weight: int, skip: Collection[int] = ()
) -> dict[str, int]:
    """The article's content-word counts.

    Each paragraph word counts once, each title word ``title_weight`` times (see
    :attr:`~service.pipeline.regroup.RegroupConfig.title_weight`); paragraphs at the
    positions in ``skip`` (learned boilerplate) are left out.
    """
    counts = content_terms("\n".join(p.text for p in article.paragraphs if p.position not in skip))
    if title_weight > 0:  # a zero count would be a term with tf 0 (sublinear tf: log 0)
        for term, n in content_terms(article.title or "").items():
            counts[term] = counts.get(term, 0) + title_weight * n
    return counts


class TermsMemo:
    """:func:`article_terms`, memoised by article id, content hash and skipped paragraphs.

    Successive passes see mostly the same articles; counting their terms again costs about
    0.2 ms an article. Only the entries the latest pass used are kept, so the memo holds at
    most ``max_articles`` articles' counts.
    """

    def __init__(self, title_weight: int) -> None:
        self._title_weight = title_weight
        self._kept: dict[str, tuple[str, frozenset[int], dict[str, int]]] = {}
        self._used: dict[str, tuple[str, frozenset[int], dict[str, int]]] = {}

    def __call__(self, article: Article, skip: Collection[int] = ()) -> dict[str, int]:
        """The article's counts (computed once per content and skipped set)."""
        skipped = frozenset(skip)
        entry = self._used.get(article.article_id) or self._kept.get(article.article_id)
        if entry is None or entry[0] != article.content_hash or entry[1] != skipped:
            entry = (
                article.content_hash,
                skipped,
                article_terms(article, self._title_weight, skipped),
            )
        self._used[article.article_id] = entry
        return entry[2]

    def end_pass(self) -> None:
        """Keep what this pass used, drop the rest."""
        self._kept, self._used = self._used, {}


def pass_stories(world: World, config: RegroupConfig) -> list[Story]:
    """Unkeyed live stories, most recently updated first, whole, up to ``max_articles``."""
    stories = sorted(
        (s for s in world.live_stories() if s.story_key is None),
        key=lambda s: (-s.updated_at, -s.seq),
    )
    chosen: list[Story] = []
    total = 0
    for story in stories:
        size = len(world.members.get(story.story_id, ()))
        if total + size > config.max_articles:
            break
        chosen.append(story)
        total += size
    return chosen


def touched_stories(world: World, extra: Collection[str] = ()) -> set[str]:
    """Live stories holding an article newer than the last pass, plus ``extra`` (current ids)."""
    mark = world.counters.get(REGROUPED, 0)
    out = {world.current_story_id(a.story_id) for a in world.articles.values() if a.seq > mark}
    out.update(world.current_story_id(s) for s in extra)
    return out


def resolve_all(world: World, story_of: Mapping[str, str]) -> dict[str, str]:
    """Where every founded id resolves under the contract after articles move.

    Args:
        world: the state before the pass.
        story_of: article id -> its story after the pass (articles not named stay put).

    Returns:
        Story id -> the story now holding its founding article, for every id in
        ``world.founders`` whose founder still exists.
    """
    out = {}
    for story_id, founder in world.founders.items():
        article = world.articles.get(founder)
        if article is not None:
            out[story_id] = story_of.get(founder) or world.current_story_id(article.story_id)
    return out


def _pass_items(
    world: World,
    stories: list[Story],
    moving: Collection[str],
    terms: Callable[[Article, Collection[int]], Mapping[str, int]],
    boilerplate: Collection[str],
    min_shared_words: int,
) -> list[RegroupArticle]:
    """The pass's articles with their terms, content clusters, entities and fixedness."""
    items = []
    for story in stories:
        members = world.story_articles(story.story_id)
        # An article alone in a story touched since the last pass: the online grouping found
        # no story for it, and the pass needs positive evidence to move it (RegroupArticle.lone).
        lone = story.story_id in moving and len(members) == 1
        for article in members:
            clusters = [world.texts[p.text_id].cluster_id for p in article.paragraphs]
            skip = {
                p.position
                for p, c in zip(article.paragraphs, clusters, strict=True)
                if c in boilerplate
            }
            content = frozenset(
                c
                for p, c in zip(article.paragraphs, clusters, strict=True)
                if c not in boilerplate and count_words(p.text) >= min_shared_words
            )
            items.append(
                RegroupArticle(
                    article.article_id,
                    story.story_id,
                    story.seq,
                    terms(article, skip),
                    outlet=article.outlet,
                    clusters=content,
                    entities=article_entities(
                        article.title,
                        (p.text for p in article.paragraphs if p.position not in skip),
                    ),
                    fixed=story.story_id not in moving,
                    time=article.time,
                    lone=lone,
                    vector=world.doc_vector(article),
                    language=article.language,
                )
            )
    return items


def _repoint(world: World, story_of: Mapping[str, str], redirects: dict[str, str]) -> int:
    """Add every old redirect that must follow its founder to ``redirects``.

    Returns:
        How many now resolve elsewhere (redirects only shortened to one hop are not counted).
    """
    repointed = 0
    for story_id, home in resolve_all(world, story_of).items():
        if story_id not in world.redirects or story_id in redirects:
            continue
        resolved = world.current_story_id(story_id)
        if resolved != home or world.redirects[story_id] != home:
            redirects[story_id] = home
            repointed += resolved != home
    return repointed


def plan_regroup(
    world: World,
    config: RegroupConfig,
    now: float,
    terms: Callable[[Article, Collection[int]], Mapping[str, int]] | None = None,
    touched: Collection[str] | None = None,
    boilerplate: Collection[str] = frozenset(),
    min_shared_words: int = 12,
) -> RegroupResult:
    """Plan one pass over the most recent unkeyed stories.

    Args:
        world: the current state (not modified, besides compressing redirect paths).
        config: the pass's settings.
        now: the time stamped on changed stories.
        terms: an article's content-word counts without the given paragraph positions (the
            use case passes a :class:`TermsMemo`); None: :func:`article_terms`.
        touched: story ids changed since the last pass besides those holding articles newer
            than ``world.counters["regrouped_article"]`` (an update keeps its article's seq);
            None: every story is touched (a pass from scratch, as the evaluation runs).
        boilerplate: near-duplicate cluster ids that are learned boilerplate
            (:class:`service.pipeline.recurrence.RecurrenceIndex`): they neither count as
            terms nor must-link.
        min_shared_words: a paragraph must have this many words to must-link (as in the
            online grouping, ``GroupConfig.min_shared_words``).

    Returns:
        The change set and its counts. A surviving story's new version exceeds its old one
        and those of the stories dissolved into it, so no cached brief of any of them is
        served for it. A pass that runs (at least ``min_articles`` articles) advances
        ``regrouped_article``.
    """
    if terms is None:
        title_weight = config.title_weight

        def terms(article: Article, skip: Collection[int]) -> Mapping[str, int]:
            return article_terms(article, title_weight, skip)

    moving = (
        touched_stories(world, touched)
        if touched is not None
        else {s.story_id for s in world.live_stories()}
    )
    stories = pass_stories(world, config)
    items = _pass_items(world, stories, moving, terms, boilerplate, min_shared_words)
    if len(items) < config.min_articles:  # no pass: nothing changes, stories stay touched
        return RegroupResult(ChangeSet(), len(items), 0, 0, 0)
    founders = {
        s.story_id: world.founders[s.story_id] for s in stories if s.story_id in world.founders
    }
    result = regroup(items, config, founders)
    counters = dict(world.counters)
    counters[REGROUPED] = counters.get("article", 0)
    current = {a.article_id: a.story_id for a in items}
    created: dict[str, Story] = {}
    new_founders: dict[str, str] = {}
    targets: list[str] = []
    for group in result.groups:
        if group.story_id is None:
            story = found_story(counters, now)
            created[story.story_id] = story
            targets.append(story.story_id)
            earliest = min(
                (world.articles[a] for a in group.article_ids), key=lambda a: (a.time, a.seq)
            )
            new_founders[story.story_id] = earliest.article_id
        else:
            targets.append(group.story_id)
    story_of = {
        article_id: target
        for group, target in zip(result.groups, targets, strict=True)
        for article_id in group.article_ids
    }
    moved = [
        dataclasses.replace(world.articles[article_id], story_id=target)
        for article_id, target in story_of.items()
        if current[article_id] != target
    ]
    # An article keeps the id it was given; one given an absorbed id resolves through its
    # redirect, so before a redirect is re-pointed every such article gets its story's id.
    relabelled = [
        dataclasses.replace(world.articles[article_id], story_id=target)
        for article_id, target in story_of.items()
        if current[article_id] == target and world.articles[article_id].story_id != target
    ]
    redirects = {old: targets[g] for old, g in result.dissolved.items()}
    repointed = _repoint(world, story_of, redirects)
    if not moved and not redirects:
        return RegroupResult(ChangeSet(counters=counters), len(items), 0, 0, 0)
    changes = ChangeSet(
        articles=tuple(sorted(moved + relabelled, key=lambda a: a.seq)),
        stories=_bumped(world, moved, current, created, redirects, now),
        redirects=redirects,
        counters=counters,
        founders=new_founders,
    )
    return RegroupResult(
        changes, len(items), len(moved), len(created), len(result.dissolved), repointed
    )


def _bumped(
    world: World,
    moved: list[Article],
    current: Mapping[str, str],
    created: Mapping[str, Story],
    redirects: Mapping[str, str],
    now: float,
) -> tuple[Story, ...]:
    """Records of every story whose membership changed (new ones included), versions bumped."""
    merged_into: dict[str, list[str]] = {}
    for gone, survivor in redirects.items():
        if gone in world.stories:  # a live story dissolved (not an old redirect re-pointed)
            merged_into.setdefault(survivor, []).append(gone)
    changed = {current[a.article_id] for a in moved} | {a.story_id for a in moved}
    bumped = []
    for story_id in sorted(changed - set(redirects)):
        merged = merged_into.get(story_id, [])
        if story_id in created:  # founded at version 1; still above what it absorbs
            absorbed = sum(world.stories[m].version for m in merged)
            new = created[story_id]
            bumped.append(dataclasses.replace(new, version=new.version + absorbed))
        else:
            bumped.append(bump_story(world, story_id, merged, now))
    return tuple(bumped)
