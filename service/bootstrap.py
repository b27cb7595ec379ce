"""The composition root: the one place that knows every concrete class.

:func:`running` builds the whole service from a :class:`Settings` object, starts it, keeps the
index snapshot fresh in the background, and tears everything down in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from service.adapters.onnx_embedder import OnnxEmbedder, Precision, ensure_model
from service.adapters.redis_server import EmbeddedRedis, start_embedded
from service.adapters.redis_store import RedisCache, RedisStore, connect
from service.domain.errors import UnavailableError
from service.domain.ports import Embedder
from service.metrics import Metrics
from service.settings import Settings
from service.usecases import Wiredesk

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
    )
    snapshots: asyncio.Task[None] | None = None
    regrouping: asyncio.Task[None] | None = None
    try:
        await app.start()
        path.parent.mkdir(parents=True, exist_ok=True)
        snapshots = asyncio.create_task(_snapshot_loop(app, path, settings.snapshot_interval_s))
        regrouping = asyncio.create_task(_regroup_loop(app, settings.regroup_delay_s))
        yield app
    finally:
        if regrouping is not None:
            regrouping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await regrouping
        if snapshots is not None:
            snapshots.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await snapshots
            try:
                await app.snapshot(path)
            except OSError:
                log.exception("final index snapshot failed; it will be rebuilt from Redis")
        await batcher.close()
        await client.aclose()
        if embedded is not None:
            await asyncio.to_thread(embedded.close)


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
