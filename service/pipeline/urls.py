"""Canonical article URLs: one identity for the variants feeds and share buttons produce (pure).

An article's URL is its identity (re-posting it is idempotent or an update), so
``…/museum-theft``, ``…/museum-theft/`` and ``…/museum-theft?utm_source=rss&utm_medium=feed`` must
be one key. :func:`canonical_url` maps every such variant to one string:

1. Surrounding whitespace is stripped. A URL that is not ``http``/``https`` with a host (an
   ``urn:``, a ``tag:`` URI, a bare id a client uses as its key) is returned as it is: there is
   no web equivalence to apply to it.
2. **Tracking parameters** are removed from the query (names compared case-insensitively):

   * any name starting with ``utm_`` (Google Analytics campaign tags), ``mc_`` (Mailchimp:
     ``mc_cid``, ``mc_eid``), ``pk_`` / ``mtm_`` (Matomo), ``hsa_`` (HubSpot ads), ``_hs``
     (HubSpot e-mail: ``_hsenc``, ``_hsmi``), ``oly_`` (Omeda), ``vero_`` (Vero), ``ga_``;
   * these names exactly: ``fbclid`` (Facebook), ``gclid``, ``gclsrc``, ``dclid``, ``gbraid``,
     ``wbraid`` (Google Ads), ``msclkid`` (Microsoft Ads), ``twclid`` (X/Twitter), ``ttclid``
     (TikTok), ``li_fat_id`` (LinkedIn), ``igshid`` (Instagram), ``yclid`` (Yandex),
     ``mkt_tok`` (Marketo), ``_ga``, ``_gl`` (Google cross-domain linker), ``ocid`` (Microsoft
     Start / MSN), ``cmpid``, ``cmp``, ``icid``, ``s_cid``, ``ito`` (campaign ids of news
     sites), ``ns_mchannel``, ``ns_source``, ``ns_campaign``, ``ns_linkname``, ``ns_fee``
     (Comscore), ``smid`` (NYT share id), ``sr_share`` (Facebook share), ``at_medium``,
     ``at_campaign`` (AT Internet), ``spm`` (Alibaba), ``ref``, ``ref_src``, ``ref_url``,
     ``referrer`` (where a reader came from, never which article).

   Deliberately kept: ``id``, ``cid``, ``p``, ``page``, ``story``, ``src`` and anything else
   not listed, since many sites address their articles or pages with them.

   The list (:data:`TRACKING_PREFIXES`, :data:`TRACKING_PARAMETERS`) follows the parameters
   that courlan (``courlan.clean.TRACKERS_RE``) and the ClearURLs rule set strip, plus the
   ``ocid``/``cmpid``/``smid`` names seen in news feeds.
3. The rest is w3lib's :func:`w3lib.url.canonicalize_url` (Scrapy's canonical form, the kept
   library for this): scheme and host lower-cased (IDNA host), the remaining query arguments
   sorted by name then value (so their order does not matter), percent-encoding normalised
   (``%7e`` -> ``~``, unsafe characters encoded), ``.``/``..`` path segments resolved, and the
   fragment dropped (``#comments`` is a place in a page, not another page).
4. The scheme's **default port** is dropped (``:80`` for ``http``, ``:443`` for ``https``), as
   are empty user-info and an empty query (``…/a?``).
5. **Trailing slash**: a path that ends in ``/`` loses it unless the path is ``/`` itself, so
   ``…/museum-theft/`` and ``…/museum-theft`` are one URL (news CMSs serve both for one page).

The scheme itself is kept: ``http://`` and ``https://`` stay different URLs (a site can serve
different pages on them), though an outlet re-posting the same content under either is still
the same article by its content key (see :mod:`service.ingest`).

Invariants (property-tested in ``tests/unit/test_urls.py``): idempotent
(``canonical_url(canonical_url(u)) == canonical_url(u)``), and the order of query arguments and
any tracking parameter or fragment added to a URL do not change its canonical form.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

__all__ = ["TRACKING_PARAMETERS", "TRACKING_PREFIXES", "canonical_url", "is_tracking_parameter"]

TRACKING_PREFIXES: Final[tuple[str, ...]] = (
    "utm_", "mc_", "pk_", "mtm_", "hsa_", "_hs", "oly_", "vero_", "ga_", "itm_",
)  # fmt: skip

TRACKING_PARAMETERS: Final[frozenset[str]] = frozenset(
    """
    fbclid gclid gclsrc dclid gbraid wbraid msclkid twclid ttclid li_fat_id igshid yclid
    mkt_tok _ga _gl ocid cmpid cmp icid s_cid ito ns_mchannel ns_source ns_campaign
    ns_linkname ns_fee smid sr_share at_medium at_campaign spm ref ref_src ref_url referrer
    """.split()  # noqa: SIM905
)

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def is_tracking_parameter(name: str) -> bool:
    """Whether a query parameter name is a tracking parameter (step 2 of the module docstring)."""
    folded = name.casefold()
    return folded in TRACKING_PARAMETERS or folded.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The canonical form of an article URL (see the module docstring for the steps).

    Args:
        url: a URL as a client sent it.

    Returns:
        The canonical URL; ``url.strip()`` unchanged when it is not an ``http``/``https`` URL
        with a host, or cannot be parsed.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port outside 0-65535 or not a number
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not is_tracking_parameter(k)
        ]
    )
    try:
        canonical = canonicalize_url(urlunsplit((scheme, parts.netloc, parts.path, query, "")))
        parts = urlsplit(canonical)
    except ValueError:  # an IDNA host w3lib cannot encode
        return url
    netloc = parts.hostname or ""
    if ":" in netloc:  # an IPv6 literal lost its brackets in .hostname
        netloc = f"[{netloc}]"
    if parts.username or parts.password:
        userinfo = parts.username or ""
        if parts.password:
            userinfo = f"{userinfo}:{parts.password}"
        netloc = f"{userinfo}@{netloc}"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = parts.path
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return urlunsplit((parts.scheme, netloc, path or "/", parts.query, ""))
