"""Invariants of the benchmark's wire-heavy workload generator (texts written for this test)."""

from __future__ import annotations

import dataclasses

import pytest

from bench.workload import OUTLETS, BenchArticle, WireConfig, wire_versions, wire_workload
from service.pipeline.fingerprint import fingerprint

PARAGRAPHS = (
    "RIVERTON (AP) — A bridge over the Sable River closed on Tuesday after inspectors said "
    "they found cracks in two support beams.",
    "The state transportation department said the closure would last about three weeks.",
    "Commuters face detours of more than 20 miles, officials said at a news conference.",
    "Traffic on the bridge had grown 12 percent since 2019, according to county figures.",
    "The bridge, built in 1962, was last repaired in 2015.",
    "Mayor Lena Ortiz asked residents to use the ferry service where possible.",
    "A full engineering report is expected next month.",
)


def original(
    doc_id: str = "bridge-1", title: str | None = "Cracks close Sable River bridge"
) -> BenchArticle:
    return BenchArticle(
        doc_id=doc_id,
        source_id=doc_id,
        url=f"https://wire.example/{doc_id}",
        outlet="AP",
        title=title,
        paragraphs=PARAGRAPHS,
        published_at="2024-03-05T09:00:00+00:00",
    )


def test_deterministic_given_seed() -> None:
    a = wire_versions(original(), WireConfig(versions=6), seed=7)
    b = wire_versions(original(), WireConfig(versions=6), seed=7)
    assert a == b
    c = wire_versions(original(), WireConfig(versions=6), seed=8)
    assert [v.article for v in a] != [v.article for v in c]


def test_independent_of_generation_order() -> None:
    first, second = original("one"), original("two")
    together = wire_workload([first, second], WireConfig(versions=4), seed=3)
    alone = wire_versions(second, WireConfig(versions=4), seed=3)
    assert [v for v in together if v.article.source_id == "two"] == alone


def test_version_zero_is_the_original() -> None:
    versions = wire_versions(original(), WireConfig(versions=5), seed=1)
    zero = versions[0]
    assert zero.version == 0
    assert zero.edits == ()
    assert zero.article.paragraphs == PARAGRAPHS
    assert zero.article.outlet == "AP"
    assert zero.article.title == "Cracks close Sable River bridge"


@pytest.mark.parametrize("seed", range(12))
def test_versions_carry_exactly_the_documented_edits(seed: int) -> None:
    config = WireConfig(versions=6, p_drop=0.5, p_reorder=0.5, p_reword=0.3)
    versions = wire_versions(original(), config, seed=seed)
    assert [v.version for v in versions] == list(range(6))
    assert len({v.article.url for v in versions}) == 6
    assert [v.article.outlet for v in versions[1:]] == list(OUTLETS[:5])
    for v in versions[1:]:
        kinds = [e.kind for e in v.edits]
        assert kinds[0] == "headline"
        assert kinds[-1] == "outlet_line"
        assert kinds.count("drop") <= 1
        assert kinds.count("reorder") <= 1
        assert v.article.title == v.edits[0].detail != versions[0].article.title
        *body, line = v.article.paragraphs
        assert line == v.edits[-1].detail
        assert v.article.outlet in line
        dropped = {e.position for e in v.edits if e.kind == "drop"}
        reworded = {e.position for e in v.edits if e.kind == "reword"}
        assert len(body) == len(PARAGRAPHS) - len(dropped)
        # A dropped paragraph comes from the last third and is gone.
        for position in dropped:
            assert position >= (2 * len(PARAGRAPHS)) // 3
        # Untouched paragraphs are verbatim originals; reworded ones differ in their
        # fingerprint (so they must be embedded again) but share most of their words.
        originals = {fingerprint(p) for p in PARAGRAPHS}
        changed = [p for p in body if fingerprint(p) not in originals]
        assert len(changed) == len(reworded)
        for p in changed:
            words = set(p.lower().split())
            best = max(len(words & set(o.lower().split())) / len(words) for o in PARAGRAPHS)
            assert best >= 0.6
        # The lead never moves; a reorder swaps two adjacent paragraphs only.
        if 0 not in reworded:
            assert body[0] == PARAGRAPHS[0]
        if "reorder" not in kinds:
            kept = [i for i in range(len(PARAGRAPHS)) if i not in dropped]
            for i, text in zip(kept, body, strict=True):
                if i not in reworded:
                    assert text == PARAGRAPHS[i]


def test_all_edit_kinds_occur_and_probability_zero_disables_them() -> None:
    seen = {
        e.kind
        for seed in range(10)
        for v in wire_versions(original(), WireConfig(versions=6), seed=seed)
        for e in v.edits
    }
    assert seen == {"headline", "drop", "reorder", "reword", "outlet_line"}
    quiet = WireConfig(versions=4, p_drop=0.0, p_reorder=0.0, p_reword=0.0)
    for v in wire_versions(original(), quiet, seed=5)[1:]:
        assert [e.kind for e in v.edits] == ["headline", "outlet_line"]
        assert v.article.paragraphs[:-1] == PARAGRAPHS


def test_untitled_article_gets_headline_from_lead_and_later_publication() -> None:
    versions = wire_versions(original(title=None), WireConfig(versions=3), seed=2)
    for v in versions[1:]:
        assert v.article.title
        assert "RIVERTON" in v.article.title
    times = [v.article.published_at or "" for v in versions]
    assert times == sorted(times)


def test_workload_orders_by_round_and_validates_config() -> None:
    arts = [original(f"d{i}") for i in range(3)]
    out = wire_workload(arts, WireConfig(versions=3), seed=0)
    assert [v.version for v in out] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    with pytest.raises(ValueError, match="versions"):
        WireConfig(versions=0)
    with pytest.raises(ValueError, match="p_drop"):
        dataclasses.replace(WireConfig(), p_drop=1.5)
