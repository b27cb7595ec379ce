"""Feeds: registration, and the poller that turns feed items into ingested articles.

One poll of one feed (:meth:`Feeds.poll`), see docs/FEEDS.md:

1. **Conditional GET** of the feed through :class:`~service.adapters.fetch.SafeFetcher`
   (every fetch capped in time, size and redirects), sending the last ``ETag`` as
   ``If-None-Match`` and ``Last-Modified`` as ``If-Modified-Since``; a 304 is a success with
   no items.
2. **Parse** with feedparser (:func:`service.pipeline.feeds.parse_feed`); a document that is
   no feed fails the poll, a malformed one whose items could be read passes with a warning.
3. **Dedup**: an item whose key (GUID, else link) the feed has seen is skipped; an item with
   a new GUID but a link the feed has seen, or one already stored as an article (canonical
   URL), is marked seen and skipped, so a re-poll adds nothing.
4. **Teasers**: an item whose body is a teaser (:func:`service.pipeline.feeds.is_teaser`) has
   its page fetched and its article extracted (:func:`service.pipeline.extract.extract`).
5. **Ingest** through the same use case as ``POST /articles`` (the ``sink``), outlet = the
   feed's outlet, else its title, else its host.

A failed poll counts one more consecutive error and waits :func:`backoff_delay`; a 429 or 503
``Retry-After`` is honoured. Per-host politeness (:class:`HostGate`): one request in flight per
host and ``host_gap_s`` between two; feeds on other hosts never wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import msgspec
from trafilatura.utils import decode_file

from service.adapters.fetch import FetchError, SafeFetcher
from service.domain.errors import InvalidInputError, NotFoundError, UnavailableError, WiredeskError
from service.domain.feeds import MAX_ITEM_ERRORS, Feed, FeedState, FeedView, ItemError
from service.domain.models import ArticleInput
from service.domain.ports import FeedRegistry
from service.pipeline.extract import extract
from service.pipeline.feeds import (
    FeedError,
    FeedItem,
    PollerConfig,
    backoff_delay,
    is_teaser,
    item_keys,
    parse_feed,
    parse_retry_after,
)
from service.pipeline.urls import canonical_url

if TYPE_CHECKING:
    from service.usecases.ingest import Ingest

log = logging.getLogger(__name__)

# What an ingest of a list of articles answers, item for item: the outcome's status
# ("created", "updated", "unchanged") or the item's error.
ArticleSink = Callable[[Sequence[ArticleInput]], Awaitable[Sequence[str | WiredeskError]]]

# Publication times outside these years are feed errors (a 1970 epoch, a year 20026), dropped
# rather than refused: the API's own bounds for published_at.
_EARLIEST = datetime(1800, 1, 1, tzinfo=UTC).timestamp()
_LATEST = datetime(2200, 1, 1, tzinfo=UTC).timestamp()


class HostGate:
    """Per-host politeness: one request at a time per host, ``gap_s`` apart.

    Hosts are keyed by name (lower case); the bookkeeping of idle hosts is dropped once more
    than ``max_hosts`` are remembered.
    """

    def __init__(self, gap_s: float, *, max_hosts: int = 4096) -> None:
        self.gap_s = gap_s
        self.max_hosts = max_hosts
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    @contextlib.asynccontextmanager
    async def hold(self, url: str) -> AsyncIterator[None]:
        """Wait for the host's turn, then hold it while the body runs."""
        host = (urlsplit(url).hostname or "").lower()
        if len(self._locks) > self.max_hosts:
            self._prune()
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            wait = self._last.get(host, -math.inf) + self.gap_s - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._last[host] = time.monotonic()

    def _prune(self) -> None:
        cutoff = time.monotonic() - self.gap_s
        for host in [h for h, lock in self._locks.items() if not lock.locked()]:
            if self._last.get(host, -math.inf) < cutoff:
                self._locks.pop(host, None)
                self._last.pop(host, None)


def ingest_sink(ingest: Ingest) -> ArticleSink:
    """The in-process sink: the Ingest use case ``POST /articles`` calls."""

    async def sink(articles: Sequence[ArticleInput]) -> list[str | WiredeskError]:
        results = await ingest.submit_many(list(articles))
        return [r if isinstance(r, WiredeskError) else r.status for r in results]

    return sink


def _forget(
    running: dict[str, asyncio.Task[None]], feed_id: str
) -> Callable[[asyncio.Task[None]], None]:
    """A done-callback that drops a finished poll from the running set."""

    def done(_task: asyncio.Task[None]) -> None:
        running.pop(feed_id, None)

    return done


def decode_page(body: bytes, content_type: str | None) -> str:
    """A page's bytes as text: the declared charset when the bytes fit it, else detected.

    A page that declares one charset and is written in another (a Latin-1 page served as
    UTF-8) fails the strict decode and goes to trafilatura's detection (charset_normalizer).
    """
    declared = ""
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset":
            declared = value.strip().strip("\"'")
    if declared:
        try:
            return body.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    return str(decode_file(body))


class Feeds:
    """Feed registration and polling (see the module docstring).

    Args:
        registry: feeds, their state and seen keys.
        fetcher: the safe fetcher (feeds and pages).
        sink: ingests articles (the Ingest use case, or the API of a running service).
        config: poller settings.
        clock: wall-clock seconds.
        known_url: whether a canonical URL is already stored as an article (skips its page
            fetch); ``None``: not known here (the sink's own idempotence still holds).
    """

    def __init__(
        self,
        registry: FeedRegistry,
        fetcher: SafeFetcher,
        sink: ArticleSink,
        config: PollerConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        known_url: Callable[[str], bool] | None = None,
    ) -> None:
        self.registry = registry
        self.fetcher = fetcher
        self.sink = sink
        self.config = config or PollerConfig()
        self.clock = clock
        self.known_url = known_url
        self.gate = HostGate(self.config.host_gap_s)
        self.wake = asyncio.Event()
        self.owner = uuid.uuid4().hex  # this poller's name in the deployment's lease
        self._due: dict[str, float] = {}
        self._waiting_logged = False

    # ------------------------------------------------------------------ registration
    async def add(
        self, url: str, outlet: str | None = None, interval_s: int | None = None
    ) -> tuple[FeedView, bool]:
        """Register a feed (due at once).

        Returns:
            The feed with its state, and whether it is new (``False``: the URL, in canonical
            form, was registered already; that feed is returned unchanged).

        Raises:
            InvalidInputError: a URL that is not http(s), holds whitespace, or names a
                refused (private) address; a blank outlet; an interval out of bounds.
            UnavailableError: the registry cannot be reached.
        """
        cfg = self.config
        url = url.strip()
        if not url or any(c.isspace() for c in url):
            raise InvalidInputError("url must be a URL without whitespace", field="url")
        parts = urlsplit(url)
        if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
            raise InvalidInputError(
                f"url must be an http or https URL with a host; got {url[:100]!r}", field="url"
            )
        if outlet is not None and not outlet.strip():
            raise InvalidInputError("outlet must not be blank (leave it out)", field="outlet")
        interval = cfg.default_interval_s if interval_s is None else interval_s
        if not cfg.min_interval_s <= interval <= cfg.max_interval_s:
            raise InvalidInputError(
                f"interval_s must be between {cfg.min_interval_s} and {cfg.max_interval_s} "
                f"seconds; got {interval}",
                field="interval_s",
            )
        await self.fetcher.check_url(url)  # FetchError (400) for a refused address
        feed, created = await self.registry.add(
            url, outlet.strip() if outlet else None, interval, self.clock()
        )
        if created:
            self.wake.set()
        return FeedView(feed, await self.registry.state(feed.feed_id)), created

    async def views(self) -> list[FeedView]:
        """Every feed with its state, oldest registration first."""
        return [
            FeedView(feed, await self.registry.state(feed.feed_id))
            for feed in await self.registry.feeds()
        ]

    async def get(self, feed_id: str) -> FeedView:
        """One feed with its state.

        Raises:
            NotFoundError: no such feed.
        """
        feed = await self.registry.get(feed_id)
        if feed is None:
            raise NotFoundError(f"no feed {feed_id!r}")
        return FeedView(feed, await self.registry.state(feed_id))

    async def remove(self, feed_id: str) -> None:
        """Unregister a feed (its articles stay).

        Raises:
            NotFoundError: no such feed.
        """
        if not await self.registry.remove(feed_id):
            raise NotFoundError(f"no feed {feed_id!r}")
        self._due.pop(feed_id, None)

    # ------------------------------------------------------------------ polling
    async def poll(self, feed: Feed) -> FeedState:
        """Poll one feed once (module docstring) and save its new state.

        Returns:
            The saved state. Failures are recorded there, never raised, except the
            registry's own :class:`UnavailableError`.
        """
        state = await self.registry.state(feed.feed_id)
        headers: dict[str, str] = {}
        if state.etag:
            headers["if-none-match"] = state.etag
        if state.last_modified:
            headers["if-modified-since"] = state.last_modified
        try:
            async with self.gate.hold(feed.url):
                fetched = await self.fetcher.get(feed.url, headers)
        except FetchError as exc:
            wait = parse_retry_after(exc.retry_after, self.clock())
            return await self._failed(feed, state, str(exc), exc.status, wait)
        if fetched.status == 304:
            return await self._save(
                feed,
                msgspec.structs.replace(
                    state,
                    last_fetch_at=self.clock(),
                    last_status=304,
                    new_items=0,
                    errors=0,
                    last_error=None,
                    next_poll_at=self.clock() + feed.interval_s,
                ),
            )
        try:
            parsed = await asyncio.to_thread(
                parse_feed, fetched.body, fetched.headers.get("content-type"), fetched.final_url
            )
        except FeedError as exc:
            return await self._failed(feed, state, str(exc), fetched.status, None)
        outlet = feed.outlet or parsed.title or (urlsplit(feed.url).hostname or feed.url)
        created, item_errors, blocked = await self._items(feed, parsed.items, outlet)
        now = self.clock()
        if blocked is not None:  # the store is down: nothing new was taken; try again soon
            return await self._failed(feed, state, blocked, fetched.status, None)
        return await self._save(
            feed,
            FeedState(
                title=parsed.title,
                etag=fetched.headers.get("etag"),
                last_modified=fetched.headers.get("last-modified"),
                last_fetch_at=now,
                last_status=fetched.status,
                new_items=created,
                total_items=state.total_items + created,
                errors=0,
                last_error=None,
                warning=parsed.warning,
                next_poll_at=now + feed.interval_s,
                item_errors=(state.item_errors + tuple(item_errors))[-MAX_ITEM_ERRORS:],
            ),
        )

    async def _items(
        self, feed: Feed, items: Sequence[FeedItem], outlet: str
    ) -> tuple[int, list[ItemError], str | None]:
        """Ingest a document's new items.

        Returns:
            Articles created, item errors, and the store's error when it was unavailable.
        """
        cfg = self.config
        fresh, errors = await self._fresh(feed, items[: cfg.max_items_per_poll])
        inputs: list[ArticleInput] = []
        keys: list[list[str]] = []
        for item, gkey, ukey in fresh:
            try:
                article = await self._article(item, outlet)
            except FetchError as exc:
                # The page may answer next time: the item is not marked seen, so the next
                # changed document brings it back (a 304 does not).
                errors.append(self._item_error(item, str(exc)))
                continue
            except InvalidInputError as exc:
                errors.append(self._item_error(item, str(exc)))
                await self.registry.mark_seen(feed.feed_id, [gkey], cfg.seen_keep)
                continue
            inputs.append(article)
            keys.append([k for k in (gkey, ukey) if k is not None])
        if not inputs:
            return 0, errors, None
        results = await self.sink(inputs)
        created = 0
        done: list[str] = []
        blocked: str | None = None
        for article, result, its_keys in zip(inputs, results, keys, strict=True):
            if isinstance(result, UnavailableError):
                blocked = f"articles could not be stored: {result}"
                continue
            if isinstance(result, WiredeskError):
                errors.append(ItemError(self.clock(), article.url, str(result)))
            elif result == "created":
                created += 1
            done.extend(its_keys)
        await self.registry.mark_seen(feed.feed_id, done, cfg.seen_keep)
        return created, errors, blocked

    async def _fresh(
        self, feed: Feed, items: Sequence[FeedItem]
    ) -> tuple[list[tuple[FeedItem, str, str | None]], list[ItemError]]:
        """The items not seen before, with their keys; repeats under new GUIDs marked seen.

        Returns:
            ``(item, GUID key, link key)`` of each new item in document order, and the
            errors of items without any key.
        """
        keyed = [(item, *item_keys(item)) for item in items]
        wanted = [k for _, g, u in keyed for k in (g, u) if k is not None]
        seen = await self.registry.seen(feed.feed_id, wanted)
        errors: list[ItemError] = []
        repeats: list[str] = []
        fresh: list[tuple[FeedItem, str, str | None]] = []
        links_now: set[str] = set()
        for item, gkey, ukey in keyed:
            if gkey is None:
                errors.append(self._item_error(item, "the item has neither a link nor a GUID"))
                continue
            if gkey in seen:
                continue
            link = canonical_url(item.link) if item.link else None
            if (
                (ukey is not None and ukey in seen)
                or (link is not None and link in links_now)
                or (link is not None and self.known_url is not None and self.known_url(link))
            ):
                repeats.append(gkey)  # a new GUID for a link already taken: nothing to add
                continue
            if link is not None:
                links_now.add(link)
            fresh.append((item, gkey, ukey))
        await self.registry.mark_seen(feed.feed_id, repeats, self.config.seen_keep)
        return fresh, errors

    async def _article(self, item: FeedItem, outlet: str) -> ArticleInput:
        """The article of one item: its own body, or its page's when it is a teaser.

        Raises:
            FetchError: the page could not be fetched.
            InvalidInputError: no link to fetch for a teaser, no article in the page, or an
                article over the text limit.
        """
        url = canonical_url(item.link) if item.link else str(item.guid)
        text, title, published = item.text, item.title, item.published_at
        if is_teaser(item, self.config.feed):
            if not item.link or urlsplit(item.link).scheme not in {"http", "https"}:
                raise InvalidInputError("a teaser item without an http(s) link to its page")
            async with self.gate.hold(item.link):
                page = await self.fetcher.get(item.link)
            html = decode_page(page.body, page.headers.get("content-type"))
            extracted = await asyncio.to_thread(extract, html, self.config.extract)
            text = extracted.text
            title = title or extracted.title
            published = published if published is not None else extracted.published_at
        if len(text) > self.config.max_text_chars:
            raise InvalidInputError(
                f"text has {len(text)} characters; the limit is {self.config.max_text_chars}"
            )
        if published is not None and not _EARLIEST <= published <= _LATEST:
            published = None
        return ArticleInput(url=url, outlet=outlet, title=title, text=text, published_at=published)

    def _item_error(self, item: FeedItem, message: str) -> ItemError:
        return ItemError(self.clock(), item.link or item.guid or "(no link)", message)

    async def _failed(
        self,
        feed: Feed,
        state: FeedState,
        message: str,
        status: int | None,
        retry_after_s: float | None,
    ) -> FeedState:
        errors = state.errors + 1
        delay = backoff_delay(
            errors,
            feed.interval_s,
            retry_after_s,
            max_backoff_s=self.config.max_backoff_s,
            max_retry_after_s=self.config.max_retry_after_s,
        )
        now = self.clock()
        log.info("feed %s (%s) failed (%d in a row): %s", feed.feed_id, feed.url, errors, message)
        return await self._save(
            feed,
            msgspec.structs.replace(
                state,
                last_fetch_at=now,
                last_status=status,
                new_items=0,
                errors=errors,
                last_error=message,
                next_poll_at=now + delay,
            ),
        )

    async def _save(self, feed: Feed, state: FeedState) -> FeedState:
        await self.registry.save_state(feed.feed_id, state)
        self._due[feed.feed_id] = state.next_poll_at
        return state

    @property
    def lease_s(self) -> float:
        """How long the poller lease lasts without renewal: three ticks, at least 30 s."""
        return max(30.0, 3 * self.config.tick_s)

    async def poll_due(self) -> int | None:
        """Poll every due feed (at most ``max_concurrent`` at once) and wait for them.

        The deployment's poller lease is taken for the round and given back after it.

        Returns:
            How many feeds were polled; ``None`` when another poller holds the lease.
        """
        if not await self.registry.lease(self.owner, self.lease_s):
            return None
        try:
            feeds = await self._refresh_due()
            now = self.clock()
            due = [feed for feed in feeds if self._due[feed.feed_id] <= now]
            limit = asyncio.Semaphore(self.config.max_concurrent)

            async def one(feed: Feed) -> None:
                async with limit:
                    await self._poll_safely(feed)

            await asyncio.gather(*(one(feed) for feed in due))
            return len(due)
        finally:
            await self.registry.release(self.owner)

    async def _poll_safely(self, feed: Feed) -> None:
        """:meth:`poll`, with nothing escaping: one feed's fault never stops the poller."""
        try:
            await self.poll(feed)
        except UnavailableError as exc:
            log.warning("feed %s: registry unavailable (%s); retrying shortly", feed.feed_id, exc)
            self._due[feed.feed_id] = self.clock() + 30.0
        except Exception:
            log.exception("feed %s: poll failed unexpectedly", feed.feed_id)
            self._due[feed.feed_id] = self.clock() + feed.interval_s

    async def run(self) -> None:
        """Poll due feeds forever: every ``tick_s``, or at once when a feed is registered.

        Due feeds are polled concurrently; a slow feed does not hold up the next round for
        the others (rounds overlap; a feed is never polled twice at once). Only the holder of
        the deployment's poller lease (:meth:`FeedRegistry.lease`, renewed every round) polls:
        a second poller (``serve`` and ``watch`` on one Redis) stands by and takes over within
        :attr:`lease_s` when the first stops.
        """
        running: dict[str, asyncio.Task[None]] = {}
        limit = asyncio.Semaphore(self.config.max_concurrent)

        async def one(feed: Feed) -> None:
            async with limit:
                await self._poll_safely(feed)

        while True:
            self.wake.clear()
            try:
                if not await self._leased():
                    feeds = []
                else:
                    feeds = await self._refresh_due()
                now = self.clock()
                for feed in feeds:
                    if feed.feed_id not in running and self._due[feed.feed_id] <= now:
                        task = asyncio.create_task(one(feed))
                        running[feed.feed_id] = task
                        task.add_done_callback(_forget(running, feed.feed_id))
            except UnavailableError as exc:
                log.warning("feed poller: registry unavailable (%s)", exc)
            except Exception:
                log.exception("feed poller: round failed")
            try:
                # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a
                # cancellation that arrives as its inner wait ends (CPython gh-86296), and the
                # service's stop then waits for this task forever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.config.tick_s):
                        await self.wake.wait()
            except asyncio.CancelledError:
                for task in list(running.values()):
                    task.cancel()
                await asyncio.gather(*running.values(), return_exceptions=True)
                with contextlib.suppress(UnavailableError):
                    await self.registry.release(self.owner)
                raise

    async def _leased(self) -> bool:
        """Take or renew the poller lease; say once when another poller holds it."""
        if await self.registry.lease(self.owner, self.lease_s):
            if self._waiting_logged:
                log.info("feed poller %s: took over the deployment's feeds", self.owner)
            self._waiting_logged = False
            return True
        if not self._waiting_logged:
            log.info(
                "feed poller %s: another poller polls this deployment; standing by", self.owner
            )
            self._waiting_logged = True
        self._due.clear()  # the other poller moves the due times: read them again on takeover
        return False

    async def _refresh_due(self) -> list[Feed]:
        """Every feed, with its due time known (read once per feed, then kept here)."""
        feeds = await self.registry.feeds()
        for gone in set(self._due) - {feed.feed_id for feed in feeds}:
            del self._due[gone]
        for feed in feeds:
            if feed.feed_id not in self._due:
                self._due[feed.feed_id] = (await self.registry.state(feed.feed_id)).next_poll_at
        return feeds
