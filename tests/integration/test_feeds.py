"""The feed poller end to end: real HTTP to a local site, real Redis, the real Ingest use case.

Each test runs the whole service (hash embedder, Redis under a unique prefix) and a local site
(:mod:`tests.feedsite`) serving feeds and pages of our own writing. The fetcher opts in to
loopback (``allow_private``), as ``WIREDESK_FETCH_ALLOW_PRIVATE=true`` does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

import pytest

from service.adapters.feed_registry import MemoryFeedRegistry, RedisFeedRegistry
from service.adapters.fetch import FetchConfig, SafeFetcher
from service.adapters.redis_store import connect
from service.bootstrap import build_feeds, running
from service.domain.errors import InvalidInputError, UnavailableError, WiredeskError
from service.domain.feeds import Feed, FeedState
from service.domain.models import ArticleInput
from service.pipeline.feeds import PollerConfig
from service.pipeline.urls import canonical_url
from service.settings import Settings
from service.usecases import Feeds, Wiredesk
from tests.feedsite import (
    BRIDGE,
    HARBOUR,
    ORCHARD,
    Answer,
    Site,
    article_page,
    atom,
    html_paragraphs,
    http_date,
    rss10,
    rss20,
    serve,
)

pytestmark = pytest.mark.integration

PUB = "Tue, 24 Nov 2026 09:00:00 GMT"
PUB_TS = 1795510800.0


@pytest.fixture
def site() -> Iterator[Site]:
    with serve("127.0.0.1") as s:
        yield s


@pytest.fixture
def other_site() -> Iterator[Site]:
    """A second host (127.0.0.2: Linux routes all of 127/8 to loopback)."""
    with serve("127.0.0.2") as s:
        yield s


@pytest.fixture
async def app(make_settings: Callable[..., Settings]) -> AsyncIterator[tuple[Wiredesk, Settings]]:
    settings = make_settings(
        feeds_poll=False,
        fetch_allow_private=True,
        feeds=PollerConfig(host_gap_s=0.05, tick_s=30.0),
    )
    async with running(settings) as wiredesk:
        yield wiredesk, settings


Maker = Callable[..., Feeds]


@pytest.fixture
async def make_feeds(app: tuple[Wiredesk, Settings]) -> AsyncIterator[Maker]:
    """Feeds over the running service with a fetcher of the test's own limits."""
    wiredesk, settings = app
    client = connect(settings.redis_url or "")
    fetchers: list[SafeFetcher] = []

    def build(**fetch: Any) -> Feeds:
        fetcher = SafeFetcher(FetchConfig(**{"allow_private": True, **fetch}))
        fetchers.append(fetcher)
        registry = RedisFeedRegistry(client, settings.redis_prefix)
        return build_feeds(settings, registry, fetcher, wiredesk)

    yield build
    for fetcher in fetchers:
        await fetcher.aclose()
    await client.aclose()


async def register(feeds: Feeds, url: str, **kwargs: Any) -> Feed:
    view, created = await feeds.add(url, **kwargs)
    assert created
    return view.feed


def article_at(wiredesk: Wiredesk, url: str) -> Any:
    article_id = wiredesk.world.by_url[canonical_url(url)]
    return wiredesk.get_article(article_id)[0]


def full_items(site: Site) -> list[dict[str, str]]:
    return [
        {
            "title": "Harbour channel to be dredged",
            "link": f"{site.base}/news/harbour?utm_source=rss&utm_medium=feed",
            "guid": "gazette-1001",
            "pubDate": PUB,
            "description": "The harbour commission voted to dredge the channel.",
            "content": html_paragraphs(HARBOUR),
        },
        {
            "title": "Frost wipes out apple blossoms",
            "link": f"{site.base}/news/orchard",
            "guid": "gazette-1002",
            "pubDate": PUB,
            "content": html_paragraphs(ORCHARD),
        },
    ]


# ----------------------------------------------------------------------------- formats, 304
async def test_rss20_full_text_items_are_ingested_and_a_repoll_is_a_304(
    app: tuple[Wiredesk, Settings], make_feeds: Maker, site: Site
) -> None:
    wiredesk, _ = app
    modified = http_date(PUB_TS)
    url = site.route(
        "/rss",
        Answer(rss20("Coast Gazette", full_items(site)), etag='"v1"', last_modified=modified),
    )
    feeds = make_feeds()
    feed = await register(feeds, url)

    state = await feeds.poll(feed)
    assert (state.last_status, state.new_items, state.total_items, state.errors) == (200, 2, 2, 0)
    assert state.title == "Coast Gazette"
    assert state.etag == '"v1"'
    assert state.last_modified == modified
    harbour = article_at(wiredesk, f"{site.base}/news/harbour")
    assert harbour.url == f"{site.base}/news/harbour"  # tracking parameters dropped
    assert harbour.outlet == "Coast Gazette"  # no outlet given: the feed's title
    assert harbour.title == "Harbour channel to be dredged"
    assert harbour.published_at == PUB_TS
    assert [p.text for p in harbour.paragraphs] == HARBOUR
    assert site.hits("/news/harbour?utm_source=rss&utm_medium=feed") == []  # full text: no fetch
    assert "if-none-match" not in site.hits("/rss")[0].headers

    again = await feeds.poll(feed)
    sent = site.hits("/rss")[-1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == modified
    assert (again.last_status, again.new_items, again.total_items, again.errors) == (304, 0, 2, 0)
    assert again.next_poll_at == pytest.approx(time.time() + feed.interval_s, abs=5)
    assert len(wiredesk.world.articles) == 2


async def test_an_atom_feed_polled_again_without_validators_adds_nothing(
    app: tuple[Wiredesk, Settings], make_feeds: Maker, site: Site
) -> None:
    wiredesk, _ = app
    entries = [
        {
            "id": "urn:gazette:bridge",
            "title": "Willow Street bridge closed",
            "link": f"{site.base}/news/bridge",
            "content": html_paragraphs(BRIDGE),
        }
    ]
    url = site.route(
        "/atom", Answer(atom("Gazette Atom", entries), content_type="application/atom+xml")
    )
    feeds = make_feeds()
    feed = await register(feeds, url, outlet="Grant City Gazette")
    first = await feeds.poll(feed)
    assert (first.new_items, first.total_items) == (1, 1)
    assert article_at(wiredesk, f"{site.base}/news/bridge").outlet == "Grant City Gazette"
    stored = dict(wiredesk.world.articles)

    second = await feeds.poll(feed)
    assert (second.last_status, second.new_items, second.total_items) == (200, 0, 1)
    assert wiredesk.world.articles == stored


async def test_rss10_teasers_have_their_pages_fetched_and_extracted(
    app: tuple[Wiredesk, Settings], make_feeds: Maker, site: Site
) -> None:
    wiredesk, _ = app
    page = site.route(
        "/news/bridge",
        Answer(article_page("Bridge closed", BRIDGE).encode(), content_type="text/html"),
    )
    teaser = "Engineers closed the Willow Street bridge after finding cracks. Read more"
    url = site.route(
        "/rdf",
        Answer(
            rss10("Gazette RDF", [{"link": page, "title": "Bridge closed", "description": teaser}])
        ),
    )
    feeds = make_feeds()
    state = await feeds.poll(await register(feeds, url))
    assert (state.new_items, state.item_errors) == (1, ())
    assert len(site.hits("/news/bridge")) == 1
    article = article_at(wiredesk, page)
    texts = [p.text for p in article.paragraphs]
    assert texts[0] == BRIDGE[0]
    assert all(p in texts for p in BRIDGE)
    assert not any("Most read" in t or "Copyright" in t for t in texts)
    assert article.title == "Bridge closed"
    assert article.published_at == PUB_TS  # the item's dc:date


# ----------------------------------------------------------------------------- dedup
async def test_a_new_guid_for_a_known_link_adds_nothing_and_fetches_nothing(
    app: tuple[Wiredesk, Settings], make_feeds: Maker, site: Site
) -> None:
    wiredesk, _ = app
    items = full_items(site)[:1]
    url = site.route("/rss", Answer(rss20("Coast Gazette", items)))
    # First as `wiredesk watch` polls (no view of the stored articles): the feed's own keys.
    watch = make_feeds()
    watch.known_url = None
    feed = await register(watch, url)
    assert (await watch.poll(feed)).new_items == 1
    stored = dict(wiredesk.world.articles)

    renamed = [{**items[0], "guid": "gazette-1001-v2", "content": "Teaser only. Read more"}]
    site.route("/rss", Answer(rss20("Coast Gazette", renamed)))
    state = await watch.poll(feed)
    assert (state.new_items, state.total_items, state.item_errors) == (0, 1, ())
    assert wiredesk.world.articles == stored
    assert site.hits("/news/harbour") == []

    # Another feed carrying the same story's link: already stored, so no page fetch either.
    feeds = make_feeds()
    other = site.route("/other", Answer(rss20("Wire", renamed)))
    state = await feeds.poll(await register(feeds, other))
    assert (state.new_items, state.item_errors) == (0, ())
    assert wiredesk.world.articles == stored
    assert site.hits("/news/harbour?utm_source=rss&utm_medium=feed") == []


# ----------------------------------------------------------------------------- failures
async def test_a_timing_out_feed_fails_alone_and_does_not_delay_another_host(
    make_feeds: Maker, site: Site, other_site: Site
) -> None:
    slow = site.route("/slow", Answer(rss20("Slow", []), delay_s=3.0))
    fast = other_site.route("/rss", Answer(rss20("Coast Gazette", full_items(other_site)[:1])))
    feeds = make_feeds(timeout_s=0.5)
    slow_feed = await register(feeds, slow)
    fast_feed = await register(feeds, fast)
    start = time.time()
    assert await feeds.poll_due() == 2
    took = time.time() - start
    slow_state = await feeds.registry.state(slow_feed.feed_id)
    fast_state = await feeds.registry.state(fast_feed.feed_id)
    assert slow_state.errors == 1
    assert slow_state.last_status is None
    assert slow_state.last_error is not None
    assert "took more than 0.5 s" in slow_state.last_error
    assert slow_state.next_poll_at >= start + slow_feed.interval_s
    assert fast_state.new_items == 1
    assert fast_state.last_fetch_at is not None
    assert fast_state.last_fetch_at - start < 0.5  # not queued behind the slow host
    assert took < 2.5  # the slow server's 3 s never held the poller


async def test_429_and_503_retry_after_are_honoured(make_feeds: Maker, site: Site) -> None:
    url = site.route(
        "/rss", Answer(b"slow down", 429, "text/plain", headers={"retry-after": "7200"})
    )
    feeds = make_feeds()
    feed = await register(feeds, url, interval_s=60)
    state = await feeds.poll(feed)
    assert (state.last_status, state.errors) == (429, 1)
    assert state.last_error is not None
    assert "HTTP 429" in state.last_error
    assert state.next_poll_at - time.time() == pytest.approx(7200, abs=5)

    later = http_date(time.time() + 900)
    site.route("/rss", Answer(b"busy", 503, "text/plain", headers={"retry-after": later}))
    state = await feeds.poll(feed)
    assert (state.last_status, state.errors) == (503, 2)
    assert state.next_poll_at - time.time() == pytest.approx(900, abs=5)


async def test_backoff_doubles_per_consecutive_error_and_a_success_resets_it(
    make_feeds: Maker, site: Site
) -> None:
    url = site.route("/rss", Answer(b"oops", 500, "text/plain"))
    feeds = make_feeds()
    feed = await register(feeds, url, interval_s=60)
    waits = []
    for _ in range(3):
        state = await feeds.poll(feed)
        waits.append(state.next_poll_at - time.time())
    assert [round(w / 60) for w in waits] == [1, 2, 4]
    assert state.errors == 3
    site.route("/rss", Answer(rss20("Coast Gazette", [])))
    state = await feeds.poll(feed)
    assert (state.errors, state.last_error, state.last_status) == (0, None, 200)
    assert state.next_poll_at - time.time() == pytest.approx(60, abs=5)


async def test_a_redirect_to_the_metadata_address_is_refused_even_with_loopback_allowed(
    make_feeds: Maker, site: Site
) -> None:
    url = site.route(
        "/rss",
        Answer(
            b"", 302, "text/plain", headers={"location": "http://169.254.169.254/latest/meta-data"}
        ),
    )
    feeds = make_feeds()
    state = await feeds.poll(await register(feeds, url))
    assert state.errors == 1
    assert state.last_error is not None
    assert "169.254.169.254" in state.last_error
    assert "link-local or metadata" in state.last_error


async def test_the_local_site_is_refused_without_the_opt_in(make_feeds: Maker, site: Site) -> None:
    url = site.route("/rss", Answer(rss20("Coast Gazette", [])))
    with pytest.raises(InvalidInputError, match="non-public address"):
        await make_feeds(allow_private=False).add(url)
    assert site.log == []


def latin1_feed() -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Gazette du Caf\xe9</title><item><title>\xc9t\xe9 au port</title>"
        "<link>https://gazette.test/ete</link><guid>ete-1</guid>"
        "<description>" + " ".join(HARBOUR).replace("\u2014", "-") + "</description>"
        "</item></channel></rss>"
    ).encode("latin-1")


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (Answer(article_page("Home", ["Welcome"]).encode(), content_type="text/html"), "HTML page"),
        (Answer(b"", content_type="application/rss+xml"), "empty document"),
        (Answer(b'{"error": "gone"}', content_type="application/json"), "not a readable"),
    ],
)
async def test_documents_that_are_not_feeds_fail_the_poll_clearly(
    make_feeds: Maker, site: Site, answer: Answer, error: str
) -> None:
    url = site.route("/rss", answer)
    feeds = make_feeds()
    state = await feeds.poll(await register(feeds, url))
    assert state.errors == 1
    assert state.last_status == 200
    assert state.last_error is not None
    assert error in state.last_error
    assert state.etag is None


async def test_malformed_and_mislabelled_feeds_are_read_with_a_warning(
    app: tuple[Wiredesk, Settings], make_feeds: Maker, site: Site
) -> None:
    wiredesk, _ = app
    whole = rss20("Coast Gazette", full_items(site))
    cut = whole[: whole.index(b"</item>") + len(b"</item>") + 40]  # truncated mid-document
    feeds = make_feeds()
    state = await feeds.poll(await register(feeds, site.route("/cut", Answer(cut))))
    assert (state.errors, state.new_items) == (0, 1)
    assert state.warning is not None
    assert "malformed feed" in state.warning

    state = await feeds.poll(await register(feeds, site.route("/latin", Answer(latin1_feed()))))
    assert (state.errors, state.new_items, state.title) == (0, 1, "Gazette du Café")
    assert state.warning is not None
    assert "utf-8" in state.warning
    assert article_at(wiredesk, "https://gazette.test/ete").title == "Été au port"


async def test_item_failures_are_recorded_per_item_and_the_rest_is_ingested(
    app: tuple[Wiredesk, Settings], make_feeds: Maker, site: Site
) -> None:
    wiredesk, _ = app
    empty = site.route(
        "/news/empty",
        Answer(b"<html><body><nav>Home News</nav></body></html>", content_type="text/html"),
    )
    huge = site.route("/news/huge", Answer(b"<html>" + b"x" * 60_000, content_type="text/html"))
    loop = site.route("/news/loop", Answer(b"", 302, headers={"location": "/news/loop"}))
    paragraphs = [p.replace("\u2014", "-") for p in ORCHARD]  # Latin-1 has no em dash
    latin = article_page("Orchard frost", [*paragraphs, "Le café du village a fermé."])
    mislabelled = site.route(
        "/news/latin",
        Answer(latin.encode("latin-1"), content_type="text/html; charset=utf-8"),
    )
    teasers = [
        {"title": t, "link": link, "guid": t, "description": "A short teaser."}
        for t, link in [("empty", empty), ("huge", huge), ("loop", loop), ("latin", mislabelled)]
    ]
    url = site.route("/rss", Answer(rss20("Coast Gazette", teasers)))
    feeds = make_feeds(max_bytes=50_000)
    feed = await register(feeds, url)
    state = await feeds.poll(feed)
    assert (state.errors, state.new_items) == (0, 1)
    messages = {e.link: e.message for e in state.item_errors}
    assert "no article text" in messages[empty]
    assert "the limit is 50000" in messages[huge] or "limit of 50000" in messages[huge]
    assert "more than 5 redirects" in messages[loop]
    assert set(messages) == {empty, huge, loop}
    texts = [p.text for p in article_at(wiredesk, mislabelled).paragraphs]
    assert "Le café du village a fermé." in texts

    # A page that holds no article is not fetched again; a page that failed to fetch is.
    before = {p: len(site.hits(p)) for p in ("/news/empty", "/news/huge", "/news/loop")}
    site.route("/rss", Answer(rss20("Coast Gazette", teasers) + b" "))
    await feeds.poll(feed)
    assert len(site.hits("/news/empty")) == before["/news/empty"]
    assert len(site.hits("/news/huge")) == before["/news/huge"] + 1


async def test_the_poller_polls_a_new_feed_at_once_and_survives_a_failing_one(
    make_feeds: Maker, site: Site
) -> None:
    feeds = make_feeds(timeout_s=1.0)
    task = asyncio.create_task(feeds.run())
    try:
        bad = await register(
            feeds, site.route("/bad", Answer(b"<html></html>", content_type="text/html"))
        )
        good = await register(
            feeds, site.route("/rss", Answer(rss20("Coast Gazette", full_items(site))))
        )
        deadline = time.time() + 10
        state = FeedState()
        while time.time() < deadline:
            state = await feeds.registry.state(good.feed_id)
            if state.total_items == 2:
                break
            await asyncio.sleep(0.1)
        assert state.total_items == 2  # tick_s is 30 s: registration woke the poller
        assert (await feeds.registry.state(bad.feed_id)).errors == 1
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_removed_feed_keeps_its_articles_and_is_no_longer_polled(
    app: tuple[Wiredesk, Settings], make_feeds: Maker, site: Site
) -> None:
    wiredesk, _ = app
    feeds = make_feeds()
    feed = await register(
        feeds, site.route("/rss", Answer(rss20("Coast Gazette", full_items(site))))
    )
    await feeds.poll(feed)
    await feeds.remove(feed.feed_id)
    assert await feeds.poll_due() == 0
    assert len(wiredesk.world.articles) == 2


async def test_items_wait_for_the_next_poll_while_the_store_is_unavailable(site: Site) -> None:
    answers: list[list[str | WiredeskError]] = []
    calls: list[list[str]] = []

    async def sink(articles: Sequence[ArticleInput]) -> list[str | WiredeskError]:
        calls.append([a.url for a in articles])
        if not answers:
            return [UnavailableError("Redis is unavailable")] * len(articles)
        return answers.pop(0)

    url = site.route("/rss", Answer(rss20("Coast Gazette", full_items(site)), etag='"v1"'))
    fetcher = SafeFetcher(FetchConfig(allow_private=True))
    feeds = Feeds(MemoryFeedRegistry(), fetcher, sink, PollerConfig(host_gap_s=0.0))
    try:
        feed = await register(feeds, url, interval_s=60)
        state = await feeds.poll(feed)
        assert (state.errors, state.new_items, state.etag) == (1, 0, None)
        assert state.last_error is not None
        assert "could not be stored" in state.last_error
        assert state.next_poll_at - time.time() == pytest.approx(60, abs=5)

        answers.append(["created", InvalidInputError("text must not be blank")])
        state = await feeds.poll(feed)
        assert calls[1] == calls[0]  # the same two items again: none was marked seen
        assert "if-none-match" not in site.hits("/rss")[-1].headers
        assert (state.errors, state.new_items, state.total_items) == (0, 1, 1)
        assert [e.message for e in state.item_errors] == ["text must not be blank"]
        state = await feeds.poll(feed)  # a 304 now
        assert (state.last_status, len(calls)) == (304, 2)
    finally:
        await fetcher.aclose()


async def test_a_second_poller_stands_by_and_takes_over_when_the_first_stops(
    make_feeds: Maker, site: Site
) -> None:
    fast = PollerConfig(host_gap_s=0.0, tick_s=0.1)
    first, second = make_feeds(), make_feeds()
    first.config = second.config = fast
    feed = await register(first, site.route("/rss", Answer(rss20("Coast Gazette", []))))
    one = asyncio.create_task(first.run())
    await asyncio.sleep(0.3)
    two = asyncio.create_task(second.run())
    try:
        await asyncio.sleep(0.5)
        assert len(site.hits("/rss")) == 1  # the first polled; the second stood by
        assert await second.poll_due() is None  # `watch --once` meanwhile: refused

        await second.registry.save_state(feed.feed_id, FeedState(next_poll_at=0.0))
        one.cancel()
        with pytest.raises(asyncio.CancelledError):
            await one
        deadline = time.time() + 5
        while len(site.hits("/rss")) < 2 and time.time() < deadline:
            await asyncio.sleep(0.05)
        assert len(site.hits("/rss")) == 2  # the second took over at its next tick
    finally:
        for task in (one, two):
            task.cancel()
        await asyncio.gather(one, two, return_exceptions=True)
