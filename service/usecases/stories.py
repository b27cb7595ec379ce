"""Reads of articles, stories, their history and their near-duplicate clusters.

Reads never take the write lock: the world changes only between awaits, in whole change sets.
"""

from __future__ import annotations

import base64
from itertools import islice

from service.domain.errors import InvalidInputError, NotFoundError
from service.domain.models import Article
from service.domain.world import ClusterView
from service.usecases.desk import Desk
from service.usecases.views import HistoryPage, StoryDetail, StoryPage


class Stories:
    """Answers reads about articles and stories."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def get_article(self, article_id: str) -> tuple[Article, str, tuple[str, ...]]:
        """The article, its current story id and each paragraph's cluster id.

        Raises:
            NotFoundError: unknown id.
        """
        article = self.desk.world.articles.get(article_id)
        if article is None:
            raise NotFoundError(f"no article with id {article_id!r}")
        clusters = tuple(self.desk.world.texts[p.text_id].cluster_id for p in article.paragraphs)
        return article, self.desk.world.current_story_id(article.story_id), clusters

    def list_stories(self, limit: int, cursor: str | None) -> StoryPage:
        """Stories newest-updated first (ties: newer seq first), ``limit`` per page.

        Raises:
            InvalidInputError: the cursor was not made by this method.
        """
        after: tuple[float, int] | None = None
        if cursor:
            try:
                stamp, seq = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
                after = (float(stamp), int(seq))
            except (ValueError, UnicodeDecodeError) as exc:
                raise InvalidInputError("cursor is not valid", field="cursor") from exc
        # The world keeps live stories sorted by (updated_at, seq, id): the page is the
        # ``limit`` keys below the cursor, read from the end, O(log n + limit).
        keys = list(islice(self.desk.world.story_order.descending_below(after), limit + 1))
        page = keys[:limit]
        next_cursor = None
        if len(keys) > limit:
            updated_at, seq, _ = page[-1]
            next_cursor = base64.urlsafe_b64encode(f"{updated_at!r}:{seq}".encode()).decode()
        return StoryPage(tuple(self.desk.world.story_view(k[2]) for k in page), next_cursor)

    def get_story(self, story_id: str) -> StoryDetail:
        """A story (following merges) with its articles and shared clusters.

        Raises:
            NotFoundError: unknown id.
        """
        current = self.desk.live_story_id(story_id)
        articles = tuple(self.desk.world.story_articles(current))
        boilerplate = self.desk.recurrence.boilerplate()
        clusters = [
            self.desk.world.cluster_view(c)
            for c in self.desk.world.clusters_of(a.article_id for a in articles)
            if len(self.desk.world.cluster_articles.get(c, {})) >= 2 and c not in boilerplate
        ]
        clusters.sort(key=lambda c: (-len(c.outlets), -len(c.paragraphs), c.cluster_id))
        return StoryDetail(self.desk.world.story_view(current), articles, tuple(clusters), story_id)

    def get_history(self, story_id: str, limit: int, cursor: str | None = None) -> HistoryPage:
        """A story id's lineage (:mod:`service.lineage`), newest first, ``limit`` per page.

        The id is followed through redirects like :meth:`get_story`; the page holds the
        current story's events and, for a redirected id, that id's own events (which end with
        how it was merged away). An id that no longer resolves to a live story still has its
        history (``live`` is false), so a client can see what became of it.

        Raises:
            NotFoundError: the id was never a story id.
            InvalidInputError: the cursor was not made by this method.
        """
        world = self.desk.world
        current = world.current_story_id(story_id)
        known = (current in world.stories or current in world.history) or (
            story_id in world.history
        )
        if not known:
            raise NotFoundError(f"no story with id {story_id!r}")
        events = world.history.of([current, story_id])
        if cursor:
            try:
                before = int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("e"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise InvalidInputError("cursor is not valid", field="cursor") from exc
            events = [e for e in events if e.event_id < before]
        page = tuple(events[:limit])
        next_cursor = None
        if len(events) > limit:
            next_cursor = base64.urlsafe_b64encode(f"e{page[-1].event_id}".encode()).decode()
        live = current in world.stories and bool(world.members.get(current))
        return HistoryPage(current, story_id, page, next_cursor, live)

    def list_clusters(
        self, story_id: str | None, min_outlets: int, limit: int
    ) -> list[ClusterView]:
        """Near-duplicate clusters carried by at least ``min_outlets`` outlets, widest first.

        Raises:
            NotFoundError: ``story_id`` names no story.
        """
        boilerplate = self.desk.recurrence.boilerplate()  # learned boilerplate is no story's copy
        if story_id is None:
            # The world keeps carried clusters sorted widest first: O(limit + boilerplate).
            picked: list[str] = []
            for negative_outlets, cluster in self.desk.world.cluster_order.ascending():
                if -negative_outlets < min_outlets or len(picked) >= limit:
                    break
                if cluster not in boilerplate:
                    picked.append(cluster)
            return [self.desk.world.cluster_view(c) for c in picked]
        articles = [
            a.article_id for a in self.desk.world.story_articles(self.desk.live_story_id(story_id))
        ]
        ids = self.desk.world.clusters_of(articles)
        wide = [(self.desk.world.cluster_outlet_count(c), c) for c in ids if c not in boilerplate]
        wide = [(n, c) for n, c in wide if n >= min_outlets]
        wide.sort(key=lambda t: (-t[0], t[1]))
        return [self.desk.world.cluster_view(c) for _, c in wide[:limit]]
