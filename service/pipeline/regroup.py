"""Story regrouping: re-cluster recent stories on z-normalised TF-IDF, keeping story ids (pure).

The online grouping (:mod:`service.pipeline.group`) must decide an article's story the moment
it arrives, from what is known then, with fixed bars. Labelled news disagrees on where those
bars belong: Giveme5W1H splits one week's election coverage into twelve events that share most
of their words, while DUC 2003 and MultiLing 2011 group a topic's coverage over months, whose
articles share few. A TF-IDF clustering needs a cosine bar near 0.2 on the first and near 0.08
on the others (docs/EVALUATION.md), so no single bar serves both.

This stage is the second, slower pass that fixes that. Every few seconds it re-clusters the
articles of the most recent unkeyed stories from scratch:

1. **TF-IDF** over those articles (paragraphs, and the title's words counted ``title_weight``
   times: the headline names the story; sublinear tf ``1 + ln tf``, smoothed
   idf ``ln((1 + n) / (1 + df)) + 1``, rows L2-normalised: scikit-learn's ``TfidfVectorizer``
   conventions, with the content-word tokens of :mod:`service.pipeline.lexical`);
2. **z-normalised similarity**: each article's cosines are standardised by the mean and standard
   deviation of its cosines to all the others, and the pair's score is the mean of its two
   z-scores. This is the score normalisation of the topic detection and tracking systems (the
   "story-specific" normalisation of Allan et al. 2000, "Detections, bounds, and timelines:
   UMass and TDT-3"; Zhang et al. 2002): how far a pair stands out from each article's
   background, not its raw cosine, so the bar adapts to a stream whose stories share
   vocabulary;
3. **average-link agglomerative clustering** at one z bar (``link_z``);
4. **stable ids**: each new group keeps the id of the story that gives it the most articles
   (ties: the oldest story); a group that only takes articles whose stories were already
   claimed founds a new story; a story left with no article redirects to the group that took
   most of its articles, as an online merge does.

Because it starts from scratch each time, and clusters in article-id order (average linkage
breaks ties by position), the result depends only on the set of articles and their current
stories, not on the order they are given in or on earlier passes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import csr_matrix


@dataclass(frozen=True, slots=True)
class RegroupConfig:
    """Story regrouping settings.

    Attributes:
        enabled: run the pass at all (off: the online grouping's decisions stand).
        link_z: least average z-normalised TF-IDF similarity between two groups for them to
            join. Chosen on Giveme5W1H, MultiLing 2011 and DUC 2003 together
            (``wiredesk eval stories``; docs/EVALUATION.md): with ``title_weight`` 24 every
            bar from 1.35 to 1.475 gives BCubed F1 0.969 / 0.991 / 0.970, above the TF-IDF
            baseline's per-set oracle on all three even at a 0.0025 threshold grid; 1.40 is the
            middle. 1.325 lost Giveme5W1H precision (0.910), 1.50 some of its recall (0.954).
        max_articles: the pass takes whole stories, most recently updated first, up to this
            many articles; older stories keep their articles. Time and memory grow with its
            square: 0.30 s and 37 MiB at 1,000 articles, 0.66 s and 143 MiB at 2,000, 3.0 s
            and 560 MiB at 4,000 (``python -m bench regroup``; docs/PERFORMANCE.md).
        min_articles: below this many articles the background statistics mean nothing and the
            pass does not run.
        title_weight: each word of an article's title counts this many times in its term
            counts (a paragraph word counts once): the headline names the story. This is
            field weighting as in BM25F (Robertson, Zaragoza & Taylor 2004). Sublinear TF keeps it
            gentle: a word only in the title weighs ``1 + ln 24`` = 4.2 times a word met once
            in the body. BCubed F1 (Giveme5W1H / MultiLing; DUC 2003's copy has no titles and
            stays 0.970) at ``link_z`` 1.40: 0.954 / 0.970 at 1 (a title word is one more
            word), 0.954 / 0.991 at 8, 0.969 / 0.991 at 16 to 48. Heavier titles widen the range
            of bars that give those figures (1.35-1.425 at 16, 1.35-1.475 at 24, 1.325-1.50 at
            48) but lean more on headlines, which on a real feed can be generic ("Live
            updates"); 24 is the lightest weight whose range has 1.40 at least 0.05 from
            either edge.
    """

    enabled: bool = True
    link_z: float = 1.40
    max_articles: int = 2000
    min_articles: int = 10
    title_weight: int = 24

    def __post_init__(self) -> None:
        if self.max_articles < 2:
            raise ValueError("max_articles must be >= 2")
        if self.min_articles < 3:
            raise ValueError("min_articles must be >= 3 (a standard deviation needs two others)")
        if not math.isfinite(self.link_z):
            raise ValueError("link_z must be finite")
        if self.title_weight < 0:
            raise ValueError("title_weight must be >= 0")


@dataclass(frozen=True, slots=True)
class RegroupArticle:
    """One article of the pass.

    Attributes:
        article_id: its id.
        story_id: its current story (after redirects).
        story_seq: that story's creation order (lower = older), for ties.
        terms: its content-word counts (title and body).
    """

    article_id: str
    story_id: str
    story_seq: int
    terms: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class RegroupGroup:
    """One group of the result.

    Attributes:
        story_id: the existing story it keeps, or ``None`` to found a new one.
        article_ids: its articles, in input order.
    """

    story_id: str | None
    article_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RegroupPlan:
    """The result of a pass.

    Attributes:
        groups: every article of the input in exactly one group; groups ordered by their first
            article's input position.
        dissolved: story left with no article -> index into ``groups`` of the group that took
            most of its articles (ties: the earlier group).
    """

    groups: tuple[RegroupGroup, ...]
    dissolved: Mapping[str, int]


def tfidf_matrix(terms: Sequence[Mapping[str, int]]) -> csr_matrix:
    """Rows of L2-normalised sublinear TF-IDF, idf fitted on ``terms`` themselves.

    Args:
        terms: per document, term -> count (counts >= 1).

    Returns:
        ``(len(terms), vocabulary)`` float64 CSR; a document with no term is an all-zero row.
    """
    vocabulary: dict[str, int] = {}
    df: Counter[str] = Counter()
    for doc in terms:
        df.update(doc.keys())
    n = len(terms)
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for row, doc in enumerate(terms):
        weights = [
            (1.0 + math.log(count)) * (math.log((1.0 + n) / (1.0 + df[term])) + 1.0)
            for term, count in doc.items()
        ]
        norm = math.sqrt(sum(w * w for w in weights)) or 1.0
        for term, weight in zip(doc, weights, strict=True):
            rows.append(row)
            cols.append(vocabulary.setdefault(term, len(vocabulary)))
            vals.append(weight / norm)
    return csr_matrix((vals, (rows, cols)), shape=(n, max(1, len(vocabulary))))


def z_similarity(similarity: NDArray[np.float64]) -> NDArray[np.float64]:
    """Symmetric z-normalised similarities.

    ``z[i, j] = ((s[i, j] - mu_i) / sd_i + (s[i, j] - mu_j) / sd_j) / 2``, where ``mu_i`` and
    ``sd_i`` are the mean and (population) standard deviation of row ``i`` without its diagonal;
    a row with no spread gets ``sd = 1``.

    Args:
        similarity: ``(n, n)`` symmetric, ``n >= 2``.

    Returns:
        ``(n, n)`` symmetric; the diagonal is 0.
    """
    s = np.asarray(similarity, dtype=np.float64)
    n = s.shape[0]
    off = ~np.eye(n, dtype=bool)
    mu = np.where(off, s, 0.0).sum(axis=1) / (n - 1)
    sd = np.sqrt(np.where(off, (s - mu[:, None]) ** 2, 0.0).sum(axis=1) / (n - 1))
    sd[sd <= 1e-12] = 1.0
    one_sided = (s - mu[:, None]) / sd[:, None]
    z: NDArray[np.float64] = (one_sided + one_sided.T) / 2.0
    np.fill_diagonal(z, 0.0)
    return z


def average_link(score: NDArray[np.float64], bar: float) -> list[int]:
    """Average-link agglomerative clustering: groups join while their mean pairwise score >= bar.

    Args:
        score: ``(n, n)`` symmetric pairwise scores (any real scale); the diagonal is ignored.
        bar: the least mean score at which two groups join.

    Returns:
        ``n`` labels numbered 0, 1, ... in order of first occurrence.
    """
    n = score.shape[0]
    if n == 0:
        return []
    if n == 1:
        return [0]
    # Average linkage is shift-invariant (the mean of c - s is c - mean s), so distances
    # c - s with c = max s are non-negative and "mean score >= bar" is "distance <= c - bar".
    top = float(np.max(score))
    if bar > top:  # no pair reaches the bar: singletons
        return list(range(n))
    distance = top - score
    np.fill_diagonal(distance, 0.0)
    tree = linkage(distance[np.triu_indices(n, k=1)], method="average")
    labels: dict[int, int] = {}
    return [
        labels.setdefault(int(r), len(labels))
        for r in fcluster(tree, t=top - bar, criterion="distance")
    ]


def regroup(articles: Sequence[RegroupArticle], config: RegroupConfig) -> RegroupPlan:
    """Re-cluster the articles and map the groups onto their stories' ids.

    Args:
        articles: the pass's articles (unique ids; whole stories).
        config: the bar and limits; fewer than ``config.min_articles`` articles leave every
            story as it is.

    Returns:
        The plan. Every existing story of the input either keeps a group or is dissolved;
        a story id is kept by at most one group.

    Raises:
        ValueError: an article id appears twice.
    """
    if len({a.article_id for a in articles}) != len(articles):
        raise ValueError("article ids must be unique")
    if len(articles) < config.min_articles:
        by_story: dict[str, list[str]] = {}
        for a in articles:
            by_story.setdefault(a.story_id, []).append(a.article_id)
        return RegroupPlan(tuple(RegroupGroup(s, tuple(ids)) for s, ids in by_story.items()), {})
    # Cluster in article-id order: average linkage breaks ties of score by position, so a
    # fixed order makes the result depend on the set of articles alone.
    order = sorted(range(len(articles)), key=lambda i: articles[i].article_id)
    matrix = tfidf_matrix([articles[i].terms for i in order])
    similarity: NDArray[np.float64] = np.asarray((matrix @ matrix.T).toarray(), dtype=np.float64)
    sorted_labels = average_link(z_similarity(similarity), config.link_z)
    label_of = dict(zip(order, sorted_labels, strict=True))
    members: dict[int, list[int]] = {}
    for position in range(len(articles)):  # groups in order of their first input article
        members.setdefault(label_of[position], []).append(position)
    return _keep_ids(articles, list(members.values()))


def _keep_ids(articles: Sequence[RegroupArticle], members: list[list[int]]) -> RegroupPlan:
    """Give each group the story that supplies most of it; dissolve stories left empty."""
    seq = {a.story_id: a.story_seq for a in articles}
    overlap: Counter[tuple[int, str]] = Counter(
        (g, articles[i].story_id) for g, positions in enumerate(members) for i in positions
    )
    # Largest contributions first; ties to the older story, then the earlier group.
    pairs = sorted(overlap.items(), key=lambda kv: (-kv[1], seq[kv[0][1]], kv[0][1], kv[0][0]))
    owner: dict[int, str] = {}
    taken: set[str] = set()
    for (group, story), _ in pairs:
        if group not in owner and story not in taken:
            owner[group] = story
            taken.add(story)
    dissolved: dict[str, int] = {}
    for story in sorted(set(seq) - taken, key=lambda s: (seq[s], s)):
        counts = [(overlap.get((g, story), 0), -g) for g in range(len(members))]
        dissolved[story] = -max(counts)[1]
    groups = tuple(
        RegroupGroup(owner.get(g), tuple(articles[i].article_id for i in positions))
        for g, positions in enumerate(members)
    )
    return RegroupPlan(groups, dissolved)
