"""``python -m bench mixed``: writes beside readers, and small writes beside one huge article.

Three scenarios on fresh servers, the same articles posted by ``writers`` clients each time:

1. ``writes``: writers only: write throughput (articles/s) and write latency;
2. ``writes+reads``: the same writes while ``readers`` clients loop over the reads an operator
   and a client make (story list, a story's detail, its brief at the default length, the
   cluster list, the dashboard): write throughput against (1), and read latency p50/p99;
3. ``writes+huge``: the same writes while one more client posts an article of
   ``max_paragraphs`` distinct paragraphs at the start: the small writes' latency p99 against
   (1), and how long the huge one took.

Issue 13: readers slowed writers about 20-fold, and a 400-paragraph article held a small one
for 45 s. The figures are ratios within one run (the machine is shared).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from typing import Any

import httpx

from bench.common import percentile, serve
from bench.ingest import post_all
from bench.workload import BenchArticle, load_distinct

READ_PATHS = ("/stories?limit=50", "/clusters?limit=50", "/")


async def _readers(base: str, readers: int, stop: asyncio.Event) -> list[float]:
    latencies: list[float] = []
    rng = random.Random(0)

    async def reader() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=600) as http:
            while not stop.is_set():
                listing = await http.get("/stories?limit=20")
                stories = listing.json().get("stories", []) if listing.is_success else []
                paths = list(READ_PATHS)
                if stories:
                    story = rng.choice(stories)["story_id"]
                    paths += [f"/stories/{story}", f"/stories/{story}/brief"]
                for path in paths:
                    start = time.perf_counter()
                    await http.get(path)
                    latencies.append((time.perf_counter() - start) * 1000)

    await asyncio.gather(*(reader() for _ in range(readers)))
    return latencies


def _huge(paragraphs: int) -> dict[str, str]:
    """An article of ``paragraphs`` distinct paragraphs (a long live blog)."""
    rng = random.Random(7)
    words: tuple[str, ...] = ("river", "council", "budget", "storm", "harbor")
    words += ("school", "court", "market", "bridge", "museum")
    lines = [
        f"{' '.join(rng.choice(words) for _ in range(24))} paragraph {i}."
        for i in range(paragraphs)
    ]
    text = "\n".join(lines)
    return {"url": "https://huge.example/live", "outlet": "Huge", "text": text}


async def _scenario(
    name: str, articles: Sequence[BenchArticle], writers: int, readers: int, huge: int
) -> dict[str, Any]:
    with serve({"WIREDESK_WRITE_RATE_PER_MINUTE": "0"}) as server:
        base = server.base_url
        stop = asyncio.Event()
        reading = asyncio.create_task(_readers(base, readers, stop)) if readers else None
        huge_ms: float | None = None
        huge_task = None
        if huge:

            async def post_huge() -> float:
                async with httpx.AsyncClient(base_url=base, timeout=600) as http:
                    start = time.perf_counter()
                    (await http.post("/articles", json=_huge(huge))).raise_for_status()
                    return (time.perf_counter() - start) * 1000

            huge_task = asyncio.create_task(post_huge())
            await asyncio.sleep(0.2)  # the huge one is in first
        took, latencies, _statuses, _outcomes = await post_all(server, articles, writers)
        stop.set()
        reads: list[float] = []
        if reading is not None:
            reads = await reading
        if huge_task is not None:
            huge_ms = await huge_task
    return {
        "scenario": name,
        "articles": len(articles),
        "writers": writers,
        "readers": readers,
        "write_articles_per_s": round(len(articles) / took, 2),
        "write_ms_p50": round(percentile(latencies, 50), 1),
        "write_ms_p99": round(percentile(latencies, 99), 1),
        "reads": len(reads),
        "read_ms_p50": round(percentile(reads, 50), 1) if reads else None,
        "read_ms_p99": round(percentile(reads, 99), 1) if reads else None,
        "huge_paragraphs": huge or None,
        "huge_ms": round(huge_ms, 1) if huge_ms is not None else None,
    }


def run(*, quick: bool, writers: int = 4, readers: int = 4, huge: int = 250) -> dict[str, Any]:
    """The three scenarios; ``quick`` posts 24 articles instead of 120."""
    articles = load_distinct(limit=24 if quick else 120)
    rows = [
        asyncio.run(_scenario("writes", articles, writers, 0, 0)),
        asyncio.run(_scenario("writes+reads", articles, writers, readers, 0)),
        asyncio.run(_scenario("writes+huge", articles, writers, 0, huge)),
    ]
    base = rows[0]
    for row in rows[1:]:
        row["write_rate_vs_alone"] = round(
            row["write_articles_per_s"] / base["write_articles_per_s"], 3
        )
        row["write_p99_vs_alone"] = round(row["write_ms_p99"] / base["write_ms_p99"], 3)
    return {"rows": rows}
