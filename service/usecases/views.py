"""What the use cases answer with: frozen views, never the world's own records."""

from __future__ import annotations

from dataclasses import dataclass

from service.domain.lineage import StoryEvent
from service.domain.models import Article
from service.domain.world import ClusterView, StoryView


@dataclass(frozen=True, slots=True)
class VariantView:
    """Another outlet's version of a brief sentence, stating different facts."""

    outlet: str
    article_id: str
    text: str


@dataclass(frozen=True, slots=True)
class BriefSentenceView:
    """One brief sentence with its attribution (articles carrying it with the same facts)."""

    text: str
    outlets: tuple[str, ...]
    article_ids: tuple[str, ...]
    source_article_id: str
    score: float
    variants: tuple[VariantView, ...] = ()


@dataclass(frozen=True, slots=True)
class BriefView:
    """A story's brief as served (and cached)."""

    story_id: str
    version: int
    text: str
    sentences: tuple[BriefSentenceView, ...]
    outlets: tuple[str, ...]
    word_count: int
    max_words: int
    max_sentences: int | None
    method: str = "concept-coverage"
    cached: bool = False
    since_version: int | None = None  # set on a what's-new brief: news after this version


@dataclass(frozen=True, slots=True)
class StoryDetail:
    """A story with its articles and its cross-article near-duplicate clusters."""

    story: StoryView
    articles: tuple[Article, ...]
    clusters: tuple[ClusterView, ...]
    requested_id: str


@dataclass(frozen=True, slots=True)
class StoryPage:
    """One page of stories, newest-updated first."""

    stories: tuple[StoryView, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """One page of a story's history, newest first.

    Attributes:
        story_id: the current story the requested id resolves to.
        requested_id: the id asked for.
        events: the events of ``story_id`` and of ``requested_id`` (when it redirects),
            newest first (descending ``event_id``).
        next_cursor: pass back as ``cursor`` for older events; ``None`` on the last page.
        live: whether ``story_id`` still has articles.
    """

    story_id: str
    requested_id: str
    events: tuple[StoryEvent, ...]
    next_cursor: str | None
    live: bool


@dataclass(frozen=True, slots=True)
class Health:
    """Readiness of the parts."""

    redis: bool
    index_vectors: int
    texts: int
    articles: int
    stories: int
    adding: int = 0

    @property
    def ok(self) -> bool:
        """Redis answers and the index holds every text.

        While a write adds its ``adding`` new vectors to the index (in a worker thread, just
        before the world learns their texts) the index may be ahead by up to that many.
        """
        return self.redis and self.texts <= self.index_vectors <= self.texts + self.adding
