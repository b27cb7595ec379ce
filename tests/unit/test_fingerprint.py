"""Tests of service.pipeline.fingerprint: examples, then hypothesis properties.

All texts are written for these tests.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.pipeline.fingerprint import DIGEST_SIZE, fingerprint, normalise

# --------------------------------------------------------------------------------------------
# normalise: examples
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("  \n\t ", ""),
        ("!!! — …", ""),
        ("The Council MET.", "the council met"),
        ("Don’t PANIC — it’s “fine”, really!", "don't panic it's fine really"),
        ("don't panic - it's \"fine\" really", "don't panic it's fine really"),
        # Inner-word punctuation stays: decimals, thousands, abbreviations, times, and/or.
        (
            "Growth was 3.5% in the U.S. at 10:30, and/or 1,000 jobs.",
            "growth was 3.5 in the u.s at 10:30 and/or 1,000 jobs",
        ),
        # Hyphens and dashes of every kind separate words, spaced or not.
        ("a well-known plan—or not – 1990–2000", "a well known plan or not 1990 2000"),
        # NFKC: fullwidth letters, ligatures, ellipsis, NBSP.
        ("Ｆｕｌｌ ﬁle\u00a0done…", "full file done"),
        # casefold, not lower: German sharp s.
        ("STRASSE Straße", "strasse strasse"),
        # Format characters vanish: soft hyphen, zero-width space.
        ("co\u00adoperate with\u200bout", "cooperate without"),
        # Combining marks stay (Devanagari vowel signs, a decomposed accent).
        ("हिन्दी समाचार", "हिन्दी समाचार"),
        ("Cafe\u0301 open", "café open"),
        # Underscores and symbols are punctuation.
        ("snake_case $5 + #tag", "snake case 5 tag"),
    ],
)
def test_normalise_examples(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_inner_word_punctuation_only_between_word_characters() -> None:
    assert normalise("'quoted' .5 end. ,x x, a..b a/ /b") == "quoted 5 end x x a b a b"


# --------------------------------------------------------------------------------------------
# fingerprint: examples
# --------------------------------------------------------------------------------------------


def test_fingerprint_is_blake2b_16_of_normalised_text() -> None:
    text = "The Council met on Monday."
    expected = hashlib.blake2b(b"the council met on monday", digest_size=16).hexdigest()
    assert fingerprint(text) == expected
    assert re.fullmatch(r"[0-9a-f]{32}", fingerprint(text))
    assert DIGEST_SIZE == 16


def test_fingerprint_is_stable_across_releases() -> None:
    # Persisted in Redis: a change of normalise() or of the hash must be deliberate.
    assert fingerprint("") == "cae66941d9efbd404e4d88758ea67670"
    assert fingerprint("Nobody was hurt.") == fingerprint("nobody was hurt")


def test_copies_from_two_outlets_share_a_fingerprint() -> None:
    wire = "“We will rebuild,” the mayor said — adding that work starts in the spring."
    outlet = '"We will rebuild" the Mayor said - adding that work starts in the spring'
    assert fingerprint(wire) == fingerprint(outlet)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The mayor said work starts soon.", "The mayor said work starts later."),
        ("The mayor said work starts soon.", "The mayor said the work starts soon."),
        ("Prices rose 3.5 percent.", "Prices rose 35 percent."),
        ("The plan was not approved.", "The plan was approved."),
        ("She met him.", "He met her."),
    ],
)
def test_word_changes_change_the_fingerprint(a: str, b: str) -> None:
    assert fingerprint(a) != fingerprint(b)


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyzéßø"
words = st.text(alphabet=_LETTERS, min_size=1, max_size=8)
word_lists = st.lists(words, min_size=1, max_size=12)

_SPACES = [" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2003", " \n "]
_QUOTES = [("", ""), ('"', '"'), ("“", "”"), ("'", "'"), ("‘", "’"), ("«", "»"), ("(", ")")]
_TRAILING = ["", ".", ",", "!", "?", ";", ":", "…", " —", " -", "...", "?!"]


@st.composite
def restyled(draw: st.DrawFn, word_list: list[str]) -> str:
    """The same words with random case, spacing, quoting and trailing punctuation."""
    parts = [draw(st.sampled_from(_SPACES))]
    for word in word_list:
        cased = "".join(c.upper() if draw(st.booleans()) else c for c in word)
        opening, closing = draw(st.sampled_from(_QUOTES))
        parts.append(f"{opening}{cased}{closing}{draw(st.sampled_from(_TRAILING))}")
        parts.append(draw(st.sampled_from(_SPACES)))
    return "".join(parts)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_property_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_property_normalised_form_shape(text: str) -> None:
    result = normalise(text)
    assert result == result.strip()
    assert "  " not in result
    assert result == " ".join(result.split())
    assert fingerprint(text) == fingerprint(result)


@settings(max_examples=100, deadline=None)
@given(st.data(), word_lists)
def test_property_invariant_under_case_space_quote_punctuation(
    data: st.DataObject, word_list: list[str]
) -> None:
    plain = " ".join(word_list)
    variant = data.draw(restyled(word_list))
    assert fingerprint(variant) == fingerprint(plain)


@settings(max_examples=100, deadline=None)
@given(word_lists, word_lists)
def test_property_different_word_sequences_differ(a: list[str], b: list[str]) -> None:
    # Words are casefolded first ("ß" folds to "ss"), so compare what the words mean.
    if [w.casefold() for w in a] != [w.casefold() for w in b]:
        assert fingerprint(" ".join(a)) != fingerprint(" ".join(b))
    else:
        assert fingerprint(" ".join(a)) == fingerprint(" ".join(b))


@settings(max_examples=100, deadline=None)
@given(word_lists, st.integers(0, 11), words)
def test_property_replacing_one_word_changes_fingerprint(
    word_list: list[str], index: int, replacement: str
) -> None:
    at = index % len(word_list)
    if replacement.casefold() == word_list[at].casefold():
        replacement += "x"
    changed = [*word_list[:at], replacement, *word_list[at + 1 :]]
    assert fingerprint(" ".join(changed)) != fingerprint(" ".join(word_list))
