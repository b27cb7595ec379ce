"""An index that is exact while small and switches itself to HNSW when it grows."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import NDArray

from indexes.base import Blobs, VectorIndex, config_from_options
from indexes.errors import IndexFileError
from indexes.faiss_base import COPY_BATCH
from indexes.faiss_flat import FaissFlatConfig, FaissFlatIndex
from indexes.faiss_hnsw import FaissHNSWConfig, FaissHNSWIndex

__all__ = ["AutoConfig", "AutoIndex"]


@dataclass(frozen=True, slots=True)
class AutoConfig:
    """Options of :class:`AutoIndex`.

    Attributes:
        switch_at: Convert from exact flat search to HNSW once the index holds more than
            this many vectors. Exact search costs O(n) per query: ~8 ms per single query
            at 100k vectors of dim 384 measured on 2 cores (faiss 1.15), so ~16 ms at 200k
            (the service's sizing note says ~13 ms at 100k), while HNSW is estimated at
            ~0.5 ms per query at a million vectors. 200_000 keeps small deployments exact
            and bounds flat-search latency to tens of milliseconds.
        flat: Options of the flat index used below ``switch_at``.
        hnsw: Options of the HNSW index used after the switch.
    """

    switch_at: int = 200_000
    flat: FaissFlatConfig = field(default_factory=FaissFlatConfig)
    hnsw: FaissHNSWConfig = field(default_factory=FaissHNSWConfig)

    def __post_init__(self) -> None:
        if self.switch_at < 0:
            raise ValueError(f"switch_at must be >= 0, got {self.switch_at}")


class AutoIndex(VectorIndex):
    """Starts as :class:`FaissFlatIndex`; becomes :class:`FaissHNSWIndex` past ``switch_at``.

    The conversion happens once, inside the :meth:`add` call that takes the size above
    ``switch_at``: every live vector is copied into a new HNSW graph (in batches), which
    holds the lock for the whole build (minutes at 200k vectors of dim 384), so other
    callers wait. The index never converts back, even if removals shrink it (this avoids
    flapping around the threshold). Until the switch results are exact.
    """

    kind: ClassVar[str] = "auto"

    def __init__(self, dim: int, config: AutoConfig | None = None) -> None:
        super().__init__(dim)
        self._config = config if config is not None else AutoConfig()
        # The wrapped index is private: every access goes through this object's lock.
        self._inner: FaissFlatIndex | FaissHNSWIndex = FaissFlatIndex(dim, self._config.flat)

    @classmethod
    def from_options(cls, dim: int, **options: Any) -> Self:
        """Create an empty index.

        Options: ``switch_at``, plus any field of :class:`FaissFlatConfig` (applied to the
        flat stage) or :class:`FaissHNSWConfig` (applied to the HNSW stage).
        """
        flat_names = {f.name for f in dataclasses.fields(FaissFlatConfig)}
        hnsw_names = {f.name for f in dataclasses.fields(FaissHNSWConfig)}
        flat = {key: value for key, value in options.items() if key in flat_names}
        hnsw = {key: value for key, value in options.items() if key in hnsw_names}
        rest = {key: value for key, value in options.items() if key not in flat | hnsw}
        if "flat" in rest or "hnsw" in rest:
            raise ValueError("pass flat/hnsw options by field name, e.g. ef_search=64")
        top = config_from_options(AutoConfig, cls.kind, rest)
        return cls(
            dim,
            AutoConfig(
                switch_at=top.switch_at,
                flat=FaissFlatConfig(**flat),
                hnsw=FaissHNSWConfig(**hnsw),
            ),
        )

    @property
    def config(self) -> AutoConfig:
        """The index's options."""
        return self._config

    @property
    def active_kind(self) -> str:
        """Kind of the wrapped index now: ``"flat"`` before the switch, ``"hnsw"`` after."""
        with self._lock:
            return self._inner.kind

    def _add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        self._inner.add(ids, vectors)
        if isinstance(self._inner, FaissFlatIndex) and len(self._inner) > self._config.switch_at:
            self._convert()

    def _convert(self) -> None:
        hnsw = FaissHNSWIndex(self.dim, self._config.hnsw)
        ids = self._inner.ids()
        for start in range(0, ids.size, COPY_BATCH):
            chunk = ids[start : start + COPY_BATCH]
            hnsw.add(chunk, self._inner.reconstruct(chunk))
        self._inner = hnsw

    def _remove(self, ids: NDArray[np.int64]) -> None:
        self._inner.remove(ids)

    # Search and reconstruction call the wrapped index's hooks directly: the arguments are
    # already validated, and this object's _rank re-scores the candidates once.
    def _search(self, queries: NDArray[np.float32], fetch: int) -> NDArray[np.int64]:
        return self._inner._search(queries, fetch)

    def _reconstruct(self, ids: NDArray[np.int64]) -> NDArray[np.float32]:
        return self._inner._reconstruct(ids)

    def _memory_bytes(self) -> int:
        return self._inner.memory_bytes()

    def _dump(self) -> tuple[dict[str, Any], Blobs]:
        state = {
            "switch_at": self._config.switch_at,
            "flat": dataclasses.asdict(self._config.flat),
            "hnsw": dataclasses.asdict(self._config.hnsw),
            "active": self._inner.kind,
        }
        return state, {"inner": memoryview(self._inner.to_bytes())}

    @classmethod
    def _restore(
        cls, dim: int, state: Mapping[str, Any], blobs: Mapping[str, memoryview]
    ) -> tuple[Self, NDArray[np.int64]]:
        config = AutoConfig(
            switch_at=state["switch_at"],
            flat=FaissFlatConfig(**state["flat"]),
            hnsw=FaissHNSWConfig(**state["hnsw"]),
        )
        index = cls(dim, config)
        inner: FaissFlatIndex | FaissHNSWIndex
        if state["active"] == FaissFlatIndex.kind:
            inner = FaissFlatIndex.from_bytes(blobs["inner"])
        elif state["active"] == FaissHNSWIndex.kind:
            inner = FaissHNSWIndex.from_bytes(blobs["inner"])
        else:
            raise IndexFileError(f"auto index: unknown active kind {state['active']!r}")
        if inner.dim != dim:
            raise IndexFileError(f"auto index: wrapped index has dim {inner.dim}, not {dim}")
        index._inner = inner
        return index, inner.ids()
