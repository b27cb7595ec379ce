"""The pure feed stage: formats, the teaser rule, item keys, backoff, Retry-After, politeness."""

from __future__ import annotations

import asyncio
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.pipeline.feeds import (
    FeedConfig,
    FeedError,
    FeedItem,
    backoff_delay,
    html_to_text,
    is_teaser,
    item_keys,
    parse_feed,
    parse_retry_after,
)
from service.usecases.feeds import HostGate, decode_page
from tests.feedsite import HARBOUR, atom, html_paragraphs, rss10, rss20

BASE = "https://gazette.test/feed"


def item(text: str, **fields: str | None) -> FeedItem:
    return FeedItem(
        guid=fields.get("guid"),
        link=fields.get("link", "https://gazette.test/a"),
        title=None,
        text=text,
        published_at=None,
    )


def test_the_three_formats_give_the_same_items() -> None:
    link = "https://gazette.test/news/harbour"
    full = html_paragraphs(HARBOUR)
    documents = {
        "rss20": rss20("G", [{"title": "H", "link": link, "guid": link, "content": full}]),
        "atom10": atom("G", [{"id": link, "title": "H", "link": link, "content": full}]),
        "rss10": rss10("G", [{"link": link, "title": "H", "description": full}]),
    }
    for version, body in documents.items():
        parsed = parse_feed(body, "application/xml", BASE)
        assert parsed.version == version
        assert parsed.title == "G"
        assert parsed.warning is None
        [entry] = parsed.items
        assert (entry.link, entry.title) == (link, "H")
        assert entry.text.split("\n") == HARBOUR
        assert not is_teaser(entry)


def test_relative_links_resolve_against_the_feed_url_and_dates_are_utc() -> None:
    body = rss20(
        "G", [{"title": "A", "link": "/news/a", "pubDate": "Tue, 24 Nov 2026 10:00:00 +0100"}]
    )
    [entry] = parse_feed(body, None, BASE).items
    assert entry.link == "https://gazette.test/news/a"
    assert entry.published_at == 1795510800.0  # 09:00 UTC


def test_html_bodies_become_paragraphs() -> None:
    html = (
        "<div><h2>Lead</h2><p>One <b>bold</b>\n word.</p><script>var x = 1;</script>"
        "<p>Two<br>Three</p><ul><li>Four</li></ul></div>"
    )
    assert html_to_text(html) == "Lead\nOne bold word.\nTwo\nThree\nFour"
    assert html_to_text("plain\n\n  text  here") == "plain\ntext here"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<!DOCTYPE html><html><body><p>Welcome</p></body></html>", "HTML page"),
        (b"  <html><head></head></html>", "HTML page"),
        (b"   ", "empty document"),
        (b'{"items": []}', "not a readable RSS or Atom feed"),
    ],
)
def test_documents_that_are_not_feeds_are_refused(body: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_feed(body, "text/html", BASE)


def test_an_empty_valid_feed_is_no_error() -> None:
    parsed = parse_feed(rss20("Quiet", []), "application/rss+xml", BASE)
    assert (parsed.items, parsed.warning, parsed.title) == ((), None, "Quiet")


WORDS_99 = " ".join(["word"] * 99)


@pytest.mark.parametrize(
    ("text", "teaser"),
    [
        ("", True),
        ("A short teaser about the harbour.", True),
        (WORDS_99, True),
        (WORDS_99 + " hundred", False),
        (WORDS_99 + " more words here …", True),
        (WORDS_99 + " and so on [...]", True),
        (WORDS_99 + " The harbour. Read more »", True),
        (WORDS_99 + " Continue reading Harbour dredging →", True),
        (WORDS_99 + " Read the full story", True),
        (WORDS_99 + " Readers say more.", False),
    ],
)
def test_the_teaser_rule(text: str, teaser: bool) -> None:
    assert is_teaser(item(text)) is teaser


def test_the_teaser_threshold_is_a_setting() -> None:
    assert not is_teaser(item("one two three"), FeedConfig(full_text_min_words=3))


def test_item_keys_prefer_the_guid_and_canonicalise_the_link() -> None:
    link = "https://Gazette.test/a/?utm_source=rss#top"
    assert item_keys(item("", guid="g-1", link=link)) == ("g:g-1", "u:https://gazette.test/a")
    assert item_keys(item("", link=link)) == (f"g:{link}", "u:https://gazette.test/a")
    assert item_keys(item("", guid="g-1", link=None)) == ("g:g-1", None)
    assert item_keys(item("", link=None)) == (None, None)


@given(
    errors=st.integers(min_value=0, max_value=200),
    interval=st.integers(min_value=60, max_value=86_400),
    retry_after=st.none() | st.floats(min_value=0, max_value=1e9, allow_nan=False),
)
def test_backoff_stays_within_its_bounds(
    errors: int, interval: int, retry_after: float | None
) -> None:
    cap, retry_cap = 6 * 3600.0, 86_400.0
    delay = backoff_delay(
        errors, interval, retry_after, max_backoff_s=cap, max_retry_after_s=retry_cap
    )
    assert delay >= interval  # never polls sooner than asked
    assert delay <= max(interval, cap, min(retry_after or 0.0, retry_cap))
    if retry_after:
        assert delay >= min(retry_after, retry_cap)  # a server's wish is honoured
    more = backoff_delay(
        errors + 1, interval, retry_after, max_backoff_s=cap, max_retry_after_s=retry_cap
    )
    assert more >= delay  # monotone in the error count
    if errors == 0 and not retry_after:
        assert delay == interval


def test_backoff_numbers() -> None:
    assert [backoff_delay(e, 900) for e in range(7)] == [
        900,
        900,
        1800,
        3600,
        7200,
        14400,
        21600,  # capped at 6 h
    ]
    assert backoff_delay(1, 900, 3600) == 3600
    assert backoff_delay(1, 900, 10**7) == 86_400


def test_retry_after_as_seconds_or_a_date() -> None:
    now = 1_795_510_800.0  # Tue, 24 Nov 2026 09:00:00 GMT
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Tue, 24 Nov 2026 09:10:00 GMT", now) == 600.0
    assert parse_retry_after("Tue, 24 Nov 2026 08:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_pages_with_a_wrong_declared_charset_are_decoded_by_detection() -> None:
    page = "<html><body><p>Le café du port a rouvert ses portes à l'été.</p></body></html>"
    assert "café" in decode_page(page.encode("latin-1"), "text/html; charset=utf-8")
    assert "café" in decode_page(page.encode("utf-8"), "text/html; charset=utf-8")
    assert "café" in decode_page(page.encode("utf-8"), None)
    assert "café" in decode_page(page.encode("utf-8"), "text/html; charset=nonsense")


async def test_the_host_gate_spaces_requests_to_one_host_only() -> None:
    gate = HostGate(0.2)
    starts: dict[str, list[float]] = {"a": [], "b": []}

    async def visit(url: str, key: str) -> None:
        async with gate.hold(url):
            starts[key].append(time.monotonic())
            await asyncio.sleep(0.05)

    begin = time.monotonic()
    await asyncio.gather(
        visit("http://a.test/1", "a"),
        visit("http://A.test/2", "a"),
        visit("http://b.test/1", "b"),
    )
    first, second = sorted(starts["a"])
    assert second - first >= 0.25 - 0.01  # 0.05 s in flight, then the 0.2 s gap
    assert starts["b"][0] - begin < 0.05  # another host does not wait
