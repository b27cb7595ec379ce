"""Tests of service.pipeline.urls: the variants of one URL, then hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.pipeline.urls import TRACKING_PARAMETERS, canonical_url, is_tracking_parameter

BASE = "https://news.example/2026/museum-theft"


@pytest.mark.parametrize(
    "variant",
    [
        BASE,
        BASE + "/",
        BASE + "//",
        BASE + "?utm_source=rss&utm_medium=feed",
        BASE + "/?UTM_Campaign=x&fbclid=abc&gclid=1&mc_cid=2&mc_eid=3&ocid=4&cmpid=5",
        BASE + "#comments",
        "HTTPS://NEWS.EXAMPLE:443/2026/museum-theft",
        "  https://News.Example/2026/./museum-theft  ",
        "https://news.example/2026/x/../museum-theft",
    ],
)
def test_variants_share_one_canonical_url(variant: str) -> None:
    assert canonical_url(variant) == BASE


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (BASE + "?id=1", BASE + "?id=2"),  # content ids are kept
        (BASE, BASE.replace("https", "http")),  # scheme kept
        (BASE, BASE.replace("museum", "Museum")),  # paths are case-sensitive
        (BASE, "https://news.example:8443/2026/museum-theft"),  # a non-default port
    ],
)
def test_different_pages_stay_different(a: str, b: str) -> None:
    assert canonical_url(a) != canonical_url(b)


def test_query_sorted_and_default_http_port_dropped() -> None:
    assert canonical_url("http://x.example:80/a?b=2&a=1") == "http://x.example/a?a=1&b=2"


@pytest.mark.parametrize("opaque", ["a1", "urn:uuid:1234", "tag:x.example,2026:1", "http:///x"])
def test_non_web_identifiers_are_kept(opaque: str) -> None:
    assert canonical_url(opaque) == opaque


def test_tracking_names() -> None:
    assert is_tracking_parameter("utm_source")
    assert is_tracking_parameter("FBCLID")
    assert not is_tracking_parameter("id")
    assert not is_tracking_parameter("cid")
    assert "ocid" in TRACKING_PARAMETERS


_segment = st.text(alphabet="abcXYZ09-._~%/é+", min_size=0, max_size=8)
_param = st.tuples(
    st.sampled_from(["id", "page", "q", "utm_source", "fbclid", "ocid", "ref", "x"]),
    st.text(alphabet="ab1+&=%é", max_size=4),
)


@st.composite
def _urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "hTTps"]))
    host = draw(st.sampled_from(["news.example", "NEWS.Example", "sub.news.example", "[::1]"]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "/".join(draw(st.lists(_segment, max_size=4)))
    params = draw(st.lists(_param, max_size=4))
    query = "&".join(f"{k}={v}" for k, v in params)
    fragment = draw(st.sampled_from(["", "#top", "#"]))
    return f"{scheme}://{host}{port}/{path}" + (f"?{query}" if query else "") + fragment


@settings(max_examples=300, deadline=None)
@given(st.one_of(_urls(), st.text(max_size=30)))
def test_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


@settings(max_examples=300, deadline=None)
@given(_urls(), st.sampled_from(["utm_medium=feed", "fbclid=Iw1", "gclid=9", "ocid=msn"]))
def test_tracking_parameters_and_fragments_do_not_matter(url: str, tracker: str) -> None:
    base = url.partition("#")[0]
    joiner = "&" if "?" in base else "?"
    assert canonical_url(f"{base}{joiner}{tracker}#x") == canonical_url(base)
