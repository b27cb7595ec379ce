"""The stream evaluation (service.evaluation.stream) on small inputs with the hash embedder."""

from __future__ import annotations

import argparse
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.adapters.embedder import HashingEmbedder
from service.domain.models import ChangeSet
from service.evaluation import cli, datasets
from service.evaluation.datasets import EvalArticle
from service.evaluation.stream import (
    StreamConfig,
    id_integrity,
    interleave,
    render,
    run_stream,
)
from service.evaluation.unrelated import load_unrelated
from service.lineage import finalise
from service.pipeline.title import TitleConfig
from service.settings import Settings
from tests.texts import OTHER, REWRITES
from tests.unit.conftest import Factory
from tests.unit.test_usecases import article

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def labelled() -> list[EvalArticle]:
    """Four outlets' fire story and a budget story, in time order."""
    out = [
        EvalArticle(
            f"f{i}",
            "fire",
            outlet,
            T0 + timedelta(hours=i),
            f"Fire {outlet}",
            tuple(paragraphs),
            f"eval://t/f{i}",
        )
        for i, (outlet, paragraphs) in enumerate(REWRITES.items())
    ]
    out.append(
        EvalArticle(
            "b1",
            "budget",
            "Reuters",
            T0 + timedelta(hours=9),
            "Budget passes",
            tuple(OTHER),
            "eval://t/b1",
        )
    )
    return out


def test_unrelated_data_is_distinct_singletons() -> None:
    unrelated, probes = load_unrelated()
    assert len(unrelated) >= 60
    assert len(probes) == 6
    every = unrelated + probes
    assert len({a.doc_id for a in every}) == len(every)
    assert len({a.cluster_id for a in every}) == len(every)
    assert len({a.title for a in every}) == len(every)
    assert len({a.paragraphs[0] for a in every}) == len(every)
    assert all(len(a.paragraphs) >= 2 for a in every)


def test_interleave_spreads_evenly_and_keeps_time_order() -> None:
    base = labelled()
    unrelated = load_unrelated()[0][:4]
    stream = interleave(base, unrelated)
    assert [a.doc_id for a in stream if a.cluster_id in {"fire", "budget"}] == [
        a.doc_id for a in base
    ]
    assert [a.doc_id for a in stream if a.cluster_id.startswith("unrelated-")] == [
        a.doc_id for a in unrelated
    ]
    positions = [i for i, a in enumerate(stream) if a.cluster_id.startswith("unrelated-")]
    assert positions == [1, 3, 5, 7]  # after labelled articles 1, 2, 3 and 4 of 5
    times = [a.published_at for a in stream]
    assert all(t is not None for t in times)
    assert times == sorted(times)  # type: ignore[type-var]


async def test_id_integrity_counts_ids_that_lost_their_meaning(make_wiredesk: Factory) -> None:
    wd = make_wiredesk()
    fire = await wd.submit(article("MSN", REWRITES["MSN"]))
    budget = await wd.submit(article("Reuters", OTHER, n=1))
    issued = [(fire.article_id, fire.story_id), (budget.article_id, budget.story_id)]
    assert id_integrity(wd, issued) == (2, 2, 0, 0)
    # Move the fire article into the budget story: the fire id is left empty (dangling).
    moved = dataclasses.replace(wd.world.articles[fire.article_id], story_id=budget.story_id)
    done = finalise(wd.world, ChangeSet(articles=(moved,)), "regroup", 1.0, TitleConfig())
    wd.world.apply(done)
    assert id_integrity(wd, issued) == (1, 2, 1, 1)


async def test_run_stream_reports_every_figure() -> None:
    report = await run_stream(
        "tiny",
        labelled(),
        Settings(embedder="hash", index_kind="numpy"),
        HashingEmbedder(),
        StreamConfig(regroup_every=2, probes=2, unrelated=4),
    )
    assert (report.labelled, report.unrelated, report.issued) == (5, 4, 9)
    assert report.passes == 5  # after arrivals 2, 4, 6, 8 and the last one
    assert 0 < report.bcubed_precision <= 1
    assert 0 < report.bcubed_recall <= 1
    assert 0 <= report.id_integrity <= 1
    assert report.ids_lost <= report.ids
    assert report.idle_bumps == 0
    assert len(report.probes) == 2
    assert all(p.other_stories_changed >= 0 for p in report.probes)
    text = render(report)
    for header in ("B3-F1", "id integrity", "ids lost (bar 0)", "moves/100", "stability"):
        assert header in text


def test_cli_runs_the_stream_and_writes_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[str] = []

    def fake_load(name: str, root: object) -> list[EvalArticle]:
        calls.append(name)
        return labelled()

    monkeypatch.setattr(datasets, "load_story_set", fake_load)
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "stream.json"
    args = parser.parse_args(
        [
            "eval",
            "stream",
            "--embedder",
            "hash",
            "--dataset",
            "giveme5w1h",
            "--probes",
            "1",
            "--regroup-every",
            "3",
            "--json",
            str(out),
        ]
    )
    assert cli.main(args) == 0
    assert calls == ["giveme5w1h"]
    printed = capsys.readouterr().out
    assert "stream · giveme5w1h" in printed
    body = json.loads(out.read_text())
    assert body[0]["kind"] == "StreamReport"
    assert body[0]["regroup_every"] == 3
    assert "stability_changed" in body[0]
