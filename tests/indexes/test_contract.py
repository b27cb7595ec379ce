"""The VectorIndex contract, checked identically against every backend.

The NumpyIndex is the oracle: exact backends must reproduce it bit for bit (the base class
re-scores candidates itself, so scores are identical too). HNSW is approximate, but at the
sizes used here (<= 60 vectors, ef_search = 128 >= n) its search visits every node it can
reach, so it is held to the same exact standard.
"""

from __future__ import annotations

import json
import struct
import threading
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from indexes.auto import AutoIndex
from indexes.base import SearchResult, VectorIndex, ids_summary
from indexes.errors import IndexFileError
from indexes.factory import create_index, index_from_bytes, load_index

# Backend label -> (kind, options). "auto-switched" converts to HNSW past 8 vectors, so
# every test that stores more than 8 vectors exercises its converted state; "sharded-split"
# spreads more than 7 vectors over several shards.
BACKENDS: dict[str, tuple[str, dict[str, Any]]] = {
    "numpy": ("numpy", {}),
    "flat": ("flat", {}),
    "hnsw": ("hnsw", {}),
    "auto": ("auto", {}),
    "auto-switched": ("auto", {"switch_at": 8}),
    # One HNSW shard per week of the wall clock: every vector of a test lands in one shard.
    "sharded": ("sharded", {}),
    # A new shard every 7 vectors: searches merge up to 9 shards, removes find the right one,
    # emptied shards are dropped, snapshots carry every shard.
    "sharded-split": ("sharded", {"shard_kind": "flat", "shard_capacity": 7}),
}
DIM = 8

IndexMaker = Callable[[int], VectorIndex]


def read_header(data: bytes) -> dict[str, Any]:
    """The JSON header of a serialised index (format: indexes/base.py)."""
    _magic, _version, length = struct.unpack_from("<4sHI", data)
    start = struct.calcsize("<4sHI")
    header: dict[str, Any] = json.loads(data[start : start + length])
    return header


def rewrite_header(data: bytes, change: Callable[[dict[str, Any]], dict[str, Any]]) -> bytes:
    """The same container with its header replaced and the CRC-32 recomputed."""
    magic, version, length = struct.unpack_from("<4sHI", data)
    start = struct.calcsize("<4sHI")
    header = json.dumps(change(read_header(data)), sort_keys=True).encode()
    body = struct.pack("<4sHI", magic, version, len(header)) + header + data[start + length : -4]
    return body + struct.pack("<I", zlib.crc32(body))


def _maker(label: str) -> IndexMaker:
    kind, options = BACKENDS[label]
    return lambda dim: create_index(kind, dim, **options)


@pytest.fixture(params=list(BACKENDS))
def make_index(request: pytest.FixtureRequest) -> IndexMaker:
    label: str = request.param
    return _maker(label)


def unit_vectors(seed: int, n: int, dim: int = DIM) -> NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def filled(make: IndexMaker, n: int = 40, seed: int = 0) -> tuple[VectorIndex, NDArray[np.int64]]:
    """An index holding n random unit vectors under ids 1000, 1007, 1014, ..."""
    index = make(DIM)
    ids = 1000 + 7 * np.arange(n, dtype=np.int64)
    index.add(ids, unit_vectors(seed, n))
    return index, ids


def assert_same_results(a: SearchResult, b: SearchResult) -> None:
    np.testing.assert_array_equal(a.ids, b.ids)
    np.testing.assert_array_equal(a.scores, b.scores)


# --------------------------------------------------------------------------- search


def test_empty_index_search_pads(make_index: IndexMaker) -> None:
    index = make_index(DIM)
    result = index.search(unit_vectors(1, 3), 4)
    assert result.ids.shape == (3, 4)
    assert result.ids.dtype == np.int64
    assert result.scores.dtype == np.float32
    assert (result.ids == -1).all()
    assert np.isneginf(result.scores).all()


def test_zero_queries_give_empty_rows(make_index: IndexMaker) -> None:
    index, _ = filled(make_index)
    result = index.search(np.empty((0, DIM), dtype=np.float32), 5)
    assert result.ids.shape == (0, 5)
    assert result.scores.shape == (0, 5)


@pytest.mark.parametrize("k", [0, -3])
def test_non_positive_k_raises(make_index: IndexMaker, k: int) -> None:
    index, _ = filled(make_index, n=5)
    with pytest.raises(ValueError, match="k must be"):
        index.search(unit_vectors(1, 1), k)


def test_each_vector_finds_itself_first(make_index: IndexMaker) -> None:
    index, ids = filled(make_index)
    result = index.search(unit_vectors(0, 40), 5)
    np.testing.assert_array_equal(result.ids[:, 0], ids)
    np.testing.assert_allclose(result.scores[:, 0], 1.0, atol=1e-5)


def test_scores_are_inner_products_sorted_descending(make_index: IndexMaker) -> None:
    index, _ = filled(make_index)
    queries = unit_vectors(5, 6)
    result = index.search(queries, 10)
    assert (np.diff(result.scores, axis=1) <= 0).all()
    stored = index.reconstruct(result.ids.ravel()).reshape(6, 10, DIM)
    expected = np.einsum("qkd,qd->qk", stored, queries)
    np.testing.assert_allclose(result.scores, expected, atol=1e-5)


def test_ties_are_broken_by_ascending_id(make_index: IndexMaker) -> None:
    index = make_index(DIM)
    shared = unit_vectors(2, 1)
    # 30 copies of one vector under shuffled ids, among 20 unrelated vectors: a top-k cut
    # inside the tie group must keep the smallest ids, not whichever the backend saw first.
    dup_ids = np.random.default_rng(3).permutation(np.arange(100, 400, 10))
    index.add(dup_ids, np.repeat(shared, 30, axis=0))
    index.add(np.arange(20), unit_vectors(4, 20))
    for k in (1, 3, 10, 29):
        result = index.search(shared, k)
        np.testing.assert_array_equal(result.ids[0], np.sort(dup_ids)[:k])
        assert np.unique(result.scores[0]).size == 1


def test_k_larger_than_size_pads(make_index: IndexMaker) -> None:
    index, ids = filled(make_index, n=5)
    result = index.search(unit_vectors(0, 5), 8)
    assert sorted(result.ids[0, :5].tolist()) == ids.tolist()
    assert (result.ids[:, 5:] == -1).all()
    assert np.isneginf(result.scores[:, 5:]).all()
    assert np.isfinite(result.scores[:, :5]).all()


def test_search_rejects_bad_queries(make_index: IndexMaker) -> None:
    index, _ = filled(make_index, n=5)
    with pytest.raises(ValueError, match="shape"):
        index.search(unit_vectors(0, 2, dim=DIM + 1), 3)
    with pytest.raises(ValueError, match="shape"):
        index.search(unit_vectors(0, 1)[0], 3)
    bad = unit_vectors(0, 2)
    bad[1, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        index.search(bad, 3)


# --------------------------------------------------------------------------- remove


def test_removed_ids_never_returned(make_index: IndexMaker) -> None:
    index, ids = filled(make_index, n=50)
    removed = ids[::5].tolist() + ids[1:10].tolist()
    assert index.remove(np.array(removed)) == len(set(removed))
    assert len(index) == 50 - len(set(removed))
    result = index.search(unit_vectors(0, 50), 50)
    assert not np.isin(result.ids, removed).any()
    # Every live vector is still found, and only as many as are live.
    assert ((result.ids >= 0).sum(axis=1) == len(index)).all()


def test_remove_unknown_ids_returns_zero(make_index: IndexMaker) -> None:
    index, ids = filled(make_index, n=10)
    assert index.remove(np.array([5, 123456, -4])) == 0
    assert index.remove(np.array([], dtype=np.int64)) == 0
    assert index.remove(np.array([ids[0], ids[0], 99])) == 1
    assert index.remove(np.array([ids[0]])) == 0
    assert len(index) == 9


def test_remove_everything_then_reuse(make_index: IndexMaker) -> None:
    index, ids = filled(make_index, n=30)
    assert index.remove(ids) == 30
    assert len(index) == 0
    assert index.ids().size == 0
    assert (index.search(unit_vectors(0, 2), 3).ids == -1).all()
    index.add(ids[:2], unit_vectors(5, 2))
    assert index.search(unit_vectors(5, 1), 1).ids[0, 0] == ids[0]


def test_removed_id_can_be_added_again(make_index: IndexMaker) -> None:
    index, ids = filled(make_index, n=30)
    index.remove(ids[:3])
    replacement = unit_vectors(99, 1)
    index.add(ids[:1], replacement)
    np.testing.assert_array_equal(index.reconstruct(ids[:1]), replacement)
    result = index.search(replacement, 3)
    assert result.ids[0, 0] == ids[0]
    assert not np.isin(result.ids, ids[1:3]).any()
    # The old vector stored under ids[0] is gone: searching for it does not return ids[0]
    # with score 1.
    old = unit_vectors(0, 1)
    top = index.search(old, 1)
    assert not (top.ids[0, 0] == ids[0] and top.scores[0, 0] > 0.999)


# --------------------------------------------------------------------------- add validation


def test_duplicate_id_add_raises_and_changes_nothing(make_index: IndexMaker) -> None:
    index, ids = filled(make_index, n=10)
    before = index.search(unit_vectors(7, 3), 5)
    with pytest.raises(ValueError, match="already in the index"):
        index.add(np.array([5000, ids[2]]), unit_vectors(8, 2))
    with pytest.raises(ValueError, match="repeated"):
        index.add(np.array([6000, 6000]), unit_vectors(8, 2))
    assert len(index) == 10
    assert not index.contains(5000)
    assert not index.contains(6000)
    assert_same_results(before, index.search(unit_vectors(7, 3), 5))


@pytest.mark.parametrize(
    ("ids", "vectors", "message"),
    [
        (np.array([1, 2]), unit_vectors(0, 2, dim=DIM + 1), "shape"),
        (np.array([1, 2]), unit_vectors(0, 3), "shape"),
        (np.array([1]), unit_vectors(0, 1)[0], "shape"),
        (np.array([1, 2]), np.where(np.eye(2, DIM) > 0, np.nan, 0.5), "NaN"),
        (np.array([1, 2]), np.full((2, DIM), np.inf), "NaN"),
        (np.array([1, 2]), np.full((2, DIM), 1e300), "NaN"),  # overflows float32
        (np.array([1, 2]), np.full((2, DIM), "a"), "numeric"),
        (np.array([-1, 2]), unit_vectors(0, 2), ">= 0"),
        (np.array([1.0, 2.0]), unit_vectors(0, 2), "integer"),
        (np.array([[1, 2]]), unit_vectors(0, 2), "1-D"),
    ],
)
def test_invalid_add_raises_and_changes_nothing(
    make_index: IndexMaker, ids: Any, vectors: Any, message: str
) -> None:
    index, live = filled(make_index, n=10)
    with pytest.raises(ValueError, match=message):
        index.add(ids, vectors)
    assert len(index) == 10
    np.testing.assert_array_equal(index.ids(), live)


def test_empty_add_is_a_no_op(make_index: IndexMaker) -> None:
    index, _ = filled(make_index, n=3)
    index.add(np.array([], dtype=np.int64), np.empty((0, DIM), dtype=np.float32))
    assert len(index) == 3


def test_add_accepts_convertible_inputs(make_index: IndexMaker) -> None:
    index = make_index(DIM)
    vectors = unit_vectors(0, 2).astype(np.float64)
    index.add(np.array([3, 9], dtype=np.uint32), vectors.tolist())  # unsigned ids, lists
    np.testing.assert_allclose(index.reconstruct([3, 9]), vectors, atol=1e-7)


# --------------------------------------------------------------------------- bookkeeping


def test_ids_contains_len_agree(make_index: IndexMaker) -> None:
    index, ids = filled(make_index, n=25)
    index.remove(ids[[0, 4, 24]])
    live = np.delete(ids, [0, 4, 24])
    assert len(index) == 22
    assert index.ids().dtype == np.int64
    np.testing.assert_array_equal(index.ids(), live)
    assert all(index.contains(int(i)) for i in live)
    assert not any(index.contains(int(i)) for i in ids[[0, 4, 24]])
    assert not index.contains(-1)
    assert int(live[3]) in index
    assert "x" not in index
    # ids() is a copy: mutating it changes nothing.
    index.ids()[:] = 0
    np.testing.assert_array_equal(index.ids(), live)


def test_reconstruct_round_trips(make_index: IndexMaker) -> None:
    index, ids = filled(make_index, n=20)
    vectors = unit_vectors(0, 20)
    order = np.array([7, 0, 19, 7])
    np.testing.assert_array_equal(index.reconstruct(ids[order]), vectors[order])
    assert index.reconstruct(np.array([], dtype=np.int64)).shape == (0, DIM)
    with pytest.raises(KeyError, match="424242"):
        index.reconstruct(np.array([ids[0], 424242]))
    index.remove(ids[:1])
    with pytest.raises(KeyError):
        index.reconstruct(ids[:1])


def test_memory_grows_with_content(make_index: IndexMaker) -> None:
    small, _ = filled(make_index, n=5)
    large, _ = filled(make_index, n=40)
    assert 0 < small.memory_bytes() < large.memory_bytes()


def test_search_result_is_frozen() -> None:
    result = SearchResult(np.zeros((1, 1), np.int64), np.zeros((1, 1), np.float32))
    with pytest.raises(AttributeError):
        result.ids = np.ones((1, 1), np.int64)  # type: ignore[misc]


# --------------------------------------------------------------------------- persistence


def test_save_load_round_trip(make_index: IndexMaker, tmp_path: Path) -> None:
    index, ids = filled(make_index, n=40)
    index.remove(ids[::3])
    path = tmp_path / "index.bin"
    index.save(path)
    loaded = load_index(path)
    assert type(loaded) is type(index)
    assert loaded.dim == DIM
    np.testing.assert_array_equal(loaded.ids(), index.ids())
    queries = unit_vectors(11, 10)
    assert_same_results(loaded.search(queries, 7), index.search(queries, 7))
    np.testing.assert_array_equal(loaded.reconstruct(loaded.ids()), index.reconstruct(index.ids()))
    # The loaded index is fully usable.
    loaded.add(ids[:1], unit_vectors(0, 1))
    assert loaded.remove(ids[1:4]) == 2  # ids[3] was removed before saving
    assert [p.name for p in tmp_path.iterdir()] == ["index.bin"]  # no temporary left over


def test_meta_and_ids_summary_travel_with_the_data(make_index: IndexMaker, tmp_path: Path) -> None:
    index, ids = filled(make_index, n=20)
    index.remove(ids[:5])
    path = tmp_path / "index.bin"
    index.save(path, meta={"deployment": "d-1", "n": 3})
    loaded = load_index(path)
    assert loaded.meta == {"deployment": "d-1", "n": 3}
    assert index_from_bytes(index.to_bytes()).meta == {}
    header = read_header(path.read_bytes())
    assert header["ids"] == ids_summary(index.ids())
    assert header["ids"]["count"] == 15
    assert header["ids"]["min"] == int(ids[5])


def test_header_ids_that_disagree_with_the_data_raise(make_index: IndexMaker) -> None:
    """A header pasted onto other data (or edited) must not be trusted."""
    index, _ = filled(make_index, n=10)
    data = index.to_bytes()
    forged = rewrite_header(data, lambda h: {**h, "ids": {**h["ids"], "count": 11}})
    with pytest.raises(IndexFileError, match="other ids than its header records"):
        index_from_bytes(forged)


def test_save_replaces_existing_file(make_index: IndexMaker, tmp_path: Path) -> None:
    path = tmp_path / "index.bin"
    first, _ = filled(make_index, n=5)
    first.save(path)
    second, _ = filled(make_index, n=12, seed=3)
    second.save(path)
    assert len(load_index(path)) == 12
    assert [p.name for p in tmp_path.iterdir()] == ["index.bin"]


def test_bytes_round_trip(make_index: IndexMaker) -> None:
    index, ids = filled(make_index, n=30)
    index.remove(ids[:4])
    restored = type(index).from_bytes(index.to_bytes())
    queries = unit_vectors(12, 5)
    assert_same_results(restored.search(queries, 6), index.search(queries, 6))
    assert_same_results(
        index_from_bytes(index.to_bytes()).search(queries, 6), restored.search(queries, 6)
    )
    empty = make_index(DIM)
    assert len(type(empty).from_bytes(empty.to_bytes())) == 0


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[: len(b) // 2], id="truncated-half"),
        pytest.param(lambda b: b[:-1], id="truncated-last-byte"),
        pytest.param(lambda b: b[:20], id="truncated-header"),
        pytest.param(lambda b: b"", id="empty"),
        pytest.param(lambda b: b"\x00" * len(b), id="zeroed"),
        pytest.param(
            lambda b: b[: len(b) // 2] + bytes([b[len(b) // 2] ^ 0x40]) + b[len(b) // 2 + 1 :],
            id="bit-flip",
        ),
        pytest.param(lambda b: b + b"extra", id="trailing-bytes"),
    ],
)
def test_damaged_file_raises_index_file_error(
    make_index: IndexMaker, tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    index, _ = filled(make_index, n=20)
    path = tmp_path / "index.bin"
    path.write_bytes(damage(index.to_bytes()))
    with pytest.raises(IndexFileError):
        load_index(path)
    with pytest.raises(IndexFileError):
        type(index).from_bytes(path.read_bytes())


def test_from_bytes_of_other_kind_raises(make_index: IndexMaker) -> None:
    index, _ = filled(make_index, n=3)
    other = create_index("numpy" if index.kind != "numpy" else "flat", DIM)
    with pytest.raises(IndexFileError, match="kind"):
        type(index).from_bytes(other.to_bytes())


# --------------------------------------------------------------------------- threads


def test_concurrent_adds_searches_and_snapshots(make_index: IndexMaker) -> None:
    index = make_index(DIM)
    vectors = unit_vectors(21, 200)
    errors: list[BaseException] = []
    snapshot_sizes: list[int] = []
    done = threading.Event()

    def writer() -> None:
        try:
            for start in range(0, 200, 10):
                index.add(np.arange(start, start + 10), vectors[start : start + 10])
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    def reader() -> None:
        try:
            while not done.is_set():
                result = index.search(vectors[:4], 5)
                assert (result.scores[:, :-1] >= result.scores[:, 1:]).all()
                snapshot_sizes.append(len(index_from_bytes(index.to_bytes())))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert len(index) == 200
    # Snapshots only ever see whole add calls.
    assert all(size % 10 == 0 for size in snapshot_sizes)


class Frozen:
    """Hold ``index.to_bytes()`` inside the backend's serialisation until :meth:`release`.

    While held, the index is in the state every snapshot passes through: its backend frozen,
    writes going to the overlay.
    """

    def __init__(self, index: VectorIndex) -> None:
        self.index = index
        self.data: bytes | None = None
        self._started, self._release = threading.Event(), threading.Event()
        dump = index._dump

        def held() -> Any:
            self._started.set()
            assert self._release.wait(30)
            return dump()

        index._dump = held  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._snapshot)
        self._thread.start()
        assert self._started.wait(30)

    def _snapshot(self) -> None:
        self.data = self.index.to_bytes()

    def release(self) -> bytes:
        self._release.set()
        self._thread.join(30)
        del self.index._dump
        assert self.data is not None
        return self.data


def test_writes_during_a_snapshot_do_not_wait_and_are_seen_at_once(
    make_index: IndexMaker,
) -> None:
    index, ids = filled(make_index, n=40)
    before = index.search(unit_vectors(3, 5), 7)
    fresh, renewed = unit_vectors(7, 10), unit_vectors(8, 1)
    frozen = Frozen(index)
    # Each call returns while the backend is still being serialised (a blocked writer would
    # hang here and fail the join timeout in release()).
    index.add(np.arange(10, 20), fresh)
    assert index.remove(ids[:5]) == 5
    assert index.remove([ids[5]]) == 1
    index.add([ids[5]], renewed)  # removed from the backend, re-added with a new vector
    assert index.remove([12]) == 1  # an overlay add removed again
    assert len(index) == 40 - 5 + 9
    assert 12 not in index
    assert int(ids[0]) not in index
    assert int(ids[5]) in index
    np.testing.assert_array_equal(index.reconstruct([11, int(ids[5])]), [fresh[1], renewed[0]])
    everything = index.search(np.concatenate([fresh, renewed]), len(index))
    assert not np.isin(everything.ids, [*ids[:5].tolist(), 12]).any()
    assert everything.ids[1, 0] == 11
    assert everything.ids[10, 0] == ids[5]
    # The snapshot holds the state of its start.
    snapshot = index_from_bytes(frozen.release())
    np.testing.assert_array_equal(snapshot.ids(), ids)
    assert_same_results(snapshot.search(unit_vectors(3, 5), 7), before)
    # Afterwards the overlay is in the backend: a second snapshot has it.
    again = index_from_bytes(index.to_bytes())
    np.testing.assert_array_equal(again.ids(), index.ids())
    np.testing.assert_array_equal(again.reconstruct([11]), fresh[1:2])


def test_many_writes_during_a_snapshot_are_replayed_in_batches(make_index: IndexMaker) -> None:
    """More writes than one replay batch (64): removes, re-adds and adds all land, in order."""
    index, ids = filled(make_index, n=60)
    oracle = create_index("numpy", DIM)
    oracle.add(ids, unit_vectors(0, 60))
    frozen = Frozen(index)
    fresh = unit_vectors(9, 300)
    for target in (index, oracle):
        target.add(np.arange(300), fresh)
        assert target.remove(ids[:40]) == 40
        target.add(ids[:20], fresh[:20])  # 20 backend ids come back with new vectors
        assert target.remove(np.arange(0, 300, 3)) == 100
    frozen.release()
    queries = np.concatenate([fresh[:4], unit_vectors(10, 4)])
    assert_same_results(index.search(queries, 9), oracle.search(queries, 9))
    np.testing.assert_array_equal(index.ids(), oracle.ids())
    np.testing.assert_array_equal(index.reconstruct(ids[:20]), fresh[:20])
    restored = index_from_bytes(index.to_bytes())
    np.testing.assert_array_equal(restored.ids(), oracle.ids())


def _blend(score: float, axis: int) -> NDArray[np.float32]:
    """A unit vector with inner product ``score`` with e_0, the rest along e_axis."""
    vector = np.zeros(DIM, dtype=np.float32)
    vector[0], vector[axis] = score, np.sqrt(1 - score**2)
    return vector


def test_a_tie_cut_off_in_the_backend_is_not_settled_by_a_weaker_overlay_vector(
    make_index: IndexMaker,
) -> None:
    """Ties at the k-th place are broken by id even while a snapshot runs.

    The backend's first fetch (k + 1 = 3) holds id 30 and two of the three tied ids; the
    overlay's vector scores below all of them. Were it counted as fetched, the row would look
    settled (k-th score 0.5 above the last, 0.3) and the tied id 10 could be lost.
    """
    index = make_index(DIM)
    # Inserted highest id first, so backends that return ties in insertion order cut id 10.
    index.add(
        [30, 25, 20, 10, 40, 50], [_blend(1.0, 1), *[_blend(0.5, 2)] * 3, *[_blend(0.1, 3)] * 2]
    )
    frozen = Frozen(index)
    index.add([60], [_blend(0.3, 4)])
    result = index.search(_blend(1.0, 1)[None, :], 2)
    frozen.release()
    assert result.ids.tolist() == [[30, 10]]


@pytest.mark.parametrize("label", list(BACKENDS))
@settings(max_examples=25, deadline=None)
@given(
    scenario=st.integers(0, 2**32 - 1).flatmap(
        lambda seed: st.tuples(
            st.just(seed),
            st.integers(0, 40),  # vectors in the backend when frozen
            st.integers(0, 20),  # added while frozen
            st.lists(st.integers(0, 59), max_size=20),  # removed while frozen (positions)
            st.integers(1, 12),  # k
        )
    )
)
def test_search_during_a_snapshot_matches_the_numpy_oracle(
    label: str, scenario: tuple[int, int, int, list[int], int]
) -> None:
    seed, before, after, removals, k = scenario
    vectors = unit_vectors(seed, before + after)
    if before + after > 2:  # duplicates across backend and overlay: ties broken by id
        vectors[-1] = vectors[0]
    ids = np.arange(before + after, dtype=np.int64) * 3
    oracle, index = create_index("numpy", DIM), _maker(label)(DIM)
    oracle.add(ids, vectors)
    index.add(ids[:before], vectors[:before])
    frozen = Frozen(index)
    index.add(ids[before:], vectors[before:])
    doomed = np.unique(ids[[r for r in removals if r < ids.size]])
    assert index.remove(doomed) == oracle.remove(doomed)
    queries = np.concatenate([vectors[:3], unit_vectors(seed + 1, 3)])
    assert_same_results(index.search(queries, k), oracle.search(queries, k))
    frozen.release()
    assert_same_results(index.search(queries, k), oracle.search(queries, k))
    np.testing.assert_array_equal(index.ids(), oracle.ids())


# --------------------------------------------------------------------------- oracle


@st.composite
def index_scenarios(draw: st.DrawFn) -> tuple[NDArray[np.int64], NDArray[np.float32], Any, int]:
    n = draw(st.integers(min_value=0, max_value=60))
    ids = np.array(
        draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n, unique=True)),
        dtype=np.int64,
    )
    vectors = unit_vectors(draw(st.integers(0, 2**32 - 1)), n)
    # Duplicate some vectors so ties (broken by id) occur.
    for source, target in draw(st.lists(st.tuples(st.integers(0, 59), st.integers(0, 59)))):
        if source < n and target < n:
            vectors[target] = vectors[source]
    removed = draw(st.lists(st.sampled_from(ids.tolist()), unique=True)) if n else []
    k = draw(st.integers(1, 12))
    return ids, vectors, removed, k


@pytest.mark.parametrize("label", [label for label in BACKENDS if label != "numpy"])
@settings(max_examples=40, deadline=None)
@given(scenario=index_scenarios(), query_seed=st.integers(0, 2**32 - 1))
def test_matches_numpy_oracle(
    label: str, scenario: tuple[NDArray[np.int64], NDArray[np.float32], Any, int], query_seed: int
) -> None:
    ids, vectors, removed, k = scenario
    oracle = create_index("numpy", DIM)
    index = _maker(label)(DIM)
    for target in (oracle, index):
        target.add(ids, vectors)
        assert target.remove(np.array(removed, dtype=np.int64)) == len(removed)
    # Queries: some stored vectors (exact hits, ties) and some fresh random ones.
    queries = np.concatenate([vectors[:3], unit_vectors(query_seed, 3)])
    # Exact equality, HNSW included: with n <= 60 and ef_search = 128 >= n, HNSW explores
    # every reachable node, and the base class re-scores and sorts candidates identically.
    assert_same_results(index.search(queries, k), oracle.search(queries, k))
    np.testing.assert_array_equal(index.ids(), oracle.ids())


def test_auto_switched_backend_really_converts() -> None:
    index, _ = filled(_maker("auto-switched"), n=9)
    assert isinstance(index, AutoIndex)
    assert index.active_kind == "hnsw"
