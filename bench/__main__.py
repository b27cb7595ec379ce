"""``python -m bench [part ...] [--quick]``: Wiredesk's benchmark suite (issue 5).

Parts: ``ingest`` (ingest ratio over HTTP against the raw model, both workloads, plus the
server's RSS), ``embedders`` (raw rate and cosine of torch, ONNX fp32 and ONNX int8),
``brief`` (uncached brief against sumy LexRank, cached GET latency), ``index`` (every backend
at 10k/100k/1M vectors), ``regroup`` (one story-regrouping pass at 500-4,000 articles),
``mixed`` (write throughput and latency alone, beside readers, and beside one huge article),
``dashboard`` (dashboard pages and story search latency at 10k articles, ``--dashboard-sizes``),
``profile`` (the ingest path under pyinstrument), ``shards`` (recall@10 and latency of
candidate per-shard ANN indexes on real paragraph vectors), ``scale`` (a generated newsroom
stream through the real service: memory, ingest cost and read latency vs articles). No part
named:
``ingest brief index``. Results go to ``bench/results/<part>-<UTC stamp>.json``
(and ``<part>-latest.json``); tables are printed. Run with ``HF_HUB_OFFLINE=1`` (``make bench``
does). Every figure is a ratio or a side-by-side comparison measured within one run: the
machine is shared and absolute times drift.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from bench.common import RESULTS_DIR, machine_info, table, write_result
from service import progress

PARTS = (
    "ingest",
    "embedders",
    "brief",
    "index",
    "regroup",
    "mixed",
    "dashboard",
    "profile",
    "shards",
    "scale",
)


def _print_ingest(result: dict[str, Any]) -> None:
    rows = [
        [
            w["workload"],
            w["articles"],
            w["paragraphs_submitted"],
            w["embedded_by_service"],
            w["raw_paragraphs_per_s"],
            w["service_paragraphs_per_s"],
            w["ratio"],
            w["server_embedder"],
            w["backend_raw_paragraphs_per_s"],
            w["backend_ratio"],
            w["cpu_ratio"],
            w["service_articles_per_s"],
            w["latency_ms_p50"],
            w["latency_ms_p99"],
            w["mean_model_call_texts"],
            w["server_model_paragraphs_per_s"],
            w["server_model_utilisation"],
            w["server_peak_rss_mib"],
        ]
        for w in result["workloads"]
    ]
    print(
        table(
            [
                "workload",
                "articles",
                "paras",
                "embedded",
                "model p/s",
                "service p/s",
                "ratio",
                "server embedder",
                "its raw p/s",
                "ratio to it",
                "cpu ratio",
                "articles/s",
                "p50 ms",
                "p99 ms",
                "texts/call",
                "in-server model p/s",
                "model busy",
                "peak RSS MiB",
            ],
            rows,
        )
    )


def _print_brief(result: dict[str, Any]) -> None:
    print(
        table(
            ["articles", "sentences", "uncached ms", "LexRank ms", "speed-up"],
            [
                [
                    s["articles"],
                    s["sentences"],
                    s["uncached_ms_median"],
                    s["lexrank_ms_median"],
                    s["speedup_vs_lexrank"],
                ]
                for s in result["stories"]
            ],
        )
    )
    print(
        table(
            ["client", "clients", "requests", "hits", "p50 ms", "p99 ms", "req/s"],
            [
                [
                    c["client"],
                    c["clients"],
                    c["requests"],
                    c["cache_hits"],
                    c["p50_ms"],
                    c["p99_ms"],
                    c["requests_per_s"],
                ]
                for c in result["cached"]
            ],
        )
    )


def _print_index(result: dict[str, Any]) -> None:
    print(
        table(
            [
                "kind",
                "active",
                "vectors",
                "build s",
                "search p50 ms",
                "p99 ms",
                "cpu ms/q",
                "recall@10",
                "insert16 ms",
                "RSS B/vec",
                "file B/vec",
                "to_bytes s",
                "inserts during snapshot",
                "their p50 ms",
                "their max ms",
            ],
            [
                [
                    r["kind"],
                    r["active"],
                    r["vectors"],
                    r["build_s"],
                    r["search_ms_p50"],
                    r["search_ms_p99"],
                    r["search_cpu_ms_mean"],
                    r["recall_at_10"],
                    r["insert16_ms_p50"],
                    r["rss_bytes_per_vector"],
                    r["serialised_bytes_per_vector"],
                    r["to_bytes_s"],
                    r["inserts_during_snapshot"],
                    r["insert_during_snapshot_ms_p50"],
                    r["insert_during_snapshot_ms_max"],
                ]
                for r in result["rows"]
            ],
        )
    )


def _profile(quick: bool, seed: int) -> dict[str, Any]:
    from bench import ingest

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    result = ingest.run(quick=quick, seed=seed, workloads=("distinct",), profile_dir=RESULTS_DIR)
    report = RESULTS_DIR / "ingest-distinct.txt"
    print(f"pyinstrument report of the server's main thread: {report}")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run the requested parts; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "parts", nargs="*", help=f"any of {', '.join(PARTS)}; default: all but profile"
    )
    parser.add_argument("--quick", action="store_true", help="small smoke run (~3 minutes)")
    parser.add_argument("--seed", type=int, default=0, help="workload seed (default 0)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument(
        "--index-sizes",
        default=None,
        help="comma-separated index sizes (default 10000,100000,1000000; quick 10000,50000)",
    )
    parser.add_argument("--index-kinds", default=None, help="comma-separated backends")
    parser.add_argument(
        "--articles", type=int, default=None, help="distinct articles to ingest (default all)"
    )
    parser.add_argument(
        "--originals", type=int, default=None, help="real articles behind the wire workload"
    )
    parser.add_argument(
        "--dashboard-sizes",
        default=None,
        help="comma-separated article counts for the dashboard part (default 10000)",
    )
    parser.add_argument(
        "--checkpoints",
        type=int,
        default=None,
        help="scale: measure after every this many articles (default articles/10)",
    )
    parser.add_argument(
        "--batch", type=int, default=100, help="scale: articles per POST /articles/batch"
    )
    args = parser.parse_args(argv)
    parts = args.parts or ["ingest", "brief", "index"]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {unknown}; choose from {', '.join(PARTS)}")
    print(json.dumps(machine_info()))
    # A bar over the parts with the elapsed time (stderr, terminals only).
    with progress.activity("bench", total=len(parts)) as shown:
        for part in parts:
            shown.step(part)
            _run_part(part, args)
    return 0


def _run_part(part: str, args: argparse.Namespace) -> None:
    """Run one part, print its table and write its result file."""
    start = time.perf_counter()
    print(f"\n== {part} {'(quick)' if args.quick else ''}", flush=True)
    if part == "ingest":
        from bench import ingest

        result = ingest.run(
            quick=args.quick,
            seed=args.seed,
            clients=args.clients,
            articles=args.articles,
            originals=args.originals,
        )
        _print_ingest(result)
    elif part == "embedders":
        from bench import embedders

        result = embedders.run(quick=args.quick, seed=args.seed)
        print(
            table(
                ["embedder", "p/s", "x minilm", "cos mean", "cos p1", "cos min"],
                embedders.table_rows(result),
            )
        )
    elif part == "brief":
        from bench import brief

        result = brief.run(quick=args.quick, seed=args.seed)
        _print_brief(result)
    elif part == "index":
        from bench import index_scaling

        sizes = [int(x) for x in args.index_sizes.split(",")] if args.index_sizes else None
        kinds = args.index_kinds.split(",") if args.index_kinds else None
        result = index_scaling.run(quick=args.quick, seed=args.seed, kinds=kinds, sizes=sizes)
        _print_index(result)
    elif part == "regroup":
        from bench import regroup

        result = regroup.run(quick=args.quick)
        print(
            table(
                ["articles", "s median", "s min", "peak MiB", "groups"],
                [list(r.values()) for r in result["rows"]],
            )
        )
    elif part == "dashboard":
        from bench import dashboard

        sizes = [int(x) for x in args.dashboard_sizes.split(",")] if args.dashboard_sizes else None
        result = dashboard.run(quick=args.quick, sizes=sizes, seed=args.seed)
        for run in result["sizes"]:
            print(f"{run['articles']} articles, {run['stories']} stories")
            print(
                table(
                    ["path", "params", "p50 ms", "p95 ms", "first ms", "on page"],
                    [
                        [
                            r["path"],
                            " ".join(f"{k}={v}" for k, v in r["params"].items())[:60],
                            r["p50_ms"],
                            r["p95_ms"],
                            r["first_ms"],
                            r.get("matches_on_page", ""),
                        ]
                        for r in run["rows"]
                    ],
                )
            )
    elif part == "mixed":
        from bench import mixed

        result = mixed.run(quick=args.quick)
        columns = [
            "scenario",
            "write_articles_per_s",
            "write_rate_vs_alone",
            "write_ms_p50",
            "write_ms_p99",
            "write_p99_vs_alone",
            "reads",
            "read_ms_p50",
            "read_ms_p99",
            "huge_ms",
        ]
        print(table(columns, [[r.get(c, "") for c in columns] for r in result["rows"]]))
    elif part == "shards":
        from bench import shards

        kinds = args.index_kinds.split(",") if args.index_kinds else None
        result = shards.run(quick=args.quick, seed=args.seed, kinds=kinds)
        print(
            table(
                [
                    "index",
                    "setting",
                    "vectors",
                    "build s",
                    "recall@10",
                    ">= 0.98",
                    "p50 ms",
                    "p99 ms",
                    "B/vec",
                ],
                shards.table_rows(result),
            )
        )
    elif part == "scale":
        from bench import scale

        result = scale.run(
            quick=args.quick,
            seed=args.seed,
            articles=args.articles,
            checkpoints=args.checkpoints,
            batch=args.batch,
        )
        print(table(scale.COLUMNS, scale.table_rows(result)))
    else:
        result = _profile(args.quick, args.seed)
        _print_ingest(result)
    result["quick"] = args.quick
    result["elapsed_s"] = time.perf_counter() - start
    path = write_result(part, result)
    print(f"-> {path} ({result['elapsed_s']:.0f} s)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
