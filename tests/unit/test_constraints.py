"""Cannot-link evidence: the named-entity proxy and its conflict rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.pipeline.constraints import (
    EntityConfig,
    article_entities,
    entity_conflict,
    named_entities,
    overlap,
)


def test_entities_are_capitalised_words_inside_sentences_and_dateline_capitals() -> None:
    text = (
        "MILLBROOK, Ohio (AP) — A fire tore through a plant early Tuesday. Fire Chief Dana "
        "Ruiz said Halvern Polymers was cooperating."
    )
    assert named_entities(text) == {"millbrook", "ohio", "dana", "ruiz", "halvern", "polymers"}


def test_sentence_openers_calendar_words_and_titles_are_not_entities() -> None:
    assert named_entities("The council met. It voted on Monday in March.") == frozenset()
    assert named_entities("Officials said Governor Ames and Mayor Li spoke.") == {"ames", "li"}


def test_article_entities_include_the_title() -> None:
    assert "ashford" in article_entities("Fire tears through Ashford sawmill", ["No one hurt."])


def test_same_template_different_places_conflict() -> None:
    a = named_entities("MILLBROOK, Ohio — Fire Chief Dana Ruiz said Halvern Polymers was hit.")
    b = named_entities("ASHFORD, Oregon — Fire Chief Marcus Whitlow said Pell Timber was hit.")
    assert entity_conflict(a, b, EntityConfig())
    # The same event, told by another outlet with other details, shares its names.
    c = named_entities("Crews from Millbrook fought the blaze, Ruiz said, and Halvern Polymers")
    assert not entity_conflict(a, c, EntityConfig())


def test_too_few_entities_is_no_evidence() -> None:
    assert not entity_conflict(frozenset({"a", "b"}), frozenset({"c", "d", "e"}), EntityConfig())


@given(
    st.frozensets(st.text(min_size=1), max_size=8), st.frozensets(st.text(min_size=1), max_size=8)
)
def test_conflict_is_symmetric_and_never_between_overlapping_halves(
    a: frozenset[str], b: frozenset[str]
) -> None:
    config = EntityConfig()
    assert entity_conflict(a, b, config) == entity_conflict(b, a, config)
    assert not entity_conflict(a, a, config)
    assert 0.0 <= overlap(a, b) <= 1.0


@pytest.mark.parametrize(("field", "value"), [("min_entities", 0), ("max_overlap", 1.0)])
def test_config_validation(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        EntityConfig(**{field: value})  # type: ignore[arg-type]
