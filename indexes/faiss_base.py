"""Shared plumbing for backends built on ``faiss.IndexIDMap2`` (flat and HNSW)."""

from __future__ import annotations

import dataclasses
from abc import abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final, Self

import faiss
import numpy as np
from numpy.typing import NDArray

from indexes.base import Blobs, VectorIndex
from indexes.errors import IndexFileError

__all__ = ["SINGLE_THREAD_BELOW", "FaissIDMapIndex", "search_threads"]

# Estimated bytes per entry of IndexIDMap2's id->position std::unordered_map (libstdc++):
# a 24-byte node (next pointer + key + value) rounded up by malloc to 32, plus one 8-byte
# bucket pointer at load factor 1.
_REV_MAP_BYTES_PER_ID: Final = 40
# Vectors reconstructed per batch when copying an index into a new one (rebuilds,
# conversions): 65536 x 384 x 4 bytes = 96 MiB at dim 384.
COPY_BATCH: Final = 65_536
# Searches with fewer queries than this run on one OpenMP thread. faiss parallelises a
# search with OpenMP, whose threads spin and wait at barriers: on a 2-core machine shared
# with the model (torch) and other processes, that cost far more than it saved. Measured
# here under load (faiss 1.15, dim 384): one HNSW query over 10k vectors took 16 ms p50
# with 2 threads and 1.2 ms with 1; ten flat queries over 100k vectors 2.9 s vs 0.18 s.
SINGLE_THREAD_BELOW: Final = 64


@contextmanager
def search_threads(queries: int) -> Iterator[None]:
    """Run the enclosed faiss search on one OpenMP thread when ``queries`` is small.

    ``omp_set_num_threads`` sets the calling thread's own OpenMP setting, so other threads
    (the model's, a background HNSW build) keep theirs; the previous value is restored.
    """
    if queries >= SINGLE_THREAD_BELOW:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


class FaissIDMapIndex(VectorIndex):
    """Abstract backend around ``faiss.IndexIDMap2(<inner faiss index>)``.

    ``IndexIDMap2`` maps our int64 ids to faiss's sequential positions and keeps a reverse
    map, so ``reconstruct`` by id works. This class implements adding, reconstruction and
    (de)serialisation (``faiss.serialize_index``, a fast in-memory copy); subclasses build
    the inner index from their Config and implement search, removal and memory estimates.
    """

    def __init__(self, dim: int) -> None:
        super().__init__(dim)
        self._index: Any = self._new_faiss_index()

    @property
    @abstractmethod
    def config(self) -> Any:
        """The backend's frozen Config dataclass (stored in serialised indexes)."""

    @abstractmethod
    def _new_faiss_index(self) -> Any:
        """A new, empty ``faiss.IndexIDMap2`` configured from :attr:`config`."""

    @classmethod
    @abstractmethod
    def _from_config_state(cls, dim: int, config_state: Mapping[str, Any]) -> Self:
        """An empty instance whose Config is rebuilt from ``dataclasses.asdict`` output."""

    def _attach(self, index: Any) -> None:
        """Adopt a deserialised ``IndexIDMap2``; subclasses re-apply runtime settings."""
        self._index = index

    def _add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        self._index.add_with_ids(vectors, ids)

    def _reconstruct(self, ids: NDArray[np.int64]) -> NDArray[np.float32]:
        return np.asarray(self._index.reconstruct_batch(ids), dtype=np.float32)

    def _labels(self) -> NDArray[np.int64]:
        """Writable view of ``IndexIDMap2.id_map``: the id stored at each faiss position."""
        id_map = self._index.id_map
        if id_map.size() == 0:
            return np.empty(0, dtype=np.int64)
        return np.asarray(faiss.rev_swig_ptr(id_map.data(), id_map.size()), dtype=np.int64)

    def _id_map_bytes(self) -> int:
        """Estimated bytes of the id map and its reverse hash map."""
        return int(self._index.ntotal) * (8 + _REV_MAP_BYTES_PER_ID)

    def _dump(self) -> tuple[dict[str, Any], Blobs]:
        payload = faiss.serialize_index(self._index)  # a fresh uint8 array (memcpy)
        return {"config": dataclasses.asdict(self.config)}, {"faiss": payload.data}

    @classmethod
    def _restore(
        cls, dim: int, state: Mapping[str, Any], blobs: Mapping[str, memoryview]
    ) -> tuple[Self, NDArray[np.int64]]:
        instance = cls._from_config_state(dim, state["config"])
        try:
            index = faiss.deserialize_index(np.frombuffer(blobs["faiss"], dtype=np.uint8))
        except RuntimeError as exc:  # faiss reports every read error as RuntimeError
            raise IndexFileError(f"{cls.kind} index: faiss cannot read payload: {exc}") from exc
        if not isinstance(index, faiss.IndexIDMap2) or index.d != dim:
            raise IndexFileError(f"{cls.kind} index: payload is not an IndexIDMap2 of dim {dim}")
        instance._attach(index)
        labels = instance._labels()
        return instance, labels[labels >= 0].copy()
