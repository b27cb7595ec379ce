"""Part ``scale``: a newsroom's stream through the real service, measured as the world grows.

**The generator** (:func:`stream`) turns the ~610 real English news articles of DUC 2003,
MultiLing 2011 and Giveme5W1H (:func:`bench.workload.load_distinct`, read in place at run time;
no text is written anywhere) into an unbounded stream of articles over simulated weeks:

* **stories arrive** as a Poisson-like process: each article starts a new story with
  probability ``p_new`` (1/6: a story gets 6 articles on average, heavy-tailed);
* a story is an **incarnation** of one real article (its seed): every capitalised word after
  the first word of a paragraph (names, places, organisations; not the weekdays, months and
  common sentence openers of ``_KEEP``) is replaced by an invented name and every number by
  another of the same length, both from tables drawn per incarnation. Reusing 610 seeds
  for tens of thousands of stories therefore gives stories with distinct entities, numbers
  and exact texts (distinct fingerprints and vectors), over the same kind of news prose;
* **stories grow and go quiet**: an article that does not start a story follows up an active
  one, picked with weight ``exp(-age / mean_life)`` (mean life 2 simulated days); stories
  older than 7 mean lives leave the active set (quiet), so the live window is a few weeks
  of simulated time;
* **follow-ups** are wire copies (60 %: the story's original as another outlet runs it, with
  the edits of :func:`bench.workload.wire_versions`: headline rewritten, a tail paragraph
  dropped, two paragraphs swapped, light rewording, the outlet's copyright line) or
  developments (40 %: another outlet's article made of the lead reworded and a different
  selection of the seed's paragraphs, also reworded);
* **time**: ``articles_per_day`` (default 5,000: a mid-size media monitor) articles per
  simulated day, evenly spaced; 48 outlets.

Everything depends only on ``seed``. The stream is posted in publication order, in batches of
``batch`` articles (``POST /articles/batch``), by one client, to ``wiredesk serve`` run with the
lexical ``hash`` embedder (so only Wiredesk's own costs are measured) against its own Redis
(started for the run, so that ``INFO memory`` counts only this service's data).

**Measurements** at each checkpoint (every ``checkpoint`` articles), ingest paused:

* service RSS (``VmRSS``) and Redis ``used_memory``;
* ingest rate since the last checkpoint (articles/s, wall clock) and Wiredesk's own cost per
  article: the server's CPU seconds (user + system, all threads) per article ingested since
  the last checkpoint, which other jobs on a shared machine inflate far less than wall time;
* latency (p50, p99 over ``reads`` sequential requests each) of ``GET /stories?limit=50``,
  ``GET /clusters?limit=50``, ``GET /metrics`` and ``GET /`` (the dashboard page).
"""

from __future__ import annotations

import math
import random
import re
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    busy_processes,
    cpu_seconds,
    percentile,
    rss_bytes,
    serve,
    write_result,
)
from bench.ingest import _stage_seconds
from bench.workload import OUTLETS, BenchArticle, WireConfig, _reword, load_distinct, wire_versions

COLUMNS = [
    "articles",
    "generated stories",
    "service stories",
    "texts",
    "RSS MiB",
    "Redis MiB",
    "ingest art/s",
    "CPU ms/art",
    "/stories p50",
    "p99",
    "/clusters p50",
    "p99",
    "/metrics p50",
    "p99",
    "/ p50",
    "p99",
    "load 1m",
]

_SYLLABLES = ("ka", "lo", "mir", "ten", "dra", "vel", "os", "ur", "an", "bre", "sil", "tor", "ne")
_CAPITALISED = re.compile(r"(?<!^)\b([A-Z][a-z]{2,})\b")
_NUMBER = re.compile(r"\b\d+\b")
# Capitalised words that are not names: kept, so rewritten prose still reads as prose.
_KEEP = frozenset(
    (
        "The",
        "This",
        "That",
        "These",
        "Those",
        "There",
        "Then",
        "They",
        "Their",
        "Them",
        "He",
        "She",
        "His",
        "Her",
        "Its",
        "It",
        "In",
        "On",
        "At",
        "For",
        "From",
        "With",
        "But",
        "And",
        "Or",
        "If",
        "When",
        "While",
        "After",
        "Before",
        "As",
        "By",
        "Of",
        "To",
        "An",
        "We",
        "Our",
        "You",
        "Your",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Sept",
        "Oct",
        "Nov",
        "Dec",
        "Mr",
        "Mrs",
        "Ms",
        "Dr",
        "President",
        "Minister",
        "Government",
        "Police",
        "",
    )
)
_EXTRA_OUTLETS = tuple(f"Outlet {i:02d}" for i in range(48 - len(OUTLETS)))
_ALL_OUTLETS = (*OUTLETS, *_EXTRA_OUTLETS)
_START = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class _Story:
    """One generated story: its seed's rewritten paragraphs and its life so far."""

    number: int
    seed: BenchArticle
    title: str
    paragraphs: tuple[str, ...]
    born: float  # simulated seconds since the start
    outlet: str
    follow_ups: int = 0
    outlets_used: set[str] = field(default_factory=set)


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _incarnate(text: str, names: dict[str, str], rng: random.Random) -> str:
    """``text`` with its capitalised words and numbers replaced (tables shared per story)."""

    def name(match: re.Match[str]) -> str:
        word = match.group(1)
        if word in _KEEP:
            return word
        if word not in names:
            names[word] = _name(rng)
        return names[word]

    def number(match: re.Match[str]) -> str:
        digits = match.group(0)
        low = 10 ** (len(digits) - 1) if len(digits) > 1 else 0
        return str(rng.randint(low, 10 ** len(digits) - 1))

    return _NUMBER.sub(number, _CAPITALISED.sub(name, text))


def stream(
    n: int,
    seed: int = 0,
    *,
    articles_per_day: int = 5_000,
    p_new: float = 1 / 6,
    mean_life_days: float = 2.0,
    seeds: Sequence[BenchArticle] | None = None,
) -> Iterator[BenchArticle]:
    """``n`` generated articles in publication order (see the module docstring).

    Args:
        n: articles to generate.
        seed: the only source of randomness.
        articles_per_day: simulated publication rate.
        p_new: probability that an article starts a new story.
        mean_life_days: a story's follow-up weight decays as ``exp(-age / mean_life)``.
        seeds: the real articles stories are made from (default: every article of
            :func:`bench.workload.load_distinct` with at least two paragraphs).
    """
    seeds = [a for a in (seeds or load_distinct()) if len(a.paragraphs) >= 2]
    rng = random.Random(seed)
    step = 86_400 / articles_per_day
    life = mean_life_days * 86_400
    active: list[_Story] = []
    stories = 0
    for i in range(n):
        now = i * step
        if i % 256 == 0:  # stories older than 7 mean lives go quiet (weight < 0.1 %)
            active = [s for s in active if now - s.born < 7 * life]
        if not active or rng.random() < p_new:
            source = seeds[stories % len(seeds)]
            names: dict[str, str] = {}
            story_rng = random.Random(f"{seed}:story:{stories}")
            paragraphs = tuple(_incarnate(p, names, story_rng) for p in source.paragraphs)
            title = _incarnate(source.title or source.paragraphs[0][:80], names, story_rng)
            story = _Story(stories, source, title, paragraphs, now, rng.choice(_ALL_OUTLETS))
            active.append(story)
            stories += 1
            yield _article(story, now, story.outlet, title, paragraphs, 0)
            continue
        weights = [math.exp(-(now - s.born) / life) for s in active]
        story = rng.choices(active, weights)[0]
        story.follow_ups += 1
        outlet = rng.choice([o for o in _ALL_OUTLETS if o != story.outlet])
        if rng.random() < 0.6:
            original = BenchArticle(
                doc_id=f"g{story.number}",
                source_id=story.seed.doc_id,
                url=f"https://gen.example/{story.number}",
                outlet=story.outlet,
                title=story.title,
                paragraphs=story.paragraphs,
            )
            versions = wire_versions(
                original, WireConfig(versions=2), seed=seed * 1_000_003 + story.follow_ups
            )
            copy = versions[1].article
            yield _article(story, now, outlet, copy.title, copy.paragraphs, story.follow_ups)
        else:
            body = list(story.paragraphs[1:])
            rng.shuffle(body)
            keep = body[: rng.randint(1, max(1, min(6, len(body))))]
            paragraphs = tuple(_reword(p, rng)[0] for p in (story.paragraphs[0], *keep))
            title = f"{story.title}: latest"
            yield _article(story, now, outlet, title, paragraphs, story.follow_ups)


def _article(
    story: _Story, now: float, outlet: str, title: str | None, paragraphs: Sequence[str], k: int
) -> BenchArticle:
    return BenchArticle(
        doc_id=f"g{story.number}-{k}",
        source_id=story.seed.doc_id,
        url=f"https://{outlet.lower().replace(' ', '-')}.example/g{story.number}/{k}",
        outlet=outlet,
        title=title,
        paragraphs=tuple(paragraphs),
        published_at=(_START + timedelta(seconds=now)).isoformat(),
    )


def _redis_used_bytes(url: str) -> int:
    import redis

    client = redis.Redis.from_url(url)
    try:
        info: dict[str, Any] = client.info("memory")
        return int(info["used_memory"])
    finally:
        client.close()


def _latencies(http: httpx.Client, path: str, reads: int) -> tuple[float, float]:
    times = []
    for _ in range(reads):
        start = time.perf_counter()
        response = http.get(path)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
    return percentile(times, 50), percentile(times, 99)


def _load1() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def run(
    *,
    quick: bool,
    seed: int = 0,
    articles: int | None = None,
    checkpoints: int | None = None,
    batch: int = 100,
    reads: int = 20,
) -> dict[str, Any]:
    """Stream generated articles through ``wiredesk serve`` and measure at checkpoints.

    Args:
        quick: 2,000 articles (a smoke run of the whole path) unless ``articles`` is given.
        seed: generator seed.
        articles: how many articles to stream (default 10,000).
        checkpoints: measure after every this many articles (default ``articles / 10``).
        batch: articles per ``POST /articles/batch``.
        reads: requests per read endpoint and checkpoint.
    """
    from service.adapters.redis_server import start_embedded

    total = articles or (2_000 if quick else 10_000)
    every = checkpoints or max(batch, total // 10)
    rows: list[dict[str, Any]] = []
    statuses: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="wiredesk-scale-redis-") as tmp:
        redis_server = start_embedded(Path(tmp))
        try:
            env = {
                "WIREDESK_EMBEDDER": "hash",
                "WIREDESK_WRITE_RATE_PER_MINUTE": "0",
                "WIREDESK_MAX_BATCH_ARTICLES": str(max(batch, 200)),
            }
            with (
                serve(env, redis_url=redis_server.url) as server,
                httpx.Client(base_url=server.base_url, timeout=600) as http,
            ):
                sent = 0
                cpu_before = cpu_seconds(server.pid)
                wall_before = time.perf_counter()
                pending: list[BenchArticle] = []
                stages_before: dict[str, float] = {}
                generated = stream(total, seed)
                generated_stories = 0
                for article in generated:
                    story_number = int(article.doc_id[1:].split("-")[0])
                    generated_stories = max(generated_stories, story_number + 1)
                    pending.append(article)
                    if len(pending) < batch and sent + len(pending) < total:
                        continue
                    response = http.post(
                        "/articles/batch", json={"articles": [a.body() for a in pending]}
                    )
                    if response.status_code != 200:
                        raise RuntimeError(f"batch: {response.status_code} {response.text[:500]}")
                    for item in response.json()["results"]:
                        if item["ok"]:
                            key = str(item["result"]["status"])
                        else:
                            key = f"error {item['error']['status_code']}"
                        statuses[key] = statuses.get(key, 0) + 1
                    sent += len(pending)
                    pending = []
                    if sent % every and sent < total:
                        continue
                    wall = time.perf_counter() - wall_before
                    cpu = cpu_seconds(server.pid) - cpu_before
                    done = sent - (rows[-1]["articles"] if rows else 0)
                    health = http.get("/health").json()
                    stages = _stage_seconds(http.get("/metrics").text)
                    spent = {k: v - stages_before.get(k, 0.0) for k, v in stages.items()}
                    stages_before = stages
                    row: dict[str, Any] = {
                        "articles": sent,
                        "generated_stories": generated_stories,
                        "stories": health.get("stories"),
                        "texts": health.get("texts"),
                        "rss_mib": rss_bytes(server.pid)[0] / 2**20,
                        "redis_mib": _redis_used_bytes(redis_server.url) / 2**20,
                        "ingest_articles_per_s": done / wall,
                        "cpu_ms_per_article": 1000 * cpu / done,
                        "load1": _load1(),
                        # Seconds per article in each ingest stage since the last checkpoint.
                        "stage_ms_per_article": {
                            k: 1000 * v / done for k, v in sorted(spent.items()) if v > 0
                        },
                    }
                    for name, path in (
                        ("stories", "/stories?limit=50"),
                        ("clusters", "/clusters?limit=50"),
                        ("metrics", "/metrics"),
                        ("dashboard", "/"),
                    ):
                        p50, p99 = _latencies(http, path, reads)
                        row[f"{name}_ms_p50"], row[f"{name}_ms_p99"] = p50, p99
                    rows.append(row)
                    partial = {"articles": total, "batch": batch, "statuses": statuses}
                    write_result("scale-partial", {**partial, "rows": rows})
                    print("  " + "  ".join(f"{k}={_short(v)}" for k, v in row.items()), flush=True)
                    cpu_before = cpu_seconds(server.pid)
                    wall_before = time.perf_counter()
        finally:
            redis_server.close()
    return {
        "articles": total,
        "batch": batch,
        "reads_per_endpoint": reads,
        "statuses": statuses,
        "busy_processes_at_end": busy_processes(),
        "rows": rows,
    }


def _short(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def table_rows(result: dict[str, Any]) -> Sequence[Sequence[Any]]:
    """Rows for :func:`bench.common.table` (columns: :data:`COLUMNS`)."""
    return [
        [
            r["articles"],
            r["generated_stories"],
            r["stories"],
            r["texts"],
            r["rss_mib"],
            r["redis_mib"],
            r["ingest_articles_per_s"],
            r["cpu_ms_per_article"],
            r["stories_ms_p50"],
            r["stories_ms_p99"],
            r["clusters_ms_p50"],
            r["clusters_ms_p99"],
            r["metrics_ms_p50"],
            r["metrics_ms_p99"],
            r["dashboard_ms_p50"],
            r["dashboard_ms_p99"],
            r["load1"],
        ]
        for r in result["rows"]
    ]
