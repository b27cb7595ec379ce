"""``/feeds`` over the ASGI app: registration, listing, removal, refusals, auth, a live poll."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from service.pipeline.feeds import PollerConfig
from tests.api.conftest import ClientFactory
from tests.feedsite import Answer, Site, harbour_and_orchard, rss20, serve

pytestmark = pytest.mark.integration

Client = TestClient[Litestar]

URL = "http://127.0.0.1:9/rss"  # never fetched: the poller is off in these clients


@pytest.fixture
def feeds_client(make_client: ClientFactory) -> Client:
    """A client whose fetcher accepts loopback and whose poller is off."""
    return make_client(feeds_poll=False, fetch_allow_private=True)


@pytest.fixture
def site() -> Iterator[Site]:
    with serve() as s:
        yield s


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status_code"] == status
    return body


def test_register_list_show_and_delete(feeds_client: Client) -> None:
    created = feeds_client.post(
        "/feeds", json={"url": URL, "outlet": "Coast Gazette", "interval_s": 600}
    )
    assert created.status_code == 201, created.text
    feed = created.json()
    assert feed["feed_id"].startswith("feed-")
    assert (feed["url"], feed["outlet"], feed["interval_s"]) == (URL, "Coast Gazette", 600)
    assert (feed["last_fetch_at"], feed["last_status"], feed["errors"]) == (None, None, 0)
    assert (feed["new_items"], feed["total_items"], feed["item_errors"]) == (0, 0, [])
    assert feed["next_poll_at"] == feed["created_at"]  # due at once

    again = feeds_client.post("/feeds", json={"url": URL + "?utm_source=newsletter"})
    assert again.status_code == 200, again.text
    assert again.json() == feed  # the same feed, unchanged

    default = feeds_client.post("/feeds", json={"url": "http://127.0.0.1:9/atom"})
    assert default.status_code == 201
    assert (default.json()["interval_s"], default.json()["outlet"]) == (900, None)

    listed = feeds_client.get("/feeds").json()["feeds"]
    assert [f["feed_id"] for f in listed] == [feed["feed_id"], default.json()["feed_id"]]
    assert feeds_client.get(f"/feeds/{feed['feed_id']}").json() == feed

    assert feeds_client.delete(f"/feeds/{feed['feed_id']}").status_code == 204
    assert "no feed" in error(feeds_client.get(f"/feeds/{feed['feed_id']}"), 404)["detail"]
    error(feeds_client.delete(f"/feeds/{feed['feed_id']}"), 404)
    assert [f["feed_id"] for f in feeds_client.get("/feeds").json()["feeds"]] == [
        default.json()["feed_id"]
    ]


@pytest.mark.parametrize(
    ("body", "message", "field"),
    [
        ({"url": "ftp://news.test/rss"}, "must be an http or https URL", "url"),
        ({"url": "file:///etc/passwd"}, "must be an http or https URL", "url"),
        ({"url": "http://news.test/a b"}, "without whitespace", "url"),
        ({"url": ""}, "field `url` must be a string of 1 to 2048", "url"),
        ({"url": URL, "interval_s": 5}, "interval_s must be between 60 and 86400", "interval_s"),
        ({"url": URL, "interval_s": 10**6}, "between 60 and 86400", "interval_s"),
        (
            {"url": URL, "interval_s": "often"},
            "field `interval_s` must be an integer",
            "interval_s",
        ),
        ({"url": URL, "outlet": "  "}, "outlet must not be blank", "outlet"),
        ({"url": URL, "every": 60}, "unknown field `every`", "every"),
        ({"outlet": "Gazette"}, "missing the field `url`", "url"),
        (
            {"url": "http://169.254.169.254/latest/meta-data"},
            "link-local or metadata",
            "url",
        ),
    ],
)
def test_refusals_are_wiredesk_400s(
    feeds_client: Client, body: dict[str, Any], message: str, field: str
) -> None:
    answer = error(feeds_client.post("/feeds", json=body), 400)
    assert message in answer["detail"]
    assert answer["extra"] == {"field": field}
    assert feeds_client.get("/feeds").json() == {"feeds": []}


def test_private_addresses_are_refused_unless_allowed(make_client: ClientFactory) -> None:
    strict = make_client(feeds_poll=False)
    for url in ("http://127.0.0.1:8000/rss", "http://10.0.0.8/rss", "http://[::1]/rss"):
        answer = error(strict.post("/feeds", json={"url": url}), 400)
        assert "non-public address" in answer["detail"]
        assert "WIREDESK_FETCH_ALLOW_PRIVATE" in answer["detail"]


def test_writes_need_the_api_key_reads_do_not(make_client: ClientFactory) -> None:
    client = make_client(feeds_poll=False, fetch_allow_private=True, api_keys=("k1",))
    assert "missing API key" in error(client.post("/feeds", json={"url": URL}), 401)["detail"]
    wrong = {"authorization": "Bearer nope"}
    error(client.post("/feeds", json={"url": URL}, headers=wrong), 401)
    good = {"authorization": "Bearer k1"}
    feed_id = client.post("/feeds", json={"url": URL}, headers=good).json()["feed_id"]
    assert client.get("/feeds").status_code == 200
    assert client.get(f"/feeds/{feed_id}").status_code == 200
    error(client.delete(f"/feeds/{feed_id}"), 401)
    assert client.delete(f"/feeds/{feed_id}", headers=good).status_code == 204


def test_a_body_that_is_not_json_is_refused_our_way(feeds_client: Client) -> None:
    answer = error(
        feeds_client.post("/feeds", content=b"url=x", headers={"content-type": "text/plain"}),
        415,
    )
    assert "application/json" in answer["detail"]
    answer = error(
        feeds_client.post(
            "/feeds", content=b'{"url": "http://x",', headers={"content-type": "application/json"}
        ),
        400,
    )
    assert "truncated" in answer["detail"]


def test_the_service_polls_a_registered_feed_and_its_articles_become_stories(
    make_client: ClientFactory, site: Site
) -> None:
    items = harbour_and_orchard(site.base)
    url = site.route("/rss", Answer(rss20("Coast Gazette", items), etag='"e1"'))
    client = make_client(fetch_allow_private=True, feeds=PollerConfig(tick_s=0.2, host_gap_s=0.0))
    feed_id = client.post("/feeds", json={"url": url}).json()["feed_id"]
    deadline = time.time() + 15
    feed: dict[str, Any] = {}
    while time.time() < deadline:
        feed = client.get(f"/feeds/{feed_id}").json()
        if feed["total_items"]:
            break
        time.sleep(0.1)
    assert (feed["last_status"], feed["new_items"], feed["total_items"]) == (200, 2, 2)
    assert feed["title"] == "Coast Gazette"
    assert feed["last_fetch_at"] is not None
    stories = client.get("/stories").json()["stories"]
    assert sorted(s["title"] for s in stories) == [
        "Frost wipes out apple blossoms",
        "Harbour channel to be dredged",
    ]
