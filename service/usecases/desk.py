"""The one object the use cases share: the world, the ports and the write discipline.

Every use-case module (:mod:`~service.usecases.ingest`, :mod:`~service.usecases.stories`,
:mod:`~service.usecases.briefs`, :mod:`~service.usecases.regroup`,
:mod:`~service.usecases.lifecycle`) receives the same :class:`Desk` and nothing else; none
holds state of its own about the world. Writes are serialised by :attr:`Desk.lock` (single
writer: a plan is computed against the world and committed before the next one starts). Reads
never take the lock: the world only changes between awaits, in whole change sets.

After every change set the world applies, :meth:`Desk.applied` tells the subscribed listeners
(events, retention and other observers), in subscription order, inside the write lock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from service.adapters.batching import BatchingEmbedder
from service.domain.errors import NotFoundError, UnavailableError
from service.domain.models import ChangeSet
from service.domain.ports import Cache, Store, VectorIndex
from service.domain.world import World
from service.metrics import Metrics
from service.pipeline.recurrence import RecurrenceIndex
from service.settings import Settings

log = logging.getLogger(__name__)

# How long writes fail fast after a failed commit. Redis's own timeouts are 2 s per call: a
# 2 s window lets the next attempt find out whether it is back without queueing others.
STORE_RETRY_S = 2.0

#: A listener gets each applied change set and why it was made ("ingest" or "regroup").
Listener = Callable[[ChangeSet, str], None]


@dataclass(eq=False)
class Desk:
    """The shared state of one Wiredesk process.

    Attributes:
        settings: the configuration.
        store: the durable store (Redis).
        cache: the brief cache (Redis).
        index: the vector index over every live paragraph text.
        embedder: the micro-batching embedder.
        metrics: the Prometheus registry.
        clock: wall-clock seconds (UNIX time); tests and the stream evaluation replace it.
        world: the in-memory read model, rebuilt from the store at start.
        lock: the single-writer lock.
        recurrence: boilerplate learned from the stream (:mod:`service.pipeline.recurrence`).
        regroup_wanted: set when an unkeyed story changed since the last regrouping pass.
        touched: stories an update changed since the last pass (new articles go by seq).
        dirty: whether the index changed since the last snapshot.
        deployment: the store's deployment id, read at start.
        adding: vectors of the write in progress that may be in the index already.
        store_down_until: :func:`time.monotonic` until which writes fail fast.
    """

    settings: Settings
    store: Store
    cache: Cache
    index: VectorIndex
    embedder: BatchingEmbedder
    metrics: Metrics
    clock: Callable[[], float] = time.time
    world: World = field(init=False)
    lock: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)
    recurrence: RecurrenceIndex = field(init=False)
    regroup_wanted: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    touched: set[str] = field(init=False, default_factory=set)
    dirty: bool = field(init=False, default=False)
    deployment: str = field(init=False, default="")
    adding: int = field(init=False, default=0)
    store_down_until: float = field(init=False, default=0.0)
    _listeners: list[Listener] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.world = World(self.embedder.dim)
        self.recurrence = RecurrenceIndex(self.settings.recurrence)

    # ------------------------------------------------------------------ store breaker
    def check_store(self) -> None:
        """Fail fast while the store is known to be down (see :meth:`commit`).

        Raises:
            UnavailableError: a commit failed less than :data:`STORE_RETRY_S` ago.
        """
        if time.monotonic() < self.store_down_until:
            raise UnavailableError("Redis is unavailable (a write just failed); retry shortly")

    async def commit(self, changes: ChangeSet) -> None:
        """Commit through the store, as a circuit breaker (Nygard, *Release It!*, 2007).

        A failed commit opens the breaker for :data:`STORE_RETRY_S`: writes queued behind the
        write lock meanwhile answer 503 at once, and new ones after one bounded ping
        (:meth:`store_gate`), instead of each waiting out Redis's timeouts (a frozen Redis
        made writes wait up to 17.7 s, 4 s apiece behind the lock).

        Raises:
            UnavailableError: the breaker is open or the commit failed; nothing was stored.
        """
        self.check_store()
        try:
            await self.store.commit(changes)
        except UnavailableError:
            self.store_down_until = time.monotonic() + STORE_RETRY_S
            raise

    async def store_gate(self) -> UnavailableError | None:
        """While the breaker is open, one quick ping decides: closed again, or refuse now.

        The ping is bounded (0.5 s for Redis), so a write never waits out Redis's timeouts
        while it is known to be down, and the first write after a recovery goes through.

        Returns:
            The error to answer every item of the write with, or ``None`` to go ahead.
        """
        if time.monotonic() >= self.store_down_until:
            return None
        if await self.store.ping():
            self.store_down_until = 0.0
            return None
        self.store_down_until = time.monotonic() + STORE_RETRY_S
        return UnavailableError("Redis is unavailable (a write just failed); retry shortly")

    # ------------------------------------------------------------------ after a change
    async def invalidate(self, changes: ChangeSet) -> None:
        """Drop cached briefs of the stories a change set touched (best effort).

        The cache keys carry story versions, so a failed invalidation never serves a stale
        brief; it only leaves garbage for the TTL to collect.
        """
        try:
            await self.cache.invalidate(
                [s.story_id for s in changes.stories] + list(changes.redirects)
            )
        except UnavailableError:
            log.warning("brief cache not invalidated (Redis down); versioned keys keep it correct")

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(changes, reason)`` after each change set the world applies."""
        self._listeners.append(listener)

    def applied(self, changes: ChangeSet, reason: str) -> None:
        """Tell the listeners about a change set the world just applied.

        A failing listener is logged and skipped: observers never fail a write that is
        already committed.
        """
        for listener in self._listeners:
            try:
                listener(changes, reason)
            except Exception:
                log.exception("change listener %r failed", listener)

    # ------------------------------------------------------------------ shared reads
    def live_story_id(self, story_id: str) -> str:
        """The live story ``story_id`` names now, following merge redirects.

        Raises:
            NotFoundError: the id names no live story.
        """
        current = self.world.current_story_id(story_id)
        if current not in self.world.stories or not self.world.members.get(current):
            raise NotFoundError(f"no story with id {story_id!r}")
        return current
