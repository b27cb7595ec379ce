"""The use cases: everything the API can ask of Wiredesk, and nothing about HTTP.

One module per capability, all sharing the world through one explicit
:class:`~service.usecases.desk.Desk`:

* :mod:`~service.usecases.ingest`: articles in (:class:`Ingest`);
* :mod:`~service.usecases.regroup`: the background regrouping pass (:class:`Regrouping`);
* :mod:`~service.usecases.stories`: reads of articles, stories, history, clusters
  (:class:`Stories`);
* :mod:`~service.usecases.briefs`: briefs and their cache (:class:`Briefs`);
* :mod:`~service.usecases.lifecycle`: start-up, index snapshots, health (:class:`Lifecycle`).

:class:`Wiredesk` builds them over one desk and forwards the calls the API, the CLI and the
evaluation harness make, so a caller holds one object; new capabilities (feeds, events,
retention) take the same desk and subscribe to its changes (:meth:`Desk.subscribe`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from service.adapters.batching import BatchingEmbedder
from service.adapters.webhook_store import MemoryWebhookStore
from service.domain.errors import WiredeskError
from service.domain.models import Article, ArticleInput
from service.domain.ports import Cache, Store, VectorIndex, WebhookStore
from service.domain.world import ClusterView, World
from service.ingest import Outcome
from service.metrics import Metrics
from service.pipeline.recurrence import RecurrenceIndex
from service.pipeline.summarize import SourceSentence
from service.regrouping import RegroupResult
from service.settings import Settings
from service.usecases.briefs import BRIEF_FORMAT, Briefs
from service.usecases.desk import STORE_RETRY_S, Desk
from service.usecases.events import Events
from service.usecases.feeds import Feeds
from service.usecases.ingest import Ingest
from service.usecases.lifecycle import Lifecycle
from service.usecases.monitor import Monitor
from service.usecases.regroup import Regrouping
from service.usecases.search import Search
from service.usecases.stories import Stories
from service.usecases.views import (
    BriefSentenceView,
    BriefView,
    Health,
    HistoryPage,
    StoryDetail,
    StoryPage,
    VariantView,
)
from service.usecases.webhooks import Webhooks
from service.usecases.whatsnew import WhatsNew

__all__ = [
    "BRIEF_FORMAT",
    "STORE_RETRY_S",
    "BriefSentenceView",
    "BriefView",
    "Briefs",
    "Desk",
    "Events",
    "Feeds",
    "Health",
    "HistoryPage",
    "Ingest",
    "Lifecycle",
    "Regrouping",
    "Stories",
    "StoryDetail",
    "StoryPage",
    "VariantView",
    "Webhooks",
    "Wiredesk",
]


class Wiredesk:
    """The application: the use cases over one shared :class:`Desk`.

    Attributes:
        desk: the shared state.
        ingest: writes.
        regrouping: the regrouping pass.
        stories: reads of articles and stories.
        briefs: briefs.
        lifecycle: start-up, snapshots, health.
        feeds: feed registration and polling (``None`` until the composition root sets it).
        events: live story events (stream clients, listeners).
        webhooks: webhook subscriptions and deliveries (started by the composition root).
        search: story search and filters (:mod:`~service.usecases.search`).
        whatsnew: what a story learned since a version (:mod:`~service.usecases.whatsnew`).
        monitor: the dashboard's reads (:mod:`~service.usecases.monitor`).
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        cache: Cache,
        index: VectorIndex,
        embedder: BatchingEmbedder,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
        webhook_store: WebhookStore | None = None,
    ) -> None:
        self.desk = Desk(settings, store, cache, index, embedder, metrics or Metrics(), clock)
        self.ingest = Ingest(self.desk)
        self.regrouping = Regrouping(self.desk)
        self.stories = Stories(self.desk)
        self.briefs = Briefs(self.desk)
        self.lifecycle = Lifecycle(self.desk)
        self.feeds: Feeds | None = None  # set by bootstrap: it needs a fetcher and a registry
        self.events = Events(self.desk)
        self.webhooks = Webhooks(
            self.events,
            webhook_store or MemoryWebhookStore(),
            allow_private=settings.fetch_allow_private,
        )
        self.search = Search(self.desk)  # story search: an index kept by the desk's changes
        self.whatsnew = WhatsNew(self.desk, self.briefs)  # briefs since a version
        self.monitor = Monitor(self.desk)  # the dashboard's reads

    # The desk's parts, for callers that hold the application (the API, tests, evaluation).
    @property
    def settings(self) -> Settings:
        """The configuration."""
        return self.desk.settings

    @property
    def world(self) -> World:
        """The in-memory read model (replaced at :meth:`start`)."""
        return self.desk.world

    @property
    def store(self) -> Store:
        """The durable store."""
        return self.desk.store

    @property
    def cache(self) -> Cache:
        """The brief cache."""
        return self.desk.cache

    @property
    def index(self) -> VectorIndex:
        """The vector index."""
        return self.desk.index

    @property
    def embedder(self) -> BatchingEmbedder:
        """The micro-batching embedder."""
        return self.desk.embedder

    @property
    def metrics(self) -> Metrics:
        """The Prometheus registry."""
        return self.desk.metrics

    @property
    def clock(self) -> Callable[[], float]:
        """Wall-clock seconds."""
        return self.desk.clock

    @clock.setter
    def clock(self, clock: Callable[[], float]) -> None:
        self.desk.clock = clock

    @property
    def recurrence(self) -> RecurrenceIndex:
        """Boilerplate learned from the stream."""
        return self.desk.recurrence

    @property
    def regroup_wanted(self) -> asyncio.Event:
        """Set when a pass is wanted."""
        return self.desk.regroup_wanted

    # Forwarded calls: see each use case for arguments, results and errors.
    async def start(self) -> None:
        """:meth:`Lifecycle.start`."""
        await self.lifecycle.start()

    async def submit(self, article: ArticleInput) -> Outcome:
        """:meth:`Ingest.submit`."""
        return await self.ingest.submit(article)

    async def submit_many(
        self, articles: Sequence[ArticleInput | WiredeskError]
    ) -> list[Outcome | WiredeskError]:
        """:meth:`Ingest.submit_many`."""
        return await self.ingest.submit_many(articles)

    async def regroup(self) -> RegroupResult | None:
        """:meth:`Regrouping.regroup`."""
        return await self.regrouping.regroup()

    def get_article(self, article_id: str) -> tuple[Article, str, tuple[str, ...]]:
        """:meth:`Stories.get_article`."""
        return self.stories.get_article(article_id)

    def list_stories(self, limit: int, cursor: str | None) -> StoryPage:
        """:meth:`Stories.list_stories`."""
        return self.stories.list_stories(limit, cursor)

    def get_story(self, story_id: str) -> StoryDetail:
        """:meth:`Stories.get_story`."""
        return self.stories.get_story(story_id)

    def get_history(self, story_id: str, limit: int, cursor: str | None = None) -> HistoryPage:
        """:meth:`Stories.get_history`."""
        return self.stories.get_history(story_id, limit, cursor)

    def list_clusters(
        self, story_id: str | None, min_outlets: int, limit: int
    ) -> list[ClusterView]:
        """:meth:`Stories.list_clusters`."""
        return self.stories.list_clusters(story_id, min_outlets, limit)

    async def get_brief(
        self, story_id: str, max_words: int | None = None, max_sentences: int | None = None
    ) -> BriefView:
        """:meth:`Briefs.get_brief`."""
        return await self.briefs.get_brief(story_id, max_words, max_sentences)

    def brief_sources(self, story_id: str) -> list[SourceSentence]:
        """:meth:`Briefs.brief_sources`."""
        return self.briefs.brief_sources(story_id)

    async def health(self) -> Health:
        """:meth:`Lifecycle.health`."""
        return await self.lifecycle.health()

    def gauges(self) -> dict[str, float]:
        """:meth:`Lifecycle.gauges`, with the event stream's and the webhooks'."""
        return self.lifecycle.gauges() | {
            "event_stream_clients": self.events.clients,
            "event_stream_clients_dropped": self.events.dropped_clients,
            "webhook_deliveries_waiting": sum(
                self.webhooks.waiting(h.webhook_id) for h in self.webhooks.all()
            ),
        }

    def take_dirty(self) -> bool:
        """:meth:`Lifecycle.take_dirty`."""
        return self.lifecycle.take_dirty()

    async def snapshot(self, path: Path) -> bool:
        """:meth:`Lifecycle.snapshot`."""
        return await self.lifecycle.snapshot(path)
