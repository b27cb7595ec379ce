"""What's new in a story since a version a follower read: a brief of only the new paragraphs.

A story's version is bumped by every change set that changes its membership or a member's
content (:func:`service.lineage.finalise`), and every lineage event records the version the
story reached with it (:attr:`service.domain.lineage.StoryEvent.version`; recorded, not
derived: a merge adds the absorbed story's version to the survivor's, so versions cannot be
recounted from the events). The events that bring an article into the story (``created``,
``joined``, ``moved_in``, ``merged_from``, ``split_from``) or change its text (``updated``)
therefore say at which version it arrived. For ``since_version=N``:

* an article is *new* when the newest such event naming it has a version above ``N``; the
  story's other members are *old* (events stored before versions were recorded count as old);
* a paragraph is *new* when it belongs to a new article and its near-duplicate cluster is
  carried by no old article, so an echo of something the follower has read is not news
  (and an updated article's unchanged paragraphs are news only when no old member carries
  them: its earlier text is not kept);
* the new paragraphs' sentences (learned boilerplate excluded) are summarised and attributed
  exactly like the full brief (:func:`service.pipeline.summarize.summarize`): a sentence is
  credited to every new article that carries it with the same facts.

``N`` equal to the current version gives an empty brief; ``N = 0`` gives the brief of the
whole story.
"""

from __future__ import annotations

import asyncio
import dataclasses

from service.domain.errors import InvalidInputError
from service.pipeline.summarize import summarize
from service.usecases.briefs import Briefs, brief_view
from service.usecases.desk import Desk
from service.usecases.views import BriefView

ARRIVALS = ("created", "joined", "moved_in", "merged_from", "split_from", "updated")
"""Event kinds that bring an article (or its new text) into the story whose history holds them."""


class WhatsNew:
    """Briefs of what a story learned since a version (see the module docstring)."""

    def __init__(self, desk: Desk, briefs: Briefs) -> None:
        self.desk = desk
        self.briefs = briefs

    def new_articles(self, story_id: str, since_version: int) -> set[str]:
        """Members of the live story ``story_id`` that arrived (or changed) after the version.

        Raises:
            NotFoundError: unknown id.
        """
        world = self.desk.world
        current = self.desk.live_story_id(story_id)
        members = world.members.get(current, set())
        newest: dict[str, int] = {}
        for event in world.history.of([current]):  # newest first
            if event.kind not in ARRIVALS:
                continue
            for article_id in event.article_ids:
                newest.setdefault(article_id, event.version or 0)
        return {a for a in members if newest.get(a, 0) > since_version}

    async def brief_since(
        self,
        story_id: str,
        since_version: int,
        max_words: int | None = None,
        max_sentences: int | None = None,
    ) -> BriefView:
        """The brief of the paragraphs the story gained after ``since_version``.

        Args:
            story_id: a story id (merged-away ids follow their redirect; the version is the
                surviving story's).
            since_version: the version the follower has read, 0 to the current version.
            max_words: word budget (the brief's default when ``None``).
            max_sentences: sentence cap, if any.

        Returns:
            A :class:`BriefView` of the current version with ``since_version`` set; no
            sentences when nothing is new.

        Raises:
            NotFoundError: unknown id.
            InvalidInputError: a negative version, or one the story has not reached.
        """
        current = self.desk.live_story_id(story_id)
        story = self.desk.world.stories[current]
        if since_version < 0:
            raise InvalidInputError("since_version must be 0 or more", field="since_version")
        if since_version > story.version:
            raise InvalidInputError(
                f"since_version {since_version} is ahead of story {current}'s version "
                f"{story.version}",
                field="since_version",
            )
        fresh = self.new_articles(current, since_version)
        world = self.desk.world
        old_clusters = set(world.clusters_of(sorted(world.members.get(current, set()) - fresh)))
        sources = tuple(
            s
            for s in self.briefs.brief_sources(current)
            if s.article_id in fresh and s.cluster_id not in old_clusters
        )
        words = max_words or self.desk.settings.summarize.max_words
        config = dataclasses.replace(
            self.desk.settings.summarize, max_words=words, max_sentences=max_sentences
        )
        with self.desk.metrics.time("summarize"):
            brief = await asyncio.to_thread(summarize, sources, config)
        return brief_view(current, story.version, brief, words, max_sentences, since_version)
