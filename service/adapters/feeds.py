"""Feed adapters outside the service: the API sink ``wiredesk watch`` ingests through, and OPML.

:class:`ApiSink` hands a poll's articles to a running service's ``POST /articles/batch``, so a
poller in its own process ingests through the very use case the API runs (and the serving
process, which holds the in-memory read model, sees every article at once).

:func:`read_opml` reads the feed URLs of an OPML subscription list (the export format of every
feed reader) with defusedxml when it is installed, else the standard library's parser with any
``<!DOCTYPE`` refused, so no entity expansion ("billion laughs") or external entity can run.
"""

from __future__ import annotations

import xml.etree.ElementTree as StdET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from service.domain.errors import InvalidInputError, UnavailableError, WiredeskError
from service.domain.models import ArticleInput


class ApiSink:
    """Ingest through a running service's batch endpoint (an ``ArticleSink``).

    Args:
        base_url: the service, e.g. ``http://127.0.0.1:8000``.
        api_key: its write key, when it has keys.
        timeout_s: per request; a batch of 50 articles with new paragraphs takes a few
            seconds to embed on 2 cores, so 120 s leaves room for a busy service.
        batch_size: articles per request (the service accepts 200 by default).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout_s: float = 120.0,
        batch_size: int = 50,
    ) -> None:
        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s
        )
        self.batch_size = batch_size

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def __call__(self, articles: Sequence[ArticleInput]) -> list[str | WiredeskError]:
        """Post the articles; each answer is the outcome's status or the item's error.

        A service that cannot be reached, refuses the key, is rate-limited or fails answers
        :class:`UnavailableError` for every item (the poller then tries them again later).
        """
        out: list[str | WiredeskError] = []
        for start in range(0, len(articles), self.batch_size):
            out.extend(await self._post(articles[start : start + self.batch_size]))
        return out

    async def _post(self, articles: Sequence[ArticleInput]) -> list[str | WiredeskError]:
        body = {"articles": [_wire(a) for a in articles]}
        try:
            response = await self._client.post("/articles/batch", json=body)
        except httpx.HTTPError as exc:
            down = UnavailableError(f"the service is unreachable: {exc.__class__.__name__}")
            return [down] * len(articles)
        if response.status_code != 200:
            detail = _detail(response)
            refused = UnavailableError(f"the service answered {response.status_code}: {detail}")
            return [refused] * len(articles)
        results: list[str | WiredeskError] = []
        for item in response.json()["results"]:
            if item["ok"]:
                results.append(str(item["result"]["status"]))
            else:
                results.append(InvalidInputError(str(item["error"]["detail"])))
        return results


def _wire(article: ArticleInput) -> dict[str, Any]:
    body: dict[str, Any] = {"url": article.url, "outlet": article.outlet, "text": article.text}
    if article.title:
        body["title"] = article.title
    if article.published_at is not None:
        moment = datetime.fromtimestamp(article.published_at, UTC)
        body["published_at"] = moment.isoformat().replace("+00:00", "Z")
    return body


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", ""))[:200]
    except ValueError:
        return response.text[:200]


class OpmlError(ValueError):
    """A file that is not a readable OPML document."""


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One subscription: its feed URL and the name the reader gave it."""

    url: str
    title: str | None


def read_opml(path: Path) -> list[OpmlFeed]:
    """The feeds (``outline`` elements with an ``xmlUrl``) of an OPML file, in file order.

    Raises:
        OpmlError: unreadable, not XML, a ``DOCTYPE`` (entities refused), or not OPML.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise OpmlError(f"cannot read {path}: {exc.strerror}") from None
    root = _parse_xml(raw)
    if root.tag.lower() != "opml":
        raise OpmlError(f"{path} is not OPML: its root element is <{root.tag}>")
    found = []
    for outline in root.iter("outline"):
        attrs = {k.lower(): v for k, v in outline.attrib.items()}
        url = attrs.get("xmlurl", "").strip()
        if url:
            title = (attrs.get("title") or attrs.get("text") or "").strip() or None
            found.append(OpmlFeed(url, title))
    return found


def _parse_xml(raw: bytes) -> Any:
    try:
        from defusedxml import ElementTree as SafeET  # type: ignore[import-untyped]
        from defusedxml.common import DefusedXmlException  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - defusedxml is in the lock
        if b"<!DOCTYPE" in raw.upper():
            raise OpmlError("OPML with a DOCTYPE is refused (entity expansion)") from None
        try:
            return StdET.fromstring(raw)
        except StdET.ParseError as exc:
            raise OpmlError(f"not well-formed XML: {exc}") from None
    try:
        return SafeET.fromstring(raw, forbid_dtd=True)
    except DefusedXmlException:
        raise OpmlError("OPML with a DOCTYPE or entities is refused (entity expansion)") from None
    except StdET.ParseError as exc:
        raise OpmlError(f"not well-formed XML: {exc}") from None
