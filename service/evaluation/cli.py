"""``wiredesk eval``: print quality tables (and optionally JSON) for briefs, stories and dedup.

Examples::

    wiredesk eval briefs --dataset duc2003            # 100-word briefs, ROUGE vs 4 references
                                                      # (+ brief trust: attribution, ledes)
    wiredesk eval briefs --dataset giveme5w1h         # brief trust only (no references)
    wiredesk eval briefs --dataset multiling2011      # 250-word briefs, with the 10 peer systems
    wiredesk eval stories                             # DUC 2003, MultiLing EN, Giveme5W1H
    wiredesk eval dedup                               # MRPC test + STS-B news test
    wiredesk eval dedup --dataset mrpc --mrpc-split train   # tune the rule on MRPC train
    wiredesk eval all --json docs/eval.json
    wiredesk eval stream                              # live-stream replay: ids, churn, stability
    wiredesk eval language                            # language ID: MultiLing 2011, short lines
    wiredesk eval stream --embedder hash --dataset giveme5w1h   # a quick run
    wiredesk eval briefs --jsonl my_labelled.jsonl    # your own data (docs/EVAL_DATA_FORMAT.md)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from service import progress
from service.evaluation import datasets as ds
from service.evaluation import stream as st
from service.evaluation.runner import (
    BriefReport,
    CachingEmbedder,
    DedupReport,
    StoryReport,
    evaluate_briefs,
    evaluate_dedup,
    evaluate_stories,
    oracle_thresholds,
    run,
    sample_articles,
    sample_clusters,
    wiredesk_stories,
)
from service.evaluation.transfer import leave_one_out, render_rows, sweep_set
from service.evaluation.trust import TrustReport, evaluate_trust
from service.settings import Settings

BRIEF_WORDS = {"duc2003": 100, "multiling2011": 250}
# Each story set's baselines get thresholds tuned on another set (never on the set itself).
TRANSFER_FROM = {"duc2003": "giveme5w1h", "giveme5w1h": "duc2003", "multiling2011": "duc2003"}


def _positive(text: str) -> int:
    """An argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _non_negative(text: str) -> int:
    """An argparse type: an integer >= 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def add_parser(sub: Any) -> None:
    """Register ``eval`` on the ``wiredesk`` command's subparsers."""
    p = sub.add_parser(
        "eval",
        help="measure quality on labelled news",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("what", choices=["briefs", "stories", "dedup", "stream", "language", "all"])
    p.add_argument(
        "--data",
        type=Path,
        default=None,
        help="data root (default: WIREDESK_EVAL_DATA or ../shared/data)",
    )
    p.add_argument(
        "--dataset", action="append", default=None, help="restrict to these sets (repeatable)"
    )
    p.add_argument("--jsonl", type=Path, default=None, help="evaluate your own JSONL file")
    p.add_argument("--limit", type=int, default=None, help="at most N clusters per brief set")
    p.add_argument(
        "--articles",
        type=_positive,
        default=None,
        help="briefs: keep K articles of each cluster (seeded sample; peers are dropped)",
    )
    p.add_argument("--no-baselines", action="store_true", help="skip the summary baselines")
    p.add_argument("--json", type=Path, default=None, help="also write the reports as JSON")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--embedder",
        choices=["onnx", "onnx-int8", "minilm", "hash"],
        default=None,
        help="override WIREDESK_EMBEDDER (hash: a quick lexical stand-in, not the model)",
    )
    p.add_argument(
        "--regroup-every",
        type=_positive,
        default=1,
        help="stream: run the regrouping pass after every N arrivals (default 1, as a feed "
        "slower than one article per regroup_delay_s gets it)",
    )
    p.add_argument(
        "--probes",
        type=_non_negative,
        default=6,
        help="stream: stability probes after the stream (0-6)",
    )
    p.add_argument(
        "--leave-one-out",
        action="store_true",
        help="stories: choose the regrouping knobs on the other sets, score each held-out set",
    )
    p.add_argument(
        "--mrpc-split",
        choices=["train", "test"],
        default="test",
        help="MRPC split for dedup (tune on train, report on test)",
    )


def main(args: argparse.Namespace) -> int:
    """Run the requested evaluations with the settings from the environment."""
    from service.bootstrap import build_embedder

    if args.what == "language":  # no embedder needed
        from service.evaluation import language

        return language.run(args.data, args.json)
    settings = Settings.from_env()
    if args.embedder is not None:
        settings = dataclasses.replace(settings, embedder=args.embedder)
    embedder = CachingEmbedder(build_embedder(settings))
    reports: list[Any] = []
    wanted = set(args.dataset or [])
    started = time.perf_counter()
    # A spinner with the current data set and the elapsed time (stderr, terminals only).
    with progress.activity(f"eval {args.what}"):
        if args.jsonl is not None:
            reports += _jsonl(args, settings, embedder)
        else:
            if args.what in ("briefs", "all"):
                reports += _briefs(args, settings, embedder, wanted)
            if args.what in ("stories", "all") and args.leave_one_out:
                reports += _leave_one_out(args, settings, embedder, wanted)
            elif args.what in ("stories", "all"):
                reports += _stories(args, settings, embedder, wanted)
            if args.what in ("dedup", "all"):
                reports += _dedup(args, settings, embedder, wanted)
            if args.what in ("stream", "all"):
                reports += _stream(args, settings, embedder, wanted)
    for report in reports:
        print(render_rows(report) if isinstance(report, list) else render(report))
        print()
    print(f"total wall time {time.perf_counter() - started:.1f} s")
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                [
                    [dataclasses.asdict(row) for row in r] if isinstance(r, list) else _jsonable(r)
                    for r in reports
                ],
                indent=1,
            )
        )
    return 0


def _briefs(
    args: argparse.Namespace, settings: Settings, embedder: Any, wanted: set[str]
) -> list[BriefReport | TrustReport]:
    out: list[BriefReport | TrustReport] = []
    for name, words in BRIEF_WORDS.items():
        if wanted and name not in wanted:
            continue
        progress.step(f"briefs {name}")
        clusters = (
            ds.load_duc2003(args.data) if name == "duc2003" else ds.load_multiling2011(args.data)
        )
        chosen = sample_articles(
            sample_clusters(clusters, args.limit, args.seed), args.articles, args.seed
        )
        out.append(
            run(
                evaluate_briefs(
                    name,
                    chosen,
                    settings,
                    embedder,
                    max_words=words,
                    seed=args.seed,
                    with_baselines=not args.no_baselines,
                )
            )
        )
        out.append(run(evaluate_trust(name, [c.articles for c in chosen], settings, embedder)))
    if not wanted or "giveme5w1h" in wanted:
        progress.step("brief trust giveme5w1h")
        events: dict[str, list[ds.EvalArticle]] = {}
        for article in ds.load_story_set("giveme5w1h", args.data):
            events.setdefault(article.cluster_id, []).append(article)
        groups = [events[k] for k in sorted(events)]
        out.append(run(evaluate_trust("giveme5w1h", groups, settings, embedder)))
    return out


def _stories(
    args: argparse.Namespace, settings: Settings, embedder: Any, wanted: set[str]
) -> list[StoryReport]:
    out = []
    names = [n for n in TRANSFER_FROM if not wanted or n in wanted]
    cache: dict[str, Any] = {}

    def inputs(name: str) -> Any:
        if name not in cache:
            progress.step(f"stories {name} (oracle inputs)")
            _, cache[name] = run(
                wiredesk_stories(
                    ds.load_story_set(cast(ds.StorySetName, name), args.data),
                    settings,
                    embedder,
                )
            )
        return cache[name]

    oracles: dict[str, dict[str, float]] = {}  # DUC 2003 is the source of two sets

    def oracle(name: str) -> dict[str, float]:
        if name not in oracles:
            oracles[name] = oracle_thresholds(inputs(name))
        return oracles[name]

    for name in names:
        source = TRANSFER_FROM[name]
        transfer = oracle(source)
        progress.step(f"stories {name}")
        report, cache[name] = run(
            evaluate_stories(
                name,
                ds.load_story_set(cast(ds.StorySetName, name), args.data),
                settings,
                embedder,
                transfer=transfer,
                transfer_from=source,
            )
        )
        out.append(report)
    return out


def _leave_one_out(
    args: argparse.Namespace, settings: Settings, embedder: Any, wanted: set[str]
) -> list[Any]:
    """Leave-one-set-out figures (:mod:`service.evaluation.transfer`) as one report."""
    sweeps = []
    for name in (n for n in TRANSFER_FROM if not wanted or n in wanted):
        progress.step(f"sweep {name}")
        sweeps.append(
            run(
                sweep_set(
                    name,
                    ds.load_story_set(cast(ds.StorySetName, name), args.data),
                    settings,
                    embedder,
                )
            )
        )
    return [leave_one_out(sweeps, settings.regroup)]


def _dedup(
    args: argparse.Namespace, settings: Settings, embedder: Any, wanted: set[str]
) -> list[DedupReport]:
    out = []
    if not wanted or "mrpc" in wanted:
        progress.step(f"dedup mrpc {args.mrpc_split}")
        out.append(
            evaluate_dedup(
                f"mrpc ({args.mrpc_split})",
                ds.load_mrpc(args.data, args.mrpc_split),
                settings,
                embedder,
            )
        )
    if not wanted or "stsb" in wanted:
        progress.step("dedup stsb")
        out.append(
            evaluate_dedup(
                "stsb news (test, gold >= 4)",
                ds.load_stsb_news(args.data, "test"),
                settings,
                embedder,
                positive_at=4.0,
            )
        )
    return out


STREAM_SETS = ("giveme5w1h", "multiling2011", "duc2003")


def _stream(
    args: argparse.Namespace, settings: Settings, embedder: Any, wanted: set[str]
) -> list[st.StreamReport]:
    config = st.StreamConfig(regroup_every=args.regroup_every, probes=args.probes)
    out = []
    for name in (n for n in STREAM_SETS if not wanted or n in wanted):
        progress.step(f"stream {name}")
        out.append(
            run(
                st.run_stream(
                    name,
                    ds.load_story_set(cast(ds.StorySetName, name), args.data),
                    settings,
                    embedder,
                    config,
                )
            )
        )
    return out


def _jsonl(args: argparse.Namespace, settings: Settings, embedder: Any) -> list[Any]:
    data = ds.load_jsonl(args.jsonl)
    out: list[Any] = []
    name = args.jsonl.name
    if args.what in ("briefs", "all") and any(c.references for c in data.clusters):
        clusters = [c for c in data.clusters if c.references]
        out.append(
            run(
                evaluate_briefs(
                    name,
                    clusters,
                    settings,
                    embedder,
                    seed=args.seed,
                    with_baselines=not args.no_baselines,
                )
            )
        )
    if args.what in ("stories", "all") and data.articles:
        report, _ = run(evaluate_stories(name, data.articles, settings, embedder))
        out.append(report)
    if args.what in ("dedup", "all") and data.pairs:
        out.append(evaluate_dedup(name, data.pairs, settings, embedder))
    return out


# ------------------------------------------------------------------------------------ output
def render(report: Any) -> str:
    """A report as a plain-text table."""
    if isinstance(report, st.StreamReport):
        return st.render(report)
    if isinstance(report, BriefReport):
        head = (
            f"briefs · {report.dataset} · {report.clusters} clusters · "
            f"{report.max_words} words · {report.seconds:.0f} s"
        )
        rows: list[tuple[str, ...]] = [
            ("system", "R1-R", "R1-F", "R2-R", "R2-F", "RL-F", "R2-R 95% CI")
        ]
        for s in report.systems:
            r = s.rouge
            rows.append(
                (
                    s.system,
                    _p(r.rouge1.recall),
                    _p(r.rouge1.f1),
                    _p(r.rouge2.recall),
                    _p(r.rouge2.f1),
                    _p(r.rougeL.f1),
                    f"[{_p(s.rouge2_recall_ci[1])}, {_p(s.rouge2_recall_ci[2])}]",
                )
            )
        return head + "\n" + _table(rows)
    if isinstance(report, StoryReport):
        head = (
            f"stories · {report.dataset} · {report.articles} articles · "
            f"{report.gold_clusters} gold clusters · {report.seconds:.0f} s"
        )
        rows = [("system", "B3-P", "B3-R", "B3-F1", "pair-F1", "ARI", "clusters", "threshold")]
        for c in report.systems:
            rows.append(
                (
                    c.system,
                    _p(c.bcubed_precision),
                    _p(c.bcubed_recall),
                    _p(c.bcubed_f1),
                    _p(c.pairwise_f1),
                    f"{c.ari:.3f}",
                    str(c.clusters),
                    "" if c.threshold is None else f"{c.threshold:.3f}",
                )
            )
        return head + "\n" + _table(rows) + "".join(f"\n{n}" for n in report.notes)
    if isinstance(report, TrustReport):
        return _render_trust(report)
    assert isinstance(report, DedupReport)
    lines = [
        f"dedup · {report.dataset} · {report.pairs} pairs ({report.positives} positive) · "
        f"{report.seconds:.0f} s",
        f"default rule ({report.rule}): precision {_p(report.precision)}  "
        f"recall {_p(report.recall)}  F1 {_p(report.f1)}",
    ]
    if report.threshold_for_95_precision is not None:
        lines.append(
            "cosine alone: precision >= 95.0 needs threshold "
            f"{report.threshold_for_95_precision:.3f}"
            f" (recall {_p(report.recall_at_95_precision or 0.0)})"
        )
    if report.spearman is not None:
        lines.append(f"Spearman (cosine vs gold grade): {report.spearman:.3f}")
    return "\n".join(lines)


def _render_trust(report: TrustReport) -> str:
    head = (
        f"brief trust · {report.dataset} · {report.stories} stories · "
        f"repeat = MiniLM cosine >= {report.repeat_cosine:.2f} · {report.seconds:.0f} s"
    )
    rows: list[tuple[str, ...]] = [
        (
            "config",
            "words",
            "briefs",
            "sent.",
            "credits",
            "attr. P",
            "verbatim",
            "variants (sent.)",
            "dangling open.",
            "opening lede",
            "earliest lede",
            "repeats / pairs",
        )
    ]
    for t in report.scores:
        rows.append(
            (
                t.config,
                str(t.max_words),
                str(t.briefs),
                str(t.sentences),
                str(t.credits),
                _p(t.attribution_precision),
                str(t.verbatim_credits),
                f"{t.variants} ({t.sentences_with_variants})",
                str(t.dangling_openings),
                str(t.opening_ledes),
                str(t.earliest_ledes),
                f"{t.repeats} / {t.sentence_pairs}",
            )
        )
    return head + "\n" + _table(rows)


def _p(x: float) -> str:
    return f"{100 * x:.2f}"


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def _jsonable(report: Any) -> Any:
    extra = (
        {"stability_changed": report.stability_changed}
        if isinstance(report, st.StreamReport)
        else {}
    )
    return {"kind": type(report).__name__, **dataclasses.asdict(report), **extra}


if __name__ == "__main__":  # pragma: no cover
    parser = argparse.ArgumentParser(prog="wiredesk")
    add_parser(parser.add_subparsers(dest="command", required=True))
    sys.exit(main(parser.parse_args()))
