"""Fact signatures: do two near-identical texts state the same facts? (pure, no I/O).

Two copies of a wire paragraph, or two outlets' versions of one sentence, share almost every
word; an embedding or a word-set Jaccard cannot tell "killing 10 people" from "killing 12
people", "will reopen" from "will not reopen", "shares rose 8%" from "shares fell 8%" or "A
defeated B" from "B defeated A". A brief that credits an outlet with a sentence must be sure
that the outlet said exactly that, so both the paragraph near-duplicate decision
(:mod:`service.pipeline.dedup`) and the brief's sentence groups
(:mod:`service.pipeline.summarize`) ask :func:`same_facts` on top of their similarity test.

A :class:`Facts` signature holds four parts; two texts state the same facts when all agree:

* **Quantities**: every number with its sign, scale and unit: digits ("1,200", "-3.5",
  "2:30" gives 2 and 30), number words ("ten", "twenty-one", "a dozen"), scale words ("$5
  million" is 5,000,000 dollars, never equal to "$5 billion"), currency ("$", "dollars",
  "€", "euros", ...), percent ("8%", "8 percent", "8 per cent" are one unit; "percentage
  points" another), and vague counts ("dozens", "hundreds", "thousands" of ...). Compared as
  sets: a text that adds, drops or changes a number states another fact. Other units ("10
  people" vs "10 homes") are left to the caller's word test: the words differ there anyway.
* **Negations**: how many negation cues the text has ("not", "n't", "no", "never", "none",
  "nobody", "nothing", "neither", "nor", "without", "cannot"). "will not reopen", "won't
  reopen" and "will never reopen" all count one; "will reopen" counts none.
* **Polarity**: the direction of antonym verbs and comparatives, as (axis, sign) pairs: the
  movement axis (rose / increased / gained / climbed ... vs fell / decreased / lost /
  dropped ...; "up 8%" vs "down 8%"), contests (won / beat / defeated vs lost), decisions
  (approved / accepted / upheld vs rejected / refused / vetoed / overturned), verdicts
  (convicted vs acquitted), opening (opened / reopened vs closed / shut), permission
  (allowed / permitted vs banned / prohibited), resumption (resumed vs suspended / halted),
  claims (confirmed / admitted vs denied), and comparatives (more / higher / above vs less /
  fewer / lower / below). Synonyms on one axis are equal ("rose" = "climbed"). Two texts
  conflict on an axis both use with different signs; an axis only one uses is no conflict
  ("more than 40" and "over 40").
* **Roles**: who did what to whom, as (entity, link word, entity) triples in text order: for
  two named-entity mentions (runs of capitalised words) at most ``_ROLE_WINDOW`` words apart,
  each content word between them ("Arsenal defeated Chelsea" gives (arsenal, defeated,
  chelsea)). Two texts conflict when one has (x, w, y) and the other (y, w, x) without (x, w,
  y): the same link with the entities swapped. A passive paraphrase ("Chelsea were defeated
  by Arsenal") is read as a conflict too: a missed copy costs a little recall, a wrong credit
  costs the reader's trust.

The method is rule-based and English-only, in the spirit of the number and negation features
of textual-entailment and contradiction detection (de Marneffe, Rafferty & Manning 2008,
"Finding contradictions in text", ACL: numeric mismatch, negation/antonymy and structural
(argument-swap) mismatch are their main contradiction classes). Texts in other scripts still
get quantities (digits), and nothing else, so the check never makes them unequal by accident.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final, NamedTuple

__all__ = ["Facts", "fact_signature", "facts_differ", "same_facts"]


@dataclass(frozen=True, slots=True)
class Facts:
    """What a text states, as far as attribution needs it.

    Attributes:
        quantities: ``(value, unit)`` pairs: value a normalised decimal string ("5000000",
            "-3.5", "0.75"), or a vague count word ("hundreds"); unit ``""`` (a bare number),
            ``"%"`` (percent), ``"pp"`` (percentage points) or a currency code ("USD", "EUR",
            "GBP", "JPY", "CNY", "INR").
        negations: number of negation cues.
        polarity: ``(axis, sign)`` pairs of antonym verbs and comparatives; sign is +1 or -1.
        roles: ``(entity, link word, entity)`` triples in text order, lower-cased.
    """

    quantities: frozenset[tuple[str, str]]
    negations: int
    polarity: frozenset[tuple[str, int]]
    roles: frozenset[tuple[str, str, str]]

    @property
    def key(self) -> tuple[frozenset[tuple[str, str]], int]:
        """The hashable part of the comparison (quantities, negations).

        Texts with different keys never state the same facts; texts with the same key do unless
        their polarity or roles conflict (:func:`same_facts`).
        """
        return (self.quantities, self.negations)


# --- quantities ---------------------------------------------------------------------------------

_UNITS: Final = (  # noqa: SIM905
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS: Final = "twenty thirty forty fifty sixty seventy eighty ninety".split()  # noqa: SIM905
_SMALL: Final = {w: v for v, w in enumerate(_UNITS)} | {
    w: 10 * (i + 2) for i, w in enumerate(_TENS)
}
_SCALES: Final = {
    "hundred": 100,
    "thousand": 1_000,
    "million": 1_000_000,
    "mn": 1_000_000,
    "billion": 1_000_000_000,
    "bn": 1_000_000_000,
    "trillion": 1_000_000_000_000,
    "tn": 1_000_000_000_000,
}
# Words that can start a spelled-out number ("ten", "hundred people"; "million" alone cannot).
_SPELLED: Final = frozenset(_SMALL) | {"hundred", "thousand"}
# Plural scale words without a count are vague quantities: "hundreds of homes" states a
# different order of magnitude than "thousands of homes" or "dozens of homes".
_VAGUE: Final = frozenset(
    "dozens scores hundreds thousands tens millions billions trillions".split()  # noqa: SIM905
)
_CURRENCY_SYMBOL: Final = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
_CURRENCY_WORD: Final = {
    "dollar": "USD",
    "dollars": "USD",
    "euro": "EUR",
    "euros": "EUR",
    "pound": "GBP",
    "pounds": "GBP",
    "sterling": "GBP",
    "yen": "JPY",
    "yuan": "CNY",
    "renminbi": "CNY",
    "rupee": "INR",
    "rupees": "INR",
}
# A token: a number with optional currency symbol and sign, or a word (inner apostrophes and
# hyphens kept: "won't", "twenty-one"), or a percent sign. The sign counts only at the start
# of a token, so the "-1" of a "3-1" score is not minus one.
_TOKEN: Final = re.compile(
    r"(?P<num>(?P<cur>[$€£¥₹])?\s?(?P<sign>(?<![\w.])[-−–])?(?P<digits>\d+(?:[.,]\d+)*))"
    r"|(?P<word>[^\W\d_]+(?:['’-][^\W\d_]+)*)"
    r"|(?P<pct>%)"
)
_THOUSANDS: Final = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


class _Token(NamedTuple):
    kind: str  # "num", "word" or "pct"
    text: str  # the word lower-cased, or the digits
    raw: str  # as written (for capitalisation)
    currency: str = ""
    negative: bool = False


def _tokens(text: str) -> list[_Token]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "word":
            word = m.group(kind)
            out.append(_Token("word", word.lower().replace("’", "'"), word))
        elif kind == "num":
            digits = m.group("digits")
            currency = _CURRENCY_SYMBOL.get(m.group("cur") or "", "")
            out.append(_Token("num", digits, digits, currency, m.group("sign") is not None))
        else:
            out.append(_Token("pct", "%", "%"))
    return out


def _decimal(digits: str) -> Decimal | None:
    """Digits as a decimal: "1,200" is 1200, "3,5" is 3.5 (a decimal comma); None if unreadable."""
    if _THOUSANDS.match(digits):
        digits = digits.replace(",", "")
    elif digits.count(",") == 1 and "." not in digits:
        digits = digits.replace(",", ".")
    else:
        digits = digits.replace(",", "")
    if digits.count(".") > 1:  # "1.2.3": a version or a date, read as its parts' string
        return None
    try:
        return Decimal(digits)
    except InvalidOperation:  # pragma: no cover - the regex only admits digits and separators
        return None


def _format(value: Decimal) -> str:
    """A canonical decimal string: "5000000", "3.5", "-2" (no exponent, no trailing zeros)."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def _word_number(tokens: list[_Token], i: int) -> tuple[Decimal, int] | None:
    """A number spelled out from ``tokens[i]``: its value and the next index, else None."""
    words: list[str] = []
    j = i
    while j < len(tokens) and tokens[j].kind == "word":
        parts = tokens[j].text.split("-")
        if all(p in _SMALL or p in _SCALES for p in parts) and not (
            words == [] and parts[0] in _SCALES and parts[0] not in ("hundred", "thousand")
        ):
            words.extend(parts)
            j += 1
        elif (
            tokens[j].text == "and"
            and words
            and j + 1 < len(tokens)
            and (tokens[j + 1].text in _SMALL)
        ):
            j += 1  # "two hundred and fifty"
        else:
            break
    if not words or (all(w in _SCALES for w in words) and words[0] not in ("hundred", "thousand")):
        return None
    total, current = 0, 0
    for w in words:
        if w in _SMALL:
            current += _SMALL[w]
        else:
            current = max(current, 1) * _SCALES[w]
            if _SCALES[w] >= 1000:
                total, current = total + current, 0
    return Decimal(total + current), j


def _unit_after(tokens: list[_Token], j: int) -> tuple[str, int]:
    """The unit that follows a number at ``tokens[j]``: ("%"/"pp"/currency/"", next index)."""
    if j < len(tokens):
        t = tokens[j]
        if t.kind == "pct" or t.text in ("percent", "pct"):
            return "%", j + 1
        if t.text == "per" and j + 1 < len(tokens) and tokens[j + 1].text == "cent":
            return "%", j + 2
        if (
            t.text == "percentage"
            and j + 1 < len(tokens)
            and tokens[j + 1].text
            in (
                "point",
                "points",
            )
        ):
            return "pp", j + 2
        if t.text in _CURRENCY_WORD:
            return _CURRENCY_WORD[t.text], j + 1
    return "", j


def _quantities(tokens: list[_Token]) -> tuple[frozenset[tuple[str, str]], set[int]]:
    """Quantities of a token list, and the indices of the tokens that spelled them."""
    out: set[tuple[str, str]] = set()
    used: set[int] = set()
    i = 0
    while i < len(tokens):
        t = tokens[i]
        value: Decimal | None = None
        currency = ""
        start = i
        if t.kind == "num":
            value = _decimal(t.text)
            if value is None:
                out.add((t.text, ""))
                used.add(i)
                i += 1
                continue
            if t.negative:
                value = -value
            currency = t.currency
            j = i + 1
            if j < len(tokens) and tokens[j].text in _SCALES:
                value *= _SCALES[tokens[j].text]
                j += 1
        elif t.kind == "word" and t.text in _VAGUE:
            out.add((t.text, ""))
            used.add(i)
            i += 1
            continue
        elif t.kind == "word" and t.text == "dozen":
            value, j = Decimal(12), i + 1
        elif t.kind == "word" and t.text == "one" and i > 0 and tokens[i - 1].text == "no":
            i += 1  # "no one" is "nobody", not a count
            continue
        elif t.kind == "word" and (t.text in _SPELLED or t.text.split("-", 1)[0] in _SMALL):
            spelled = _word_number(tokens, i)
            if spelled is None:
                i += 1
                continue
            value, j = spelled
        else:
            i += 1
            continue
        unit, j = _unit_after(tokens, j)
        if start > 0 and tokens[start - 1].text == "minus":
            value = -value
        out.add((_format(value), currency or unit))
        used.update(range(start, j))
        i = j
    return frozenset(out), used


# --- negation and polarity ----------------------------------------------------------------------

_NEGATIONS: Final = frozenset(
    "not no never none nobody nothing neither nor without cannot nowhere".split()  # noqa: SIM905
)

# Axis -> (positive forms, negative forms). Inflected forms are listed, not stemmed: a stemmer
# would merge "lost" with "lose" but not "fell" with "fall", and these lists are short.
_AXES: Final = {
    "movement": (
        "rise rises rose risen rising increase increases increased increasing gain gains "
        "gained gaining grow grows grew grown growing climb climbs climbed climbing jump "
        "jumps jumped jumping surge surges surged surging soar soars soared soaring rally "
        "rallied rallies rebound rebounded rebounds raise raises raised raising hike hikes "
        "hiked hiking boost boosts boosted boosting expand expands expanded expanding",
        "fall falls fell fallen falling decrease decreases decreased decreasing drop drops "
        "dropped dropping decline declines declined declining lose loses lost losing slip "
        "slips slipped slipping slump slumps slumped slumping plunge plunges plunged plunging "
        "sink sinks sank sunk sinking tumble tumbles tumbled tumbling slide slides slid "
        "sliding shrink shrinks shrank shrunk shrinking dip dips dipped dipping cut cuts "
        "cutting lower lowers lowered lowering reduce reduces reduced reducing slash slashes "
        "slashed slashing contract contracted contracts contracting",
    ),
    "contest": (
        "win wins won winning beat beats beaten beating defeat defeats defeated defeating",
        "lose loses lost losing",
    ),
    "decision": (
        "approve approves approved approving accept accepts accepted accepting uphold upholds "
        "upheld upholding ratify ratifies ratified ratifying endorse endorses endorsed "
        "endorsing grant grants granted granting",
        "reject rejects rejected rejecting refuse refuses refused refusing veto vetoes vetoed "
        "vetoing overturn overturns overturned overturning dismiss dismisses dismissed "
        "dismissing",
    ),
    "verdict": (
        "convict convicts convicted convicting guilty",
        "acquit acquits acquitted acquitting innocent",
    ),
    "opening": (
        "open opens opened opening reopen reopens reopened reopening",
        "close closes closed closing shut shuts shutting",
    ),
    "permission": (
        "allow allows allowed allowing permit permits permitted permitting legalize "
        "legalized legalise legalised",
        "ban bans banned banning prohibit prohibits prohibited prohibiting forbid forbids "
        "forbade forbidden outlaw outlawed",
    ),
    "resumption": (
        "resume resumes resumed resuming restart restarts restarted restarting",
        "suspend suspends suspended suspending halt halts halted halting",
    ),
    "claim": (
        "confirm confirms confirmed confirming admit admits admitted admitting",
        "deny denies denied denying",
    ),
    "comparison": (
        "more higher larger bigger greater above most highest largest biggest greatest",
        "less fewer lower smaller below least fewest lowest smallest",
    ),
}
_POLARITY: Final[dict[str, tuple[tuple[str, int], ...]]] = {}
for _axis, (_plus, _minus) in _AXES.items():
    for _sign, _forms in ((1, _plus), (-1, _minus)):
        for _form in _forms.split():
            _POLARITY[_form] = (*_POLARITY.get(_form, ()), (_axis, _sign))


def _is_negation(token: _Token, following: _Token | None) -> bool:
    text = token.text
    if text.endswith("n't"):
        return True
    if text == "no" and following is not None and following.kind == "num":
        return False  # "No. 1", "No 10 Downing Street"
    return text in _NEGATIONS


# --- roles ------------------------------------------------------------------------------------

# Entities at most this many tokens apart are linked by the words between them: a verb and
# its object sit within a few words, while two entities farther apart are usually in different
# clauses, where word order says nothing about roles.
_ROLE_WINDOW: Final = 8
# Words that never name an entity even when capitalised (sentence-initial function words).
_FUNCTION: Final = frozenset(
    "a an the this that these those it its he she they we i you his her their our my your "  # noqa: SIM905
    "in on at of for to by with from and or but as after before when while if though "
    "although because since so yet also said says according there here".split()
)


def _roles(tokens: list[_Token], quantity_tokens: set[int]) -> frozenset[tuple[str, str, str]]:
    """(entity, link word, entity) triples: see the module docstring."""
    mentions: list[tuple[int, int, str]] = []  # (first token, last token, entity)
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.kind == "word" and t.raw[:1].isupper() and t.text not in _FUNCTION:
            j = i
            while (
                j + 1 < len(tokens)
                and tokens[j + 1].kind == "word"
                and tokens[j + 1].raw[:1].isupper()
                and tokens[j + 1].text not in _FUNCTION
            ):
                j += 1
            mentions.append((i, j, " ".join(tokens[k].text for k in range(i, j + 1))))
            i = j + 1
        else:
            i += 1
    triples: set[tuple[str, str, str]] = set()
    for a, (_, end_a, name_a) in enumerate(mentions):
        for start_b, _, name_b in mentions[a + 1 :]:
            if start_b - end_a - 1 > _ROLE_WINDOW:
                break
            if name_a == name_b:
                continue
            for k in range(end_a + 1, start_b):
                t = tokens[k]
                if t.kind == "word" and t.text not in _FUNCTION and k not in quantity_tokens:
                    triples.add((name_a, t.text, name_b))
    return frozenset(triples)


# --- the signature --------------------------------------------------------------------------


# Memoised: the summariser asks for every sentence of a story on each brief, mostly the same
# sentences again; signatures are immutable, so sharing them is safe.
@functools.lru_cache(maxsize=16384)
def fact_signature(text: str) -> Facts:
    """The :class:`Facts` of ``text`` (all parts empty for a text without any).

    Args:
        text: a sentence or a paragraph, as written (capitalisation is used for roles).

    Returns:
        Its quantities, negation count, polarity pairs and role triples.
    """
    tokens = _tokens(text)
    quantities, used = _quantities(tokens)
    negations = 0
    polarity: set[tuple[str, int]] = set()
    for k, t in enumerate(tokens):
        if t.kind != "word":
            continue
        following = tokens[k + 1] if k + 1 < len(tokens) else None
        if _is_negation(t, following):
            negations += 1
        if t.text in _POLARITY:
            polarity.update(_POLARITY[t.text])
        elif t.text in ("up", "down") and following is not None and following.kind == "num":
            polarity.add(("movement", 1 if t.text == "up" else -1))  # "up 8%", "down 8%"
    return Facts(quantities, negations, frozenset(polarity), _roles(tokens, used))


def _role_conflict(a: Facts, b: Facts) -> bool:
    """Whether one text has (x, w, y) and the other (y, w, x) but not (x, w, y)."""
    return any((y, w, x) in b.roles and (x, w, y) not in b.roles for x, w, y in a.roles) or any(
        (y, w, x) in a.roles and (x, w, y) not in a.roles for x, w, y in b.roles
    )


def _polarity_conflict(a: Facts, b: Facts) -> bool:
    """Whether an axis both texts use has different signs in them ("rose" vs "fell").

    An axis only one text uses is no conflict: "more than 40" and "over 40" state one fact.
    """
    shared = {axis for axis, _ in a.polarity} & {axis for axis, _ in b.polarity}
    return any(
        {s for axis, s in a.polarity if axis == x} != {s for axis, s in b.polarity if axis == x}
        for x in shared
    )


def facts_differ(a: Facts, b: Facts) -> bool:
    """Whether two signatures state different facts (the negation of :func:`same_facts`)."""
    return a.key != b.key or _polarity_conflict(a, b) or _role_conflict(a, b)


def same_facts(a: Facts, b: Facts) -> bool:
    """Whether two texts' signatures state the same facts.

    Equal quantities (value, sign, scale and unit), equal negation counts, the same signs on
    every polarity axis both use, and no swapped roles. Symmetric; reflexive (every signature
    equals itself).

    Args:
        a: one text's signature (:func:`fact_signature`).
        b: the other's.
    """
    return not facts_differ(a, b)
