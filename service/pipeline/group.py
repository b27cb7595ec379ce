"""Story grouping: which story an article joins, founds, or merges (pure; no I/O).

An article is linked to a candidate story by two kinds of evidence, each measured by the caller:

* **shared clusters**: how many of the article's substantive paragraphs sit in a near-duplicate
  cluster that also has a paragraph in the story (strong: wire copy is the surest sign of the
  same story);
* **similarity**: cosine between the article's document vector (mean of its paragraph vectors)
  and the story's centroid (weaker: topical articles about different events can be close).

Within a time window around the story's span both count at their own bars. Outside it, an
article can still resume a story, but only on stronger evidence: a shared paragraph cluster (a
follow-up that reprints the original's background paragraphs) or a similarity of at least
``resume_similarity``. Labelled news sets group coverage of one event or topic across months and
years (DUC 2003: median span 504 days; MultiLing 2011: 208 days), while a week-old story and an
unrelated one on the same topic must stay apart; the rising bar does both.

The article joins the best linked story; any other story linked by *strong* evidence (shared
clusters, or similarity above the merge bar) is merged into it, and the oldest story of the merge
survives, so story ids users stored keep pointing somewhere (the others become redirects). This
is the incremental single-pass clustering of topic detection and tracking (Allan et al., 1998,
"Topic Detection and Tracking Pilot Study"), with the merge step that keeps its result from
depending on arrival order when an article bridges two halves of one story.

Boundaries need evidence from the stories themselves:

* **a merge needs alike stories**: one article carrying a paragraph of each of two stories (a
  live blog, a round-up quoting the wire) is evidence about the article, not about the stories;
  a second story is merged only when the two stories' centroids are at least
  ``alike_similarity`` apart (the caller measures ``story_similarity``);
* **an article that quotes several stories joins at most the one it is about**: when it shares
  paragraphs with two or more stories that are not alike, shared paragraphs decide nothing and
  it joins the one whose centroid it is similar to (``join_similarity``), or founds a story;
* **cannot-link**: a candidate outside the time window whose named entities conflict with the
  article's (:mod:`service.pipeline.constraints`: a templated report of another event — the
  same fire sentence in another town weeks later) is not joined on similarity; only shared
  content paragraphs can link across such a conflict. Learned boilerplate
  (:mod:`service.pipeline.recurrence`) never counts as a shared paragraph: the caller leaves it
  out of ``shared_clusters``.

This decision is the immediate one. A background pass (:mod:`service.pipeline.regroup`)
re-clusters the recent unkeyed stories a few seconds later on a signal that adapts to the
stream, and may move articles between them; the labelled sets' figures are taken after it.

A client ``story_key`` is authoritative: a keyed article joins the story owning the key or founds
it, and never triggers a merge; two stories with different keys never merge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from service.pipeline.constraints import EntityConfig


@dataclass(frozen=True, slots=True)
class GroupConfig:
    """Story grouping thresholds.

    Attributes:
        min_shared_clusters: shared near-duplicate paragraph clusters that link an article to a
            story by themselves. One: a wire paragraph reprinted verbatim is decisive.
        min_shared_words: a shared cluster counts only if the article's paragraph in it has at
            least this many words, so datelines, bylines and stock phrases link nothing.
        join_similarity: least document-to-centroid cosine (all-MiniLM-L6-v2) for an article to
            join a story without shared paragraphs.
        merge_similarity: least cosine for a second linked story to be merged, not just skipped.
        window_hours: within this many hours of the story's first-to-last span the ordinary
            bars apply. News stories develop over days; a week keeps a developing story
            together.
        resume_similarity: least similarity for an article further than the window from a
            story to join it (shared clusters still count).
        alike_similarity: least cosine between two stories' centroids for an article linked
            to both to merge them. 0.55, the join bar: a story is alike another when its
            centroid, posted as an article, would join it.
        entities: when the article's named entities conflict with a story's (a cannot-link).

    The three similarity bars were chosen together, one configuration for every set, by BCubed
    F1 over Giveme5W1H, MultiLing 2011 and DUC 2003 (grid join 0.50-0.60 x resume 0.60-0.70 x
    merge 0.7/0.8; ``wiredesk eval stories``; docs/EVALUATION.md): 0.55/0.60/0.80 scored
    0.910/0.851/0.858, the best mean (0.911/0.851/0.891 since same-outlet paragraphs stopped
    linking stories); the earlier 0.62 with a hard one-week window scored 0.910/0.696/0.747
    because both labelled sets group a topic's coverage over months.
    """

    min_shared_clusters: int = 1
    min_shared_words: int = 12
    join_similarity: float = 0.55
    merge_similarity: float = 0.80
    window_hours: float = 7 * 24.0
    resume_similarity: float = 0.60
    alike_similarity: float = 0.55
    entities: EntityConfig = field(default_factory=EntityConfig)

    def __post_init__(self) -> None:
        if self.min_shared_clusters < 1:
            raise ValueError("min_shared_clusters must be >= 1")
        if self.window_hours < 0:
            raise ValueError("window_hours must be >= 0")
        if self.merge_similarity < self.join_similarity:
            raise ValueError("merge_similarity must be >= join_similarity")
        if self.resume_similarity < self.join_similarity:
            raise ValueError("resume_similarity must be >= join_similarity")


@dataclass(frozen=True, slots=True)
class ArticleEvidence:
    """The article being placed.

    Attributes:
        time: publication (else ingestion) time, POSIX seconds.
        story_key: client grouping key, if any.
        keyed_story_id: the story that already owns ``story_key``, if any.
    """

    time: float
    story_key: str | None = None
    keyed_story_id: str | None = None


@dataclass(frozen=True, slots=True)
class StoryCandidate:
    """A story with the evidence linking it to the article.

    Attributes:
        story_id: the story (current id, after redirects).
        seq: its creation order (lower = older).
        first_time: earliest member time.
        last_time: latest member time.
        shared_clusters: substantive clusters shared with the article.
        similarity: cosine of the article's document vector to the story's centroid.
        story_key: the key that made the story, if any.
        conflict: the story's named entities conflict with the article's (a cannot-link:
            similarity does not link them).
    """

    story_id: str
    seq: int
    first_time: float
    last_time: float
    shared_clusters: int = 0
    similarity: float = 0.0
    story_key: str | None = None
    conflict: bool = False


@dataclass(frozen=True, slots=True)
class GroupDecision:
    """The outcome.

    Attributes:
        story_id: the story to join (the merge survivor), or ``None`` to found a new story.
        merged: stories merged into ``story_id``, ascending by seq.
        reason: ``key``, ``new_key``, ``shared``, ``similar`` or ``new``.
        quoted: stories the article shares paragraphs with but did not join or merge, because
            they are not alike (a live blog or round-up quoting several stories).
    """

    story_id: str | None
    merged: tuple[str, ...] = ()
    reason: str = "new"
    quoted: tuple[str, ...] = ()


def assign_story(
    article: ArticleEvidence,
    candidates: Sequence[StoryCandidate],
    config: GroupConfig = GroupConfig(),
    story_similarity: Mapping[frozenset[str], float] | None = None,
) -> GroupDecision:
    """Decide the article's story.

    Args:
        article: the article's time and key.
        candidates: stories with any evidence; duplicates of one story id are not allowed.
        config: thresholds.
        story_similarity: centroid cosine of each pair of candidate stories (key: the pair's
            ids); a missing pair counts as not alike. ``None``: not measured, every pair counts
            as alike (the rule before stories had to be alike to merge).

    Returns:
        The decision. The target is the linked story with the most shared clusters, then the
        highest similarity, then the oldest; the survivor of a merge is the oldest of the target
        and the merged stories. The result does not depend on the order of ``candidates``.

    Raises:
        ValueError: a story id appears twice among the candidates.
    """
    if len({c.story_id for c in candidates}) != len(candidates):
        raise ValueError("candidate story ids must be unique")
    if article.story_key is not None:
        if article.keyed_story_id is not None:
            return GroupDecision(article.keyed_story_id, reason="key")
        return GroupDecision(None, reason="new_key")

    window = config.window_hours * 3600.0

    def near(c: StoryCandidate) -> bool:
        return c.first_time - window <= article.time <= c.last_time + window

    def bar(c: StoryCandidate) -> float:
        return config.join_similarity if near(c) else config.resume_similarity

    def shares(c: StoryCandidate) -> bool:
        return c.shared_clusters >= config.min_shared_clusters

    def similar(c: StoryCandidate) -> bool:
        # A conflict of names counts outside the window only: within it, a developing story
        # names new people and places as it goes.
        return not (c.conflict and not near(c)) and c.similarity >= bar(c)

    def alike(a: StoryCandidate, b: StoryCandidate) -> bool:
        if story_similarity is None:
            return True
        pair = frozenset((a.story_id, b.story_id))
        return story_similarity.get(pair, 0.0) >= config.alike_similarity

    linked = [c for c in candidates if shares(c) or similar(c)]
    if not linked:
        return GroupDecision(None, reason="new")
    # Strongest evidence first; this order also decides key clashes, so it is total.
    linked.sort(key=lambda c: (-c.shared_clusters, -c.similarity, c.seq, c.story_id))
    quoting = [c for c in linked if shares(c)]
    quoted: tuple[str, ...] = ()
    if any(not alike(a, b) for x, a in enumerate(quoting) for b in quoting[x + 1 :]):
        # It quotes several unrelated stories: shared paragraphs decide nothing; it joins at
        # most the one it is about (similar enough to join on its own).
        about = sorted(
            (c for c in linked if similar(c)), key=lambda c: (-c.similarity, c.seq, c.story_id)
        )
        quoted = tuple(sorted(c.story_id for c in quoting if not about or c is not about[0]))
        if not about:
            return GroupDecision(None, reason="new", quoted=quoted)
        target = about[0]
        return GroupDecision(target.story_id, reason="similar", quoted=quoted)
    target = linked[0]
    reason = "shared" if shares(target) else "similar"
    group = [target]
    for c in linked[1:]:
        strong = shares(c) or (similar(c) and c.similarity >= config.merge_similarity)
        keys_clash = c.story_key is not None and any(
            g.story_key is not None and g.story_key != c.story_key for g in group
        )
        if strong and not keys_clash and all(alike(g, c) for g in group):
            group.append(c)
    group.sort(key=lambda c: (c.seq, c.story_id))
    return GroupDecision(
        group[0].story_id, merged=tuple(c.story_id for c in group[1:]), reason=reason
    )
