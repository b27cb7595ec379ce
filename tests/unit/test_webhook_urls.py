"""Webhook target URLs: whatever a client sends is accepted as sendable or refused with 400."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.adapters.fetch import FetchError
from service.usecases.webhooks import check_syntax

HOSTY = st.text(alphabet=st.characters(codec="utf-8"), max_size=80)


@given(
    scheme=st.sampled_from(["http://", "https://", "ftp://", "", "http:/", "HTTP://"]),
    rest=HOSTY,
)
def test_any_url_is_sendable_or_refused_with_a_fetch_error(scheme: str, rest: str) -> None:
    url = scheme + rest
    refusal: FetchError | None = None
    try:
        check_syntax(url)
    except FetchError as exc:
        refusal = exc
    if refusal is not None:
        assert str(refusal).startswith("webhook url refused:")
        assert refusal.field == "url"
        return
    # Accepted: every later step of a delivery can handle it.
    parts = urlsplit(url)
    assert parts.scheme in {"http", "https"}
    assert parts.hostname
    assert parts.port != 0
    httpx.URL(url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://x.example:99999/", "Port out of range"),
        ("http://[::1", "Invalid IPv6 URL"),
        ("http://exa mple.com/", "spaces or control characters"),
        ("http://a\x00.example/", "spaces or control characters"),
        ("https://" + "a" * 300 + ".example/", "is not a valid host name"),
        ("http://a..b/", "is not a valid host name"),
        ("http:///path", "only http and https URLs with a host"),
        ("ftp://x.example/", "only http and https URLs with a host"),
        ("http://x.example:0/", "port 0"),
    ],
)
def test_unsendable_urls_are_named(url: str, reason: str) -> None:
    with pytest.raises(FetchError, match="webhook url refused") as caught:
        check_syntax(url)
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example/wiredesk",
        "http://user:pw@1.2.3.4:8080/x?y=1",
        "http://[2001:db8::1]/",
    ],
)
def test_ordinary_urls_pass(url: str) -> None:
    check_syntax(url)
