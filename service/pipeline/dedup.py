"""Near-duplicate paragraph clustering across outlets (pure; no I/O).

A wire story reprinted by several outlets shows up as the same paragraph, word for word or lightly
edited. Exact copies share one normalised text (see :mod:`service.pipeline.fingerprint`) and so one
text id; this stage decides, for each *new* distinct text, which existing near-duplicate cluster it
joins, given its nearest neighbours among the texts already indexed and the other new texts of the
same call.

Rule (nearest-member linkage, no cluster merging): a new text joins the cluster of its single most
similar text whose cosine is at least ``threshold``; otherwise it founds a new cluster. Clusters are
never merged afterwards, which keeps one borderline pair from chaining two unrelated clusters
together (the failure mode of single-link clustering). Texts are processed in ascending text id,
so the result does not depend on the order of the input sequences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """Near-duplicate decision.

    Attributes:
        threshold: least cosine (all-MiniLM-L6-v2, unit vectors) for two paragraphs to count as
            near-duplicates. 0.90 is chosen for precision: on MRPC test pairs it keeps false
            joins rare while light rewrites of one wire paragraph (a changed word, a dropped
            clause) still score above it; ``wiredesk eval dedup`` reports the curve.
        min_words: a text shorter than this only joins a cluster through an exact copy; short
            lines ("He said.") have unreliable embeddings and would glue unrelated stories.
    """

    threshold: float = 0.90
    min_words: int = 6

    def __post_init__(self) -> None:
        if not -1.0 <= self.threshold <= 1.0:
            raise ValueError("dedup threshold must be a cosine in [-1, 1]")
        if self.min_words < 0:
            raise ValueError("dedup min_words must be >= 0")


@dataclass(frozen=True, slots=True)
class NewText:
    """A distinct text that has no cluster yet.

    Attributes:
        text_id: its id (unique among new and existing texts).
        vector: unit-normalised float32 vector, shape ``(dim,)``.
        word_count: words in the text.
    """

    text_id: int
    vector: NDArray[np.float32]
    word_count: int


@dataclass(frozen=True, slots=True)
class Neighbour:
    """An existing text near a new one."""

    text_id: int
    score: float


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where one new text went.

    Attributes:
        text_id: the new text.
        cluster_id: the cluster it joined or founded.
        founded: whether it founded ``cluster_id``.
        matched_text_id: the text it was matched to, when it joined one.
        score: that match's cosine (``None`` when it founded a cluster).
    """

    text_id: int
    cluster_id: str
    founded: bool
    matched_text_id: int | None = None
    score: float | None = None


def assign_clusters(
    new_texts: Sequence[NewText],
    neighbours: Mapping[int, Sequence[Neighbour]],
    cluster_of: Mapping[int, str],
    next_cluster_seq: int,
    config: DedupConfig = DedupConfig(),
) -> tuple[tuple[Assignment, ...], int]:
    """Assign each new text to a near-duplicate cluster.

    Args:
        new_texts: texts to place; ids must be unique and absent from ``cluster_of``.
        neighbours: for each new text id, nearest existing texts (any order; ids missing from
            ``cluster_of`` are ignored, so stale index hits are harmless).
        cluster_of: cluster of every existing text that may appear as a neighbour.
        next_cluster_seq: sequence number of the next new cluster (``c<seq>``).
        config: thresholds.

    Returns:
        ``(assignments, next_cluster_seq)``: one assignment per new text in ascending text id,
        and the counter after the clusters founded here. Ties between equally close candidates
        go to the lower text id.

    Raises:
        ValueError: duplicate new text ids, or a new id that already has a cluster.
    """
    ordered = sorted(new_texts, key=lambda t: t.text_id)
    ids = [t.text_id for t in ordered]
    if len(set(ids)) != len(ids):
        raise ValueError("new text ids must be unique")
    if any(i in cluster_of for i in ids):
        raise ValueError("a new text id already has a cluster")

    # Similarities among the new texts themselves: they are not in the index yet.
    if ordered:
        matrix = np.stack([np.asarray(t.vector, dtype=np.float32) for t in ordered])
        within = matrix @ matrix.T
    else:
        within = np.zeros((0, 0), dtype=np.float32)

    placed: dict[int, str] = {}
    result: list[Assignment] = []
    seq = next_cluster_seq
    for row, text in enumerate(ordered):
        best: tuple[float, int, str] | None = None  # (score, -text_id for ties, cluster)
        if text.word_count >= config.min_words:
            candidates = [
                (n.score, n.text_id, cluster_of[n.text_id])
                for n in neighbours.get(text.text_id, ())
                if n.text_id in cluster_of and n.score >= config.threshold
            ]
            candidates += [
                (float(within[row, col]), ordered[col].text_id, placed[ordered[col].text_id])
                for col in range(row)
                if ordered[col].word_count >= config.min_words
                and within[row, col] >= config.threshold
            ]
            for score, other, cluster in candidates:
                if best is None or (score, -other) > (best[0], -best[1]):
                    best = (score, other, cluster)
        if best is None:
            cluster_id = f"c{seq}"
            seq += 1
            placed[text.text_id] = cluster_id
            result.append(Assignment(text.text_id, cluster_id, founded=True))
        else:
            placed[text.text_id] = best[2]
            result.append(
                Assignment(
                    text.text_id, best[2], founded=False, matched_text_id=best[1], score=best[0]
                )
            )
    return tuple(result), seq
