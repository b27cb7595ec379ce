"""A time-partitioned index: one shard per time bucket, searched together, dropped whole.

A stream of news keeps a window of weeks live; older vectors must leave. Removing them one by
one from one big approximate index leaves tombstones and forces rebuilds of the whole graph.
:class:`ShardedIndex` instead keeps one inner index (any kind of this library) per time
bucket of ``bucket_s`` seconds (a day, a week):

* **writes** go to the newest shard, the one of the index's clock's current bucket (a new
  shard starts when the clock enters a new bucket, or when the newest holds
  ``shard_capacity`` vectors);
* **search** asks every shard for its best candidates and merges them (the base class then
  re-scores and orders them exactly as for any backend);
* **retention** drops whole shards: :meth:`ShardedIndex.drop_before` (or the clock moving
  past ``window_s``, see :meth:`ShardedIndex.advance`) discards every shard whose bucket
  ended, in O(shard) time and with no rebuild of what stays;
* **remove by id** still works: the shard holding the id removes it (and an emptied shard
  that no longer takes writes is dropped).

The clock: by default the wall clock (``time.time()``), moved forward, never back, by
:meth:`ShardedIndex.advance` for callers that run on event time (an ingest of old articles, a
simulation). With ``clock="manual"`` only :meth:`ShardedIndex.advance` moves it (it starts at
0, the epoch).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Literal, Self

import numpy as np
from numpy.typing import NDArray

from indexes.base import Blobs, VectorIndex, config_from_options
from indexes.errors import IndexFileError

__all__ = ["ShardedConfig", "ShardedIndex"]

_DAY_S: Final = 86_400
# Kinds a shard may be; "sharded" itself is excluded (no shards of shards).
_SHARD_KINDS: Final = ("numpy", "flat", "hnsw", "auto")


@dataclass(frozen=True, slots=True)
class ShardedConfig:
    """Options of :class:`ShardedIndex`.

    Attributes:
        shard_kind: kind of every shard (``numpy``, ``flat``, ``hnsw`` or ``auto``). ``hnsw``:
            on 29,668 real paragraph vectors (one shard of a mid-size newsroom's week; see
            docs/PERFORMANCE.md, ``python -m bench shards``), HNSW M=32 with efSearch 128
            kept recall@10 >= 0.98 at a fraction of a millisecond per query, where exact
            search costs O(shard) per query and the IVF variants needed most of their lists
            probed to reach the bar.
        shard_options: options of each shard (:func:`indexes.factory.create_index` keyword
            arguments for ``shard_kind``), e.g. ``{"ef_search": 64}``.
        bucket_s: length of one time bucket in seconds; one shard per bucket. 7 days
            (604,800): with a 30-day window a search visits 5-6 shards, each with its own
            per-query overhead (a day per shard would mean 30), while retention still
            frees memory a week at a time.
        window_s: vectors older than this (by the bucket their shard was written in) are
            dropped by :meth:`ShardedIndex.advance`; ``None`` (the default) keeps every
            shard until :meth:`ShardedIndex.drop_before` is called. A shard is dropped only
            once its whole bucket is older than the window, so up to ``window_s + bucket_s``
            of vectors are live.
        shard_capacity: the newest shard takes at most this many vectors; the next write
            starts a new shard even within the same bucket. This bounds a shard's size, so
            the per-shard recall measured at that size holds however fast the stream is.
            ``None``: no bound.
        clock: ``"wall"`` (the clock is the later of ``time.time()`` and the last
            :meth:`ShardedIndex.advance`) or ``"manual"`` (only ``advance`` moves it).
    """

    shard_kind: str = "hnsw"
    shard_options: Mapping[str, Any] = field(default_factory=dict)
    bucket_s: float = 7 * _DAY_S
    window_s: float | None = None
    shard_capacity: int | None = None
    clock: Literal["wall", "manual"] = "wall"

    def __post_init__(self) -> None:
        if self.shard_kind not in _SHARD_KINDS:
            raise ValueError(
                f"shard_kind must be one of {', '.join(_SHARD_KINDS)}, got {self.shard_kind!r}"
            )
        if not (isinstance(self.bucket_s, int | float) and self.bucket_s > 0):
            raise ValueError(f"bucket_s must be > 0 seconds, got {self.bucket_s!r}")
        if self.window_s is not None and not self.window_s > 0:
            raise ValueError(f"window_s must be > 0 seconds or None, got {self.window_s!r}")
        if self.shard_capacity is not None and self.shard_capacity < 1:
            raise ValueError(f"shard_capacity must be >= 1 or None, got {self.shard_capacity}")
        if self.clock not in ("wall", "manual"):
            raise ValueError(f"clock must be 'wall' or 'manual', got {self.clock!r}")


@dataclass(slots=True)
class _Shard:
    """One shard: its bucket number (``floor(time / bucket_s)``) and its index."""

    bucket: int
    index: VectorIndex


class ShardedIndex(VectorIndex):
    """Time-bucketed shards of any backend, searched together (see the module docstring).

    The shards are private: every access goes through this object's lock. Search cost is
    the sum of the shards' (a few shards of HNSW: a few hundred microseconds each per
    query); memory is the sum of theirs plus a few dozen bytes per shard.
    """

    kind: ClassVar[str] = "sharded"

    def __init__(self, dim: int, config: ShardedConfig | None = None) -> None:
        super().__init__(dim)
        self._config = config if config is not None else ShardedConfig()
        self._shards: list[_Shard] = []  # oldest first; the last one takes writes
        self._advanced = 0.0  # the latest time given to advance(), seconds since the epoch
        self._new_shard()  # reject bad shard options now, not at the first add

    @classmethod
    def from_options(cls, dim: int, **options: Any) -> Self:
        """Create an empty index; options are the fields of :class:`ShardedConfig`.

        Raises:
            ValueError: unknown option, invalid value, or shard options the shard kind
                rejects.
        """
        return cls(dim, config_from_options(ShardedConfig, cls.kind, options))

    @property
    def config(self) -> ShardedConfig:
        """The index's options."""
        return self._config

    # ----------------------------------------------------------------- time

    def now(self) -> float:
        """The index's clock, seconds since the epoch (see the module docstring)."""
        if self._config.clock == "manual":
            return self._advanced
        return max(self._advanced, time.time())

    def bucket_of(self, t: float) -> int:
        """The bucket number of time ``t`` (seconds since the epoch)."""
        return math.floor(t / self._config.bucket_s)

    def shard_info(self) -> list[tuple[float, int]]:
        """Each shard's bucket start time (seconds since the epoch) and size, oldest first."""
        with self._lock:
            return [(s.bucket * self._config.bucket_s, len(s.index)) for s in self._shards]

    def advance(self, t: float) -> NDArray[np.int64]:
        """Move the clock forward to ``t`` (never back) and apply the retention window.

        Args:
            t: seconds since the epoch, e.g. the publication time of the article being
                ingested.

        Returns:
            The ids dropped because their shard left the window (sorted; empty without a
            ``window_s``).
        """
        if not math.isfinite(t):
            raise ValueError(f"time must be finite, got {t!r}")
        with self._lock:
            self._advanced = max(self._advanced, float(t))
        if self._config.window_s is None:
            return np.empty(0, dtype=np.int64)
        return self.drop_before(self.now() - self._config.window_s)

    def drop_before(self, t: float) -> NDArray[np.int64]:
        """Drop every shard whose bucket ended at or before time ``t``.

        Whole shards go (O(shard) work, no rebuild of the others). The newest shard is
        dropped too when its bucket ended; the next write starts a fresh one. Waits for a
        snapshot in progress (:meth:`to_bytes`, :meth:`save`) to finish serialising.

        Args:
            t: seconds since the epoch.

        Returns:
            The ids dropped, sorted ascending.
        """
        bucket_s = self._config.bucket_s
        with self._snapshot_lock, self._lock:
            doomed = [s for s in self._shards if (s.bucket + 1) * bucket_s <= t]
            if not doomed:
                return np.empty(0, dtype=np.int64)
            self._shards = [s for s in self._shards if (s.bucket + 1) * bucket_s > t]
            dropped = np.sort(np.concatenate([s.index.ids() for s in doomed]))
            self._live = np.delete(self._live, np.searchsorted(self._live, dropped))
            return dropped

    # ----------------------------------------------------------------- hooks

    def _new_shard(self) -> VectorIndex:
        from indexes.factory import create_index  # the factory imports this module

        return create_index(self._config.shard_kind, self.dim, **self._config.shard_options)

    def _writable(self) -> _Shard:
        """The shard that takes the next write, started if needed (caller holds the lock)."""
        bucket = self.bucket_of(self.now())
        capacity = self._config.shard_capacity
        if self._shards:
            newest = self._shards[-1]
            full = capacity is not None and len(newest.index) >= capacity
            if newest.bucket >= bucket and not full:
                return newest
            # The clock never goes back, so a newer bucket only exists by capacity rolls.
            bucket = max(bucket, newest.bucket)
        shard = _Shard(bucket, self._new_shard())
        self._shards.append(shard)
        return shard

    def _add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        start = 0
        while start < ids.size:
            shard = self._writable()
            room = ids.size - start
            if self._config.shard_capacity is not None:
                room = min(room, self._config.shard_capacity - len(shard.index))
            shard.index.add(ids[start : start + room], vectors[start : start + room])
            start += room

    def _remove(self, ids: NDArray[np.int64]) -> None:
        kept: list[_Shard] = []
        for position, shard in enumerate(self._shards):
            mine = ids[shard.index._is_live(ids)]
            if mine.size:
                shard.index.remove(mine)
            newest = position == len(self._shards) - 1
            if len(shard.index) or newest:
                kept.append(shard)
        self._shards = kept

    def _search(self, queries: NDArray[np.float32], fetch: int) -> NDArray[np.int64]:
        m = queries.shape[0]
        ids_parts: list[NDArray[np.int64]] = []
        score_parts: list[NDArray[np.float32]] = []
        for shard in self._shards:
            size = len(shard.index)
            if size == 0:
                continue
            # Each shard's best min(fetch, size): the global best `fetch` are among them.
            result = shard.index.search(queries, min(fetch, size))
            ids_parts.append(result.ids)
            score_parts.append(result.scores)
        if not ids_parts:
            return np.full((m, fetch), -1, dtype=np.int64)
        ids = np.concatenate(ids_parts, axis=1)
        scores = np.concatenate(score_parts, axis=1)
        if ids.shape[1] > fetch:
            top = np.argpartition(-scores, fetch - 1, axis=1)[:, :fetch]
            ids = np.take_along_axis(ids, top, axis=1)
        elif ids.shape[1] < fetch:
            pad = np.full((m, fetch - ids.shape[1]), -1, dtype=np.int64)
            ids = np.concatenate([ids, pad], axis=1)
        return np.ascontiguousarray(ids)

    def _reconstruct(self, ids: NDArray[np.int64]) -> NDArray[np.float32]:
        out = np.empty((ids.size, self.dim), dtype=np.float32)
        for shard in self._shards:
            mine = shard.index._is_live(ids)
            if mine.any():
                out[mine] = shard.index.reconstruct(ids[mine])
        return out

    def _memory_bytes(self) -> int:
        return sum(s.index.memory_bytes() for s in self._shards)

    def _dump(self) -> tuple[dict[str, Any], Blobs]:
        # Runs without this object's lock while writes go to the overlay (VectorIndex._encode);
        # drop_before waits on the snapshot lock, so the shard list cannot change meanwhile.
        shards = list(self._shards)
        state = {
            "config": {
                **dataclasses.asdict(self._config),
                "shard_options": dict(self._config.shard_options),
            },
            "advanced": self._advanced,
            "buckets": [s.bucket for s in shards],
        }
        blobs = {f"shard-{i}": memoryview(s.index.to_bytes()) for i, s in enumerate(shards)}
        return state, blobs

    @classmethod
    def _restore(
        cls, dim: int, state: Mapping[str, Any], blobs: Mapping[str, memoryview]
    ) -> tuple[Self, NDArray[np.int64]]:
        from indexes.factory import index_from_bytes

        config = ShardedConfig(**state["config"])
        index = cls(dim, config)
        index._advanced = float(state["advanced"])
        buckets = state["buckets"]
        if not isinstance(buckets, list) or len(buckets) != len(blobs):
            raise IndexFileError("sharded index: bucket list does not match the shard blobs")
        shards: list[_Shard] = []
        for i, bucket in enumerate(buckets):
            shard = index_from_bytes(blobs[f"shard-{i}"])
            if shard.dim != dim or shard.kind != config.shard_kind:
                raise IndexFileError(f"sharded index: shard {i} is not a {config.shard_kind}")
            shards.append(_Shard(int(bucket), shard))
        index._shards = shards
        ids = [s.index.ids() for s in shards]
        return index, np.concatenate(ids) if ids else np.empty(0, dtype=np.int64)
