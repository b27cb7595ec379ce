"""The last step before a commit: no-churn versions, titles and lineage (no I/O).

Every planner (ingest: :func:`service.ingest.plan`; regrouping:
:func:`service.regrouping.plan_regroup`) returns a :class:`ChangeSet`; the use case passes it
through :func:`finalise` before committing it. ``finalise`` compares the change set with the
world it will be applied to and, generically for any planner:

1. **No churn.** A story's version and ``updated_at`` change only when its membership or a
   member's content (headline, outlet, URL, publication time, paragraph texts) changes: a story
   record the planner bumped without such a change is dropped from the change set, and a story
   whose membership changed but that the planner did not bump is bumped (its brief cache is
   keyed by version, so it must move).
2. **Titles** are recomputed for exactly those stories, by
   :func:`service.pipeline.title.choose_title`, and kept on the story record.
3. **Lineage events** (:class:`service.domain.lineage.StoryEvent`) are derived from the
   difference: created, joined, updated, moved in/out, merged into/from, split into/from,
   redirected, title changed, each with the commit time and the planner's reason. They are
   committed in the same transaction as the change.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from service.domain.lineage import StoryEvent
from service.domain.models import Article, ChangeSet, Story
from service.domain.world import World
from service.pipeline.title import TitleConfig, TitleMember, choose_title


def _resolve(story_id: str, *maps: Mapping[str, str]) -> str:
    """Follow redirects through the first map that has each id (cycle-safe)."""
    seen = {story_id}
    while True:
        nxt = next((m[story_id] for m in maps if story_id in m), None)
        if nxt is None or nxt in seen:
            return story_id
        seen.add(nxt)
        story_id = nxt


def story_content(article: Article) -> tuple[object, ...]:
    """The fields of an article that a story shows (its membership aside).

    Two records with equal content leave the story's title, articles and brief unchanged.
    """
    return (
        article.url,
        article.outlet,
        article.title,
        article.published_at,
        tuple(p.text for p in article.paragraphs),
    )


def _sorted_ids(world: World, ids: Iterable[str], new: Mapping[str, Article]) -> tuple[str, ...]:
    def seq(article_id: str) -> int:
        article = new.get(article_id) or world.articles.get(article_id)
        return article.seq if article is not None else 0

    return tuple(sorted(set(ids), key=lambda a: (seq(a), a)))


@dataclass(slots=True)
class _Diff:
    """What a change set does to membership, computed against the world before it.

    Attributes:
        placement: article id -> (its current story before, or None when new; its story
            after), for every article the change set may move (its own articles and the
            members of stories it redirects).
        members: story id -> member ids after, for every story on either side.
        content_changed: articles whose story-visible content changes.
        changed: stories whose membership or a member's content changes.
        created: stories founded by the change set.
        gone: ids the change set redirects.
        new_articles: the change set's articles by id.
    """

    placement: dict[str, tuple[str | None, str]]
    members: dict[str, set[str]]
    content_changed: set[str]
    changed: set[str]
    created: set[str]
    gone: set[str]
    new_articles: dict[str, Article]


def _diff(world: World, changes: ChangeSet) -> _Diff:
    def after(story_id: str) -> str:
        return _resolve(story_id, changes.redirects, world.redirects)

    placement: dict[str, tuple[str | None, str]] = {}
    for old in changes.redirects:
        if old in world.stories:
            for article_id in world.members.get(old, ()):
                placement[article_id] = (old, after(world.articles[article_id].story_id))
    content_changed: set[str] = set()
    for article in changes.articles:
        previous = world.articles.get(article.article_id)
        source = world.current_story_id(previous.story_id) if previous is not None else None
        placement[article.article_id] = (source, after(article.story_id))
        if previous is not None and story_content(previous) != story_content(article):
            content_changed.add(article.article_id)
    touched = {t for _, t in placement.values()} | {
        s for s, _ in placement.values() if s is not None
    }
    members = {s: set(world.members.get(s, ())) for s in touched}
    for article_id, (source, target) in placement.items():
        if source is not None and source != target:
            members[source].discard(article_id)
        members[target].add(article_id)
    changed = {s for s in touched if members[s] != set(world.members.get(s, ()))}
    changed |= {placement[a][1] for a in content_changed}
    created = {
        s.story_id
        for s in changes.stories
        if s.story_id not in world.stories and s.story_id not in world.redirects
    }
    return _Diff(
        placement,
        members,
        content_changed,
        changed,
        created,
        set(changes.redirects),
        {a.article_id: a for a in changes.articles},
    )


def _story_records(world: World, changes: ChangeSet, diff: _Diff, now: float) -> dict[str, Story]:
    """The planner's story records less idle bumps, plus bumps the planner left out."""
    stories = {
        s.story_id: s
        for s in changes.stories
        if s.story_id in diff.created or s.story_id in diff.changed or s.story_id in diff.gone
    }
    absorbed: dict[str, list[str]] = defaultdict(list)
    for old in changes.redirects:
        if old in world.stories:
            absorbed[_resolve(old, changes.redirects, world.redirects)].append(old)
    for story_id in sorted(diff.changed - set(stories) - diff.gone):
        old_record = world.stories.get(story_id)
        if old_record is not None:  # a change the planner did not bump
            version = old_record.version + 1
            version += sum(world.stories[m].version for m in absorbed[story_id])
            stories[story_id] = dataclasses.replace(old_record, updated_at=now, version=version)
    return stories


def _retitle(
    world: World, diff: _Diff, stories: dict[str, Story], config: TitleConfig
) -> dict[str, str | None]:
    """Choose the titles of changed and created stories (in ``stories``); the old titles."""
    previous: dict[str, str | None] = {}
    for story_id, story in list(stories.items()):
        if story_id in diff.gone or not (story_id in diff.changed or story_id in diff.created):
            continue
        ids = diff.members.get(story_id, set(world.members.get(story_id, ())))
        roster = [diff.new_articles.get(a) or world.articles[a] for a in ids]
        choice = choose_title(
            [
                TitleMember(
                    a.article_id,
                    a.title,
                    a.time,
                    a.seq,
                    np.frombuffer(a.doc_vector, dtype=np.float32).astype(np.float64),
                )
                for a in roster
            ],
            story.title_article_id,
            config,
        )
        before = world.stories.get(story_id)
        previous[story_id] = before.title if before is not None else None
        stories[story_id] = dataclasses.replace(
            story,
            title=choice.title if choice else None,
            title_article_id=choice.article_id if choice else None,
        )
    return previous


_Event = tuple[str, str, tuple[str, ...], str | None, str | None, str | None]


def _classify(
    diff: _Diff,
) -> tuple[
    dict[str, set[str]], dict[str, set[str]], dict[tuple[str, str], set[str]], dict[str, set[str]]
]:
    """Articles joined and updated by story, moved by (source, target), carried by merges."""
    joined: dict[str, set[str]] = defaultdict(set)
    updated: dict[str, set[str]] = defaultdict(set)
    moves: dict[tuple[str, str], set[str]] = defaultdict(set)
    carried: dict[str, set[str]] = defaultdict(set)
    for article_id, (source, target) in sorted(diff.placement.items()):
        if source is None:
            if target not in diff.created:
                joined[target].add(article_id)
        elif source != target:
            if source in diff.gone and article_id not in diff.new_articles:
                carried[source].add(article_id)  # went along with a merge
            else:
                moves[(source, target)].add(article_id)
        if article_id in diff.content_changed:
            updated[target].add(article_id)
    return joined, updated, moves, carried


def _events(
    world: World,
    changes: ChangeSet,
    diff: _Diff,
    stories: Mapping[str, Story],
    previous_titles: Mapping[str, str | None],
) -> list[_Event]:
    """``(story id, kind, article ids, other story, title, previous title)``, in order."""
    out: list[_Event] = []

    def add(sid: str, kind: str, ids: Iterable[str] = (), other: str | None = None) -> None:
        out.append((sid, kind, _sorted_ids(world, ids, diff.new_articles), other, None, None))

    for story_id in sorted(diff.created, key=lambda s: stories[s].seq):
        founders = diff.members.get(story_id, set())
        origins = Counter(s for a in founders if (s := diff.placement[a][0]) is not None)
        origin = min(origins, key=lambda s: (-origins[s], s)) if origins else None
        ids = _sorted_ids(world, founders, diff.new_articles)
        out.append((story_id, "created", ids, origin, stories[story_id].title, None))
    joined, updated, moves, carried = _classify(diff)
    for story_id in sorted(joined):
        add(story_id, "joined", joined[story_id])
    for story_id in sorted(updated):
        add(story_id, "updated", updated[story_id])
    for (source, target), ids_moved in sorted(moves.items()):
        split = target in diff.created
        add(source, "split_into" if split else "moved_out", ids_moved, target)
        add(target, "split_from" if split else "moved_in", ids_moved, source)
    for old, target in sorted(changes.redirects.items()):
        survivor = _resolve(target, changes.redirects, world.redirects)
        if old in world.stories:
            add(old, "merged_into", carried[old], survivor)
            add(survivor, "merged_from", carried[old], old)
        else:
            add(old, "redirected", (), survivor)
    for story_id, previous in sorted(previous_titles.items()):
        title = stories[story_id].title
        if story_id not in diff.created and title != previous:
            out.append((story_id, "title_changed", (), None, title, previous))
    return out


def finalise(
    world: World,
    changes: ChangeSet,
    reason: str,
    now: float,
    titles: TitleConfig,
) -> ChangeSet:
    """The change set to commit: no idle bumps, current titles, and its lineage events.

    Args:
        world: the state the change set will be applied to (not modified, except the path
            compression of :meth:`World.current_story_id`).
        changes: a planner's change set.
        reason: why the change happens (the ingest decision, or ``regroup``); copied onto
            every event.
        now: the commit time stamped on events and on stories bumped here.
        titles: the title rule's settings.

    Returns:
        The change set with its ``stories`` corrected (see the module docstring), ``events``
        filled in and the ``event`` counter advanced. A change set that touches no article,
        story or redirect is returned as it is.
    """
    if not (changes.articles or changes.stories or changes.redirects):
        return changes
    diff = _diff(world, changes)
    stories = _story_records(world, changes, diff, now)
    previous_titles = _retitle(world, diff, stories, titles)
    events = _events(world, changes, diff, stories, previous_titles)
    first = max(world.counters.get("event", 0), changes.counters.get("event", 0))
    records = tuple(
        StoryEvent(
            first + i + 1, sid, kind, now, reason, ids, other, title, previous,
            stories[sid].version if sid in stories else None,
        )
        for i, (sid, kind, ids, other, title, previous) in enumerate(events)
    )  # fmt: skip
    counters = dict(changes.counters)
    if records:
        counters["event"] = records[-1].event_id
    return dataclasses.replace(
        changes,
        stories=tuple(sorted(stories.values(), key=lambda s: s.seq)),
        events=changes.events + records,
        counters=counters,
    )
