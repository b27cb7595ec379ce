"""AutoIndex's background conversion to HNSW: callers never wait for the build, and nothing
done during the build is lost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from numpy.typing import ArrayLike, NDArray

import indexes.auto
from indexes.auto import AutoConfig, AutoIndex
from indexes.factory import create_index, index_from_bytes
from indexes.faiss_hnsw import FaissHNSWIndex
from indexes.numpy_index import NumpyIndex

DIM = 16
SWITCH_AT = 300


def unit_vectors(seed: int, n: int) -> NDArray[np.float32]:
    x = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


class GatedHNSW(FaissHNSWIndex):
    """HNSW whose first add (the builder's first chunk) waits until the test opens the gate."""

    started = threading.Event()
    gate = threading.Event()
    fail = False

    def add(self, ids: ArrayLike, vectors: ArrayLike) -> None:
        if not GatedHNSW.started.is_set():
            GatedHNSW.started.set()
            assert GatedHNSW.gate.wait(30), "test never opened the gate"
        if GatedHNSW.fail:
            raise RuntimeError("build failed")
        super().add(ids, vectors)


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[GatedHNSW]]:
    GatedHNSW.started = threading.Event()
    GatedHNSW.gate = threading.Event()
    GatedHNSW.fail = False
    monkeypatch.setattr(indexes.auto, "FaissHNSWIndex", GatedHNSW)
    yield GatedHNSW
    GatedHNSW.gate.set()


def background_index() -> AutoIndex:
    return AutoIndex(DIM, AutoConfig(switch_at=SWITCH_AT, background_from=0))


def in_thread(fn: Any, timeout: float = 5.0) -> Any:
    """Run ``fn`` in another thread; fail if it blocks (e.g. on a lock held by the build)."""
    out: list[Any] = []
    worker = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    worker.start()
    worker.join(timeout)
    assert not worker.is_alive(), "call blocked while the HNSW graph was being built"
    return out[0] if out else None


def test_build_runs_in_background_and_keeps_changes_made_meanwhile(
    gated: type[GatedHNSW],
) -> None:
    index, oracle = background_index(), NumpyIndex(DIM)
    vectors = unit_vectors(0, SWITCH_AT + 1)
    ids = np.arange(SWITCH_AT + 1, dtype=np.int64)
    index.add(ids, vectors)  # crosses switch_at: starts the builder and returns at once
    oracle.add(ids, vectors)
    assert gated.started.wait(10)
    assert index.converting
    assert index.active_kind == "flat"

    # While the builder is stuck inside its first add, every call is served by the flat index.
    new_ids = np.arange(1000, 1050, dtype=np.int64)
    new_vectors = unit_vectors(1, 50)
    in_thread(lambda: index.add(new_ids, new_vectors))
    oracle.add(new_ids, new_vectors)
    removed = np.array([0, 5, 7, 1001], dtype=np.int64)
    assert in_thread(lambda: index.remove(removed)) == 4
    oracle.remove(removed)
    replaced = unit_vectors(2, 1)  # id 9 removed and re-added with another vector

    def replace() -> None:
        index.remove(np.array([9]))
        index.add(np.array([9]), replaced)

    in_thread(replace)
    oracle.remove(np.array([9]))
    oracle.add(np.array([9]), replaced)
    queries = unit_vectors(3, 20)
    during = in_thread(lambda: index.search(queries, 10))
    expected = oracle.search(queries, 10)
    np.testing.assert_array_equal(during.ids, expected.ids)  # still exact
    snapshot = in_thread(index.to_bytes)

    gated.gate.set()
    assert index.wait_converted(30)
    assert not index.converting
    assert index.active_kind == "hnsw"
    assert index.build_error is None

    np.testing.assert_array_equal(index.ids(), oracle.ids())
    np.testing.assert_array_equal(index.reconstruct(oracle.ids()), oracle.reconstruct(oracle.ids()))
    np.testing.assert_array_equal(index.reconstruct(np.array([9])), replaced)
    # Vectors added during the build are found (each is its own nearest neighbour) ...
    kept_new = new_ids[new_ids != 1001]
    found = index.search(oracle.reconstruct(kept_new), 1).ids[:, 0]
    np.testing.assert_array_equal(found, kept_new)
    # ... and removed ones never come back, whatever the query.
    everything = index.search(unit_vectors(4, 50), len(index)).ids
    assert not np.isin(removed, everything).any()
    assert len(index) == len(oracle)

    # The snapshot taken during the build is the complete flat index of that moment.
    restored = index_from_bytes(snapshot)
    assert isinstance(restored, AutoIndex)
    assert restored.active_kind == "flat"
    np.testing.assert_array_equal(restored.ids(), oracle.ids())


def test_a_failed_build_keeps_the_flat_index_and_retries(gated: type[GatedHNSW]) -> None:
    index = background_index()
    vectors = unit_vectors(0, SWITCH_AT + 2)
    index.add(np.arange(SWITCH_AT + 1), vectors[:-1])
    assert gated.started.wait(10)
    gated.fail = True
    gated.gate.set()
    for _ in range(500):
        if not index.converting:
            break
        threading.Event().wait(0.01)
    assert not index.converting
    assert isinstance(index.build_error, RuntimeError)
    assert index.active_kind == "flat"
    assert len(index) == SWITCH_AT + 1

    gated.fail = False
    index.add(np.array([SWITCH_AT + 1]), vectors[-1:])  # the next add starts a new build
    assert index.wait_converted(30)
    assert index.active_kind == "hnsw"
    assert len(index) == SWITCH_AT + 2


def test_small_conversions_stay_inline_and_options_round_trip() -> None:
    index = create_index("auto", DIM, switch_at=10, background_from=50)
    assert isinstance(index, AutoIndex)
    assert index.config.background_from == 50
    index.add(np.arange(11), unit_vectors(0, 11))
    assert index.active_kind == "hnsw"  # 11 < background_from: converted inside add
    assert not index.converting
    assert index.wait_converted(0)
    restored = index_from_bytes(index.to_bytes())
    assert isinstance(restored, AutoIndex)
    assert restored.config.background_from == 50
    assert restored.wait_converted(0)
    with pytest.raises(ValueError, match="background_from"):
        AutoConfig(background_from=-1)
