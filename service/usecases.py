"""The use cases: everything the API can ask of Wiredesk, and nothing about HTTP.

:class:`Wiredesk` owns the in-memory world and talks to the ports. Writes are serialised by one
lock (single writer: a plan is computed against the world and committed before the next one
starts), while the expensive part, embedding, happens before the lock and is shared across
concurrent requests by the micro-batcher. Reads never wait for the lock: the world only changes
between awaits, in whole change sets.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec
import numpy as np

from service.adapters.batching import BatchingEmbedder
from service.domain.errors import InvalidInputError, NotFoundError, UnavailableError, WiredeskError
from service.domain.lineage import StoryEvent
from service.domain.models import Article, ArticleInput, ChangeSet
from service.domain.ports import Cache, Store, VectorIndex
from service.domain.world import ClusterView, StoryView, World
from service.ingest import Outcome, PreparedArticle, new_fingerprints, plan, prepare
from service.lineage import finalise
from service.metrics import Metrics
from service.pipeline.dedup import Neighbour
from service.pipeline.recurrence import RecurrenceIndex
from service.pipeline.summarize import SourceSentence, summarize
from service.regrouping import RegroupResult, TermsMemo, plan_regroup
from service.settings import Settings

log = logging.getLogger(__name__)

# How long writes fail fast after a failed commit. Redis's own timeouts are 2 s per call: a
# 2 s window lets the next attempt find out whether it is back without queueing others.
STORE_RETRY_S = 2.0
# Vectors compared between a loaded index snapshot and the store at start-up; 16 evenly spaced
# picks cost one Redis round trip and catch a foreign or stale snapshot (any mismatch fails).
SNAPSHOT_SPOT_CHECKS = 16
SNAPSHOT_MIN_COSINE = 0.99

# Part of every brief cache key: bump it when the summariser's output changes for the same story
# version, so that briefs cached by an older release (kept in Redis across restarts) are not
# served. "facts1": fact-exact attribution, variants, lede (session 10).
BRIEF_FORMAT = "facts1"


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


@dataclass(slots=True)
class _Pending:
    prepared: PreparedArticle | None
    error: WiredeskError | None = None
    outcome: Outcome | None = None


class Wiredesk:
    """The application service (see module docstring)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        cache: Cache,
        index: VectorIndex,
        embedder: BatchingEmbedder,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.cache = cache
        self.index = index
        self.embedder = embedder
        self.metrics = metrics or Metrics()
        self.clock = clock
        self.world = World(embedder.dim)
        self._lock = asyncio.Lock()
        self._dirty = False
        self._deployment = ""  # the store's deployment id, read at start
        self._store_down_until = 0.0  # time.monotonic() until which writes fail fast
        self._adding = 0  # vectors of the write in progress that may be in the index already
        self._briefs: OrderedDict[str, BriefView] = OrderedDict()  # in-process LRU over Redis
        # Set when an unkeyed story changed since the last regrouping pass (see regroup()).
        self.regroup_wanted = asyncio.Event()
        self._terms = TermsMemo(settings.regroup.title_weight)
        # Learned boilerplate (service.pipeline.recurrence), derived from the stored articles.
        self.recurrence = RecurrenceIndex(settings.recurrence)
        # Stories an update changed since the last pass (new articles are found by seq).
        self._touched: set[str] = set()

    # ------------------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        """Load the world from the store and make the index hold exactly its texts.

        An index loaded from a snapshot is first checked against the store
        (:meth:`_distrust_snapshot`); one that fails is emptied and refilled from the store.
        """
        snapshot = await self.store.load()
        self.world = World.from_snapshot(snapshot, self.embedder.dim)
        self._deployment = await self.store.deployment_id()
        reason = await self._distrust_snapshot()
        if reason is not None:
            log.warning("index snapshot discarded (%s); rebuilding it from the store", reason)
            self.index.remove(self.index.ids())
        self._rebuild_recurrence()
        await self._reconcile_index()

    def _rebuild_recurrence(self) -> None:
        cluster_of = {t: r.cluster_id for t, r in self.world.texts.items()}
        self.recurrence.rebuild(self.world.articles.values(), cluster_of)

    def _learn(self, changes: ChangeSet, previous: dict[str, Article]) -> None:
        """Update the recurrence statistics with stored articles (after ``world.apply``)."""
        for article in changes.articles:
            old = previous.get(article.article_id)
            if old is not None:
                self.recurrence.remove(old.article_id)
            self.recurrence.add(
                article, [self.world.texts[p.text_id].cluster_id for p in article.paragraphs]
            )

    async def _distrust_snapshot(self) -> str | None:
        """Why the index's contents must not be trusted, or ``None``.

        A snapshot records the deployment it belongs to (the store's
        :meth:`~service.domain.ports.Store.deployment_id`). Its ids are also checked where it
        counts: up to :data:`SNAPSHOT_SPOT_CHECKS` vectors held by both, evenly spaced over
        the ids, must equal the stored ones (cosine >= 0.99; the backends store float32
        vectors exactly). Another deployment's snapshot, or this one's after its store was
        replaced, would otherwise make near-duplicates join unrelated paragraphs.
        """
        if len(self.index) == 0:
            return None
        owner = self.index.meta.get("deployment")
        if owner != self._deployment:
            return f"it belongs to deployment {owner!r}, this store is {self._deployment!r}"
        shared = np.intersect1d(self.index.ids(), np.fromiter(self.world.texts, dtype=np.int64))
        if shared.size == 0:
            return None
        picks = shared[
            np.linspace(0, shared.size - 1, min(SNAPSHOT_SPOT_CHECKS, shared.size)).astype(np.int64)
        ]
        stored = await self.store.load_vectors(int(i) for i in picks)
        indexed = self.index.reconstruct(picks)
        for row, text_id in enumerate(picks):
            raw = stored.get(int(text_id))
            if raw is None:
                continue
            vector = np.frombuffer(raw, dtype=np.float32)
            if float(vector @ indexed[row]) < SNAPSHOT_MIN_COSINE:
                return f"its vector of text {int(text_id)} differs from the stored one"
        return None

    async def _reconcile_index(self) -> None:
        indexed = {int(i) for i in self.index.ids()}
        live = set(self.world.texts)
        extra = np.fromiter(sorted(indexed - live), dtype=np.int64)
        if extra.size:
            self.index.remove(extra)
        missing = sorted(live - indexed)
        if missing:
            vectors = await self.store.load_vectors(missing)
            lost = [i for i in missing if i not in vectors]
            if lost:
                log.error("%d texts have no stored vector; they cannot be searched", len(lost))
            have = [i for i in missing if i in vectors]
            if have:
                matrix = np.stack([np.frombuffer(vectors[i], dtype=np.float32) for i in have])
                self.index.add(np.asarray(have, dtype=np.int64), matrix)
        if extra.size or missing:
            self._dirty = True
            log.info("index reconciled: %d removed, %d added", extra.size, len(missing))

    def take_dirty(self) -> bool:
        """Whether the index changed since the last call (for the snapshot task)."""
        dirty, self._dirty = self._dirty, False
        return dirty

    # --------------------------------------------------------------------------- writes
    async def submit(self, article: ArticleInput) -> Outcome:
        """Ingest one article.

        Raises:
            InvalidInputError: the text has no usable paragraph.
            UnavailableError: the store cannot be reached; nothing was stored.
        """
        result = (await self.submit_many([article]))[0]
        if isinstance(result, WiredeskError):
            raise result
        return result

    async def submit_many(
        self, articles: Sequence[ArticleInput | WiredeskError]
    ) -> list[Outcome | WiredeskError]:
        """Ingest articles in order; each item succeeds or fails alone.

        Args:
            articles: validated inputs; an item that already failed validation at the edge is
                passed as its error and returned unchanged in its place.

        Returns:
            One outcome or error per input, in input order.
        """
        gate = await self._store_gate()
        with self.metrics.time("split"):
            items = [self._prepare(article, gate) for article in articles]

        # Embed every text the world has not seen, once, before taking the write lock.
        wanted: dict[str, str] = {}
        for item in items:
            if item.prepared is not None:
                for fp, text in new_fingerprints(self.world, item.prepared):
                    wanted.setdefault(fp, text)
        vectors: dict[str, np.ndarray] = {}
        if wanted:
            with self.metrics.time("embed"):
                matrix = await self.embedder.encode(list(wanted.values()))
            vectors = dict(zip(wanted, matrix, strict=True))

        async with self._lock:
            for item in items:
                if item.prepared is None:
                    continue
                try:
                    item.outcome = await self._ingest_one(item.prepared, vectors)
                except WiredeskError as exc:
                    item.error = exc
        out: list[Outcome | WiredeskError] = []
        for item in items:
            if item.outcome is not None:
                out.append(item.outcome)
                self.metrics.articles.labels(item.outcome.status).inc()
            else:
                assert item.error is not None
                out.append(item.error)
                self.metrics.rejected.labels(type(item.error).__name__).inc()
        return out

    def _check_store(self) -> None:
        """Fail fast while the store is known to be down (see :meth:`_commit`).

        Raises:
            UnavailableError: a commit failed less than :data:`STORE_RETRY_S` ago.
        """
        if time.monotonic() < self._store_down_until:
            raise UnavailableError("Redis is unavailable (a write just failed); retry shortly")

    async def _commit(self, changes: ChangeSet) -> None:
        """Commit through the store, as a circuit breaker (Nygard, *Release It!*, 2007).

        A failed commit opens the breaker for :data:`STORE_RETRY_S`: writes queued behind the
        write lock meanwhile answer 503 at once, and new ones after one bounded ping
        (:meth:`_store_gate`), instead of each waiting out Redis's timeouts (a frozen Redis
        made writes wait up to 17.7 s, 4 s apiece behind the lock).
        """
        self._check_store()
        try:
            await self.store.commit(changes)
        except UnavailableError:
            self._store_down_until = time.monotonic() + STORE_RETRY_S
            raise

    async def _store_gate(self) -> UnavailableError | None:
        """While the breaker is open, one quick ping decides: closed again, or refuse now.

        The ping is bounded (0.5 s for Redis), so a write never waits out Redis's timeouts
        while it is known to be down, and the first write after a recovery goes through.
        """
        if time.monotonic() >= self._store_down_until:
            return None
        if await self.store.ping():
            self._store_down_until = 0.0
            return None
        self._store_down_until = time.monotonic() + STORE_RETRY_S
        return UnavailableError("Redis is unavailable (a write just failed); retry shortly")

    def _prepare(
        self, article: ArticleInput | WiredeskError, refused: WiredeskError | None = None
    ) -> _Pending:
        if isinstance(article, WiredeskError):
            return _Pending(None, article)
        if refused is not None:  # before spending model time on an article that cannot commit
            return _Pending(None, refused)
        try:
            prepared = prepare(article, self.settings.split)
        except InvalidInputError as exc:
            return _Pending(None, exc)
        limit = self.settings.max_paragraphs
        if len(prepared.paragraphs) > limit:
            return _Pending(
                None,
                InvalidInputError(
                    f"text has {len(prepared.paragraphs)} paragraphs; the limit is {limit} "
                    "(WIREDESK_MAX_PARAGRAPHS)",
                    field="text",
                ),
            )
        return _Pending(prepared)

    async def _ingest_one(
        self, prepared: PreparedArticle, vectors: dict[str, np.ndarray]
    ) -> Outcome:
        world = self.world
        new = new_fingerprints(world, prepared)
        missing = [text for fp, text in new if fp not in vectors]
        if missing:  # texts another request forgot meanwhile cannot happen; embed defensively
            extra = await self.embedder.encode(missing)
            vectors.update(zip((fp for fp, _ in new if fp not in vectors), extra, strict=True))
        neighbours: dict[str, list[Neighbour]] = {}
        if new and len(self.index):
            with self.metrics.time("search"):
                queries = np.stack([vectors[fp] for fp, _ in new]).astype(np.float32)
                hits = await asyncio.to_thread(self.index.search, queries, self.settings.neighbours)
            for row, (fp, _) in enumerate(new):
                neighbours[fp] = [
                    Neighbour(int(i), float(s))
                    for i, s in zip(hits.ids[row], hits.scores[row], strict=True)
                    if i >= 0
                ]
        known_ids = sorted(
            {world.by_fingerprint[fp] for fp in prepared.fingerprints if fp in world.by_fingerprint}
        )
        known: dict[int, np.ndarray] = {}
        if known_ids:
            rows = await asyncio.to_thread(
                self.index.reconstruct, np.asarray(known_ids, dtype=np.int64)
            )
            known = dict(zip(known_ids, rows, strict=True))
        now = self.clock()
        with self.metrics.time("plan"):
            changes, outcome = plan(
                world,
                prepared,
                {fp: vectors[fp] for fp, _ in new},
                neighbours,
                known,
                now,
                self.settings.dedup,
                self.settings.group,
                self.recurrence,
            )
            changes = finalise(world, changes, outcome.reason, now, self.settings.title)
        if not changes.articles:
            return outcome
        previous = {
            a.article_id: world.articles[a.article_id]
            for a in changes.articles
            if a.article_id in world.articles
        }
        with self.metrics.time("commit"):
            await self._commit(changes)
        if changes.texts:
            # FAISS work runs in a worker thread (the event loop never waits for the index's
            # lock, which a snapshot or an HNSW build may hold); the world learns the texts
            # right after, with no await in between, so readers see both or neither.
            ids = np.asarray([t.text_id for t in changes.texts], dtype=np.int64)
            matrix = np.stack(
                [np.frombuffer(changes.vectors[int(i)], dtype=np.float32) for i in ids]
            )
            self._adding = len(ids)
            try:
                with self.metrics.time("index_add"):
                    await asyncio.to_thread(self.index.add, ids, matrix)
            finally:
                world.apply(changes)
                self._adding = 0
            self._dirty = True
        else:
            world.apply(changes)
        self._learn(changes, previous)
        if outcome.status == "updated":
            self._touched.add(outcome.story_id)
        self.metrics.embedded.inc(len(changes.texts))
        self.metrics.reused.inc(len(prepared.paragraphs) - len(changes.texts))
        self.metrics.merges.inc(len(changes.redirects))
        await self._invalidate(changes)
        if prepared.source.story_key is None and self.settings.regroup.enabled:
            self.regroup_wanted.set()
        return outcome

    async def _invalidate(self, changes: ChangeSet) -> None:
        try:
            await self.cache.invalidate(
                [s.story_id for s in changes.stories] + list(changes.redirects)
            )
        except UnavailableError:
            log.warning("brief cache not invalidated (Redis down); versioned keys keep it correct")

    async def regroup(self) -> RegroupResult | None:
        """Re-cluster the most recent unkeyed stories (:mod:`service.pipeline.regroup`).

        The service runs this in the background a few seconds after unkeyed articles arrive
        (``Settings.regroup_delay_s``); it is public so a caller can settle the stories now.
        Writes wait for it (it holds the write lock); the clustering runs in a worker thread,
        so reads do not.

        Returns:
            What the pass did, or ``None`` when regrouping is disabled.

        Raises:
            UnavailableError: the store cannot be reached; nothing changed.
        """
        config = self.settings.regroup
        if not config.enabled:
            return None
        async with self._lock:
            self.regroup_wanted.clear()
            now = self.clock()
            touched = set(self._touched)
            with self.metrics.time("regroup"):
                result = await asyncio.to_thread(
                    plan_regroup,
                    self.world,
                    config,
                    now,
                    self._terms,
                    touched,
                    frozenset(self.recurrence.boilerplate()),
                    self.settings.group.min_shared_words,
                )
            self._terms.end_pass()
            self._touched.clear()
            changes = finalise(self.world, result.changes, "regroup", now, self.settings.title)
            if changes.articles or changes.redirects or changes.counters:
                try:
                    with self.metrics.time("commit"):
                        await self.store.commit(changes)
                except UnavailableError:
                    self._touched |= touched  # still to be looked at
                    self.regroup_wanted.set()  # the next pass tries again
                    raise
                self.world.apply(changes)
                if changes.articles or changes.redirects:
                    log.info("regroup pass: %d redirects re-pointed", result.repointed)
                self.metrics.regrouped.inc(result.moved)
                self.metrics.merges.inc(len(changes.redirects))
                await self._invalidate(changes)
        if result.moved:
            log.info(
                "regrouped %d articles: %d moved, %d stories founded, %d dissolved",
                result.articles,
                result.moved,
                result.created,
                result.dissolved,
            )
        return result

    # ---------------------------------------------------------------------------- reads
    def get_article(self, article_id: str) -> tuple[Article, str, tuple[str, ...]]:
        """The article, its current story id and each paragraph's cluster id.

        Raises:
            NotFoundError: unknown id.
        """
        article = self.world.articles.get(article_id)
        if article is None:
            raise NotFoundError(f"no article with id {article_id!r}")
        clusters = tuple(self.world.texts[p.text_id].cluster_id for p in article.paragraphs)
        return article, self.world.current_story_id(article.story_id), clusters

    def _story_id(self, story_id: str) -> str:
        current = self.world.current_story_id(story_id)
        if current not in self.world.stories or not self.world.members.get(current):
            raise NotFoundError(f"no story with id {story_id!r}")
        return current

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
        ordered = sorted(self.world.live_stories(), key=lambda s: (-s.updated_at, -s.seq))
        if after is not None:
            ordered = [s for s in ordered if (-s.updated_at, -s.seq) > (-after[0], -after[1])]
        page = ordered[:limit]
        next_cursor = None
        if len(ordered) > limit:
            last = page[-1]
            next_cursor = base64.urlsafe_b64encode(
                f"{last.updated_at!r}:{last.seq}".encode()
            ).decode()
        return StoryPage(tuple(self.world.story_view(s.story_id) for s in page), next_cursor)

    def get_story(self, story_id: str) -> StoryDetail:
        """A story (following merges) with its articles and shared clusters.

        Raises:
            NotFoundError: unknown id.
        """
        current = self._story_id(story_id)
        articles = tuple(self.world.story_articles(current))
        boilerplate = self.recurrence.boilerplate()
        clusters = [
            self.world.cluster_view(c)
            for c in self.world.clusters_of(a.article_id for a in articles)
            if len(self.world.cluster_articles.get(c, {})) >= 2 and c not in boilerplate
        ]
        clusters.sort(key=lambda c: (-len(c.outlets), -len(c.paragraphs), c.cluster_id))
        return StoryDetail(self.world.story_view(current), articles, tuple(clusters), story_id)

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
        world = self.world
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
        if story_id is not None:
            articles = [a.article_id for a in self.world.story_articles(self._story_id(story_id))]
            ids = self.world.clusters_of(articles)
        else:
            ids = [c for c, carriers in self.world.cluster_articles.items() if carriers]
        boilerplate = self.recurrence.boilerplate()  # learned boilerplate is no story's copy
        wide = [(self.world.cluster_outlet_count(c), c) for c in ids if c not in boilerplate]
        wide = [(n, c) for n, c in wide if n >= min_outlets]
        wide.sort(key=lambda t: (-t[0], t[1]))
        return [self.world.cluster_view(c) for _, c in wide[:limit]]

    async def get_brief(
        self, story_id: str, max_words: int | None = None, max_sentences: int | None = None
    ) -> BriefView:
        """The story's brief, from the cache when this version was summarised before.

        Looks in this process's LRU first, then in the Redis cache (shared by every process and
        kept across restarts), and summarises only on a miss in both. Every key carries the
        story's version, so neither can serve a brief of an older version.

        Raises:
            NotFoundError: unknown id.
        """
        current = self._story_id(story_id)
        story = self.world.stories[current]
        config = self.settings.summarize
        words = max_words or config.max_words
        key = f"brief:{current}:v{story.version}:{words}:{max_sentences}:{BRIEF_FORMAT}"
        local = self._briefs.get(key)
        if local is not None:
            self._briefs.move_to_end(key)
            self.metrics.cache.labels("memory_hit").inc()
            return local
        try:
            raw = await self.cache.get(key)
        except UnavailableError:
            raw = None
            self.metrics.cache.labels("error").inc()
        if raw is not None:
            self.metrics.cache.labels("hit").inc()
            cached = dataclasses.replace(msgspec.json.decode(raw, type=BriefView), cached=True)
            self._remember(key, cached)
            return cached
        self.metrics.cache.labels("miss").inc()
        sources = tuple(self._sources(current))
        cfg = dataclasses.replace(config, max_words=words, max_sentences=max_sentences)
        with self.metrics.time("summarize"):
            brief = await asyncio.to_thread(summarize, sources, cfg)
        view = BriefView(
            story_id=current,
            version=story.version,
            text=brief.text,
            sentences=tuple(
                BriefSentenceView(
                    s.text,
                    s.outlets,
                    s.article_ids,
                    s.source_article_id,
                    round(s.score, 6),
                    tuple(VariantView(v.outlet, v.article_id, v.text) for v in s.variants),
                )
                for s in brief.sentences
            ),
            outlets=brief.outlets,
            word_count=brief.word_count,
            max_words=words,
            max_sentences=max_sentences,
        )
        if not self._shared_shape(words, max_sentences):
            # Any other length is served and kept in the bounded in-process LRU only: a read
            # (unauthenticated) must not be able to grow Redis (1,001 keys in 4.7 s: issue 13).
            self._remember(key, dataclasses.replace(view, cached=True))
            return view
        try:
            await self.cache.put(
                key, msgspec.json.encode(view), ttl_s=self.settings.brief_cache_ttl_s, tag=current
            )
        except UnavailableError:
            log.warning("brief not cached (Redis down)")
        else:
            self._remember(key, dataclasses.replace(view, cached=True))
        return view

    def _shared_shape(self, words: int, max_sentences: int | None) -> bool:
        """Whether briefs of this shape go to the shared (Redis) cache.

        Only the default length and ``brief_cache_lengths``, without a sentence cap: Redis then
        holds at most that many briefs per story version, whatever readers ask for.
        """
        lengths = {self.settings.summarize.max_words, *self.settings.brief_cache_lengths}
        return max_sentences is None and words in lengths

    def _remember(self, key: str, view: BriefView) -> None:
        """Keep a cached brief in the in-process LRU (bounded by ``brief_memory_entries``)."""
        limit = self.settings.brief_memory_entries
        if limit <= 0:
            return
        self._briefs[key] = view
        self._briefs.move_to_end(key)
        while len(self._briefs) > limit:
            self._briefs.popitem(last=False)

    def brief_sources(self, story_id: str) -> list[SourceSentence]:
        """Every sentence of the story's articles, as the summariser sees them.

        Raises:
            NotFoundError: unknown id.
        """
        return self._sources(self._story_id(story_id))

    def _sources(self, story_id: str) -> list[SourceSentence]:
        out = []
        boilerplate = self.recurrence.boilerplate()
        for article in self.world.story_articles(story_id):
            for p in article.paragraphs:
                cluster = self.world.texts[p.text_id].cluster_id
                if cluster in boilerplate:
                    continue  # learned boilerplate never enters a brief
                for i, sentence in enumerate(p.sentences):
                    out.append(
                        SourceSentence(
                            sentence,
                            article.article_id,
                            article.outlet,
                            article.time,
                            p.position,
                            i,
                            cluster,
                        )
                    )
        return out

    async def health(self) -> Health:
        """Whether Redis answers and the index is complete."""
        return Health(
            redis=await self.store.ping(),
            index_vectors=len(self.index),
            texts=len(self.world.texts),
            articles=len(self.world.articles),
            stories=sum(1 for _ in self.world.live_stories()),
            adding=self._adding,
        )

    def gauges(self) -> dict[str, float]:
        """Current sizes, for /metrics."""
        w = self.world
        carried = [c for c, a in w.cluster_articles.items() if a]
        return {
            "articles": len(w.articles),
            "paragraphs": sum(len(a.paragraphs) for a in w.articles.values()),
            "texts": len(w.texts),
            "clusters": len(carried),
            "cross_outlet_clusters": sum(
                1
                for c in carried
                if w.cluster_outlet_count(c) >= 2 and c not in self.recurrence.boilerplate()
            ),
            "stories": sum(1 for _ in w.live_stories()),
            "index_vectors": len(self.index),
            "embed_calls": self.embedder.calls,
            "embed_busy_seconds": self.embedder.busy_s,
        }

    async def snapshot(self, path: Path) -> bool:
        """Write the index to ``path`` (atomically, off the event loop) if it changed."""
        if not self.take_dirty():
            return False
        await asyncio.to_thread(self.index.save, path, {"deployment": self._deployment})
        return True
