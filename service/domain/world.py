"""The in-memory world: every stored record plus the indexes derived from them.

The world is the read model of the service and the input of the planner. It changes only through
:meth:`World.apply`, which takes a :class:`ChangeSet` that the store has already committed, so the
world never holds anything that is not durable. ``apply`` does no I/O and never awaits, so an
asyncio reader always sees the state between two whole change sets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from service.domain.lineage import StoryHistory
from service.domain.models import Article, ChangeSet, Snapshot, Story, TextRecord
from service.domain.orderings import SortedKeys

COUNTERS = ("article", "text", "story", "cluster")


@dataclass(frozen=True, slots=True)
class ClusterParagraph:
    """One occurrence of a near-duplicate cluster."""

    article_id: str
    outlet: str
    position: int
    text: str
    time: float


@dataclass(frozen=True, slots=True)
class ClusterView:
    """A near-duplicate paragraph cluster as the API shows it.

    Attributes:
        cluster_id: its id.
        paragraphs: occurrences, earliest first (time, then article seq, then position).
        outlets: distinct outlets, sorted.
        article_ids: distinct articles, in the order of ``paragraphs``.
        origin_article_id: the earliest article carrying it; the others are echoes.
        story_ids: current stories of its articles, sorted.
    """

    cluster_id: str
    paragraphs: tuple[ClusterParagraph, ...]
    outlets: tuple[str, ...]
    article_ids: tuple[str, ...]
    origin_article_id: str
    story_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoryView:
    """A story's summary line."""

    story_id: str
    title: str | None
    article_count: int
    outlets: tuple[str, ...]
    first_seen: float
    last_seen: float
    created_at: float
    updated_at: float
    version: int
    story_key: str | None
    languages: tuple[str, ...] = ()


class World:
    """Records by id, plus derived lookups (see module docstring)."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.articles: dict[str, Article] = {}
        self.by_url: dict[str, str] = {}
        # (casefolded outlet, text ids in order) -> article id: one outlet's copies of one body.
        self.by_content: dict[tuple[str, tuple[int, ...]], str] = {}
        self.texts: dict[int, TextRecord] = {}
        self.by_fingerprint: dict[str, int] = {}
        # One paragraph text per text id (for the lexical near-duplicate check).
        self.text_content: dict[int, str] = {}
        # Text id -> the language of its first carrier that has one (clusters hold one).
        self.text_language: dict[int, str] = {}
        self.stories: dict[str, Story] = {}
        self.redirects: dict[str, str] = {}
        self.story_keys: dict[str, str] = {}
        # Story id (live or merged away) -> its founding article (the id contract).
        self.founders: dict[str, str] = {}
        self.counters: dict[str, int] = dict.fromkeys(COUNTERS, 0)
        self.history = StoryHistory()
        # Derived.
        self.members: dict[str, set[str]] = defaultdict(set)
        # Article -> the story whose members hold it (a redirect may be re-pointed later, so
        # an article's stored story id is not resolved again to find where it was counted).
        self._home: dict[str, str] = {}
        self.cluster_articles: dict[str, dict[str, int]] = defaultdict(dict)
        self._centroid_sum: dict[str, NDArray[np.float64]] = {}
        # Maintained orderings and counts (service.domain.orderings), so that list pages and
        # gauges cost O(page) rather than a scan of the world. Live stories keyed by
        # (updated_at, seq, story id), ascending: the newest page is read from the end.
        self.story_order: SortedKeys[str] = SortedKeys()
        # Carried clusters keyed by (-distinct outlets, cluster id): the widest first.
        self.cluster_order: SortedKeys[str] = SortedKeys()
        # Cluster -> outlet -> carrying articles of that outlet.
        self._cluster_outlets: dict[str, dict[str, int]] = defaultdict(dict)
        self.paragraph_count = 0  # paragraphs over all articles
        self._touched_stories: set[str] = set()
        self._touched_clusters: set[str] = set()
        # Article id -> (the record, its named entities): filled by service.ingest.
        self.entity_cache: dict[str, tuple[Article, frozenset[str]]] = {}

    # ----------------------------------------------------------------- loading and changes
    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, dim: int) -> World:
        """Rebuild the world from a stored snapshot."""
        world = cls(dim)
        world.apply(
            ChangeSet(
                texts=snapshot.texts,
                stories=snapshot.stories,
                redirects=snapshot.redirects,
                story_keys=snapshot.story_keys,
                counters=snapshot.counters,
                events=tuple(sorted(snapshot.events, key=lambda e: e.event_id)),
                founders=snapshot.founders,
            )
        )
        # Articles last: their story ids may point at stories merged since.
        world.apply(ChangeSet(articles=tuple(sorted(snapshot.articles, key=lambda a: a.seq))))
        # Stores written before founders were kept: a live story's founder is its first member.
        for story_id, members in world.members.items():
            if members and story_id in world.stories and story_id not in world.founders:
                world.founders[story_id] = min(members, key=lambda a: world.articles[a].seq)
        return world

    def apply(self, changes: ChangeSet) -> None:
        """Apply a committed change set (texts, stories, redirects, articles, history)."""
        for text in changes.texts:
            self.texts[text.text_id] = text
            self.by_fingerprint[text.fingerprint] = text.text_id
        for story in changes.stories:
            self.stories[story.story_id] = story
        self.founders.update(changes.founders)
        for old, new in changes.redirects.items():
            self._merge(old, new)
        self.story_keys.update(changes.story_keys)
        for article in changes.articles:
            self._put_article(article)
        for name, value in changes.counters.items():
            self.counters[name] = max(self.counters.get(name, 0), value)
        self.history.add(changes.events)
        self._touched_stories.update(s.story_id for s in changes.stories)
        self._reorder()

    def _reorder(self) -> None:
        """Re-key the stories and clusters the change set touched in the orderings."""
        story_keys: dict[str, tuple[float, int, str] | None] = {}
        for story_id in self._touched_stories:
            story = self.stories.get(story_id)
            live = story is not None and bool(self.members.get(story_id))
            story_keys[story_id] = (
                (story.updated_at, story.seq, story_id) if story is not None and live else None
            )
        self.story_order.update(story_keys)
        cluster_keys: dict[str, tuple[int, str] | None] = {}
        for cluster in self._touched_clusters:
            outlets = len(self._cluster_outlets.get(cluster, ()))
            cluster_keys[cluster] = (-outlets, cluster) if outlets else None
        self.cluster_order.update(cluster_keys)
        self._touched_stories.clear()
        self._touched_clusters.clear()

    def _merge(self, old: str, new: str) -> None:
        survivor = self.current_story_id(new)
        self._touched_stories.update((old, survivor))
        self.redirects[old] = survivor
        self.stories.pop(old, None)
        moved = self.members.pop(old, set())
        self.members[survivor] |= moved
        for article_id in moved:
            self._home[article_id] = survivor
        moved_sum = self._centroid_sum.pop(old, None)
        if moved_sum is not None:
            self._centroid_sum[survivor] = (
                self._centroid_sum.get(survivor, np.zeros(self.dim)) + moved_sum
            )
        for key, story_id in self.story_keys.items():
            if story_id == old:
                self.story_keys[key] = survivor

    def _put_article(self, article: Article) -> None:
        previous = self.articles.get(article.article_id)
        if previous is not None:
            self._detach(previous)
        self.articles[article.article_id] = article
        self.by_url[article.url] = article.article_id
        key = (article.outlet.casefold(), tuple(p.text_id for p in article.paragraphs))
        self.by_content.setdefault(key, article.article_id)
        story_id = self.current_story_id(article.story_id)
        self.members[story_id].add(article.article_id)
        self._home[article.article_id] = story_id
        self._touched_stories.add(story_id)
        self.paragraph_count += len(article.paragraphs)
        self._centroid_sum[story_id] = self._centroid_sum.get(
            story_id, np.zeros(self.dim)
        ) + self.doc_vector(article)
        for paragraph in article.paragraphs:
            self.text_content.setdefault(paragraph.text_id, paragraph.text)
            if article.language is not None:
                self.text_language.setdefault(paragraph.text_id, article.language)
            cluster = self.texts[paragraph.text_id].cluster_id
            seen = self.cluster_articles[cluster]
            if article.article_id not in seen:  # a new carrier: count its outlet
                outlets = self._cluster_outlets[cluster]
                outlets[article.outlet] = outlets.get(article.outlet, 0) + 1
                self._touched_clusters.add(cluster)
            seen[article.article_id] = seen.get(article.article_id, 0) + 1

    def _detach(self, article: Article) -> None:
        key = (article.outlet.casefold(), tuple(p.text_id for p in article.paragraphs))
        if self.by_content.get(key) == article.article_id:
            del self.by_content[key]
        story_id = self._home.get(article.article_id) or self.current_story_id(article.story_id)
        self.members[story_id].discard(article.article_id)
        self._touched_stories.add(story_id)
        self.paragraph_count -= len(article.paragraphs)
        if story_id in self._centroid_sum:
            self._centroid_sum[story_id] = self._centroid_sum[story_id] - self.doc_vector(article)
        for paragraph in article.paragraphs:
            cluster = self.texts[paragraph.text_id].cluster_id
            seen = self.cluster_articles[cluster]
            seen[article.article_id] -= 1
            if seen[article.article_id] <= 0:
                del seen[article.article_id]
                outlets = self._cluster_outlets[cluster]
                outlets[article.outlet] -= 1
                if outlets[article.outlet] <= 0:
                    del outlets[article.outlet]
                self._touched_clusters.add(cluster)

    # ----------------------------------------------------------------------------- lookups
    def story_similarity(self, a: str, b: str) -> float:
        """Cosine between two live stories' centroids (0.0 when either has none)."""
        sa, sb = self._centroid_sum.get(a), self._centroid_sum.get(b)
        if sa is None or sb is None:
            return 0.0
        na, nb = float(np.linalg.norm(sa)), float(np.linalg.norm(sb))
        return float(sa @ sb) / (na * nb) if na > 0 and nb > 0 else 0.0

    def current_story_id(self, story_id: str) -> str:
        """Follow redirects to the surviving story (path-compressed)."""
        seen = []
        while story_id in self.redirects:
            seen.append(story_id)
            story_id = self.redirects[story_id]
        for old in seen[:-1]:
            self.redirects[old] = story_id
        return story_id

    def founder_unissued(self, story_id: str) -> bool:
        """Whether the story's id has not yet been returned for its founding article.

        A story founded at ingest is created with its founding article (one time stamp), and
        its id is returned for that article. A story founded by a regrouping split takes the
        group's earliest article as founder, an article that arrived before the story existed
        and was returned another id; until the service returns the new id for some article,
        the founder is a placeholder (the id contract, :mod:`service.regrouping`: the first
        article the id is returned for becomes the founder, so the id never comes to mean a
        story holding none of the articles it was returned for).

        Args:
            story_id: a story id (current or not).

        Returns:
            True when the story and its founder exist and the founder arrived (was ingested)
            before the story was created.
        """
        story = self.stories.get(story_id)
        founder = self.founders.get(story_id)
        article = self.articles.get(founder) if founder is not None else None
        return story is not None and article is not None and article.ingested_at < story.created_at

    def doc_vector(self, article: Article) -> NDArray[np.float64]:
        """The article's unit document vector as float64, shape ``(dim,)``."""
        return np.frombuffer(article.doc_vector, dtype=np.float32).astype(np.float64)

    def cluster_of_paragraph(self, text_id: int) -> str:
        """Cluster of a text id."""
        return self.texts[text_id].cluster_id

    def story_articles(self, story_id: str) -> list[Article]:
        """The story's articles, oldest first (time, then seq)."""
        ids = self.members.get(self.current_story_id(story_id), set())
        return sorted((self.articles[i] for i in ids), key=lambda a: (a.time, a.seq))

    def story_languages(self, story_id: str) -> frozenset[str]:
        """The languages of a story's members (records without one are left out)."""
        members = self.members.get(self.current_story_id(story_id), ())
        return frozenset(lang for a in members if (lang := self.articles[a].language) is not None)

    def story_allows(self, story_id: str, language: str | None) -> bool:
        """Whether an article in ``language`` may join the story (one language a story)."""
        return language is None or self.story_languages(story_id) <= {language}

    def story_span(self, story_id: str) -> tuple[float, float]:
        """Earliest and latest member time (both 0 for an empty story)."""
        times = [self.articles[i].time for i in self.members.get(story_id, ())]
        return (min(times), max(times)) if times else (0.0, 0.0)

    def similar_stories(self, vector: NDArray[np.float64], floor: float) -> dict[str, float]:
        """Stories whose centroid has cosine >= ``floor`` with unit ``vector``.

        Centroid = normalised sum of member document vectors. Cost is one matrix-vector product
        over all live stories.
        """
        ids = [s for s, total in self._centroid_sum.items() if self.members.get(s)]
        if not ids:
            return {}
        sums = np.stack([self._centroid_sum[s] for s in ids])
        norms = np.linalg.norm(sums, axis=1)
        norms[norms == 0] = 1.0
        sims = (sums @ vector) / norms
        return {s: float(v) for s, v in zip(ids, sims, strict=True) if v >= floor}

    def story_view(self, story_id: str) -> StoryView:
        """Summary of a current story id (KeyError when unknown)."""
        story = self.stories[story_id]
        articles = self.story_articles(story_id)
        first, last = (articles[0].time, articles[-1].time) if articles else (0.0, 0.0)
        # The kept title (service.pipeline.title); records stored before titles were kept
        # show the oldest titled member's headline.
        title = story.title or next((a.title for a in articles if a.title), None)
        return StoryView(
            story_id=story_id,
            title=title,
            article_count=len(articles),
            outlets=tuple(sorted({a.outlet for a in articles})),
            first_seen=first,
            last_seen=last,
            created_at=story.created_at,
            updated_at=story.updated_at,
            version=story.version,
            story_key=story.story_key,
            languages=tuple(sorted({a.language for a in articles if a.language is not None})),
        )

    def live_stories(self) -> Iterator[Story]:
        """Stories that have at least one article."""
        return (s for s in self.stories.values() if self.members.get(s.story_id))

    def cluster_view(self, cluster_id: str) -> ClusterView:
        """Occurrences of one cluster (KeyError when it has none)."""
        occurrences: list[tuple[float, int, int, ClusterParagraph]] = []
        for article_id in self.cluster_articles.get(cluster_id, {}):
            article = self.articles[article_id]
            for p in article.paragraphs:
                if self.texts[p.text_id].cluster_id == cluster_id:
                    item = ClusterParagraph(
                        article_id, article.outlet, p.position, p.text, article.time
                    )
                    occurrences.append((article.time, article.seq, p.position, item))
        if not occurrences:
            raise KeyError(cluster_id)
        occurrences.sort(key=lambda o: o[:3])
        paragraphs = tuple(o[3] for o in occurrences)
        article_ids = tuple(dict.fromkeys(p.article_id for p in paragraphs))
        stories = {self.current_story_id(self.articles[a].story_id) for a in article_ids}
        return ClusterView(
            cluster_id=cluster_id,
            paragraphs=paragraphs,
            outlets=tuple(sorted({p.outlet for p in paragraphs})),
            article_ids=article_ids,
            origin_article_id=article_ids[0],
            story_ids=tuple(sorted(stories)),
        )

    def clusters_of(self, article_ids: Iterable[str]) -> list[str]:
        """Distinct clusters of the given articles' paragraphs, in first-seen order."""
        out: dict[str, None] = {}
        for article_id in article_ids:
            for p in self.articles[article_id].paragraphs:
                out.setdefault(self.texts[p.text_id].cluster_id, None)
        return list(out)

    def cluster_outlet_count(self, cluster_id: str) -> int:
        """Distinct outlets carrying a cluster (O(1): a maintained count)."""
        return len(self._cluster_outlets.get(cluster_id, ()))

    def live_story_count(self) -> int:
        """Stories that have at least one article (O(1))."""
        return len(self.story_order)

    def carried_cluster_count(self, min_outlets: int = 1) -> int:
        """Clusters some article carries, with at least ``min_outlets`` outlets (O(log n))."""
        return self.cluster_order.count_below((-min_outlets + 1,))
