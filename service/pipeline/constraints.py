"""Cannot-link evidence between articles: named entities and places that conflict (pure).

Templated news reuses whole sentences across unrelated events: "A fire tore through a ...
early Tuesday, forcing ... residents to leave their homes" is written for every fire. Word
overlap and sentence embeddings rate two such articles alike, yet they are different stories
because *who* and *where* differ. Topic detection and tracking systems met the same problem and
compared named entities separately from the rest of the text (Kumaran & Allan 2004, "Text
classification and named entities for new event detection"; Yang et al. 2002, "Topic-conditioned
novelty detection"): two reports of one event name the same places, people and organisations.

This module extracts a cheap, deterministic proxy for those entities — capitalised words that
do not open a sentence, all-capital words (datelines such as "MILLBROOK, Ohio (AP)"), minus
calendar words and a few titles — and declares a **conflict** when two articles (or two groups
of articles) each name at least ``min_entities`` of them and share almost none
(:func:`entity_conflict`). A conflict is a *cannot-link* constraint in the sense of Wagstaff et
al. 2001 ("Constrained K-means clustering with background knowledge"): the online grouping
(:mod:`service.pipeline.group`) does not join or merge across it and the regrouping pass
(:mod:`service.pipeline.regroup`) never puts both sides in one group.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

# Calendar words, function words and titles are capitalised in every story: they name no
# event. Weekdays matter most: the fire template says "early Tuesday" whatever the town.
_NOT_ENTITY_TEXT: Final = (
    "monday tuesday wednesday thursday friday saturday sunday january february march april "
    "may june july august september october november december mr mrs ms dr sir st mt "
    "i a an the this that these those it its he she they we you our their his her there "
    "here but and or if when while after before as at in on of for to by with from "
    "ap reuters afp upi cnn bbc ap's news said says according "
    # Titles and roles name an office, not the event: every fire has a "Fire Chief".
    "chief president prime minister governor mayor senator sen rep gov secretary director "
    "officer captain sheriff judge general commissioner spokesman spokeswoman police"
)
_NOT_ENTITIES: Final = frozenset(_NOT_ENTITY_TEXT.split())
_TOKEN: Final = re.compile(r"[A-Za-z][A-Za-z'’.\-]*[A-Za-z]|[A-Za-z]")
_SENTENCE_END: Final = re.compile(r"[.!?:;\"“”—–\-(]\s*$")


@dataclass(frozen=True, slots=True)
class EntityConfig:
    """When two entity sets conflict.

    Attributes:
        min_entities: each side must name at least this many distinct entities before a lack
            of overlap means anything. Three: a short article naming one town and nothing else
            says too little to be told apart.
        max_overlap: the sides conflict when the overlap coefficient
            ``|A & B| / min(|A|, |B|)`` is at most this. 0.1: sharing one entity in ten is
            still a conflict (a state name, "Ohio", is shared by many unrelated stories);
            reports of one event share its town, its officials and its company.
    """

    min_entities: int = 3
    max_overlap: float = 0.1

    def __post_init__(self) -> None:
        if self.min_entities < 1:
            raise ValueError("min_entities must be >= 1")
        if not 0.0 <= self.max_overlap < 1.0:
            raise ValueError("max_overlap must be in [0, 1)")


@functools.lru_cache(maxsize=8192)
def named_entities(text: str) -> frozenset[str]:
    """The entity proxy of a text: lower-cased capitalised tokens that do not open a sentence.

    A token counts when it starts with a capital and does not follow a sentence end (or the
    start of a line), or when it is all capitals of two or more letters (a dateline's town).
    Calendar words and titles are dropped.

    Args:
        text: paragraphs separated by newlines (a title may be the first line).

    Returns:
        The set of entity tokens, lower-cased ("Dana Ruiz" gives ``{"dana", "ruiz"}``).
    """
    out: set[str] = set()
    for line in text.splitlines():
        for match in _TOKEN.finditer(line):
            token = match.group(0).strip(".'’-")
            if not token or not token[0].isupper():
                continue
            word = token.lower()
            if word in _NOT_ENTITIES or len(word) < 2:
                continue
            shouting = token.isupper() and len(token) >= 3
            opens = match.start() == 0 or bool(_SENTENCE_END.search(line[: match.start()]))
            if shouting or not opens:
                out.add(word)
    return frozenset(out)


def article_entities(title: str | None, paragraphs: Iterable[str]) -> frozenset[str]:
    """The entities of an article's title and paragraphs."""
    return named_entities("\n".join([title or "", *paragraphs]))


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap coefficient ``|a & b| / min(|a|, |b|)``; 1.0 when either is empty."""
    smaller = min(len(a), len(b))
    return len(a & b) / smaller if smaller else 1.0


def entity_conflict(a: frozenset[str], b: frozenset[str], config: EntityConfig) -> bool:
    """Whether two entity sets name different events (a cannot-link).

    Args:
        a: entities of one article or group (see :func:`named_entities`).
        b: entities of the other.
        config: the bars.

    Returns:
        True when both name at least ``config.min_entities`` entities and their overlap
        coefficient is at most ``config.max_overlap``.
    """
    if len(a) < config.min_entities or len(b) < config.min_entities:
        return False
    return overlap(a, b) <= config.max_overlap
