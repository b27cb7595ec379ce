"""Abstract vector index: shared validation, locking, exact re-ranking and serialisation.

Every backend stores unit-normalised ``float32`` vectors under caller-chosen non-negative
``int64`` ids and answers inner-product nearest-neighbour queries (inner product equals
cosine similarity for unit vectors). :class:`VectorIndex` implements the whole public API
once (template methods); a backend only supplies small ``_add``/``_remove``/``_search``/
``_reconstruct``/``_dump``/``_restore``/``_memory_bytes`` hooks.

What the base class guarantees for every backend:

* **Validation before mutation.** ``add`` checks shapes, dtypes, finiteness, id sign and id
  uniqueness (within the call and against the index) before a backend hook runs, so a
  rejected call leaves the index unchanged.
* **Locking.** Each public method holds one re-entrant lock.
* **Snapshots that do not block writers.** ``to_bytes``/``save`` hold the lock only to
  freeze the backend: while the backend serialises itself (13 s for a million-vector HNSW
  graph), adds and removes go to an in-memory overlay that searches, ``reconstruct`` and
  ``contains`` see at once, and the overlay is applied to the backend afterwards. The
  snapshot holds exactly the state of the moment it started.
* **Canonical scores and ordering.** A backend only proposes candidate ids. The base class
  recomputes every candidate's score itself (element-wise product then ``numpy.sum`` over
  the last axis, the same arithmetic for every row, so duplicate vectors get bit-identical
  scores - BLAS matrix products do not promise that) and sorts each row by
  ``(score descending, id ascending)``. When the k-th score ties with the last candidate
  fetched, it fetches more candidates (doubling) so ties at the cut-off are also broken by
  ascending id. Hence exact backends return identical results, scores included.
* **Serialisation.** A small self-describing container (magic, version, JSON header naming
  the kind, binary blobs, CRC-32) wraps each backend's payload; damaged data raises
  :class:`~indexes.errors.IndexFileError`.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
import threading
import time
import zlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final, Self, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from indexes.errors import IndexFileError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["SearchResult", "VectorIndex", "config_from_options", "peek_kind"]

ConfigT = TypeVar("ConfigT", bound="DataclassInstance")

# Container layout (all integers little-endian):
#   magic (4 bytes) | format version (uint16) | header length (uint32) | JSON header
#   | blobs, concatenated in header order | CRC-32 of everything before it (uint32).
_MAGIC: Final = b"WDVX"
_FORMAT_VERSION: Final = 1
_PREFIX: Final = struct.Struct("<4sHI")
_CRC: Final = struct.Struct("<I")
# The JSON header holds a kind, a dimension, a few options and blob sizes: a few hundred
# bytes. Anything above 1 MiB is certainly a corrupt length field.
_MAX_HEADER_BYTES: Final = 1 << 20

# Candidates re-scored per chunk in search: 8192 x dim x 4 bytes is 12 MiB at dim 384,
# which bounds the temporary memory of a large batch search.
_RESCORE_CHUNK: Final = 8192

_INT64_MAX: Final = int(np.iinfo(np.int64).max)

# After a snapshot, the writes made meanwhile are replayed into the backend this many at a
# time, each batch under the lock; writers get the lock between batches. 64 HNSW inserts
# take ~75 ms at 1M vectors on 2 cores (docs/PERFORMANCE.md), so no writer waits longer.
_REPLAY_BATCH: Final = 64

Blobs = dict[str, memoryview]
"""Named binary payloads of a snapshot (each an independent copy, never a live view)."""


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Result of :meth:`VectorIndex.search` for ``m`` queries and ``k`` neighbours.

    Attributes:
        ids: ``int64`` array of shape ``(m, k)``. Row ``i`` lists the ids nearest to query
            ``i``, ordered by score descending and, for equal scores, by id ascending.
            Slots beyond the number of live vectors hold ``-1``.
        scores: ``float32`` array of shape ``(m, k)``: the inner product of the query with
            each returned vector; ``-inf`` in padded slots.
    """

    ids: NDArray[np.int64]
    scores: NDArray[np.float32]


def config_from_options(
    config_type: type[ConfigT], kind: str, options: Mapping[str, Any]
) -> ConfigT:
    """Build a backend Config dataclass from keyword options, rejecting unknown names.

    Args:
        config_type: The frozen Config dataclass of a backend.
        kind: The backend kind, used in error messages.
        options: Keyword options as given to :func:`indexes.factory.create_index`.

    Returns:
        ``config_type(**options)``; fields not given keep their documented defaults.

    Raises:
        ValueError: An option name is not a field of ``config_type``, or the Config's own
            validation rejects a value.
    """
    valid = sorted(f.name for f in fields(config_type))
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ValueError(
            f"unknown option(s) {unknown} for index kind {kind!r}; valid options: {valid}"
        )
    return config_type(**options)


class VectorIndex(ABC):
    """Abstract nearest-neighbour index over unit-normalised ``float32`` vectors.

    Ids are caller-chosen non-negative ``int64`` values, unique within the index. Scores
    are inner products, i.e. cosine similarities when the caller stores and queries unit
    vectors (the index does not normalise: what you add is what :meth:`reconstruct`
    returns). Every public method is thread-safe.

    Subclasses set :attr:`kind` and implement the ``_``-prefixed hooks; they never need to
    validate arguments, lock, sort or pad.
    """

    kind: ClassVar[str]
    """Short backend name stored in serialised indexes, e.g. ``"flat"``."""

    def __init__(self, dim: int) -> None:
        if isinstance(dim, bool) or not isinstance(dim, int | np.integer) or dim < 1:
            raise ValueError(f"dim must be a positive integer, got {dim!r}")
        self._dim = int(dim)
        self._lock = threading.RLock()
        # Sorted ascending, unique: membership tests are one vectorised searchsorted, and
        # ids() is a copy. Updating it costs O(n) memmove per call (about 1 ms per million
        # ids), small next to the backends' own insertion cost.
        self._live: NDArray[np.int64] = np.empty(0, dtype=np.int64)
        # Set while a snapshot serialises the backend (see _encode); one snapshot at a time.
        self._overlay: _Overlay | None = None
        self._snapshot_lock = threading.Lock()
        # What the owner stored with the last save (or found at load): a JSON object.
        self.meta: dict[str, Any] = {}

    # ----------------------------------------------------------------- construction

    @classmethod
    def from_options(cls, dim: int, **options: Any) -> Self:
        """Create an empty index from keyword options (used by the factory).

        The default implementation accepts no options; backends with a Config override it.

        Raises:
            ValueError: Unknown option, invalid value or invalid ``dim``.
        """
        if options:
            raise ValueError(f"index kind {cls.kind!r} takes no options, got {sorted(options)}")
        return cls(dim)

    # ----------------------------------------------------------------- public API

    @property
    def dim(self) -> int:
        """Dimension of the stored vectors."""
        return self._dim

    def __len__(self) -> int:
        """Number of live (added and not removed) vectors.

        Lock-free: ``_live`` is never mutated in place, only replaced by a new array, so this
        never waits behind a long operation (a snapshot, an HNSW build) holding the lock.
        """
        return int(self._live.size)

    def __contains__(self, item: object) -> bool:
        """``id in index`` is :meth:`contains` for integers and False for anything else."""
        if isinstance(item, bool) or not isinstance(item, int | np.integer):
            return False
        return self.contains(int(item))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dim={self._dim}, size={len(self)})"

    def add(self, ids: ArrayLike, vectors: ArrayLike) -> None:
        """Store ``vectors[i]`` under ``ids[i]``.

        Args:
            ids: ``(n,)`` integer ids, each ``>= 0``, unique within the call and not
                already in the index.
            vectors: ``(n, dim)`` array convertible to ``float32`` with finite values;
                expected to be unit-normalised (not checked, not changed).

        Raises:
            ValueError: Any of the conditions above is violated. Everything is validated
                before anything is stored, so a rejected call changes nothing.

        An empty call (``n == 0``) is a no-op.
        """
        new_ids = _as_ids(ids, "ids")
        n = int(new_ids.size)
        if n == 0:
            if np.asarray(vectors).size != 0:
                raise ValueError("vectors must be empty when ids is empty")
            return
        new_vectors = self._as_vectors(vectors, "vectors", rows=n)
        if new_ids.min() < 0:
            raise ValueError(f"ids must be >= 0, got {int(new_ids.min())}")
        ordered = np.sort(new_ids)
        repeated = ordered[1:][ordered[1:] == ordered[:-1]]
        if repeated.size:
            raise ValueError(f"ids repeated within one add call: {repeated[:10].tolist()}")
        with self._lock:
            present = new_ids[self._is_live(new_ids)]
            if present.size:
                raise ValueError(f"ids already in the index: {np.sort(present)[:10].tolist()}")
            if self._overlay is not None:
                self._overlay.add(new_ids, new_vectors)
            else:
                self._add(new_ids, new_vectors)
            self._live = _merge_sorted(self._live, ordered)

    def remove(self, ids: ArrayLike) -> int:
        """Remove the given ids; ids not in the index (negative ones included) are ignored.

        Args:
            ids: ``(n,)`` integer ids; repeats are allowed.

        Returns:
            How many vectors were removed.

        Raises:
            ValueError: ``ids`` is not a 1-D integer array.
        """
        wanted = np.unique(_as_ids(ids, "ids"))
        with self._lock:
            doomed = wanted[self._is_live(wanted)]
            if doomed.size == 0:
                return 0
            if self._overlay is not None:
                self._overlay.remove(doomed)
            else:
                self._remove(doomed)
            self._live = np.delete(self._live, np.searchsorted(self._live, doomed))
            return int(doomed.size)

    def search(self, queries: ArrayLike, k: int) -> SearchResult:
        """Find the ``k`` stored vectors with the largest inner product with each query.

        Args:
            queries: ``(m, dim)`` array convertible to ``float32`` with finite values;
                ``m == 0`` is allowed.
            k: Number of neighbours per query, ``>= 1``.

        Returns:
            A :class:`SearchResult` with arrays of shape ``(m, k)``: rows sorted by score
            descending, ties broken by ascending id, padded with id ``-1`` and score
            ``-inf`` when fewer than ``k`` vectors are live. Removed ids never appear.
            Approximate backends (HNSW) may miss true neighbours but never break the
            ordering or padding rules.

        Raises:
            ValueError: ``k < 1`` or ``queries`` has the wrong shape or non-finite values.
        """
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        k = int(k)
        q = self._as_vectors(queries, "queries")
        m = q.shape[0]
        out_ids = np.full((m, k), -1, dtype=np.int64)
        out_scores = np.full((m, k), -np.inf, dtype=np.float32)
        with self._lock:
            n = int(self._live.size)
            if m == 0 or n == 0:
                return SearchResult(out_ids, out_scores)
            pending = np.arange(m)
            # One candidate beyond k reveals whether the k-th score ties with a neighbour
            # that was cut off; on a tie we double the fetch for those rows only.
            fetch = min(k + 1, n)
            while pending.size:
                cand = self._candidates(q[pending], fetch, final=fetch >= n)
                cand_ids, cand_scores = self._rank(q[pending], cand)
                done = _rows_complete(cand_ids, cand_scores, k, final=fetch >= n)
                take = min(k, fetch)
                out_ids[pending[done], :take] = cand_ids[done, :take]
                out_scores[pending[done], :take] = cand_scores[done, :take]
                pending = pending[~done]
                fetch = min(2 * fetch, n)
        return SearchResult(out_ids, out_scores)

    def contains(self, id_: int) -> bool:
        """Whether ``id_`` is live in the index (False for negative ids).

        Raises:
            TypeError: ``id_`` is not an integer.
        """
        if isinstance(id_, bool) or not isinstance(id_, int | np.integer):
            raise TypeError(f"id must be an integer, got {id_!r}")
        if not 0 <= int(id_) <= _INT64_MAX:
            return False
        with self._lock:
            return bool(self._is_live(np.array([id_], dtype=np.int64))[0])

    def ids(self) -> NDArray[np.int64]:
        """All live ids as a new ``int64`` array, sorted ascending."""
        with self._lock:
            return self._live.copy()

    def reconstruct(self, ids: ArrayLike) -> NDArray[np.float32]:
        """Return the stored vectors of ``ids``.

        Args:
            ids: ``(n,)`` integer ids, all live; repeats allowed.

        Returns:
            A new ``float32`` array of shape ``(n, dim)``, row ``i`` for ``ids[i]``.

        Raises:
            KeyError: Some id is not live (the message lists up to ten of them).
            ValueError: ``ids`` is not a 1-D integer array.
        """
        wanted = _as_ids(ids, "ids")
        if wanted.size == 0:
            return np.empty((0, self._dim), dtype=np.float32)
        with self._lock:
            missing = wanted[~self._is_live(wanted)]
            if missing.size:
                raise KeyError(f"ids not in the index: {np.unique(missing)[:10].tolist()}")
            return np.array(self._vectors_of(wanted), dtype=np.float32, order="C")

    def memory_bytes(self) -> int:
        """Estimate of the memory the index uses, in bytes (order of magnitude, not exact)."""
        with self._lock:
            extra = self._overlay.nbytes if self._overlay is not None else 0
            return int(self._live.nbytes) + self._memory_bytes() + extra

    def to_bytes(self, meta: Mapping[str, Any] | None = None) -> bytes:
        """Serialise the index; :meth:`from_bytes` (or the factory) restores it.

        Writers do not wait for it (see the module docstring): the result holds the state
        of the call's start. The header also records a summary of the ids serialised (count,
        smallest, largest, SHA-256 of the sorted int64 ids), which :meth:`from_bytes` checks
        against what it restores.

        Args:
            meta: the owner's JSON-serialisable facts to keep with the data (whose vectors
                these are, e.g. a deployment id), restored as :attr:`meta`.
        """
        return b"".join(self._encode(meta))

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> Self:
        """Restore an index of this class from :meth:`to_bytes` output.

        Use :func:`indexes.factory.index_from_bytes` when the kind is not known.

        Raises:
            IndexFileError: ``data`` is corrupt, truncated, of another kind, or inconsistent.
        """
        kind, dim, state, blobs, header = _decode(data)
        if kind != cls.kind:
            raise IndexFileError(f"serialised index is of kind {kind!r}, not {cls.kind!r}")
        try:
            index, stored = cls._restore(dim, state, blobs)
        except IndexFileError:
            raise
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise IndexFileError(f"cannot restore {kind!r} index: {exc}") from exc
        live = np.sort(np.asarray(stored, dtype=np.int64))
        if live.size and (live[0] < 0 or np.any(live[1:] == live[:-1])):
            raise IndexFileError(f"serialised {kind!r} index has negative or repeated ids")
        recorded = header.get("ids")
        if recorded is not None and recorded != ids_summary(live):
            raise IndexFileError(
                f"serialised {kind!r} index holds other ids than its header records "
                f"({ids_summary(live)['count']} vs {recorded.get('count')})"
            )
        index._live = live
        meta = header.get("meta", {})
        index.meta = dict(meta) if isinstance(meta, dict) else {}
        return index

    def save(self, path: str | os.PathLike[str], meta: Mapping[str, Any] | None = None) -> None:
        """Write :meth:`to_bytes` output to ``path`` atomically.

        The data goes to a temporary file in the same directory, is fsync'ed, then
        ``os.replace``'d over ``path`` (and the directory is fsync'ed), so a crash leaves
        either the old file or the new one, never a mix. The index lock is held only to
        freeze the backend and, afterwards, to replay the writes made meanwhile (see
        :meth:`_encode`), not while the backend serialises itself or the file is written.
        """
        target = Path(path)
        parts = self._encode(meta)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                for part in parts:
                    fh.write(part)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        if os.name == "posix":
            dir_fd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    # ----------------------------------------------------------------- backend hooks

    @abstractmethod
    def _add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        """Store validated data: ``n >= 1`` new unique ids, C-contiguous finite vectors."""

    @abstractmethod
    def _remove(self, ids: NDArray[np.int64]) -> None:
        """Remove ``ids``: ``n >= 1`` unique, sorted, all live."""

    @abstractmethod
    def _search(self, queries: NDArray[np.float32], fetch: int) -> NDArray[np.int64]:
        """Propose up to ``fetch`` candidate ids per query, most similar first-ish.

        Args:
            queries: ``(m, dim)`` C-contiguous finite ``float32``, ``m >= 1``.
            fetch: ``1 <= fetch <= len(self)``.

        Returns:
            ``(m, fetch)`` ``int64``: live ids, unique within a row, in any order, padded
            with ``-1``. Exact backends return the ``fetch`` best; the base class re-scores
            and sorts them, and asks again with a larger ``fetch`` when a row is short or
            its k-th score ties with its last candidate. When ``fetch == len(self)`` a
            backend must return every live vector it can reach.
        """

    @abstractmethod
    def _reconstruct(self, ids: NDArray[np.int64]) -> NDArray[np.float32]:
        """Stored vectors ``(n, dim)`` of live ``ids`` (repeats allowed), in that order."""

    @abstractmethod
    def _memory_bytes(self) -> int:
        """Estimated bytes used by the backend's own structures."""

    @abstractmethod
    def _dump(self) -> tuple[dict[str, Any], Blobs]:
        """Snapshot under the lock: a JSON-able state dict and independent binary blobs."""

    @classmethod
    @abstractmethod
    def _restore(
        cls, dim: int, state: Mapping[str, Any], blobs: Mapping[str, memoryview]
    ) -> tuple[Self, NDArray[np.int64]]:
        """Rebuild an instance from :meth:`_dump` output; also return its live ids.

        Raise :class:`IndexFileError`, ``KeyError``, ``TypeError``, ``ValueError`` or
        ``RuntimeError`` on inconsistent data; the base class reports all of them as
        :class:`IndexFileError`.
        """

    # ----------------------------------------------------------------- internals

    def _as_vectors(
        self, vectors: ArrayLike, what: str, rows: int | None = None
    ) -> NDArray[np.float32]:
        """Validate and convert to a C-contiguous ``(rows, dim)`` finite float32 array."""
        raw = np.asarray(vectors)
        if raw.dtype.kind not in "iuf":
            raise ValueError(f"{what} must be a real numeric array, got dtype {raw.dtype}")
        expected = (rows if rows is not None else "m", self._dim)
        if raw.ndim != 2 or raw.shape[1] != self._dim or rows not in (None, raw.shape[0]):
            raise ValueError(f"{what} must have shape {expected}, got {raw.shape}")
        # float64 values beyond float32 range become inf; the finiteness check reports them.
        with np.errstate(over="ignore", invalid="ignore"):
            arr = np.ascontiguousarray(raw, dtype=np.float32)
        if not np.isfinite(arr).all():
            raise ValueError(f"{what} contain NaN or infinite values")
        return arr

    def _is_live(self, ids: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Boolean mask: which of ``ids`` are live. Caller holds the lock."""
        pos = np.searchsorted(self._live, ids)
        inside = pos < self._live.size
        mask = np.zeros(ids.shape, dtype=np.bool_)
        mask[inside] = self._live[pos[inside]] == ids[inside]
        return mask

    def _rank(
        self, queries: NDArray[np.float32], cand: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """Re-score candidates exactly and sort each row by (score desc, id asc).

        Padding (-1) gets score -inf and sorts last. Caller holds the lock.
        """
        valid = cand >= 0
        rows, cols = np.nonzero(valid)
        scores = np.full(cand.shape, -np.inf, dtype=np.float32)
        for start in range(0, rows.size, _RESCORE_CHUNK):
            r = rows[start : start + _RESCORE_CHUNK]
            c = cols[start : start + _RESCORE_CHUNK]
            vecs = self._vectors_of(cand[r, c])
            # Element-wise product then a last-axis sum: identical rows give bit-identical
            # scores, which makes the id tie-break well defined.
            scores[r, c] = np.sum(vecs * queries[r], axis=1, dtype=np.float32)
        tie_key = np.where(valid, cand, _INT64_MAX)
        order = np.lexsort((tie_key, -scores), axis=-1)
        return np.take_along_axis(cand, order, axis=1), np.take_along_axis(scores, order, axis=1)

    def _candidates(
        self, queries: NDArray[np.float32], fetch: int, *, final: bool
    ) -> NDArray[np.int64]:
        """Candidate ids for :meth:`search` (``-1`` = none), from the backend and the overlay.

        Without an overlay this is the backend's ``_search``. With one (a snapshot is being
        taken), the backend holds the state of the snapshot's start: its ids removed since
        are masked, ``fetch`` is widened by their number, and the overlay's added vectors are
        scored by brute force. An overlay vector scoring below the backend's last candidate
        is left out unless the backend has nothing more to give (or ``final``): then the
        settling rule of :func:`_rows_complete` (k-th score above the last candidate's)
        still proves that nothing unfetched can enter the top k. Caller holds the lock.
        """
        overlay = self._overlay
        if overlay is None:
            return self._search(queries, fetch)
        m = queries.shape[0]
        base_fetch = min(fetch + overlay.removed_count, overlay.base_size)
        if base_fetch > 0:
            base = self._search(queries, base_fetch)
            base = np.where(overlay.masks(base), -1, base)
        else:
            base = np.full((m, 0), -1, dtype=np.int64)
        extra_ids, extra_vectors = overlay.added()
        if extra_ids.size == 0:
            return base
        extra = np.broadcast_to(extra_ids, (m, extra_ids.size)).copy()
        if not final and base_fetch < overlay.base_size and base.shape[1]:
            valid = base >= 0
            rows, cols = np.nonzero(valid)
            scores = np.full(base.shape, np.inf, dtype=np.float32)
            scores[rows, cols] = np.sum(
                self._reconstruct(base[rows, cols]) * queries[rows], axis=1, dtype=np.float32
            )
            floor = scores.min(axis=1, keepdims=True)
            extra_scores = queries @ extra_vectors.T
            extra[extra_scores < floor] = -1
        return np.concatenate([base, extra], axis=1)

    def _vectors_of(self, ids: NDArray[np.int64]) -> NDArray[np.float32]:
        """Stored vectors of live ``ids``, from the overlay where it has them. Caller locks."""
        if self._overlay is None:
            return self._reconstruct(ids)
        found, vectors = self._overlay.lookup(ids)
        if not found.all():
            vectors[~found] = self._reconstruct(ids[~found])
        return vectors

    def _replay_overlay(self) -> None:
        """Move the overlay's writes into the backend, then drop the overlay.

        Batches of ``_REPLAY_BATCH``, each under the lock; between batches writers get the
        lock and keep writing to the overlay, which stays in force until it is empty.
        Removes go first: an id removed from the backend and added again must leave it
        before its new vector enters.
        """
        while True:
            with self._lock:
                overlay = self._overlay
                if overlay is None:
                    return
                removed = overlay.take_removed(_REPLAY_BATCH)
                if removed.size:
                    self._remove(removed)
                    continue
                added_ids, added_vectors = overlay.take_added(_REPLAY_BATCH)
                if added_ids.size:
                    self._add(added_ids, added_vectors)
                if overlay.empty:
                    self._overlay = None
                    return
            # Let a waiting writer take the lock: re-acquiring at once would usually win,
            # since the waiter must first be scheduled and get the GIL.
            time.sleep(0.0005)

    def _encode(self, meta: Mapping[str, Any] | None = None) -> list[bytes | memoryview]:
        """Freeze the backend, serialise it without the lock, frame it as container parts.

        While ``_dump`` runs, writers go to the overlay (see the module docstring); the
        overlay is replayed into the backend afterwards (:meth:`_replay_overlay`), also
        when ``_dump`` fails.
        """
        with self._snapshot_lock:
            with self._lock:
                self._overlay = _Overlay(self._dim, int(self._live.size))
                frozen = self._live  # replaced, never mutated in place, by later writes
            try:
                state, blobs = self._dump()
            finally:
                self._replay_overlay()
        self.meta = dict(meta or {})
        header = json.dumps(
            {
                "kind": self.kind,
                "dim": self._dim,
                "state": state,
                "blobs": [[name, blob.nbytes] for name, blob in blobs.items()],
                "ids": ids_summary(frozen),
                "meta": self.meta,
            },
            sort_keys=True,
        ).encode("utf-8")
        parts: list[bytes | memoryview] = [
            _PREFIX.pack(_MAGIC, _FORMAT_VERSION, len(header)),
            header,
            *blobs.values(),
        ]
        crc = 0
        for part in parts:
            crc = zlib.crc32(part, crc)
        parts.append(_CRC.pack(crc))
        return parts


def peek_kind(data: bytes | bytearray | memoryview) -> str:
    """Return the kind named in a serialised index's header (checksum not verified).

    Raises:
        IndexFileError: ``data`` does not start with a valid index header.
    """
    kind: str = _read_header(memoryview(data).cast("B"))[0]["kind"]
    return kind


def _read_header(view: memoryview) -> tuple[dict[str, Any], int]:
    """Parse and check the container prefix and JSON header; return it and its end offset."""
    if view.nbytes < _PREFIX.size + _CRC.size:
        raise IndexFileError(f"index data too short ({view.nbytes} bytes)")
    magic, version, header_len = _PREFIX.unpack_from(view)
    if magic != _MAGIC:
        raise IndexFileError("not a serialised vector index (bad magic bytes)")
    if version != _FORMAT_VERSION:
        raise IndexFileError(f"unsupported index format version {version}")
    end = _PREFIX.size + header_len
    if header_len > _MAX_HEADER_BYTES or end > view.nbytes - _CRC.size:
        raise IndexFileError("index header length out of range (truncated data?)")
    try:
        header = json.loads(bytes(view[_PREFIX.size : end]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexFileError(f"unreadable index header: {exc}") from exc
    if not (
        isinstance(header, dict)
        and isinstance(header.get("kind"), str)
        and isinstance(header.get("dim"), int)
        and header["dim"] >= 1
        and isinstance(header.get("state"), dict)
        and isinstance(header.get("blobs"), list)
    ):
        raise IndexFileError("index header lacks kind, dim, state or blobs")
    return header, end


def ids_summary(ids: NDArray[np.int64]) -> dict[str, Any]:
    """Count, smallest and largest id, and SHA-256 of the sorted ids as little-endian int64."""
    ordered = np.sort(np.asarray(ids, dtype="<i8"))
    return {
        "count": int(ordered.size),
        "min": int(ordered[0]) if ordered.size else None,
        "max": int(ordered[-1]) if ordered.size else None,
        "sha256": hashlib.sha256(ordered.tobytes()).hexdigest(),
    }


def _decode(
    data: bytes | bytearray | memoryview,
) -> tuple[str, int, dict[str, Any], dict[str, memoryview], dict[str, Any]]:
    """Verify the checksum and split a container into (kind, dim, state, blobs, header)."""
    view = memoryview(data).cast("B")
    header, offset = _read_header(view)
    body_end = view.nbytes - _CRC.size
    (stored_crc,) = _CRC.unpack_from(view, body_end)
    if zlib.crc32(view[:body_end]) != stored_crc:
        raise IndexFileError("index checksum mismatch (corrupt or truncated data)")
    blobs: dict[str, memoryview] = {}
    for entry in header["blobs"]:
        if not (
            isinstance(entry, list)
            and len(entry) == 2
            and isinstance(entry[0], str)
            and isinstance(entry[1], int)
            and entry[1] >= 0
        ):
            raise IndexFileError(f"bad blob entry in index header: {entry!r}")
        name, size = entry
        blobs[name] = view[offset : offset + size]
        offset += size
    if offset != body_end:
        raise IndexFileError("blob sizes in index header do not match the data length")
    return header["kind"], header["dim"], header["state"], blobs, header


def _as_ids(ids: ArrayLike, what: str) -> NDArray[np.int64]:
    """Validate a 1-D integer id array and return it as a new ``int64`` array."""
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be a 1-D array of integer ids, got shape {arr.shape}")
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"{what} must have an integer dtype, got {arr.dtype}")
    if arr.dtype.kind == "u" and int(arr.max()) > _INT64_MAX:
        raise ValueError(f"{what} must fit in int64")
    return arr.astype(np.int64)


def _merge_sorted(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.int64]:
    """Merge two sorted, disjoint id arrays into a new sorted array (O(len(a) + len(b)))."""
    return np.insert(a, np.searchsorted(a, b), b)


def _rows_complete(
    ids: NDArray[np.int64], scores: NDArray[np.float32], k: int, *, final: bool
) -> NDArray[np.bool_]:
    """Rows whose top-k is settled by the sorted candidates fetched so far.

    A row is settled when nothing more can be fetched (``final``), or when it holds more
    than ``k`` candidates and its k-th score is strictly above its last candidate's score:
    then every vector not fetched scores below the k-th one and cannot enter the top-k or
    tie with it.
    """
    if final:
        return np.ones(ids.shape[0], dtype=np.bool_)
    found = np.count_nonzero(ids >= 0, axis=1)
    enough = found > k
    rows = np.flatnonzero(enough)
    settled = np.zeros(ids.shape[0], dtype=np.bool_)
    settled[rows] = scores[rows, k - 1] > scores[rows, found[rows] - 1]
    return settled


class _Overlay:
    """Adds and removes made while a snapshot serialises the backend.

    Attributes:
        base_size: live vectors in the backend: its size when frozen, then moved by each
            batch replayed into it.
    """

    def __init__(self, dim: int, base_size: int) -> None:
        self._dim = dim
        self.base_size = base_size
        self._added: dict[int, NDArray[np.float32]] = {}
        self._removed: set[int] = set()
        self._stacked: tuple[NDArray[np.int64], NDArray[np.float32]] | None = None

    @property
    def removed_count(self) -> int:
        """Backend ids removed since the freeze."""
        return len(self._removed)

    @property
    def nbytes(self) -> int:
        """Approximate memory held (vectors and ids)."""
        return len(self._added) * (self._dim * 4 + 8) + len(self._removed) * 8

    def add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        """Record validated new ids (not live) with their vectors."""
        for id_, vector in zip(ids.tolist(), vectors, strict=True):
            self._added[id_] = vector.copy()
        self._stacked = None

    def remove(self, ids: NDArray[np.int64]) -> None:
        """Record the removal of live ids: an overlay add is dropped, a backend id masked."""
        for id_ in ids.tolist():
            if self._added.pop(id_, None) is None:
                self._removed.add(id_)
        self._stacked = None

    def added(self) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """The added ids (ascending) and their vectors, shape ``(a,)`` and ``(a, dim)``."""
        if self._stacked is None:
            ids = np.array(sorted(self._added), dtype=np.int64)
            vectors = np.empty((ids.size, self._dim), dtype=np.float32)
            for row, id_ in enumerate(ids.tolist()):
                vectors[row] = self._added[id_]
            self._stacked = (ids, vectors)
        return self._stacked

    def removed_ids(self) -> NDArray[np.int64]:
        """The masked backend ids, ascending."""
        return np.array(sorted(self._removed), dtype=np.int64)

    @property
    def empty(self) -> bool:
        """Whether nothing is left to replay."""
        return not self._added and not self._removed

    def take_removed(self, limit: int) -> NDArray[np.int64]:
        """Hand over up to ``limit`` masked ids for removal from the backend (ascending)."""
        taken = self.removed_ids()[:limit]
        self._removed.difference_update(taken.tolist())
        self.base_size -= int(taken.size)
        self._stacked = None
        return taken

    def take_added(self, limit: int) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """Hand over up to ``limit`` added ids and vectors for the backend (ascending ids)."""
        ids, vectors = self.added()
        ids, vectors = ids[:limit], vectors[:limit]
        for id_ in ids.tolist():
            del self._added[id_]
        self.base_size += int(ids.size)
        self._stacked = None
        return ids, vectors

    def masks(self, ids: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Which of ``ids`` (any shape) are masked backend ids."""
        if not self._removed:
            return np.zeros(ids.shape, dtype=np.bool_)
        return np.isin(ids, self.removed_ids())

    def lookup(self, ids: NDArray[np.int64]) -> tuple[NDArray[np.bool_], NDArray[np.float32]]:
        """``(found, vectors)``: rows of ``ids`` the overlay holds are filled, others not."""
        found = np.zeros(ids.shape[0], dtype=np.bool_)
        vectors = np.zeros((ids.shape[0], self._dim), dtype=np.float32)
        if self._added:
            for row, id_ in enumerate(ids.tolist()):
                vector = self._added.get(id_)
                if vector is not None:
                    found[row] = True
                    vectors[row] = vector
        return found, vectors
