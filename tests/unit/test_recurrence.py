"""Learned boilerplate: topicality, isolation and the recurrence rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.models import Article, Paragraph
from service.pipeline.recurrence import (
    RecurrenceConfig,
    RecurrenceIndex,
    is_boilerplate,
    isolated,
    topicality,
)

FOOTER = "Read Also: Ten gadgets you need this autumn, from phones to smart kettles and lamps."
ZOO = [
    "The Riverton zoo welcomed a baby giraffe on Saturday, the first born at the zoo in years.",
    "Keepers said the giraffe calf stood within an hour and the zoo will show her in spring.",
]
BRIDGE = [
    "The Old Mill bridge will close for six months while crews replace its rusted steel deck.",
    "Drivers face a detour while the bridge deck is replaced, county engineers said on Monday.",
]


def article(article_id: str, paragraphs: list[str], title: str | None = None) -> Article:
    return Article(
        article_id, int(article_id[1:]), f"https://x/{article_id}", "Outlet", title, None, 0.0,
        0.0, None, article_id,
        tuple(Paragraph(i, p, (p,), i) for i, p in enumerate(paragraphs)), "s1", b"",
    )  # fmt: skip


def test_topicality_is_the_share_of_words_found_elsewhere() -> None:
    values = topicality([*ZOO, FOOTER], "Riverton zoo welcomes a giraffe")
    assert values[0] > 0.2
    assert values[2] == 0.0
    assert topicality(["one lonely paragraph with words"], None) == (1.0,)


def test_isolated_carriers_share_nothing_else() -> None:
    assert isolated([frozenset({"f", "a"}), frozenset({"f", "b"})], "f") == [True, True]
    assert isolated([frozenset({"f", "a"}), frozenset({"f", "a"}), frozenset({"f"})], "f") == [
        False,
        False,
        True,
    ]


def test_second_off_topic_isolated_occurrence_is_boilerplate() -> None:
    index = RecurrenceIndex()
    index.add(article("a1", [*ZOO, FOOTER], "Zoo welcomes giraffe"), ["z1", "z2", "foot"])
    assert not index.is_boilerplate("foot")  # the first occurrence cannot be known
    flags = index.flags([*BRIDGE, FOOTER], "Bridge to close")
    assert flags == (False, False, True)
    assert index.is_boilerplate("foot", (flags[2], frozenset({"b1", "b2", "foot"})))
    index.add(article("a2", [*BRIDGE, FOOTER], "Bridge to close"), ["b1", "b2", "foot"])
    assert index.boilerplate() == {"foot"}
    index.remove("a2")
    assert index.boilerplate() == set()


def test_a_wire_lede_shared_by_related_articles_is_content() -> None:
    index = RecurrenceIndex()
    lede = "A ferry ran aground off Halvik Island and coast guard boats carried passengers home."
    index.add(article("a1", [lede, ZOO[0]], None), ["lede", "p1"])
    index.add(article("a2", [lede, ZOO[0]], None), ["lede", "p1"])
    assert index.boilerplate() == set()


@given(st.integers(0, 20), st.integers(0, 20))
def test_rule_needs_two_off_topic_and_few_on_topic(off: int, on: int) -> None:
    config = RecurrenceConfig()
    assert is_boilerplate(off, on, config) == (off >= 2 and on <= 0.25 * (off + on))


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_topicality", 0.0), ("min_off_topic", 1), ("max_on_topic_share", 1.0)],
)
def test_config_validation(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        RecurrenceConfig(**{field: value})  # type: ignore[arg-type]
