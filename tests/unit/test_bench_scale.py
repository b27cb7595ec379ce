"""The scale benchmark's stream generator (bench/scale.py), on texts written for this test."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

from bench.scale import stream
from bench.workload import BenchArticle
from tests.unit.test_bench_workload import PARAGRAPHS

SEEDS = [
    BenchArticle(
        doc_id=f"seed-{i}",
        source_id=f"seed-{i}",
        url=f"https://wire.example/{i}",
        outlet="AP",
        title=f"Cracks close Sable River bridge {i}",
        paragraphs=PARAGRAPHS[i % 3 :],
    )
    for i in range(5)
]


def test_the_stream_is_deterministic_ordered_and_unique() -> None:
    first = list(stream(600, seed=4, articles_per_day=100, seeds=SEEDS))
    assert first == list(stream(600, seed=4, articles_per_day=100, seeds=SEEDS))
    assert first != list(stream(600, seed=5, articles_per_day=100, seeds=SEEDS))
    assert len(first) == 600
    assert len({a.url for a in first}) == 600
    times = [datetime.fromisoformat(a.published_at or "") for a in first]
    assert times == sorted(times)
    assert (times[-1] - times[0]).days == 5  # 600 articles at 100 a day


def test_stories_arrive_grow_across_outlets_and_go_quiet() -> None:
    articles = list(stream(3000, seed=1, articles_per_day=100, seeds=SEEDS))
    story_of = [a.doc_id.split("-")[0] for a in articles]
    sizes = Counter(story_of)
    # About one story in six articles, some of them large.
    assert 350 < len(sizes) < 650
    assert max(sizes.values()) >= 15
    # A story's articles come from several outlets (wire copies and developments).
    outlets: dict[str, set[str]] = {}
    for story, article in zip(story_of, articles, strict=True):
        outlets.setdefault(story, set()).add(article.outlet)
    assert max(len(o) for o in outlets.values()) >= 5
    # Stories go quiet: no story is still followed up 15 mean lives (30 days) after birth.
    born: dict[str, datetime] = {}
    for story, article in zip(story_of, articles, strict=True):
        t = datetime.fromisoformat(article.published_at or "")
        born.setdefault(story, t)
        assert (t - born[story]).days <= 15


def test_incarnations_of_one_seed_have_distinct_names_and_numbers() -> None:
    """Stories reusing a seed share its prose but not its names, numbers or exact texts."""
    articles = list(stream(400, seed=2, articles_per_day=100, seeds=SEEDS[:1]))
    leads = {a.doc_id.split("-")[0]: a.paragraphs[0] for a in articles if a.doc_id.endswith("-0")}
    assert len(leads) >= 30
    assert len(set(leads.values())) == len(leads)
    for lead in leads.values():
        assert "Sable" not in lead
        assert "bridge over the" in lead  # lowercase prose kept
        assert re.search(r"\bTuesday\b", lead)  # weekdays are not names
