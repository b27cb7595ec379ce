"""Start-up, index snapshots, health and gauges: keeping the index true to the store."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import numpy as np

from service.domain.world import World
from service.usecases.desk import Desk
from service.usecases.views import Health

log = logging.getLogger(__name__)

# Vectors compared between a loaded index snapshot and the store at start-up; 16 evenly spaced
# picks cost one Redis round trip and catch a foreign or stale snapshot (any mismatch fails).
SNAPSHOT_SPOT_CHECKS = 16
SNAPSHOT_MIN_COSINE = 0.99


class Lifecycle:
    """Loads the world, reconciles the index with the store, snapshots it, reports health."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    async def start(self) -> None:
        """Load the world from the store and make the index hold exactly its texts.

        An index loaded from a snapshot is first checked against the store
        (:meth:`distrust_snapshot`); one that fails is emptied and refilled from the store.

        Raises:
            UnavailableError: the store cannot be reached.
        """
        desk = self.desk
        snapshot = await desk.store.load()
        desk.world = World.from_snapshot(snapshot, desk.embedder.dim)
        desk.deployment = await desk.store.deployment_id()
        reason = await self.distrust_snapshot()
        if reason is not None:
            log.warning("index snapshot discarded (%s); rebuilding it from the store", reason)
            desk.index.remove(desk.index.ids())
        self.rebuild_recurrence()
        await self.reconcile_index()

    def rebuild_recurrence(self) -> None:
        """Derive the learned-boilerplate statistics from every stored article."""
        world = self.desk.world
        cluster_of = {t: r.cluster_id for t, r in world.texts.items()}
        self.desk.recurrence.rebuild(world.articles.values(), cluster_of)

    async def distrust_snapshot(self) -> str | None:
        """Why the index's contents must not be trusted, or ``None``.

        A snapshot records the deployment it belongs to (the store's
        :meth:`~service.domain.ports.Store.deployment_id`). Its ids are also checked where it
        counts: up to :data:`SNAPSHOT_SPOT_CHECKS` vectors held by both, evenly spaced over
        the ids, must equal the stored ones (cosine >= 0.99; the backends store float32
        vectors exactly). Another deployment's snapshot, or this one's after its store was
        replaced, would otherwise make near-duplicates join unrelated paragraphs.
        """
        desk = self.desk
        if len(desk.index) == 0:
            return None
        owner = desk.index.meta.get("deployment")
        if owner != desk.deployment:
            return f"it belongs to deployment {owner!r}, this store is {desk.deployment!r}"
        shared = np.intersect1d(desk.index.ids(), np.fromiter(desk.world.texts, dtype=np.int64))
        if shared.size == 0:
            return None
        picks = shared[
            np.linspace(0, shared.size - 1, min(SNAPSHOT_SPOT_CHECKS, shared.size)).astype(np.int64)
        ]
        stored = await desk.store.load_vectors(int(i) for i in picks)
        indexed = desk.index.reconstruct(picks)
        for row, text_id in enumerate(picks):
            raw = stored.get(int(text_id))
            if raw is None:
                continue
            vector = np.frombuffer(raw, dtype=np.float32)
            if float(vector @ indexed[row]) < SNAPSHOT_MIN_COSINE:
                return f"its vector of text {int(text_id)} differs from the stored one"
        return None

    async def reconcile_index(self) -> None:
        """Remove vectors of texts the world no longer has; add stored vectors it lacks."""
        desk = self.desk
        indexed = {int(i) for i in desk.index.ids()}
        live = set(desk.world.texts)
        extra = np.fromiter(sorted(indexed - live), dtype=np.int64)
        if extra.size:
            desk.index.remove(extra)
        missing = sorted(live - indexed)
        if missing:
            vectors = await desk.store.load_vectors(missing)
            lost = [i for i in missing if i not in vectors]
            if lost:
                log.error("%d texts have no stored vector; they cannot be searched", len(lost))
            have = [i for i in missing if i in vectors]
            if have:
                matrix = np.stack([np.frombuffer(vectors[i], dtype=np.float32) for i in have])
                desk.index.add(np.asarray(have, dtype=np.int64), matrix)
        if extra.size or missing:
            desk.dirty = True
            log.info("index reconciled: %d removed, %d added", extra.size, len(missing))

    def take_dirty(self) -> bool:
        """Whether the index changed since the last call (for the snapshot task)."""
        dirty, self.desk.dirty = self.desk.dirty, False
        return dirty

    async def snapshot(self, path: Path) -> bool:
        """Write the index to ``path`` (atomically, off the event loop) if it changed.

        Returns:
            Whether a snapshot was written.

        Raises:
            OSError: the file could not be written (the index stays dirty only in memory).
        """
        if not self.take_dirty():
            return False
        await asyncio.to_thread(self.desk.index.save, path, {"deployment": self.desk.deployment})
        return True

    async def health(self) -> Health:
        """Whether Redis answers and the index is complete."""
        desk = self.desk
        return Health(
            redis=await desk.store.ping(),
            index_vectors=len(desk.index),
            texts=len(desk.world.texts),
            articles=len(desk.world.articles),
            stories=desk.world.live_story_count(),
            adding=desk.adding,
        )

    def gauges(self) -> dict[str, float]:
        """Current sizes, for /metrics (counts; ``embed_busy_seconds`` in seconds).

        Every figure is a count the world maintains: O(boilerplate clusters), not O(world).
        """
        desk = self.desk
        w = desk.world
        boilerplate = desk.recurrence.boilerplate()
        return {
            "articles": len(w.articles),
            "paragraphs": w.paragraph_count,
            "texts": len(w.texts),
            "clusters": w.carried_cluster_count(),
            "cross_outlet_clusters": w.carried_cluster_count(2)
            - sum(1 for c in boilerplate if w.cluster_outlet_count(c) >= 2),
            "stories": w.live_story_count(),
            "index_vectors": len(desk.index),
            "embed_calls": desk.embedder.calls,
            "embed_busy_seconds": desk.embedder.busy_s,
        }
