"""Tests of service.pipeline.normalise: examples of each step, then hypothesis properties.

All texts are written for these tests.
"""

from __future__ import annotations

import html
import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from service.pipeline.normalise import INVISIBLE, normalise_line, normalise_text

ZWNJ, ZWJ = "\u200c", "\u200d"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        # Entities, decoded once (a browser shows "&amp;" for "&amp;amp;").
        (
            "Harlan &amp; Finch said the country&#8217;s mills would close.",
            "Harlan & Finch said the country’s mills would close.",
        ),
        ("Prices &gt; 5&nbsp;% at &quot;Mill&quot;", 'Prices > 5 % at "Mill"'),
        ("A &amp;amp; B", "A &amp; B"),
        ("cp1252 reference &#146;s", "cp1252 reference ’s"),
        # Mojibake (UTF-8 read as Windows-1252) and C1 punctuation.
        ("The mayor didnâ€™t say.", "The mayor didn’t say."),
        ("The mayor didn\x92t say.", "The mayor didn’t say."),
        # NUL and other controls go; tabs and NBSP are whitespace.
        ("Ten\x00 people\x07 were\x1b hurt.", "Ten people were hurt."),
        ("Ten\tpeople\u00a0were \u2009 hurt.", "Ten people were hurt."),
        # Invisible characters.
        (
            "\ufeffsoft\u00adhyphen zero\u200bwidth word\u2060joiner",
            "softhyphen zerowidth wordjoiner",
        ),
        (
            "bidi \u202eoverride\u202c and \u2067isolate\u2069 \u200fmark",
            "bidi override and isolate mark",
        ),
        # Stray joiners in Latin text go.
        (f"fa{ZWNJ}mily {ZWJ}x", "family x"),
        # NFC.
        ("Cafe\u0301 Ame\u0301lie", "Café Amélie"),
    ],
)
def test_normalise_line_examples(raw: str, clean: str) -> None:
    assert normalise_line(raw) == clean


@pytest.mark.parametrize(
    "kept",
    [
        f"می{ZWNJ}خواهم",  # Persian: ZWNJ is part of the spelling
        f"क्{ZWJ}ष",  # Devanagari half form
        f"ന്{ZWJ}",  # Malayalam chillu: ZWJ at the end of a word
        f"👩{ZWJ}⚕️",  # emoji ZWJ sequence
    ],
)
def test_joiners_a_script_needs_are_kept(kept: str) -> None:
    text = f"{kept} x" if not kept.endswith(ZWJ) else f"{kept}ര x"
    assert normalise_line(text) == unicodedata.normalize("NFC", text)


def test_body_keeps_paragraph_breaks_and_drops_empty_lines() -> None:
    body = "First  para.\r\n\r\n  Second\u2028Third\x0bFourth\n\n\n"
    assert normalise_text(body) == "First para.\nSecond\nThird\nFourth"


def test_trailing_newline_and_blank_lines_are_no_change() -> None:
    body = "One paragraph here.\nAnother paragraph here."
    assert normalise_text(body + "\n") == normalise_text(body)
    assert normalise_text(body.replace("\n", "\n\n  \n")) == normalise_text(body)
    assert normalise_text("  " + body.replace(" ", "   ")) == normalise_text(body)


def test_nothing_visible_left() -> None:
    assert normalise_text("\u200b\n\x00\ufeff\n \u00ad ") == ""
    assert normalise_line("\u202e\u2066") == ""


# --------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------
_any_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]),  # lone surrogates are refused earlier
    max_size=80,
)
_mixed = st.lists(
    st.sampled_from(
        [
            *"ab é\n\t&;#",
            *("&amp;", "&#8217;", "\u00a0", ZWNJ, ZWJ, "ی", "क", "्", "\u0301"),
            *sorted(INVISIBLE)[:8],
            *("\x00", "\x92", "\r\n"),
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_any_text, _mixed))
def test_idempotent_without_ampersand(text: str) -> None:
    # Entities are decoded exactly once (browser semantics), so a text that still holds "&"
    # after one pass may decode again; every other step is a fixed point.
    once = normalise_text(text)
    if "&" not in once:
        assert normalise_text(once) == once
    line = normalise_line(text)
    if "&" not in line:
        assert normalise_line(line) == line


@settings(max_examples=300, deadline=None)
@given(st.one_of(_any_text, _mixed))
def test_escaping_is_undone_exactly_once(text: str) -> None:
    assume("&" not in text)  # a text that holds references itself would be decoded once more
    assert normalise_text(html.escape(text)) == normalise_text(text)
    assert normalise_line(html.escape(text)) == normalise_line(text)
    # Escaped twice: one level stays, as a browser shows it. (U+0338 would compose with a
    # bare "<" or ">" under NFC, but not with the "&lt;" that stands for it.)
    assume("\u0338" not in text)
    twice = normalise_line(html.escape(html.escape(text, quote=False), quote=False))
    assert html.unescape(twice) == normalise_line(text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_any_text, _mixed))
def test_shape_of_the_output(text: str) -> None:
    body = normalise_text(text)
    assert body == body.strip()
    assert "\n\n" not in body
    assert "  " not in body
    assert "\r" not in body
    assert unicodedata.is_normalized("NFC", body)
    assert not any(ch in INVISIBLE for ch in body)
    assert not any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in body)
    line = normalise_line(text)
    assert "\n" not in line
    assert line == " ".join(body.split())
    # Never longer than the input, except where NFC itself expands (composition exclusions).
    assert len(body) <= max(len(text), len(unicodedata.normalize("NFC", text)))
