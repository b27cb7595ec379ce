"""Metrics of the evaluation harness, checked on small hand-computed examples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr
from sklearn.metrics import adjusted_rand_score

from service.evaluation.metrics import (
    PRF,
    PRPoint,
    RougeScores,
    adjusted_rand_index,
    bcubed,
    bootstrap_ci,
    make_rouge_scorer,
    mean_rouge,
    pairwise_f1,
    pr_curve,
    precision_recall_f1,
    rouge,
    spearman,
    threshold_for_precision,
)
from service.evaluation.tokenize import (
    UnicodeRougeTokenizer,
    content_words,
    count_words,
    truncate_words,
)

# ----------------------------------------------------------------------------------------------
# tokenize
# ----------------------------------------------------------------------------------------------


def test_truncate_and_count_words_use_whitespace_tokens() -> None:
    text = "  One two,\nthree   four. "
    assert count_words(text) == 4
    assert truncate_words(text, 2) == "One two,"
    assert truncate_words(text, None) == "One two, three four."
    assert truncate_words(text, 0) == ""
    assert count_words("") == 0
    with pytest.raises(ValueError, match="max_words"):
        truncate_words(text, -1)


def test_content_words_keep_every_script() -> None:
    # casefold() also folds the Greek final sigma, so "Σεισμός" and "σεισμόσ" match.
    assert content_words("Ο Σεισμός, U.S. 2004!") == ["ο", "σεισμόσ", "u", "s", "2004"]
    assert content_words("भूकंप आया") == ["भूकंप", "आया"]
    assert UnicodeRougeTokenizer().tokenize("Hello, World") == ["hello", "world"]


# ----------------------------------------------------------------------------------------------
# ROUGE
# ----------------------------------------------------------------------------------------------

CANDIDATE = "the cat sat on the mat"
REFERENCE = "the cat sat on a mat"


def test_rouge_single_reference_by_hand() -> None:
    scores = rouge(CANDIDATE, [REFERENCE])
    # Unigrams: candidate {the:2, cat, sat, on, mat}, reference {the, cat, sat, on, a, mat};
    # clipped overlap = 1 + 1 + 1 + 1 + 1 = 5 of 6 on each side.
    assert scores.rouge1.precision == pytest.approx(5 / 6)
    assert scores.rouge1.recall == pytest.approx(5 / 6)
    assert scores.rouge1.f1 == pytest.approx(5 / 6)
    # Bigrams: the-cat, cat-sat, sat-on shared; candidate also on-the, the-mat; reference
    # on-a, a-mat: 3 of 5 each side.
    assert scores.rouge2.recall == pytest.approx(3 / 5)
    assert scores.rouge2.precision == pytest.approx(3 / 5)
    # LCS: the cat sat on ... mat = 5 tokens of 6.
    assert scores.rougeL.recall == pytest.approx(5 / 6)


def test_rouge_truncates_only_the_candidate_to_max_words() -> None:
    padded = CANDIDATE + " and then many more words follow here"
    assert rouge(padded, [REFERENCE], max_words=6) == rouge(CANDIDATE, [REFERENCE])
    untruncated = rouge(padded, [REFERENCE], max_words=None)
    # 13 candidate tokens now; recall unchanged (5/6), precision drops to 5/13.
    assert untruncated.rouge1.recall == pytest.approx(5 / 6)
    assert untruncated.rouge1.precision == pytest.approx(5 / 13)
    # A long reference is never cut: recall against it stays low.
    long_reference = REFERENCE + " " + " ".join(f"w{i}" for i in range(100))
    assert rouge(CANDIDATE, [long_reference]).rouge1.recall == pytest.approx(5 / 106)


def test_rouge_multi_reference_mean_and_max() -> None:
    unrelated = "a dog ran"  # shares no token with the candidate
    mean = rouge(CANDIDATE, [REFERENCE, unrelated])
    assert mean.rouge1.recall == pytest.approx((5 / 6 + 0.0) / 2)
    assert mean.rouge2.f1 == pytest.approx((3 / 5 + 0.0) / 2)
    best = rouge(CANDIDATE, [unrelated, REFERENCE], aggregate="max")
    assert best.rouge1.recall == pytest.approx(5 / 6)


def test_rouge_uses_porter_stemming_for_english() -> None:
    # "cats" -> "cat" and "running"/"runs" -> "run" (words longer than 3 characters).
    assert rouge("cats running", ["cat runs"]).rouge1.recall == pytest.approx(1.0)


def test_rouge_non_english_uses_unicode_tokens() -> None:
    candidate = "Ο σεισμός χτύπησε"
    reference = "σεισμός χτύπησε την πόλη"
    # rouge-score's default tokeniser keeps [a-z0-9] only: Greek vanishes entirely.
    assert rouge(candidate, [reference]).rouge1.recall == 0.0
    greek = rouge(candidate, [reference], language="greek")
    assert greek.rouge1.recall == pytest.approx(2 / 4)
    assert greek.rouge1.precision == pytest.approx(2 / 3)


def test_rouge_edge_cases() -> None:
    assert rouge("", [REFERENCE]).rouge1 == PRF(0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="at least one reference"):
        rouge(CANDIDATE, [])
    with pytest.raises(ValueError, match="aggregate"):
        rouge(CANDIDATE, [REFERENCE], aggregate="median")  # type: ignore[arg-type]
    scorer = make_rouge_scorer()
    assert rouge(CANDIDATE, [REFERENCE], scorer=scorer) == rouge(CANDIDATE, [REFERENCE])


def test_mean_rouge_averages_componentwise() -> None:
    one = RougeScores(PRF(1.0, 0.0, 0.0), PRF(0.5, 0.5, 0.5), PRF(0.2, 0.4, 0.3))
    two = RougeScores(PRF(0.0, 1.0, 0.0), PRF(0.5, 0.5, 0.5), PRF(0.4, 0.2, 0.1))
    mean = mean_rouge([one, two])
    assert mean.rouge1 == PRF(0.5, 0.5, 0.0)
    assert mean.rougeL.precision == pytest.approx(0.3)
    assert mean.rougeL.f1 == pytest.approx(0.2)
    with pytest.raises(ValueError, match="at least one"):
        mean_rouge([])


# ----------------------------------------------------------------------------------------------
# Bootstrap
# ----------------------------------------------------------------------------------------------


def test_bootstrap_two_values_by_hand() -> None:
    # Resample means of [0, 1] are 0, 0.5, 1 with probability 1/4, 1/2, 1/4: the central 95%
    # spans [0, 1], while the central 40% (quantiles 0.3 and 0.7) is the single value 0.5.
    assert bootstrap_ci([0.0, 1.0], n_resamples=10_000) == (0.5, 0.0, 1.0)
    assert bootstrap_ci([0.0, 1.0], n_resamples=10_000, confidence=0.4) == (0.5, 0.5, 0.5)


def test_bootstrap_degenerate_and_deterministic() -> None:
    assert bootstrap_ci([0.25]) == (0.25, 0.25, 0.25)
    assert bootstrap_ci([0.3, 0.3, 0.3]) == pytest.approx((0.3, 0.3, 0.3))
    values = [0.1, 0.4, 0.35, 0.8, 0.2, 0.55]
    assert bootstrap_ci(values, seed=7) == bootstrap_ci(values, seed=7)
    mean, low, high = bootstrap_ci(values)
    assert mean == pytest.approx(float(np.mean(values)))
    assert low < mean < high


@pytest.mark.parametrize(
    ("values", "kwargs", "message"),
    [
        ([], {}, "at least one value"),
        ([1.0], {"n_resamples": 0}, "n_resamples"),
        ([1.0], {"confidence": 1.0}, "confidence"),
        ([1.0], {"confidence": 0.0}, "confidence"),
    ],
)
def test_bootstrap_rejects_bad_arguments(
    values: list[float], kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        bootstrap_ci(values, **kwargs)  # type: ignore[arg-type]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30), st.floats(0.5, 0.99))
def test_bootstrap_interval_brackets_the_mean(values: list[float], confidence: float) -> None:
    mean, low, high = bootstrap_ci(values, n_resamples=200, confidence=confidence)
    assert min(values) - 1e-12 <= low <= high <= max(values) + 1e-12
    assert mean == pytest.approx(float(np.mean(values)))


# ----------------------------------------------------------------------------------------------
# Clustering
# ----------------------------------------------------------------------------------------------

# Gold: {a, b, c} and {d, e}. Prediction: {a, b} and {c, d, e}.
GOLD = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2}
PRED = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "y"}


def test_bcubed_by_hand() -> None:
    scores = bcubed(PRED, GOLD)
    # Precision per item: a 2/2, b 2/2, c 1/3, d 2/3, e 2/3 -> mean (11/3)/5 = 11/15.
    assert scores.precision == pytest.approx(11 / 15)
    # Recall per item: a 2/3, b 2/3, c 1/3, d 2/2, e 2/2 -> mean (11/3)/5 = 11/15.
    assert scores.recall == pytest.approx(11 / 15)
    assert scores.f1 == pytest.approx(11 / 15)


def test_pairwise_by_hand() -> None:
    scores = pairwise_f1(PRED, GOLD)
    # Predicted pairs: ab, cd, ce, de (4). Gold pairs: ab, ac, bc, de (4). Shared: ab, de.
    assert scores == PRF(0.5, 0.5, 0.5)


def test_adjusted_rand_by_hand_and_against_sklearn() -> None:
    # index = 2 shared pairs, A = 4, B = 4, C(5,2) = 10, E = 16/10 = 1.6;
    # ARI = (2 - 1.6) / (0.5 * 8 - 1.6) = 0.4 / 2.4 = 1/6.
    assert adjusted_rand_index(PRED, GOLD) == pytest.approx(1 / 6)
    items = sorted(GOLD)
    expected = adjusted_rand_score([GOLD[i] for i in items], [PRED[i] for i in items])
    assert adjusted_rand_index(PRED, GOLD) == pytest.approx(expected)


def test_clustering_all_singletons_against_one_cluster() -> None:
    gold = {"a": 0, "b": 0, "c": 0}
    singletons = {"a": 0, "b": 1, "c": 2}
    # Each singleton is pure (precision 1) but holds 1/3 of its gold cluster.
    assert bcubed(singletons, gold) == PRF.of(1.0, 1 / 3)
    # No predicted pair: precision vacuously 1, recall 0/3.
    assert pairwise_f1(singletons, gold) == PRF(1.0, 0.0, 0.0)
    # A = 0, B = 3, E = 0: ARI = 0 / 1.5 = 0.
    assert adjusted_rand_index(singletons, gold) == 0.0
    # One predicted cluster against gold singletons: the mirror image.
    assert bcubed(gold, singletons) == PRF.of(1 / 3, 1.0)
    assert pairwise_f1(gold, singletons) == PRF(0.0, 1.0, 0.0)


@pytest.mark.parametrize(
    "labels",
    [
        {"a": 0, "b": 1, "c": 2},  # all singletons
        {"a": 5, "b": 5, "c": 5},  # one cluster
        {"a": 0},  # a single item
    ],
)
def test_identical_trivial_partitions_score_perfectly(labels: dict[str, int]) -> None:
    renamed = {item: f"g{label}" for item, label in labels.items()}
    assert bcubed(labels, renamed) == PRF(1.0, 1.0, 1.0)
    assert pairwise_f1(labels, renamed) == PRF(1.0, 1.0, 1.0)
    assert adjusted_rand_index(labels, renamed) == 1.0
    assert adjusted_rand_score(list(labels.values()), list(renamed.values())) == 1.0


@pytest.mark.parametrize("metric", [bcubed, pairwise_f1, adjusted_rand_index])
def test_clustering_metrics_reject_empty_and_mismatched_items(metric: object) -> None:
    assert callable(metric)
    with pytest.raises(ValueError, match="at least one item"):
        metric({}, {})
    with pytest.raises(ValueError, match="same items"):
        metric({"a": 0}, {"b": 0})


labelings = st.lists(st.integers(0, 4), min_size=1, max_size=25)


@settings(max_examples=50, deadline=None)
@given(labelings, st.data())
def test_ari_matches_sklearn(pred: list[int], data: st.DataObject) -> None:
    gold = data.draw(st.lists(st.integers(0, 4), min_size=len(pred), max_size=len(pred)))
    ours = adjusted_rand_index(dict(enumerate(pred)), dict(enumerate(gold)))
    assert ours == pytest.approx(adjusted_rand_score(gold, pred), abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(labelings, st.data())
def test_clustering_metric_invariants(pred: list[int], data: st.DataObject) -> None:
    gold = data.draw(st.lists(st.integers(0, 4), min_size=len(pred), max_size=len(pred)))
    p = dict(enumerate(pred))
    g = dict(enumerate(gold))
    for metric in (bcubed, pairwise_f1):
        forward = metric(p, g)
        backward = metric(g, p)
        # Swapping the roles of prediction and gold swaps precision and recall.
        assert forward.precision == pytest.approx(backward.recall)
        assert forward.recall == pytest.approx(backward.precision)
        assert 0.0 <= forward.f1 <= 1.0
        # Renaming labels changes nothing.
        assert metric({k: f"r{v}" for k, v in p.items()}, g) == forward
    assert bcubed(p, p) == PRF(1.0, 1.0, 1.0)


# ----------------------------------------------------------------------------------------------
# Binary decisions
# ----------------------------------------------------------------------------------------------

SCORES = [0.9, 0.8, 0.7, 0.6, 0.5]
LABELS = [1, 1, 0, 1, 0]


def test_precision_recall_f1_by_hand() -> None:
    # >= 0.7 predicts the first three: 2 true positives of 3 predicted, of 3 positives.
    result = precision_recall_f1(SCORES, LABELS, 0.7)
    assert result.precision == pytest.approx(2 / 3)
    assert result.recall == pytest.approx(2 / 3)
    # Nothing predicted: precision vacuously 1, recall 0, F1 0.
    assert precision_recall_f1(SCORES, LABELS, 1.0) == PRF(1.0, 0.0, 0.0)
    # No positive labels at all: recall vacuously 1.
    assert precision_recall_f1([0.2, 0.9], [0, 0], 0.5) == PRF.of(0.0, 1.0)


def test_pr_curve_by_hand() -> None:
    curve = pr_curve(SCORES, LABELS)
    assert [p.threshold for p in curve] == [0.5, 0.6, 0.7, 0.8, 0.9]
    expected = [
        (3 / 5, 1.0),  # all five predicted, 3 true
        (3 / 4, 1.0),
        (2 / 3, 2 / 3),
        (1.0, 2 / 3),
        (1.0, 1 / 3),
    ]
    for point, (precision, recall) in zip(curve, expected, strict=True):
        assert point.precision == pytest.approx(precision)
        assert point.recall == pytest.approx(recall)
    assert curve[1].f1 == pytest.approx(2 * 0.75 / 1.75)


def test_pr_curve_groups_tied_scores() -> None:
    curve = pr_curve([0.5, 0.2, 0.5], [1, 1, 0])
    # >= 0.2: everything, 2/3 precise, full recall. >= 0.5: the two tied examples together.
    assert len(curve) == 2
    low, high = curve
    assert (low.threshold, low.precision, low.recall) == (0.2, 2 / 3, 1.0)
    assert low.f1 == pytest.approx(0.8)  # 2 * (2/3) * 1 / (5/3)
    assert high == PRPoint(0.5, 0.5, 0.5, 0.5)


def test_threshold_for_precision_picks_highest_recall() -> None:
    chosen = threshold_for_precision(SCORES, LABELS, 0.75)
    assert chosen is not None
    assert chosen.threshold == 0.6
    assert chosen.recall == 1.0
    strict = threshold_for_precision(SCORES, LABELS, 0.9)
    assert strict is not None
    # 0.8 and 0.9 both reach precision 1; 0.8 keeps more recall.
    assert strict.threshold == 0.8
    # Equal recall: the higher threshold (higher precision) wins.
    tie = threshold_for_precision([0.9, 0.5, 0.1], [1, 0, 0], 0.0)
    assert tie is not None
    assert tie.threshold == 0.9
    assert threshold_for_precision([0.3, 0.6], [0, 0], 0.5) is None


@pytest.mark.parametrize(
    ("scores", "labels", "message"),
    [
        ([0.1], [1, 0], "labels"),
        ([], [], "at least one"),
        ([0.1], [2], "0/1"),
        ([math.nan], [1], "NaN"),
    ],
)
def test_binary_metrics_validate(scores: list[float], labels: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pr_curve(scores, labels)


def test_threshold_for_precision_validates_target() -> None:
    with pytest.raises(ValueError, match="target"):
        threshold_for_precision(SCORES, LABELS, 1.5)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), st.integers(0, 1)),
        min_size=1,
        max_size=30,
    )
)
def test_pr_curve_agrees_with_pointwise_metric(rows: list[tuple[float, int]]) -> None:
    scores = [s for s, _ in rows]
    labels = [y for _, y in rows]
    curve = pr_curve(scores, labels)
    assert [p.threshold for p in curve] == sorted(set(scores))
    recalls = [p.recall for p in curve]
    assert recalls == sorted(recalls, reverse=True)
    for point in curve:
        direct = precision_recall_f1(scores, labels, point.threshold)
        assert (point.precision, point.recall, point.f1) == pytest.approx(
            (direct.precision, direct.recall, direct.f1)
        )


# ----------------------------------------------------------------------------------------------
# Spearman
# ----------------------------------------------------------------------------------------------


def test_spearman_by_hand() -> None:
    # Rank differences 0, 1, -1, 0: rho = 1 - 6 * 2 / (4 * 15) = 0.8.
    assert spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert spearman([1, 2, 3], [30, 20, 10]) == pytest.approx(-1.0)
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))
    with pytest.raises(ValueError, match="at least 2"):
        spearman([1.0], [2.0])
    with pytest.raises(ValueError, match="y values"):
        spearman([1.0, 2.0], [2.0])


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 5)),
        min_size=3,
        max_size=30,
    )
)
def test_spearman_matches_scipy_with_ties(rows: list[tuple[int, int]]) -> None:
    x = [float(a) for a, _ in rows]
    y = [float(b) for _, b in rows]
    assume(len(set(x)) > 1 and len(set(y)) > 1)
    expected = spearmanr(x, y).statistic
    assert spearman(x, y) == pytest.approx(float(expected), abs=1e-9)
