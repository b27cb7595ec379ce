"""The regrouping stage: TF-IDF, z-normalisation, average link, and keeping story ids."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.cluster import AgglomerativeClustering

from service.pipeline.lexical import content_terms
from service.pipeline.regroup import (
    RegroupArticle,
    RegroupConfig,
    RegroupPlan,
    average_link,
    must_links,
    regroup,
    tfidf_matrix,
    z_similarity,
)
from tests.texts import TOPICS


def partition(labels: list[int] | tuple[int, ...]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(label, set()).add(i)
    return {frozenset(g) for g in groups.values()}


def topic_articles(story_of: dict[str, str] | None = None) -> list[RegroupArticle]:
    """The twelve TOPICS articles, each alone in its own story unless ``story_of`` says."""
    out = []
    for n, (topic, i, text) in enumerate(
        (topic, i, text) for topic, texts in TOPICS.items() for i, text in enumerate(texts)
    ):
        article_id = f"{topic}{i}"
        story = (story_of or {}).get(article_id, f"s{n + 1}")
        out.append(RegroupArticle(article_id, story, int(story[1:]), content_terms(text)))
    return out


# ----------------------------------------------------------------------------- tf-idf
def test_tfidf_matrix_hand_checked() -> None:
    # df(a) = 2, df(b) = 1, n = 2: idf(a) = ln(3/3) + 1 = 1, idf(b) = ln(3/2) + 1 = 1.4055.
    # Row 0: (1, 1.4055) / 1.7250; row 1: (1 + ln 2) * 1, normalised to 1.
    m = tfidf_matrix([{"a": 1, "b": 1}, {"a": 2}]).toarray()
    idf_b = math.log(1.5) + 1
    norm = math.hypot(1.0, idf_b)
    assert m[0] == pytest.approx([1 / norm, idf_b / norm])
    assert m[1] == pytest.approx([1.0, 0.0])


def test_tfidf_matrix_matches_scikit_learn() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [t for texts in TOPICS.values() for t in texts]
    ours = tfidf_matrix([content_terms(t) for t in texts])
    theirs = TfidfVectorizer(sublinear_tf=True, stop_words=None, analyzer=_tokens).fit_transform(
        texts
    )
    np.testing.assert_allclose((ours @ ours.T).toarray(), (theirs @ theirs.T).toarray())


def _tokens(text: str) -> list[str]:
    return [t for t, n in content_terms(text).items() for _ in range(n)]


def test_tfidf_matrix_empty_documents_are_zero_rows() -> None:
    m = tfidf_matrix([{}, {"x": 3}, {}]).toarray()
    assert m[0].sum() == 0
    assert m[2].sum() == 0
    assert m[1].sum() == pytest.approx(1.0)


# ------------------------------------------------------------------------------ z-scores
# Cosines on a 0.001 grid: a row's spread is then 0 or far above float rounding. (Values like
# 4.5e-10 made the affine check compare rounding noise magnified by a 1e-10 deviation.)
symmetric = st.integers(3, 12).flatmap(
    lambda n: arrays(np.float64, (n, n), elements=st.integers(0, 1000).map(lambda k: k / 1000))
)


@given(symmetric, st.floats(0.1, 10), st.floats(-2, 2))
def test_z_similarity_is_symmetric_and_ignores_the_scale(
    raw: np.ndarray, scale: float, shift: float
) -> None:
    s = (raw + raw.T) / 2
    z = z_similarity(s)
    np.testing.assert_allclose(z, z.T)
    assert np.all(np.diag(z) == 0)
    # A background-relative score: a positive affine change of the cosines changes nothing.
    np.testing.assert_allclose(z_similarity(s * scale + shift), z, atol=1e-6)


def test_z_similarity_constant_rows_give_zero() -> None:
    assert np.all(z_similarity(np.full((4, 4), 0.3)) == 0)


# ---------------------------------------------------------------------------- average link
@settings(max_examples=60, deadline=None)
@given(st.integers(2, 14), st.integers(0, 2**32 - 1), st.floats(-1.5, 1.5))
def test_average_link_matches_scikit_learn(n: int, seed: int, bar: float) -> None:
    # Continuous random scores: linkage ties (where either order of merging is right) have
    # probability zero, so the two implementations must agree exactly.
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.uniform(-1, 1, (n, n)), k=1)
    score = upper + upper.T
    ours = average_link(score, bar)
    top = float(score.max())
    distance = np.clip(top - score, 0, None)
    np.fill_diagonal(distance, 0.0)
    if bar > top:
        expected = list(range(len(score)))
    else:
        # scikit-learn merges below the threshold, we at or below: equal unless a linkage
        # distance lands exactly on it, which random floats do not.
        model = AgglomerativeClustering(
            n_clusters=None,
            metric="precomputed",
            linkage="average",
            distance_threshold=top - bar + 1e-12,
        )
        expected = model.fit_predict(distance).tolist()
    assert partition(ours) == partition(expected)
    assert ours[0] == 0
    assert max(ours) + 1 == len(set(ours))


def test_average_link_edges() -> None:
    assert average_link(np.zeros((0, 0)), 1.0) == []
    assert average_link(np.zeros((1, 1)), 1.0) == [0]
    two = np.array([[0.0, 2.0], [2.0, 0.0]])
    assert average_link(two, 2.0) == [0, 0]  # at the bar joins
    assert average_link(two, 2.01) == [0, 1]


# ------------------------------------------------------------------------------- regroup
def test_regroup_assembles_topics_from_singletons() -> None:
    plan = regroup(topic_articles(), RegroupConfig())
    assert [set(g.article_ids) for g in plan.groups] == [
        {f"{t}{i}" for i in range(3)} for t in TOPICS
    ]
    # Each group keeps its oldest story (all contribute one article); the others redirect.
    assert [g.story_id for g in plan.groups] == ["s1", "s4", "s7", "s10"]
    assert plan.dissolved == {
        "s2": 0,
        "s3": 0,
        "s5": 1,
        "s6": 1,
        "s8": 2,
        "s9": 2,
        "s11": 3,
        "s12": 3,
    }


def test_regroup_fixes_a_wrong_join_and_keeps_the_larger_share() -> None:
    # s1 holds the ferry story plus one budget article; s2 holds the other two budget ones.
    story_of = {f"ferry{i}": "s1" for i in range(3)} | {"budget0": "s1"}
    story_of |= {"budget1": "s2", "budget2": "s2"}
    plan = regroup(topic_articles(story_of), RegroupConfig())
    by_story = {g.story_id: set(g.article_ids) for g in plan.groups}
    assert by_story["s1"] == {"ferry0", "ferry1", "ferry2"}
    assert by_story["s2"] == {"budget0", "budget1", "budget2"}  # the budget article moved
    assert "s1" not in plan.dissolved
    assert "s2" not in plan.dissolved


def test_regroup_splits_into_a_new_story_when_the_owner_is_taken() -> None:
    everything = {f"{t}{i}": "s1" for t in TOPICS for i in range(3)}
    plan = regroup(topic_articles(everything), RegroupConfig())
    assert [g.story_id for g in plan.groups] == ["s1", None, None, None]
    assert plan.dissolved == {}


def test_regroup_below_min_articles_keeps_every_story() -> None:
    articles = topic_articles()[:5]
    plan = regroup(articles, RegroupConfig(min_articles=6))
    assert [(g.story_id, g.article_ids) for g in plan.groups] == [
        (a.story_id, (a.article_id,)) for a in articles
    ]
    assert plan.dissolved == {}


def test_regroup_refuses_duplicate_ids() -> None:
    a = topic_articles()[0]
    with pytest.raises(ValueError, match="unique"):
        regroup([a, a], RegroupConfig())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_articles", 1),
        ("min_articles", 2),
        ("link_z", math.nan),
        ("title_weight", -1),
        ("lone_similarity", math.nan),
        ("lone_shared_clusters", 0),
    ],
)
def test_config_validation(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        RegroupConfig(**{field: value})  # type: ignore[arg-type]


words = st.sampled_from([f"w{i}" for i in range(12)])
documents = st.dictionaries(words, st.integers(1, 3), max_size=6)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(documents, st.integers(1, 5)), min_size=3, max_size=14),
    st.floats(-1.0, 3.0),
    st.randoms(use_true_random=False),
)
def test_regroup_invariants(
    docs: list[tuple[dict[str, int], int]], bar: float, rnd: object
) -> None:
    articles = [
        RegroupArticle(f"a{i}", f"s{story}", story, terms) for i, (terms, story) in enumerate(docs)
    ]
    config = RegroupConfig(link_z=bar, min_articles=3)
    plan = regroup(articles, config)
    placed = [a for g in plan.groups for a in g.article_ids]
    assert sorted(placed) == sorted(a.article_id for a in articles)  # each exactly once
    kept = [g.story_id for g in plan.groups if g.story_id is not None]
    assert len(kept) == len(set(kept))
    stories = {a.story_id for a in articles}
    assert set(kept) | set(plan.dissolved) == stories
    assert not set(kept) & set(plan.dissolved)
    # Ids follow founders (no founders given: a story's first article in the input): a kept
    # story's group holds its founder; a dissolved story's founder is in the group it
    # redirects to, which an older story keeps (the fault was: most articles decided).
    founder: dict[str, str] = {}
    for a in articles:
        founder.setdefault(a.story_id, a.article_id)
    seq = {a.story_id: a.story_seq for a in articles}
    for g in plan.groups:
        if g.story_id is not None:
            assert founder[g.story_id] in g.article_ids
    for story, index in plan.dissolved.items():
        owner = plan.groups[index].story_id
        assert founder[story] in plan.groups[index].article_ids
        assert owner is not None
        assert (seq[owner], owner) < (seq[story], story)
    # The partition depends on the set of articles, not on their order.
    shuffled = list(articles)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    again = regroup(shuffled, config, founder)
    assert {frozenset(g.article_ids) for g in again.groups} == {
        frozenset(g.article_ids) for g in plan.groups
    }


# ------------------------------------------------------------------- constraints (issue 11)
def wire(article_id: str, story: str, outlet: str, clusters: set[str], text: str) -> RegroupArticle:
    return RegroupArticle(
        article_id, story, int(story[1:]), content_terms(text), outlet, frozenset(clusters)
    )


def test_must_links_keep_an_outlet_whose_paragraphs_copy_two_others() -> None:
    # Yahoo shares one paragraph with CBS and another with MSN; CBS and MSN share two.
    articles = [
        wire("cbs", "s1", "CBS", {"p0", "p1", "p2"}, "x"),
        wire("msn", "s1", "MSN", {"p0", "p2", "p5"}, "x"),
        wire("yahoo", "s1", "Yahoo", {"p1", "p5", "own"}, "x"),
    ]
    pairs = {(i, j) for _, i, j in must_links(articles, 2)}
    assert pairs == {(0, 1), (0, 2), (1, 2)}


def test_must_links_do_not_chain_through_a_digest_or_across_stories() -> None:
    # The digest quotes one paragraph of each of two unconnected articles of its story.
    articles = [
        wire("ferry", "s1", "A", {"f"}, "x"),
        wire("budget", "s1", "B", {"b"}, "x"),
        wire("digest", "s1", "D", {"f", "b"}, "x"),
        wire("other", "s2", "E", {"f", "b"}, "x"),  # another story: never must-linked
    ]
    assert must_links(articles, 2) == []


def test_untouched_stories_never_merge_and_touched_articles_may_join_them() -> None:
    base = topic_articles()
    fixed = [dataclasses.replace(a, fixed=True) for a in base[:6]]  # ferry and budget, alone
    plan = regroup(fixed + base[6:], RegroupConfig())
    by_story = {g.story_id: set(g.article_ids) for g in plan.groups}
    for a in fixed:
        assert by_story[a.story_id] == {a.article_id}  # neither split nor merged
    assert {"transfer0", "transfer1", "transfer2"} in by_story.values()


def test_entity_conflicts_are_cannot_links() -> None:
    text = "fire tore through plant early forcing residents leave homes smoke drifted town"
    a = [
        RegroupArticle(f"a{i}", f"s{i + 1}", i + 1, content_terms(text), f"O{i}") for i in range(3)
    ]
    far = [
        RegroupArticle(f"b{i}", f"s{i + 4}", i + 4, content_terms(f"unrelated story {i} {w}"), "X")
        for i, w in enumerate(["comet", "marathon", "library", "budget", "ferry", "chess", "zoo"])
    ]
    together = regroup(a + far, RegroupConfig(min_articles=3))
    assert {"a0", "a1", "a2"} in [set(g.article_ids) for g in together.groups]
    places = [frozenset({"millbrook", "ohio", "ruiz"}), frozenset({"ashford", "oregon", "pell"})]
    weeks = 3 * 7 * 86400.0
    apart = [
        dataclasses.replace(x, entities=places[i % 2], time=weeks * (i % 2))
        for i, x in enumerate(a)
    ]
    plan = regroup(apart + far, RegroupConfig(min_articles=3))
    groups = [set(g.article_ids) for g in plan.groups]
    assert not any({"a0", "a1"} <= g for g in groups)
    assert {"a0", "a2"} in groups
    # Within a week the names of one developing story may change: no cannot-link.
    close = [dataclasses.replace(x, time=0.0) for x in apart]
    plan = regroup(close + far, RegroupConfig(min_articles=3))
    assert {"a0", "a1", "a2"} in [set(g.article_ids) for g in plan.groups]


def test_founders_keep_their_ids_whatever_the_sizes() -> None:
    # s1 was founded by budget0 and wrongly took the three ferry articles online.
    story_of = {f"ferry{i}": "s1" for i in range(3)} | {"budget0": "s1"}
    plan = regroup(topic_articles(story_of), RegroupConfig(), founders={"s1": "budget0"})
    by_story = {g.story_id: set(g.article_ids) for g in plan.groups}
    assert "budget0" in by_story["s1"]
    assert None in by_story  # the ferry articles found a new story
    assert by_story[None] == {"ferry0", "ferry1", "ferry2"}


# ------------------------------------------------------------------- lone arrivals (stability)
TRAWLER = (
    "Coast guard boats towed a fishing trawler back to the harbour after its engine failed off "
    "Halvik Island, the harbour master said."
)


def settled_topics_and_an_arrival(**arrival: object) -> list[RegroupArticle]:
    """The four topics as settled stories (s1-s4; each topic's articles share a unit document
    vector e_k), and one arrival alone in the story it founded (s5) that shares words with the
    ferry story (its z-score stands out) but whose document vector is e_4, unlike every story."""
    basis = np.eye(5)
    settled = []
    for n, a in enumerate(topic_articles()):
        k = n // 3
        settled.append(
            dataclasses.replace(
                a, story_id=f"s{k + 1}", story_seq=k + 1, fixed=True, vector=basis[k]
            )
        )
    lone = RegroupArticle(
        "arrival",
        "s5",
        5,
        content_terms(TRAWLER),
        lone=True,
        vector=basis[4],
    )
    return [*settled, dataclasses.replace(lone, **arrival)]  # type: ignore[arg-type]


def story_of_arrival(plan: RegroupPlan) -> str | None:
    return next(g.story_id for g in plan.groups if "arrival" in g.article_ids)


def test_a_lone_arrival_needs_positive_evidence_to_join_a_settled_story() -> None:
    config = RegroupConfig(min_articles=3)
    # The relative evidence alone (z-score and mean raw cosine) would put it in the ferry story.
    assert story_of_arrival(regroup(settled_topics_and_an_arrival(lone=False), config)) == "s1"
    plan = regroup(settled_topics_and_an_arrival(), config)
    assert story_of_arrival(plan) == "s5"  # stays its own story
    assert {g.story_id: len(g.article_ids) for g in plan.groups} == {
        "s1": 3,
        "s2": 3,
        "s3": 3,
        "s4": 3,
        "s5": 1,
    }
    assert plan.dissolved == {}
    # Positive evidence: a document vector like the ferry story's, or a shared content paragraph.
    alike = np.array([0.6, 0.0, 0.0, 0.0, 0.8])  # cosine 0.6 with e_0 (bar 0.55)
    assert story_of_arrival(regroup(settled_topics_and_an_arrival(vector=alike), config)) == "s1"
    unlike = np.array([0.5, 0.0, 0.0, 0.0, math.sqrt(0.75)])  # cosine 0.5
    assert story_of_arrival(regroup(settled_topics_and_an_arrival(vector=unlike), config)) == "s5"
    shared = settled_topics_and_an_arrival(clusters=frozenset({"c9"}))
    shared[0] = dataclasses.replace(shared[0], clusters=frozenset({"c9"}))
    assert story_of_arrival(regroup(shared, config)) == "s1"


def test_two_lone_arrivals_that_pair_up_still_need_evidence_for_a_settled_story() -> None:
    articles = settled_topics_and_an_arrival()
    second = RegroupArticle(
        "arrival2",
        "s6",
        6,
        content_terms(TRAWLER.replace("fishing trawler", "cargo barge")),
        lone=True,
        vector=np.eye(5)[4],
    )
    plan = regroup([*articles, second], RegroupConfig(min_articles=3))
    ferry = next(g for g in plan.groups if g.story_id == "s1")
    assert set(ferry.article_ids) == {"ferry0", "ferry1", "ferry2"}


def test_lone_arrivals_among_touched_stories_follow_the_relative_evidence() -> None:
    # A pass from scratch (every story touched: nothing is settled) is unconstrained: the
    # evidence rule guards settled stories, not the assembly of new ones.
    articles = [dataclasses.replace(a, fixed=False) for a in settled_topics_and_an_arrival()]
    assert story_of_arrival(regroup(articles, RegroupConfig(min_articles=3))) == "s1"
