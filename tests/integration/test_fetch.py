"""Safe fetching: refused addresses (after DNS, on redirects), caps, and a real local server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from service.adapters.fetch import FetchConfig, FetchError, SafeFetcher, address_allowed


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", False),
        ("127.8.9.10", False),
        ("10.1.2.3", False),
        ("172.16.0.5", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
    ],
)
def test_address_rule(address: str, allowed: bool) -> None:
    assert address_allowed(address) is allowed


def resolver_of(table: dict[str, list[str]]) -> Any:
    async def resolve(host: str, _port: int) -> list[str]:
        if host not in table:
            raise OSError("no such host")
        return table[host]

    return resolve


async def test_names_resolving_to_private_addresses_are_refused() -> None:
    fetcher = SafeFetcher(resolver=resolver_of({"intranet.example": ["10.0.0.7"]}))
    with pytest.raises(FetchError, match="non-public address"):
        await fetcher.get("http://intranet.example/admin")
    with pytest.raises(FetchError, match="only http and https"):
        await fetcher.get("file:///etc/passwd")
    with pytest.raises(FetchError, match="cannot resolve"):
        await fetcher.get("http://nowhere.example/")
    await fetcher.aclose()


async def test_a_redirect_to_a_private_address_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "http://169.254.169.254/latest/meta-data"})

    fetcher = SafeFetcher(
        resolver=resolver_of({"news.example": ["93.184.216.34"]}),
        transport=httpx.MockTransport(handler),
    )
    with pytest.raises(FetchError, match=r"169\.254\.169\.254"):
        await fetcher.get("https://news.example/story")
    await fetcher.aclose()


async def test_bodies_over_the_cap_are_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 5000)

    fetcher = SafeFetcher(
        FetchConfig(max_bytes=1000),
        resolver=resolver_of({"news.example": ["93.184.216.34"]}),
        transport=httpx.MockTransport(handler),
    )
    with pytest.raises(FetchError, match="the limit is 1000"):
        await fetcher.get("https://news.example/big")
    await fetcher.aclose()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/loop":
            self.send_response(302)
            self.send_header("location", "/loop")
            self.end_headers()
            return
        if self.headers.get("if-none-match") == '"v1"':
            self.send_response(304)
            self.end_headers()
            return
        body = b"<html><body><p>hello</p></body></html>"
        self.send_response(200)
        self.send_header("etag", '"v1"')
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_loopback_is_refused_by_default_and_allowed_when_opted_in(local_server: str) -> None:
    strict = SafeFetcher()
    with pytest.raises(FetchError, match="non-public address"):
        await strict.get(f"{local_server}/page")
    await strict.aclose()

    opted_in = SafeFetcher(FetchConfig(allow_private=True))
    page = await opted_in.get(f"{local_server}/page")
    assert page.status == 200
    assert b"hello" in page.body
    assert page.headers["etag"] == '"v1"'
    again = await opted_in.get(f"{local_server}/page", headers={"if-none-match": '"v1"'})
    assert again.status == 304
    assert again.body == b""
    with pytest.raises(FetchError, match="more than 5 redirects"):
        await opted_in.get(f"{local_server}/loop")
    await opted_in.aclose()


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org:99999/feed",  # port out of range
        "http://[::1/feed",  # broken IPv6 literal
        "http://a..b.example/feed",  # empty DNS label
        "http://" + "x" * 64 + ".example/feed",  # label over 63 characters
    ],
)
async def test_malformed_urls_are_refused_with_a_reason_not_a_crash(url: str) -> None:
    fetcher = SafeFetcher()  # the system resolver: IDNA refuses the bad labels before any lookup
    try:
        with pytest.raises(FetchError):
            await fetcher.check_url(url)
    finally:
        await fetcher.aclose()
