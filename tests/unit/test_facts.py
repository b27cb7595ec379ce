"""Tests for the fact signatures (service.pipeline.facts) and their use in dedup and briefs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.pipeline.dedup import DedupConfig, is_near_duplicate
from service.pipeline.facts import fact_signature, facts_differ, same_facts
from service.pipeline.lexical import signature
from service.pipeline.summarize import (
    SourceSentence,
    SummarizeConfig,
    _shown_text,
    _stem,
    _tokenize,
    dangling_reference,
    restates,
    summarize,
)


def same(a: str, b: str) -> bool:
    return same_facts(fact_signature(a), fact_signature(b))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # numbers, with unit, scale and sign
        ("The storm killed 10 people.", "The storm killed 12 people.", False),
        ("The storm killed ten people.", "The storm killed 10 people.", True),
        ("Prices rose 8% last year.", "Prices rose 8 percent last year.", True),
        ("Prices rose 8% last year.", "Prices rose 8 per cent last year.", True),
        ("Prices rose 8% last year.", "Prices rose 8 percentage points last year.", False),
        ("The deal is worth $5 million.", "The deal is worth $5 billion.", False),
        ("The deal is worth $5 million.", "The deal is worth 5 million dollars.", True),
        ("The deal is worth $5 million.", "The deal is worth €5 million.", False),
        ("It was -5 degrees at dawn.", "It was 5 degrees at dawn.", False),
        ("It was minus 5 degrees at dawn.", "It was -5 degrees at dawn.", True),
        ("About 1,200 homes lost power.", "About 1200 homes lost power.", True),
        ("Twenty-one miners were rescued.", "21 miners were rescued.", True),
        ("A dozen miners were rescued.", "12 miners were rescued.", True),
        ("Two hundred and fifty homes flooded.", "250 homes flooded.", True),
        ("Hundreds of homes flooded.", "Thousands of homes flooded.", False),
        ("Hundreds of homes flooded.", "Hundreds of houses flooded.", True),
        ("The team won 3-1 at home.", "The team won 3-1 at home.", True),
        ("The team won 3-1 at home.", "The team won 3-2 at home.", False),
        # negation
        ("The plant will reopen next spring.", "The plant will not reopen next spring.", False),
        ("The plant won't reopen next spring.", "The plant will not reopen next spring.", True),
        ("The plant will never reopen.", "The plant will reopen.", False),
        ("No one was hurt in the blaze.", "Nobody was hurt in the blaze.", True),
        ("He lives at No. 10 Park Road.", "He lives at number 10 Park Road.", True),
        # antonym verbs and comparatives
        ("Shares rose 8% on Monday.", "Shares fell 8% on Monday.", False),
        ("Shares rose 8% on Monday.", "Shares climbed 8% on Monday.", True),
        ("Shares were up 8% on Monday.", "Shares were down 8% on Monday.", False),
        ("Sales increased sharply.", "Sales decreased sharply.", False),
        ("The club gained two places.", "The club lost two places.", False),
        ("The party won the vote.", "The party lost the vote.", False),
        ("The council approved the plan.", "The council rejected the plan.", False),
        ("The jury convicted the driver.", "The jury acquitted the driver.", False),
        ("The city banned fireworks.", "The city allowed fireworks.", False),
        ("Officials confirmed the report.", "Officials denied the report.", False),
        ("More than 40 people died.", "Over 40 people died.", True),
        ("More than 40 people died.", "Fewer than 40 people died.", False),
        # roles
        ("Arsenal defeated Chelsea on Sunday.", "Chelsea defeated Arsenal on Sunday.", False),
        ("Arsenal defeated Chelsea on Sunday.", "Arsenal beat Chelsea on Sunday.", True),
        ("Smith told Jones the deal was off.", "Jones told Smith the deal was off.", False),
        ("Smith said Jones had resigned.", "Jones had resigned, Smith said.", True),
    ],
)
def test_same_facts(a: str, b: str, expected: bool) -> None:
    assert same(a, b) is expected
    assert same(b, a) is expected


TOKENS = ["a", "Bc", "Def", "0", "12", "3.5", "1,200", ",", ".", "-", "%", "$", "€", "not", "no"]
TOKENS += ["rose", "fell", "ten", "won", "lost", "million", "percent", "It", "The", "Smith"]
sentences = st.lists(st.sampled_from(TOKENS), max_size=16).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(a=sentences, b=sentences)
def test_fact_comparison_is_symmetric(a: str, b: str) -> None:
    fa, fb = fact_signature(a), fact_signature(b)
    assert same_facts(fa, fb) == same_facts(fb, fa)
    assert facts_differ(fa, fb) != same_facts(fa, fb)


@settings(max_examples=300, deadline=None)
@given(a=st.text(max_size=120) | sentences)
def test_a_text_states_the_same_facts_as_itself(a: str) -> None:
    assert same_facts(fact_signature(a), fact_signature(a))


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 10**9), m=st.integers(0, 10**9))
def test_different_numbers_are_different_facts(n: int, m: int) -> None:
    a = f"The fund paid out {n:,} dollars on Friday."
    b = f"The fund paid out {m:,} dollars on Friday."
    assert same(a, b) is (n == m)


def test_dedup_refuses_different_facts_on_the_cosine_path() -> None:
    a = "A tornado killed 10 people and damaged hundreds of homes in the valley, officials said."
    b = a.replace("10", "12")
    config = DedupConfig()
    # Even at cosine 0.999 (a copy, as far as the vectors can tell) the pair is refused.
    assert not is_near_duplicate(0.999, signature(a), signature(b), config)
    assert is_near_duplicate(0.999, signature(a), signature(a), config)
    c = a.replace("killed", "did not kill")
    assert not is_near_duplicate(0.999, signature(a), signature(c), config)


def source(
    text: str, article: str, outlet: str, t: float, p: int = 0, s: int = 0
) -> SourceSentence:
    return SourceSentence(text, article, outlet, t, p, s, None)


def test_brief_lists_variants_and_credits_exact_carriers_only() -> None:
    ten = "A tornado tore through the valley on Sunday, killing 10 people and injuring dozens."
    twelve = ten.replace("10", "12")
    rest = "Rescue teams searched flattened barns and houses through the night with dogs."
    story = [
        source(ten, "a1", "Post", 1.0),
        source(rest, "a1", "Post", 1.0, 1),
        source(twelve, "a2", "Courier", 2.0),
        source(rest, "a2", "Courier", 2.0, 1),
        source(ten, "a3", "Wire", 3.0),
    ]
    brief = summarize(story)
    (chosen,) = [s for s in brief.sentences if "tornado" in s.text]
    assert chosen.text == ten
    assert chosen.article_ids == ("a1", "a3")
    assert chosen.outlets == ("Post", "Wire")
    assert [(v.outlet, v.article_id, v.text) for v in chosen.variants] == [
        ("Courier", "a2", twelve)
    ]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("It is the deadliest shooting in modern US history.", "pronoun"),
        ("It comes just days after the vote.", "pronoun"),
        ("But they said the plan would fail.", "pronoun"),
        ("“It was terrifying,” said a neighbour.", "pronoun"),
        ("This is the third attack this month.", "pronoun"),
        ("The embassy said two citizens were hurt.", "definite"),
        ("The fire started in a storage room.", "definite"),
        ("These measures will take effect in June.", "definite"),
        ("This year the festival drew 2,000 visitors.", None),
        ("The White House said the talks would go on.", None),
        ("The death toll from the floods rose to 41 on Monday.", None),
        ("Police said a gunman opened fire at a wedding.", None),
        ("A fire tore through a plastics factory on Tuesday.", None),
    ],
)
def test_dangling_reference(text: str, kind: str | None) -> None:
    found = dangling_reference(text)
    assert (found.kind if found else None) == kind


def test_restatement_overlap() -> None:
    a = frozenset(["landslid", "buri", "villag", "orvella", "tuesday", "rain"])
    b = frozenset(["landslid", "buri", "villag", "orvella", "tuesday", "heavy"])
    assert restates(a, b, 0.7, 4)
    assert not restates(a, frozenset(["volunteer", "food", "blanket", "school"]), 0.7, 4)
    assert not restates(frozenset({"x", "y"}), frozenset({"x", "y"}), 0.7, 4)  # too small


# --- properties of the brief: exact attribution and openings ---------------------------------

VOCAB = [
    "storm",
    "flood",
    "river",
    "bridge",
    "mayor",
    "police",
    "school",
    "plant",
    "tornado",
    "valley",
    "homes",
    "roads",
]
VARIANT_WORDS = ["10", "12", "ten", "not", "rose", "fell", "won", "lost"]


@st.composite
def stories(draw: st.DrawFn) -> list[SourceSentence]:
    base = [
        " ".join(draw(st.lists(st.sampled_from(VOCAB + VARIANT_WORDS), min_size=6, max_size=12)))
        for _ in range(draw(st.integers(1, 4)))
    ]
    out = []
    for a in range(draw(st.integers(1, 4))):
        for p, text in enumerate(base):
            words = text.split()
            if draw(st.booleans()):
                words[draw(st.integers(0, len(words) - 1))] = draw(st.sampled_from(VARIANT_WORDS))
            if draw(st.booleans()):
                words.insert(0, draw(st.sampled_from(["It", "The mayor said", "They"])))
            shown = " ".join(words).capitalize() + "."
            if p == 0 and draw(st.booleans()):
                shown = "RIVERTON (Wire) -- " + shown
            out.append(source(shown, f"a{a}", f"o{a % 3}", float(a), p, 0))
    return out


@settings(max_examples=120, deadline=None)
@given(story=stories(), words=st.sampled_from([20, 40, 100, 400]))
def test_every_credited_article_carries_the_sentence_with_its_facts(
    story: list[SourceSentence], words: int
) -> None:
    brief = summarize(story, SummarizeConfig(max_words=words))
    shown = {(s.article_id, _shown_text(s)) for s in story}
    for sentence in brief.sentences:
        facts = fact_signature(sentence.text)
        for article_id in sentence.article_ids:
            carried = [t for a, t in shown if a == article_id]
            assert any(same_facts(fact_signature(t), facts) for t in carried)
            # Verbatim modulo the dateline, or a near-copy with the same facts.
            assert any(t == sentence.text or same_facts(fact_signature(t), facts) for t in carried)
        for variant in sentence.variants:
            assert variant.article_id not in sentence.article_ids
            assert (variant.article_id, variant.text) in shown
            assert facts_differ(fact_signature(variant.text), facts)
    if brief.sentences:
        assert dangling_reference(brief.sentences[0].text) is None
    for i, sentence in enumerate(brief.sentences):
        reference = dangling_reference(sentence.text)
        if reference is not None and reference.kind == "definite":
            earlier = {_stem(w) for s in brief.sentences[:i] for w in _tokenize(s.text)}
            assert not reference.heads.isdisjoint(earlier), (sentence.text, brief.sentences)


def test_lede_comes_first_and_is_the_widest_earliest_opening() -> None:
    lede = "A gunman opened fire at a wedding in Harlow on Saturday, killing seven guests."
    later = "Police closed the roads around the hall and searched nearby farms until dawn."
    story = [
        source(later, "a1", "Wire", 1.0, 0),
        source(lede, "a1", "Wire", 1.0, 1),
        source(lede, "a2", "Star", 2.0, 0),
        source(lede, "a3", "Globe", 3.0, 0),
        source(later, "a3", "Globe", 3.0, 1),
    ]
    brief = summarize(story)
    assert brief.sentences[0].text == lede
    assert summarize(story, SummarizeConfig(lede=False)).sentences[0].text == later
