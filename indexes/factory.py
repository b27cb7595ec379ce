"""Create, restore and load vector indexes by kind name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from indexes.auto import AutoIndex
from indexes.base import VectorIndex, peek_kind
from indexes.errors import IndexFileError
from indexes.faiss_flat import FaissFlatIndex
from indexes.faiss_hnsw import FaissHNSWIndex
from indexes.numpy_index import NumpyIndex
from indexes.sharded import ShardedIndex

__all__ = ["available_kinds", "create_index", "index_from_bytes", "load_index"]


def _index_types() -> dict[str, type[VectorIndex]]:
    """Map each kind name to its class, in :func:`available_kinds` order."""
    types: tuple[type[VectorIndex], ...] = (
        NumpyIndex,
        FaissFlatIndex,
        FaissHNSWIndex,
        AutoIndex,
        ShardedIndex,
    )
    return {index_type.kind: index_type for index_type in types}


def available_kinds() -> tuple[str, ...]:
    """Kinds accepted by :func:`create_index`: ``("numpy", "flat", "hnsw", "auto", "sharded")``."""
    return tuple(_index_types())


def create_index(kind: str, dim: int, **options: Any) -> VectorIndex:
    """Create an empty index.

    Args:
        kind: ``"numpy"`` (exact, pure NumPy reference), ``"flat"`` (exact, faiss),
            ``"hnsw"`` (approximate, faiss HNSW) or ``"auto"`` (flat, switching to HNSW
            past ``switch_at`` vectors) or ``"sharded"`` (one shard of any of those per time
            bucket, dropped whole when it leaves the retention window).
        dim: Vector dimension, ``>= 1``.
        **options: Backend options: the fields of ``FaissFlatConfig`` for ``"flat"``,
            of ``FaissHNSWConfig`` for ``"hnsw"``, ``switch_at`` plus either for
            ``"auto"``, the fields of ``ShardedConfig`` for ``"sharded"``; ``"numpy"``
            takes none.

    Raises:
        ValueError: Unknown kind (the message lists the valid ones), unknown option,
            invalid option value or invalid ``dim``.
    """
    types = _index_types()
    if kind not in types:
        raise ValueError(f"unknown index kind {kind!r}; valid kinds: {', '.join(types)}")
    return types[kind].from_options(dim, **options)


def index_from_bytes(data: bytes | bytearray | memoryview) -> VectorIndex:
    """Restore an index of any kind from :meth:`VectorIndex.to_bytes` output.

    Raises:
        IndexFileError: Corrupt, truncated or unknown data.
    """
    kind = peek_kind(data)
    types = _index_types()
    if kind not in types:
        raise IndexFileError(f"serialised index has unknown kind {kind!r}")
    return types[kind].from_bytes(data)


def load_index(path: str | os.PathLike[str]) -> VectorIndex:
    """Load an index written by :meth:`VectorIndex.save`, whatever its kind.

    Raises:
        IndexFileError: The file is corrupt, truncated or not an index; rebuild the index
            from the source of the vectors.
        OSError: The file cannot be read (``FileNotFoundError`` if it does not exist).
    """
    return index_from_bytes(Path(path).read_bytes())
