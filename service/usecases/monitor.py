"""What the operators' dashboard reads: a story's spread, an article's paragraphs, a cluster.

Reads only (no lock, like :mod:`~service.usecases.stories`). *Origin* and *echo* are the
field's terms for a near-duplicate cluster's occurrences: the origin is the earliest article
carrying the cluster (time, then ingestion order; :meth:`World.cluster_view`), every later
carrier is an echo of it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from service.domain.errors import NotFoundError
from service.domain.models import Article
from service.domain.world import ClusterView, StoryView
from service.usecases.desk import Desk

#: Paragraph roles on an article page.
ROLES = ("origin", "echo", "only here", "boilerplate")


@dataclass(frozen=True, slots=True)
class OutletCount:
    """One outlet's share of a story.

    Attributes:
        outlet: the outlet.
        articles: its articles in the story.
        first_at: its earliest article's time (POSIX seconds).
        first_article_id: that article.
    """

    outlet: str
    articles: int
    first_at: float
    first_article_id: str


@dataclass(frozen=True, slots=True)
class ParagraphFirst:
    """When a cross-outlet paragraph (cluster) first appeared in the story.

    Attributes:
        cluster_id: the near-duplicate cluster.
        at: time of its origin (POSIX seconds).
        outlet: the origin's outlet.
        article_id: the origin article.
        outlets: distinct outlets carrying it.
        text: the origin's paragraph text.
    """

    cluster_id: str
    at: float
    outlet: str
    article_id: str
    outlets: int
    text: str


@dataclass(frozen=True, slots=True)
class StorySpread:
    """A story as the dashboard shows it (besides its brief and history).

    Attributes:
        story: the summary line.
        articles: members, oldest first (time, then ingestion order).
        outlets: each outlet's count, earliest reporter first.
        clusters: the widest content clusters (carried by at least two outlets and not
            learned boilerplate), widest first (outlets, then occurrences).
        firsts: every content cluster's first appearance, earliest first.
        content_clusters: how many content clusters the story has.
        hidden_clusters: clusters shared by articles but not content (single-outlet or
            learned boilerplate).
        requested_id: the id asked for (it may have been merged into ``story``).
    """

    story: StoryView
    articles: tuple[Article, ...]
    outlets: tuple[OutletCount, ...]
    clusters: tuple[ClusterView, ...]
    firsts: tuple[ParagraphFirst, ...]
    content_clusters: int
    hidden_clusters: int
    requested_id: str


@dataclass(frozen=True, slots=True)
class MarkedParagraph:
    """An article paragraph with its cluster and its role there.

    Attributes:
        position: 0-based position in the article.
        text: the paragraph.
        cluster_id: its near-duplicate cluster.
        role: one of :data:`ROLES`.
        origin_article_id: the cluster's origin (this article when ``role`` is origin).
        origin_outlet: the origin's outlet.
        outlets: distinct outlets carrying the cluster.
        articles: distinct articles carrying it.
    """

    position: int
    text: str
    cluster_id: str
    role: str
    origin_article_id: str
    origin_outlet: str
    outlets: int
    articles: int


@dataclass(frozen=True, slots=True)
class ArticlePage:
    """An article with its paragraphs marked by cluster."""

    article: Article
    story_id: str
    paragraphs: tuple[MarkedParagraph, ...]


class Monitor:
    """The dashboard's reads over the shared desk."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def spread(self, story_id: str, max_clusters: int = 30) -> StorySpread:
        """A live story's outlets, content clusters and their first appearances.

        Args:
            story_id: a story id (merged-away ids follow their redirect).
            max_clusters: content clusters returned whole (widest first); every content
                cluster's first appearance is returned regardless.

        Raises:
            NotFoundError: the id names no live story.
        """
        world = self.desk.world
        current = self.desk.live_story_id(story_id)
        articles = tuple(world.story_articles(current))
        counts = Counter(a.outlet for a in articles)
        first: dict[str, Article] = {}
        for a in articles:  # oldest first: the first seen per outlet is its earliest
            first.setdefault(a.outlet, a)
        outlets = tuple(
            OutletCount(o, counts[o], a.time, a.article_id)
            for o, a in sorted(first.items(), key=lambda kv: (kv[1].time, kv[1].seq))
        )
        boilerplate = self.desk.recurrence.boilerplate()
        shared = [
            c
            for c in world.clusters_of(a.article_id for a in articles)
            if len(world.cluster_articles.get(c, {})) >= 2
        ]
        # Cheap counts first (carriers only); occurrences are gathered for the shown ones.
        content = []
        for c in shared:
            carriers = world.cluster_articles[c]
            wide = len({world.articles[a].outlet for a in carriers})
            if c not in boilerplate and wide >= 2:
                content.append((-wide, -sum(carriers.values()), c))
        content.sort()
        clusters = tuple(world.cluster_view(c) for _, _, c in content[:max_clusters])
        firsts = sorted(
            (self._first(c, -wide) for wide, _, c in content), key=lambda f: (f.at, f.cluster_id)
        )
        return StorySpread(
            world.story_view(current),
            articles,
            outlets,
            clusters,
            tuple(firsts),
            len(content),
            len(shared) - len(content),
            story_id,
        )

    def _first(self, cluster_id: str, outlets: int) -> ParagraphFirst:
        """A cluster's origin (earliest carrier: time, then ingestion order) and its text."""
        world = self.desk.world
        origin = min(
            (world.articles[a] for a in world.cluster_articles[cluster_id]),
            key=lambda a: (a.time, a.seq),
        )
        text = next(
            p.text for p in origin.paragraphs if world.texts[p.text_id].cluster_id == cluster_id
        )
        return ParagraphFirst(
            cluster_id, origin.time, origin.outlet, origin.article_id, outlets, text
        )

    def article_page(self, article_id: str) -> ArticlePage:
        """An article's paragraphs, each marked origin, echo, only here or boilerplate.

        Raises:
            NotFoundError: unknown id.
        """
        world = self.desk.world
        article = world.articles.get(article_id)
        if article is None:
            raise NotFoundError(f"no article with id {article_id!r}")
        boilerplate = self.desk.recurrence.boilerplate()
        marked = []
        for p in article.paragraphs:
            cluster = world.texts[p.text_id].cluster_id
            view = world.cluster_view(cluster)
            if cluster in boilerplate:
                role = "boilerplate"
            elif len(view.article_ids) == 1:
                role = "only here"
            elif view.origin_article_id == article_id:
                role = "origin"
            else:
                role = "echo"
            origin = view.paragraphs[0]
            marked.append(
                MarkedParagraph(
                    p.position,
                    p.text,
                    cluster,
                    role,
                    view.origin_article_id,
                    origin.outlet,
                    len(view.outlets),
                    len(view.article_ids),
                )
            )
        story = world.current_story_id(article.story_id)
        return ArticlePage(article, story, tuple(marked))

    def cluster(self, cluster_id: str) -> tuple[ClusterView, bool]:
        """A cluster's occurrences (earliest first) and whether it is learned boilerplate.

        Raises:
            NotFoundError: no article carries the id.
        """
        try:
            view = self.desk.world.cluster_view(cluster_id)
        except KeyError:
            raise NotFoundError(f"no cluster with id {cluster_id!r}") from None
        return view, cluster_id in self.desk.recurrence.boilerplate()

    def counts(self) -> dict[str, int]:
        """The header's figures: articles, live stories, distinct paragraph texts.

        Cheap on purpose (the full gauges of ``/metrics`` walk every cluster): lengths plus one
        pass over the stories' member sets.
        """
        world = self.desk.world
        return {
            "articles": len(world.articles),
            "stories": sum(1 for s, m in world.members.items() if m and s in world.stories),
            "texts": len(world.texts),
        }
