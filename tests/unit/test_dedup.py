from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.pipeline.dedup import DedupConfig, Neighbour, NewText, assign_clusters


def unit(*values: float) -> np.ndarray:
    v = np.asarray(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_joins_nearest_existing_cluster_above_threshold() -> None:
    new = [NewText(10, unit(1, 0, 0), 20)]
    neighbours = {10: [Neighbour(1, 0.95), Neighbour(2, 0.97), Neighbour(3, 0.5)]}
    out, nxt = assign_clusters(new, neighbours, {1: "c1", 2: "c2", 3: "c3"}, 4)
    assert out[0].cluster_id == "c2"
    assert not out[0].founded
    assert out[0].matched_text_id == 2
    assert nxt == 4


def test_below_threshold_founds_new_cluster() -> None:
    new = [NewText(10, unit(1, 0, 0), 20)]
    out, nxt = assign_clusters(new, {10: [Neighbour(1, 0.89)]}, {1: "c1"}, 7)
    assert out[0].cluster_id == "c7"
    assert out[0].founded
    assert nxt == 8


def test_short_text_never_joins_by_similarity() -> None:
    new = [NewText(10, unit(1, 0, 0), 3)]
    out, _ = assign_clusters(new, {10: [Neighbour(1, 0.99)]}, {1: "c1"}, 2)
    assert out[0].founded


def test_new_texts_match_each_other() -> None:
    a, b = unit(1, 0.01, 0), unit(1, 0.02, 0)
    out, nxt = assign_clusters([NewText(6, b, 20), NewText(5, a, 20)], {}, {}, 1)
    assert [o.text_id for o in out] == [5, 6]
    assert out[0].cluster_id == out[1].cluster_id == "c1"
    assert nxt == 2


def test_ties_go_to_lower_text_id() -> None:
    new = [NewText(10, unit(1, 0), 20)]
    out, _ = assign_clusters(
        new, {10: [Neighbour(4, 0.95), Neighbour(3, 0.95)]}, {3: "cA", 4: "cB"}, 1
    )
    assert out[0].cluster_id == "cA"


def test_stale_neighbours_are_ignored() -> None:
    new = [NewText(10, unit(1, 0), 20)]
    out, _ = assign_clusters(new, {10: [Neighbour(99, 0.99)]}, {}, 1)
    assert out[0].founded


def test_rejects_duplicate_or_existing_ids() -> None:
    with pytest.raises(ValueError, match="unique"):
        assign_clusters([NewText(1, unit(1, 0), 9), NewText(1, unit(0, 1), 9)], {}, {}, 1)
    with pytest.raises(ValueError, match="already"):
        assign_clusters([NewText(1, unit(1, 0), 9)], {}, {1: "c1"}, 1)


def test_config_validates() -> None:
    with pytest.raises(ValueError, match="cosine"):
        DedupConfig(threshold=1.5)


vectors = st.lists(
    st.lists(st.integers(-3, 3), min_size=4, max_size=4).filter(any),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(vectors, st.randoms(use_true_random=False))
def test_partition_and_order_independence(raw: list[list[int]], rnd: object) -> None:
    texts = [NewText(i + 1, unit(*map(float, v)), 10) for i, v in enumerate(raw)]
    config = DedupConfig(threshold=0.8, min_words=5)
    out, nxt = assign_clusters(texts, {}, {}, 1, config)
    shuffled = list(texts)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    again, _ = assign_clusters(shuffled, {}, {}, 1, config)
    assert out == again
    # A partition: every text exactly once; founded clusters are numbered densely.
    assert sorted(o.text_id for o in out) == [t.text_id for t in texts]
    founded = [o.cluster_id for o in out if o.founded]
    assert founded == [f"c{i}" for i in range(1, nxt)]
    # Every join is justified by a similar enough earlier text of that cluster.
    by_id = {t.text_id: t for t in texts}
    cluster = {o.text_id: o.cluster_id for o in out}
    for o in out:
        if not o.founded:
            assert o.matched_text_id is not None
            assert o.matched_text_id < o.text_id
            assert cluster[o.matched_text_id] == o.cluster_id
            sim = float(by_id[o.text_id].vector @ by_id[o.matched_text_id].vector)
            assert sim >= 0.8 - 1e-6
