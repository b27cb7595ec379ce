"""Story lineage: what happened to each story id, as records (no I/O).

A :class:`StoryEvent` is derived from a committed :class:`~service.domain.models.ChangeSet`
(by :func:`service.lineage.finalise`, the one place that derives them) and committed with it,
in the same transaction, so the history never disagrees with the stories. Every event is
recorded under the story id it concerns; a change between two stories gives each side its
own event (``moved_out`` under the source, ``moved_in`` under the target, ``merged_into``
under the absorbed id, ``merged_from`` under the survivor).

:class:`StoryHistory` is the read model: each story id's newest :data:`MAX_EVENTS_PER_STORY`
events in memory, the same cap as the Redis list that stores them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MAX_EVENTS_PER_STORY = 1000
"""Events kept per story id, newest first kept (Redis ``LTRIM`` and the in-memory deque).

A story gains about one event per article that joins it plus a few per regrouping pass that
touches it; 1,000 keeps the whole life of every story in the labelled sets (the largest,
DUC 2003's biggest cluster, has 16 articles) and of a busy live story for days, while a
runaway story costs at most ~200 KB of Redis.
"""

EVENT_KINDS = (
    "created",
    "joined",
    "updated",
    "moved_in",
    "moved_out",
    "merged_from",
    "merged_into",
    "split_from",
    "split_into",
    "redirected",
    "title_changed",
)
"""Kinds of :class:`StoryEvent`, in the order a story usually meets them:

* ``created``: the story was founded; ``article_ids`` founded it (for a story founded by a
  regrouping pass, ``other_story_id`` is the story most of them came from).
* ``joined``: newly ingested articles joined the story.
* ``updated``: a member article's content changed (same URL, new text or headline).
* ``moved_in`` / ``moved_out``: member articles moved from / to ``other_story_id``.
* ``merged_from`` / ``merged_into``: ``other_story_id`` was merged into this story / this
  story was merged into ``other_story_id`` (its id now redirects there); ``article_ids`` are
  the absorbed story's articles that went along.
* ``split_from`` / ``split_into``: a story founded in this change took ``article_ids`` from
  ``other_story_id`` / from this story.
* ``redirected``: an id that already redirected now redirects to ``other_story_id``.
* ``title_changed``: the story's title became ``title`` (was ``previous_title``).
"""


@dataclass(frozen=True, slots=True)
class StoryEvent:
    """One entry of a story id's history.

    Attributes:
        event_id: global, increasing in commit order (the ``event`` counter), so newest first
            is descending ``event_id``; events of one change set are consecutive.
        story_id: the story id whose history holds the event.
        kind: one of :data:`EVENT_KINDS`.
        at: when the change was committed, POSIX seconds (UTC).
        reason: why: the ingest decision (``new``, ``shared``, ``similar``, ``key``,
            ``new_key``, ``update``) or ``regroup`` for the background pass.
        article_ids: the articles concerned, ascending by ingestion order.
        other_story_id: the story on the other side of a move, merge, split or redirect.
        title: the new title (``title_changed``, ``created``).
        previous_title: the title before (``title_changed``).
        version: the story's version once the change was committed (``None`` on events stored
            before versions were recorded); "what's new since version N" reads it
            (:mod:`service.usecases.whatsnew`).
    """

    event_id: int
    story_id: str
    kind: str
    at: float
    reason: str
    article_ids: tuple[str, ...] = ()
    other_story_id: str | None = None
    title: str | None = None
    previous_title: str | None = None
    version: int | None = None


class StoryHistory:
    """Each story id's newest events, in memory (capped like the Redis lists)."""

    def __init__(self, cap: int = MAX_EVENTS_PER_STORY) -> None:
        self._cap = cap
        self._by_story: dict[str, deque[StoryEvent]] = {}

    def add(self, events: Iterable[StoryEvent]) -> None:
        """Append events (each after every event already held for its story)."""
        for event in events:
            held = self._by_story.get(event.story_id)
            if held is None:
                held = self._by_story[event.story_id] = deque(maxlen=self._cap)
            held.append(event)

    def __contains__(self, story_id: object) -> bool:
        return story_id in self._by_story

    def of(self, story_ids: Iterable[str]) -> list[StoryEvent]:
        """The events of the given ids, newest first (descending ``event_id``)."""
        out = [e for s in dict.fromkeys(story_ids) for e in self._by_story.get(s, ())]
        return sorted(out, key=lambda e: -e.event_id)

    def __iter__(self) -> Iterator[StoryEvent]:
        for held in self._by_story.values():
            yield from held
