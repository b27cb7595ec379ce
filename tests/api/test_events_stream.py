"""``GET /events`` over real HTTP: a ``wiredesk serve`` process (real Redis, hash embedder).

Stream clients are real HTTP clients reading the text/event-stream as a browser's EventSource
does; the slow client is a raw socket with a small receive buffer that stops reading.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.api.conftest import fire_article, other_article
from tests.api.test_cli_serve import STOP_TIMEOUT_S, serve
from tests.api.test_http_server import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HEARTBEAT_S = 1.0
CLIENT_QUEUE = 8


@dataclass
class Server:
    base: str
    proc: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("events")
    prefix = f"wdtest:{uuid.uuid4().hex[:12]}"
    port = free_port()
    proc = serve(
        tmp / "data",
        port,
        tmp / "serve.log",
        redis_url=redis_url,
        redis_prefix=prefix,
        write_rate_per_minute="0",
        log_level="WARNING",
        events__heartbeat_s=str(HEARTBEAT_S),
        events__client_queue=str(CLIENT_QUEUE),
    )
    try:
        yield Server(f"http://127.0.0.1:{port}", proc, tmp / "serve.log")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=STOP_TIMEOUT_S)
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
    assert "Traceback" not in (tmp / "serve.log").read_text()


@dataclass
class Reader:
    """An SSE client in a thread: parsed events, comments and the retry field, as they come."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    retry: int | None = None
    status: int | None = None
    content_type: str = ""
    ended: bool = False
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Reader:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self.wait(lambda: bool(self.comments) or self.status not in (None, 200))
        return self

    def _run(self) -> None:
        current: dict[str, Any] = {}
        try:
            with (
                httpx.Client(timeout=None) as client,
                client.stream("GET", self.url, headers=self.headers) as response,
            ):
                self.status = response.status_code
                self.content_type = response.headers.get("content-type", "")
                for line in response.iter_lines():
                    if self._stop.is_set():
                        break  # the connection closes as the blocks exit
                    if line.startswith(":"):
                        self.comments.append(line[1:].strip())
                    elif line.startswith("retry: "):
                        self.retry = int(line[7:])
                    elif line.startswith(("id: ", "event: ", "data: ")):
                        name, _, value = line.partition(": ")
                        current[name] = json.loads(value) if name == "data" else value
                    elif not line and current:
                        self.events.append(current)
                        current = {}
        except httpx.HTTPError:
            pass
        self.ended = True

    def wait(self, ready: Any, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready():
            if time.monotonic() > deadline:
                pytest.fail(f"stream {self.url}: timed out; events {self.events[-5:]}")
            time.sleep(0.02)

    def close(self) -> None:
        """Go away: the thread drops the connection at the next line (heartbeats come each
        second), without reading the rest."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5 * HEARTBEAT_S)


@pytest.fixture
def readers(server: Server) -> Iterator[Any]:
    opened: list[Reader] = []

    def open_(query: str = "", **headers: str) -> Reader:
        reader = Reader(f"{server.base}/events{query}", headers).start()
        opened.append(reader)
        return reader

    yield open_
    for reader in opened:
        reader.close()


def post(server: Server, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{server.base}/articles", json=body, timeout=30)
    assert response.status_code in (200, 201), response.text
    out: dict[str, Any] = response.json()
    return out


def test_events_arrive_after_a_post_with_ids_and_heartbeats(server: Server, readers: Any) -> None:
    everything = readers()
    assert everything.status == 200
    assert everything.content_type.startswith("text/event-stream")
    assert everything.retry == 3000
    story = post(server, fire_article("CBS"))["story_id"]
    everything.wait(lambda: len(everything.events) >= 2)
    created, brief = everything.events[:2]
    assert created["event"] == "story.created"
    assert brief["event"] == "brief.changed"
    assert created["data"] == {
        "story_id": story,
        "version": 1,
        "title": "Fire tears through Millbrook plastics factory",
        "outlets": ["CBS"],
        "at": created["data"]["at"],
    }
    assert abs(created["data"]["at"] - time.time()) < 60
    assert created["id"] != brief["id"]
    before = everything.comments.count("heartbeat")
    time.sleep(HEARTBEAT_S * 2.5)
    assert everything.comments.count("heartbeat") >= before + 1


def test_filters_by_story_and_outlet(server: Server, readers: Any) -> None:
    story = post(server, fire_article("MSN"))["story_id"]  # joins the fire story, or founds it
    everything = readers()
    by_story = readers(f"?story_id={story}")
    by_outlet = readers("?outlet=abc&outlet=Nobody")
    post(server, other_article("comet", outlet="NBC"))
    post(server, fire_article("ABC"))
    everything.wait(
        lambda: {"NBC", "ABC"} <= {o for e in everything.events for o in e["data"]["outlets"]}
    )
    time.sleep(0.3)
    assert len(everything.events) >= 4
    assert by_story.events
    assert all(e["data"]["story_id"] == story for e in by_story.events)
    assert len(by_story.events) < len(everything.events)  # no comet
    assert by_outlet.events
    assert all("ABC" in e["data"]["outlets"] for e in by_outlet.events)
    assert len(by_outlet.events) < len(everything.events)


def test_last_event_id_resumes_from_the_ring(server: Server, readers: Any) -> None:
    everything = readers()
    post(server, other_article("library", outlet="Gazette"))
    post(server, other_article("marathon", outlet="Courier"))
    everything.wait(lambda: len(everything.events) >= 4)
    first = everything.events[0]["id"]
    missed = [e["id"] for e in everything.events[1:]]
    by_header = readers(**{"Last-Event-ID": first})
    by_query = readers(f"?last_event_id={first}")
    for reader in (by_header, by_query):
        reader.wait(lambda r=reader: len(r.events) >= len(missed))
        assert [e["id"] for e in reader.events][: len(missed)] == missed
    # An id of an earlier process: told of the gap, and given what this process holds.
    stale = readers(**{"Last-Event-ID": "zzzzzz-5"})
    stale.wait(lambda: any(c.startswith("gap:") for c in stale.comments))


@pytest.mark.parametrize(
    ("query", "headers", "status", "message"),
    [
        ("?story_id=s999999", {}, 404, "no story with id 's999999'"),
        ("?last_event_id=42", {}, 400, "is not an event id of this service"),
        ("", {"Last-Event-ID": "x-y"}, 400, "is not an event id of this service"),
        ("?" + "&".join(f"outlet=o{i}" for i in range(21)), {}, 400, "at most 20 `outlet`"),
        ("?outlet=", {}, 400, "`outlet` must be an outlet name"),
        ("?story_id=" + "s" * 201, {}, 400, "invalid parameter `story_id`"),
    ],
)
def test_bad_filters_are_refused_with_our_messages(
    server: Server, query: str, headers: dict[str, str], status: int, message: str
) -> None:
    response = httpx.get(f"{server.base}/events{query}", headers=headers, timeout=10)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]


def _long_outlet(n: int) -> str:
    return f"Outlet {n:03d} " + "x" * 140


def test_a_slow_client_is_dropped_and_resumes_with_last_event_id(
    server: Server, readers: Any
) -> None:
    # A client that stops reading: a small receive buffer, and no reads until the end.
    host, port = server.base.removeprefix("http://").split(":")
    slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect((host, int(port)))
    slow.sendall(f"GET /events HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    time.sleep(0.3)
    # One story gaining 200 outlets with long names: its events grow to ~30 KB each, 6 MB
    # in all, far more than the socket buffers hold.
    articles = [
        {
            "url": f"https://o{n}.example/wave",
            "outlet": _long_outlet(n),
            "title": "A wave of reports",
            "text": f"Report number {n} on the wave, with its own distinct sentence {n * 7919}.",
            "story_key": "wave",
        }
        for n in range(200)
    ]
    response = httpx.post(f"{server.base}/articles/batch", json={"articles": articles}, timeout=300)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 200
    # Now read everything it was sent: the stream must end with the drop comment.
    slow.settimeout(20)
    chunks = []
    while True:
        try:
            chunk = slow.recv(1 << 16)
        except TimeoutError:
            pytest.fail("the slow client's stream did not end")
        if not chunk:
            break
        chunks.append(chunk)
        if b"\r\n0\r\n\r\n" in chunks[-1][-16:]:
            break  # the chunked body's end
    slow.close()
    text = b"".join(chunks).decode()
    assert f": dropped: this client fell {CLIENT_QUEUE} events behind" in text
    ids = [line[4:] for line in text.splitlines() if line.startswith("id: ")]
    assert ids
    assert len(ids) < 400  # it was not sent everything
    # Reconnecting with the last id it got delivers the rest from the ring.
    resumed = readers(**{"Last-Event-ID": ids[-1]})
    resumed.wait(
        lambda: any(
            e["event"] == "brief.changed" and len(e["data"]["outlets"]) == 200
            for e in resumed.events
        ),
        timeout_s=20,
    )
    got = [e["id"] for e in resumed.events]
    assert len(set(ids) & set(got)) == 0
    assert len(ids) + len(got) >= 400
    assert gauge(server, "event_stream_clients_dropped") >= 1


def gauge(server: Server, name: str) -> float:
    text = httpx.get(f"{server.base}/metrics", timeout=10).text
    line = next(x for x in text.splitlines() if x.startswith(f"wiredesk_{name} "))
    return float(line.split()[1])


def wait_gauge(server: Server, name: str, value: float) -> None:
    deadline = time.monotonic() + 10
    while gauge(server, name) != value:
        assert time.monotonic() < deadline, f"{name} is not {value}"
        time.sleep(0.1)


def test_vanished_clients_are_forgotten(server: Server) -> None:
    wait_gauge(server, "event_stream_clients", 0)  # earlier tests' streams are closed
    base = 0
    clients = [Reader(f"{server.base}/events").start() for _ in range(5)]
    assert gauge(server, "event_stream_clients") == base + 5
    for reader in clients:
        reader.close()  # the connection goes away without a word
    wait_gauge(server, "event_stream_clients", base)


def test_open_streams_end_when_the_server_stops(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    port = free_port()
    proc = serve(
        tmp_path / "data",
        port,
        tmp_path / "serve.log",
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        log_level="WARNING",
    )
    reader = Reader(f"http://127.0.0.1:{port}/events").start()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=STOP_TIMEOUT_S) == 0
    reader.wait(lambda: reader.ended)
    assert "server stopping: reconnect with Last-Event-ID" in reader.comments
    log = (tmp_path / "serve.log").read_text()
    # uvicorn did not have to wait out its graceful-shutdown timeout and cancel the stream.
    assert "timeout graceful shutdown exceeded" not in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
