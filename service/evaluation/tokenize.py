r"""Word counting, truncation and tokenisation shared by the metrics and the baselines.

Two notions of "word" are used on purpose:

* **Budget words** are whitespace-separated tokens (``str.split()``). DUC's length limit
  ("100 words") counts them this way, so summary budgets and the truncation before ROUGE use it.
* **Content words** are maximal runs of letters, digits and combining marks, case-folded.
  They feed the centroid and sumy baselines and the non-English ROUGE tokeniser, and they work
  in every script the data sets use (Latin, Greek, Arabic, Hebrew, Devanagari), unlike
  rouge-score's default tokeniser, which keeps ``[a-z0-9]`` only and so erases non-Latin text
  completely. Combining marks matter: Python's ``\w`` does not match Devanagari vowel signs
  (category Mc/Mn), so a plain ``\w+`` regex would cut Hindi words into pieces.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Runs of characters that are neither word characters nor combining marks (Unicode categories
# Mn, Mc, Me) separate words. Python's \w covers letters and digits (plus "_", which we also
# treat as a separator) but not marks, so the marks are added explicitly: the class is built
# from the Basic Multilingual Plane once, on first use (see _separator_re).
_MARK_CATEGORIES = frozenset({"Mn", "Mc", "Me"})


@functools.cache
def _separator_re() -> re.Pattern[str]:
    """Regex matching one or more non-word characters (combining marks count as word)."""
    marks = [
        chr(code) for code in range(0x10000) if unicodedata.category(chr(code)) in _MARK_CATEGORIES
    ]
    mark_class = "".join(re.escape(mark) for mark in marks)
    return re.compile(rf"(?:[^\w{mark_class}]|_)+")


def budget_words(text: str) -> list[str]:
    """Split ``text`` into budget words (whitespace-separated tokens).

    Args:
        text: any text.

    Returns:
        The tokens in order; ``[]`` for empty or whitespace-only text.
    """
    return text.split()


def count_words(text: str) -> int:
    """Count budget words (whitespace-separated tokens), as DUC's 100-word limit does.

    Args:
        text: any text.

    Returns:
        The number of tokens ``text.split()`` yields (0 for empty text).
    """
    return len(text.split())


def truncate_words(text: str, max_words: int | None) -> str:
    """Keep the first ``max_words`` budget words of ``text``.

    Args:
        text: any text.
        max_words: the budget; ``None`` keeps everything. Must be >= 0.

    Returns:
        The kept tokens joined by single spaces (so runs of whitespace and newlines are
        collapsed even when nothing is cut). ``""`` when ``max_words`` is 0.

    Raises:
        ValueError: if ``max_words`` is negative.
    """
    if max_words is not None and max_words < 0:
        raise ValueError(f"max_words must be >= 0, got {max_words}")
    tokens = text.split()
    if max_words is not None:
        tokens = tokens[:max_words]
    return " ".join(tokens)


def content_words(text: str) -> list[str]:
    """Case-folded words of ``text`` (letters, digits, combining marks) after NFKC normalisation.

    Args:
        text: any text, any script.

    Returns:
        The words in order, case-folded; punctuation and whitespace are dropped.
    """
    pieces = _separator_re().split(unicodedata.normalize("NFKC", text))
    return [piece.casefold() for piece in pieces if piece]


class UnicodeRougeTokenizer:
    """A rouge-score tokeniser for any script: case-folded Unicode words, no stemming.

    rouge-score's ``RougeScorer(tokenizer=...)`` calls only ``tokenize``. Use it for the
    non-English MultiLing languages; for English keep rouge-score's default tokeniser with the
    Porter stemmer, which is what published DUC/TAC numbers use.
    """

    def tokenize(self, text: str) -> list[str]:
        """Return the content words of ``text`` (see :func:`content_words`)."""
        return content_words(text)
