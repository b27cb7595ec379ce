"""Quality on a small slice of the real evaluation data, so that a regression cannot land unseen.

The full runs (``wiredesk eval all``, docs/EVALUATION.md) are benchmarks; this slice runs the same
code path (the service's own pipeline, settings and model) on a few clusters and fails when
Wiredesk falls below floors set a little under what this slice measured when the defaults were
chosen (each floor's comment gives the measured value), or below the random baseline. A slice of
six clusters is too small to rank Wiredesk against lead or LexRank (on this one lead scores
0.092 to our 0.085, while on all 39 clusters we lead 8.29 to 5.69); the full run does that.
Skipped when the data (``../shared/data`` or ``$WIREDESK_EVAL_DATA``) is absent: the texts are
the publishers' and never live in this repository.
"""

from __future__ import annotations

from typing import Any

import pytest

from service.evaluation import datasets as ds
from service.evaluation.runner import (
    WIREDESK,
    CachingEmbedder,
    evaluate_briefs,
    evaluate_dedup,
    evaluate_stories,
    sample_clusters,
)
from service.evaluation.trust import evaluate_trust
from service.settings import Settings

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (ds.default_data_root() / "duc2003").is_dir(),
        reason="evaluation data not found (set WIREDESK_EVAL_DATA)",
    ),
]


@pytest.fixture(scope="module")
def embedder(onnx_fp32: Any) -> CachingEmbedder:
    """The default embedder (MiniLM on ONNX Runtime), remembering vectors across this module."""
    return CachingEmbedder(onnx_fp32)


def scores(report: Any) -> dict[str, Any]:
    return {s.system: s for s in report.systems}


async def test_briefs_on_a_duc_slice(embedder: CachingEmbedder) -> None:
    clusters = sample_clusters(ds.load_duc2003(), 6, seed=0)
    report = await evaluate_briefs("duc2003", clusters, Settings(), embedder, max_words=100)
    by = {name: s.rouge.rouge2.recall for name, s in scores(report).items()}
    assert by[WIREDESK] >= 0.095, by  # measured 0.1022 (0.0846 before session 9)
    assert by[WIREDESK] > by["random"] + 0.02, by  # random 0.057 here


async def test_briefs_on_multiling_stay_above_every_participant(
    embedder: CachingEmbedder,
) -> None:
    clusters = ds.load_multiling2011()
    report = await evaluate_briefs(
        "multiling2011", clusters, Settings(), embedder, max_words=250, with_baselines=False
    )
    by = {name: s.rouge.rouge2.recall for name, s in scores(report).items()}
    best_peer = max(v for name, v in by.items() if name.startswith("peer ") and name != "peer ID10")
    assert best_peer == pytest.approx(0.1783, abs=5e-4), by  # ID3; ID10 is the topline
    assert by[WIREDESK] > best_peer, by  # measured 0.1860


async def test_stories_on_giveme5w1h(embedder: CachingEmbedder) -> None:
    report, _ = await evaluate_stories(
        "giveme5w1h", ds.load_story_set("giveme5w1h"), Settings(), embedder
    )
    ours = scores(report)[WIREDESK]
    assert ours.bcubed_f1 >= 0.95, ours  # measured 0.969 (TF-IDF oracle 0.921)
    assert ours.bcubed_precision >= 0.92, ours  # measured 0.940 (recall 1.000)


async def test_stories_on_multiling(embedder: CachingEmbedder) -> None:
    # Topics followed over months: the set where one fixed similarity bar fails (0.851 before
    # the regrouping pass, 0.970 before titles were weighted).
    report, _ = await evaluate_stories(
        "multiling2011", ds.load_story_set("multiling2011"), Settings(), embedder
    )
    ours = scores(report)[WIREDESK]
    assert ours.bcubed_f1 >= 0.98, ours  # measured 0.991 (TF-IDF oracle 0.982)


PRECISION_FLOOR = 0.95  # measured 0.973 on these 600 pairs (0.960 on all 1,725)
RECALL_FLOOR = 0.15  # measured 0.178


def test_dedup_precision_on_mrpc(embedder: CachingEmbedder) -> None:
    pairs = ds.load_mrpc(split="test")[:600]
    report = evaluate_dedup("mrpc", pairs, Settings(), embedder)
    assert report.precision >= PRECISION_FLOOR, report
    assert report.recall >= RECALL_FLOOR, report


async def test_brief_trust_on_giveme5w1h(embedder: CachingEmbedder) -> None:
    events: dict[str, list[ds.EvalArticle]] = {}
    for article in ds.load_story_set("giveme5w1h"):
        events.setdefault(article.cluster_id, []).append(article)
    report = await evaluate_trust(
        "giveme5w1h", [events[k] for k in sorted(events)], Settings(), embedder
    )
    for score in report.scores:
        assert score.briefs == len(events), score
        assert score.attribution_precision == 1.0, score  # the bar: every credit exact
        if score.config != "no lede":
            assert score.dangling_openings == 0, score
