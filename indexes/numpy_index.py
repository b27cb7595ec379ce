"""Exact brute-force index in plain NumPy: the reference oracle for the other backends."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final, Self

import numpy as np
from numpy.typing import NDArray

from indexes.base import Blobs, VectorIndex
from indexes.errors import IndexFileError

__all__ = ["NumpyIndex"]

# Queries are scored in blocks so that one block's (queries x stored) score matrix stays
# below 2**24 float32 values (64 MiB) however many vectors are stored.
_MAX_SCORES_PER_BLOCK: Final = 1 << 24


class NumpyIndex(VectorIndex):
    """Exact inner-product search by one matrix product over all stored vectors.

    Storage is a growable ``(capacity, dim)`` ``float32`` array (capacity doubles when
    full, so adds are amortised O(n)) plus a parallel ``int64`` id array; removal compacts
    both with a boolean mask. Search is O(m * n * dim). Simple and obviously correct, it is
    the oracle the contract tests compare every other backend against.
    """

    kind: ClassVar[str] = "numpy"

    def __init__(self, dim: int) -> None:
        super().__init__(dim)
        self._size = 0
        self._vectors: NDArray[np.float32] = np.empty((0, self.dim), dtype=np.float32)
        self._row_ids: NDArray[np.int64] = np.empty(0, dtype=np.int64)

    def _add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        end = self._size + ids.size
        if end > self._row_ids.size:
            capacity = max(end, 2 * self._row_ids.size)
            grown_vectors = np.empty((capacity, self.dim), dtype=np.float32)
            grown_vectors[: self._size] = self._vectors[: self._size]
            grown_ids = np.empty(capacity, dtype=np.int64)
            grown_ids[: self._size] = self._row_ids[: self._size]
            self._vectors, self._row_ids = grown_vectors, grown_ids
        self._vectors[self._size : end] = vectors
        self._row_ids[self._size : end] = ids
        self._size = end

    def _remove(self, ids: NDArray[np.int64]) -> None:
        keep = ~np.isin(self._row_ids[: self._size], ids)
        kept = int(np.count_nonzero(keep))
        self._vectors[:kept] = self._vectors[: self._size][keep]
        self._row_ids[:kept] = self._row_ids[: self._size][keep]
        self._size = kept

    def _search(self, queries: NDArray[np.float32], fetch: int) -> NDArray[np.int64]:
        stored = self._vectors[: self._size]
        out = np.empty((queries.shape[0], fetch), dtype=np.int64)
        block = max(1, _MAX_SCORES_PER_BLOCK // self._size)
        for start in range(0, queries.shape[0], block):
            scores = queries[start : start + block] @ stored.T
            if fetch < self._size:
                rows = np.argpartition(-scores, fetch - 1, axis=1)[:, :fetch]
            else:
                rows = np.broadcast_to(np.arange(self._size), scores.shape)
            out[start : start + block] = self._row_ids[rows]
        return out

    def _reconstruct(self, ids: NDArray[np.int64]) -> NDArray[np.float32]:
        row_ids = self._row_ids[: self._size]
        order = np.argsort(row_ids)
        rows = order[np.searchsorted(row_ids, ids, sorter=order)]
        return self._vectors[rows]

    def _memory_bytes(self) -> int:
        return int(self._vectors.nbytes + self._row_ids.nbytes)

    def _dump(self) -> tuple[dict[str, Any], Blobs]:
        return {"size": self._size}, {
            "ids": self._row_ids[: self._size].copy().view(np.uint8).data,
            "vectors": self._vectors[: self._size].reshape(-1).copy().view(np.uint8).data,
        }

    @classmethod
    def _restore(
        cls, dim: int, state: Mapping[str, Any], blobs: Mapping[str, memoryview]
    ) -> tuple[Self, NDArray[np.int64]]:
        size = state["size"]
        if not isinstance(size, int) or blobs["ids"].nbytes != 8 * size:
            raise IndexFileError("numpy index: id blob does not match the stored size")
        if blobs["vectors"].nbytes != 4 * size * dim:
            raise IndexFileError("numpy index: vector blob does not match size and dim")
        index = cls(dim)
        index._size = size
        index._row_ids = np.frombuffer(blobs["ids"], dtype="<i8").astype(np.int64)
        index._vectors = (
            np.frombuffer(blobs["vectors"], dtype="<f4").astype(np.float32).reshape(size, dim)
        )
        return index, index._row_ids.copy()
