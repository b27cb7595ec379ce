"""Part 2: brief latency (uncached, against sumy's LexRank on the same sentences) and cached GETs.

Stories of 10, 50 and 100 articles are built from real DUC 2003 clusters: the first 10 articles
of a cluster, posted as they are (10), or each republished by 5 or 10 outlets with the wire
generator's edits (50 and 100). Every article of a story carries one ``story_key``, so each
story holds exactly its articles. Everything goes through a fresh ``wiredesk serve``:

* uncached brief: ``GET /stories/{id}/brief?max_words=W`` with a new ``W`` per request (every
  request misses the cache and summarises the story; the cost does not depend on ``W``
  between 100 and 100 + repeats), timed at the client, HTTP included;
* LexRank: sumy's ``LexRankSummarizer`` (through :func:`service.evaluation.baselines.lexrank`,
  which feeds sumy pre-split sentences) on the story's sentences as the service's splitter
  cuts them, in this process, between the service's requests (the server idles meanwhile);
* cached brief: after one miss, ``clients`` concurrent clients GET the same brief
  ``requests`` times; per-request latency at the client. Two load generators, one after the
  other: ``httpx.AsyncClient`` tasks in this process, and, when the machine has it, ``wrk``
  (C, one thread, keep-alive; Debian package ``wrk``) in a second process. On 2 cores the
  clients share the CPU with the server, and the Python clients cost more CPU per request
  than the server does, so their latencies include their own event loop's queueing; wrk's
  show the server's.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from typing import Any

import httpx

from bench.common import Server, busy_processes, percentile, serve
from bench.workload import BenchArticle, WireConfig, wire_workload


def _duc_originals(cluster_index: int, count: int) -> list[BenchArticle]:
    from service.evaluation.datasets import load_duc2003

    clusters = [c for c in load_duc2003() if len(c.articles) >= count]
    cluster = clusters[cluster_index % len(clusters)]
    out = []
    for a in cluster.articles[:count]:
        out.append(
            BenchArticle(
                doc_id=a.doc_id,
                source_id=a.doc_id,
                url=f"{a.url}#story{cluster_index}",
                outlet=a.outlet,
                title=a.title,
                paragraphs=a.paragraphs,
                published_at=a.published_at.isoformat() if a.published_at else None,
                story_key=f"bench-story-{cluster_index}",
            )
        )
    return out


def build_story(size: int, cluster_index: int, seed: int) -> list[BenchArticle]:
    """``size`` articles of one story: 10 real articles, republished ``size / 10`` times."""
    originals = _duc_originals(cluster_index, min(10, size))
    versions = max(1, size // len(originals))
    articles = [v.article for v in wire_workload(originals, WireConfig(versions=versions), seed)]
    return articles[:size]


def story_sentences(articles: Sequence[BenchArticle]) -> list[tuple[str, str]]:
    """``(article id, sentence)`` in reading order, as the service's splitter cuts them."""
    from service.pipeline.split import split_article

    return [
        (a.doc_id, sentence)
        for a in articles
        for p in split_article(a.text)
        for sentence in p.sentences
    ]


def lexrank_seconds(sentences: Sequence[tuple[str, str]], max_words: int = 100) -> float:
    """Wall time of sumy's LexRank over ``sentences`` (one run)."""
    from service.evaluation.baselines import SourceSentence, lexrank

    inputs = [SourceSentence(article, None, text) for article, text in sentences]
    start = time.perf_counter()
    lexrank(inputs, max_words)
    return time.perf_counter() - start


async def _post(server: Server, articles: Sequence[BenchArticle], clients: int) -> str:
    queue: asyncio.Queue[BenchArticle] = asyncio.Queue()
    for a in articles:
        queue.put_nowait(a)
    story_ids: set[str] = set()

    async def client() -> None:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=300) as http:
            while not queue.empty():
                article = queue.get_nowait()
                response = await http.post("/articles", json=article.body())
                response.raise_for_status()
                story_ids.add(response.json()["story_id"])

    await asyncio.gather(*(client() for _ in range(clients)))
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
        current = {(await http.get(f"/stories/{s}")).json()["story"]["story_id"] for s in story_ids}
    if len(current) != 1:
        raise RuntimeError(f"story_key did not keep the story together: {sorted(current)}")
    story_id: str = current.pop()
    return story_id


async def _uncached(server: Server, story_id: str, max_words: int) -> float:
    """Seconds of one brief request that misses the cache (a ``max_words`` not asked before)."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=300) as http:
        await http.get("/health")  # open the connection outside the measurement
        start = time.perf_counter()
        response = await http.get(f"/stories/{story_id}/brief", params={"max_words": max_words})
        elapsed = time.perf_counter() - start
    response.raise_for_status()
    if response.json()["cached"]:
        raise RuntimeError("expected a cache miss")
    return elapsed


async def _cached(server: Server, story_id: str, clients: int, requests: int) -> dict[str, Any]:
    path = f"/stories/{story_id}/brief"
    latencies: list[float] = []
    hits = 0
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as warm:
        (await warm.get(path)).raise_for_status()  # the one miss that fills the cache
    per_client = requests // clients

    async def client() -> None:
        nonlocal hits
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            await http.get(path)  # open the connection outside the measurement
            for _ in range(per_client):
                start = time.perf_counter()
                response = await http.get(path)
                latencies.append((time.perf_counter() - start) * 1000)
                hits += bool(response.json()["cached"])

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - start
    return {
        "client": "httpx",
        "clients": clients,
        "requests": len(latencies),
        "cache_hits": hits,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies),
        "requests_per_s": len(latencies) / wall,
    }


_WRK_LINE = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> dict[str, float]:
    """Latency percentiles (ms) and requests/s from ``wrk --latency`` output.

    Raises:
        ValueError: the output lacks the latency distribution or the rate, or reports
            non-2xx responses or socket errors.
    """
    found = {f"p{q}_ms": float(v) * _UNIT_MS[unit] for q, v, unit in _WRK_LINE.findall(output)}
    rate = re.search(r"Requests/sec:\s*([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if "p50_ms" not in found or "p99_ms" not in found or rate is None or total is None:
        raise ValueError(f"unexpected wrk output:\n{output}")
    if "Non-2xx" in output or "Socket errors" in output:
        raise ValueError(f"wrk saw failed requests:\n{output}")
    return {**found, "requests_per_s": float(rate.group(1)), "requests": float(total.group(1))}


def _cached_wrk(server: Server, story_id: str, clients: int, seconds: int) -> dict[str, Any]:
    """``wrk -t1 -c<clients> -d<seconds>s --latency`` on the cached brief (after a warm GET)."""
    url = f"{server.base_url}/stories/{story_id}/brief"
    httpx.get(url, timeout=60).raise_for_status()
    hits_before = _memory_hits(server)
    done = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    parsed = parse_wrk(done.stdout)
    return {
        "client": "wrk",
        "clients": clients,
        "requests": int(parsed["requests"]),
        "cache_hits": int(_memory_hits(server) - hits_before),
        "p50_ms": parsed["p50_ms"],
        "p99_ms": parsed["p99_ms"],
        "max_ms": float("nan"),
        "requests_per_s": parsed["requests_per_s"],
    }


def _memory_hits(server: Server) -> float:
    text = httpx.get(f"{server.base_url}/metrics", timeout=30).text
    match = re.search(r'^wiredesk_brief_cache_total\{result="memory_hit"\} ([\d.e+]+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


def run(*, quick: bool, seed: int = 0) -> dict[str, Any]:
    """Build the stories, time uncached briefs and LexRank side by side, then cached GETs."""
    sizes = (10, 50) if quick else (10, 50, 100)
    repeats = 3 if quick else 5
    lexrank_repeats = 1
    results: dict[str, Any] = {"busy_processes_before": busy_processes(), "stories": []}
    with serve() as server:
        story_of: dict[int, str] = {}
        for i, size in enumerate(sizes):
            articles = build_story(size, cluster_index=i, seed=seed)
            story_of[size] = asyncio.run(_post(server, articles, clients=8))
            sentences = story_sentences(articles)
            # Interleave: service, LexRank, service, ... so both see the same machine load.
            service_times: list[float] = []
            lex_times: list[float] = []
            for r in range(max(repeats, lexrank_repeats)):
                if r < repeats:
                    service_times.append(asyncio.run(_uncached(server, story_of[size], 100 + r)))
                if r < lexrank_repeats:
                    lex_times.append(lexrank_seconds(sentences))
            service_ms = percentile([t * 1000 for t in service_times], 50)
            lex_ms = percentile([t * 1000 for t in lex_times], 50)
            results["stories"].append(
                {
                    "articles": size,
                    "sentences": len(sentences),
                    "uncached_ms_median": service_ms,
                    "uncached_ms_all": [t * 1000 for t in service_times],
                    "lexrank_ms_median": lex_ms,
                    "lexrank_ms_all": [t * 1000 for t in lex_times],
                    "speedup_vs_lexrank": lex_ms / service_ms,
                }
            )
        biggest = story_of[max(sizes)]
        results["cached"] = [
            asyncio.run(_cached(server, biggest, clients, 400 if quick else 4000))
            for clients in (1, 8)
        ]
        if shutil.which("wrk"):
            results["cached"] += [
                _cached_wrk(server, biggest, clients, 5 if quick else 15) for clients in (1, 8)
            ]
    results["busy_processes_after"] = busy_processes()
    return results
