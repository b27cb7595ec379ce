"""Webhooks end to end: the app (real Redis) delivering to a real HTTP receiver on loopback.

The receiver is the standard library's ``http.server`` started by each test, answering with
the statuses the test scripts (and optionally hanging); the service may reach it because the
tests set ``fetch_allow_private`` (as ``WIREDESK_FETCH_ALLOW_PRIVATE=true`` does).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from service.api.app import create_app
from service.domain.webhooks import WebhookConfig
from tests.api.conftest import (
    LOCAL,
    ClientFactory,
    SettingsFactory,
    fire_article,
    other_article,
    post,
)

FAST = WebhookConfig(base_delay_s=0.2, max_delay_s=1.0, timeout_s=1.0, max_attempts=3)


@dataclass
class Received:
    at: float
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(self.body)
        return out


@dataclass
class Receiver:
    """A loopback HTTP server recording POSTs; answers ``script`` statuses, then ``status``."""

    status: int = 200
    script: list[int] = field(default_factory=list)
    hang_s: float = 0.0
    got: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_for(self, n: int, timeout_s: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout_s
        while len(self.got) < n:
            if time.monotonic() > deadline:
                pytest.fail(f"receiver got {len(self.got)} deliveries, expected {n}")
            time.sleep(0.02)
        return list(self.got)


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    started: list[ThreadingHTTPServer] = []

    def start(**kw: Any) -> Receiver:
        receiver = Receiver(**kw)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver.got.append(
                    Received(
                        time.monotonic(), {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
                if receiver.hang_s:
                    time.sleep(receiver.hang_s)
                status = receiver.script.pop(0) if receiver.script else receiver.status
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        threading.Thread(target=server.serve_forever, daemon=True).start()
        receiver.server = server
        started.append(server)
        return receiver

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def subscribe(client: TestClient[Litestar], **body: Any) -> dict[str, Any]:
    response = client.post("/webhooks", json=body)
    assert response.status_code == 201, response.text
    out: dict[str, Any] = response.json()
    return out


def _documented_verify() -> Callable[[str, str, bytes], bool]:
    """The verification code docs/EVENTS.md gives receivers, run as written."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "EVENTS.md").read_text()
    block = next(
        b for b in re.findall(r"```python\n(.*?)```", text, re.DOTALL) if "def verify" in b
    )
    namespace: dict[str, Any] = {}
    exec(compile(block, "docs/EVENTS.md", "exec"), namespace)
    verify: Callable[[str, str, bytes], bool] = namespace["verify"]
    return verify


receiver_verifies = _documented_verify()


def log_of(client: TestClient[Litestar], webhook_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.text
    out: list[dict[str, Any]] = response.json()["deliveries"]
    return out


def wait_log(
    client: TestClient[Litestar], webhook_id: str, n: int, timeout_s: float = 10.0
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while len(entries := log_of(client, webhook_id)) < n:
        if time.monotonic() > deadline:
            pytest.fail(f"delivery log has {len(entries)} entries, expected {n}: {entries}")
        time.sleep(0.05)
    return entries


def test_deliveries_are_signed_filtered_and_logged(
    make_client: ClientFactory, receivers: Callable[..., Receiver]
) -> None:
    client = make_client(fetch_allow_private=True, webhooks=FAST)
    everything, filtered = receivers(), receivers()
    hook = subscribe(client, url=everything.url)
    assert hook["webhook_id"].startswith("wh_")
    assert hook["secret"].startswith("whsec_")
    narrow = subscribe(
        client, url=filtered.url, events=["brief.changed"], outlet="abc", min_outlets=2
    )
    listed = client.get("/webhooks").json()["webhooks"]
    assert [h["webhook_id"] for h in listed] == [hook["webhook_id"], narrow["webhook_id"]]
    assert all("secret" not in h for h in listed)  # shown once, at creation

    story = post(client, fire_article("CBS"))["story_id"]
    got = everything.wait_for(2)
    assert [r.json()["type"] for r in got] == ["story.created", "brief.changed"]
    for r in got:
        header = r.headers["wiredesk-signature"]
        assert receiver_verifies(hook["secret"], header, r.body)
        assert not receiver_verifies(narrow["secret"], header, r.body)
        assert not receiver_verifies(hook["secret"], header, r.body + b" ")
        assert r.headers["wiredesk-event"] == r.json()["type"]
        assert r.headers["wiredesk-attempt"] == "1"
        assert r.headers["content-type"] == "application/json"
    first = got[0].json()
    assert first["webhook_id"] == hook["webhook_id"]
    assert first["data"]["story_id"] == story
    assert first["data"]["outlets"] == ["CBS"]
    assert set(first["data"]) == {"story_id", "version", "title", "outlets", "at"}

    post(client, fire_article("ABC"))  # joins: now two outlets, one of them ABC
    everything.wait_for(4)
    narrowed = filtered.wait_for(1)
    time.sleep(0.3)
    assert len(filtered.got) == 1  # only brief.changed, only once ABC and 2 outlets
    assert narrowed[0].json()["type"] == "brief.changed"
    assert narrowed[0].json()["data"]["outlets"] == ["ABC", "CBS"]
    assert receiver_verifies(
        narrow["secret"], narrowed[0].headers["wiredesk-signature"], narrowed[0].body
    )

    log = wait_log(client, hook["webhook_id"], 4)
    assert all(e["ok"] and e["status_code"] == 200 and e["error"] is None for e in log)
    assert all(e["attempt"] == 1 and e["next_retry_at"] is None for e in log)
    assert [e["event_type"] for e in log][::-1] == [
        "story.created",
        "brief.changed",
        "story.updated",
        "brief.changed",
    ]


def test_keyword_filter_matches_titles(
    make_client: ClientFactory, receivers: Callable[..., Receiver]
) -> None:
    client = make_client(fetch_allow_private=True, webhooks=FAST)
    comet, fire = receivers(), receivers()
    subscribe(client, url=comet.url, keyword="COMET", events=["story.created"])
    subscribe(client, url=fire.url, keyword="factory", events=["story.created"])
    post(client, fire_article("CBS"))
    post(client, other_article("comet"))
    assert (
        comet.wait_for(1)[0].json()["data"]["title"] == "Newly found comet may brighten spring sky"
    )
    assert fire.wait_for(1)[0].json()["data"]["outlets"] == ["CBS"]
    time.sleep(0.3)
    assert len(comet.got) == len(fire.got) == 1


def test_failed_deliveries_are_retried_with_backoff_and_logged(
    make_client: ClientFactory, receivers: Callable[..., Receiver]
) -> None:
    client = make_client(fetch_allow_private=True, webhooks=FAST)
    flaky = receivers(script=[500, 500], status=200)
    broken = receivers(status=503)
    flaky_hook = subscribe(client, url=flaky.url, events=["story.created"])
    broken_hook = subscribe(client, url=broken.url, events=["story.created"])
    post(client, fire_article("CBS"))

    got = flaky.wait_for(3)
    bodies = {r.body for r in got}
    assert len(bodies) == 1  # the same delivery, re-signed each try
    assert [r.headers["wiredesk-attempt"] for r in got] == ["1", "2", "3"]
    assert len({r.headers["wiredesk-signature"] for r in got}) >= 1
    assert all(
        receiver_verifies(flaky_hook["secret"], r.headers["wiredesk-signature"], r.body)
        for r in got
    )
    # Waits: equal jitter in [step/2, step] with steps 0.2 s then 0.4 s (plus the request).
    gaps = [b.at - a.at for a, b in itertools.pairwise(got)]
    # (The upper bounds allow 1.5 s for the request itself on a loaded machine.)
    assert 0.1 <= gaps[0] <= 0.2 + 1.5, gaps
    assert 0.2 <= gaps[1] <= 0.4 + 1.5, gaps

    log = wait_log(client, flaky_hook["webhook_id"], 3)[::-1]  # oldest first
    assert [(e["attempt"], e["status_code"], e["ok"]) for e in log] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    assert log[0]["error"] == "HTTP 500"
    assert log[0]["next_retry_at"] is not None
    assert log[2]["next_retry_at"] is None
    assert len({e["delivery_id"] for e in log}) == 1

    broken.wait_for(3)
    dead = wait_log(client, broken_hook["webhook_id"], 3)
    time.sleep(0.8)  # no fourth try: max_attempts is 3
    assert len(broken.got) == 3
    assert [e["attempt"] for e in dead] == [3, 2, 1]
    assert dead[0]["next_retry_at"] is None
    assert dead[0]["error"] == "HTTP 503"


def test_a_hanging_target_slows_neither_ingest_nor_other_targets(
    make_client: ClientFactory, receivers: Callable[..., Receiver]
) -> None:
    # A 3 s delivery deadline: a write that waited for the hanging target would take at least
    # that long, far above a write's own time even on a loaded machine.
    config = WebhookConfig(
        base_delay_s=0.2, max_delay_s=1.0, timeout_s=3.0, max_attempts=2, queue_size=3
    )
    client = make_client(fetch_allow_private=True, webhooks=config)
    baseline = []
    for outlet in ("CBS", "ABC"):
        start = time.perf_counter()
        post(client, fire_article(outlet))
        baseline.append(time.perf_counter() - start)

    hanging, healthy = receivers(hang_s=10.0), receivers()
    stuck = subscribe(client, url=hanging.url)
    subscribe(client, url=healthy.url)
    timings = []
    for n, name in enumerate(("library", "marathon", "comet")):
        start = time.perf_counter()
        post(client, other_article(name, outlet=f"Outlet{n}"))
        timings.append(time.perf_counter() - start)
    # Six events were made while the hanging target holds its first delivery for 3 s: ingest
    # did not wait for it (each write took far less than one delivery timeout), and the
    # healthy target got all six meanwhile.
    assert max(timings) < config.timeout_s, (timings, baseline)
    start = time.monotonic()
    healthy.wait_for(6, timeout_s=3.0)
    assert time.monotonic() - start < config.timeout_s
    # The hanging target's queue is bounded: 1 in flight, at most 3 waiting, the rest dropped.
    waiting = {h["webhook_id"]: h["waiting"] for h in client.get("/webhooks").json()["webhooks"]}
    assert waiting[stuck["webhook_id"]] <= 3
    log = wait_log(client, stuck["webhook_id"], 3, timeout_s=20.0)
    errors = {e["error"] for e in log}
    assert "no answer within 3 s" in errors
    assert any(e and e.startswith("dropped unsent: 3 deliveries were waiting") for e in errors)


def test_delete_stops_deliveries_and_unknown_ids_are_404(
    make_client: ClientFactory, receivers: Callable[..., Receiver]
) -> None:
    client = make_client(fetch_allow_private=True, webhooks=FAST)
    receiver = receivers()
    hook = subscribe(client, url=receiver.url)
    response = client.delete(f"/webhooks/{hook['webhook_id']}")
    assert response.status_code == 204
    assert response.content == b""
    post(client, fire_article("CBS"))
    time.sleep(0.3)
    assert receiver.got == []
    assert client.get("/webhooks").json() == {"webhooks": []}
    for method, path in (
        ("DELETE", f"/webhooks/{hook['webhook_id']}"),
        ("GET", f"/webhooks/{hook['webhook_id']}/deliveries"),
        ("GET", "/webhooks/wh_nope/deliveries"),
    ):
        response = client.request(method, path)
        assert response.status_code == 404, response.text
        assert response.json()["detail"].startswith("no webhook with id")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "url", "missing the field `url`"),
        ({"url": 5}, "url", "field `url` must be a string of 1 to 2048 characters; got a number"),
        ({"url": "ftp://x.example/"}, "url", "only http and https URLs"),
        ({"url": "https://"}, "url", "only http and https URLs"),
        ({"url": "https://x.example", "events": ["story.deleted"]}, "events", "unknown event type"),
        ({"url": "https://x.example", "min_outlets": 0}, "min_outlets", "field `min_outlets`"),
        ({"url": "https://x.example", "outlet": ""}, "outlet", "field `outlet`"),
        ({"url": "https://x.example", "keyword": "k" * 201}, "keyword", "field `keyword`"),
        ({"url": "https://x.example", "secret": "mine"}, "secret", "unknown field `secret`"),
    ],
)
def test_bad_subscriptions_are_refused_with_our_messages(
    client: TestClient[Litestar], body: dict[str, Any], field: str, message: str
) -> None:
    response = client.post("/webhooks", json=body)
    assert response.status_code == 400, response.text
    assert message in response.json()["detail"]
    assert response.json()["extra"] == {"field": field}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
    ],
)
def test_private_targets_are_refused_by_default(client: TestClient[Litestar], url: str) -> None:
    response = client.post("/webhooks", json={"url": url})
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert detail.startswith("webhook url refused:")
    assert "WIREDESK_FETCH_ALLOW_PRIVATE" in detail


def test_media_type_quota_and_keys(make_client: ClientFactory) -> None:
    client = make_client(
        fetch_allow_private=True,
        webhooks=WebhookConfig(max_webhooks=1),
        api_keys=("k1",),
    )
    key = {"Authorization": "Bearer k1"}
    for method, path in (
        ("POST", "/webhooks"),
        ("GET", "/webhooks"),
        ("DELETE", "/webhooks/wh_x"),
        ("GET", "/webhooks/wh_x/deliveries"),
    ):
        response = client.request(method, path, json={"url": "http://127.0.0.1:9/"})
        assert response.status_code == 401, (method, path, response.text)
    response = client.post(
        "/webhooks",
        content=b'{"url": "http://127.0.0.1:9/"}',
        headers=key | {"content-type": "text/plain"},
    )
    assert response.status_code == 415
    first = client.post("/webhooks", json={"url": "http://127.0.0.1:9/"}, headers=key)
    assert first.status_code == 201
    second = client.post("/webhooks", json={"url": "http://127.0.0.1:9/"}, headers=key)
    assert second.status_code == 409
    assert "1 webhooks exist, the limit" in second.json()["detail"]


def test_subscriptions_survive_a_restart(
    make_settings: SettingsFactory, receivers: Callable[..., Receiver]
) -> None:
    receiver = receivers()
    settings = make_settings(fetch_allow_private=True, webhooks=FAST)
    with TestClient(create_app(settings), base_url=LOCAL) as first:
        hook = subscribe(first, url=receiver.url, events=["story.created"])
    with TestClient(create_app(settings), base_url=LOCAL) as second:
        listed = second.get("/webhooks").json()["webhooks"]
        assert [h["webhook_id"] for h in listed] == [hook["webhook_id"]]
        post(second, fire_article("CBS"))
        got = receiver.wait_for(1)
    assert receiver_verifies(hook["secret"], got[0].headers["wiredesk-signature"], got[0].body)
