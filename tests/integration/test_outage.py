"""Redis goes away and comes back while the app keeps running.

A small TCP proxy (its own asyncio loop in a thread) sits between the app and the real Redis;
stopping it closes the listener and every connection, which is what the app sees when Redis
dies; starting it again on the same port is Redis coming back.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
import redis
from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import (
    ClientFactory,
    fire_article,
    health,
    other_article,
)

pytestmark = pytest.mark.integration


class Proxy:
    """A byte-pumping TCP proxy to Redis that can be stopped and restarted on its port."""

    def __init__(self, upstream: str) -> None:
        parsed = urlparse(upstream)
        self.unix_path = parsed.path if parsed.scheme == "unix" else None
        self.host = parsed.hostname or "127.0.0.1"
        self.port_upstream = parsed.port or 6379
        self.db = parsed.path.lstrip("/") if parsed.scheme != "unix" else "0"
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.blackhole = False  # when set, requests are swallowed: Redis hangs, not refuses

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/{self.db or '0'}"

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def start(self) -> None:
        self._run(self._start())

    def stop(self) -> None:
        self._run(self._stop())

    def close(self) -> None:
        self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    async def _start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.server is not None:
            await self.server.wait_closed()
            self.server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        self.writers.add(writer)
        try:
            if self.unix_path is not None:
                up_reader, up_writer = await asyncio.open_unix_connection(self.unix_path)
            else:
                up_reader, up_writer = await asyncio.open_connection(self.host, self.port_upstream)
        except OSError:
            writer.transport.abort()
            return
        self.writers.add(up_writer)
        try:
            await asyncio.gather(
                self._pump(reader, up_writer, self), self._pump(up_reader, writer, None)
            )
        finally:
            for w in (writer, up_writer):
                w.transport.abort()
                self.writers.discard(w)
            self.tasks.discard(task)

    @staticmethod
    async def _pump(
        src: asyncio.StreamReader, dst: asyncio.StreamWriter, gate: Proxy | None
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await src.read(65536):
                if gate is not None and gate.blackhole:
                    continue
                dst.write(data)
                await dst.drain()
        dst.transport.abort()


@pytest.fixture
def proxy(redis_url: str) -> Iterator[Proxy]:
    p = Proxy(redis_url)
    p.start()
    try:
        yield p
    finally:
        p.close()


def stored_articles(redis_url: str, prefix: str) -> int:
    raw = redis.Redis.from_url(redis_url)
    try:
        return int(raw.hlen(f"{prefix}:articles"))
    finally:
        raw.close()


def stored_urls(redis_url: str, prefix: str) -> set[str]:
    raw = redis.Redis.from_url(redis_url)
    try:
        return {k.decode() if isinstance(k, bytes) else str(k) for k in raw.hkeys(f"{prefix}:urls")}
    finally:
        raw.close()


def test_redis_outage_and_recovery(
    proxy: Proxy, make_client: ClientFactory, redis_url: str, redis_prefix: str
) -> None:
    client: TestClient[Litestar] = make_client(redis_url=proxy.url)
    first = client.post("/articles", json=fire_article("CBS"))
    assert first.status_code == 201, first.text
    story_id = first.json()["story_id"]
    assert client.get(f"/stories/{story_id}/brief").json()["cached"] is False
    stories_before = client.get("/stories").json()
    detail_before = client.get(f"/stories/{story_id}").json()
    brief_before = client.get(f"/stories/{story_id}/brief").json()
    assert brief_before["cached"] is True

    # ---- Redis goes away
    proxy.stop()
    start = time.monotonic()
    refused = client.post("/articles", json=fire_article("ABC"))
    assert time.monotonic() - start < 10.0
    assert refused.status_code == 503, refused.text
    assert "redis" in refused.json()["detail"].lower()
    assert refused.headers.get("retry-after")

    batch = client.post(
        "/articles/batch", json={"articles": [fire_article("MSN"), {"url": "x", "outlet": "y"}]}
    )
    assert batch.status_code == 200
    results = batch.json()["results"]
    assert [r["ok"] for r in results] == [False, False]
    assert results[0]["error"]["status_code"] == 503
    assert "redis" in results[0]["error"]["detail"].lower()
    assert results[1]["error"]["status_code"] == 400

    # Reads are served from memory.
    assert client.get("/stories").json() == stories_before
    assert client.get(f"/stories/{story_id}").json() == detail_before
    brief = client.get(f"/stories/{story_id}/brief")
    assert brief.status_code == 200
    assert {**brief.json(), "cached": True} == brief_before  # same brief, maybe uncached
    assert client.get(f"/articles/{first.json()['article_id']}").status_code == 200
    assert client.get("/clusters").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/").status_code == 200
    down = client.get("/health")
    assert down.status_code == 503
    h = down.json()
    assert h["redis"] is False
    assert h["status"] == "degraded"
    assert (h["articles"], h["stories"]) == (1, 1)
    assert h["index_vectors"] == h["texts"]  # nothing half-applied in memory

    # Nothing half-written in Redis (read directly, around the proxy).
    assert stored_articles(redis_url, redis_prefix) == 1
    assert stored_urls(redis_url, redis_prefix) == {fire_article("CBS")["url"]}

    # ---- Redis comes back on the same address
    proxy.start()
    again = client.post("/articles", json=fire_article("ABC"))
    assert again.status_code == 201, again.text
    assert again.json()["status"] == "created"
    assert again.json()["article_id"] == "a2"  # the failed attempt used up no id
    assert again.json()["story_id"] == story_id
    assert client.post("/articles", json=other_article("library")).status_code == 201
    up = client.get("/health")
    assert up.status_code == 200, up.text
    assert (up.json()["articles"], up.json()["stories"]) == (3, 2)
    assert stored_articles(redis_url, redis_prefix) == 3
    assert client.get(f"/stories/{story_id}").json()["story"]["article_count"] == 2
    after = client.get(f"/stories/{story_id}/brief").json()
    assert after["cached"] is False
    assert after["version"] == brief_before["version"] + 1
    assert client.get(f"/stories/{story_id}/brief").json()["cached"] is True


def test_redis_down_at_health_then_up(proxy: Proxy, make_client: ClientFactory) -> None:
    client: TestClient[Litestar] = make_client(redis_url=proxy.url)
    assert client.get("/health").status_code == 200
    proxy.stop()
    assert client.get("/health").status_code == 503
    assert health(client)["redis"] is False
    proxy.start()
    assert client.get("/health").status_code == 200
    assert health(client)["redis"] is True


def test_hanging_redis_fails_fast(
    proxy: Proxy, make_client: ClientFactory, redis_url: str, redis_prefix: str
) -> None:
    """Redis accepts connections but never answers: writes get 503 within seconds, not hang."""
    client: TestClient[Litestar] = make_client(redis_url=proxy.url)
    assert client.post("/articles", json=fire_article("CBS")).status_code == 201
    proxy.blackhole = True
    start = time.monotonic()
    refused = client.post("/articles", json=fire_article("ABC"))
    elapsed = time.monotonic() - start
    assert refused.status_code == 503, refused.text
    assert "redis" in refused.json()["detail"].lower()
    # Where Redis lives goes to the log, never into an answer (issue 13).
    assert str(proxy.port) not in refused.text
    assert elapsed < 15.0  # 2 s socket timeout, one retry
    # Later writes do not each wait out the timeouts behind the write lock (each took 4 s,
    # issue 13): with the breaker open, one ping of at most 0.5 s decides.
    for outlet in ("MSN", "Yahoo"):
        start = time.monotonic()
        fast = client.post("/articles", json=fire_article(outlet))
        assert fast.status_code == 503, fast.text
        assert time.monotonic() - start < 1.0
    # /health answers within a second while Redis hangs (it took 4 s: issue 13).
    start = time.monotonic()
    assert client.get("/health").status_code == 503
    assert time.monotonic() - start < 1.0
    assert client.get("/stories").status_code == 200
    assert stored_articles(redis_url, redis_prefix) == 1
    proxy.blackhole = False
    again = client.post("/articles", json=fire_article("ABC"))
    assert again.status_code == 201, again.text
    assert stored_articles(redis_url, redis_prefix) == 2
