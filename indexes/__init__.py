"""Standalone vector indexes: exact and approximate inner-product nearest-neighbour search.

Create indexes with :func:`indexes.factory.create_index` and load saved ones with
:func:`indexes.factory.load_index`; every backend implements :class:`VectorIndex`.
This package never imports from the service.
"""

from __future__ import annotations

from indexes.base import SearchResult, VectorIndex
from indexes.errors import IndexFileError
from indexes.factory import available_kinds, create_index, index_from_bytes, load_index

__all__ = [
    "IndexFileError",
    "SearchResult",
    "VectorIndex",
    "available_kinds",
    "create_index",
    "index_from_bytes",
    "load_index",
]
