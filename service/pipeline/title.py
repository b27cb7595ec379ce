"""A story's title: the headline of its most central article, with hysteresis (pure; no I/O).

The rule (also in the README):

1. Each member's **centrality** is the mean cosine between its document vector (the unit mean
   of its paragraph embeddings, the vector story grouping uses) and every other member's.
   With unit vectors ``v_i`` and their sum ``S`` over ``n`` members this is
   ``(v_i · S - 1) / (n - 1)``; a story of one article gives its only member centrality 1.
2. Only members with a non-empty headline are candidates. The best candidate has the highest
   centrality; ties go to the earliest (publication time, then ingestion order).
3. **Hysteresis**: the member that supplies the current title keeps it while it is still a
   titled member whose centrality is within ``margin`` of the best. An equal-score newcomer
   therefore never takes the title, and in a story of two articles (whose centralities are
   equal by symmetry) the first headline stays.
4. The rule runs only when the story's membership or a member's content changes (see
   :func:`service.lineage.finalise`), so titles never move on their own.

A stray article B that joins a story about A is the least central member as soon as the story
has two articles about A, and cannot take the title from the incumbent while there is one: a
story about A is not titled after B. Centrality by mean similarity to the other members is the
"centroid" selection of multi-document summarisation (Radev et al., 2004, "Centroid-based
summarization of multiple documents"), applied to headlines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class TitleConfig:
    """The title rule's settings.

    Attributes:
        margin: how much more central (mean cosine, all-MiniLM-L6-v2 document vectors) a
            member must be than the incumbent to take the title. Chosen on Giveme5W1H alone
            (``wiredesk eval stream``, regrouping after every arrival): title changes per 100
            articles were 42.0 at margin 0, 34.0 at 0.01, 29.6 at 0.02, 18.5 at 0.05 and 13.6
            at 0.1. 0.05 removes over half the changes of no margin while staying well below
            the lead of an article about the story over a stray member: articles join a
            story at a document-to-centroid cosine of 0.55 or more
            (:attr:`~service.pipeline.group.GroupConfig.join_similarity`), a stray one had
            none of that evidence.
    """

    margin: float = 0.05

    def __post_init__(self) -> None:
        if not self.margin >= 0:
            raise ValueError("margin must be >= 0")


@dataclass(frozen=True, slots=True, eq=False)
class TitleMember:
    """One member of the story as the rule sees it.

    Attributes:
        article_id: the article.
        title: its headline, if any.
        time: publication (else ingestion) time, POSIX seconds.
        seq: ingestion order (breaks ties of time).
        vector: its unit document vector, shape ``(dim,)``.
    """

    article_id: str
    title: str | None
    time: float
    seq: int
    vector: NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TitleChoice:
    """The chosen title and the member it comes from."""

    title: str
    article_id: str


def centrality(vectors: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mean cosine of each unit row to every other row.

    Args:
        vectors: shape ``(n, dim)``, unit rows.

    Returns:
        Shape ``(n,)``; all ones when ``n == 1``.
    """
    n = vectors.shape[0]
    if n <= 1:
        return np.ones(n, dtype=np.float64)
    total = vectors.sum(axis=0)
    self_sim = np.einsum("ij,ij->i", vectors, vectors)
    out: NDArray[np.float64] = (vectors @ total - self_sim) / (n - 1)
    return out


def choose_title(
    members: Sequence[TitleMember], incumbent: str | None, config: TitleConfig = TitleConfig()
) -> TitleChoice | None:
    """The story's title under the rule in the module docstring.

    Args:
        members: the story's articles after the change, any order.
        incumbent: the article id that supplied the title before the change, if any.
        config: the hysteresis margin.

    Returns:
        The title and its article, or ``None`` when no member has a headline. The result does
        not depend on the order of ``members``.
    """
    if not members:
        return None
    ordered = sorted(members, key=lambda m: (m.time, m.seq, m.article_id))
    scores = centrality(np.stack([m.vector for m in ordered]).astype(np.float64))
    titled = [(float(s), m) for s, m in zip(scores, ordered, strict=True) if _headline(m)]
    if not titled:
        return None
    # Ties (to rounding: float sums differ in the last bits) go to the earliest member, and
    # ``ordered`` is earliest first.
    best_score = max(score for score, _ in titled)
    best = next(m for score, m in titled if score >= best_score - _TIE)
    for score, member in titled:
        if member.article_id == incumbent and score >= best_score - config.margin:
            best = member
            break
    return TitleChoice(_headline(best), best.article_id)


_TIE = 1e-9  # cosines equal to this are equal (float64 rounding of the sums is ~1e-16)


def _headline(member: TitleMember) -> str:
    return (member.title or "").strip()
