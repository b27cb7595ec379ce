"""Part ``embedders``: the raw encode rate of every real embedder on the same paragraphs.

sentence-transformers on torch (the reference, at its best batch size of a sample), then the
ONNX Runtime exports (fp32, int8), each timed over the same shuffled distinct paragraphs of
the benchmark articles, in ``rounds`` interleaved rounds so that machine drift hits all of
them alike. Also the cosine of each backend's vectors to the reference's: the price of the
speed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.ingest import RawModel, workload_paragraphs
from bench.workload import load_distinct


def run(*, quick: bool, seed: int = 0, rounds: int = 3) -> dict[str, Any]:
    """Rates (paragraphs/s) and cosines to sentence-transformers of every real embedder.

    Args:
        quick: 256 paragraphs instead of 1,536.
        seed: shuffle seed.
        rounds: interleaved timing rounds; each backend's rate is its median over rounds.
    """
    import dataclasses

    from service.bootstrap import build_embedder
    from service.settings import Settings

    _, distinct = workload_paragraphs(load_distinct())
    random.Random(seed).shuffle(distinct)
    texts = distinct[: 256 if quick else 1536]
    reference = RawModel()
    probe = texts[:200]
    sample_rates = {bs: reference.rate(probe, bs) for bs in (8, 16, 32, 64)}
    best = max(sample_rates, key=lambda bs: sample_rates[bs])
    backends: dict[str, Any] = {
        kind: build_embedder(dataclasses.replace(Settings.from_env(), embedder=kind))
        for kind in ("onnx", "onnx-int8")
    }
    for backend in backends.values():
        backend.encode(texts[:16])  # warm up
    times: dict[str, list[float]] = {"minilm": [], **{k: [] for k in backends}}
    vectors: dict[str, np.ndarray[Any, Any]] = {}
    for _ in range(rounds):
        start = time.perf_counter()
        vectors["minilm"] = reference.vectors(texts, best)
        times["minilm"].append(time.perf_counter() - start)
        for kind, backend in backends.items():
            start = time.perf_counter()
            vectors[kind] = backend.encode(texts)
            times[kind].append(time.perf_counter() - start)
    rows = []
    for kind, spent in times.items():
        cosines = np.sum(vectors[kind] * vectors["minilm"], axis=1)
        rate = len(texts) / float(np.median(spent))
        rows.append(
            {
                "embedder": kind,
                "paragraphs_per_s": rate,
                "per_round": [len(texts) / s for s in spent],
                "speedup_vs_minilm": rate / (len(texts) / float(np.median(times["minilm"]))),
                "cosine_mean": float(cosines.mean()),
                "cosine_p1": float(np.percentile(cosines, 1)),
                "cosine_min": float(cosines.min()),
            }
        )
    return {
        "paragraphs": len(texts),
        "rounds": rounds,
        "minilm_sample_rates": sample_rates,
        "minilm_best_batch_size": best,
        "rows": rows,
    }


def table_rows(result: dict[str, Any]) -> Sequence[Sequence[Any]]:
    """Rows for :func:`bench.common.table`."""
    return [
        [
            r["embedder"],
            r["paragraphs_per_s"],
            r["speedup_vs_minilm"],
            r["cosine_mean"],
            r["cosine_p1"],
            r["cosine_min"],
        ]
        for r in result["rows"]
    ]
