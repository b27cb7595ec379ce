"""An article's language: detected with py3langid, or the client's (pure; no I/O at run time).

Why it matters: the paragraph embedder, all-MiniLM-L6-v2, was trained on English. On other
languages its vectors say little about meaning: it puts unrelated French, Czech or Hindi texts
close together (most of what it "sees" is sub-word noise), so its cosines would glue unrelated
non-English paragraphs into one near-duplicate cluster and unrelated articles into one story.
The ingest planner therefore uses the language this stage gives to

* keep stories and near-duplicate clusters within one language (a cannot-link, in the online
  grouping and in the regrouping pass);
* use only lexical evidence for languages the embedder was not trained on
  (:attr:`LanguageConfig.embedder_languages`): exact paragraph copies, the lexical
  near-duplicate check (same numbers, content-word Jaccard), and the regrouping pass's TF-IDF.

Detection: py3langid (a maintained repackaging of Lui & Baldwin 2012, "langid.py: an
off-the-shelf language identification tool"; naive Bayes over byte n-grams, 97 languages; its
model ships inside the wheel, so nothing is downloaded at run time) classifies the title and the
first ``max_chars`` characters of the body. A text with fewer than ``min_letters`` letters, or
whose normalised probability is below ``min_confidence``, is ``"und"`` (ISO 639-2
"undetermined"): too little evidence to say. Codes are ISO 639-1 (``en``, ``fr``, ``ar``).
Accuracy: docs/EVALUATION.md ("Language identification"; ``python -m service.evaluation.language``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final

from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

UNDETERMINED: Final = "und"
# A client's tag: a BCP 47 primary language subtag (2-3 letters), optionally with subtags
# ("en-GB", "zh-Hant"); only the primary subtag is kept ("en-GB" groups with "en").
_TAG: Final = re.compile(r"^([A-Za-z]{2,3})(?:-[A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True, slots=True)
class LanguageConfig:
    """Language identification settings.

    Attributes:
        min_letters: a text with fewer letters (``str.isalpha`` characters, any script) is
            ``und`` without asking the model. 10: a floor for lines with almost no letters
            (a number, a URL); a CJK headline has few "letters" per word, so it stays low.
        min_confidence: least normalised probability (py3langid ``norm_probs``) of the best
            language; below it the text is ``und``. Both bars were chosen on
            tests/data/language_dev.tsv (25 languages, 11 too-short lines; ``python -m
            service.evaluation.language --sweep``): every point with ``min_letters`` 0-15 and
            ``min_confidence`` 0.2-0.7 labels all 36 lines right (the too-short lines score
            0.01-0.12, the sentences 0.73-1.0); the defaults sit inside that plateau, away
            from its edges. Held-out figures: docs/EVALUATION.md.
        max_chars: only the first this many characters of title and body are classified
            (about 0.3 ms per 1,000 characters; a news article's language shows in its first
            paragraphs).
        embedder_languages: languages the paragraph embedder was trained on; for the others
            its cosines are no evidence (only lexical evidence groups them).
    """

    min_letters: int = 10
    min_confidence: float = 0.5
    max_chars: int = 2000
    embedder_languages: tuple[str, ...] = ("en",)

    def __post_init__(self) -> None:
        if self.min_letters < 0:
            raise ValueError("min_letters must be >= 0")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError("min_confidence must be in [0, 1]")
        if self.max_chars < 1:
            raise ValueError("max_chars must be >= 1")


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """A text's language.

    Attributes:
        language: ISO 639-1 code, or ``"und"`` when undetermined.
        confidence: the model's normalised probability of its best language (0-1; 1.0 for a
            client's tag; 0.0 when the text was too short to classify).
        source: ``detected`` or ``client``.
    """

    language: str
    confidence: float
    source: str = "detected"


@functools.cache
def _identifier() -> LanguageIdentifier:
    """py3langid's model, loaded once per process (about 1 s)."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def client_language(tag: str) -> str:
    """A client's language tag as stored: its primary subtag, lower-cased.

    Raises:
        ValueError: ``tag`` is not a BCP 47 tag with a 2-3 letter primary subtag.
    """
    match = _TAG.match(tag.strip())
    if match is None:
        raise ValueError(
            f"language {tag!r} is not a language tag such as 'en', 'fr' or 'pt-BR' "
            "('und' for undetermined)"
        )
    return match.group(1).lower()


def detect_language(text: str, config: LanguageConfig = LanguageConfig()) -> LanguageGuess:
    """Detect the language of a text.

    Args:
        text: title and body (any length; only the first ``config.max_chars`` characters are
            read).
        config: the bars.

    Returns:
        The best language, or ``und`` when the text has fewer than ``config.min_letters``
        letters or the best language's probability is below ``config.min_confidence``.
    """
    sample = text[: config.max_chars]
    if sum(ch.isalpha() for ch in sample) < config.min_letters:
        return LanguageGuess(UNDETERMINED, 0.0)
    code, probability = _identifier().classify(sample)
    confidence = float(probability)
    if confidence < config.min_confidence or not code.isalpha() or len(code) > 3:
        return LanguageGuess(UNDETERMINED, confidence)
    return LanguageGuess(str(code), confidence)


def article_language(
    title: str | None,
    text: str,
    client: str | None = None,
    config: LanguageConfig = LanguageConfig(),
) -> LanguageGuess:
    """An article's language: the client's tag when sent, else detected on title and body."""
    if client is not None:
        return LanguageGuess(client_language(client), 1.0, "client")
    return detect_language(f"{title}\n{text}" if title else text, config)


def embedder_understands(language: str | None, config: LanguageConfig = LanguageConfig()) -> bool:
    """Whether the embedder's cosines mean something for ``language``.

    ``None`` (an article stored before languages were kept) counts as understood: those
    stores were grouped by embedding, as before.
    """
    return language is None or language in config.embedder_languages


def compatible(languages: frozenset[str], language: str | None) -> bool:
    """Whether an article of ``language`` may join a story whose members have ``languages``.

    Articles stored before languages were kept (``None``) constrain nothing: a story's
    ``languages`` leaves them out, and such an article may join any story.
    """
    return language is None or languages <= {language}
