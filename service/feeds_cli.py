"""``wiredesk watch`` and ``wiredesk feeds import``: the feed poller and OPML import as commands.

Both work on a deployment's feed registry in its Redis (``WIREDESK_REDIS_URL`` and
``WIREDESK_REDIS_PREFIX``; unset, the embedded Redis under ``WIREDESK_DATA_DIR``, which a
running ``wiredesk serve`` shares). ``watch`` ingests through the running service's API, so the
serving process sees each article at once. One poller polls a deployment (a lease in Redis);
run the service with ``WIREDESK_FEEDS_POLL=false`` so that it is the ``watch`` process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from service.settings import Settings, SettingsError

if TYPE_CHECKING:
    from service.adapters.feed_registry import RedisFeedRegistry
    from service.domain.errors import WiredeskError
    from service.domain.models import ArticleInput


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``watch`` and ``feeds`` to the ``wiredesk`` command."""
    watch = sub.add_parser(
        "watch", help="poll the registered feeds in this process, ingesting through the API"
    )
    watch.add_argument(
        "--api", default=None, help="service base URL (default http://WIREDESK_HOST:WIREDESK_PORT)"
    )
    watch.add_argument(
        "--api-key", default=os.environ.get("WIREDESK_API_KEY"), help="bearer key for writes"
    )
    watch.add_argument("--once", action="store_true", help="poll the due feeds once, then exit")
    feeds = sub.add_parser("feeds", help="manage feeds")
    actions = feeds.add_subparsers(dest="feeds_command", required=True)
    imports = actions.add_parser("import", help="register every feed of an OPML file")
    imports.add_argument("file", type=Path, help="an OPML subscription list")


def main(args: argparse.Namespace) -> int:
    """Run ``watch`` or ``feeds import``; exit 2 on a configuration or file error."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"wiredesk: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "watch":
        api = args.api or f"http://{settings.host}:{settings.port}"
        return asyncio.run(_watch(settings, api, args.api_key, args.once))
    return asyncio.run(_import(settings, args.file))


@asynccontextmanager
async def _registry(settings: Settings) -> AsyncIterator[RedisFeedRegistry]:
    """The deployment's feed registry (and the embedded Redis when none is configured)."""
    from service.adapters.feed_registry import RedisFeedRegistry
    from service.adapters.redis_server import start_embedded
    from service.adapters.redis_store import connect

    embedded = None
    url = settings.redis_url
    if url is None:
        embedded = await asyncio.to_thread(start_embedded, settings.data_dir)
        url = embedded.url
    client = connect(url)
    try:
        yield RedisFeedRegistry(client, settings.redis_prefix)
    finally:
        await client.aclose()
        if embedded is not None and not embedded.reattached:
            await asyncio.to_thread(embedded.close)  # ours alone: a serving process has none


async def _import(settings: Settings, path: Path) -> int:
    """Register each OPML feed; exit 0 when all were added or known, 1 when some were invalid."""
    from service.adapters.feeds import OpmlError, read_opml
    from service.adapters.fetch import FetchConfig, SafeFetcher
    from service.domain.errors import InvalidInputError
    from service.usecases.feeds import Feeds

    try:
        entries = read_opml(path)
    except OpmlError as exc:
        print(f"wiredesk feeds import: {exc}", file=sys.stderr)
        return 2
    fetcher = SafeFetcher(FetchConfig(allow_private=settings.fetch_allow_private))
    added = duplicate = 0
    invalid: list[tuple[str, str]] = []
    async with _registry(settings) as registry:
        feeds = Feeds(registry, fetcher, _no_sink, settings.feeds)
        for entry in entries:
            try:
                _view, created = await feeds.add(entry.url, entry.title)
            except InvalidInputError as exc:
                invalid.append((entry.url, str(exc)))
                continue
            added += created
            duplicate += not created
    await fetcher.aclose()
    print(f"{added} added, {duplicate} duplicate, {len(invalid)} invalid")
    for url, message in invalid:
        print(f"  {url}: {message}", file=sys.stderr)
    return 1 if invalid else 0


async def _no_sink(
    _articles: Sequence[ArticleInput],
) -> list[str | WiredeskError]:  # pragma: no cover - an import never polls
    raise RuntimeError("feeds import does not poll")


async def _watch(settings: Settings, api: str, key: str | None, once: bool) -> int:
    """Poll until SIGINT/SIGTERM (or once); exit 0."""
    from service.adapters.feeds import ApiSink
    from service.adapters.fetch import FetchConfig, SafeFetcher
    from service.usecases.feeds import Feeds

    fetcher = SafeFetcher(FetchConfig(allow_private=settings.fetch_allow_private))
    sink = ApiSink(api, key)
    config = settings.feeds
    async with _registry(settings) as registry:
        feeds = Feeds(registry, fetcher, sink, config)
        try:
            if once:
                polled = await feeds.poll_due()
                if polled is None:
                    print("another poller holds this deployment's feeds; nothing polled")
                    return 1
                for view in await feeds.views():
                    state = view.state
                    shown = state.last_error or f"{state.new_items} new"
                    print(f"{view.feed.feed_id} {view.feed.url}: {shown}")
                print(f"{polled} feeds polled")
                return 0
            print(f"Wiredesk feed poller: ingesting into {api}; stop with Ctrl-C", file=sys.stderr)
            task = asyncio.create_task(feeds.run())
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, task.cancel)
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return 0
        finally:
            await sink.aclose()
            await fetcher.aclose()
