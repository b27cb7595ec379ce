"""HNSW-specific behaviour: tombstones, rebuilds and recall against exact search."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from indexes.factory import create_index, load_index
from indexes.faiss_hnsw import FaissHNSWConfig, FaissHNSWIndex
from indexes.numpy_index import NumpyIndex

DIM = 16


def unit_vectors(seed: int, n: int, dim: int = DIM) -> NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def pair(
    n: int, rebuild_fraction: float = 0.2
) -> tuple[FaissHNSWIndex, NumpyIndex, NDArray[np.int64], NDArray[np.float32]]:
    """An HNSW index and the exact oracle holding the same n vectors (ids 0..n-1)."""
    hnsw = FaissHNSWIndex(DIM, FaissHNSWConfig(rebuild_fraction=rebuild_fraction))
    oracle = NumpyIndex(DIM)
    ids = np.arange(n, dtype=np.int64)
    vectors = unit_vectors(0, n)
    hnsw.add(ids, vectors)
    oracle.add(ids, vectors)
    return hnsw, oracle, ids, vectors


def assert_matches(hnsw: FaissHNSWIndex, oracle: NumpyIndex, k: int = 10) -> None:
    # At n = 100 with ef_search = 128 the HNSW search reaches every node: results are exact.
    queries = unit_vectors(42, 20)
    expected = oracle.search(queries, k)
    got = hnsw.search(queries, k)
    np.testing.assert_array_equal(got.ids, expected.ids)
    np.testing.assert_array_equal(got.scores, expected.scores)


def test_removal_leaves_tombstones_until_threshold_then_rebuilds() -> None:
    hnsw, oracle, ids, _ = pair(100)
    bytes_full = hnsw.memory_bytes()
    for index in (hnsw, oracle):
        index.remove(ids[:20])  # exactly 20% of stored nodes: not above the threshold
    assert hnsw.tombstones == 20
    assert len(hnsw) == 80
    assert_matches(hnsw, oracle)

    for index in (hnsw, oracle):
        index.remove(ids[20:21])  # 21 > 0.2 * 100: rebuild from the 79 live vectors
    assert hnsw.tombstones == 0
    assert len(hnsw) == 79
    assert hnsw.memory_bytes() < bytes_full
    np.testing.assert_array_equal(hnsw.ids(), ids[21:])
    assert_matches(hnsw, oracle)


def test_explicit_rebuild_preserves_results_and_vectors() -> None:
    hnsw, oracle, ids, vectors = pair(100)
    for index in (hnsw, oracle):
        index.remove(ids[::10])
    assert hnsw.tombstones == 10
    hnsw.rebuild()
    assert hnsw.tombstones == 0
    assert_matches(hnsw, oracle)
    live = np.setdiff1d(ids, ids[::10])
    np.testing.assert_array_equal(hnsw.reconstruct(live), vectors[live])


def test_search_through_many_tombstones_finds_all_live_vectors() -> None:
    # Never rebuild: 90 of 100 nodes are dead, far beyond what the first oversampled
    # search covers, so the base class must keep widening the search.
    hnsw, oracle, ids, _ = pair(100, rebuild_fraction=1.0)
    for index in (hnsw, oracle):
        index.remove(ids[10:])
    assert hnsw.tombstones == 90
    result = hnsw.search(unit_vectors(5, 4), 10)
    assert (np.sort(result.ids, axis=1) == ids[:10]).all()
    assert_matches(hnsw, oracle)


def test_readding_a_tombstoned_id_uses_the_new_vector() -> None:
    hnsw, oracle, ids, _ = pair(100)
    fresh = unit_vectors(7, 3)
    for index in (hnsw, oracle):
        index.remove(ids[:3])
        index.add(ids[:3], fresh)
    assert hnsw.tombstones == 3  # re-adding does not need a rebuild
    np.testing.assert_array_equal(hnsw.reconstruct(ids[:3]), fresh)
    assert_matches(hnsw, oracle)
    # Each id appears once per row even though its old node is still in the graph.
    result = hnsw.search(unit_vectors(0, 3), 100)
    for row in result.ids:
        assert np.unique(row[row >= 0]).size == (row >= 0).sum()


def test_tombstones_survive_save_and_load(tmp_path: Path) -> None:
    hnsw, oracle, ids, _ = pair(100)
    for index in (hnsw, oracle):
        index.remove(ids[:5])
    path = tmp_path / "hnsw.idx"
    hnsw.save(path)
    loaded = load_index(path)
    assert isinstance(loaded, FaissHNSWIndex)
    assert loaded.tombstones == 5
    assert loaded.config == hnsw.config
    assert_matches(loaded, oracle)
    loaded.add(ids[:1], unit_vectors(9, 1))
    assert loaded.contains(0)


def test_recall_at_10_on_random_vectors() -> None:
    # 5000 random unit vectors in 32 dimensions, default options (m=32,
    # ef_construction=200, ef_search=128). Random data is a hard case for HNSW (no
    # cluster structure); a broken ef setting or lost nodes would drop recall well
    # below 0.95. Building takes ~3 s on 2 cores.
    n, dim, k = 5000, 32, 10
    vectors = unit_vectors(1, n, dim)
    queries = unit_vectors(2, 200, dim)
    hnsw = create_index("hnsw", dim)
    exact = create_index("flat", dim)
    for index in (hnsw, exact):
        index.add(np.arange(n), vectors)
    approx_ids = hnsw.search(queries, k).ids
    exact_ids = exact.search(queries, k).ids
    hits = sum(np.intersect1d(a, e).size for a, e in zip(approx_ids, exact_ids, strict=True))
    recall = hits / exact_ids.size
    assert recall >= 0.95, f"recall@10 = {recall:.3f}"
