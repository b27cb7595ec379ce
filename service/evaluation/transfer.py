"""Leave-one-set-out story evaluation: knobs chosen on the other sets, scored on the held-out one.

``wiredesk eval stories --leave-one-out``. The regrouping pass has two knobs that decide the
final stories (``RegroupConfig.link_z`` and ``title_weight``); their defaults were chosen on
Giveme5W1H, MultiLing 2011 and DUC 2003 together, so the per-set figures with the defaults are
*dev-set* figures. This module reports the figure a new stream of the same kinds can expect:

1. each labelled set is ingested once through the service's use cases (online grouping, the
   same model and stages), without ``story_key``, in publication order;
2. for every knob pair of the grid the pass is planned on that world
   (:func:`service.regrouping.plan_regroup`, as the service's pass does, every story touched)
   and the resulting stories scored (BCubed F1);
3. for each held-out set, the pair with the best mean F1 on the *other* sets is chosen (ties:
   the middle of the tied pairs in grid order) and its F1 on the held-out set reported, beside
   the TF-IDF average-link baseline at the threshold with the best mean F1 on the other sets.

The online grouping's bars are not re-chosen here (each choice would need a new ingestion);
they were set on the three sets together (``GroupConfig``), and after the pass they only
matter through the must-links inside online stories.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from service.evaluation.datasets import EvalArticle
from service.evaluation.metrics import bcubed
from service.evaluation.runner import (
    GRID,
    StoryInputs,
    _baseline_fns,
    _input,
    _submit,
    build_pipeline,
)
from service.pipeline.regroup import RegroupConfig
from service.regrouping import plan_regroup
from service.settings import Settings

LINK_Z_GRID = tuple(round(1.10 + 0.05 * k, 2) for k in range(15))  # 1.10 .. 1.80
TITLE_WEIGHT_GRID = (1, 8, 16, 24, 48)


@dataclass(frozen=True, slots=True)
class SetSweep:
    """One set's scores over the knob grid and the TF-IDF threshold grid.

    Attributes:
        dataset: its name.
        articles: articles scored.
        wiredesk: ``(link_z, title_weight)`` -> BCubed F1.
        tfidf: threshold -> BCubed F1 of the TF-IDF average-link baseline.
    """

    dataset: str
    articles: int
    wiredesk: Mapping[tuple[float, int], float]
    tfidf: Mapping[float, float]


@dataclass(frozen=True, slots=True)
class TransferRow:
    """The held-out figure of one set.

    Attributes:
        held_out: the set scored.
        chosen_on: the sets the knobs were chosen on.
        link_z: the chosen bar.
        title_weight: the chosen title weight.
        wiredesk_f1: BCubed F1 on the held-out set at the chosen knobs (the headline).
        default_f1: BCubed F1 on it at the defaults (chosen on all sets: a dev-set figure).
        tfidf_threshold: the TF-IDF baseline's threshold chosen on the other sets.
        tfidf_f1: its BCubed F1 on the held-out set.
        all_sets_choice: the knobs the same rule picks on every set (what a default chosen by
            this rule would be).
    """

    held_out: str
    chosen_on: tuple[str, ...]
    link_z: float
    title_weight: int
    wiredesk_f1: float
    default_f1: float
    tfidf_threshold: float
    tfidf_f1: float
    all_sets_choice: tuple[float, int] = (0.0, 0)


def _f1(pred: Sequence[Any], gold: Sequence[str]) -> float:
    return bcubed(dict(enumerate(pred)), dict(enumerate(gold))).f1


async def sweep_set(
    dataset: str,
    articles: Sequence[EvalArticle],
    settings: Settings,
    embedder: Any,
    link_z: Sequence[float] = LINK_Z_GRID,
    title_weight: Sequence[int] = TITLE_WEIGHT_GRID,
) -> SetSweep:
    """Ingest a set once and score every knob pair's pass, and every TF-IDF threshold."""
    wd = build_pipeline(settings, embedder)
    try:
        ids = await _submit(wd, [_input(a, None) for a in articles])
        gold = tuple(a.cluster_id for a in articles)
        boilerplate = frozenset(wd.recurrence.boilerplate())
        current = [
            wd.get_article(i)[1] if i is not None else f"refused:{n}" for n, i in enumerate(ids)
        ]
        scores: dict[tuple[float, int], float] = {}
        for w in title_weight:
            for z in link_z:
                config = replace(settings.regroup, link_z=z, title_weight=w)
                result = plan_regroup(
                    wd.world,
                    config,
                    time.time(),
                    touched=None,
                    boilerplate=boilerplate,
                    min_shared_words=settings.group.min_shared_words,
                )
                moved = {a.article_id: a.story_id for a in result.changes.articles}
                pred = [
                    moved.get(i, current[n]) if i is not None else current[n]
                    for n, i in enumerate(ids)
                ]
                scores[(z, w)] = _f1(pred, gold)
    finally:
        await wd.embedder.close()
    texts = tuple(f"{a.title or ''}\n{a.text}" for a in articles)
    inputs = StoryInputs(texts, np.zeros((len(texts), 1), dtype=np.float32), gold)
    tfidf = _baseline_fns(inputs)["tfidf+agglomerative"]
    thresholds = {t: _f1(tfidf(t), gold) for t in GRID}
    return SetSweep(dataset, len(articles), scores, thresholds)


def _middle_best(scores: Mapping[Any, float]) -> Any:
    """The key with the best score; among ties (within 1e-9), the middle one in key order."""
    top = max(scores.values())
    tied = sorted(k for k, v in scores.items() if v >= top - 1e-9)
    return tied[(len(tied) - 1) // 2]


def leave_one_out(sweeps: Sequence[SetSweep], defaults: RegroupConfig) -> list[TransferRow]:
    """For each set, the knobs and the TF-IDF threshold chosen on the others, scored on it.

    Raises:
        ValueError: fewer than two sets.
    """
    if len(sweeps) < 2:
        raise ValueError("leave-one-out needs at least two sets")
    z_all, w_all, _ = choose_on_all(sweeps)
    rows = []
    for held in sweeps:
        others = [s for s in sweeps if s is not held]
        mean = {k: sum(s.wiredesk[k] for s in others) / len(others) for k in held.wiredesk}
        z, w = _middle_best(mean)
        tmean = {t: sum(s.tfidf[t] for s in others) / len(others) for t in held.tfidf}
        threshold = _middle_best(tmean)
        default = held.wiredesk.get((defaults.link_z, defaults.title_weight), float("nan"))
        rows.append(
            TransferRow(
                held.dataset,
                tuple(s.dataset for s in others),
                z,
                w,
                held.wiredesk[(z, w)],
                default,
                threshold,
                held.tfidf[threshold],
                (z_all, w_all),
            )
        )
    return rows


def choose_on_all(sweeps: Sequence[SetSweep]) -> tuple[float, int, dict[str, float]]:
    """The same selection rule on every set: the knobs a default should take.

    Returns:
        ``(link_z, title_weight, F1 per set at them)`` (dev-set figures: chosen on the sets).
    """
    mean = {k: sum(s.wiredesk[k] for s in sweeps) / len(sweeps) for k in sweeps[0].wiredesk}
    z, w = _middle_best(mean)
    return z, w, {s.dataset: s.wiredesk[(z, w)] for s in sweeps}


def render_rows(rows: Sequence[TransferRow]) -> str:
    """The leave-one-out table as plain text."""
    lines = [
        "stories · leave one set out (knobs chosen on the other sets, BCubed F1 on this one)",
        "held out        chosen on                  link_z  title_w  wiredesk  (defaults)  "
        "tfidf thr  tfidf",
    ]
    for r in rows:
        lines.append(
            f"{r.held_out:<15} {'+'.join(r.chosen_on):<26} {r.link_z:>6.2f}  {r.title_weight:>7}  "
            f"{100 * r.wiredesk_f1:>8.2f}  {100 * r.default_f1:>10.2f}  {r.tfidf_threshold:>9.4f}  "
            f"{100 * r.tfidf_f1:>5.2f}"
        )
    if rows:
        z, w = rows[0].all_sets_choice
        lines.append(f"the same rule on all sets picks link_z {z:.2f}, title_weight {w}")
    return "\n".join(lines)
