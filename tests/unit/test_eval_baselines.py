"""Summarisation and story-clustering baselines, on tiny hand-made inputs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.evaluation.baselines import (
    SourceSentence,
    SummaryBaselineConfig,
    _ilp_problem,
    agglomerative_from_similarity,
    best_threshold,
    centroid,
    concept_ilp,
    embedding_agglomerative,
    embedding_similarity,
    lead,
    lexrank,
    random_baseline,
    source_sentences,
    textrank,
    tfidf_agglomerative,
    tfidf_similarity,
)
from service.evaluation.datasets import EvalArticle
from service.evaluation.tokenize import count_words

DAY1 = datetime(2024, 1, 1, tzinfo=UTC)
DAY2 = datetime(2024, 1, 2, tzinfo=UTC)


def _s(article: str, when: datetime | None, text: str) -> SourceSentence:
    return SourceSentence(article, when, text)


OLD = [
    _s("old", DAY1, "Heavy rain flooded the river valley on Monday."),  # 8 words
    _s("old", DAY1, "A local bakery celebrated its anniversary."),  # 6 words
]
NEW = [
    _s("new", DAY2, "The river flood damaged homes across the valley."),  # 8 words
    _s("new", DAY2, "Rescue teams evacuated families from flooded homes."),  # 7 words
    _s("new", DAY2, "Officials expect the river to fall by Friday."),  # 8 words
]

Summariser = Callable[..., str]
ALL_BASELINES: list[Summariser] = [lead, random_baseline, centroid, lexrank, textrank, concept_ilp]


# ----------------------------------------------------------------------------------------------
# Input helpers
# ----------------------------------------------------------------------------------------------


def test_source_sentences_flattens_in_reading_order() -> None:
    articles = [
        EvalArticle("a1", "c", "o", DAY1, None, ("One. Two.", "Three."), "eval://t/a1"),
        EvalArticle("a2", "c", "o", None, "T", ("Four.",), "eval://t/a2"),
    ]
    sentences = source_sentences(articles, lambda p: [s + "." for s in p.split(".") if s] + [" "])
    assert [s.text for s in sentences] == ["One.", "Two.", "Three.", "Four."]
    assert [s.article_id for s in sentences] == ["a1", "a1", "a1", "a2"]
    assert sentences[0].published_at == DAY1
    assert sentences[3].published_at is None


# ----------------------------------------------------------------------------------------------
# Lead
# ----------------------------------------------------------------------------------------------


def test_lead_takes_the_opening_of_the_newest_article() -> None:
    sentences = NEW + OLD  # input order does not decide which article is newest
    assert lead(sentences, 15) == (
        "The river flood damaged homes across the valley. "
        "Rescue teams evacuated families from flooded homes."
    )
    # 8 + 7 = 15 words fit in 22; the third (8) would make 23, and lead never skips ahead.
    assert count_words(lead(sentences, 22)) == 15


def test_lead_overflow_includes_the_sentence_that_crosses_the_budget() -> None:
    assert lead(NEW, 10) == NEW[0].text
    overflowing = lead(NEW, 10, config=SummaryBaselineConfig(overflow=True))
    assert overflowing == NEW[0].text + " " + NEW[1].text
    # A first sentence longer than the budget: nothing, or that sentence with overflow.
    assert lead(NEW, 5) == ""
    assert lead(NEW, 5, config=SummaryBaselineConfig(overflow=True)) == NEW[0].text


def test_lead_newest_article_ties_and_undated() -> None:
    undated = [_s("u", None, "Undated words here.")]
    assert lead(undated + OLD, 100).startswith("Heavy rain")  # dated beats undated
    assert lead(undated, 100) == "Undated words here."
    twin = [_s("twin", DAY2, "Same day, later in the input.")]
    assert lead(NEW + twin, 100) == "Same day, later in the input."
    assert lead([], 100) == ""
    assert lead(NEW, 0) == ""


# ----------------------------------------------------------------------------------------------
# Random
# ----------------------------------------------------------------------------------------------


def test_random_baseline_is_seeded() -> None:
    equal_length = [_s("a", DAY1, f"Sentence number {word} here.") for word in "abcdef"]
    assert random_baseline(equal_length, 4, seed=3) == random_baseline(equal_length, 4, seed=3)
    outputs = {random_baseline(equal_length, 4, seed=seed) for seed in range(20)}
    assert len(outputs) > 1
    assert all(count_words(o) == 4 for o in outputs)


# ----------------------------------------------------------------------------------------------
# Centroid
# ----------------------------------------------------------------------------------------------


def test_centroid_prefers_topic_sentences_and_drops_redundant_ones() -> None:
    sentences = [*OLD, *NEW]
    summary = centroid(sentences, 24)
    assert "bakery" not in summary
    assert count_words(summary) <= 24
    near_copy = _s("copy", DAY2, "The river flood damaged homes across the valley!")
    with_copy = centroid([*sentences, near_copy], 100)
    # Same terms as NEW[0]: cosine 1 > 0.7, so at most one of the two is chosen.
    assert (NEW[0].text in with_copy) + (near_copy.text in with_copy) == 1
    permissive = centroid(
        [*sentences, near_copy], 100, config=SummaryBaselineConfig(redundancy=1.0)
    )
    assert NEW[0].text in permissive
    assert near_copy.text in permissive


def test_centroid_without_content_words_keeps_reading_order() -> None:
    stop_only = [_s("a", DAY1, "It is what it is."), _s("a", DAY1, "And so on.")]
    assert centroid(stop_only, 5) == "It is what it is."
    assert centroid([], 100) == ""


# ----------------------------------------------------------------------------------------------
# LexRank and TextRank
# ----------------------------------------------------------------------------------------------

HUB = [
    _s("a", DAY1, "The river flood hit homes in the valley."),  # 8 words, shares with all
    _s("a", DAY1, "River flood waters reached homes."),
    _s("b", DAY2, "The valley flood forced families out."),
    _s("b", DAY2, "A bakery sold bread and cakes."),
]


@pytest.mark.parametrize("rank", [lexrank, textrank])
def test_graph_baselines_pick_the_central_sentence(rank: Summariser) -> None:
    # Sentence 0 shares "river"/"homes" with 1 and "valley" with 2; 1 and 2 share only
    # "flood" (in 3 of 4 sentences, so LexRank's idf for it is log(4/4) = 0); 3 shares nothing.
    assert rank(HUB, 8) == HUB[0].text


@pytest.mark.parametrize("rank", [lexrank, textrank])
def test_graph_baselines_rank_stop_word_sentences_last(rank: Summariser) -> None:
    stop_only = _s("z", DAY1, "It is what it is.")
    assert rank([stop_only, *HUB[:3]], 8) == HUB[0].text
    assert rank([stop_only], 100) == stop_only.text
    assert rank([], 100) == ""


@pytest.mark.parametrize("rank", [lexrank, textrank, centroid, random_baseline])
def test_exact_repeats_are_chosen_once(rank: Summariser) -> None:
    repeated = [HUB[0], _s("c", DAY2, "the river flood hit  homes in the valley."), HUB[1]]
    summary = rank(repeated, 100)
    assert summary.casefold().count("hit homes") == 1


@pytest.mark.parametrize("rank", [lexrank, textrank, centroid])
def test_other_languages_run_without_stemmer_or_stop_words(rank: Summariser) -> None:
    greek = [
        _s("a", DAY1, "Ο σεισμός χτύπησε την πόλη."),
        _s("a", DAY1, "Ο σεισμός προκάλεσε ζημιές στην πόλη."),
        _s("b", DAY2, "Οι κάτοικοι βγήκαν στους δρόμους."),
    ]
    hindi = [_s("a", DAY1, "भूकंप आया।"), _s("a", DAY1, "भूकंप से नुकसान हुआ।")]
    assert count_words(rank(greek, 6, config=SummaryBaselineConfig(language="greek"))) <= 6
    assert rank(hindi, 100, config=SummaryBaselineConfig(language="hindi")).startswith("भूकंप")


# ----------------------------------------------------------------------------------------------
# Properties shared by all summarisation baselines
# ----------------------------------------------------------------------------------------------


def _chosen_indices(summary: str, texts: Sequence[str]) -> list[int] | None:
    """Indices of ``texts`` whose in-order join is ``summary``, or None if it is not one."""
    chosen: list[int] = []
    position = 0
    for index, text in enumerate(texts):
        end = position + len(text)
        if summary.startswith(text, position) and (end == len(summary) or summary[end] == " "):
            chosen.append(index)
            position = end + 1
    return chosen if position >= len(summary) else None


WORDS = ["river", "flood", "homes", "valley", "the", "rain", "team", "city", "a", "bridge"]
sentence_lists = st.lists(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=7),
    min_size=1,
    max_size=8,
)


@settings(max_examples=30, deadline=None)
@given(sentence_lists, st.integers(0, 30), st.sampled_from(ALL_BASELINES), st.booleans())
def test_summaries_are_whole_input_sentences_in_order_within_budget(
    bodies: list[list[str]], max_words: int, baseline: Summariser, overflow: bool
) -> None:
    # A unique leading marker per sentence makes the decomposition unambiguous.
    texts = [f"s{i} " + " ".join(words) + "." for i, words in enumerate(bodies)]
    sentences = [_s(f"art{i // 3}", DAY1 if i % 2 else DAY2, t) for i, t in enumerate(texts)]
    config = SummaryBaselineConfig(overflow=overflow)
    summary = baseline(sentences, max_words, config=config)
    chosen = _chosen_indices(summary, texts)
    assert chosen is not None, summary
    lengths = [count_words(texts[i]) for i in chosen]
    if overflow and chosen:
        # Before the one crossing sentence was added the summary was under budget, so without
        # its longest sentence it is certainly under budget.
        assert sum(lengths) - max(lengths) < max_words
    else:
        assert sum(lengths) <= max_words
    assert baseline(sentences, max_words, config=config) == summary  # deterministic


@pytest.mark.parametrize("baseline", ALL_BASELINES)
def test_negative_budget_is_rejected(baseline: Summariser) -> None:
    with pytest.raises(ValueError, match="max_words"):
        baseline(NEW, -1)


# ----------------------------------------------------------------------------------------------
# Concept ILP (Gillick & Favre 2009)
# ----------------------------------------------------------------------------------------------

EVERY_CONCEPT = SummaryBaselineConfig(ilp_min_articles=1, ilp_min_sentence_words=1)


def _coverage(sentences: Sequence[SourceSentence], chosen: Sequence[int], budget: int) -> int:
    _, concepts_of, weight = _ilp_problem(sentences, budget, EVERY_CONCEPT)
    return sum(weight[c] for c in set().union(*(concepts_of[j] for j in chosen)) if c in weight)


def test_concept_ilp_is_exact_where_the_greedy_is_not() -> None:
    # Budget 12. The long sentence alone covers the most (26: ten bigrams, eight of them in
    # three articles), but the two short ones together cover 28 (15 + 13) in the same budget.
    sentences = [
        _s("a", DAY1, "harbor crane fell onto bridge deck near mill lane ferry dock"),  # 11
        _s("b", DAY1, "harbor crane fell onto bridge deck"),  # 6
        _s("c", DAY1, "mill lane ferry dock closed today"),  # 6
        _s("d", DAY2, "harbor crane fell onto bridge deck"),
        _s("e", DAY2, "mill lane ferry dock closed today"),
    ]
    summary = concept_ilp(sentences, 12, config=EVERY_CONCEPT)
    assert summary == f"{sentences[1].text} {sentences[2].text}"


@settings(max_examples=40, deadline=None)
@given(sentence_lists, st.integers(1, 14))
def test_concept_ilp_reaches_the_brute_force_optimum(bodies: list[list[str]], budget: int) -> None:
    # A unique leading marker per sentence makes the summary's decomposition unambiguous
    # ("river" and "river river" would not be).
    texts = [f"s{i} " + " ".join(words) for i, words in enumerate(bodies)]
    sentences = [_s(f"art{i % 3}", DAY1, text) for i, text in enumerate(texts)]
    candidates, _, _ = _ilp_problem(sentences, budget, EVERY_CONCEPT)
    best = 0
    for mask in range(1 << len(candidates)):
        subset = [j for b, j in enumerate(candidates) if mask >> b & 1]
        if sum(count_words(texts[j]) for j in subset) <= budget:
            best = max(best, _coverage(sentences, subset, budget))
    summary = concept_ilp(sentences, budget, config=EVERY_CONCEPT)
    picked = _ilp_picks(summary, texts, candidates)
    assert _coverage(sentences, picked, budget) == best


def _ilp_picks(summary: str, texts: Sequence[str], candidates: Sequence[int]) -> list[int]:
    """The candidates whose in-order join is ``summary`` (exact repeats are never candidates)."""
    picked = _chosen_indices(summary, [texts[j] for j in candidates])
    assert picked is not None, summary
    return [candidates[k] for k in picked]


def test_concept_ilp_skips_short_quoted_and_rare_material() -> None:
    wire = "Harbor crane fell onto the bridge deck early on Tuesday, closing the crossing."
    quote = '"The harbor crane fell onto the bridge deck right in front of our car."'
    short = "Harbor crane fell onto bridge."
    rare = "A ferry strike stopped every boat on the bay for the whole of the long weekend."
    sentences = [_s(a, DAY1, t) for a in "abc" for t in (wire, quote, short)] + [
        _s("d", DAY2, rare)
    ]
    assert concept_ilp(sentences, 100) == wire  # the quote and the 5-word line never count
    assert concept_ilp([_s("d", DAY2, rare)], 100) == ""  # one article: no concept in 3
    assert concept_ilp([], 100) == ""


# ----------------------------------------------------------------------------------------------
# Story clustering
# ----------------------------------------------------------------------------------------------

# a-b very similar, b-c fairly similar, a-c unrelated.
SIMILARITY = np.array([[1.0, 0.9, 0.0], [0.9, 1.0, 0.6], [0.0, 0.6, 1.0]])


def test_average_linkage_not_single_linkage() -> None:
    # a and b merge (0.9 > 0.5); {a, b} to c averages (0.0 + 0.6) / 2 = 0.3 < 0.5, so c stays
    # apart (single linkage would have merged it through b's 0.6).
    assert agglomerative_from_similarity(SIMILARITY, 0.5) == (0, 0, 1)
    assert agglomerative_from_similarity(SIMILARITY, 0.25) == (0, 0, 0)
    assert agglomerative_from_similarity(SIMILARITY, 0.95) == (0, 1, 2)


def test_threshold_is_strict_and_bounds() -> None:
    pair = np.array([[1.0, 0.5], [0.5, 1.0]])
    assert agglomerative_from_similarity(pair, 0.5) == (0, 1)  # equal is not above
    assert agglomerative_from_similarity(pair, 0.49) == (0, 0)
    assert agglomerative_from_similarity(pair, -1.0) == (0, 0)
    assert agglomerative_from_similarity(pair, 1.0) == (0, 1)
    assert agglomerative_from_similarity(np.zeros((0, 0)), 0.5) == ()
    assert agglomerative_from_similarity(np.ones((1, 1)), 0.5) == (0,)
    with pytest.raises(ValueError, match="threshold"):
        agglomerative_from_similarity(pair, 1.5)
    with pytest.raises(ValueError, match="square"):
        agglomerative_from_similarity(np.ones((2, 3)), 0.5)


def test_labels_are_numbered_by_first_occurrence() -> None:
    similarity = np.eye(4)
    similarity[1, 3] = similarity[3, 1] = 0.9
    assert agglomerative_from_similarity(similarity, 0.5) == (0, 1, 2, 1)


def test_tfidf_agglomerative_groups_by_topic() -> None:
    texts = [
        "River flood forces valley families from homes",
        "Bridge election results announced by city council",
        "Flood waters in the river valley reach homes",
        "City council election: bridge vote results",
    ]
    assert tfidf_agglomerative(texts, 0.1) == (0, 1, 0, 1)
    assert tfidf_agglomerative(texts, 0.99) == (0, 1, 2, 3)
    assert tfidf_agglomerative([], 0.5) == ()
    # Only stop words: empty vocabulary, every similarity 0, all singletons.
    assert tfidf_agglomerative(["the and", "of the"], 0.1) == (0, 1)
    similarity = tfidf_similarity(texts)
    assert similarity.shape == (4, 4)
    assert np.allclose(np.diag(similarity), 1.0)


def test_embedding_similarity_is_the_cosine_matrix() -> None:
    vectors = np.array([[3.0, 4.0], [6.0, 8.0], [0.0, 0.0], [4.0, -3.0]])
    sim = embedding_similarity(vectors)
    np.testing.assert_allclose(sim[0], [1.0, 1.0, 0.0, 0.0], atol=1e-12)
    assert np.all(sim[2] == 0.0)  # an all-zero row is 0 to everything
    with pytest.raises(ValueError, match="2-D"):
        embedding_similarity(np.zeros(3))


def test_embedding_agglomerative_normalises_rows() -> None:
    vectors = np.array([[2.0, 0.0], [0.9, 0.1], [0.0, 3.0], [0.0, 0.0]], dtype=np.float32)
    # Rows 0 and 1 have cosine 0.994; row 2 is orthogonal; the zero row matches nothing.
    assert embedding_agglomerative(vectors, 0.5) == (0, 0, 1, 2)
    with pytest.raises(ValueError, match="2-D"):
        embedding_agglomerative(np.ones(3), 0.5)


def test_best_threshold_by_hand() -> None:
    gold = ["x", "x", "y"]
    search = best_threshold(agglomerative_from_similarity, SIMILARITY, gold, [0.1, 0.5, 0.95])
    # 0.1: one cluster: BCubed P = (2/3 + 2/3 + 1/3) / 3 = 5/9, R = 1, F = 10/14.
    # 0.5: exactly the gold partition: F = 1.
    # 0.95: singletons: P = 1, R = (1/2 + 1/2 + 1) / 3 = 2/3, F = 0.8.
    assert search.threshold == 0.5
    assert search.score == 1.0
    assert [t for t, _ in search.curve] == [0.1, 0.5, 0.95]
    assert [s for _, s in search.curve] == pytest.approx([10 / 14, 1.0, 0.8])
    # Ties go to the first grid value: 0.4 also reproduces the gold partition.
    first = best_threshold(agglomerative_from_similarity, SIMILARITY, gold, [0.5, 0.4])
    assert first.threshold == 0.5
    second = best_threshold(agglomerative_from_similarity, SIMILARITY, gold, [0.4, 0.5])
    assert second.threshold == 0.4


def test_best_threshold_validates() -> None:
    with pytest.raises(ValueError, match="non-empty grid"):
        best_threshold(agglomerative_from_similarity, SIMILARITY, ["x", "x", "y"], [])
    with pytest.raises(ValueError, match="labels"):
        best_threshold(agglomerative_from_similarity, SIMILARITY, ["x", "y"], [0.5])
