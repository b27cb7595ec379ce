"""``wiredesk feeds import`` and ``wiredesk watch --once`` against real Redis and real HTTP."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from service.adapters.feed_registry import RedisFeedRegistry
from service.adapters.redis_store import connect
from service.api.app import create_app
from service.cli import main
from service.domain.feeds import Feed
from service.settings import Settings
from tests.feedsite import Answer, Site, harbour_and_orchard, rss20, serve

pytestmark = pytest.mark.integration


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, redis_url: str, redis_prefix: str, tmp_path: Path) -> str:
    """The CLI's deployment: the test Redis under the test's prefix, loopback allowed."""
    monkeypatch.setenv("WIREDESK_REDIS_URL", redis_url)
    monkeypatch.setenv("WIREDESK_REDIS_PREFIX", redis_prefix)
    monkeypatch.setenv("WIREDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WIREDESK_FETCH_ALLOW_PRIVATE", "true")
    return redis_prefix


@pytest.fixture
def site() -> Iterator[Site]:
    with serve() as s:
        yield s


def registered(redis_url: str, prefix: str) -> list[Feed]:
    async def read() -> list[Feed]:
        client = connect(redis_url)
        try:
            return await RedisFeedRegistry(client, prefix).feeds()
        finally:
            await client.aclose()

    return asyncio.run(read())


def opml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "subscriptions.opml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"><head><title>Mine</title>'
        f"</head><body>{body}</body></opml>",
        encoding="utf-8",
    )
    return path


def test_feeds_import_reports_added_duplicate_and_invalid(
    env: str, redis_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = opml(
        tmp_path,
        '<outline text="Local news">'
        '  <outline type="rss" text="Coast Gazette" xmlUrl="http://127.0.0.1:9/rss"/>'
        '  <outline type="rss" text="Gazette again" xmlUrl="http://127.0.0.1:9/rss?utm_source=opml"/>'
        "</outline>"
        '<outline type="rss" title="Valley Times" text="VT" xmlUrl="http://127.0.0.1:9/atom"/>'
        '<outline type="rss" text="Old FTP" xmlUrl="ftp://files.test/feed.xml"/>'
        '<outline type="rss" text="Metadata" xmlUrl="http://169.254.169.254/latest"/>'
        '<outline type="link" text="A page, not a feed" url="https://news.test/"/>',
    )
    assert main(["feeds", "import", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out.strip() == "2 added, 1 duplicate, 2 invalid"
    assert "ftp://files.test/feed.xml: url must be an http or https URL" in err
    assert "169.254.169.254" in err
    feeds = registered(redis_url, env)
    assert [(f.url, f.outlet) for f in feeds] == [
        ("http://127.0.0.1:9/rss", "Coast Gazette"),
        ("http://127.0.0.1:9/atom", "Valley Times"),
    ]

    assert main(["feeds", "import", str(path)]) == 1
    assert capsys.readouterr().out.strip() == "0 added, 3 duplicate, 2 invalid"
    assert len(registered(redis_url, env)) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">]>'
            "<opml><body><outline xmlUrl='http://x.test/&a;'/></body></opml>",
            "refused (entity expansion)",
        ),
        ("<opml><body><outline xmlUrl='http://x.test/'></body>", "not well-formed XML"),
        ("<rss version='2.0'><channel/></rss>", "is not OPML"),
    ],
)
def test_feeds_import_refuses_files_that_are_not_safe_opml(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = tmp_path / "bad.opml"
    path.write_text(text, encoding="utf-8")
    assert main(["feeds", "import", str(path)]) == 2
    assert message in capsys.readouterr().err
    assert main(["feeds", "import", str(tmp_path / "missing.opml")]) == 2


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def service(make_settings: Callable[..., Settings], env: str, redis_prefix: str) -> Iterator[str]:
    """The API on a real socket (uvicorn in a thread), its own poller off."""
    port = free_port()
    settings = make_settings(feeds_poll=False, fetch_allow_private=True, port=port)
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_watch_once_polls_the_registry_and_ingests_through_the_api(
    service: str, site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = harbour_and_orchard(site.base)
    url = site.route("/rss", Answer(rss20("Coast Gazette", items)))
    path = opml(tmp_path, f'<outline type="rss" text="Coast Gazette" xmlUrl="{url}"/>')
    assert main(["feeds", "import", str(path)]) == 0
    capsys.readouterr()

    assert main(["watch", "--once", "--api", service]) == 0
    out = capsys.readouterr().out
    assert f"{url}: 2 new" in out
    assert "1 feeds polled" in out
    stories = httpx.get(f"{service}/stories").json()["stories"]
    assert sorted(s["title"] for s in stories) == [
        "Frost wipes out apple blossoms",
        "Harbour channel to be dredged",
    ]
    feed = httpx.get(f"{service}/feeds").json()["feeds"][0]
    assert (feed["outlet"], feed["total_items"], feed["last_status"]) == ("Coast Gazette", 2, 200)

    assert main(["watch", "--once", "--api", service]) == 0  # not due yet: nothing polled
    assert "0 feeds polled" in capsys.readouterr().out
    assert len(site.hits("/rss")) == 1
