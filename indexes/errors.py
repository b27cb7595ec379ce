"""Exceptions raised by the :mod:`indexes` library."""

from __future__ import annotations

__all__ = ["IndexFileError"]


class IndexFileError(ValueError):
    """A serialised index (file or bytes) is corrupt, truncated or not an index at all.

    Callers are expected to treat this as "no usable snapshot": log it and rebuild the
    index from their own store of vectors. It subclasses :class:`ValueError` so code that
    already guards deserialisation with ``except ValueError`` keeps working.
    """
