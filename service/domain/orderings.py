"""Orderings and counts the world maintains as it changes, so reads cost O(page), not O(world).

:class:`SortedKeys` keeps one sort key per member in a Python list sorted with :mod:`bisect`
(``sortedcontainers`` is only a test dependency here, and a plain sorted list is enough):

* finding a position is O(log n) comparisons;
* inserting or deleting one key is O(log n) comparisons plus a ``memmove`` of the pointers
  after it, O(n) but at memory speed: about 1 ms for a million keys, and nearly nothing
  when the key lands near the end. The world's keys grow with time (a story's
  ``updated_at``, see :class:`~service.domain.world.World`), so most inserts append.
* reading a page of ``k`` keys from either end, or after a cursor, is O(log n + k).
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterator, Mapping
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)

__all__ = ["SortedKeys"]


class SortedKeys(Generic[K]):
    """Members (hashable ids) ordered by a sort key each; keys must be unique.

    Keys are tuples whose last element is the member itself or something unique per member
    (so equal keys never occur and ties are resolved by the caller's rule).
    """

    def __init__(self) -> None:
        self._keys: list[tuple[Any, ...]] = []
        self._key_of: dict[K, tuple[Any, ...]] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, member: object) -> bool:
        return member in self._key_of

    def set(self, member: K, key: tuple[Any, ...] | None) -> None:
        """Place ``member`` at ``key``, or take it out with ``None`` (no-op if unchanged)."""
        old = self._key_of.get(member)
        if old == key:
            return
        if old is not None:
            at = bisect.bisect_left(self._keys, old)
            del self._keys[at]
            del self._key_of[member]
        if key is not None:
            bisect.insort(self._keys, key)
            self._key_of[member] = key

    def update(self, changes: Mapping[K, tuple[Any, ...] | None]) -> None:
        """:meth:`set` for many members; a large batch re-sorts once instead.

        Loading a whole store changes every member: one sort, O(n log n), instead of n
        inserts at O(n) each. Batches above an eighth of the list take that path.
        """
        if len(changes) <= max(64, len(self._keys) // 8):
            for member, key in changes.items():
                self.set(member, key)
            return
        for member, key in changes.items():
            if key is None:
                self._key_of.pop(member, None)
            else:
                self._key_of[member] = key
        self._keys = sorted(self._key_of.values())

    def key(self, member: K) -> tuple[Any, ...] | None:
        """The member's key, or ``None`` when it is not ordered."""
        return self._key_of.get(member)

    def ascending(self, start: int = 0) -> Iterator[tuple[Any, ...]]:
        """Keys from position ``start`` upwards (the list may not change while iterating)."""
        for at in range(start, len(self._keys)):
            yield self._keys[at]

    def descending_below(self, bound: tuple[Any, ...] | None) -> Iterator[tuple[Any, ...]]:
        """Keys strictly below ``bound`` (every key when ``None``), largest first."""
        end = len(self._keys) if bound is None else bisect.bisect_left(self._keys, bound)
        for at in range(end - 1, -1, -1):
            yield self._keys[at]

    def count_below(self, bound: tuple[Any, ...]) -> int:
        """How many keys sort strictly below ``bound`` (O(log n))."""
        return bisect.bisect_left(self._keys, bound)
