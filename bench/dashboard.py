"""Part ``dashboard``: dashboard pages and story search latency at 10k (and 100k) articles.

A ``wiredesk serve`` process (the hash embedder: the reads do not embed;
the background regrouping pass held off so it does not run during the timings) is filled with
the wire-heavy workload (:func:`bench.workload.wire_workload`: the real articles, each
republished by several outlets, as many versions as it takes to reach the size; each real
article's versions share a story key, so a story is one real article's coverage; past 13
versions per article, further editions come from differently named outlets) through
``POST /articles/batch``, then one client times, over HTTP, each read ``repeats`` times:

* ``GET /`` (the list page), ``GET /?q=<word>`` (search page), ``GET /stories?q=...`` with one
  common word, one rare word, two words, a word plus ``min_outlets=2``, an ``outlet`` filter
  and a time range, and the next page of a common word (cursor);
* ``GET /dashboard/stories/{id}`` for the widest stories (the first request of a story
  summarises its brief; later ones hit the brief cache), ``/dashboard/articles/{id}`` and
  ``/dashboard/clusters/{id}``.

Reported: p50 and p95 milliseconds per read, matches per search, and the ingest time (for
scale). Sizes are articles stored.
"""

from __future__ import annotations

import random
import time
from typing import Any

import httpx

from bench.common import percentile, serve
from bench.workload import WireConfig, load_distinct, wire_workload

BATCH = 200  # the service's default max_batch_articles
MAX_VERSIONS = 13  # one per outlet of the wire workload (bench.workload.OUTLETS plus the wire)


def _fill(base: str, size: int, seed: int) -> tuple[float, list[dict[str, Any]]]:
    originals = load_distinct()
    per_round = len(originals) * MAX_VERSIONS
    articles = []  # (edition, version): editions past the first are regional re-runs
    for edition in range(-(-size // per_round)):
        round_ = wire_workload(originals, WireConfig(versions=MAX_VERSIONS), seed=seed + edition)
        articles += [(edition, v) for v in round_]
    articles = articles[:size]
    bodies = []
    for i, (edition, v) in enumerate(articles):
        body = v.article.body()
        if edition:  # another edition of the outlet: its own name and URL, so not a re-post
            body["outlet"] = f"{body['outlet']} edition {edition}"
            body["url"] = f"{body['url']}/edition-{edition}"
        # One story per real article (its wire versions), as a client's story key makes it:
        # the hash embedder alone would pile unrelated articles into a few giant stories.
        body["story_key"] = v.article.source_id
        # Spread publication over ~30 days so time filters select a part of the desk.
        body["published_at"] = f"2026-10-{1 + (i * 30 // max(1, len(articles))):02d}T12:00:00Z"
        bodies.append(body)
    start = time.perf_counter()
    with httpx.Client(base_url=base, timeout=600) as client:
        for i in range(0, len(bodies), BATCH):
            r = client.post("/articles/batch", json={"articles": bodies[i : i + BATCH]})
            r.raise_for_status()
            if (i // BATCH) % 10 == 0:
                print(f"  {i + len(bodies[i : i + BATCH])}/{len(bodies)} articles", flush=True)
    return time.perf_counter() - start, bodies


def _time(client: httpx.Client, path: str, params: dict[str, Any], repeats: int) -> dict[str, Any]:
    ms = []
    body: Any = None
    for _ in range(repeats):
        start = time.perf_counter()
        r = client.get(path, params=params)
        ms.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200, (path, params, r.status_code, r.text[:300])
        body = r
    out: dict[str, Any] = {
        "path": path,
        "params": params,
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "first_ms": round(ms[0], 1),
    }
    if path == "/stories" and body is not None:
        out["matches_on_page"] = len(body.json()["stories"])
    return out


def _measure(base: str, bodies: list[dict[str, Any]], repeats: int) -> list[dict[str, Any]]:
    rng = random.Random(0)
    with httpx.Client(base_url=base, timeout=120) as client:
        rows = []
        stories = client.get("/stories", params={"limit": 500, "min_outlets": 2}).json()
        widest = sorted(stories["stories"], key=lambda s: -s["article_count"])[:3]
        title = next(s["title"] for s in widest if s["title"])
        words = [w for w in title.split() if len(w) > 4 and w.isalpha()] or ["said"]
        outlet = bodies[rng.randrange(len(bodies))]["outlet"]
        first = client.get("/stories", params={"q": "said", "limit": 50}).json()
        for path, params in [
            ("/", {}),
            ("/", {"q": words[0]}),
            ("/stories", {"limit": 50}),
            ("/stories", {"q": "said", "limit": 50}),
            ("/stories", {"q": words[0], "limit": 50}),
            ("/stories", {"q": " ".join(words[:2]), "limit": 50}),
            ("/stories", {"q": "said", "min_outlets": 2, "limit": 50}),
            ("/stories", {"outlet": outlet, "limit": 50}),
            ("/stories", {"since": "2026-10-10", "until": "2026-10-12", "limit": 50}),
            ("/stories", {"q": "said", "cursor": first["next_cursor"], "limit": 50}),
        ]:
            rows.append(_time(client, path, params, repeats))
            print(rows[-1], flush=True)
        for s in widest:
            rows.append(_time(client, f"/dashboard/stories/{s['story_id']}", {}, repeats))
            print(rows[-1], flush=True)
        detail = client.get(f"/stories/{widest[0]['story_id']}").json()
        article = detail["articles"][0]["article_id"]
        rows.append(_time(client, f"/dashboard/articles/{article}", {}, repeats))
        if detail["clusters"]:
            cluster = detail["clusters"][0]["cluster_id"]
            rows.append(_time(client, f"/dashboard/clusters/{cluster}", {}, repeats))
        for row in rows[-2:]:
            print(row, flush=True)
    return rows


def run(
    *, quick: bool, sizes: list[int] | None = None, repeats: int = 20, seed: int = 0
) -> dict[str, Any]:
    """Latency of the dashboard and search reads at each size (see the module docstring).

    Args:
        quick: one size of 2,000 articles, 5 repeats.
        sizes: stored articles per run (default 10,000).
        repeats: timed requests per read.
        seed: workload seed.
    """
    chosen = sizes or ([2000] if quick else [10_000])
    repeats = 5 if quick else repeats
    results = []
    for size in chosen:
        env = {"WIREDESK_EMBEDDER": "hash", "WIREDESK_REGROUP_DELAY_S": "86400"}
        with serve(env) as server:
            seconds, bodies = _fill(server.base_url, size, seed)
            health = httpx.get(f"{server.base_url}/health", timeout=30).json()
            print(f"filled {size} articles in {seconds:.0f} s: {health}", flush=True)
            rows = _measure(server.base_url, bodies, repeats)
        results.append(
            {
                "articles": health["articles"],
                "stories": health["stories"],
                "fill_seconds": round(seconds, 1),
                "rows": rows,
            }
        )
    return {"part": "dashboard", "embedder": "hash", "repeats": repeats, "sizes": results}
