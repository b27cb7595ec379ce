"""Near-duplicate paragraph clustering across outlets (pure; no I/O).

A wire story reprinted by several outlets shows up as the same paragraph, word for word or lightly
edited. Exact copies share one normalised text (see :mod:`service.pipeline.fingerprint`) and so one
text id; this stage decides, for each *new* distinct text, which existing near-duplicate cluster it
joins, given its nearest neighbours among the texts already indexed and the other new texts of the
same call.

Decision (:func:`is_near_duplicate`): two texts are near-duplicates only if they state the same
facts (:func:`service.pipeline.facts.same_facts`: the same quantities with sign, scale and unit,
the same negations, no antonym verb flipped, no roles swapped), whatever their cosine; and then
when their cosine is at least ``threshold`` (so close that only a copy scores it), or when it is
at least ``lexical_threshold`` *and* they say the same lexically: the same numbers and a
content-word Jaccard of at least ``min_jaccard`` (see :mod:`service.pipeline.lexical`). The
embedding alone cannot tell "killing 10 people" from "killing 12 people" (cosine 0.99) or "will
reopen" from "will not reopen"; the fact check can, on both paths, so a cluster never holds two
paragraphs that state different facts. The signals together keep precision high at more than
twice the recall of the cosine alone (``wiredesk eval dedup``).

Rule (nearest-member linkage, no cluster merging): a new text joins the cluster of its single most
similar text that is a near-duplicate of it; otherwise it founds a new cluster. Clusters are
never merged afterwards, which keeps one borderline pair from chaining two unrelated clusters
together (the failure mode of single-link clustering). Texts are processed in ascending text id,
so the result does not depend on the order of the input sequences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from service.pipeline.facts import facts_differ
from service.pipeline.lexical import Signature, jaccard


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """Near-duplicate decision.

    The defaults were chosen on MRPC *train* for precision >= 0.95 and scored once on MRPC test
    (``wiredesk eval dedup``; docs/EVALUATION.md): precision 0.960, recall 0.167 there, where
    the cosine alone needs 0.961 for precision 0.95 and then finds 9% of the paraphrases. With
    the fact check on both paths (no knob changed): precision 0.963, recall 0.157.

    Attributes:
        threshold: cosine (all-MiniLM-L6-v2, unit vectors) at or above which two paragraphs
            are near-duplicates whatever their words.
        lexical_threshold: least cosine at which the lexical check can make two paragraphs
            near-duplicates. Lower values admit topical neighbours that happen to share words.
        min_jaccard: least content-word Jaccard for the lexical check (the numbers must also
            be the same). Swapping two words of a 10-content-word sentence scores 8/12 = 0.67,
            one word 9/11 = 0.82. Chosen with the cosines on MRPC train (grid 0.96-0.98 x
            0.80-0.90 x 0.60-0.80): the most recall at precision >= 0.95.
        min_words: a text shorter than this only joins a cluster through an exact copy; short
            lines ("He said.") have unreliable embeddings and would glue unrelated stories.
    """

    threshold: float = 0.97
    lexical_threshold: float = 0.88
    min_jaccard: float = 0.70
    min_words: int = 6

    def __post_init__(self) -> None:
        for name in ("threshold", "lexical_threshold"):
            if not -1.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"dedup {name} must be a cosine in [-1, 1]")
        if self.lexical_threshold > self.threshold:
            raise ValueError("dedup lexical_threshold must be <= threshold")
        if not 0.0 <= self.min_jaccard <= 1.0:
            raise ValueError("dedup min_jaccard must be in [0, 1]")
        if self.min_words < 0:
            raise ValueError("dedup min_words must be >= 0")


@dataclass(frozen=True, slots=True)
class NewText:
    """A distinct text that has no cluster yet.

    Attributes:
        text_id: its id (unique among new and existing texts).
        vector: unit-normalised float32 vector, shape ``(dim,)``.
        word_count: words in the text.
        signature: its lexical signature; ``None`` leaves only the cosine rule.
        lexical_only: its vector is no evidence by itself (a language the embedder was not
            trained on, :mod:`service.pipeline.language`): it is a near-duplicate only through
            the lexical check (same numbers, content-word Jaccard), never on cosine alone.
    """

    text_id: int
    vector: NDArray[np.float32]
    word_count: int
    signature: Signature | None = None
    lexical_only: bool = False


@dataclass(frozen=True, slots=True)
class Neighbour:
    """An existing text near a new one (``signature`` ``None``: only the cosine rule)."""

    text_id: int
    score: float
    signature: Signature | None = None


def is_near_duplicate(
    score: float,
    a: Signature | None,
    b: Signature | None,
    config: DedupConfig,
    lexical_only: bool = False,
) -> bool:
    """The near-duplicate decision for two texts (see the module docstring).

    Args:
        score: their cosine.
        a: one text's signature, or ``None`` when unknown (then only the cosine rule applies:
            the service always passes both; ``None`` is for callers that hold vectors only).
        b: the other's.
        config: thresholds.
        lexical_only: the cosine alone decides nothing (see :attr:`NewText.lexical_only`).
    """
    if a is not None and b is not None and facts_differ(a.facts, b.facts):
        return False  # different facts are never one cluster, however close the vectors
    if score >= config.threshold and not lexical_only:
        return True
    if score < config.lexical_threshold or a is None or b is None:
        return False
    return a.numbers == b.numbers and jaccard(a, b) >= config.min_jaccard


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
                if n.text_id in cluster_of
                and is_near_duplicate(
                    n.score, text.signature, n.signature, config, text.lexical_only
                )
            ]
            candidates += [
                (float(within[row, col]), ordered[col].text_id, placed[ordered[col].text_id])
                for col in range(row)
                if ordered[col].word_count >= config.min_words
                and is_near_duplicate(
                    float(within[row, col]),
                    text.signature,
                    ordered[col].signature,
                    config,
                    text.lexical_only or ordered[col].lexical_only,
                )
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
