"""Part 3: index scaling for every backend of ``indexes/`` at 10k, 100k and 1M vectors.

Data: synthetic unit vectors of dim 384 drawn around 2,000 random centres (each vector is its
centre plus isotropic noise, renormalised: vectors of one centre have cosines around 0.62, a
query's nearest neighbours around 0.7, like
sentence embeddings of related text). Uniform random vectors on the sphere would be a
degenerate case (every pair nearly orthogonal, no neighbourhood structure), which no
embedding model produces. Queries are fresh draws from the same mixture.

For each backend and size: build time, single-query search latency (k = 10, one query per
call, as the service asks per new paragraph), insert latency (adding 16 vectors, a typical
article, into the full index), recall@10 against exact brute force (NumPy matrix product),
memory per vector (resident-set growth while building, the serialised size, and the
backend's own estimate), the time ``to_bytes`` needs (the snapshot's in-memory copy), and
the latency of inserts (16 vectors plus one search, in a loop) made while ``to_bytes`` runs
in another thread: writers must not wait for a snapshot.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.common import busy_processes, percentile, rss_bytes

DIM = 384
CENTRES = 2_000
NOISE = 0.04  # per-coordinate sd: |noise| ~ 0.04 * sqrt(384) = 0.78 against the unit centre


def mixture(n: int, seed: int, centres: NDArray[np.float32]) -> NDArray[np.float32]:
    """``n`` unit vectors around ``centres`` (see module docstring)."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, DIM), dtype=np.float32)
    step = 100_000
    for start in range(0, n, step):
        m = min(step, n - start)
        picks = rng.integers(0, len(centres), m)
        block = centres[picks] + rng.standard_normal((m, DIM), dtype=np.float32) * NOISE
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start : start + m] = block
    return out


def exact_top_k(
    data: NDArray[np.float32], queries: NDArray[np.float32], k: int
) -> NDArray[np.int64]:
    """Exact top-``k`` row indices per query by blocked matrix products."""
    best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_ids = np.full((len(queries), k), -1, dtype=np.int64)
    step = 200_000
    for start in range(0, len(data), step):
        scores = queries @ data[start : start + step].T
        ids = np.broadcast_to(np.arange(start, start + scores.shape[1]), scores.shape)
        all_scores = np.concatenate([best_scores, scores], axis=1)
        all_ids = np.concatenate([best_ids, ids], axis=1)
        top = np.argpartition(-all_scores, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(all_scores, top, axis=1)
        best_ids = np.take_along_axis(all_ids, top, axis=1)
    return best_ids


def measure(
    kind: str,
    data: NDArray[np.float32],
    queries: NDArray[np.float32],
    truth: NDArray[np.int64],
    extra: NDArray[np.float32],
    options: dict[str, Any],
    search_queries: int,
) -> dict[str, Any]:
    """Build one index over ``data`` and measure it."""
    from indexes.auto import AutoIndex
    from indexes.factory import create_index

    gc.collect()
    rss_before = rss_bytes(os.getpid())[0]
    index = create_index(kind, DIM, **options)
    n = len(data)
    start = time.perf_counter()
    step = 50_000
    for s in range(0, n, step):
        index.add(np.arange(s, min(n, s + step), dtype=np.int64), data[s : s + step])
    if isinstance(index, AutoIndex):
        index.wait_converted(0 if index.active_kind == "flat" and not index.converting else None)
    build_s = time.perf_counter() - start
    gc.collect()
    rss_after = rss_bytes(os.getpid())[0]

    k = 10
    latencies = []
    found = np.empty((search_queries, k), dtype=np.int64)
    index.search(queries[:1], k)  # warm up
    cpu = time.process_time()
    for i in range(search_queries):
        t = time.perf_counter()
        result = index.search(queries[i : i + 1], k)
        latencies.append((time.perf_counter() - t) * 1000)
        found[i] = result.ids[0]
    search_cpu_ms = (time.process_time() - cpu) * 1000 / search_queries
    recall = float(np.mean([len(set(found[i]) & set(truth[i])) / k for i in range(search_queries)]))
    inserts = []
    for j in range(0, min(len(extra), 16 * 20), 16):
        ids = np.arange(n + j, n + j + 16, dtype=np.int64)
        t = time.perf_counter()
        index.add(ids, extra[j : j + 16])
        inserts.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    serialised = len(index.to_bytes())
    serialise_s = time.perf_counter() - t
    during = _inserts_during_snapshot(index, extra, first_id=n + 16 * 20, k=k)
    row = {
        "kind": kind,
        "active": getattr(index, "active_kind", kind),
        "vectors": n,
        "options": options,
        "build_s": build_s,
        "search_queries": search_queries,
        "search_ms_p50": percentile(latencies, 50),
        "search_ms_p99": percentile(latencies, 99),
        "search_cpu_ms_mean": search_cpu_ms,
        "insert16_ms_p50": percentile(inserts, 50),
        "insert16_ms_p99": percentile(inserts, 99),
        "recall_at_10": recall,
        "rss_bytes_per_vector": (rss_after - rss_before) / n,
        "serialised_bytes_per_vector": serialised / n,
        "estimated_bytes_per_vector": index.memory_bytes() / n,
        "to_bytes_s": serialise_s,
        "snapshot_s": during["snapshot_s"],
        "inserts_during_snapshot": during["inserts"],
        "insert_during_snapshot_ms_p50": during["p50_ms"],
        "insert_during_snapshot_ms_max": during["max_ms"],
    }
    del index
    gc.collect()
    return row


def _inserts_during_snapshot(
    index: Any, extra: NDArray[np.float32], first_id: int, k: int
) -> dict[str, float]:
    """Insert 16 vectors and search once, in a loop, while ``to_bytes`` runs in a thread."""
    import threading

    done = threading.Event()
    spent: list[float] = []

    def snapshot() -> None:
        start = time.perf_counter()
        try:
            index.to_bytes()
            spent.append(time.perf_counter() - start)
        finally:
            done.set()

    thread = threading.Thread(target=snapshot)
    latencies: list[float] = []
    next_id = first_id
    thread.start()
    while not done.is_set():
        rows = np.arange(len(latencies) * 16, len(latencies) * 16 + 16) % len(extra)
        t = time.perf_counter()
        index.add(np.arange(next_id, next_id + 16, dtype=np.int64), extra[rows])
        index.search(extra[rows[:1]], k)
        latencies.append((time.perf_counter() - t) * 1000)
        next_id += 16
    thread.join()
    if not spent:
        raise RuntimeError("the snapshot failed while inserts ran (see the thread's traceback)")
    return {
        "snapshot_s": spent[0],
        "inserts": float(len(latencies)),
        "p50_ms": percentile(latencies, 50),
        "max_ms": max(latencies) if latencies else float("nan"),
    }


def run(
    *,
    quick: bool,
    seed: int = 0,
    kinds: Sequence[str] | None = None,
    sizes: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Every backend at every size (see module docstring)."""
    from indexes.factory import available_kinds

    kinds = tuple(kinds or available_kinds())
    sizes = tuple(sizes or ((10_000, 50_000) if quick else (10_000, 100_000, 1_000_000)))
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CENTRES, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    queries = mixture(200, seed + 1, centres)
    extra = mixture(16 * 20, seed + 2, centres)
    rows = []
    busy = busy_processes()
    for size in sizes:
        data = mixture(size, seed + 3, centres)
        truth = exact_top_k(data, queries, 10)
        for kind in kinds:
            exact = kind in ("numpy", "flat") or (kind == "auto" and size <= 200_000)
            count = 50 if exact and size >= 1_000_000 else 200
            options: dict[str, Any] = {}
            row = measure(kind, data, queries, truth, extra, options, count)
            print(
                f"  index {kind:6s} {size:>9,d}: search p50 {row['search_ms_p50']:.3f} ms, "
                f"recall@10 {row['recall_at_10']:.3f}, build {row['build_s']:.1f} s",
                flush=True,
            )
            rows.append(row)
        del data
        gc.collect()
    return {
        "dim": DIM,
        "centres": CENTRES,
        "noise_sd": NOISE,
        "rows": rows,
        "busy_processes_before": busy,
        "busy_processes_after": busy_processes(),
    }
