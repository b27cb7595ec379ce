"""ShardedIndex beyond the common contract: time buckets, retention, the clock, persistence.

The contract suite (test_contract.py) already runs the sharded index against the NumPy
oracle for adds, removes, searches and snapshots; these tests cover what only it does.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from indexes.factory import create_index, index_from_bytes, load_index
from indexes.sharded import ShardedIndex

DIM = 8


def unit_vectors(seed: int, n: int) -> NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def manual(**options: Any) -> ShardedIndex:
    """A sharded index on a manual clock with 10-second buckets."""
    index = create_index("sharded", DIM, clock="manual", bucket_s=10, **options)
    assert isinstance(index, ShardedIndex)
    return index


def three_buckets(**options: Any) -> tuple[ShardedIndex, NDArray[np.float32]]:
    """Ids 0-3 written at t=5, 10-13 at t=15, 20-23 at t=25 (buckets 0, 1, 2)."""
    index = manual(**options)
    vectors = unit_vectors(0, 12)
    for bucket in range(3):
        index.advance(bucket * 10 + 5)
        index.add(np.arange(4) + 10 * bucket, vectors[4 * bucket : 4 * bucket + 4])
    return index, vectors


def test_each_bucket_gets_its_own_shard_and_search_merges_them() -> None:
    index, vectors = three_buckets()
    assert index.shard_info() == [(0, 4), (10, 4), (20, 4)]
    result = index.search(vectors, 1)
    np.testing.assert_array_equal(result.ids[:, 0], [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23])
    oracle = create_index("numpy", DIM)
    oracle.add(index.ids(), index.reconstruct(index.ids()))
    queries = unit_vectors(1, 5)
    for k in (1, 5, 12, 20):
        got, want = index.search(queries, k), oracle.search(queries, k)
        np.testing.assert_array_equal(got.ids, want.ids)
        np.testing.assert_array_equal(got.scores, want.scores)


def test_drop_before_removes_whole_ended_shards() -> None:
    index, vectors = three_buckets()
    assert index.drop_before(19.9).tolist() == [0, 1, 2, 3]  # bucket 1 ends at 20
    dropped = index.drop_before(20)
    assert dropped.tolist() == [10, 11, 12, 13]
    assert index.shard_info() == [(20, 4)]
    assert len(index) == 4
    assert not index.contains(10)
    np.testing.assert_array_equal(index.ids(), [20, 21, 22, 23])
    result = index.search(vectors, 12)
    assert set(result.ids[result.ids >= 0].tolist()) == {20, 21, 22, 23}
    with pytest.raises(KeyError):
        index.reconstruct([3])
    assert index.drop_before(20).size == 0


def test_dropping_the_newest_shard_lets_the_next_write_start_a_fresh_one() -> None:
    index, _ = three_buckets()
    assert index.drop_before(1000).size == 12
    assert len(index) == 0
    assert index.shard_info() == []
    index.add([7], unit_vectors(3, 1))
    assert index.shard_info() == [(20, 1)]  # the clock is still at 25
    assert index.ids().tolist() == [7]


def test_window_drops_shards_as_the_clock_advances() -> None:
    index, _ = three_buckets(window_s=20)
    # At t=25 the window starts at 5: bucket 0 (ends at 10) is still partly inside it.
    assert len(index) == 12
    assert index.advance(30).tolist() == [0, 1, 2, 3]  # window starts at 10
    assert index.advance(39.5).size == 0
    assert index.advance(40).tolist() == [10, 11, 12, 13]
    assert index.shard_info() == [(20, 4)]
    # The newest shard of bucket 2 is gone, so a write at t=40 starts bucket 4.
    index.add([99], unit_vectors(4, 1))
    assert index.shard_info() == [(20, 4), (40, 1)]


def test_the_clock_never_goes_back() -> None:
    index = manual()
    index.advance(100)
    index.advance(50)
    assert index.now() == 100
    index.add([1], unit_vectors(0, 1))
    assert index.shard_info() == [(100, 1)]
    with pytest.raises(ValueError, match="finite"):
        index.advance(float("nan"))


def test_wall_clock_follows_time_and_advance() -> None:
    index = create_index("sharded", DIM, bucket_s=3600)
    assert isinstance(index, ShardedIndex)
    before = time.time()
    assert before <= index.now() <= time.time()
    index.advance(before + 10 * 3600)  # ahead of the wall clock: the clock jumps
    assert index.now() >= before + 10 * 3600
    index.add([5], unit_vectors(0, 1))
    ((start, size),) = index.shard_info()
    assert size == 1
    assert start == index.bucket_of(before + 10 * 3600) * 3600


def test_remove_by_id_reaches_every_shard_and_drops_emptied_old_ones() -> None:
    index, vectors = three_buckets()
    assert index.remove([1, 12, 23, 404]) == 3
    assert index.shard_info() == [(0, 3), (10, 3), (20, 3)]
    assert index.remove([0, 2, 3]) == 3
    assert index.shard_info() == [(10, 3), (20, 3)]  # bucket 0 emptied: gone
    assert index.remove([20, 21, 22]) == 3
    assert index.shard_info() == [(10, 3), (20, 0)]  # the newest stays to take writes
    result = index.search(vectors, 12)
    assert sorted(result.ids[0][result.ids[0] >= 0].tolist()) == [10, 11, 13]


def test_capacity_splits_one_add_over_several_shards() -> None:
    index = manual(shard_capacity=4, shard_kind="flat")
    index.advance(3)
    vectors = unit_vectors(0, 10)
    index.add(np.arange(10), vectors)
    assert index.shard_info() == [(0, 4), (0, 4), (0, 2)]
    index.advance(12)
    index.add([10], unit_vectors(1, 1))
    assert index.shard_info() == [(0, 4), (0, 4), (0, 2), (10, 1)]
    np.testing.assert_array_equal(index.reconstruct(np.arange(10)), vectors)
    assert index.drop_before(10).tolist() == list(range(10))


def test_save_and_load_keep_shards_clock_and_options(tmp_path: Path) -> None:
    index, vectors = three_buckets(
        window_s=20, shard_kind="flat", shard_options={"blas_threshold": 4}
    )
    path = tmp_path / "sharded.idx"
    index.save(path, meta={"who": "test"})
    loaded = load_index(path)
    assert isinstance(loaded, ShardedIndex)
    assert loaded.config == index.config
    assert loaded.meta == {"who": "test"}
    assert loaded.now() == 25
    assert loaded.shard_info() == index.shard_info()
    np.testing.assert_array_equal(loaded.search(vectors, 5).ids, index.search(vectors, 5).ids)
    assert loaded.advance(30).tolist() == [0, 1, 2, 3]  # the window still applies
    loaded.add([30], unit_vectors(9, 1))
    assert loaded.shard_info() == [(10, 4), (20, 4), (30, 1)]


def test_a_drop_waits_for_a_snapshot_in_progress() -> None:
    index, _ = three_buckets()
    started, release = threading.Event(), threading.Event()
    dump = index._dump

    def held() -> Any:
        started.set()
        assert release.wait(30)
        return dump()

    index._dump = held  # type: ignore[method-assign]
    snapshot: list[bytes] = []
    taker = threading.Thread(target=lambda: snapshot.append(index.to_bytes()))
    taker.start()
    assert started.wait(30)
    dropped: list[NDArray[np.int64]] = []
    dropper = threading.Thread(target=lambda: dropped.append(index.drop_before(20)))
    dropper.start()
    dropper.join(0.2)
    assert dropper.is_alive()  # waiting: the shards are being serialised
    index.add([50], unit_vectors(5, 1))  # writers do not wait
    release.set()
    taker.join(30)
    dropper.join(30)
    del index._dump
    assert dropped[0].tolist() == [0, 1, 2, 3, 10, 11, 12, 13]
    assert len(index_from_bytes(snapshot[0])) == 12  # the state of the snapshot's start
    assert index.ids().tolist() == [20, 21, 22, 23, 50]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"shard_kind": "sharded"}, "shard_kind"),
        ({"shard_kind": "ivf"}, "shard_kind"),
        ({"bucket_s": 0}, "bucket_s"),
        ({"window_s": -1}, "window_s"),
        ({"shard_capacity": 0}, "shard_capacity"),
        ({"clock": "sundial"}, "clock"),
        ({"shard_options": {"ef_search": 0}}, "ef_search"),
        ({"shard_options": {"nlist": 4}}, "unknown option"),
        ({"buckets": 3}, "unknown option"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        create_index("sharded", DIM, **options)


# One step of a random history: advance the clock, add, remove, or drop old shards.
_STEP = st.one_of(
    st.tuples(st.just("advance"), st.integers(0, 15)),
    st.tuples(st.just("add"), st.integers(1, 6)),
    st.tuples(st.just("remove"), st.integers(0, 200)),
    st.tuples(st.just("drop"), st.integers(0, 60)),
)


@settings(max_examples=40, deadline=None)
@given(steps=st.lists(_STEP, max_size=25), seed=st.integers(0, 2**16), k=st.integers(1, 8))
def test_random_histories_match_the_numpy_oracle(
    steps: list[tuple[str, int]], seed: int, k: int
) -> None:
    """Whatever the history, the sharded index answers like an exact index of what is live."""
    index = manual(shard_capacity=5, window_s=30)
    oracle = create_index("numpy", DIM)
    vectors = unit_vectors(seed, 200)
    next_id = 0
    for action, value in steps:
        if action == "advance":
            oracle.remove(index.advance(index.now() + value))
        elif action == "add":
            ids = np.arange(next_id, min(next_id + value, 200))
            next_id += ids.size
            index.add(ids, vectors[ids])
            oracle.add(ids, vectors[ids])
        elif action == "remove":
            assert index.remove([value]) == oracle.remove([value])
        else:
            oracle.remove(index.drop_before(value))
        np.testing.assert_array_equal(index.ids(), oracle.ids())
    queries = unit_vectors(seed + 1, 4)
    got, want = index.search(queries, k), oracle.search(queries, k)
    np.testing.assert_array_equal(got.ids, want.ids)
    np.testing.assert_array_equal(got.scores, want.scores)
