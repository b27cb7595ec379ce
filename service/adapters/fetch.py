"""Safe HTTP fetching of pages and feeds: no requests into the service's own network.

A server that fetches URLs its users give it can be turned against the network it runs in
(server-side request forgery, OWASP SSRF Prevention Cheat Sheet). :class:`SafeFetcher`
refuses, by default, every address that is not globally routable (loopback, private, link-local
including the cloud metadata address 169.254.169.254, carrier-grade NAT, multicast, reserved,
unspecified), checked after DNS resolution, again on every redirect (followed one by one, at
most ``max_redirects``), and once more on the address the connection actually reached (a DNS
answer that changed between the check and the connection, "DNS rebinding", is caught before
the body is read). Bodies are capped (``max_bytes``, read as a stream), the whole fetch has a
deadline, and the User-Agent says who is asking.

``allow_private`` (``WIREDESK_FETCH_ALLOW_PRIVATE``) lifts the address rule for loopback and
private networks: for tests against a local server and for intranet deployments; off by
default. It never opens link-local addresses (169.254.0.0/16, fe80::/10: the cloud metadata
endpoints live there), the other known metadata addresses (AWS's IPv6 ``fd00:ec2::254``,
Alibaba's ``100.100.100.200``), multicast or unspecified addresses: no intranet feed lives
there, and a redirect to them is the classic way to steal a cloud machine's credentials.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from service.domain.errors import InvalidInputError

USER_AGENT = "Wiredesk/0.1 (news clustering; +https://github.com/wiredesk/wiredesk)"

_REDIRECTS = frozenset({301, 302, 303, 307, 308})

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]


class FetchError(InvalidInputError):
    """A URL could not or may not be fetched; the message says why (the field is ``url``).

    Attributes:
        status: the HTTP status when the server answered with an error status, else ``None``.
        retry_after: that answer's ``Retry-After`` header (seconds or an HTTP date), if any.
    """

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: str | None = None
    ) -> None:
        super().__init__(message, field="url")
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class FetchConfig:
    """Safe-fetch limits.

    Attributes:
        allow_private: fetch non-global addresses too (tests, intranets). Off by default.
        max_bytes: largest body read; a longer one is refused (5 MiB: news pages with inline
            scripts are 0.2-2 MiB, feeds far less).
        timeout_s: deadline of one whole fetch, redirects included.
        max_redirects: redirects followed (browsers allow 20; 5 covers http to https to a
            canonical host to a consent page).
        user_agent: the User-Agent header.
    """

    allow_private: bool = False
    max_bytes: int = 5 * 1024 * 1024
    timeout_s: float = 20.0
    max_redirects: int = 5
    user_agent: str = USER_AGENT


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetched resource.

    Attributes:
        url: the URL asked for.
        final_url: where the last redirect led.
        status: HTTP status of the final response (2xx or 304).
        headers: its headers (lower-case names).
        body: its body (empty for 304).
    """

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address, without an IPv6 zone, IPv4-mapped IPv6 addresses as IPv4."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def address_allowed(address: str) -> bool:
    """Whether an IP address is globally routable (not loopback, private, link-local, ...)."""
    ip = _ip(address)
    return bool(ip.is_global) and not ip.is_multicast


# Cloud metadata endpoints outside the link-local ranges.
_METADATA = frozenset(
    {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}
)


def address_never_allowed(address: str) -> bool:
    """Whether an address is refused even with ``allow_private`` (link-local, metadata, ...)."""
    ip = _ip(address)
    return ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip in _METADATA


async def system_resolver(host: str, port: int) -> Sequence[str]:
    """Every address ``host`` resolves to (the system resolver, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _refused(address: str) -> bool:
    return not address_allowed(address)


class SafeFetcher:
    """GET with the rules of the module docstring."""

    def __init__(
        self,
        config: FetchConfig | None = None,
        *,
        resolver: Resolver = system_resolver,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config or FetchConfig()
        self._resolve = resolver
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            headers={"user-agent": self.config.user_agent},
            timeout=self.config.timeout_s,
            transport=transport,
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def check_url(self, url: str) -> None:
        """Refuse a URL that is not http(s) or whose host resolves to a refused address.

        Raises:
            FetchError: the reason.
        """
        try:
            parts = urlsplit(url)
            host = parts.hostname
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:  # a bad port or a broken IPv6 literal
            raise FetchError(f"not a valid URL: {url!r} ({exc})") from None
        if parts.scheme not in {"http", "https"} or not host:
            raise FetchError(f"only http and https URLs can be fetched: {url!r}")
        try:
            addresses = await self._resolve(host, port)
        except (OSError, UnicodeError, ValueError) as exc:  # IDNA: empty or over-long labels
            raise FetchError(f"cannot resolve {host!r}: {exc}") from None
        if self.config.allow_private:
            never = [a for a in addresses if address_never_allowed(a)]
            if never:
                raise FetchError(
                    f"refusing to fetch {host!r}: it resolves to a link-local or "
                    f"metadata address ({', '.join(never)}), refused even with "
                    "WIREDESK_FETCH_ALLOW_PRIVATE"
                )
            return
        refused = [a for a in addresses if not address_allowed(a)]
        if not addresses or refused:
            raise FetchError(
                f"refusing to fetch {host!r}: it resolves to a non-public address "
                f"({', '.join(refused) or 'none'}); set WIREDESK_FETCH_ALLOW_PRIVATE=true for "
                "tests and intranets"
            )

    async def get(self, url: str, headers: dict[str, str] | None = None) -> Fetched:
        """Fetch ``url`` (conditional headers such as ``If-None-Match`` may be passed).

        Returns:
            The final response: a 2xx with its body, or a 304.

        Raises:
            FetchError: a refused address, too many redirects, a body over the limit, a
                timeout, a network error, or an HTTP error status (the status is named).
        """
        try:
            async with asyncio.timeout(self.config.timeout_s):
                return await self._get(url, headers or {})
        except TimeoutError:
            raise FetchError(f"fetching {url} took more than {self.config.timeout_s:g} s") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"fetching {url} failed: {exc.__class__.__name__}") from None

    async def _get(self, url: str, headers: dict[str, str]) -> Fetched:
        current = url
        for _ in range(self.config.max_redirects + 1):
            await self.check_url(current)
            async with self._client.stream("GET", current, headers=headers) as response:
                self.check_peer(response, current)
                if response.status_code == 304:  # before redirects: httpx counts 304 as one
                    return Fetched(url, current, 304, dict(response.headers), b"")
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    current = urljoin(current, response.headers["location"])
                    continue
                if not response.is_success:
                    raise FetchError(
                        f"fetching {current} answered HTTP {response.status_code}",
                        status=response.status_code,
                        retry_after=response.headers.get("retry-after"),
                    )
                body = await self._read_capped(response, current)
                return Fetched(url, current, response.status_code, dict(response.headers), body)
        raise FetchError(f"fetching {url}: more than {self.config.max_redirects} redirects")

    def check_peer(self, response: httpx.Response, url: str) -> None:
        """The address the connection reached must pass the rule too (DNS rebinding).

        Raises:
            FetchError: the peer is refused (with ``allow_private``: only link-local,
                metadata and like addresses are).
        """
        stream = response.extensions.get("network_stream")
        peer = stream.get_extra_info("server_addr") if stream is not None else None
        rule = address_never_allowed if self.config.allow_private else _refused
        if peer and rule(str(peer[0])):
            raise FetchError(f"refusing {url}: the connection reached a non-public address")

    async def _read_capped(self, response: httpx.Response, url: str) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.config.max_bytes:
            raise FetchError(f"{url} is {declared} bytes; the limit is {self.config.max_bytes}")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.config.max_bytes:
                raise FetchError(f"{url} is over the limit of {self.config.max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
