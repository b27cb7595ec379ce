"""``/feeds``: register, list, show and remove RSS/Atom feeds (thin controllers).

``POST /feeds`` answers 201 with the new feed, or 200 with the feed already registered under
the same URL (its canonical form: tracking parameters, fragment and trailing slash do not make
another feed): registering is idempotent, so a client that retries or imports a list twice
needs no special case. Writes need the API key like every other write.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import Meta

from service.api.routes import json_body, require_api_key
from service.api.schemas import Outlet, Url
from service.domain.errors import UnavailableError
from service.domain.feeds import FeedView
from service.usecases import Feeds, Wiredesk


class FeedIn(msgspec.Struct, forbid_unknown_fields=True):
    """A feed to poll."""

    url: Url
    outlet: Outlet | None = None
    interval_s: (
        Annotated[int, Meta(description="Seconds between polls (default 900; 60 to 86400)")] | None
    ) = None


class FeedItemErrorOut(msgspec.Struct):
    """One item the poller could not ingest."""

    at: str
    link: str
    message: str


class FeedOut(msgspec.Struct):
    """A feed and what its poller last saw (times are ISO-8601 UTC)."""

    feed_id: str
    url: str
    outlet: str | None
    interval_s: int
    created_at: str
    title: str | None
    last_fetch_at: str | None
    last_status: int | None
    new_items: int
    total_items: int
    errors: int
    last_error: str | None
    warning: str | None
    next_poll_at: str
    item_errors: list[FeedItemErrorOut]


class FeedsOut(msgspec.Struct):
    """Every feed, oldest registration first."""

    feeds: list[FeedOut]


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")


def feed_out(view: FeedView) -> FeedOut:
    """The wire form of a feed and its state."""
    feed, state = view.feed, view.state
    return FeedOut(
        feed_id=feed.feed_id,
        url=feed.url,
        outlet=feed.outlet,
        interval_s=feed.interval_s,
        created_at=_iso(feed.created_at),
        title=state.title,
        last_fetch_at=_iso(state.last_fetch_at) if state.last_fetch_at is not None else None,
        last_status=state.last_status,
        new_items=state.new_items,
        total_items=state.total_items,
        errors=state.errors,
        last_error=state.last_error,
        warning=state.warning,
        next_poll_at=_iso(max(state.next_poll_at, feed.created_at)),
        item_errors=[FeedItemErrorOut(_iso(e.at), e.link, e.message) for e in state.item_errors],
    )


def _feeds(wiredesk: Wiredesk) -> Feeds:
    if wiredesk.feeds is None:
        raise UnavailableError("feeds are not available in this service")
    return wiredesk.feeds


@post(
    "/feeds",
    guards=[require_api_key],
    before_request=json_body(FeedIn),
    summary="Register an RSS/Atom feed",
    responses=None,
)
async def add_feed(
    data: JSONBody[FeedIn], wiredesk: NamedDependency[Wiredesk]
) -> Response[FeedOut]:
    """201 with the new feed; 200 with the existing one when its URL is registered already."""
    view, created = await _feeds(wiredesk).add(data.url, data.outlet, data.interval_s)
    return Response(feed_out(view), status_code=201 if created else 200)


@get("/feeds", summary="Feeds with their poll state")
async def list_feeds(wiredesk: NamedDependency[Wiredesk]) -> FeedsOut:
    """Every feed: last fetch, HTTP status, new and total items, errors, next poll."""
    return FeedsOut([feed_out(v) for v in await _feeds(wiredesk).views()])


@get("/feeds/{feed_id:str}", summary="One feed with its poll state")
async def get_feed(feed_id: FromPath[str], wiredesk: NamedDependency[Wiredesk]) -> FeedOut:
    """The feed; 404 when there is none."""
    return feed_out(await _feeds(wiredesk).get(feed_id))


@delete("/feeds/{feed_id:str}", guards=[require_api_key], summary="Stop polling a feed")
async def delete_feed(feed_id: FromPath[str], wiredesk: NamedDependency[Wiredesk]) -> None:
    """204; the articles the feed brought stay. 404 when there is no such feed."""
    await _feeds(wiredesk).remove(feed_id)


FEED_ROUTES = [add_feed, list_feeds, get_feed, delete_feed]
