"""Lexical signatures of paragraphs: the second signal of the near-duplicate decision (pure).

An embedding says two paragraphs are *about* the same thing; it is weak at telling a copy from
a paragraph that changes a number, a name or a claim (MRPC's negatives are mostly such pairs:
one sentence adds or swaps a fact). Wire copies and light rewrites keep almost every content
word and every number, so :mod:`service.pipeline.dedup` also compares these signatures.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final

from service.pipeline.facts import Facts, fact_signature

# Function words carry no content; a rewrite that swaps "the" for "a" is still a copy. A short,
# fixed list (English wire copy) keeps the signature cheap and deterministic. Negations ("not",
# "no", "never") are NOT stopwords: dropping one changes what a paragraph says.
_STOPWORD_TEXT: Final = (
    "a an the of to in on at for and or but is are was were be been being by with as from that "
    "this these those it its he she they them his her their we our you your i said says say "
    "will would shall should can could may might has have had do does did so than then there "
    "here also into about over after before up out"
)
STOPWORDS: Final = frozenset(_STOPWORD_TEXT.split())
# Number words count as numbers (AP style spells out one to nine: "six hours" in one outlet's
# copy is "6 hours" in another's, and "two workers" vs "three workers" is a different fact).
_SMALL_NUMBERS: Final = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
_TENS: Final = {
    "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70",
    "eighty": "80", "ninety": "90", "hundred": "100", "thousand": "1000", "million": "1000000",
    "billion": "1000000000", "dozen": "12",
}  # fmt: skip
NUMBER_WORDS: Final = {w: str(v) for v, w in enumerate(_SMALL_NUMBERS.split())} | _TENS
_WORD: Final = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_NUMBER: Final = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True, slots=True)
class Signature:
    """What a paragraph says, lexically.

    Attributes:
        words: its content words, lower-cased (stopwords and numbers removed).
        numbers: its numbers, thousands separators removed ("1,200" -> "1200"), number words
            as digits ("six" -> "6").
        facts: its fact signature (quantities with units, negations, polarity, roles; see
            :mod:`service.pipeline.facts`).
    """

    words: frozenset[str]
    numbers: frozenset[str]
    facts: Facts


# Memoised: the dedup check asks for the signature of every index neighbour of every new
# paragraph (8 per paragraph), mostly the same recent texts again and again, at ~35 us a call.
# Signatures are immutable, so sharing them is safe; 4,096 of them take about 15 MB.
@functools.lru_cache(maxsize=4096)
def signature(text: str) -> Signature:
    """The lexical signature of ``text`` (empty sets for an empty text)."""
    tokens = _WORD.findall(text.lower())
    words = frozenset(
        w for w in tokens if w not in STOPWORDS and w not in NUMBER_WORDS and not w.isdigit()
    )
    numbers = {n.replace(",", "") for n in _NUMBER.findall(text)}
    numbers.update(NUMBER_WORDS[w] for w in tokens if w in NUMBER_WORDS)
    return Signature(words, frozenset(numbers), fact_signature(text))


def jaccard(a: Signature, b: Signature) -> float:
    """Jaccard similarity of the content words, in [0, 1]; 1.0 when both have none."""
    union = len(a.words | b.words)
    return len(a.words & b.words) / union if union else 1.0


# Tokens of two or more word characters: scikit-learn's default ``token_pattern``.
_TERM: Final = re.compile(r"\b\w\w+\b")


def content_terms(text: str) -> dict[str, int]:
    """Counts of the content words of ``text``, lower-cased, for TF-IDF (stopwords dropped).

    Tokens are runs of two or more word characters (numbers included: "2016" and "737" name
    things); underscores count as word characters, apostrophes split ("trump's" gives
    "trump"). Empty text gives an empty dict.
    """
    counts: dict[str, int] = {}
    for token in _TERM.findall(text.lower()):
        if token not in STOPWORDS:
            counts[token] = counts.get(token, 0) + 1
    return counts
