r"""Text normalised once, at the edge of the pipeline (pure, no I/O).

Every article field a reader sees (body, title, outlet) passes through here before it is split,
fingerprinted, stored or shown, so that "Harlan &amp; Finch" from one outlet and "Harlan & Finch"
from another are one text everywhere, and nothing invisible or unprintable is stored or served.

Steps of :func:`normalise_line`, in order:

1. **HTML character references decoded once**, with :func:`html.unescape` (the HTML5 rules,
   including the Windows-1252 reading of ``&#146;``-style references) applied to each
   reference that ends with its semicolon: ``"&amp;"`` -> ``"&"``,
   ``"&#8217;"`` -> ``"’"``. Decoding happens *exactly once*, as a browser does, so a text that
   is escaped twice (``"&amp;amp;"``) keeps one level (``"&amp;"``); re-decoding until nothing
   changes would turn text that *talks about* entities into something the author did not write.
   Consequence: :func:`normalise_line` is idempotent only on text without ``&`` (tested), and
   ``normalise_line(html.escape(t)) == normalise_line(t)`` for every ``t`` (tested).
2. **Mojibake and control characters**, with ftfy (https://github.com/rspeer/python-ftfy,
   Speer 2019), the kept library for "text that was decoded with the wrong codec": UTF-8 read as
   Windows-1252 (``"donâ€™t"`` -> ``"don’t"``), C1 controls that are really Windows-1252
   punctuation (``"\x92"`` -> ``"’"``, and U+0085 -> ``"…"``: in news feeds it is a
   mis-decoded ellipsis far more often than a "next line"), the other C0/C1 control characters
   including NUL removed (VT, FF and U+001C-U+001E are read as line breaks first),
   terminal escapes removed, a byte-order mark removed, surrogate pairs fixed. Its other fixes
   are off: quotes stay curly (the brief shows them as written), full-width letters and
   ligatures stay (NFC, not NFKC: the fingerprint stage folds those for matching), and HTML is
   decoded by step 1 instead (ftfy decodes repeatedly).
3. **Invisible characters removed**: zero-width space U+200B, word joiner U+2060, the
   zero-width no-break space / BOM U+FEFF, soft hyphen U+00AD, invisible math operators
   U+2061-U+2064, the bidirectional controls U+200E/U+200F (LRM/RLM), U+061C (ALM),
   U+202A-U+202E (embeddings and overrides) and U+2066-U+2069 (isolates), and the tag
   characters U+E0000-U+E007F. Bidi overrides and isolates can reorder what a reader sees
   ("Trojan Source", Boucher & Anderson 2021); the marks are dropped with them because the
   service stores plain paragraphs, never markup that depends on them.
4. **Zero-width joiners kept where a script needs them.** ZWNJ U+200C and ZWJ U+200D are part
   of the spelling in Persian, Urdu, Kurdish and the Brahmic scripts (Unicode 15, chapter 23.2
   "Layout Controls" and chapter 12; e.g. Persian "می‌خواهم" needs its ZWNJ, Malayalam chillu
   and Sinhala conjuncts need ZWJ) and inside emoji sequences (Unicode TR51: "👩‍⚕️"). They are
   kept when they stand between two non-space characters and the one before is neither ASCII
   nor a Latin, Greek or Cyrillic letter (scripts that never use them); elsewhere (pasted into
   English text, at a word edge) they are removed.
5. **Unicode NFC** (UAX #15): canonically equivalent spellings ("e" + U+0301 vs "é") become one.
6. **Whitespace collapsed**: every run of whitespace (tabs, NBSP, thin spaces, ideographic space)
   becomes one ASCII space, and the ends are stripped.

:func:`normalise_text` (article bodies) applies the same steps but keeps **paragraph breaks**:
every line break (``\r\n``, ``\r``, ``\n``, VT, FF, U+001C-U+001E, U+2028, U+2029: the
``str.splitlines`` set) ends a paragraph, each line is normalised by steps 3-6, empty lines are
dropped, and the lines are joined with ``"\n"``. So a trailing newline or a blank line between
paragraphs is no change at all.

Speed (an 800-word, 30-paragraph article of 4,700 characters, measured while the 2-core machine
ran an evaluation beside it, so upper bounds): about 1 ms when the text is ASCII, 5-11 ms when it
is not, nearly all of it ftfy's mojibake test (``ftfy.badness.is_bad``), which is skipped for
ASCII text; against ~19 ms of embedding per paragraph it is noise.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from typing import Final

from ftfy import TextFixerConfig, fix_text
from ftfy.badness import is_bad

__all__ = ["INVISIBLE", "normalise_line", "normalise_text"]

# ftfy with every fix that preserves what the author wrote: see step 2 of the module docstring.
_FTFY: Final = TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=True,
    fix_encoding=True,
    restore_byte_a0=True,
    replace_lossy_sequences=True,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=True,
    fix_surrogates=True,
    # Controls are removed by _CONTROLS / INVISIBLE below (the same set as ftfy's table, which
    # costs a 70 us str.translate per line).
    remove_control_chars=False,
    normalization=None,
    max_decode_length=1_000_000,
    explain=False,
)

_BREAKS: Final = re.compile("[\x0b\x0c\x1c\x1d\x1e]")

# Invisible characters removed everywhere (step 3). Code points, not literals, so the source
# file itself holds nothing invisible.
INVISIBLE: Final[frozenset[str]] = frozenset(
    chr(cp)
    for cp in (
        0x00AD,  # soft hyphen
        0x061C,  # Arabic letter mark
        0x180E,  # Mongolian vowel separator (Cf since Unicode 6.3; invisible)
        0x200B,  # zero-width space
        0x200E,  # left-to-right mark
        0x200F,  # right-to-left mark
        *range(0x202A, 0x202F),  # LRE, RLE, PDF, LRO, RLO
        0x2060,  # word joiner
        *range(0x2061, 0x2065),  # invisible function application, times, separator, plus
        *range(0x2066, 0x206A),  # LRI, RLI, FSI, PDI
        *range(0x206A, 0x2070),  # deprecated format characters (symmetric swapping, shaping)
        *range(0xFFF9, 0xFFFD),  # interlinear annotation controls, object replacement character
        0xFEFF,  # zero-width no-break space / byte-order mark
        *range(0xE0000, 0xE0080),  # tag characters
    )
)
_ZWNJ: Final = "\u200c"
_ZWJ: Final = "\u200d"
_JOINERS: Final = frozenset({_ZWNJ, _ZWJ})


# One regex pass finds every candidate for removal (step 3 and 4), plus any C0/C1 control ftfy
# leaves (it keeps the C1 codes Windows-1252 leaves undefined, such as U+009D); tab is
# whitespace and is collapsed by step 6 instead.
def _char_class(code_points: Iterable[int]) -> str:
    """A regex character class of ``code_points``, consecutive runs written as ranges.

    Ranges matter for speed: ``re`` tests a class of ~150 single astral characters one by one
    at every position (0.3 ms per 200-character line), a class of a few ranges by bitmap.
    """
    points = sorted(set(code_points))
    parts: list[str] = []
    start = prev = points[0]
    for cp in [*points[1:], -1]:
        if cp == prev + 1:
            prev = cp
            continue
        parts.append(f"\\U{start:08x}" if start == prev else f"\\U{start:08x}-\\U{prev:08x}")
        start = prev = cp
    return "[" + "".join(parts) + "]"


_CANDIDATES: Final = re.compile(
    _char_class(
        [*range(0x00, 0x09), *range(0x0A, 0x20), *range(0x7F, 0xA0)]
        + [ord(ch) for ch in INVISIBLE | _JOINERS]
    )
)
_FTFY_TRIGGERS: Final = re.compile("[\x1b\x80-\x9f\ud800-\udfff]")
_CONTROLS: Final = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_MAX_ROUNDS: Final = 4

# A character reference with its semicolon: decimal, hexadecimal or named. Legacy references
# without a semicolon ("&amp", "&copy") are left as typed: in plain text "&para" is more likely
# a word after an ampersand than an escaped pilcrow.
_REFERENCE: Final = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Scripts that never use joiners: a joiner after one of their letters is stray (step 4).
_NO_JOINER_SCRIPTS: Final = ("LATIN ", "GREEK ", "CYRILLIC ")


def _joiner_needed(text: str, at: int) -> bool:
    """Whether the ZWNJ/ZWJ at ``text[at]`` belongs to the spelling (step 4)."""
    if at == 0 or at == len(text) - 1:
        return False
    before, after = text[at - 1], text[at + 1]
    if before.isspace() or after.isspace() or before in _JOINERS or after in _JOINERS:
        return False
    if before.isascii():
        return False
    return not unicodedata.name(before, "").startswith(_NO_JOINER_SCRIPTS)


def _drop_invisible(text: str) -> str:
    """Step 3 and 4: remove invisible characters, keeping joiners a script needs."""
    if not _CANDIDATES.search(text):
        return text
    out: list[str] = []
    last = 0
    for match in _CANDIDATES.finditer(text):
        at = match.start()
        out.append(text[last:at])
        last = at + 1
        if match.group() in _JOINERS and _joiner_needed(text, at):
            out.append(match.group())
    out.append(text[last:])
    return "".join(out)


def _decode(text: str) -> str:
    """Steps 1 and 2: entities decoded once, then ftfy's encoding and control fixes."""
    if "&" in text:
        text = _REFERENCE.sub(lambda m: html.unescape(m.group()), text)
    # Line breaks ftfy would delete as controls (VT, FF, file/group/record separators) are
    # paragraph breaks for ``str.splitlines``; keep them as such.
    text = _BREAKS.sub("\n", text)
    # ftfy, then the controls it keeps removed, until nothing changes: a removed control can
    # expose mojibake that the control had hidden ("\x9dÎ\x91"). Clean text takes one round;
    # no input seen needed more than two, the cap bounds the work regardless.
    for _ in range(_MAX_ROUNDS):
        # ftfy changes nothing in text without mojibake (its own ``is_bad`` test), terminal
        # escapes, C1 controls or surrogates: skip its per-line work (about 0.2 ms a line).
        needs_ftfy = _FTFY_TRIGGERS.search(text) is not None or (
            not text.isascii() and is_bad(text)
        )
        fixed = _CONTROLS.sub("", fix_text(text, _FTFY) if needs_ftfy else text)
        if fixed == text:
            break
        text = fixed
    return text


def _clean_line(line: str) -> str:
    """Steps 3-6 for one line (no line breaks inside)."""
    line = unicodedata.normalize("NFC", _drop_invisible(line))
    # Removing a character can leave a joiner at a word edge or next to a space: one more pass
    # (the second pass has nothing left to remove, so the result is a fixed point).
    line = _drop_invisible(" ".join(line.split()))
    return " ".join(unicodedata.normalize("NFC", line).split())


def normalise_line(text: str) -> str:
    """A one-line field (title, outlet) normalised: steps 1-6, line breaks become spaces.

    Args:
        text: any text.

    Returns:
        The text decoded, cleaned, NFC, with single ASCII spaces between words and no line
        breaks; ``""`` when nothing visible is left.
    """
    return _clean_line(" ".join(_decode(text).split()))


def normalise_text(text: str) -> str:
    r"""An article body normalised: steps 1-6 per paragraph, paragraphs joined by ``"\n"``.

    Args:
        text: the body as posted; any ``str.splitlines`` line break separates paragraphs.

    Returns:
        The non-empty normalised lines joined with ``"\n"`` (no leading, trailing or doubled
        line breaks); ``""`` when nothing visible is left.
    """
    lines = (_clean_line(line) for line in _decode(text).splitlines())
    return "\n".join(line for line in lines if line)
