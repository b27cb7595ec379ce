"""Part ``shards``: which ANN index type one time shard should use, measured on real vectors.

Data: every distinct English news paragraph of DUC 2003, MultiLing 2011 and Giveme5W1H
(:func:`bench.workload.load_distinct`) plus every distinct sentence of the MSR Paraphrase
Corpus and the STS Benchmark (news, captions and forum text), all read in place from the
shared data directory and embedded with the service's real model (``all-MiniLM-L6-v2`` on
ONNX Runtime, fp32: :class:`service.adapters.onnx_embedder.OnnxEmbedder`, unit vectors of dim
384). The vectors (not the texts) are cached under ``bench/results/`` so a second run skips
the ~6 minutes of embedding. 1,000 of them (a seeded random choice) are held out as queries;
the rest form one shard. Ground truth is exact inner-product top-10 (a NumPy matrix product).

For each candidate per-shard index (faiss): build time, single-query search latency (one
query per call, as the service asks per new paragraph, on one thread), recall@10 against the
exact truth, and bytes per vector of the serialised index. Candidates:

* ``flat``: exact ``IndexFlatIP`` (the recall reference, 1.0 by construction);
* ``hnsw``: ``IndexHNSWFlat`` M=32, efConstruction=200, at several efSearch;
* ``ivf-sq8``: ``IndexIVFScalarQuantizer`` (8-bit per dimension, 4x smaller vectors) with
  ``nlist = 4 * sqrt(n)`` lists (faiss's guideline is 4-16 sqrt(n)), at several nprobe;
* ``ivf-pq``: ``IndexIVFPQ`` with 48 sub-quantisers of 8 bits (32x smaller vectors), at
  several nprobe;
* ``hnsw-sq8``: ``IndexHNSWSQ`` (HNSW graph over 8-bit vectors).

The recall bar is 0.98 (issue 16). Approximate recall is a property of the data and the
shard size, so the figures hold for this shard size; a larger shard needs a larger efSearch
or nprobe for the same recall.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.common import RESULTS_DIR, busy_processes, percentile

K = 10
QUERIES = 1_000
RECALL_BAR = 0.98


def real_texts() -> list[str]:
    """Distinct real news paragraphs and sentences (see module docstring), in a fixed order."""
    import csv

    from bench.ingest import workload_paragraphs
    from bench.workload import load_distinct
    from service.evaluation.datasets import default_data_root

    _, texts = workload_paragraphs(load_distinct())
    root = default_data_root()
    for name in ("msr_paraphrase_train.txt", "msr_paraphrase_test.txt"):
        with (root / "mrpc" / name).open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                if len(row) == 5 and row[0] in ("0", "1"):
                    texts.extend([row[3], row[4]])
    for name in ("sts-train.csv", "sts-dev.csv", "sts-test.csv"):
        with (root / "stsb" / name).open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                if len(row) >= 7:
                    texts.extend([row[5], row[6]])
    seen: set[str] = set()
    out: list[str] = []
    for raw in texts:
        text = raw.strip()
        if len(text) >= 20 and text not in seen:  # skip fragments; keep the first copy
            seen.add(text)
            out.append(text)
    return out


def real_vectors(cache_dir: Path = RESULTS_DIR) -> NDArray[np.float32]:
    """Unit vectors ``(n, 384)`` of :func:`real_texts` from the real ONNX model, cached.

    The cache file is named by a hash of the texts, so changed data is embedded again.
    """
    texts = real_texts()
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = cache_dir / f"shard-vectors-{digest}.npy"
    if path.exists():
        cached: NDArray[np.float32] = np.load(path)
        return cached
    from service.adapters.onnx_embedder import OnnxEmbedder, ensure_model

    embedder = OnnxEmbedder(ensure_model("fp32"))
    parts = []
    start = time.perf_counter()
    for at in range(0, len(texts), 512):
        parts.append(np.asarray(embedder.encode(texts[at : at + 512]), dtype=np.float32))
        done = at + len(parts[-1])
        print(f"  embedded {done}/{len(texts)} ({done / (time.perf_counter() - start):.0f}/s)")
    vectors = np.ascontiguousarray(np.concatenate(parts))
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def exact_top_k(data: NDArray[np.float32], queries: NDArray[np.float32], k: int) -> NDArray[Any]:
    """Exact top-``k`` row indices per query (argsort of one matrix product)."""
    scores = queries @ data.T
    return np.argpartition(-scores, k - 1, axis=1)[:, :k]


def _recall(found: NDArray[Any], truth: NDArray[Any]) -> float:
    hits = sum(len(set(f.tolist()) & set(t.tolist())) for f, t in zip(found, truth, strict=True))
    return hits / truth.size


def _candidates(dim: int, n: int) -> list[tuple[str, Any, list[tuple[str, Any]]]]:
    """(name, factory, [(setting label, setter)]) per candidate index."""
    import faiss

    nlist = int(4 * np.sqrt(n))

    def hnsw() -> Any:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 200
        return index

    def hnsw_sq8() -> Any:
        qt = faiss.ScalarQuantizer.QT_8bit
        # The faiss 1.15 stubs type the quantiser argument as an object; it takes the enum.
        index = faiss.IndexHNSWSQ(dim, qt, 32, faiss.METRIC_INNER_PRODUCT)  # type: ignore[arg-type]
        index.hnsw.efConstruction = 200
        return index

    def ivf_sq8() -> Any:
        quantizer = faiss.IndexFlatIP(dim)
        return faiss.IndexIVFScalarQuantizer(
            quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )

    def ivf_pq() -> Any:
        quantizer = faiss.IndexFlatIP(dim)
        return faiss.IndexIVFPQ(quantizer, dim, nlist, 48, 8, faiss.METRIC_INNER_PRODUCT)

    def ef(value: int) -> Any:
        return lambda index: setattr(index.hnsw, "efSearch", value)

    def nprobe(value: int) -> Any:
        return lambda index: setattr(index, "nprobe", value)

    efs = [(f"ef={v}", ef(v)) for v in (32, 64, 128, 256)]
    probes = [(f"nprobe={v}", nprobe(v)) for v in (8, 16, 32, 64, 128)]
    return [
        ("flat", lambda: faiss.IndexFlatIP(dim), [("exact", lambda _index: None)]),
        ("hnsw", hnsw, efs),
        ("hnsw-sq8", hnsw_sq8, efs),
        (f"ivf{nlist}-sq8", ivf_sq8, probes),
        (f"ivf{nlist}-pq48", ivf_pq, probes),
    ]


def run(*, quick: bool, seed: int = 0, kinds: Sequence[str] | None = None) -> dict[str, Any]:
    """Recall@10, latency and size of each candidate shard index on real vectors.

    Args:
        quick: a 5,000-vector shard and 200 queries instead of all vectors and 1,000.
        seed: which vectors are held out as queries.
        kinds: candidate names to keep (prefix match, e.g. ``hnsw``); default all.
    """
    import faiss

    vectors = real_vectors()
    order = np.random.default_rng(seed).permutation(len(vectors))
    n_queries = 200 if quick else QUERIES
    queries = np.ascontiguousarray(vectors[order[:n_queries]])
    data = np.ascontiguousarray(vectors[order[n_queries:]])
    if quick:
        data = data[:5_000]
    truth = exact_top_k(data, queries, K)
    rows: list[dict[str, Any]] = []
    load_before = busy_processes()
    for name, factory, settings in _candidates(data.shape[1], len(data)):
        if kinds and not any(name.startswith(k) for k in kinds):
            continue
        faiss.omp_set_num_threads(2)
        index = factory()
        start = time.perf_counter()
        if not index.is_trained:
            index.train(data)
        index.add(data)
        build_s = time.perf_counter() - start
        size = len(faiss.serialize_index(index))
        faiss.omp_set_num_threads(1)  # one query per call on one thread, as in the service
        for label, setter in settings:
            setter(index)
            _, found = index.search(queries, K)
            times = []
            for q in queries[: min(300, n_queries)]:
                t0 = time.perf_counter()
                index.search(q[None, :], K)
                times.append((time.perf_counter() - t0) * 1000)
            rows.append(
                {
                    "index": name,
                    "setting": label,
                    "vectors": len(data),
                    "build_s": build_s,
                    "recall_at_10": _recall(found, truth),
                    "meets_bar": _recall(found, truth) >= RECALL_BAR,
                    "search_ms_p50": percentile(times, 50),
                    "search_ms_p99": percentile(times, 99),
                    "bytes_per_vector": size / len(data),
                }
            )
            print(
                f"  {name:14s} {label:12s} recall@10 {rows[-1]['recall_at_10']:.4f} "
                f"p50 {rows[-1]['search_ms_p50']:.3f} ms  {rows[-1]['bytes_per_vector']:.0f} B/vec",
                flush=True,
            )
    return {
        "vectors": len(data),
        "queries": n_queries,
        "k": K,
        "recall_bar": RECALL_BAR,
        "busy_processes_before": load_before,
        "rows": rows,
    }


def table_rows(result: dict[str, Any]) -> Sequence[Sequence[Any]]:
    """Rows for :func:`bench.common.table`."""
    return [
        [
            r["index"],
            r["setting"],
            r["vectors"],
            r["build_s"],
            r["recall_at_10"],
            "yes" if r["meets_bar"] else "no",
            r["search_ms_p50"],
            r["search_ms_p99"],
            r["bytes_per_vector"],
        ]
        for r in result["rows"]
    ]
