"""Planning a regrouping pass against the world (no I/O; the use case commits the result).

:func:`plan_regroup` picks the pass's articles (whole unkeyed stories, most recently updated
first, up to ``max_articles``), runs :func:`service.pipeline.regroup.regroup` on them and turns
its plan into one :class:`~service.domain.models.ChangeSet`: moved articles, new stories,
version bumps of every story whose membership changed, and redirects for stories left empty.
Keyed stories (a client ``story_key``) are never touched: the key is authoritative.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from service.domain.models import Article, ChangeSet, Story
from service.domain.world import World
from service.ingest import bump_story, found_story
from service.pipeline.lexical import content_terms
from service.pipeline.regroup import RegroupArticle, RegroupConfig, regroup


@dataclass(frozen=True, slots=True)
class RegroupResult:
    """A planned pass.

    Attributes:
        changes: what to commit (empty when nothing moves).
        articles: articles the pass looked at.
        moved: articles that change story.
        created: stories founded by splits.
        dissolved: stories redirected into another.
    """

    changes: ChangeSet
    articles: int
    moved: int
    created: int
    dissolved: int


def article_terms(article: Article, title_weight: int) -> dict[str, int]:
    """The article's content-word counts.

    Each paragraph word counts once, each title word ``title_weight`` times (see
    :attr:`~service.pipeline.regroup.RegroupConfig.title_weight`).
    """
    counts = content_terms("\n".join(p.text for p in article.paragraphs))
    if title_weight > 0:  # a zero count would be a term with tf 0 (sublinear tf: log 0)
        for term, n in content_terms(article.title or "").items():
            counts[term] = counts.get(term, 0) + title_weight * n
    return counts


class TermsMemo:
    """:func:`article_terms`, memoised by article id and content hash across passes.

    Successive passes see mostly the same articles; counting their terms again costs about
    0.2 ms an article. Only the entries the latest pass used are kept, so the memo holds at
    most ``max_articles`` articles' counts.
    """

    def __init__(self, title_weight: int) -> None:
        self._title_weight = title_weight
        self._kept: dict[str, tuple[str, dict[str, int]]] = {}
        self._used: dict[str, tuple[str, dict[str, int]]] = {}

    def __call__(self, article: Article) -> dict[str, int]:
        """The article's counts (computed once per content)."""
        entry = self._used.get(article.article_id) or self._kept.get(article.article_id)
        if entry is None or entry[0] != article.content_hash:
            entry = (article.content_hash, article_terms(article, self._title_weight))
        self._used[article.article_id] = entry
        return entry[1]

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


def plan_regroup(
    world: World,
    config: RegroupConfig,
    now: float,
    terms: Callable[[Article], Mapping[str, int]] | None = None,
) -> RegroupResult:
    """Plan one pass over the most recent unkeyed stories.

    Args:
        world: the current state (not modified).
        config: the pass's settings.
        now: the time stamped on changed stories.
        terms: an article's content-word counts (the use case passes a memoised
            :func:`article_terms`); None: :func:`article_terms` with ``config.title_weight``.

    Returns:
        The change set and its counts. A surviving story's new version exceeds its old one
        and those of the stories dissolved into it, so no cached brief of any of them is
        served for it.
    """
    if terms is None:
        terms = functools.partial(article_terms, title_weight=config.title_weight)
    stories = pass_stories(world, config)
    items = [
        RegroupArticle(article.article_id, story.story_id, story.seq, terms(article))
        for story in stories
        for article in world.story_articles(story.story_id)
    ]
    result = regroup(items, config)
    counters = dict(world.counters)
    current = {a.article_id: a.story_id for a in items}
    created: dict[str, Story] = {}
    targets: list[str] = []
    for group in result.groups:
        if group.story_id is None:
            story = found_story(counters, now)
            created[story.story_id] = story
            targets.append(story.story_id)
        else:
            targets.append(group.story_id)
    moved = [
        dataclasses.replace(world.articles[article_id], story_id=target)
        for group, target in zip(result.groups, targets, strict=True)
        for article_id in group.article_ids
        if current[article_id] != target
    ]
    if not moved:
        return RegroupResult(ChangeSet(), len(items), 0, 0, 0)
    redirects = {old: targets[g] for old, g in result.dissolved.items()}
    merged_into: dict[str, list[str]] = {}
    for gone, survivor in redirects.items():
        merged_into.setdefault(survivor, []).append(gone)
    touched = {current[a.article_id] for a in moved} | {a.story_id for a in moved}
    bumped = []
    for story_id in sorted(touched - set(redirects)):
        merged = merged_into.get(story_id, [])
        if story_id in created:  # founded at version 1; still above what it absorbs
            absorbed = sum(world.stories[m].version for m in merged)
            new = created[story_id]
            bumped.append(dataclasses.replace(new, version=new.version + absorbed))
        else:
            bumped.append(bump_story(world, story_id, merged, now))
    changes = ChangeSet(
        articles=tuple(sorted(moved, key=lambda a: a.seq)),
        stories=tuple(bumped),
        redirects=redirects,
        counters=counters,
    )
    return RegroupResult(changes, len(items), len(moved), len(created), len(redirects))
