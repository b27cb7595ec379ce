"""Part ``regroup``: the cost of one background regrouping pass by the number of articles.

The pass (:func:`service.pipeline.regroup.regroup`) builds TF-IDF over the pass's articles,
their full cosine matrix, z-normalises it and runs average-link clustering: time and memory
grow with the square of the articles. The articles are the benchmark's real ones and, past
those, their wire versions (light rewrites by other outlets), each in its own story (the
worst case: every story is a candidate for every other). Term counts are computed once
beforehand, as the service's memo keeps them between passes.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from typing import Any

from bench.workload import WireConfig, load_distinct, wire_workload


def run(*, quick: bool, sizes: list[int] | None = None, repeats: int = 3) -> dict[str, Any]:
    """Median seconds and peak traced memory of one pass at each size.

    Args:
        quick: sizes 250 and 500 only.
        sizes: pass sizes in articles (default 500, 1000, 2000, 4000).
        repeats: passes timed per size (the median is reported).
    """
    from service.pipeline.lexical import content_terms
    from service.pipeline.regroup import RegroupArticle, RegroupConfig, regroup

    chosen = sizes or ([250, 500] if quick else [500, 1000, 2000, 4000])
    originals = load_distinct()
    versions = wire_workload(originals, WireConfig(versions=8), seed=0)
    texts = [f"{v.article.title or ''}\n{v.article.text}" for v in versions]
    rows = []
    for n in chosen:
        if n > len(texts):
            raise ValueError(f"only {len(texts)} benchmark articles; asked for {n}")
        articles = [
            RegroupArticle(f"a{i:06d}", f"s{i}", i, content_terms(t))
            for i, t in enumerate(texts[:n])
        ]
        config = RegroupConfig(max_articles=n)
        seconds = []
        groups = 0
        for _ in range(repeats):
            start = time.perf_counter()
            plan = regroup(articles, config)
            seconds.append(time.perf_counter() - start)
            groups = len(plan.groups)
        tracemalloc.start()
        regroup(articles, config)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append(
            {
                "articles": n,
                "seconds_median": round(statistics.median(seconds), 3),
                "seconds_min": round(min(seconds), 3),
                "peak_mib": round(peak / 2**20, 1),
                "groups": groups,
            }
        )
        print(rows[-1], flush=True)
    return {"part": "regroup", "rows": rows}
