"""The factory: kinds, options, dispatching loads, and AutoIndex's switch to HNSW."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from indexes.auto import AutoIndex
from indexes.errors import IndexFileError
from indexes.factory import available_kinds, create_index, index_from_bytes, load_index
from indexes.faiss_flat import FaissFlatIndex
from indexes.faiss_hnsw import FaissHNSWIndex
from indexes.numpy_index import NumpyIndex

DIM = 8


def unit_vectors(seed: int, n: int) -> NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def test_available_kinds() -> None:
    assert available_kinds() == ("numpy", "flat", "hnsw", "auto", "sharded")


@pytest.mark.parametrize(
    ("kind", "expected_type"),
    [
        ("numpy", NumpyIndex),
        ("flat", FaissFlatIndex),
        ("hnsw", FaissHNSWIndex),
        ("auto", AutoIndex),
    ],
)
def test_create_index_builds_each_kind(kind: str, expected_type: type) -> None:
    index = create_index(kind, DIM)
    assert type(index) is expected_type
    assert index.kind == kind
    assert index.dim == DIM
    assert len(index) == 0


def test_unknown_kind_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown index kind 'ivf'") as info:
        create_index("ivf", DIM)
    for kind in available_kinds():
        assert kind in str(info.value)


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("numpy", {"m": 16}, "takes no options"),
        ("flat", {"ef_search": 16}, "unknown option"),
        ("hnsw", {"efSearch": 16}, "unknown option"),
        ("auto", {"bogus": 1}, "unknown option"),
        ("hnsw", {"m": 1}, "m must be"),
        ("hnsw", {"rebuild_fraction": 0.0}, "rebuild_fraction"),
        ("flat", {"blas_threshold": 0}, "blas_threshold"),
        ("auto", {"switch_at": -1}, "switch_at"),
    ],
)
def test_bad_options_raise(kind: str, options: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        create_index(kind, DIM, **options)


@pytest.mark.parametrize("dim", [0, -2])
def test_bad_dim_raises(dim: int) -> None:
    with pytest.raises(ValueError, match="dim"):
        create_index("flat", dim)


def test_options_reach_the_configs() -> None:
    hnsw = create_index("hnsw", DIM, m=16, ef_search=64)
    assert isinstance(hnsw, FaissHNSWIndex)
    assert (hnsw.config.m, hnsw.config.ef_search, hnsw.config.ef_construction) == (16, 64, 200)
    auto = create_index("auto", DIM, switch_at=10, ef_search=48, blas_threshold=4)
    assert isinstance(auto, AutoIndex)
    assert auto.config.switch_at == 10
    assert auto.config.hnsw.ef_search == 48
    assert auto.config.flat.blas_threshold == 4


@pytest.mark.parametrize("kind", ["numpy", "flat", "hnsw", "auto"])
def test_load_index_dispatches_on_the_stored_kind(kind: str, tmp_path: Path) -> None:
    index = create_index(kind, DIM)
    index.add(np.arange(5), unit_vectors(0, 5))
    path = tmp_path / f"{kind}.idx"
    index.save(path)
    loaded = load_index(path)
    assert type(loaded) is type(index)
    assert type(index_from_bytes(index.to_bytes())) is type(index)


def test_load_missing_file_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_index(tmp_path / "absent.idx")


def test_unknown_stored_kind_raises_index_file_error() -> None:
    class OddIndex(NumpyIndex):
        kind = "odd"

    with pytest.raises(IndexFileError, match="unknown kind 'odd'"):
        index_from_bytes(OddIndex(DIM).to_bytes())


def test_auto_switches_to_hnsw_past_switch_at_and_stays() -> None:
    auto = create_index("auto", DIM, switch_at=10)
    assert isinstance(auto, AutoIndex)
    vectors = unit_vectors(3, 11)
    auto.add(np.arange(10), vectors[:10])
    assert auto.active_kind == "flat"  # exactly switch_at vectors: still exact
    auto.add(np.array([10]), vectors[10:])
    assert auto.active_kind == "hnsw"
    np.testing.assert_array_equal(auto.reconstruct(np.arange(11)), vectors)
    oracle = create_index("numpy", DIM)
    oracle.add(np.arange(11), vectors)
    after, expected = auto.search(vectors, 5), oracle.search(vectors, 5)
    np.testing.assert_array_equal(after.ids, expected.ids)
    np.testing.assert_array_equal(after.scores, expected.scores)
    auto.remove(np.arange(8))
    assert auto.active_kind == "hnsw"  # no switching back
    assert len(auto) == 3
    restored = index_from_bytes(auto.to_bytes())
    assert isinstance(restored, AutoIndex)
    assert restored.active_kind == "hnsw"
    np.testing.assert_array_equal(restored.ids(), [8, 9, 10])
