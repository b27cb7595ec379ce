"""Feed documents to items: RSS 2.0, RSS 1.0 (RDF) and Atom through feedparser (pure).

feedparser (the reference parser of the field since 2002, used by most Python readers) reads
all three formats and their dialects, guesses the charset when the declared one is wrong, and
recovers the items of a malformed document where it can ("bozo" documents). Wiredesk keeps its
own code to what feedparser does not decide:

* **Is it a feed at all?** A document with no feed version and no item (an HTML page, a
  JSON error page, an empty body) is refused with :class:`FeedError`; a malformed document
  whose items could be read is accepted with a warning (the item list is what it is).
* **Item identity.** An item's GUID (RSS ``guid``, Atom ``id``, RSS 1.0 ``rdf:about``),
  else its link, keys it within its feed; its canonical link (:mod:`service.pipeline.urls`)
  keys it across GUID changes. See :func:`item_keys`.
* **The teaser rule** (:func:`is_teaser`): an item carries its article when the longest of its
  bodies (``content:encoded`` / Atom ``content``, else ``description`` / ``summary``) holds at
  least ``full_text_min_words`` words (100) and does not end with a truncation marker
  ("…", "[...]", "Read more", "Continue reading"). Otherwise it is a teaser and the poller
  fetches the item's page. Why 100: a news article runs 300 words and more, the teasers feeds
  carry run 20-60 words (WordPress's default excerpt is 55 words and "[…]"), and the shortest
  complete items (wire alerts) that fall under 100 cost one page fetch each, not an error.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser  # type: ignore[import-untyped]
import lxml.html  # type: ignore[import-untyped]
from lxml import etree

from service.domain.errors import InvalidInputError
from service.pipeline.extract import ExtractConfig
from service.pipeline.urls import canonical_url


class FeedError(InvalidInputError):
    """A document is not a feed that can be read (the message says why)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="url")


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """Feed reading settings.

    Attributes:
        full_text_min_words: fewest words an item's body needs to count as the article
            (module docstring: the teaser rule).
    """

    full_text_min_words: int = 100


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a feed.

    Attributes:
        guid: its GUID / Atom id, if any.
        link: its link (absolute), if any.
        title: its headline (plain text), if any.
        text: its body as paragraphs, newline-separated (may be a teaser or empty).
        published_at: its publication (else update) time, POSIX seconds, if given.
    """

    guid: str | None
    link: str | None
    title: str | None
    text: str
    published_at: float | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed document.

    Attributes:
        version: feedparser's name of the format (``rss20``, ``rss10``, ``atom10``, ...).
        title: the feed's title, if any.
        items: its entries, in document order.
        warning: what was wrong with a document that could still be read (else ``None``).
    """

    version: str
    title: str | None
    items: tuple[FeedItem, ...]
    warning: str | None


_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S)


def parse_feed(body: bytes, content_type: str | None = None, base_url: str = "") -> ParsedFeed:
    """Parse one feed document.

    Args:
        body: the document's bytes as served.
        content_type: the ``Content-Type`` header (its charset is a hint feedparser weighs).
        base_url: the URL it came from (relative links are resolved against it).

    Returns:
        The feed.

    Raises:
        FeedError: the document is an HTML page, or no feed could be read from it.
    """
    headers = {"content-location": base_url}
    if content_type:
        headers["content-type"] = content_type
    parsed: Any = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    entries = list(parsed.get("entries") or [])
    version = str(parsed.get("version") or "")
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not version and not entries:
        if _HTML_START.match(body[:2048]):
            raise FeedError("the URL answered an HTML page, not an RSS or Atom feed")
        if not body.strip():
            raise FeedError("the URL answered an empty document, not a feed")
        reason = f": {_describe(problem)}" if problem is not None else ""
        raise FeedError(f"not a readable RSS or Atom feed{reason}")
    if isinstance(problem, feedparser.NonXMLContentType):
        problem = None  # a feed served as text/html or without a type: common, harmless
    warning = f"malformed feed, items read anyway: {_describe(problem)}" if problem else None
    feed = parsed.get("feed") or {}
    return ParsedFeed(
        version=version or "unknown",
        title=_plain(feed.get("title")),
        items=tuple(_item(entry) for entry in entries),
        warning=warning,
    )


def _describe(problem: object) -> str:
    text = " ".join(str(problem).split())
    return f"{type(problem).__name__}: {text}"[:300]


def _item(entry: Any) -> FeedItem:
    bodies = [str(c.get("value") or "") for c in entry.get("content") or []]
    bodies.append(str(entry.get("summary") or ""))
    texts = [html_to_text(b) for b in bodies if b.strip()]
    text = max(texts, key=lambda t: len(t.split()), default="")
    moment = entry.get("published_parsed") or entry.get("updated_parsed")
    return FeedItem(
        guid=_plain(entry.get("id")),
        link=_plain(entry.get("link")),
        title=_plain(entry.get("title")),
        text=text,
        published_at=float(calendar.timegm(moment)) if moment else None,
    )


def _plain(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    if "<" in text:
        text = " ".join(html_to_text(text).split())
    return text or None


_BLOCKS = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "section"}
    | {"article", "header", "footer", "tr", "dd", "dt", "figcaption"}
)


def html_to_text(fragment: str) -> str:
    """An HTML (or plain-text) fragment as paragraphs, one per line, whitespace collapsed.

    In HTML, block elements (``p``, ``div``, headings, list items, ...) and ``<br>`` end a
    paragraph and line breaks of the source are plain spaces; scripts and styles are dropped.
    Plain text (no ``<``) keeps its lines as paragraphs.
    """
    if "<" not in fragment:
        parts = fragment.splitlines()
    else:
        try:
            root = lxml.html.fragment_fromstring(fragment, create_parent="div")
        except (etree.ParserError, ValueError):
            return " ".join(fragment.split())
        for bad in root.xpath("//script|//style|//noscript"):
            bad.drop_tree()
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            if element.tag in _BLOCKS or element.tag == "br":
                element.tail = _BREAK + (element.tail or "")
                if element.tag != "br":
                    element.text = _BREAK + (element.text or "")
        parts = str(root.text_content()).split(_BREAK)
    paragraphs = (" ".join(part.split()) for part in parts)
    return "\n".join(p for p in paragraphs if p)


# Marks a paragraph end while the source's own whitespace is collapsed (U+2029 PARAGRAPH
# SEPARATOR, which no news text uses inside a paragraph).
_BREAK = "\u2029"


# A body ending so was cut short by the feed: "…", "...", "[…]", "[...]", "Read more",
# "Continue reading", "Read the full story/article", with punctuation or arrows after it.
_TRUNCATED = re.compile(
    r"(?:…|\.\.\.|\[\s*(?:…|\.\.\.)\s*\]|read\s+more|continue\s+reading(?:\s+\S+){0,4}"
    r"|read\s+the\s+(?:full|whole|rest\s+of\s+the)\s+(?:story|article))[\s.:!»›→>\]\)]*$",
    re.I,
)


def is_teaser(item: FeedItem, config: FeedConfig | None = None) -> bool:
    """Whether the item's body is a teaser, so its page must be fetched (the teaser rule)."""
    config = config or FeedConfig()
    if len(item.text.split()) < config.full_text_min_words:
        return True
    return bool(_TRUNCATED.search(item.text[-200:]))


def item_keys(item: FeedItem) -> tuple[str | None, str | None]:
    """The item's keys: ``("g:" + GUID or link, "u:" + canonical link)``; ``None`` when absent."""
    guid = item.guid or item.link
    return (
        f"g:{guid}" if guid else None,
        f"u:{canonical_url(item.link)}" if item.link else None,
    )


@dataclass(frozen=True, slots=True)
class PollerConfig:
    """Feed poller settings.

    Attributes:
        default_interval_s: seconds between polls of a feed registered without
            ``interval_s``: 15 minutes, the usual ``ttl`` news feeds ask for (and what
            Miniflux polls at by default, 60 minutes being FreshRSS's).
        min_interval_s: the shortest interval a client may ask for: a minute. Shorter polls
            gain nothing with news feeds (they change a few times an hour) and look abusive.
        max_interval_s: the longest: a day.
        max_backoff_s: the longest wait after consecutive errors (6 hours: a broken feed is
            tried four times a day, so a fixed one is back within hours).
        max_retry_after_s: the longest ``Retry-After`` honoured (a day); a longer one is
            capped, so a misconfigured server cannot switch a feed off for good.
        host_gap_s: least time between the end of one request to a host and the start of
            the next (1 s: the common crawler courtesy, e.g. Scrapy's AutoThrottle start).
        max_concurrent: feeds polled at once (each holds at most one connection).
        max_items_per_poll: items considered per poll, first in document order (news feeds
            put the newest first); bounds the page fetches one poll can make.
        seen_keep: item keys remembered per feed (N). A key is two per item (GUID and
            link); 5,000 covers 2,500 items, far more than the 10-100 a feed document lists,
            so an item cannot fall out of memory while it is still in its feed.
        tick_s: how often the poller looks for due feeds (a registration wakes it at once).
        feed: the teaser rule (:class:`service.pipeline.feeds.FeedConfig`).
        extract: page extraction settings.
        max_text_chars: longest article text ingested (the API's limit).
    """

    default_interval_s: int = 900
    min_interval_s: int = 60
    max_interval_s: int = 86_400
    max_backoff_s: float = 6 * 3600.0
    max_retry_after_s: float = 86_400.0
    host_gap_s: float = 1.0
    max_concurrent: int = 8
    max_items_per_poll: int = 50
    seen_keep: int = 5000
    tick_s: float = 5.0
    feed: FeedConfig = field(default_factory=FeedConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    max_text_chars: int = 250_000


def backoff_delay(
    errors: int,
    interval_s: float,
    retry_after_s: float | None = None,
    *,
    max_backoff_s: float = 6 * 3600.0,
    max_retry_after_s: float = 86_400.0,
) -> float:
    """Seconds until the next poll of a feed with ``errors`` consecutive failed polls.

    The feed's own interval after a success; after errors, the interval doubled per
    consecutive error beyond the first (1x, 2x, 4x, ...) up to ``max_backoff_s`` (never
    below the interval itself). A server's ``Retry-After`` (capped at ``max_retry_after_s``)
    lengthens the wait, never shortens it.

    Returns:
        ``max(interval, min(max_backoff, interval * 2 ** (errors - 1)))`` (the interval when
        ``errors <= 0``), raised to the capped ``Retry-After`` when one was given.
    """
    delay = float(interval_s)
    if errors > 0:
        grown = interval_s * 2.0 ** min(errors - 1, 60)
        delay = max(float(interval_s), min(max_backoff_s, grown))
    if retry_after_s is not None and retry_after_s > 0:
        delay = max(delay, min(retry_after_s, max_retry_after_s))
    return delay


def parse_retry_after(value: str | None, now: float) -> float | None:
    """A ``Retry-After`` header in seconds from ``now``: delta-seconds or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - now)
