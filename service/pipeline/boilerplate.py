"""Known shapes of page furniture in article text: a classifier of lines and sentences (pure).

Web articles arrive with their page furniture still in the text: related-link teasers, bylines,
photo captions and credits, newsletter and social prompts, wire agencies' funding notes,
correction and editor's notes, headlines and list items, copyright lines, datelines. None of it
is news; all of it recurs across unrelated stories, so left in it links stories that have nothing
in common and reaches briefs. :func:`classify_line` names the :class:`Kind` of one paragraph
(line) and :func:`classify_sentence` that of one sentence inside a news paragraph;
:mod:`service.pipeline.split` drops every paragraph and sentence that is not
:attr:`Kind.NEWS`, and trims "Read more" tails (:func:`trim_read_more`), so they never reach
fingerprints, near-duplicate clusters, grouping or briefs. :func:`strip_dateline` removes a wire
dateline of any common shape from the sentence it opens, and :func:`is_all_caps_heading` tells a
heading in capitals from a sentence that merely holds an acronym, in any script.

**Why rules and not a library.** The kept boilerplate libraries all work on HTML, not on the
plain text Wiredesk receives: jusText (Pomikálek 2011; ``justext`` on PyPI) classifies *DOM
blocks* by link density, length and stop-word density with per-language stoplists, so on plain
lines it reduces to "short or few stop-words = boilerplate", which drops short news sentences
("Nobody was hurt.") and every line in a language without a stoplist, while a byline or a
newsletter prompt has ordinary stop-word density; boilerpy3 (Boilerpipe, Kohlschütter et al.
2010) needs the DOM's text-density features; trafilatura's cleaning is XPath over class names
("related", "newsletter"), again DOM only (it is planned for the HTML extraction stage, where
those signals exist). On the held-out lines of ``tests/data/boilerplate_test.txt`` jusText
with each line as one ``<p>`` block scores far below these rules (figures and command in
docs/EVALUATION.md). Furniture that no rule knows is the job of boilerplate *learned from the
stream* (lines recurring across unrelated stories), a separate stage.

**Script-awareness.** The phrase rules are English (plus "read also" labels in ten languages)
and anchored at the start of a line or sentence, so they cannot match a sentence in another
script. The two shape rules are restricted to the scripts where they hold:

* *no terminal punctuation* marks a headline or list item ("New York immigrant center: 13
  dead") only in Latin-script text: Thai, Lao and Khmer separate sentences with spaces, and
  Arabic, Devanagari, CJK and Cyrillic news copy in feeds often drops the final mark, so those
  lines are kept;
* *all capitals* (:func:`is_all_caps_heading`) needs most letters to be cased: an Arabic, Hindi
  or Chinese sentence holding "WHO" has no lowercase letter at all and is still not a heading.

"Copyright", "Read", "Photos" or "follow" inside a news sentence are news: every phrase rule is
anchored (line start, sentence start, or a whole-line shape), never a bare keyword search.

Measured (``pytest tests/unit/test_boilerplate.py``, the figures in docs/EVALUATION.md): precision
and recall of "not news" on the held-out lines.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "BoilerplateConfig",
    "Kind",
    "classify_line",
    "classify_sentence",
    "dateline_end",
    "dominant_script",
    "is_all_caps_heading",
    "is_dated_caption",
    "news_start",
    "strip_dateline",
    "trim_read_more",
]


class Kind(StrEnum):
    """What a line or sentence is. Everything but ``NEWS`` is dropped before the pipeline."""

    NEWS = "news"
    TEASER = "teaser"  # related-link lines: "Read Also: ...", "[China backs U.N. move ...]"
    BYLINE = "byline"  # "By ...", "Reporting by ...; Editing by ...", "... contributed to ..."
    CAPTION = "caption"  # photo captions and credits: "(AP Photo/...)", "Photo: Getty Images"
    PROMPT = "prompt"  # newsletter, social, app, tip and advertising prompts
    FUNDING = "funding"  # "The Associated Press receives support from ..."
    NOTE = "note"  # "Correction: ...", "Editor's note: ...", "This story has been updated ..."
    HEADING = "heading"  # headlines, section labels, list items, all-capitals lines
    COPYRIGHT = "copyright"  # "© 2026 Reuters", "All rights reserved."
    DATELINE = "dateline"  # a dateline with nothing after it: "WASHINGTON (AP) —"
    LINK = "link"  # a bare URL
    SYMBOLS = "symbols"  # no letter or digit: "***", "—"
    SOCIAL = "social"  # a bare social-media post: "#storm #texas I told you so."


@dataclass(frozen=True, slots=True)
class BoilerplateConfig:
    """Knobs of :func:`classify_line`.

    Attributes:
        max_heading_words: a Latin-script line with no terminal punctuation and at most this
            many words is a heading or list item. Headlines run 5-12 words (AP style asks for
            fewer than 10); 16 leaves room for long ones, while a news paragraph without final
            punctuation longer than that is kept (an extraction slip, not furniture).
        max_furniture_words: whole-line rules (a teaser label, a parenthesised credit at the
            end, a prompt or note opening a footer block) apply to lines of at most this many
            words. 60 is above any caption or footer block met (most are under 40) and below
            the bodies that arrive without line breaks; from a longer line only its furniture
            *sentences* are cut (:func:`classify_sentence`).
        max_teaser_words: a line opening with a teaser label ("Photos:", "Watch:") is a teaser
            only up to this many words: teaser headlines are short, and a long line with such a
            label is more likely a quote or an explainer paragraph.
    """

    max_heading_words: int = 16
    max_furniture_words: int = 60
    max_teaser_words: int = 30

    def __post_init__(self) -> None:
        for name in ("max_heading_words", "max_furniture_words", "max_teaser_words"):
            if getattr(self, name) <= 0:
                raise ValueError(f"BoilerplateConfig.{name} must be positive")


_I = re.IGNORECASE
# classify_sentence has no config: a sentence opening with a teaser label is a teaser up to the
# default BoilerplateConfig.max_teaser_words.
_MAX_TEASER_SENTENCE_WORDS: Final = 30

# --- teasers ----------------------------------------------------------------------------------
# A teaser label, then a separator (":", "|", "»", a dash), at the start of a short line.
_TEASER_LABEL: Final = re.compile(
    r"\W*(?:"
    r"read (?:also|more|next|this)|also read|see also|also see|more on this(?: story)?|"
    r"related(?: (?:article|story|stories|coverage|content|links?|reading|video|topics?|news))?|"
    r"recommended(?: (?:reading|stories|for you))?|more|further reading|watch(?: live| now)?|"
    r"videos?|photos|pictures|in pictures|gallery|slideshow|listen|podcast|explainer|opinion|"
    r"analysis|don['’]t miss|must read|you may also like|you might also like|top stories|"
    r"most read|trending(?: now)?|editor['’]s picks?|also on [\w'’ .&-]{1,40}|full list|"
    r"timeline|live updates|latest|"
    # The same label in other languages (de, fr, es, pt, it, nl, ar, ru, uk, hi, zh, ja, ko).
    r"lesen sie auch|mehr zum thema|[àa] lire aussi|lire aussi|voir aussi|lea tambi[ée]n|"
    r"lee tambi[ée]n|leia tamb[ée]m|leggi anche|lees ook|اقرأ أيضا|اقرأ أيضاً|اقرأ المزيد|"
    r"شاهد أيضا|читайте также|смотрите также|читайте також|यह भी पढ़ें|ये भी पढ़ें|"
    r"相关阅读|延伸阅读|相關閱讀|関連記事|관련 기사"
    r")\s*(?::|：|\||»|›|>>|→|–|—|-)",
    _I,
)
# Whole lines that are a section label or a teaser block's heading by themselves.
_TEASER_ALONE: Final = re.compile(
    r"\W*(?:read more|read next|continue reading|keep reading|related(?: \w+)?|"
    r"recommended(?: \w+)?|more stories|top stories|most read|most popular|trending(?: now)?|"
    r"listen to (?:this )?(?:article|story)|watch live|click here\b.*)\W*",
    _I,
)
# A whole line in square brackets: a link to another story ("[China backs U.N. move ...]").
_BRACKETED: Final = re.compile(r"\s*\[[^\[\]]+\]\s*")
# A "Read more" tail at the end of an otherwise news paragraph (trim_read_more).
_READ_MORE_TAIL: Final = re.compile(
    r"(?:\s*(?:\.{3}|…))?\s*[\[(]?\s*(?:read more|continue reading|read the full "
    r"(?:story|article|report)|full story|keep reading)\s*(?:»|›|>>|→|\.{3}|…)?\s*[\])]?\s*$",
    _I,
)

# --- bylines ----------------------------------------------------------------------------------
_BYLINE_START: Final = re.compile(
    r"\W*(?:additional |staff |editing and )?(?:reporting|writing|editing|research|compiled|"
    r"reported|written|produced|translated|edited|graphics|illustrations?)"
    r"(?: and (?:reporting|writing|editing|research))?\s+by\b",
    _I,
)
_BYLINE_BY: Final = re.compile(r"\W*(?i:by)\s+[A-Z]")
_CONTRIBUTED: Final = re.compile(
    r".*\bcontributed(?: reporting| to (?:this|the) (?:report|story|article|coverage)|"
    r" reporting (?:to|for) this (?:report|story|article))?\W*",
    _I,
)
_CONTACT: Final = re.compile(r"\W*(?:contact|email|e-mail|write to) (?:the )?(?:author|reporter|"
                             r"writer|us)\b", _I)  # fmt: skip
_REPORTED_FROM: Final = re.compile(r"(?:[A-Z][\w'’-]+ ){1,3}reported from [A-Z][\w ,.'’-]*\.?")
_BIO: Final = re.compile(
    r"(?:[A-Z][\w'’-]+ ){1,3}is an? (?:[\w-]+ ){0,3}(?:correspondent|reporter|writer|editor|"
    r"columnist|journalist|contributor|producer)\b.*"
)

# --- captions and credits -----------------------------------------------------------------
# A parenthesised photo credit: "(AP Photo/Jane Doe)", "(Jane Doe via AP)", "( /Associated
# Press)", "(Reuters/Ali Demir)", "(Photo by Kim Lee/Getty Images)", "(Reuters)", "(AFP)".
_CREDIT_PAREN: Final = (
    r"\((?:[^()]*\bphoto\b[^()]*|[^()]*\bvia (?:AP|AFP|Reuters|Getty|EPA|Bloomberg)\b[^()]*|"
    r"[^()]*/\s*(?:AP|Associated Press|Reuters|AFP|Getty Images|EPA|Bloomberg|Shutterstock)"
    r"\b[^()]*|(?:AP|AFP|Reuters|EPA|Getty Images|Bloomberg|Xinhua)(?:/[^()]*)?)\)"
)
_ENDS_WITH_CREDIT: Final = re.compile(rf".*{_CREDIT_PAREN}(?:\s*{_CREDIT_PAREN})*\W*", _I)
_CREDIT_LABEL: Final = re.compile(
    r"\W*(?:photo(?:graph)?|image|picture|pic|credit|photo credit|image credit|source|"
    r"illustration|file photo|video)\s*(?::|/)\s*\S.*",
    _I,
)
_CREDIT_TAIL: Final = re.compile(
    r".*[.!?]\s+(?:photo(?:graph)?|image|picture|credit)\s*:\s*[^.!?]{1,60}", _I
)
_AGENCY_CREDIT: Final = re.compile(
    r"\W*(?:[\w .'’-]{0,40}(?:/|\bvia\s+))?(?:getty images|shutterstock|istock(?:photo)?|"
    r"alamy|afp|epa|reuters|ap photo|associated press)(?:/[\w .'’-]{0,40})?\W*",
    _I,
)
_SLIDE_COUNTER: Final = re.compile(
    r"\W*(?:\d+\s*(?:/|of)\s*\d+)?\W*(?:(?:show|view|expand) all)?\W*", _I
)

# --- prompts ----------------------------------------------------------------------------------
_PLATFORMS: Final = (
    r"(?:twitter|x|facebook|instagram|tiktok|linkedin|youtube|threads|bluesky|whatsapp|"
    r"telegram|snapchat|google news|flipboard|apple news|mastodon)"
)
_PROMPT: Final = re.compile(
    r"\W*(?:"
    r"view (?:all|more)(?: of)?(?: our| the)?\b[\w'’ .&-]{0,40}\bnewsletters?|"
    r"sign up\b|subscribe\b|get (?:our|the|breaking|the latest|unlimited)\b[\w'’ .&-]{0,60}"
    r"\b(?:delivered|inbox|newsletters?|alerts|access)\b|"
    rf"follow (?:us|@\w+|[\w'’ .&-]{{1,40}} on {_PLATFORMS})\b|follow us\b|"
    rf"(?:like|find|join) us on {_PLATFORMS}|chat with us\b|"
    r"download (?:the|our)\b[\w'’ .&-]{0,40}\bapp\b|"
    r"(?:have|got) a (?:news )?tip\b|send us your\b|email us at\b|"
    r"join the (?:conversation|discussion)\b|tap here\b|click here\b|"
    r"share (?:this|the) (?:article|story|page|post)\b|"
    r"listen to (?:this )?(?:article|story)\b|"
    r"(?:story|article) continues (?:below|after)\b|"
    r"advertisement\b|sponsored(?: content)?\W*$|loading\W*$"
    r")",
    _I,
)

# --- funding notes ----------------------------------------------------------------------------
_FUNDING: Final = re.compile(
    r"(?:\bsolely responsible for all content\b|"
    r"\b(?:coverage|reporting|journalism|the associated press|the ap|this (?:story|article|"
    r"report|series|project|content))\b[^.]{0,80}\b(?:receives?|is (?:supported|funded)|"
    r"was (?:supported|funded|produced|made possible))\b[^.]{0,60}\b(?:support|grants?|"
    r"funding|partnership|foundations?)\b|"
    r"\b(?:this (?:story|article|report) (?:was|is) (?:produced|published|reported) "
    r"(?:in partnership|in collaboration|with (?:support|funding|a grant))))",
    _I,
)

# --- correction and editor's notes -------------------------------------------------------------
_NOTE_LABEL: Final = re.compile(
    r"\W*(?:corrections?|clarifications?|editor['’]?s['’]? note|note to (?:readers|editors)|"
    r"update[sd]?\b[^:]{0,30})\s*(?::|—|–|-)\s*(?=\S)",
    _I,
)
_NOTE_UPDATE_LABEL: Final = re.compile(r"\W*update[sd]?\b", _I)
_NOTE_TEXT: Final = re.compile(
    r"\b(?:an? (?:earlier|previous) version of this (?:story|article|report|post)|"
    r"this (?:story|article|report|post|version) (?:has been|was|is being|had) "
    r"(?:updated|corrected|amended|changed|clarified|edited|revised)\b)",
    _I,
)

# --- copyright, links -------------------------------------------------------------------------
_COPYRIGHT: Final = re.compile(
    r"\W*(?:copyright\b\s*(?:©|\(c\))?\s*(?:\d{4}|©)|©|\(c\)\s*\d{4})|"
    r"(?=.*\ball rights reserved\b)|"
    r"(?=.*\bthis material may not be published\W+broadcast\W+rewritten\b)",
    _I,
)
_LINK: Final = re.compile(r"\W*(?:https?://|www\.)\S+\W*", _I)

# --- datelines --------------------------------------------------------------------------------
# An upper-case word of a dateline's place ("SANTA", "ROSA", "TOKYO/SEOUL", "ST.", "SÃO").
_UPPER: Final = "A-ZÀ-ÖØ-Þ"
_PLACE_WORD: Final = rf"[{_UPPER}][{_UPPER}.'’/-]*[{_UPPER}.]"
# "WASHINGTON (AP) —", "SANTA ROSA, Calif. _", "WUHAN, August 4 (Xinhua) --",
# "TOKYO/SEOUL (Reuters) - ", "MILLBROOK, Ohio (AP) — ": a place of up to four upper-case
# words (cities joined by "/"), up to two comma-separated qualifiers (state, country, date), an
# optional agency in brackets, then the agencies' separators: AP's "--" or em dash, NYT's "_",
# Reuters' "-" (hyphens and underscores need a space after them, so "U.S.-led" is no dateline).
# Every repetition is bounded and starts on a fixed class: no catastrophic backtracking.
_DATELINE: Final = re.compile(
    rf"(?P<place>{_PLACE_WORD}(?: {_PLACE_WORD}){{0,3}})"
    r"(?P<qualifier>(?:, [A-Z][A-Za-z.]*(?: [A-Z0-9][A-Za-z0-9.,]*){0,2}){0,2})"
    r" ?(?P<agency>\([A-Za-z.&'’ ]{1,30}\) ?)?"
    r"(?:(?:--|—|–)\s*|[-_:]\s+)(?=\S)"
)
# "(CNN) — ...", "(CNN) ...", "(Reuters) - ...": an agency in brackets opening the sentence.
_BARE_DATELINE: Final = re.compile(
    r"\((?:[A-Z][A-Za-z.&'’]*)(?: [A-Z][A-Za-z.&'’]*){0,3}\)\s*(?:(?:--|—|–)\s*|[-_:]\s+)?"
    r"(?=[\"“‘'A-Z0-9À-ÖØ-Þ])"
)
# The same in title case, which some wires and reprints use: "Nairobi, February 9 (Xinhua) --",
# "Meadow Lake, Saskatchewan – ". A title-case place is an ordinary subject too ("Smith, the
# mayor, said"), so this shape needs a qualifier after a comma and a dash (not a hyphen).
_TITLE_DATELINE: Final = re.compile(
    r"[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2}, [A-Z][A-Za-z.]*(?: [A-Z0-9][A-Za-z0-9.]*){0,2}"
    r" ?(?:\([A-Za-z.&'’ ]{1,30}\) ?)?(?:--|—|–)\s*(?=\S)"
)
_AGENCY: Final = r"\([A-Z][A-Za-z.&'’ ]{0,30}\)"
_PLACE: Final = rf"{_PLACE_WORD}(?: {_PLACE_WORD}){{0,3}}(?:, [\w. ]{{1,30}})?"
# A dateline with nothing after it: a place with an agency and/or a separator, or an agency
# alone ("WASHINGTON (AP) —", "LONDON (Reuters) -", "(CNN) —"); a bare all-capitals line
# ("BREAKING NEWS") is a heading, not a dateline.
_DATELINE_ALONE: Final = re.compile(
    rf"\W*(?:{_PLACE}\s*(?:{_AGENCY}\s*)?(?:--|—|–|_|-|:)|{_PLACE}\s*{_AGENCY}|"
    rf"{_AGENCY}\s*(?:--|—|–|_|-|:)?)\s*"
)

# Past-tense attribution: headlines say "says"; a line with "said"/"told" that lacks its final
# mark is a news sentence cut short by extraction ("``It was spontaneous,'' Joklik said").
_REPORTED_SPEECH: Final = re.compile(r"\b(?:said|told)\b", _I)

# Terminal punctuation of a sentence in the scripts that mark sentence ends, and the closing
# quotes/brackets that may follow it.
_TERMINALS: Final = ".!?…。！？｡।॥؟۔።፧։"
_CLOSERS: Final = "\"'”’»›)]}」』】"
# Scripts where the "no terminal punctuation = heading" rule is sound (see module docstring).
_HEADING_SCRIPTS: Final = frozenset({"LATIN"})


def dominant_script(text: str) -> str | None:
    """The Unicode script most letters of ``text`` belong to (by character name), or None.

    The script is the first word of each letter's Unicode name ("LATIN", "CYRILLIC",
    "ARABIC", "DEVANAGARI", "CJK", "HIRAGANA", "HANGUL", "THAI"...), which is how the Unicode
    character database names letters of every script; enough to tell scripts apart without a
    script-property table. Only the first 200 letters are looked at.

    Returns:
        The commonest script's name; None when ``text`` has no letter.
    """
    if text.isascii():  # ASCII letters are Latin: skip the name look-ups (~0.1 ms a line)
        return "LATIN" if any(ch.isalpha() for ch in text) else None
    counts: Counter[str] = Counter()
    seen = 0
    for ch in text:
        if ch.isalpha():
            counts[unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]] += 1
            seen += 1
            if seen >= 200:
                break
    return counts.most_common(1)[0][0] if counts else None


def is_all_caps_heading(text: str) -> bool:
    """Whether ``text`` is written in capitals, as headings and kickers are, in any script.

    True when at least two of its letters are cased, cased letters make up at least half of
    all its letters, and none of the cased letters is lowercase. So "BREAKING NEWS" and
    "ГЛАВНЫЕ НОВОСТИ" are headings, while an Arabic, Hindi or Chinese sentence holding a Latin
    acronym ("... WHO ...") is not: most of its letters belong to a script without case.

    Args:
        text: a line or sentence.

    Returns:
        True for an all-capitals heading.
    """
    letters = 0
    cased = 0
    for ch in text:
        if not ch.isalpha():
            continue
        letters += 1
        if ch.lower() != ch.upper():
            if ch.islower():
                return False
            cased += 1
    return cased >= 2 and 2 * cased >= letters


def dateline_end(text: str, *, first_paragraph: bool = True) -> int:
    """Where the text after a leading wire dateline starts; 0 when there is none.

    Shapes: ``"WASHINGTON (AP) — "``, ``"TOKYO/SEOUL (Reuters) - "``, ``"SANTA ROSA, Calif. _ "``,
    ``"WUHAN, August 4 (Xinhua) -- "``, ``"BEIRUT — "``, and the bare agency forms ``"(CNN) — "``
    and ``"(CNN) "``. What follows must start a sentence (a capital, digit or opening quote), so
    "NATO — the alliance said" keeps its subject. Outside an article's first paragraph a place
    alone ("NASA — ...") is not taken for a dateline: it needs an agency in brackets, a
    qualifier (", Ohio") or a second city ("TOKYO/SEOUL").

    Args:
        text: a sentence or paragraph (leading whitespace is allowed).
        first_paragraph: whether ``text`` opens the article's first paragraph.

    Returns:
        The offset into ``text`` of the first character after the dateline (and its spaces).
    """
    stripped = text.lstrip()
    offset = len(text) - len(stripped)
    match = _DATELINE.match(stripped)
    if match is not None:
        rest = stripped[match.end() :]
        strong = bool(match["agency"] or match["qualifier"] or "/" in match["place"])
        if (first_paragraph or strong) and _starts_sentence(rest):
            return offset + match.end()
    title = _TITLE_DATELINE.match(stripped)
    if title is not None and _starts_sentence(stripped[title.end() :]):
        return offset + title.end()
    bare = _BARE_DATELINE.match(stripped)
    if bare is not None and _starts_sentence(stripped[bare.end() :]):
        return offset + bare.end()
    return 0


def strip_dateline(text: str, *, first_paragraph: bool = True) -> str:
    """``text`` less a leading wire dateline (see :func:`dateline_end`), otherwise verbatim."""
    end = dateline_end(text, first_paragraph=first_paragraph)
    return text[end:] if end else text


def _starts_sentence(rest: str) -> bool:
    first = rest.lstrip("\"'“‘«(")[:1]
    return bool(first) and (first.isupper() or first.isdigit() or not first.isascii())


def trim_read_more(text: str) -> str:
    """``text`` less a trailing "Read more" link ("… Read more »", "[Continue reading]").

    Returns ``text`` unchanged when nothing but the link would be left (that line is a
    teaser, see :func:`classify_line`).
    """
    match = _READ_MORE_TAIL.search(text)
    if match is None or match.start() == 0:
        return text
    kept = text[: match.start()].rstrip()
    return kept if any(ch.isalnum() for ch in kept) else text


def _ends_like_sentence(text: str) -> bool:
    return text.rstrip().rstrip(_CLOSERS).endswith(tuple(_TERMINALS))


def _is_note(text: str) -> bool:
    """Whether a sentence is a correction or editor's note.

    "Correction: ...", "Editor's note: ...", "Update: This story ...", "An earlier version of
    this story ...", "This article was amended ...".
    """
    if _NOTE_LABEL.match(text) and (not _NOTE_UPDATE_LABEL.match(text) or _NOTE_TEXT.search(text)):
        return True
    return _NOTE_TEXT.match(text.lstrip("\"'“‘([ ")) is not None


def _is_byline_sentence(text: str) -> bool:
    """Whether a sentence is a byline or credit line.

    "Reporting by ...; Editing by ...", "Contact the author ...", "... contributed to this
    report.".
    """
    if _BYLINE_START.match(text) or _CONTACT.match(text):
        return True
    if text.rstrip(".").endswith(("contributed to this report", "contributed reporting")):
        return True
    return bool(_CONTRIBUTED.fullmatch(text)) and " contributed" in text and len(text.split()) <= 30


def _is_teaser_sentence(text: str) -> bool:
    if _READ_MORE_TAIL.fullmatch(text) or _TEASER_ALONE.fullmatch(text):
        return True
    return bool(_TEASER_LABEL.match(text)) and len(text.split()) <= _MAX_TEASER_SENTENCE_WORDS


# A list item: a bullet, then text ("- The council has ...", "* Item", "• Item"). Dashes used
# for dialogue ("— Bonjour") are en and em dashes, not bullets.
_LIST_ITEM: Final = re.compile(r"[-*•·▪◦‣]\s+\S")

# A sentence opening with hashtags is an embedded post, not the reporter's copy.
_HASHTAGS: Final = re.compile(r"(?:#\w+\s+)+\S")

# classify_sentence's rules, first match wins.
_SENTENCE_RULES: Final[tuple[tuple[Kind, Callable[[str], bool]], ...]] = (
    (Kind.SYMBOLS, lambda t: not any(ch.isalnum() for ch in t)),
    (Kind.FUNDING, lambda t: _FUNDING.search(t) is not None),
    (Kind.NOTE, _is_note),
    (Kind.BYLINE, _is_byline_sentence),
    (Kind.PROMPT, lambda t: _PROMPT.match(t) is not None),
    (Kind.COPYRIGHT, lambda t: _COPYRIGHT.match(t) is not None),
    (Kind.CAPTION, lambda t: bool(_ENDS_WITH_CREDIT.fullmatch(t) or _CREDIT_LABEL.fullmatch(t))),
    (Kind.TEASER, _is_teaser_sentence),
    (Kind.HEADING, lambda t: _LIST_ITEM.match(t) is not None),
    (Kind.SOCIAL, lambda t: _HASHTAGS.match(t) is not None),
)


def classify_sentence(sentence: str) -> Kind:
    """The kind of one sentence inside a paragraph (the phrase rules only).

    Rules, first match wins: no letter or digit; a funding note; a correction or editor's
    note; a byline or "contributed to this report"; a newsletter, social, app, tip or
    advertising prompt; a copyright line; a photo credit; a teaser ("Read more", a teaser
    label). The shape rules (no terminal punctuation, short line) are not applied: a sentence
    is judged by what it says, so a paragraph's news sentences are never dropped for their
    form.

    Args:
        sentence: one sentence, whitespace-collapsed.

    Returns:
        Its :class:`Kind`; :attr:`Kind.NEWS` when no rule matches.
    """
    text = sentence.strip()
    return next((kind for kind, rule in _SENTENCE_RULES if rule(text)), Kind.NEWS)


_LineRule = Callable[[str, int, BoilerplateConfig], bool]
# classify_line's whole-line rules, first match wins: (kind, rule(text, words, config)).
_LINE_RULES: Final[tuple[tuple[Kind, _LineRule], ...]] = (
    (Kind.SYMBOLS, lambda t, _n, _c: not any(ch.isalnum() for ch in t)),
    (Kind.LINK, lambda t, _n, _c: _LINK.fullmatch(t) is not None),
    (Kind.DATELINE, lambda t, _n, _c: _DATELINE_ALONE.fullmatch(t) is not None),
    (Kind.TEASER, lambda t, _n, _c: _BRACKETED.fullmatch(t) is not None),
    (Kind.TEASER, lambda t, n, c: n <= c.max_teaser_words and _TEASER_LABEL.match(t) is not None),
    (Kind.TEASER, lambda t, _n, _c: _TEASER_ALONE.fullmatch(t) is not None),
    (Kind.CAPTION, lambda t, _n, _c: _SLIDE_COUNTER.fullmatch(t) is not None),
    (Kind.BYLINE, lambda t, _n, _c: _is_byline(t)),
    (Kind.BYLINE, lambda t, n, _c: n <= 20 and bool(_REPORTED_FROM.fullmatch(t) or _BIO.match(t))),
)


def _furniture_kind(text: str) -> Kind:
    """The kind of a short line by its credit shapes, else by its first sentence."""
    if text.startswith("(") and text.endswith(")"):
        kind = classify_sentence(text[1:-1])
        return kind if kind is not Kind.NEWS else Kind.CAPTION  # "( /Associated Press)"
    if (
        _ENDS_WITH_CREDIT.fullmatch(text)
        or _CREDIT_LABEL.fullmatch(text)
        or _CREDIT_TAIL.fullmatch(text)
        or _AGENCY_CREDIT.fullmatch(text)
    ):
        return Kind.CAPTION
    # Footer blocks hang together: "Chat with us in Facebook Messenger. Find out what's ...".
    return classify_sentence(_first_sentence(text))


def classify_line(line: str, config: BoilerplateConfig = BoilerplateConfig()) -> Kind:
    """The kind of one whole paragraph (line) of an article.

    Rules, first match wins: no letter or digit (``SYMBOLS``); a bare URL (``LINK``); a
    dateline with nothing after it (``DATELINE``); a line in square brackets or opening with a
    teaser label ("Read Also:", "Photos:", "Related Article:", "Lesen Sie auch:", up to
    ``max_teaser_words``) or being a teaser heading ("Read more", "Most Read") (``TEASER``); a
    slideshow counter (``CAPTION``); a "By ..." byline of capitalised names, "X reported from
    Y." or a reporter's one-line bio (``BYLINE``); for lines of at most
    ``max_furniture_words`` words, a line ending in a parenthesised photo credit or a
    "Photo: ..." label, or consisting of one (``CAPTION``), then the kind of the line's *first
    sentence* by :func:`classify_sentence` (footer blocks such as "Chat with us in Facebook
    Messenger. Find out what's happening ..." hang together); last an all-capitals line in a
    cased script (:func:`is_all_caps_heading`), or a Latin-script line of at most
    ``max_heading_words`` words without terminal punctuation and without a past-tense
    attribution ("said", "told": a news sentence that lost its final mark) (``HEADING``).

    Args:
        line: one paragraph, stripped and whitespace-collapsed.
        config: thresholds.

    Returns:
        Its :class:`Kind`; :attr:`Kind.NEWS` when no rule matches.
    """
    text = line.strip()
    words = len(text.split())
    for kind, rule in _LINE_RULES:
        if rule(text, words, config):
            return kind
    if words <= config.max_furniture_words:
        kind = _furniture_kind(text)
        if kind is not Kind.NEWS:
            return kind
    if is_all_caps_heading(text) or (
        words <= config.max_heading_words
        and not _ends_like_sentence(text)
        and _REPORTED_SPEECH.search(text) is None
        and dominant_script(text) in _HEADING_SCRIPTS
    ):
        return Kind.HEADING
    return Kind.NEWS


# "By JANE DOE, Associated Press", "By Maria Gonzalez and Lee Park | Reuters": "By", then only
# capitalised words, initials, outlet names and these connectors, at most 12 words in all.
_BYLINE_CONNECTORS: Final = frozenset(
    {"and", "&", "|", "the", "of", "in", "for", "at", "with", "de", "da", "van", "von", "le"}
)
_BYLINE_STRIP: Final = ",.;:|()-–—/"


def _is_byline(line: str, max_words: int = 12) -> bool:
    words = line.split()
    if len(words) < 2 or len(words) > max_words or words[0].lower() != "by":
        return False
    if line.endswith(("?", "!")) or not _BYLINE_BY.match(line):
        return False
    for word in words[1:]:
        core = word.strip(_BYLINE_STRIP)
        if core and not core[0].isupper() and core.lower() not in _BYLINE_CONNECTORS:
            return False
    return True


# A sentence end inside a line: terminal punctuation, optional closers, a space, then a capital,
# digit or opening quote. Good enough to find the first sentence of a footer block.
_SENTENCE_END: Final = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"“‘(\[A-Z0-9])")


def _first_sentence(text: str) -> str:
    parts = _SENTENCE_END.split(text, maxsplit=1)
    return parts[0]


# --- furniture fused to the front of a sentence -----------------------------------------------
# Web text extracted without line breaks glues a photo caption, credit, headline or widget text
# to the news sentence after it ("... into a dry well Dozens of rescuers are ..."): the segmenter
# sees one sentence. The piece before such a seam never ends with sentence punctuation (else the
# segmenter would have cut there), so it is a caption, headline or widget text, never a whole
# news sentence: :func:`news_start` finds the last seam and the sentence's news starts after it.
#
# Words that start a sentence and, capitalised, do not occur inside one: determiners, pronouns,
# sentence-opening prepositions and conjunctions, quantifiers. After a lower-case word, digit or
# closing quote and before a lower-case word or a number ("well Dozens of", "defeat The new",
# "worked A large-scale", "London The 42-year-old"), a capitalised one marks a seam; titles of
# works ("in The Washington Post", "the film A Quiet Place") keep their capital on the next word
# and are not taken.
_STARTER_WORDS: Final = (
    "The", "A", "An", "This", "These", "Those", "It", "Its", "He", "She", "They", "We", "There",
    "His", "Her", "Their", "In", "On", "At", "After", "Before", "During", "With", "When",
    "While", "As", "But", "Dozens", "Hundreds", "Thousands", "Scores", "Several", "Many", "Some",
    "Most", "More", "Nearly", "About", "Around", "Almost", "Only", "All", "Both", "Two", "Three",
    "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "According",
)  # fmt: skip
# After a capitalised word (a name ending a caption: "... south London The 42-year-old ...",
# "... of Mazar-e-Sharif AT least ...") only "The" and starters in capitals count: "Class A
# shares", "Game Seven", "Believe It or Not", "Made In America" are names.
_AFTER_NAME: Final = frozenset({"The"})
_STARTER: Final = "|".join([*_STARTER_WORDS, *(w.upper() for w in _STARTER_WORDS if len(w) > 1)])
# Speech verbs: 'said "We will ...' is one sentence quoting another, not a seam.
_SPEECH: Final = frozenset(
    "said says told added wrote writes tweeted posted declared stated asked shouted read reads "  # noqa: SIM905
    "reading saying titled called headlined chanted chanting yelled".split()
)
# A seam candidate: a word, a space, then a starter before a lower-case word or a digit. The
# word before and the starter are captured and judged in :func:`_is_seam`.
_SEAM: Final = re.compile(rf"(?P<prev>\S+) (?=(?P<starter>{_STARTER}) [a-z0-9])")
# Inside a caption (after a caption label) a seam may also follow a name or precede a capital:
# "... in Seattle A swathe of police ...", "... over 100 hours A Chinese boy ...".
_CAPTION_SEAM: Final = re.compile(
    r"(?<=[A-Za-z0-9%'’\"”)]) (?=(?:The|A|An|In|On|At|After|THE|AT) \S)"
)
# A photo credit in brackets, then a capital: "(Melina Mara/The Washington Post) Hillary ...",
# "... Hillary Clinton (Photo: Ethan Miller, Getty Images) WASHINGTON -- ...", "(Getty) The".
_CREDIT_SEAM: Final = re.compile(
    rf"(?:{_CREDIT_PAREN}|\((?:Getty|PA|Rex|Alamy|EPA|AP|AFP|Reuters)\)|"
    r"\([A-Z][\w .'’-]{1,40}/\s*(?:The )?[A-Z][\w .'’&-]{1,40}\))\s+(?-i:(?=[A-Z\"“]))",
    _I,
)
# An embedded post's signature: "pic.twitter.com/x -- Name (@handle) November 10, 2016",
# "A photo posted by Name (@handle) on Nov 9, 2016 at 1:57am PST".
_MONTH: Final = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_POST_SIGNATURE: Final = re.compile(
    rf"\(@\w{{1,30}}\)\s+(?:on\s+)?{_MONTH} \d{{1,2}},? \d{{4}}"
    r"(?: at \d{1,2}:\d{2}\s?[ap]m(?: [A-Z]{2,4})?)?\s+(?=\S)"
)
# A kicker label in capitals glued inside a sentence: "... Grand Prix DRIVER OF THE DAY: Max".
_KICKER_SEAM: Final = re.compile(r"(?:^|\s)(?:[A-Z]{2,}[’']?S? ){1,5}[A-Z]{2,}:\s+(?=[A-Z])")
# Widget text that opens a sentence: video-player controls ("Skip Ad Ad Loading... x Embed x
# Share"), a newsletter box ("Could not subscribe, try again later Invalid Email"), typesetting
# codes of wire feeds ("&QL;", "&UR;": an entity no HTML decoder knows).
_WIDGET_PREFIX: Final = re.compile(
    r"(?:(?:skip ad|ad loading\W*|loading\W*|x embed|x share|embed|share|replay|up next|"
    r"now playing|autoplay|could not subscribe,? try again later|invalid email(?: address)?|"
    r"thank you for subscribing|please enter a valid email(?: address)?|&[A-Za-z]{1,8};)\s+)+"
    r"(?=\S)",
    _I,
)
# A caption label that opens a sentence, with the caption after it: "Image copyright X Image
# caption ...", "Photo KUNDUZ, ...", "Getty Images The ...", "An image of ...", a credit in
# capitals before a starter ("TWITTER At least ...") or a photo's date stamp ("Nov. 2, 2016 The
# Cubs celebrate ...").
_CAPTION_PREFIX: Final = re.compile(
    r"(?:(?:image|media) (?:copyright|caption|source)|photo(?:graph)?|picture|getty images|"
    r"(?:a |an )?(?:file |handout )?(?:photo|picture|image) (?:of|showing|shows|"
    r"(?:issued|released|posted|provided|taken|made available) by)\b|"
    r"(?-i:[A-Z]{2,}(?: [A-Z]{2,}){0,2}(?= (?:The|At|A|An|In|On) ))|"
    rf"{_MONTH} \d{{1,2}}, \d{{4}})\s+(?=[A-Z\"“])",
    _I,
)


def _is_seam(sentence: str, match: re.Match[str]) -> bool:
    """Whether a :data:`_SEAM` candidate is a seam (see there)."""
    prev, starter = match["prev"], match["starter"]
    del sentence
    core = prev.strip("\"'“‘”’`()[]")
    if core.casefold() in _SPEECH or core[-1:] in ".!?:;,–—-":
        return False  # 'said "We ...', or a cut the segmenter did not make ("place. This")
    if match.start() == 0:
        return False  # one word is no caption ("Year Two of ..."); "TWITTER At": a label
    if core.isupper() and len(core) >= 2:
        return True  # a credit or kicker in capitals: "TWITTER At least ...", "SEATTLE TIMES The"
    if prev[-1:] in "'’\"”)" or core.islower() or core.isdigit():
        return True
    in_capitals = starter.isupper() and len(starter) > 1  # "AT", not "A"
    return core[:1].isupper() and (starter in _AFTER_NAME or in_capitals)


def _after_widgets(sentence: str, start: int) -> int:
    """``start`` moved past any widget text (:data:`_WIDGET_PREFIX`) found there."""
    widget = _WIDGET_PREFIX.match(sentence, start)
    return start if widget is None else widget.end()


def news_start(sentence: str) -> int | None:
    """Where the news starts in a sentence that has furniture fused to its front.

    Furniture glued to the front of a sentence by text extraction (no line break between them):
    a caption or headline ending at a seam (:data:`_SEAM`: "... a dry well Dozens of rescuers
    ...", "... election defeat The new examination ..."), a bracketed photo credit ("(Jane
    Roe/The Daily Planet) The ..."), an embedded post's signature ("... (@handle) November 10,
    2016 There were ..."), a kicker in capitals ("DRIVER OF THE DAY: ..."), widget text
    ("Skip Ad Ad Loading... x Embed x Share", "Could not subscribe, try again later Invalid
    Email", "&QL;") or a caption label ("Image caption ...", "Photo ...", a date stamp).
    The news is what follows the last of these, less a wire dateline it opens with. A caption
    label with no seam after it leaves nothing: the caption cannot be told from the sentence.

    Only Latin-script sentences are looked at (the seams are capitalisation rules).

    Args:
        sentence: one sentence, whitespace-collapsed.

    Returns:
        0 when the sentence is all news; the offset of its news part; None when it is all
        furniture.
    """
    if dominant_script(sentence) != "LATIN":
        return 0
    start = _after_widgets(sentence, 0)
    caption = _CAPTION_PREFIX.match(sentence, start)
    for match in _SEAM.finditer(sentence):
        if _is_seam(sentence, match):
            start = max(start, match.end())
    for pattern in (_CREDIT_SEAM, _POST_SIGNATURE, _KICKER_SEAM):
        for match in pattern.finditer(sentence):
            start = max(start, match.end())
    if caption is not None:
        seams = [m.end() for m in _CAPTION_SEAM.finditer(sentence, caption.end())]
        if seams:
            start = max(start, seams[-1])
        elif start < caption.end():
            if not (dateline_end(sentence[caption.end() :]) and caption.group().strip().isalpha()):
                return None  # no seam: the caption cannot be told from the sentence
            start = caption.end()  # "Photo KUNDUZ, Afghanistan -- ...": a label, then news
    start = _after_widgets(sentence, start)
    if start:
        start += dateline_end(sentence[start:])
    return start if start < len(sentence) else None


# A photo caption in wire style ends with the picture's date, year included ("... at Progressive
# Field in Cleveland, Wednesday, Nov. 2, 2016.", "... lands at Orly on March 28, 2007.") and
# tells it in the present tense. News copy that ends with a full date tells a past event.
_DATED_END: Final = re.compile(
    rf"(?:,| on| in)? (?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),? )?"
    rf"{_MONTH} \d{{1,2}},? \d{{4}}[.!]?[\"'”’)]*$"
)
# Past tense, perfect, future and modal markers: any of them makes the sentence a report.
_NOT_CAPTION_VERBS: Final = frozenset(
    "was were is are am be been being has have had will would shall should can could may "  # noqa: SIM905
    "might must did does do said says told made took came went got gave found began won lost "
    "beat died born met left held led ran saw became cast struck sold paid set put hit fell "
    "rose grew kept brought bought built sent spent spoke wrote thought stood".split()
)


def is_dated_caption(sentence: str) -> bool:
    """Whether a sentence reads as a wire photo caption: present tense, ending with a dated year.

    True when the sentence ends with a full date with its year ("Sunday, Nov. 13, 2016.") and
    has no past, perfect, future or modal marker (a word in -ed, or one of
    :data:`_NOT_CAPTION_VERBS`). So "Jane Roe waves to fans in Lyon, France, Sunday, Nov. 13,
    2016." is a caption, "The plant was opened on March 3, 2001." is not. Latin script only.

    Measured on DUC 2003 and MultiLing 2011 EN (about 11,300 sentences of news copy): 2
    sentences match ("... the big game shifts to the Orange Bowl Jan. 1, 2001."), so it is used
    only to keep a sentence out of a brief, never to drop it from an article.
    """
    if _DATED_END.search(sentence) is None or dominant_script(sentence) != "LATIN":
        return False
    words = re.findall(r"[A-Za-z]+", sentence)
    return not any(
        w.casefold() in _NOT_CAPTION_VERBS or (w.islower() and w.endswith("ed") and len(w) > 4)
        for w in words
    )
