"""The composition root: the one place that knows every concrete class.

:func:`running` builds the whole service from a :class:`Settings` object, starts it, keeps the
index snapshot fresh in the background, and tears everything down in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from indexes.base import VectorIndex as IndexBase
from indexes.errors import IndexFileError
from indexes.factory import create_index, load_index
from service.adapters.batching import BatchingEmbedder
from service.adapters.embedder import HashingEmbedder, SentenceTransformerEmbedder
from service.adapters.feed_registry import RedisFeedRegistry
from service.adapters.fetch import FetchConfig, SafeFetcher
from service.adapters.onnx_embedder import OnnxEmbedder, Precision, ensure_model
from service.adapters.redis_server import EmbeddedRedis, start_embedded
from service.adapters.redis_store import RedisCache, RedisStore, connect
from service.adapters.webhook_store import RedisWebhookStore
from service.domain.errors import UnavailableError
from service.domain.ports import Embedder
from service.metrics import Metrics
from service.settings import Settings
from service.usecases import Feeds, Wiredesk
from service.usecases.feeds import ingest_sink

log = logging.getLogger(__name__)


def build_embedder(settings: Settings) -> Embedder:
    """The configured embedder.

    Loading takes about a second; the ONNX kinds export the model first when no export is
    cached (about 5 s, once per machine: see :func:`service.adapters.onnx_embedder.ensure_model`).
    """
    if settings.embedder == "hash":
        return HashingEmbedder()
    # 0 leaves each adapter its own measured pass size (its constructor's default).
    size = settings.embed_batch_size
    if settings.embedder == "minilm":
        return (
            SentenceTransformerEmbedder(batch_size=size) if size else SentenceTransformerEmbedder()
        )
    precision: Precision = "int8" if settings.embedder == "onnx-int8" else "fp32"
    model = ensure_model(precision, settings.model_cache_dir)
    return OnnxEmbedder(model, batch_size=size) if size else OnnxEmbedder(model)


def index_path(settings: Settings) -> Path:
    """Where the index snapshot of this deployment (prefix) lives."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", settings.redis_prefix)
    return settings.data_dir / f"index-{safe}-{settings.embedder}.faiss"


def index_options(settings: Settings) -> dict[str, object]:
    """Options for :func:`indexes.factory.create_index` of the configured ``index_kind``."""
    if settings.index_kind == "sharded":
        return {"bucket_s": settings.index_shard_days * 86_400}
    return {}


def open_index(
    path: Path, kind: str, dim: int, options: dict[str, object] | None = None
) -> IndexBase:
    """Load the snapshot at ``path`` or start an empty index of ``kind``.

    A missing, corrupt or mismatched snapshot (another dimension or another kind) is not an
    error: the index is only a cache of the vectors kept in Redis, and
    :meth:`Wiredesk.start` refills it from there.
    """
    if path.exists():
        try:
            index = load_index(path)
            if index.dim == dim and index.kind == kind:
                return index
            log.warning(
                "index snapshot %s is a %s index of dim %d, configured %s of dim %d: rebuilding",
                path,
                index.kind,
                index.dim,
                kind,
                dim,
            )
        except (IndexFileError, OSError) as exc:
            log.warning("index snapshot %s unreadable (%s): rebuilding from Redis", path, exc)
    return create_index(kind, dim, **(options or {}))


@asynccontextmanager
async def running(
    settings: Settings, *, embedder: Embedder | None = None, metrics: Metrics | None = None
) -> AsyncIterator[Wiredesk]:
    """Build, start and finally stop the service.

    Args:
        settings: the configuration.
        embedder: use this embedder instead of building one (tests share one loaded model).
        metrics: use this metrics registry.

    Yields:
        The started :class:`Wiredesk`.
    """
    embedded: EmbeddedRedis | None = None
    url = settings.redis_url
    if url is None:
        embedded = await asyncio.to_thread(start_embedded, settings.data_dir)
        url = embedded.url
    client = connect(url)
    base = embedder if embedder is not None else await asyncio.to_thread(build_embedder, settings)
    batcher = BatchingEmbedder(base, settings.embed_call_max, settings.embed_max_wait_ms / 1000)
    path = index_path(settings)
    index = await asyncio.to_thread(
        open_index, path, settings.index_kind, base.dim, index_options(settings)
    )
    app = Wiredesk(
        settings,
        RedisStore(client, settings.redis_prefix),
        RedisCache(client, settings.redis_prefix),
        index,
        batcher,
        metrics,
        webhook_store=RedisWebhookStore(client, settings.redis_prefix),
    )
    fetcher = SafeFetcher(FetchConfig(allow_private=settings.fetch_allow_private))
    registry = RedisFeedRegistry(client, settings.redis_prefix)
    app.feeds = build_feeds(settings, registry, fetcher, app)
    snapshots: asyncio.Task[None] | None = None
    background: list[asyncio.Task[None]] = []  # stopped in reverse order of start
    try:
        await app.start()
        await app.webhooks.start()
        path.parent.mkdir(parents=True, exist_ok=True)
        snapshots = asyncio.create_task(_snapshot_loop(app, path, settings.snapshot_interval_s))
        background.append(asyncio.create_task(_regroup_loop(app, settings.regroup_delay_s)))
        if settings.feeds_poll:
            background.append(asyncio.create_task(app.feeds.run()))
        yield app
    finally:
        for task in reversed(background):
            await _cancel(task)
        await fetcher.aclose()
        if snapshots is not None:
            await _cancel(snapshots)
            try:
                await app.snapshot(path)
            except OSError:
                log.exception("final index snapshot failed; it will be rebuilt from Redis")
        await app.webhooks.close()
        await batcher.close()
        await client.aclose()
        if embedded is not None:
            await asyncio.to_thread(embedded.close)


# How long a stop waits for each background task to finish after cancelling it. Each loop
# stops at its next await; 5 s covers one Redis call at its 2 s timeouts with room to spare.
STOP_TASK_S = 5.0


async def _cancel(task: asyncio.Task[None]) -> None:
    """Cancel a background task and wait until it has stopped (at most :data:`STOP_TASK_S`).

    A task that swallowed its cancellation (a library catching ``CancelledError`` in a call
    it was waiting in) is logged and left behind rather than holding up the stop forever:
    everything it could write is committed atomically, so abandoning it loses nothing.
    """
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=STOP_TASK_S)
    if not done:
        log.error("background task %s did not stop within %.0f s", task.get_name(), STOP_TASK_S)
        return
    with contextlib.suppress(asyncio.CancelledError):
        await task


def build_feeds(
    settings: Settings, registry: RedisFeedRegistry, fetcher: SafeFetcher, app: Wiredesk
) -> Feeds:
    """The feed use case over ``app``'s Ingest (articles already stored skip their fetch)."""
    config = dataclasses.replace(settings.feeds, max_text_chars=settings.max_text_chars)
    return Feeds(
        registry,
        fetcher,
        ingest_sink(app.ingest),
        config,
        known_url=lambda url: url in app.world.by_url,
    )


async def _regroup_loop(app: Wiredesk, delay_s: float) -> None:
    """Regroup ``delay_s`` after unkeyed articles arrive (one pass for a burst of them).

    A pass holds the write lock while it clusters (0.66 s at 2,000 articles:
    docs/PERFORMANCE.md), so under a steady feed the next pass waits at least
    ``_REGROUP_DUTY`` times as long as the last one took: writes wait for passes at most about
    a tenth of the time.
    """
    while True:
        await app.regroup_wanted.wait()
        await asyncio.sleep(delay_s)
        start = time.perf_counter()
        try:
            await app.regroup()
        except UnavailableError:
            log.warning("regrouping postponed: the store is unavailable")
            await asyncio.sleep(max(delay_s, 1.0))  # the pass asked again; do not spin
        except Exception:
            # A failed pass changed nothing (plans commit atomically); the online grouping
            # stands, and the next arrivals try again.
            log.exception("regrouping pass failed")
        await asyncio.sleep((_REGROUP_DUTY - 1) * (time.perf_counter() - start))


# A pass may hold the write lock for at most 1 / _REGROUP_DUTY of the time.
_REGROUP_DUTY = 10


async def _snapshot_loop(app: Wiredesk, path: Path, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            await app.snapshot(path)
        except OSError:
            log.exception("index snapshot failed; retrying at the next interval")
