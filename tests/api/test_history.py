"""Story lineage over HTTP (GET /stories/{id}/history), no-churn versions and stable titles."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import (
    FIRE_TEXTS,
    FIRE_TITLES,
    ClientFactory,
    fire_article,
    other_article,
    post,
)

pytestmark = pytest.mark.integration

Client = TestClient[Litestar]


def history(client: Client, story_id: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/stories/{story_id}/history", params=params)
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()
    return out


def test_history_shows_creation_and_joins_newest_first(client: Client) -> None:
    cbs = post(client, fire_article("CBS", published_at="2026-11-24T09:00:00Z"))
    abc = post(client, fire_article("ABC", published_at="2026-11-24T10:00:00Z"))
    assert abc["story_id"] == cbs["story_id"]
    body = history(client, cbs["story_id"])
    assert body["story_id"] == body["requested_id"] == cbs["story_id"]
    assert (body["merged"], body["live"], body["order"]) == (False, True, "newest_first")
    events = [e for e in body["events"] if e["kind"] != "title_changed"]
    assert [(e["kind"], e["article_ids"], e["reason"]) for e in events] == [
        ("joined", [abc["article_id"]], abc["story_reason"]),
        ("created", [cbs["article_id"]], "new"),
    ]
    created = events[-1]
    assert created["title"] == FIRE_TITLES["CBS"]
    assert created["at"].endswith("Z")
    ids = [e["event_id"] for e in body["events"]]
    assert ids == sorted(ids, reverse=True)
    assert set(body["events"][0]) == {
        "event_id",
        "story_id",
        "kind",
        "at",
        "reason",
        "article_ids",
        "other_story_id",
        "title",
        "previous_title",
        "version",
    }
    # each event records the version the story reached with it
    story = client.get(f"/stories/{cbs['story_id']}").json()["story"]
    assert body["events"][0]["version"] == story["version"]
    assert created["version"] == 1


def test_history_pages_with_limit_and_cursor(client: Client) -> None:
    first = post(client, fire_article("CBS"))
    for outlet in ("ABC", "MSN", "Yahoo"):
        post(client, fire_article(outlet))
    whole = history(client, first["story_id"], limit=500)["events"]
    assert len(whole) >= 4
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = history(client, first["story_id"], **params)
        assert len(page["events"]) <= 2
        seen += page["events"]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == whole


def test_history_errors(client: Client) -> None:
    story = post(client, other_article("comet"))["story_id"]
    missing = client.get("/stories/s999/history")
    assert missing.status_code == 404
    assert "s999" in missing.json()["detail"]
    bad = client.get(f"/stories/{story}/history", params={"cursor": "zz!"})
    assert bad.status_code == 400
    assert "cursor" in bad.json()["detail"]
    too_many = client.get(f"/stories/{story}/history", params={"limit": 0})
    assert too_many.status_code == 400


def test_history_is_in_the_openapi_document(client: Client) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert "get" in paths["/stories/{story_id}/history"]


def test_whitespace_only_repost_changes_no_version(client: Client) -> None:
    """Fault 9: the version and updated_at moved although no member changed."""
    first = post(client, fire_article("CBS"))
    before = client.get(f"/stories/{first['story_id']}").json()["story"]
    spaced = FIRE_TEXTS["CBS"].replace(" fire ", "  fire  ").replace("\n", " \n")
    post(client, fire_article("CBS", text=spaced), status=200)
    after = client.get(f"/stories/{first['story_id']}").json()["story"]
    assert (after["version"], after["updated_at"]) == (before["version"], before["updated_at"])
    kinds = [e["kind"] for e in history(client, first["story_id"])["events"]]
    assert "updated" not in kinds


def test_stray_keyed_article_does_not_title_the_story(client: Client) -> None:
    """Fault 9: a story about A was titled after a stray B that was its oldest member."""
    for hour, outlet in enumerate(("CBS", "ABC", "MSN")):
        body = fire_article(outlet, story_key="k", published_at=f"2026-11-24T1{hour}:00:00Z")
        story = post(client, body)["story_id"]
    title_before = client.get(f"/stories/{story}").json()["story"]["title"]
    assert title_before in FIRE_TITLES.values()
    stray = other_article("marathon", story_key="k", published_at="2026-11-20T08:00:00Z")
    assert post(client, stray)["story_id"] == story
    detail = client.get(f"/stories/{story}").json()
    assert detail["story"]["article_count"] == 4
    assert detail["story"]["title"] == title_before  # kept: the stray is the least central
    listed = client.get("/stories").json()["stories"][0]
    assert listed["title"] == title_before


def test_dashboard_shows_history_escaped(client: Client) -> None:
    story = post(client, other_article("comet", title="<b>bold</b> comet"))["story_id"]
    post(client, other_article("comet", title="<i>tilted</i> comet"), status=200)
    html = client.get(f"/dashboard/stories/{story}").text
    assert "<i>tilted</i>" not in html
    _, _, panel = html.partition("Lineage (newest first)")
    for kind in ("created", "updated", "title changed"):
        assert f'<span class="kind">{kind}</span>' in panel
    assert "&lt;i&gt;tilted&lt;/i&gt;" in panel


def test_history_and_title_survive_a_restart(make_client: ClientFactory) -> None:
    first = make_client()
    story = post(first, fire_article("CBS"))["story_id"]
    post(first, fire_article("ABC"))
    before = history(first, story)
    title = first.get(f"/stories/{story}").json()["story"]["title"]
    first.__exit__(None, None, None)
    again = make_client()  # same Redis prefix: loads what the first one committed
    assert history(again, story) == before
    assert again.get(f"/stories/{story}").json()["story"]["title"] == title
    post(again, fire_article("MSN"))
    newest = history(again, story, limit=1)["events"][0]
    assert newest["event_id"] > before["events"][0]["event_id"]
