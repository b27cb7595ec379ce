"""Leave-one-set-out selection (service.evaluation.transfer): knobs never tuned on the held-out."""

from __future__ import annotations

import pytest

from service.evaluation.transfer import SetSweep, _middle_best, leave_one_out
from service.pipeline.regroup import RegroupConfig


def sweep(name: str, scores: dict[tuple[float, int], float], tfidf: dict[float, float]) -> SetSweep:
    return SetSweep(name, 10, scores, tfidf)


def test_knobs_are_chosen_on_the_other_sets_only() -> None:
    # "a" is best at 1.4 on itself, but the others agree on 1.6: the held-out figure for "a"
    # is its score at 1.6.
    a = sweep("a", {(1.4, 24): 0.99, (1.6, 24): 0.80}, {0.1: 0.9, 0.2: 0.5})
    b = sweep("b", {(1.4, 24): 0.70, (1.6, 24): 0.90}, {0.1: 0.4, 0.2: 0.8})
    c = sweep("c", {(1.4, 24): 0.75, (1.6, 24): 0.85}, {0.1: 0.5, 0.2: 0.7})
    rows = {r.held_out: r for r in leave_one_out([a, b, c], RegroupConfig(title_weight=24))}
    assert (rows["a"].link_z, rows["a"].wiredesk_f1, rows["a"].default_f1) == (1.6, 0.80, 0.99)
    assert rows["a"].chosen_on == ("b", "c")
    assert (rows["a"].tfidf_threshold, rows["a"].tfidf_f1) == (0.2, 0.5)
    # For "b", the mean over a and c is 0.87 at 1.4 and 0.825 at 1.6.
    assert (rows["b"].link_z, rows["b"].wiredesk_f1) == (1.4, 0.70)


def test_ties_take_the_middle_of_the_plateau() -> None:
    assert _middle_best({1.0: 0.5, 1.1: 0.9, 1.2: 0.9, 1.3: 0.9, 1.4: 0.2}) == 1.2
    assert _middle_best({1.0: 0.9, 1.1: 0.9}) == 1.0


def test_needs_two_sets() -> None:
    with pytest.raises(ValueError, match="two sets"):
        leave_one_out([sweep("a", {(1.4, 24): 1.0}, {0.1: 1.0})], RegroupConfig())
