"""Quality metrics: ROUGE, bootstrap intervals, clustering and binary-decision scores.

Every function is pure and deterministic (the bootstrap takes a seed). Conventions used
throughout, so that numbers from different functions can be compared:

* A ratio whose denominator is zero is *vacuous* and scores 1.0: precision when nothing was
  predicted positive (no false claim was made), recall when there is nothing to find. F1 is the
  harmonic mean of the two, and 0.0 when both are 0.
* Clustering metrics take two mappings ``item -> label`` over the same item set; labels of the
  two sides live in separate namespaces (``pred`` label 0 and ``gold`` label 0 are unrelated).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
from numpy.typing import NDArray
from rouge_score import rouge_scorer

from service.evaluation.tokenize import UnicodeRougeTokenizer, truncate_words

ItemT = TypeVar("ItemT", bound=Hashable)

# ----------------------------------------------------------------------------------------------
# Shared record
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PRF:
    """Precision, recall and their harmonic mean (F1), each in [0, 1]."""

    precision: float
    recall: float
    f1: float

    @staticmethod
    def of(precision: float, recall: float) -> PRF:
        """Build a PRF from precision and recall; F1 is 0.0 when both are 0."""
        total = precision + recall
        f1 = 0.0 if total == 0.0 else 2.0 * precision * recall / total
        return PRF(precision=precision, recall=recall, f1=f1)


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, or the vacuous 1.0 when the denominator is 0."""
    return 1.0 if denominator == 0 else numerator / denominator


# ----------------------------------------------------------------------------------------------
# ROUGE
# ----------------------------------------------------------------------------------------------

# The three variants DUC/TAC papers report: unigram and bigram overlap (Lin 2004, "ROUGE: A
# Package for Automatic Evaluation of Summaries") and the longest common subsequence (ROUGE-L).
_ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


@dataclass(frozen=True, slots=True)
class RougeScores:
    """ROUGE-1, ROUGE-2 and ROUGE-L of one candidate against its references.

    Attributes:
        rouge1: unigram precision / recall / F1.
        rouge2: bigram precision / recall / F1.
        rougeL: longest-common-subsequence precision / recall / F1 (summary-level, no sentence
            splitting: rouge-score's ``rougeL``, not ``rougeLsum``).
    """

    rouge1: PRF
    rouge2: PRF
    rougeL: PRF  # noqa: N815  (the name every ROUGE report uses)


def make_rouge_scorer(language: str = "english") -> rouge_scorer.RougeScorer:
    """Build the rouge-score scorer that :func:`rouge` uses for ``language``.

    Args:
        language: ``"english"`` gives rouge-score's default tokeniser (lower-case ``[a-z0-9]``
            tokens) with the Porter stemmer on words longer than 3 characters, the convention of
            published DUC/TAC numbers. Any other language gives
            :class:`~service.evaluation.tokenize.UnicodeRougeTokenizer` (case-folded Unicode
            words, no stemming), because the default tokeniser deletes every non-ASCII letter.

    Returns:
        A ``rouge_scorer.RougeScorer`` for ROUGE-1, ROUGE-2 and ROUGE-L. Build it once and pass
        it to :func:`rouge` when scoring many candidates.
    """
    if language.lower() == "english":
        return rouge_scorer.RougeScorer(list(_ROUGE_TYPES), use_stemmer=True)
    return rouge_scorer.RougeScorer(list(_ROUGE_TYPES), tokenizer=UnicodeRougeTokenizer())


def rouge(
    candidate: str,
    references: Sequence[str],
    *,
    max_words: int | None = 100,
    language: str = "english",
    aggregate: Literal["mean", "max"] = "mean",
    scorer: rouge_scorer.RougeScorer | None = None,
) -> RougeScores:
    """Score one candidate summary against one or more human references.

    The candidate is first cut to its first ``max_words`` whitespace words (DUC's 100-word
    convention; references are never cut). Then each reference is scored separately with
    rouge-score, and the per-reference scores are combined:

    * ``"mean"`` (default): precision, recall and F1 are each the arithmetic mean over the
      references (a macro average). This is the usual multi-reference convention with
      rouge-score. The original ROUGE-1.5.5 instead pools n-gram counts over references
      (``-f A``) and jackknifes over reference subsets; with references of similar length
      (DUC's are all ~100 words) the two agree closely but not to the last digit, so compare
      against published numbers with that in mind.
    * ``"max"``: for each ROUGE type, the scores of the reference with the highest F1 (ties:
      the first such reference), which is rouge-score's own ``score_multi``.

    Args:
        candidate: the system summary; may be empty (scores 0).
        references: one or more reference summaries, in any order.
        max_words: candidate budget in whitespace words; ``None`` disables truncation.
        language: selects the tokeniser, see :func:`make_rouge_scorer`. Ignored when
            ``scorer`` is given.
        aggregate: how per-reference scores are combined, see above.
        scorer: a prebuilt scorer from :func:`make_rouge_scorer`, to avoid rebuilding it.

    Returns:
        The combined scores; every value is in [0, 1].

    Raises:
        ValueError: if ``references`` is empty or ``aggregate`` is unknown.
    """
    if len(references) == 0:
        raise ValueError("rouge() needs at least one reference summary")
    if aggregate not in ("mean", "max"):
        raise ValueError(f"aggregate must be 'mean' or 'max', got {aggregate!r}")
    active = scorer if scorer is not None else make_rouge_scorer(language)
    cut = truncate_words(candidate, max_words)
    # rouge-score's ``score(target, prediction)``: the reference comes first.
    per_reference = [active.score(reference, cut) for reference in references]
    combined: list[PRF] = []
    for rouge_type in _ROUGE_TYPES:
        scores = [result[rouge_type] for result in per_reference]
        if aggregate == "mean":
            combined.append(
                PRF(
                    precision=float(np.mean([s.precision for s in scores])),
                    recall=float(np.mean([s.recall for s in scores])),
                    f1=float(np.mean([s.fmeasure for s in scores])),
                )
            )
        else:
            best = max(scores, key=lambda s: s.fmeasure)  # max() keeps the first of equals
            combined.append(PRF(float(best.precision), float(best.recall), float(best.fmeasure)))
    return RougeScores(rouge1=combined[0], rouge2=combined[1], rougeL=combined[2])


def mean_rouge(scores: Sequence[RougeScores]) -> RougeScores:
    """Average per-cluster ROUGE scores (each P, R and F1 separately), as DUC reports a system.

    Args:
        scores: one :class:`RougeScores` per cluster.

    Returns:
        The component-wise arithmetic mean.

    Raises:
        ValueError: if ``scores`` is empty.
    """
    if len(scores) == 0:
        raise ValueError("mean_rouge() needs at least one score")

    def _mean(parts: Sequence[PRF]) -> PRF:
        return PRF(
            precision=float(np.mean([p.precision for p in parts])),
            recall=float(np.mean([p.recall for p in parts])),
            f1=float(np.mean([p.f1 for p in parts])),
        )

    return RougeScores(
        rouge1=_mean([s.rouge1 for s in scores]),
        rouge2=_mean([s.rouge2 for s in scores]),
        rougeL=_mean([s.rougeL for s in scores]),
    )


# ----------------------------------------------------------------------------------------------
# Bootstrap
# ----------------------------------------------------------------------------------------------


def bootstrap_ci(
    values: Sequence[float],
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Percentile-bootstrap confidence interval of the mean (Efron & Tibshirani 1993, ch. 13).

    Draws ``n_resamples`` samples of ``len(values)`` values with replacement, takes each
    sample's mean, and returns the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2``
    percentiles of those means (numpy's linear interpolation). For a paired comparison of two
    systems on the same clusters, pass the per-cluster differences: an interval that excludes
    0 is a significant difference at that level.

    Args:
        values: per-item scores (e.g. one ROUGE-2 recall per cluster).
        n_resamples: number of bootstrap samples; 1000 is the customary minimum for 95%
            percentile intervals.
        confidence: coverage of the interval, in (0, 1).
        seed: seed of numpy's PCG64 generator; the same inputs and seed give the same interval.

    Returns:
        ``(mean, low, high)``: the sample mean and the interval bounds, ``low <= high``. A single
        value gives ``(v, v, v)``.

    Raises:
        ValueError: if ``values`` is empty, ``n_resamples < 1`` or ``confidence`` is not in (0, 1).
    """
    if len(values) == 0:
        raise ValueError("bootstrap_ci() needs at least one value")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    data = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, data.shape[0], size=(n_resamples, data.shape[0]))
    means = data[indices].mean(axis=1)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(data.mean()), float(low), float(high)


# ----------------------------------------------------------------------------------------------
# Clustering
# ----------------------------------------------------------------------------------------------


def _contingency(
    pred: Mapping[ItemT, Hashable], gold: Mapping[ItemT, Hashable]
) -> tuple[Counter[tuple[Hashable, Hashable]], Counter[Hashable], Counter[Hashable], int]:
    """Cell, predicted-cluster and gold-cluster sizes of two labelings of the same items.

    Raises:
        ValueError: if the item sets differ or are empty.
    """
    if pred.keys() != gold.keys():
        missing = len(gold.keys() - pred.keys())
        extra = len(pred.keys() - gold.keys())
        raise ValueError(
            f"pred and gold must label the same items: {missing} gold item(s) missing from "
            f"pred, {extra} pred item(s) not in gold"
        )
    if len(gold) == 0:
        raise ValueError("clustering metrics need at least one item")
    cells: Counter[tuple[Hashable, Hashable]] = Counter((pred[item], gold[item]) for item in gold)
    pred_sizes: Counter[Hashable] = Counter(pred.values())
    gold_sizes: Counter[Hashable] = Counter(gold.values())
    return cells, pred_sizes, gold_sizes, len(gold)


def bcubed(pred: Mapping[ItemT, Hashable], gold: Mapping[ItemT, Hashable]) -> PRF:
    """BCubed precision, recall and F1 of a predicted clustering (Bagga & Baldwin 1998).

    For each item ``i``, precision_i is the share of ``i``'s predicted cluster that shares its
    gold label, and recall_i the share of ``i``'s gold cluster that shares its predicted label
    (both count ``i`` itself). BCubed precision and recall are the means over items, and F1 is
    their harmonic mean: the F(alpha=0.5) of Amigó et al. 2009, "A comparison of extrinsic
    clustering evaluation metrics based on formal constraints", the only metric family that
    satisfies all four of their constraints. Computed from the contingency table:
    ``P = (1/n) * sum_cells n_cg^2 / |c|`` and ``R = (1/n) * sum_cells n_cg^2 / |g|``.

    Args:
        pred: item -> predicted cluster label.
        gold: item -> gold cluster label, over the same items.

    Returns:
        The scores; all singletons score precision 1.0, one big cluster scores recall 1.0.

    Raises:
        ValueError: if the item sets differ or are empty.
    """
    cells, pred_sizes, gold_sizes, n = _contingency(pred, gold)
    precision = sum(count * count / pred_sizes[p] for (p, _), count in cells.items()) / n
    recall = sum(count * count / gold_sizes[g] for (_, g), count in cells.items()) / n
    return PRF.of(precision, recall)


def _pairs(count: int) -> int:
    """Number of unordered pairs among ``count`` items: C(count, 2)."""
    return count * (count - 1) // 2


def pairwise_f1(pred: Mapping[ItemT, Hashable], gold: Mapping[ItemT, Hashable]) -> PRF:
    """Pairwise precision, recall and F1: the clustering judged as same-cluster decisions.

    Each unordered pair of items is a decision: same cluster or not. Precision is the share of
    predicted same-cluster pairs that are gold same-cluster pairs, recall the converse. With no
    predicted pairs precision is vacuously 1.0; with no gold pairs recall is 1.0 (so all
    singletons against all singletons scores 1.0). Large clusters dominate (pairs grow
    quadratically), which is why BCubed is the headline metric and this one a diagnostic.

    Args:
        pred: item -> predicted cluster label.
        gold: item -> gold cluster label, over the same items.

    Returns:
        The scores.

    Raises:
        ValueError: if the item sets differ or are empty.
    """
    cells, pred_sizes, gold_sizes, _ = _contingency(pred, gold)
    both = sum(_pairs(count) for count in cells.values())
    predicted = sum(_pairs(size) for size in pred_sizes.values())
    actual = sum(_pairs(size) for size in gold_sizes.values())
    return PRF.of(_ratio(both, predicted), _ratio(both, actual))


def adjusted_rand_index(pred: Mapping[ItemT, Hashable], gold: Mapping[ItemT, Hashable]) -> float:
    """Adjusted Rand index (Hubert & Arabie 1985) between two clusterings of the same items.

    ``ARI = (sum_cells C(n_cg,2) - E) / (0.5 * (A + B) - E)`` with ``A = sum_c C(|c|,2)``,
    ``B = sum_g C(|g|,2)`` and ``E = A * B / C(n,2)``, the expected index under random
    labelings with the same cluster sizes. 1.0 is identical partitions, about 0 is chance level,
    and it can be negative. The denominator is 0 only when both partitions are the same trivial
    partition (all singletons, or one cluster, or a single item); that scores 1.0, as
    scikit-learn's ``adjusted_rand_score`` does. Counts are exact integers; the result is float.

    Args:
        pred: item -> predicted cluster label.
        gold: item -> gold cluster label, over the same items.

    Returns:
        The index, in [-0.5, 1].

    Raises:
        ValueError: if the item sets differ or are empty.
    """
    cells, pred_sizes, gold_sizes, n = _contingency(pred, gold)
    index = sum(_pairs(count) for count in cells.values())
    a = sum(_pairs(size) for size in pred_sizes.values())
    b = sum(_pairs(size) for size in gold_sizes.values())
    total = _pairs(n)
    if total == 0:
        return 1.0
    # Multiply through by 2 * total to stay in integers until the final division.
    numerator = 2 * total * index - 2 * a * b
    denominator = total * (a + b) - 2 * a * b
    if denominator == 0:
        return 1.0
    return numerator / denominator


# ----------------------------------------------------------------------------------------------
# Binary decisions (near-duplicate / paraphrase thresholds)
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PRPoint:
    """One operating point: predict positive iff ``score >= threshold``."""

    threshold: float
    precision: float
    recall: float
    f1: float


def _check_binary(scores: Sequence[float], labels: Sequence[int | bool]) -> None:
    """Raise ValueError unless scores and 0/1 labels align and are non-empty."""
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores but {len(labels)} labels")
    if len(scores) == 0:
        raise ValueError("binary metrics need at least one scored example")
    bad = [label for label in labels if label not in (0, 1)]
    if bad:
        raise ValueError(f"labels must be 0/1 (or bool); got e.g. {bad[0]!r}")


def precision_recall_f1(
    scores: Sequence[float], labels: Sequence[int | bool], threshold: float
) -> PRF:
    """Precision, recall and F1 of the decision ``score >= threshold`` against 0/1 labels.

    Args:
        scores: one similarity per example (higher = more likely positive).
        labels: gold 1 (positive, e.g. paraphrase) or 0, aligned with ``scores``.
        threshold: decision threshold; a score equal to it is predicted positive.

    Returns:
        The scores; precision is 1.0 when nothing is predicted positive, recall 1.0 when there
        are no positive labels.

    Raises:
        ValueError: on length mismatch, empty input or labels other than 0/1.
    """
    _check_binary(scores, labels)
    predicted = [score >= threshold for score in scores]
    tp = sum(1 for p, y in zip(predicted, labels, strict=True) if p and y)
    return PRF.of(_ratio(tp, sum(predicted)), _ratio(tp, sum(1 for y in labels if y)))


def pr_curve(scores: Sequence[float], labels: Sequence[int | bool]) -> list[PRPoint]:
    """Precision/recall/F1 at every distinct score used as threshold.

    Args:
        scores: one similarity per example; NaN is not allowed.
        labels: gold 0/1, aligned with ``scores``.

    Returns:
        One point per distinct score, in increasing threshold order (so recall is
        non-increasing along the list). The first point (lowest threshold) predicts everything
        positive. Every point predicts at least one example positive.

    Raises:
        ValueError: on length mismatch, empty input, labels other than 0/1, or NaN scores.
    """
    _check_binary(scores, labels)
    if any(math.isnan(score) for score in scores):
        raise ValueError("scores must not be NaN")
    order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)
    positives = sum(1 for y in labels if y)
    points: list[PRPoint] = []
    tp = 0
    # Walk from the highest score down; emit a point after the last example of each score run,
    # i.e. with every example scoring >= that score counted as positive (rank + 1 of them).
    for rank, index in enumerate(order):
        predicted = rank + 1
        tp += 1 if labels[index] else 0
        is_last_of_run = rank + 1 == len(order) or scores[order[rank + 1]] != scores[index]
        if is_last_of_run:
            prf = PRF.of(tp / predicted, _ratio(tp, positives))
            points.append(PRPoint(float(scores[index]), prf.precision, prf.recall, prf.f1))
    points.reverse()
    return points


def threshold_for_precision(
    scores: Sequence[float], labels: Sequence[int | bool], target: float
) -> PRPoint | None:
    """The operating point with the highest recall whose precision is at least ``target``.

    Among points of :func:`pr_curve` with ``precision >= target``, picks the highest recall;
    among those, the highest precision (i.e. the highest threshold, which only drops negatives).

    Args:
        scores: one similarity per example.
        labels: gold 0/1, aligned with ``scores``.
        target: required precision, in [0, 1].

    Returns:
        The chosen point (its ``threshold`` is the one to deploy), or ``None`` when no threshold
        reaches the target on this set.

    Raises:
        ValueError: as :func:`pr_curve`, or if ``target`` is outside [0, 1].
    """
    if not 0.0 <= target <= 1.0:
        raise ValueError(f"target precision must be in [0, 1], got {target}")
    eligible = [point for point in pr_curve(scores, labels) if point.precision >= target]
    if not eligible:
        return None
    return max(eligible, key=lambda point: (point.recall, point.precision))


# ----------------------------------------------------------------------------------------------
# Graded similarity
# ----------------------------------------------------------------------------------------------


def _average_ranks(values: Sequence[float]) -> NDArray[np.float64]:
    """1-based ranks of ``values``; tied values share the mean of their ranks."""
    data = np.asarray(values, dtype=np.float64)
    order = np.argsort(data, kind="stable")
    ranks = np.empty(data.shape[0], dtype=np.float64)
    start = 0
    while start < data.shape[0]:
        end = start
        while end + 1 < data.shape[0] and data[order[end + 1]] == data[order[start]]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation: Pearson's r of the average ranks (ties share ranks).

    The STS-B convention for graded similarity (Cer et al. 2017 report Pearson; sentence-
    embedding papers report Spearman, which ignores monotone rescaling of cosine scores).

    Args:
        x: first variable (e.g. model cosine similarities).
        y: second variable (e.g. gold 0-5 scores), aligned with ``x``.

    Returns:
        rho in [-1, 1]; NaN when either side is constant (the correlation is undefined).

    Raises:
        ValueError: on length mismatch or fewer than 2 pairs.
    """
    if len(x) != len(y):
        raise ValueError(f"{len(x)} x values but {len(y)} y values")
    if len(x) < 2:
        raise ValueError("spearman() needs at least 2 pairs")
    rx = _average_ranks(x)
    ry = _average_ranks(y)
    dx = rx - rx.mean()
    dy = ry - ry.mean()
    denominator = math.sqrt(float(dx @ dx) * float(dy @ dy))
    if denominator == 0.0:
        return math.nan
    return float(dx @ dy) / denominator
