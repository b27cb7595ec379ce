"""Exact-copy fingerprints of paragraph texts (pure, no I/O).

Purpose: wire copy is republished by many outlets, and their copies of a paragraph usually differ
only in case, quote style, punctuation or spacing. The service keeps a fingerprint -> vector map:
a paragraph whose fingerprint was already embedded is not embedded again (and shares the existing
paragraph text record), which saves the embedder's ~19 ms per paragraph on every repeat. Any
change of a word gives a different fingerprint, so near-duplicates that are actually edited still
go to the embedding-based dedup stage (:mod:`service.pipeline.dedup`).

:func:`normalise` defines "the same text"; :func:`fingerprint` is a 16-byte BLAKE2b digest of it,
as 32 lowercase hex characters. Both are stable across processes, platforms and Python versions
that share a Unicode database (the NFKC and casefold tables), so fingerprints may be persisted.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Final

__all__ = ["DIGEST_SIZE", "fingerprint", "normalise"]

# 16 bytes = 128 bits: the chance that any two of a billion distinct paragraphs collide is about
# 1e18 / 2**129 ~ 1.5e-21 (birthday bound), while the hex key stays short (32 chars) in Redis.
DIGEST_SIZE: Final = 16

# Typographic quotes to their ASCII forms, so "don’t" == "don't" and “x” == "x". NFKC leaves
# these alone (they are not compatibility characters), hence the explicit table.
_SINGLE_QUOTES: Final = "‘’‚‛′‵ʹʻʼʽ`´"
_DOUBLE_QUOTES: Final = "“”„‟″‶«»〝〞＂"
# Hyphens and dashes of every kind to ASCII "-" (U+2010 hyphen, U+2011 non-breaking hyphen,
# U+2012 figure dash, U+2013 en dash, U+2014 em dash, U+2015 horizontal bar, U+2212 minus,
# U+2E3A/U+2E3B two/three-em dash, U+FE58 small em dash, U+FE63 small hyphen, U+FF0D fullwidth).
_DASHES: Final = "‐‑‒–—―−⸺⸻﹘﹣－"
_TO_ASCII: Final = str.maketrans(
    {
        **dict.fromkeys(_SINGLE_QUOTES, "'"),
        **dict.fromkeys(_DOUBLE_QUOTES, '"'),
        **dict.fromkeys(_DASHES, "-"),
    }
)

# Punctuation kept when it stands between two word characters ("don't", "3.5", "1,000",
# "u.s", "10:30", "and/or", "at&t", "a@b"): inside a word it is part of the word. The hyphen is
# NOT here: outlets differ in "well-known" vs "well known" and, above all, in "a—b" vs "a — b",
# so every hyphen/dash separates words.
_INNER_WORD: Final = frozenset("'.,:/&@")

# Candidates for removal: anything that is neither a word character nor whitespace, plus "_"
# (which ``\w`` includes). Combining marks also land here and are kept (see _replace).
_NON_WORD: Final = re.compile(r"[^\w\s]|_")


def _is_word_char(ch: str) -> bool:
    """Letter, digit or combining mark (so Devanagari vowel signs stay inside their words)."""
    return ch.isalnum() or unicodedata.category(ch)[0] == "M"


def _replace(match: re.Match[str]) -> str:
    """Replacement for one :data:`_NON_WORD` character of the NFKC-casefolded text."""
    ch = match.group()
    category = unicodedata.category(ch)
    if category[0] == "M":
        return ch  # combining mark: part of the letter before it
    if category == "Cf":
        return ""  # format characters (soft hyphen, zero-width space/joiners, BOM) are invisible
    if ch in _INNER_WORD:
        text, at = match.string, match.start()
        if 0 < at < len(text) - 1 and _is_word_char(text[at - 1]) and _is_word_char(text[at + 1]):
            return ch
    return " "


def normalise(text: str) -> str:
    """The canonical form two copies of "the same" paragraph share.

    Steps: Unicode NFKC (fullwidth letters, ligatures, "…" -> "...", NBSP -> space), casefold
    (then NFKC again, Unicode's recipe for a stable NFKC_Casefold), typographic quotes and
    dashes mapped to ASCII, then every punctuation or symbol character replaced by a space
    except the inner-word characters ``' . , : / & @`` standing between two letters/digits;
    hyphens and dashes always separate words; format characters (soft hyphen, zero-width
    spaces) are deleted; combining marks are kept. Finally NFKC once more, whitespace runs
    collapse to one space and the ends are stripped.

    So case, curly vs straight quotes, sentence punctuation, currency/percent signs and spacing
    do not matter, while any change of a word (or of a number, "3.5" vs "35") does.

    Args:
        text: any text.

    Returns:
        Lowercase words separated by single spaces; ``""`` when ``text`` has no letters or
        digits. Idempotent: ``normalise(normalise(t)) == normalise(t)``.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    cleaned = _NON_WORD.sub(_replace, folded.translate(_TO_ASCII))
    # NFKC once more: deleting a format character can leave a letter next to a combining mark
    # that composes with it ("e" ZWJ U+0301 -> "é"); without this the result would not be
    # idempotent.
    return " ".join(unicodedata.normalize("NFKC", cleaned).split())


def fingerprint(text: str) -> str:
    """Stable digest of :func:`normalise` ``(text)``: BLAKE2b, 16 bytes, as 32 hex characters.

    Copies that differ only in case, quote style, punctuation or spacing share a fingerprint;
    different word sequences get different ones (up to a 2**-128 collision chance). Text with
    no letters or digits gets the digest of the empty string.

    Args:
        text: a paragraph (any text).

    Returns:
        32 lowercase hexadecimal characters.
    """
    data = normalise(text).encode("utf-8")
    return hashlib.blake2b(data, digest_size=DIGEST_SIZE).hexdigest()
