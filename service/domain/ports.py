"""Ports: what the use cases need from the outside world, as Protocols.

Each port has a real adapter and an in-memory fake in :mod:`service.adapters`; both are tested
against the same expectations.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from service.domain.feeds import Feed, FeedState
from service.domain.models import ChangeSet, Snapshot
from service.domain.webhooks import DeliveryAttempt, Webhook


class Embedder(Protocol):
    """Turns texts into unit-normalised vectors."""

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embed ``texts``.

        Returns:
            float32 array of shape ``(len(texts), dim)``, each row of unit L2 norm, row ``i``
            for ``texts[i]``. An empty input gives shape ``(0, dim)``.
        """
        ...


class SearchHits(Protocol):
    """Nearest-neighbour results: ``ids``/``scores`` of shape ``(queries, k)``, padded -1/-inf."""

    @property
    def ids(self) -> NDArray[np.int64]:
        """Neighbour ids, best first."""
        ...

    @property
    def scores(self) -> NDArray[np.float32]:
        """Inner products (cosines for unit vectors), descending."""
        ...


class VectorIndex(Protocol):
    """Inner-product nearest-neighbour index over int64 ids (implemented by ``indexes/``)."""

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    def __len__(self) -> int:
        """Live vectors."""
        ...

    def add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        """Add new ids with their vectors (raises ValueError on a present id)."""
        ...

    def remove(self, ids: NDArray[np.int64]) -> int:
        """Remove ids; unknown ids are ignored. Returns how many were removed."""
        ...

    def search(self, queries: NDArray[np.float32], k: int) -> SearchHits:
        """The ``k`` best ids per query row."""
        ...

    def reconstruct(self, ids: NDArray[np.int64]) -> NDArray[np.float32]:
        """Stored vectors of ``ids`` (KeyError on an unknown id)."""
        ...

    def ids(self) -> NDArray[np.int64]:
        """Live ids, ascending."""
        ...

    def to_bytes(self, meta: Mapping[str, Any] | None = None) -> bytes:
        """A consistent serialised snapshot, with the owner's ``meta`` in its header."""
        ...

    def save(self, path: str | os.PathLike[str], meta: Mapping[str, Any] | None = None) -> None:
        """Write :meth:`to_bytes` atomically to ``path``."""
        ...

    @property
    def meta(self) -> dict[str, Any]:
        """The owner's facts recorded by the last save, or found by the load (else empty)."""
        ...


class Store(Protocol):
    """Durable storage of everything acknowledged (Redis in production).

    Every method raises :class:`service.domain.errors.UnavailableError` when the backend cannot
    be reached; a failed :meth:`commit` changes nothing.
    """

    async def commit(self, changes: ChangeSet) -> None:
        """Persist ``changes`` atomically: all of it or none of it."""
        ...

    async def load(self) -> Snapshot:
        """Everything stored (without vectors)."""
        ...

    async def load_vectors(self, text_ids: Iterable[int]) -> Mapping[int, bytes]:
        """Vector bytes of the given texts; missing ids are absent from the result."""
        ...

    async def ping(self) -> bool:
        """Whether the backend answers."""
        ...

    async def deployment_id(self) -> str:
        """This store's identity: made once (random) at first use, the same ever after.

        Files derived from the store (the index snapshot) carry it, so a file of another
        deployment is recognised and not trusted.
        """
        ...


class Cache(Protocol):
    """A byte cache for briefs (Redis in production).

    Implementations raise :class:`service.domain.errors.UnavailableError` when unreachable.
    """

    async def get(self, key: str) -> bytes | None:
        """The value under ``key``, or ``None``."""
        ...

    async def put(self, key: str, value: bytes, *, ttl_s: int, tag: str) -> None:
        """Store ``value`` for ``ttl_s`` seconds, remembering it under ``tag``."""
        ...

    async def invalidate(self, tags: Iterable[str]) -> int:
        """Drop every value stored under these tags; returns how many were dropped."""
        ...


class FeedRegistry(Protocol):
    """Registered feeds, their poll state and the item keys each has seen (Redis in production).

    Seen keys are bounded: a feed keeps the newest ``keep`` keys it was told of (older ones
    fall out first), so a feed's memory does not grow with its age. Implementations raise
    :class:`service.domain.errors.UnavailableError` when the backend cannot be reached.
    """

    async def add(
        self, url: str, outlet: str | None, interval_s: int, now: float
    ) -> tuple[Feed, bool]:
        """Register a feed under its (canonical) ``url``, due at once.

        Returns:
            The feed and ``True``; or, when ``url`` is already registered, the existing feed
            (unchanged) and ``False``.
        """
        ...

    async def get(self, feed_id: str) -> Feed | None:
        """The feed, or ``None``."""
        ...

    async def feeds(self) -> list[Feed]:
        """Every feed, oldest registration first."""
        ...

    async def remove(self, feed_id: str) -> bool:
        """Forget a feed, its state and its seen keys; ``False`` when there was none."""
        ...

    async def state(self, feed_id: str) -> FeedState:
        """The feed's state (a fresh :class:`FeedState` when none was saved)."""
        ...

    async def save_state(self, feed_id: str, state: FeedState) -> None:
        """Replace the feed's state; a feed removed meanwhile stays removed."""
        ...

    async def seen(self, feed_id: str, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` the feed has seen."""
        ...

    async def mark_seen(self, feed_id: str, keys: Sequence[str], keep: int) -> None:
        """Remember ``keys`` as seen (newest), keeping the newest ``keep`` keys of the feed."""
        ...

    async def lease(self, owner: str, ttl_s: float) -> bool:
        """Take or renew the deployment's poller lease for ``ttl_s`` seconds.

        Returns:
            ``True`` when ``owner`` holds the lease now (it was free, expired, or already
            ``owner``'s); ``False`` while another owner holds it.
        """
        ...

    async def release(self, owner: str) -> None:
        """Give the lease up, if ``owner`` holds it."""
        ...


class WebhookStore(Protocol):
    """Webhook subscriptions and their delivery logs (Redis in production).

    Every method raises :class:`service.domain.errors.UnavailableError` when the backend cannot
    be reached.
    """

    async def add(self, webhook: Webhook) -> None:
        """Keep a new subscription."""
        ...

    async def remove(self, webhook_id: str) -> bool:
        """Drop a subscription and its log; ``False`` when there was none."""
        ...

    async def all(self) -> list[Webhook]:
        """Every subscription, oldest first (``created_at``, then id)."""
        ...

    async def record(self, webhook_id: str, attempt: DeliveryAttempt, keep: int) -> None:
        """Log a delivery attempt, keeping the newest ``keep`` of the subscription's."""
        ...

    async def deliveries(self, webhook_id: str, limit: int) -> list[DeliveryAttempt]:
        """The subscription's newest ``limit`` logged attempts, newest first."""
        ...
