from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.pipeline.group import ArticleEvidence, GroupConfig, StoryCandidate, assign_story

DAY = 86400.0


def cand(
    sid: str, seq: int, shared: int = 0, sim: float = 0.0, t: float = 0.0, key: str | None = None
) -> StoryCandidate:
    return StoryCandidate(sid, seq, t, t, shared, sim, key)


def test_no_candidates_founds_a_story() -> None:
    assert assign_story(ArticleEvidence(0.0), []).story_id is None


def test_shared_cluster_joins() -> None:
    d = assign_story(ArticleEvidence(0.0), [cand("s1", 1, shared=1)])
    assert (d.story_id, d.reason, d.merged) == ("s1", "shared", ())


def test_similarity_joins_below_merge_bar_without_merging() -> None:
    d = assign_story(ArticleEvidence(0.0), [cand("s1", 1, sim=0.7), cand("s2", 2, sim=0.65)])
    assert d.story_id == "s1"
    assert d.merged == ()
    assert d.reason == "similar"


def test_weak_similarity_founds() -> None:
    assert assign_story(ArticleEvidence(0.0), [cand("s1", 1, sim=0.5)]).story_id is None


def test_bridge_merges_into_oldest() -> None:
    d = assign_story(ArticleEvidence(0.0), [cand("s9", 9, shared=3), cand("s4", 4, shared=1)])
    assert d.story_id == "s4"
    assert d.merged == ("s9",)


def test_outside_the_window_only_strong_evidence_resumes_a_story() -> None:
    config = GroupConfig(
        window_hours=24, join_similarity=0.6, resume_similarity=0.8, merge_similarity=0.8
    )
    topical = cand("s1", 1, sim=0.7, t=0.0)
    assert assign_story(ArticleEvidence(0.5 * DAY), [topical], config).story_id == "s1"
    assert assign_story(ArticleEvidence(3 * DAY), [topical], config).story_id is None
    assert assign_story(ArticleEvidence(-3 * DAY), [topical], config).story_id is None
    close = cand("s1", 1, sim=0.85, t=0.0)
    assert assign_story(ArticleEvidence(300 * DAY), [close], config).story_id == "s1"
    copied = cand("s1", 1, shared=1, t=0.0)
    assert assign_story(ArticleEvidence(300 * DAY), [copied], config).story_id == "s1"


def test_a_far_story_is_merged_only_above_the_resume_bar() -> None:
    config = GroupConfig(
        window_hours=24, join_similarity=0.6, resume_similarity=0.85, merge_similarity=0.8
    )
    here = cand("s2", 2, shared=2, t=100 * DAY)
    far = cand("s1", 1, sim=0.82, t=0.0)
    d = assign_story(ArticleEvidence(100 * DAY), [here, far], config)
    assert (d.story_id, d.merged) == ("s2", ())
    farther = cand("s1", 1, sim=0.9, t=0.0)
    d = assign_story(ArticleEvidence(100 * DAY), [here, farther], config)
    assert (d.story_id, d.merged) == ("s1", ("s2",))


def test_story_key_is_authoritative() -> None:
    d = assign_story(ArticleEvidence(0.0, "k", "s7"), [cand("s1", 1, shared=9)])
    assert (d.story_id, d.reason) == ("s7", "key")
    d = assign_story(ArticleEvidence(0.0, "k", None), [cand("s1", 1, shared=9)])
    assert (d.story_id, d.reason) == (None, "new_key")


def test_stories_with_different_keys_never_merge() -> None:
    d = assign_story(
        ArticleEvidence(0.0),
        [
            cand("s1", 1, shared=2, key="a"),
            cand("s2", 2, shared=1, key="b"),
            cand("s3", 3, shared=1),
        ],
    )
    assert d.story_id == "s1"
    assert d.merged == ("s3",)


def test_duplicate_candidates_rejected() -> None:
    with pytest.raises(ValueError, match="unique"):
        assign_story(ArticleEvidence(0.0), [cand("s1", 1), cand("s1", 1)])


candidates = st.lists(
    st.builds(
        cand,
        sid=st.just(""),
        seq=st.integers(1, 50),
        shared=st.integers(0, 3),
        sim=st.floats(0, 1),
        t=st.floats(-10 * DAY, 10 * DAY),
        key=st.sampled_from([None, None, "a", "b"]),
    ),
    max_size=8,
    unique_by=lambda c: c.seq,
)


@settings(max_examples=100, deadline=None)
@given(candidates, st.randoms(use_true_random=False))
def test_decision_is_order_independent_and_survivor_is_oldest(
    raw: list[StoryCandidate], rnd: object
) -> None:
    cands = [
        StoryCandidate(
            f"s{c.seq}",
            c.seq,
            c.first_time,
            c.last_time,
            c.shared_clusters,
            c.similarity,
            c.story_key,
        )
        for c in raw
    ]
    d = assign_story(ArticleEvidence(0.0), cands)
    shuffled = list(cands)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert assign_story(ArticleEvidence(0.0), shuffled) == d
    if d.story_id is not None:
        group = [c for c in cands if c.story_id in (d.story_id, *d.merged)]
        assert min(c.seq for c in group) == next(c.seq for c in cands if c.story_id == d.story_id)
        keys = {c.story_key for c in group if c.story_key is not None}
        assert len(keys) <= 1
    assert d.story_id not in d.merged


def test_config_validates_bars() -> None:
    with pytest.raises(ValueError, match="merge_similarity"):
        GroupConfig(join_similarity=0.7, merge_similarity=0.6)
    with pytest.raises(ValueError, match="resume_similarity"):
        GroupConfig(join_similarity=0.7, resume_similarity=0.6)


# ----------------------------------------------------------- evidence from the stories (issue 11)
def test_a_bridge_merges_only_alike_stories() -> None:
    candidates = [cand("s9", 9, shared=3), cand("s4", 4, shared=1)]
    alike = {frozenset(("s4", "s9")): 0.7}
    unalike = {frozenset(("s4", "s9")): 0.1}
    assert assign_story(ArticleEvidence(0.0), candidates, story_similarity=alike).merged == ("s9",)
    d = assign_story(ArticleEvidence(0.0), candidates, story_similarity=unalike)
    assert d.merged == ()
    assert d.story_id is None  # it quotes both and is similar to neither: its own story
    assert d.quoted == ("s4", "s9")


def test_an_article_quoting_several_stories_joins_the_one_it_is_about() -> None:
    candidates = [cand("s1", 1, shared=1, sim=0.2), cand("s2", 2, shared=1, sim=0.7)]
    d = assign_story(ArticleEvidence(0.0), candidates, story_similarity={})
    assert (d.story_id, d.merged, d.reason, d.quoted) == ("s2", (), "similar", ("s1",))


def test_an_entity_conflict_blocks_similarity_but_not_shared_copy() -> None:
    later = ArticleEvidence(21 * DAY)  # three weeks after the story: outside the window
    conflicting = StoryCandidate("s1", 1, 0.0, 0.0, 0, 0.9, None, conflict=True)
    assert assign_story(later, [conflicting]).story_id is None
    copied = StoryCandidate("s1", 1, 0.0, 0.0, 2, 0.9, None, conflict=True)
    assert assign_story(later, [copied]).story_id == "s1"
    # Within the window a developing story may name new people: the conflict does not count.
    assert assign_story(ArticleEvidence(DAY), [conflicting]).story_id == "s1"


@settings(max_examples=80)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.floats(0.0, 1.0), st.booleans()),
        min_size=1,
        max_size=5,
    ),
    st.floats(0.0, 1.0),
)
def test_merged_stories_are_pairwise_alike(
    specs: list[tuple[int, float, bool]], pair_similarity: float
) -> None:
    candidates = [
        StoryCandidate(f"s{i}", i, 0.0, 0.0, shared, sim, None, conflict=c)
        for i, (shared, sim, c) in enumerate(specs)
    ]
    pairs = {
        frozenset((a.story_id, b.story_id)): pair_similarity
        for a in candidates
        for b in candidates
        if a is not b
    }
    d = assign_story(ArticleEvidence(0.0), candidates, GroupConfig(), pairs)
    if d.merged:
        assert pair_similarity >= GroupConfig().alike_similarity
    assert not set(d.merged) & set(d.quoted)
