"""Web page to article: main text, headline, publication time, author, canonical URL (pure).

The extraction is trafilatura's (Barbaresi 2021, "Trafilatura: A Web Scraping Library and
Command-Line Tool for Text Discovery and Extraction", ACL demo track), the reference of the
field in the ScrapingHub article-extraction benchmark and the one Miniflux-style readers are
compared with. Wiredesk keeps its own code to what the library does not decide: the result as
Wiredesk's paragraphs (one per line, the repeated headline dropped), times as POSIX seconds,
and a clear refusal when a page holds no article.

Measured on hand-checked pages of our own writing (``tests/data/pages``, each with the
paragraphs a reader would call the article): see ``tests/unit/test_extract.py`` and
docs/EVALUATION.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import trafilatura

from service.domain.errors import InvalidInputError

# trafilatura logs each page it finds too short at WARNING; that is an answer, not a fault.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


@dataclass(frozen=True, slots=True)
class ExtractConfig:
    """Page extraction settings.

    Attributes:
        favor_precision: trafilatura's precision mode: leave out doubtful blocks (teasers,
            link lists) rather than risk furniture in a brief. Wiredesk's briefs quote text
            verbatim, so a missed paragraph costs less than a boilerplate one.
        include_tables: keep table cells as text (off: tables of results read badly as
            sentences).
        min_words: fewest words the extracted text must hold to count as an article. When a
            page has no article, trafilatura falls back to whatever text it has (a menu: "Home
            News Sports"); the shortest news items (a one-sentence wire alert) run to about 15
            words.
        max_html_chars: largest page accepted (pages are longer than their text: 2 MB of
            HTML is far above a news page with its scripts inlined).
    """

    favor_precision: bool = True
    include_tables: bool = False
    min_words: int = 12
    max_html_chars: int = 2_000_000


@dataclass(frozen=True, slots=True)
class ExtractedPage:
    """What a page yielded.

    Attributes:
        text: the article's paragraphs, newline-separated, headline not repeated.
        title: the headline, if found.
        published_at: publication time in POSIX seconds (UTC), if found.
        author: byline name(s), if found.
        canonical_url: the page's canonical URL (``<link rel=canonical>``, ``og:url``), if any.
        language: the page's declared language, if any.
        site_name: the publisher's name or host, if found.
    """

    text: str
    title: str | None
    published_at: float | None
    author: str | None
    canonical_url: str | None
    language: str | None
    site_name: str | None


def extract(html: str, config: ExtractConfig | None = None) -> ExtractedPage:
    """Extract the article of one HTML page.

    Args:
        html: the page's markup.
        config: settings (defaults when ``None``).

    Returns:
        The article's text and metadata.

    Raises:
        InvalidInputError: the page is too large, or holds no article text (field ``html``).
    """
    config = config or ExtractConfig()
    if len(html) > config.max_html_chars:
        raise InvalidInputError(
            f"html has {len(html)} characters; the limit is {config.max_html_chars}",
            field="html",
        )
    document = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=config.include_tables,
        favor_precision=config.favor_precision,
        date_extraction_params={
            "extensive_search": True,
            "original_date": True,
            "outputformat": "%Y-%m-%dT%H:%M:%S%z",
        },
    )
    found = document if isinstance(document, dict) else document.as_dict() if document else {}
    title = _clean(found.get("title"))
    lines = [line.strip() for line in str(found.get("text") or "").splitlines()]
    paragraphs = [line for line in lines if line]
    if paragraphs and title and paragraphs[0] == title:
        paragraphs = paragraphs[1:]  # the headline, repeated as the text's first block
    if sum(len(p.split()) for p in paragraphs) < config.min_words:
        raise InvalidInputError("html holds no article text that could be extracted", field="html")
    return ExtractedPage(
        text="\n".join(paragraphs),
        title=title,
        published_at=_timestamp(found.get("date")),
        author=_clean(found.get("author")),
        canonical_url=_clean(found.get("url")),
        language=_clean(found.get("language")),
        site_name=_clean(found.get("sitename")),
    )


def _clean(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _timestamp(value: object) -> float | None:
    """Trafilatura's date in POSIX seconds (a time without an offset is taken as UTC).

    The date is ``%Y-%m-%dT%H:%M:%S`` with or without an offset, or a bare day.
    """
    text = _clean(value)
    if text is None:
        return None
    for pattern in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return None
