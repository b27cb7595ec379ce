"""Feeds: registered RSS/Atom feeds and what their poller last saw (records, no behaviour).

A :class:`Feed` is what a client registered; a :class:`FeedState` is what the poller keeps
about it (conditional-GET validators, counts, the consecutive-error count behind the backoff,
the last errors of single items). Both are stored by a :class:`~service.domain.ports.FeedRegistry`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec


class Feed(msgspec.Struct, frozen=True):
    """A registered feed.

    Attributes:
        feed_id: its id (``feed-<n>``), given by the registry.
        url: the feed's URL as registered; its canonical form
            (:func:`service.pipeline.urls.canonical_url`) is the registry's key, so one feed
            is registered once.
        outlet: the outlet its articles are filed under; ``None``: the feed's own title, else
            its host.
        interval_s: seconds between two polls when all is well.
        created_at: registration time, POSIX seconds.
    """

    feed_id: str
    url: str
    outlet: str | None
    interval_s: int
    created_at: float


class ItemError(msgspec.Struct, frozen=True):
    """One item the poller could not ingest.

    Attributes:
        at: when, POSIX seconds.
        link: the item's link (or GUID when it has no link).
        message: why, in Wiredesk's words.
    """

    at: float
    link: str
    message: str


class FeedState(msgspec.Struct, frozen=True):
    """What the poller knows about one feed.

    Attributes:
        title: the feed's own title, once fetched.
        etag: the last ``ETag`` (sent back as ``If-None-Match``).
        last_modified: the last ``Last-Modified`` (sent back as ``If-Modified-Since``).
        last_fetch_at: when the last poll ended, POSIX seconds; ``None`` before the first.
        last_status: the HTTP status of the last poll (``None``: no answer, e.g. a timeout).
        new_items: articles the last successful poll created.
        total_items: articles the feed has created in all.
        errors: consecutive failed polls (0 after a success): the backoff's exponent.
        last_error: the last poll's error message (``None`` after a success).
        warning: a problem the last poll got past (a malformed feed whose items could still
            be read, a charset that was not the declared one).
        next_poll_at: when the feed is due, POSIX seconds.
        item_errors: the most recent item failures, newest last (at most
            :data:`MAX_ITEM_ERRORS`).
    """

    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_fetch_at: float | None = None
    last_status: int | None = None
    new_items: int = 0
    total_items: int = 0
    errors: int = 0
    last_error: str | None = None
    warning: str | None = None
    next_poll_at: float = 0.0
    item_errors: tuple[ItemError, ...] = ()


# Item errors kept per feed: enough to see a pattern (a site whose pages all fail), small
# enough that the state stays one short Redis value.
MAX_ITEM_ERRORS = 20


@dataclass(frozen=True, slots=True)
class FeedView:
    """A feed with its state, as the API shows it."""

    feed: Feed
    state: FeedState = field(default_factory=FeedState)
