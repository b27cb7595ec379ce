"""Story search and filters (``GET /stories?q=...``) and what's new (``?since_version=N``).

Runs the whole app over the real Redis with the hash embedder; the corpus is the made-up
factory fire (four outlets) and the three unrelated one-article stories of the API conftest.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from service.usecases.search import words
from tests.api.conftest import (
    AP,
    ClientFactory,
    fire_article,
    other_article,
    post,
)

Client = TestClient[Litestar]


def ids(client: Client, **params: Any) -> list[str]:
    response = client.get("/stories", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return [s["story_id"] for s in response.json()["stories"]]


def refused(client: Client, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def desk(client: Client) -> dict[str, str]:
    """The fire (CBS then ABC, 2 outlets), the library (NBC), the comet (Reuters, accented)."""
    fire = post(client, fire_article("CBS", published_at="2026-11-20T08:00:00Z"))["story_id"]
    assert post(client, fire_article("ABC", published_at="2026-11-20T09:30:00Z"))["story_id"] == (
        fire
    )
    library = post(client, other_article("library", published_at="2026-11-18T20:00:00Z"))
    comet = post(
        client,
        other_article(
            "comet",
            outlet="Reuters",
            title="Comète: newly found comet may brighten spring sky",
            published_at="2026-11-21T02:00:00Z",
        ),
    )
    return {"fire": fire, "library": library["story_id"], "comet": comet["story_id"]}


def test_words_fold_case_and_accents() -> None:
    assert words("Comète CAFÉ Straße, U.S. 9/11 naïve_x") == [
        "comete", "cafe", "strasse", "u", "s", "9", "11", "naive", "x",
    ]  # fmt: skip


def test_search_finds_words_in_titles_and_texts_with_and(
    client: Client, desk: dict[str, str]
) -> None:
    assert ids(client, q="Halvern") == [desk["fire"]]  # only in the text
    assert ids(client, q="evacuated") == [desk["fire"]]  # only in ABC's headline
    assert ids(client, q="COMETE") == [desk["comet"]]  # accent and case folded
    assert ids(client, q="comète") == [desk["comet"]]
    # AND: both words in the story (in different articles' texts is enough) ...
    assert ids(client, q="Halvern evacuated") == [desk["fire"]]
    # ... and one word found nowhere in a story excludes it.
    assert ids(client, q="Halvern library") == []
    assert ids(client, q="zzzunknownword") == []
    # a word in two stories' texts
    both = set(ids(client, q="tuesday"))
    assert desk["fire"] in both
    assert desk["library"] not in both


def test_filters_outlet_time_and_min_outlets(client: Client, desk: dict[str, str]) -> None:
    assert ids(client, outlet="abc") == [desk["fire"]]  # case-insensitive
    assert ids(client, outlet="NBC") == [desk["library"]]
    assert ids(client, outlet="Nobody") == []
    assert ids(client, min_outlets=2) == [desk["fire"]]
    assert set(ids(client, min_outlets=1)) == set(desk.values())
    # the fire spans 08:00-09:30 on the 20th: overlap rules
    assert desk["fire"] in ids(client, since="2026-11-20T09:00:00Z", until="2026-11-20T10:00:00Z")
    window = ids(client, since="2026-11-20T09:31:00Z", until="2026-11-21T00:00:00")
    assert window == []
    assert ids(client, since="2026-11-21T00:00:00Z") == [desk["comet"]]
    # POSIX seconds work too (2026-11-19T00:00:00Z)
    assert ids(client, until="1795046400") == [desk["library"]]
    assert ids(client, q="fire", outlet="CBS", min_outlets=2, since="2026-11-20") == [desk["fire"]]
    assert ids(client, q="comet", outlet="CBS") == []
    # language: the stories with an article in it (none where articles carry no language)
    english = {
        s
        for s in desk.values()
        for a in client.get(f"/stories/{s}").json()["articles"]
        if client.get(f"/articles/{a['article_id']}").json().get("language") == "en"
    }
    assert set(ids(client, language="EN")) == english


def test_search_follows_updates_and_moves(client: Client, desk: dict[str, str]) -> None:
    assert ids(client, q="Riverton") == [desk["library"]]
    # The same URL with a new text: it no longer carries "Riverton" anywhere.
    changed = other_article("library", text="\n".join(AP[:2]), title="Library story retold")
    now = post(client, changed, status=200)["story_id"]
    assert ids(client, q="Riverton") == []
    assert ids(client, q="retold") == [now]
    assert now in ids(client, q="Ruiz")


def test_search_paging_walks_every_match_once(client: Client) -> None:
    made = []
    for i in range(7):
        body = other_article("marathon", outlet=f"Outlet{i}", story_key=f"k{i}")
        body["url"] = f"https://o{i}.example/marathon"
        made.append(post(client, body)["story_id"])
    post(client, other_article("comet"))
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"q": "lakeshore marathon", "limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/stories", params=params).json()
        seen += [s["story_id"] for s in body["stories"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(set(made))
    assert len(seen) == len(set(seen))
    assert seen == ids(client, q="lakeshore marathon")  # newest-updated first, as one page


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "!!! ..."}, "q"),
        ({"q": "x" * 501}, "q"),
        ({"q": " ".join(f"w{i}" for i in range(21))}, "q"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"since": "nan"}, "since"),
        ({"since": "2026-11-21", "until": "2026-11-20"}, "since"),
        ({"min_outlets": "0"}, "min_outlets"),
        ({"min_outlets": "two"}, "min_outlets"),
        ({"language": "english!"}, "language"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": "0"}, "limit"),
    ],
)
def test_bad_search_values_are_400_with_the_field(
    client: Client, params: dict[str, str], field: str
) -> None:
    body = refused(client, "/stories", **params)
    assert body["extra"]["field"] == field
    assert "Traceback" not in body["detail"]
    assert field in body["detail"] or "invalid parameter" in body["detail"]


# ------------------------------------------------------------------------------ what's new
def test_whats_new_since_a_version(make_client: ClientFactory) -> None:
    client = make_client()
    story = post(client, fire_article("CBS"))["story_id"]
    v1 = client.get(f"/stories/{story}").json()["story"]["version"]
    # ABC repeats AP paragraphs CBS had (echoes) and adds Halvern's statement and its own line.
    assert post(client, fire_article("ABC"))["story_id"] == story
    v2 = client.get(f"/stories/{story}").json()["story"]["version"]
    assert v2 > v1
    new = client.get(f"/stories/{story}/brief", params={"since_version": v1})
    assert new.status_code == 200, new.text
    body = new.json()
    assert body["since_version"] == v1
    assert body["version"] == v2
    assert body["sentences"], body
    cbs_text = client.get(f"/articles/{post(client, fire_article('CBS'), 200)['article_id']}")
    cbs_paragraphs = [p["text"] for p in cbs_text.json()["paragraphs"]]
    for sentence in body["sentences"]:
        # only ABC's news: no sentence CBS (the old member) already carried ...
        assert not any(sentence["text"] in p for p in cbs_paragraphs), sentence
        # ... attributed to the new article
        assert sentence["outlets"] == ["ABC"]
    assert any("Halvern" in s["text"] for s in body["sentences"])
    # Nothing new since the current version; since 0: the whole story, CBS included.
    assert (
        client.get(f"/stories/{story}/brief", params={"since_version": v2}).json()["sentences"]
        == []
    )
    whole = client.get(f"/stories/{story}/brief", params={"since_version": 0}).json()
    assert "CBS" in whole["outlets"]
    plain = client.get(f"/stories/{story}/brief").json()
    assert plain["since_version"] is None


@pytest.mark.parametrize("version", ["-1", "99", "x"])
def test_whats_new_bad_version_is_400(client: Client, version: str) -> None:
    story = post(client, fire_article("CBS"))["story_id"]
    body = refused(client, f"/stories/{story}/brief", since_version=version)
    assert body["extra"]["field"] == "since_version"


def test_whats_new_unknown_story_is_404(client: Client) -> None:
    response = client.get("/stories/s999/brief", params={"since_version": 0})
    assert response.status_code == 404


def test_search_and_whats_new_follow_a_merge(make_client: ClientFactory) -> None:
    from tests.api.test_api import ALIKE, build_merge

    client = make_client(group=ALIKE)
    a, b, c = build_merge(client)
    survivor = a["story_id"]
    assert c["merged_story_ids"] == [b["story_id"]]
    # The library article now belongs to the survivor: its words find the survivor only.
    assert ids(client, q="Riverton bond") == [survivor]
    assert ids(client, q="Riverton Millbrook") == [survivor]  # AND across merged articles
    # What's new since the fire alone (version 1): the library and the round-up, not CBS.
    news = client.get(f"/stories/{survivor}/brief", params={"since_version": 1}).json()
    outlets = {o for s in news["sentences"] for o in s["outlets"]}
    assert outlets
    assert "CBS" not in outlets
    assert outlets <= {"NBC", "Roundup"}


def test_search_after_a_restart(make_client: ClientFactory) -> None:
    first = make_client()
    story = post(first, fire_article("CBS"))["story_id"]
    first.__exit__(None, None, None)
    again = make_client()  # same Redis prefix: the index is built from the loaded world
    assert ids(again, q="millbrook RUIZ") == [story]
    later = post(again, other_article("comet"))["story_id"]
    assert ids(again, q="oort comet") == [later]  # kept up to date after the build


def test_common_words_walk_and_rare_words_resolve_alike(client: Client) -> None:
    """Small pages of a word in every story walk the stories; the result is the same."""
    made = []
    for i in range(12):
        body = other_article("comet", outlet=f"Outlet{i}", story_key=f"k{i}")
        body["url"] = f"https://o{i}.example/comet"
        made.append(post(client, body)["story_id"])
    post(client, other_article("library"))
    whole = ids(client, q="comet oort")  # one page: postings resolved to stories
    assert sorted(whole) == sorted(made)
    walked: list[str] = []
    cursor = None
    while True:  # limit 1: 12 postings > 4 x 2 articles, so the stories are walked
        params: dict[str, Any] = {"q": "comet oort", "limit": 1}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/stories", params=params).json()
        walked += [s["story_id"] for s in body["stories"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert walked == whole
    assert ids(client, q="comet riverton") == []
    assert ids(client, q="comet", outlet="outlet3") == [made[3]]
