"""Writes: articles in, change sets committed, the world and the index updated.

The expensive part, embedding, happens before the write lock and is shared across concurrent
requests by the micro-batcher; the plan (:func:`service.ingest.plan`) and its commit run under
:attr:`~service.usecases.desk.Desk.lock`, one article at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from service.domain.errors import InvalidInputError, WiredeskError
from service.domain.models import Article, ArticleInput, ChangeSet
from service.ingest import Outcome, PreparedArticle, new_fingerprints, plan, prepare
from service.lineage import finalise
from service.pipeline.dedup import Neighbour
from service.usecases.desk import Desk


@dataclass(slots=True)
class _Pending:
    prepared: PreparedArticle | None
    error: WiredeskError | None = None
    outcome: Outcome | None = None


class Ingest:
    """Ingests articles one by one or in batches (see module docstring)."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

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
        desk = self.desk
        gate = await desk.store_gate()
        with desk.metrics.time("split"):
            items = [self._prepare(article, gate) for article in articles]

        # Embed every text the world has not seen, once, before taking the write lock.
        wanted: dict[str, str] = {}
        for item in items:
            if item.prepared is not None:
                for fp, text in new_fingerprints(desk.world, item.prepared):
                    wanted.setdefault(fp, text)
        vectors: dict[str, np.ndarray] = {}
        if wanted:
            with desk.metrics.time("embed"):
                matrix = await desk.embedder.encode(list(wanted.values()))
            vectors = dict(zip(wanted, matrix, strict=True))

        async with desk.lock:
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
                desk.metrics.articles.labels(item.outcome.status).inc()
            else:
                assert item.error is not None
                out.append(item.error)
                desk.metrics.rejected.labels(type(item.error).__name__).inc()
        return out

    def _prepare(
        self, article: ArticleInput | WiredeskError, refused: WiredeskError | None = None
    ) -> _Pending:
        if isinstance(article, WiredeskError):
            return _Pending(None, article)
        if refused is not None:  # before spending model time on an article that cannot commit
            return _Pending(None, refused)
        settings = self.desk.settings
        try:
            prepared = prepare(article, settings.split, settings.language)
        except InvalidInputError as exc:
            return _Pending(None, exc)
        limit = settings.max_paragraphs
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
        desk = self.desk
        world = desk.world
        settings = desk.settings
        new = new_fingerprints(world, prepared)
        missing = [text for fp, text in new if fp not in vectors]
        if missing:  # texts another request forgot meanwhile cannot happen; embed defensively
            extra = await desk.embedder.encode(missing)
            vectors.update(zip((fp for fp, _ in new if fp not in vectors), extra, strict=True))
        neighbours: dict[str, list[Neighbour]] = {}
        if new and len(desk.index):
            with desk.metrics.time("search"):
                queries = np.stack([vectors[fp] for fp, _ in new]).astype(np.float32)
                hits = await asyncio.to_thread(desk.index.search, queries, settings.neighbours)
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
                desk.index.reconstruct, np.asarray(known_ids, dtype=np.int64)
            )
            known = dict(zip(known_ids, rows, strict=True))
        now = desk.clock()
        with desk.metrics.time("plan"):
            changes, outcome = plan(
                world,
                prepared,
                {fp: vectors[fp] for fp, _ in new},
                neighbours,
                known,
                now,
                settings.dedup,
                settings.group,
                desk.recurrence,
            )
            changes = finalise(world, changes, outcome.reason, now, settings.title)
        if not changes.articles:
            return outcome
        previous = {
            a.article_id: world.articles[a.article_id]
            for a in changes.articles
            if a.article_id in world.articles
        }
        with desk.metrics.time("commit"):
            await desk.commit(changes)
        await self._apply(changes)
        self._learn(changes, previous)
        if outcome.status == "updated":
            desk.touched.add(outcome.story_id)
        desk.metrics.embedded.inc(len(changes.texts))
        desk.metrics.reused.inc(len(prepared.paragraphs) - len(changes.texts))
        desk.metrics.merges.inc(len(changes.redirects))
        desk.applied(changes, "ingest")
        await desk.invalidate(changes)
        if prepared.source.story_key is None and settings.regroup.enabled:
            desk.regroup_wanted.set()
        return outcome

    async def _apply(self, changes: ChangeSet) -> None:
        """Add a committed change set's new vectors to the index, then apply it to the world.

        FAISS work runs in a worker thread (the event loop never waits for the index's lock,
        which a snapshot or an HNSW build may hold); the world learns the texts right after,
        with no await in between, so readers see both or neither.
        """
        desk = self.desk
        if not changes.texts:
            desk.world.apply(changes)
            return
        ids = np.asarray([t.text_id for t in changes.texts], dtype=np.int64)
        matrix = np.stack([np.frombuffer(changes.vectors[int(i)], dtype=np.float32) for i in ids])
        desk.adding = len(ids)
        try:
            with desk.metrics.time("index_add"):
                await asyncio.to_thread(desk.index.add, ids, matrix)
        finally:
            desk.world.apply(changes)
            desk.adding = 0
        desk.dirty = True

    def _learn(self, changes: ChangeSet, previous: dict[str, Article]) -> None:
        """Update the recurrence statistics with stored articles (after ``world.apply``)."""
        world = self.desk.world
        recurrence = self.desk.recurrence
        for article in changes.articles:
            old = previous.get(article.article_id)
            if old is not None:
                recurrence.remove(old.article_id)
            recurrence.add(article, [world.texts[p.text_id].cluster_id for p in article.paragraphs])
