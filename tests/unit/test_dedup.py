from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.pipeline.dedup import (
    DedupConfig,
    Neighbour,
    NewText,
    assign_clusters,
    is_near_duplicate,
)
from service.pipeline.lexical import jaccard, signature


def unit(*values: float) -> np.ndarray:
    v = np.asarray(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_joins_nearest_existing_cluster_above_threshold() -> None:
    new = [NewText(10, unit(1, 0, 0), 20)]
    neighbours = {10: [Neighbour(1, 0.975), Neighbour(2, 0.98), Neighbour(3, 0.5)]}
    out, nxt = assign_clusters(new, neighbours, {1: "c1", 2: "c2", 3: "c3"}, 4)
    assert out[0].cluster_id == "c2"
    assert not out[0].founded
    assert out[0].matched_text_id == 2
    assert nxt == 4


def test_below_threshold_founds_new_cluster() -> None:
    new = [NewText(10, unit(1, 0, 0), 20)]
    out, nxt = assign_clusters(new, {10: [Neighbour(1, 0.96)]}, {1: "c1"}, 7)
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
        new, {10: [Neighbour(4, 0.98), Neighbour(3, 0.98)]}, {3: "cA", 4: "cB"}, 1
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
    with pytest.raises(ValueError, match="lexical_threshold must be <= threshold"):
        DedupConfig(threshold=0.9, lexical_threshold=0.95)
    with pytest.raises(ValueError, match="min_jaccard"):
        DedupConfig(min_jaccard=1.2)


WIRE = "Fire Chief Dana Ruiz said crews fought the blaze for six hours before it was controlled."
REWRITE = (
    "Fire Chief Dana Ruiz said firefighters fought the blaze for six hours before it was "
    "controlled."
)
OTHER_NUMBER = WIRE.replace("six hours", "16 hours")
ADDED_FACT = WIRE.replace(
    "controlled.", "controlled, and the owner promised a full investigation of the cause."
)
SPELLED = WIRE.replace("six", "6")


@pytest.mark.parametrize(
    ("other", "score", "expected"),
    [
        (REWRITE, 0.93, True),  # a one-word rewrite: same numbers, high Jaccard
        (OTHER_NUMBER, 0.95, False),  # a changed number says something else
        (ADDED_FACT, 0.93, False),  # an added fact: Jaccard falls below the bar
        (ADDED_FACT, 0.975, True),  # ... unless the cosine alone is decisive
        (REWRITE, 0.80, False),  # below the lexical floor nothing joins
        (SPELLED, 0.95, True),  # "six" and "6" are the same number
    ],
)
def test_lexical_check(other: str, score: float, expected: bool) -> None:
    config = DedupConfig()
    assert is_near_duplicate(score, signature(WIRE), signature(other), config) is expected
    assert is_near_duplicate(score, signature(other), signature(WIRE), config) is expected


def test_without_signatures_only_the_cosine_rule_applies() -> None:
    config = DedupConfig()
    assert not is_near_duplicate(0.95, None, signature(WIRE), config)
    assert is_near_duplicate(config.threshold, None, None, config)


def test_assign_uses_the_lexical_check_for_neighbours_and_new_texts() -> None:
    wire, rewrite, changed = signature(WIRE), signature(REWRITE), signature(OTHER_NUMBER)
    # The existing neighbour is a rewrite at 0.93: joins through the lexical rule.
    out, _ = assign_clusters(
        [NewText(10, unit(1, 0), 20, rewrite)], {10: [Neighbour(1, 0.93, wire)]}, {1: "c1"}, 2
    )
    assert out[0].cluster_id == "c1"
    # Two new texts at cosine ~0.95 that differ in a number stay apart.
    a, b = unit(1, 0.33), unit(1, 0)
    assert 0.94 < float(a @ b) < 0.96
    out, _ = assign_clusters([NewText(5, a, 20, wire), NewText(6, b, 20, changed)], {}, {}, 1)
    assert out[0].cluster_id != out[1].cluster_id


vectors = st.lists(
    st.lists(st.integers(-3, 3), min_size=4, max_size=4).filter(any),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(vectors, st.randoms(use_true_random=False))
def test_partition_and_order_independence(raw: list[list[int]], rnd: object) -> None:
    texts = [NewText(i + 1, unit(*map(float, v)), 10) for i, v in enumerate(raw)]
    config = DedupConfig(threshold=0.8, lexical_threshold=0.8, min_words=5)
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


def test_signature_ignores_function_words_and_case_but_keeps_numbers_and_negation() -> None:
    a = signature("The mayor said the 1,200 homes were NOT flooded.")
    assert a.numbers == frozenset({"1200"})
    assert signature("Two of the 3 boats").numbers == frozenset({"2", "3"})
    assert {"mayor", "homes", "not", "flooded"} <= a.words
    assert "the" not in a.words
    assert "1200" not in a.words
    b = signature("Mayor: 1200 homes were flooded")
    assert a.numbers == b.numbers
    assert jaccard(a, b) == pytest.approx(3 / 4)
    assert jaccard(signature(""), signature("...")) == 1.0
