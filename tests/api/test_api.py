"""The HTTP API over the ASGI app: hash embedder, real Redis (unique prefix per test)."""

from __future__ import annotations

import base64
import re
import time
from typing import Any

import pytest
import redis
from litestar import Litestar
from litestar.testing import TestClient

from service.pipeline.group import GroupConfig
from tests.api.conftest import (
    AP,
    FIRE_TEXTS,
    FIRE_TITLES,
    LIBRARY,
    MARATHON,
    OUTLETS,
    ClientFactory,
    all_stories,
    fire_article,
    health,
    other_article,
    post,
)
from tests.texts import TOPICS

pytestmark = pytest.mark.integration

Client = TestClient[Litestar]


def ingest_fire(client: Client) -> dict[str, dict[str, Any]]:
    """Post the four outlets' fire articles; returns each outlet's accepted body."""
    return {outlet: post(client, fire_article(outlet)) for outlet in OUTLETS}


def metric(client: Client, name: str, **labels: str) -> float:
    """The value of one sample in /metrics (0.0 when absent)."""
    text = client.get("/metrics").text
    label = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    wanted = f"{name}{{{label}}}" if labels else name
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        sample, _, value = line.rpartition(" ")
        if sample == wanted:
            return float(value)
    return 0.0


def words(text: str) -> int:
    return len(text.split())


# ------------------------------------------------------------------------------- POST /articles
def test_post_article_created_fields(client: Client) -> None:
    body = post(client, fire_article("CBS"))
    assert set(body) == {
        "article_id", "story_id", "status", "paragraphs", "near_duplicate_paragraphs",
        "embedded_paragraphs", "merged_story_ids", "story_reason", "canonical_url", "extracted",
        "language",
    }  # fmt: skip
    assert body["extracted"] is None  # text was posted, not a page
    assert body["language"] == "en"  # detected (service/pipeline/language.py)
    assert body["status"] == "created"
    assert body["article_id"].startswith("a")
    assert body["story_id"].startswith("s")
    assert body["paragraphs"] == 5
    assert body["embedded_paragraphs"] == 5
    assert body["near_duplicate_paragraphs"] == 0
    assert body["merged_story_ids"] == []
    assert body["story_reason"] == "new"

    article = client.get(f"/articles/{body['article_id']}").json()
    assert article["url"] == "https://cbs.example/news/millbrook-fire"
    assert article["outlet"] == "CBS"
    assert article["title"] == FIRE_TITLES["CBS"]
    assert article["story_id"] == body["story_id"]
    assert [p["text"] for p in article["paragraphs"]] == FIRE_TEXTS["CBS"].split("\n")
    assert [p["position"] for p in article["paragraphs"]] == list(range(5))
    for p in article["paragraphs"]:
        assert " ".join(p["sentences"]) == p["text"]
        assert p["cluster_id"]


def test_second_outlet_reports_near_duplicates_and_joins(client: Client) -> None:
    first = post(client, fire_article("CBS"))
    second = post(client, fire_article("ABC"))
    assert second["story_id"] == first["story_id"]
    assert second["story_reason"] == "shared"
    # ABC copies AP[0] and AP[2] verbatim from what CBS carried: those are not embedded again.
    assert second["near_duplicate_paragraphs"] >= 2
    assert second["embedded_paragraphs"] <= 3


def test_identical_repost_is_idempotent(client: Client) -> None:
    first = post(client, fire_article("CBS"))
    stories_before = all_stories(client)
    again = post(client, fire_article("CBS"), status=200)
    assert again["status"] == "unchanged"
    assert again["article_id"] == first["article_id"]
    assert again["story_id"] == first["story_id"]
    assert again["embedded_paragraphs"] == 0
    assert all_stories(client) == stories_before  # same count, same version, same times
    assert stories_before[0]["article_count"] == 1
    h = health(client)
    assert (h["articles"], h["texts"], h["index_vectors"]) == (1, 5, 5)
    assert metric(client, "wiredesk_articles_submitted_total", status="created") == 1.0
    assert metric(client, "wiredesk_articles_submitted_total", status="unchanged") == 1.0
    assert metric(client, "wiredesk_articles_submitted_total", status="updated") == 0.0
    assert metric(client, "wiredesk_paragraphs_embedded_total") == 5.0
    assert metric(client, "wiredesk_articles") == 1.0


def test_same_url_changed_text_updates(client: Client) -> None:
    first = post(client, fire_article("CBS"))
    story_id = first["story_id"]
    brief_before = client.get(f"/stories/{story_id}/brief").json()
    version_before = client.get(f"/stories/{story_id}").json()["story"]["version"]

    # A rewrite keeping the lead and replacing the rest with one new paragraph.
    new_text = (
        AP[0]
        + "\n"
        + (
            "Investigators from the state fire marshal's office found that a forklift battery "
            "overheated in a storage room before the flames spread."
        )
    )
    updated = post(client, fire_article("CBS", text=new_text), status=200)
    assert updated["status"] == "updated"
    assert updated["article_id"] == first["article_id"]
    assert updated["story_id"] == story_id
    assert updated["paragraphs"] == 2
    assert updated["embedded_paragraphs"] == 1  # the lead was embedded before

    detail = client.get(f"/stories/{story_id}").json()
    assert detail["story"]["version"] == version_before + 1
    assert detail["story"]["article_count"] == 1
    article = client.get(f"/articles/{first['article_id']}").json()
    assert [p["text"] for p in article["paragraphs"]] == new_text.split("\n")

    brief_after = client.get(f"/stories/{story_id}/brief").json()
    assert brief_after["cached"] is False
    assert brief_after["version"] == brief_before["version"] + 1
    assert brief_after["text"] != brief_before["text"]
    assert "forklift battery" in brief_after["text"]
    assert AP[1] not in brief_after["text"]  # the replaced paragraphs are gone
    assert health(client)["texts"] == 6  # texts are kept; paragraphs point at them
    assert health(client)["articles"] == 1
    assert metric(client, "wiredesk_articles_submitted_total", status="updated") == 1.0


def test_title_only_change_is_an_update_too(client: Client) -> None:
    first = post(client, fire_article("CBS"))
    changed = post(client, fire_article("CBS", title="A new headline"), status=200)
    assert changed["status"] == "updated"
    assert changed["embedded_paragraphs"] == 0
    assert client.get(f"/articles/{first['article_id']}").json()["title"] == "A new headline"


# ------------------------------------------------------------------------------- story keys
def test_story_key_groups_unrelated_texts(client: Client) -> None:
    a = post(client, other_article("library", story_key="desk-42"))
    b = post(client, other_article("marathon", story_key="desk-42"))
    assert b["story_id"] == a["story_id"]
    assert b["story_reason"] == "key"
    detail = client.get(f"/stories/{a['story_id']}").json()
    assert detail["story"]["story_key"] == "desk-42"
    assert detail["story"]["article_count"] == 2


def test_different_story_keys_never_merge(client: Client) -> None:
    a = post(client, fire_article("CBS", story_key="fire-1"))
    # ABC copies two AP paragraphs verbatim, which alone would join CBS's story.
    b = post(client, fire_article("ABC", story_key="fire-2"))
    assert b["story_id"] != a["story_id"]
    assert b["story_reason"] == "new_key"
    assert b["merged_story_ids"] == []
    assert len(all_stories(client)) == 2


# ------------------------------------------------------------------------------------- batch
def test_batch_results_in_input_order_and_bad_items_fail_alone(client: Client) -> None:
    items: list[Any] = [
        fire_article("CBS"),
        42,  # wrong type
        {"url": "https://x.example/1", "outlet": "X"},  # missing text
        fire_article("ABC"),
        {"url": "https://x.example/2", "outlet": "X", "text": "   \n  "},  # blank text
        {"url": "https://x.example/3", "outlet": "X", "text": "Advertisement\nSubscribe now"},
        other_article("library"),
    ]
    response = client.post("/articles/batch", json={"articles": items})
    assert response.status_code == 200, response.text
    body = response.json()
    results = body["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["ok"] for r in results] == [True, False, False, True, False, False, True]
    assert (body["accepted"], body["rejected"]) == (3, 4)
    for r in results:
        if r["ok"]:
            assert r["error"] is None
            assert r["result"]["status"] == "created"
        else:
            assert r["result"] is None
            assert r["error"]["status_code"] == 400
            assert r["error"]["detail"]
    assert "object" in results[1]["error"]["detail"].lower()
    assert "text" in results[2]["error"]["detail"]
    assert results[4]["error"]["field"] == "text"
    assert "boilerplate" in results[5]["error"]["detail"]
    assert results[3]["result"]["story_id"] == results[0]["result"]["story_id"]
    assert results[6]["result"]["story_id"] != results[0]["result"]["story_id"]
    h = health(client)
    assert (h["articles"], h["stories"]) == (3, 2)
    assert metric(client, "wiredesk_articles_rejected_total", reason="InvalidInputError") == 4.0


def test_batch_repost_is_unchanged(client: Client) -> None:
    items = [fire_article(o) for o in OUTLETS]
    first = client.post("/articles/batch", json={"articles": items}).json()
    again = client.post("/articles/batch", json={"articles": items}).json()
    assert [r["result"]["status"] for r in again["results"]] == ["unchanged"] * 4
    assert [r["result"]["article_id"] for r in again["results"]] == [
        r["result"]["article_id"] for r in first["results"]
    ]
    assert health(client)["articles"] == 4


# ------------------------------------------------------------------------------------ merges
BRIDGE_FIRE = AP[1]  # 27 words, well above the 12-word minimum of a linking paragraph
BRIDGE_LIBRARY = LIBRARY.split("\n")[1]


def build_merge(client: Client) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    a = post(client, fire_article("CBS"))
    b = post(client, other_article("library"))
    assert a["story_id"] != b["story_id"]
    c = post(
        client,
        {
            "url": "https://roundup.example/today",
            "outlet": "Roundup",
            "title": "Morning roundup",
            "text": "\n".join(
                [
                    "Here is what happened across the region while you were asleep last night.",
                    BRIDGE_FIRE,
                    BRIDGE_LIBRARY,
                ]
            ),
        },
    )
    return a, b, c


# A round-up quoting one paragraph of each of two unalike stories no longer merges them (issue
# 11, fault 5: tests/api/test_story_bounds.py); the merge mechanics below are tested with every
# pair of stories counting as alike, as two halves of one story are.
ALIKE = GroupConfig(alike_similarity=-1.0)


def test_bridge_article_merges_stories_into_the_older(make_client: ClientFactory) -> None:
    client = make_client(group=ALIKE)
    a, b, c = build_merge(client)
    assert c["story_id"] == a["story_id"]  # the older story survives
    assert c["merged_story_ids"] == [b["story_id"]]

    for accepted in (a, b, c):
        article = client.get(f"/articles/{accepted['article_id']}").json()
        assert article["story_id"] == a["story_id"]

    old = client.get(f"/stories/{b['story_id']}").json()
    assert old["merged"] is True
    assert old["requested_id"] == b["story_id"]
    assert old["story"]["story_id"] == a["story_id"]
    assert old["story"]["article_count"] == 3
    assert {x["article_id"] for x in old["articles"]} == {
        a["article_id"],
        b["article_id"],
        c["article_id"],
    }
    survivor = client.get(f"/stories/{a['story_id']}").json()
    assert survivor["merged"] is False
    assert survivor["story"] == old["story"]

    brief = client.get(f"/stories/{b['story_id']}/brief").json()
    assert brief["story_id"] == a["story_id"]
    repost = post(client, other_article("library"), status=200)
    assert repost["status"] == "unchanged"
    assert repost["story_id"] == a["story_id"]  # the current story, not the merged-away one
    stories = all_stories(client)
    assert [s["story_id"] for s in stories] == [a["story_id"]]
    assert health(client)["stories"] == 1
    assert metric(client, "wiredesk_story_merges_total") == 1.0


def test_merged_story_version_exceeds_both(make_client: ClientFactory) -> None:
    client = make_client(group=ALIKE)
    a, _, _ = build_merge(client)
    story = client.get(f"/stories/{a['story_id']}").json()["story"]
    # a's story had v1, b's v1; the merge bumps to at least their sum plus one.
    assert story["version"] >= 3


# ------------------------------------------------------------------------------------ stories
def test_stories_pagination_walks_all_newest_first(client: Client) -> None:
    ingest_fire(client)
    for name in ("library", "marathon", "comet"):
        post(client, other_article(name))
    expected = all_stories(client)
    assert len(expected) == 4
    updated = [s["updated_at"] for s in expected]
    assert updated == sorted(updated, reverse=True)
    assert expected[0]["title"] == "Newly found comet may brighten spring sky"

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 1}
        if cursor is not None:
            params["cursor"] = cursor
        page = client.get("/stories", params=params).json()
        assert len(page["stories"]) <= 1
        seen.extend(s["story_id"] for s in page["stories"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [s["story_id"] for s in expected]
    assert len(set(seen)) == len(seen)

    two = client.get("/stories", params={"limit": 2}).json()
    rest = client.get("/stories", params={"limit": 2, "cursor": two["next_cursor"]}).json()
    assert [s["story_id"] for s in two["stories"] + rest["stories"]] == seen
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "bm9wZQ==",
        base64.urlsafe_b64encode(b"\xff\xfe:1").decode(),
        base64.urlsafe_b64encode(b"abc:def").decode(),
        "abc",
    ],
)
def test_bad_cursor_is_400(client: Client, cursor: str) -> None:
    post(client, fire_article("CBS"))
    response = client.get("/stories", params={"cursor": cursor})
    assert response.status_code == 400
    assert "cursor" in response.text


def test_story_detail_clusters_span_outlets(client: Client) -> None:
    accepted = ingest_fire(client)
    story_id = accepted["CBS"]["story_id"]
    assert {a["story_id"] for a in accepted.values()} == {story_id}
    detail = client.get(f"/stories/{story_id}").json()
    assert detail["merged"] is False
    assert detail["story"]["outlets"] == sorted(OUTLETS)
    assert detail["story"]["article_count"] == 4
    # The most central article's headline (service/pipeline/title.py), no longer the
    # earliest article's (issue 11, fault 9: a stray oldest member titled the story).
    assert detail["story"]["title"] in FIRE_TITLES.values()
    assert [a["outlet"] for a in detail["articles"]] == list(OUTLETS)  # oldest first
    clusters = detail["clusters"]
    assert clusters, "verbatim AP paragraphs must form cross-outlet clusters"
    widths = [len(c["outlets"]) for c in clusters]
    assert widths == sorted(widths, reverse=True)
    assert widths[0] >= 3
    for c in clusters:
        assert len(c["article_ids"]) >= 2
        assert c["origin_article_id"] == c["article_ids"][0]
        assert c["echo_article_ids"] == c["article_ids"][1:]
        assert c["story_ids"] == [story_id]
        assert {p["outlet"] for p in c["paragraphs"]} == set(c["outlets"])
    # AP's lead paragraph is carried verbatim by CBS, ABC and MSN: one cluster holds all three.
    lead = [c for c in clusters if any(p["text"] == AP[0] for p in c["paragraphs"])]
    assert len(lead) == 1
    assert {"CBS", "ABC", "MSN"} <= set(lead[0]["outlets"])
    assert lead[0]["origin_article_id"] == accepted["CBS"]["article_id"]


def test_unknown_ids_are_404(client: Client) -> None:
    post(client, fire_article("CBS"))
    for path in ("/articles/a999", "/stories/s999", "/stories/s999/brief"):
        response = client.get(path)
        assert response.status_code == 404
        assert "999" in response.json()["detail"]


# -------------------------------------------------------------------------------------- brief
def story_texts(client: Client, story_id: str) -> dict[str, list[str]]:
    """Outlet -> texts of its articles in the story, as stored."""
    out: dict[str, list[str]] = {}
    for a in client.get(f"/stories/{story_id}").json()["articles"]:
        article = client.get(f"/articles/{a['article_id']}").json()
        text = "\n".join(p["text"] for p in article["paragraphs"])
        out.setdefault(a["outlet"], []).append(text)
    return out


def test_brief_is_verbatim_and_attributed(client: Client) -> None:
    accepted = ingest_fire(client)
    post(client, other_article("library"))
    story_id = accepted["CBS"]["story_id"]
    brief = client.get(f"/stories/{story_id}/brief").json()
    assert brief["story_id"] == story_id
    assert brief["method"] == "concept-coverage"
    assert brief["max_words"] == 100
    assert brief["sentences"]
    assert 0 < brief["word_count"] <= 100
    assert brief["word_count"] == sum(words(s["text"]) for s in brief["sentences"])
    assert brief["text"] == " ".join(s["text"] for s in brief["sentences"])
    submitted = {o: FIRE_TEXTS[o] for o in OUTLETS}
    for sentence in brief["sentences"]:
        carriers = {o for o, text in submitted.items() if sentence["text"] in text}
        assert carriers, f"not verbatim from any submitted text: {sentence['text']!r}"
        assert carriers <= set(sentence["outlets"]), sentence
        assert sentence["source_article_id"] in sentence["article_ids"]
        assert "Riverton" not in sentence["text"]
    assert max(len(s["outlets"]) for s in brief["sentences"]) >= 3
    assert set(brief["outlets"]) == {o for s in brief["sentences"] for o in s["outlets"]}


def test_brief_cache_and_invalidation(client: Client) -> None:
    first = post(client, fire_article("CBS"))
    story_id = first["story_id"]
    cold = client.get(f"/stories/{story_id}/brief").json()
    warm = client.get(f"/stories/{story_id}/brief").json()
    assert cold["cached"] is False
    assert warm["cached"] is True
    assert {**warm, "cached": False} == cold
    # The warm GET is served from the process's own LRU, in front of Redis.
    assert metric(client, "wiredesk_brief_cache_total", result="memory_hit") == 1.0
    assert metric(client, "wiredesk_brief_cache_total", result="miss") == 1.0

    post(client, fire_article("ABC"))
    changed = client.get(f"/stories/{story_id}/brief").json()
    assert changed["cached"] is False
    assert changed["version"] == cold["version"] + 1
    assert "ABC" in changed["outlets"]
    assert client.get(f"/stories/{story_id}/brief").json()["cached"] is True

    # Unrelated stories do not invalidate this one.
    post(client, other_article("library"))
    assert client.get(f"/stories/{story_id}/brief").json()["cached"] is True


def test_reads_of_many_brief_shapes_do_not_grow_redis(
    make_client: ClientFactory, redis_url: str, redis_prefix: str
) -> None:
    """Every distinct max_words cached another brief for 7 days: 1,001 keys from one client."""
    client = make_client()
    story_id = ingest_fire(client)["CBS"]["story_id"]
    raw = redis.Redis.from_url(redis_url)
    try:

        def brief_keys() -> int:
            return sum(1 for _ in raw.scan_iter(match=f"{redis_prefix}:*brief*", count=1000))

        before = brief_keys()
        for words in range(30, 90):
            response = client.get(f"/stories/{story_id}/brief", params={"max_words": words})
            assert response.status_code == 200
        client.get(f"/stories/{story_id}/brief", params={"max_sentences": 2})
        grown = brief_keys() - before
        # Only the default (100) and the configured lengths (50) are shared in Redis.
        assert 0 < grown <= 2, grown
        # Shapes outside the shared set are still served, and fast again from memory.
        again = client.get(f"/stories/{story_id}/brief", params={"max_words": 37}).json()
        assert again["cached"] is True
    finally:
        raw.close()


@pytest.mark.parametrize(
    ("max_words", "max_sentences"), [(40, None), (60, 1), (200, 2), (10, None)]
)
def test_brief_respects_limits(client: Client, max_words: int, max_sentences: int | None) -> None:
    story_id = ingest_fire(client)["CBS"]["story_id"]
    params: dict[str, Any] = {"max_words": max_words}
    if max_sentences is not None:
        params["max_sentences"] = max_sentences
    brief = client.get(f"/stories/{story_id}/brief", params=params).json()
    assert brief["max_words"] == max_words
    assert brief["max_sentences"] == max_sentences
    assert brief["word_count"] <= max_words
    assert sum(words(s["text"]) for s in brief["sentences"]) <= max_words
    if max_sentences is not None:
        assert 1 <= len(brief["sentences"]) <= max_sentences
    # The limits are part of the cache key: the default brief is still computed afresh.
    assert client.get(f"/stories/{story_id}/brief").json()["cached"] is False


@pytest.mark.parametrize(
    "query",
    [
        "max_words=9",
        "max_words=2001",
        "max_words=abc",
        "max_sentences=0",
        "max_sentences=201",
        "max_sentences=1.5",
        "max_words=-5",
    ],
)
def test_brief_bad_parameters_are_400(client: Client, query: str) -> None:
    story_id = post(client, fire_article("CBS"))["story_id"]
    response = client.get(f"/stories/{story_id}/brief?{query}")
    assert response.status_code == 400
    assert query.split("=", maxsplit=1)[0] in response.text


# ----------------------------------------------------------------------------------- clusters
def test_clusters_min_outlets(client: Client) -> None:
    ingest_fire(client)
    post(client, other_article("library"))
    default = client.get("/clusters").json()["clusters"]
    assert default
    assert all(len(c["outlets"]) >= 2 for c in default)
    widths = [len(c["outlets"]) for c in default]
    assert widths == sorted(widths, reverse=True)
    three = client.get("/clusters", params={"min_outlets": 3}).json()["clusters"]
    assert three
    assert all(len(c["outlets"]) >= 3 for c in three)
    assert len(three) < len(default)
    assert client.get("/clusters", params={"min_outlets": 5}).json()["clusters"] == []
    one = client.get("/clusters", params={"min_outlets": 1}).json()["clusters"]
    assert len(one) > len(default)  # single-outlet clusters (own lines, the library) too
    assert len(client.get("/clusters", params={"limit": 1}).json()["clusters"]) == 1


def test_clusters_by_story(client: Client) -> None:
    story_id = ingest_fire(client)["CBS"]["story_id"]
    library = post(client, other_article("library"))
    mine = client.get("/clusters", params={"story_id": story_id, "min_outlets": 1}).json()
    assert mine["clusters"]
    assert all(c["story_ids"] == [story_id] for c in mine["clusters"])
    other = client.get("/clusters", params={"story_id": library["story_id"]}).json()
    assert other["clusters"] == []  # one outlet only
    assert client.get("/clusters", params={"story_id": "s999"}).status_code == 404


# --------------------------------------------------------------------- health, metrics, pages
def test_health(client: Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok", "redis": True, "index_vectors": 0, "texts": 0, "articles": 0,
        "stories": 0,
    }  # fmt: skip
    ingest_fire(client)
    h = client.get("/health").json()
    assert h["status"] == "ok"
    assert (h["articles"], h["stories"]) == (4, 1)
    assert h["index_vectors"] == h["texts"] > 0


def test_metrics_counters_and_stage_timings(client: Client) -> None:
    ingest_fire(client)
    client.post("/articles", json={"url": "u", "outlet": "o", "text": "Advertisement"})
    client.get("/stories/s1/brief")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for name in (
        "wiredesk_articles_submitted_total",
        "wiredesk_articles_rejected_total",
        "wiredesk_paragraphs_embedded_total",
        "wiredesk_paragraphs_reused_total",
        "wiredesk_brief_cache_total",
        "wiredesk_story_merges_total",
        "wiredesk_articles",
        "wiredesk_stories",
        "wiredesk_index_vectors",
        "wiredesk_cross_outlet_clusters",
        "wiredesk_embed_calls",
    ):
        assert re.search(rf"^{name}(\{{[^}}]*\}})? ", text, re.MULTILINE), name
    for stage in ("split", "embed", "search", "plan", "commit", "summarize"):
        count = metric(client, "wiredesk_stage_seconds_count", stage=stage)
        assert count >= 1, stage
    assert metric(client, "wiredesk_articles_submitted_total", status="created") == 4.0
    assert metric(client, "wiredesk_articles_rejected_total", reason="InvalidInputError") == 1.0
    assert metric(client, "wiredesk_articles") == 4.0
    assert metric(client, "wiredesk_stories") == 1.0
    embedded = metric(client, "wiredesk_paragraphs_embedded_total")
    reused = metric(client, "wiredesk_paragraphs_reused_total")
    assert embedded + reused == 20.0  # 4 articles x 5 paragraphs
    assert metric(client, "wiredesk_index_vectors") == embedded


def test_dashboard_lists_titles_without_external_assets(client: Client) -> None:
    fire = ingest_fire(client)["CBS"]["story_id"]
    post(client, other_article("marathon"))
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    # The story's title (its most central headline since issue 11, fault 9).
    fire_title = client.get(f"/stories/{fire}").json()["story"]["title"]
    assert fire_title in FIRE_TITLES.values()
    assert fire_title in html
    assert "Debut runner wins Lakeshore Marathon" in html
    external = re.compile(
        r"<(?:script|link|img|iframe|source|video|audio)\b[^>]*\b(?:src|href)\s*=\s*['\"]?"
        r"(?:https?:)?//",
        re.IGNORECASE,
    )
    assert external.search(html) is None
    # Scripts and styles only from the service's own /static/, each served.
    assets = re.findall(r"<(?:script|link)\b[^>]*\b(?:src|href)=\"([^\"]+)\"", html)
    assert assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert client.get(asset).status_code == 200, asset
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert re.search(r"url\(\s*['\"]?(?:https?:)?//", html) is None  # no CSS imports/fonts
    assert "@import" not in html
    selected = client.get("/", params={"story": fire})  # the old dashboard's links
    assert selected.status_code == 200
    assert selected.url.path == f"/dashboard/stories/{fire}"
    missing = client.get("/", params={"story": "s999"})
    assert missing.status_code == 404
    assert "no story with id" in missing.text


def test_dashboard_escapes_titles(client: Client) -> None:
    post(client, other_article("comet", title="<script>alert(1)</script> comet"))
    html = client.get("/").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_openapi_lists_paths(client: Client) -> None:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = set(response.json()["paths"])
    assert {
        "/articles", "/articles/batch", "/articles/{article_id}", "/stories",
        "/stories/{story_id}", "/stories/{story_id}/brief", "/clusters", "/health", "/metrics",
    } <= paths  # fmt: skip


# ----------------------------------------------------------------------------------- API keys
def test_api_keys_guard_writes_only(make_client: ClientFactory) -> None:
    client = make_client(api_keys=("k1", "k2"))
    body = fire_article("CBS")
    no_key = client.post("/articles", json=body)
    assert no_key.status_code == 401
    assert "API key" in no_key.json()["detail"]
    for header in ("Bearer wrong", "Bearer k1x", "Basic k1", "k1", "Bearer "):
        response = client.post("/articles", json=body, headers={"Authorization": header})
        assert response.status_code == 401, header
    batch = client.post("/articles/batch", json={"articles": [body]})
    assert batch.status_code == 401
    assert health(client)["articles"] == 0

    ok = client.post("/articles", json=body, headers={"Authorization": "Bearer k1"})
    assert ok.status_code == 201
    ok2 = client.post(
        "/articles/batch",
        json={"articles": [other_article("library")]},
        headers={"Authorization": "Bearer k2"},
    )
    assert ok2.status_code == 200
    assert ok2.json()["accepted"] == 1
    story_id = ok.json()["story_id"]
    for path in (
        "/stories",
        f"/stories/{story_id}",
        f"/stories/{story_id}/brief",
        "/clusters",
        f"/articles/{ok.json()['article_id']}",
        "/health",
        "/metrics",
        "/",
        "/schema/openapi.json",
    ):
        assert client.get(path).status_code == 200, path


def test_marathon_and_library_stay_apart(client: Client) -> None:
    a = post(client, other_article("library"))
    b = post(client, {**other_article("marathon"), "text": MARATHON})
    assert a["story_id"] != b["story_id"]
    assert len(all_stories(client)) == 2


def test_background_regrouping_settles_stories_and_survives_restart(
    make_client: ClientFactory,
) -> None:
    # The online grouping joins nothing here (bars at 0.999, no shared-paragraph links), so
    # only the background pass can bring the four made-up topics together.
    alone = GroupConfig(
        join_similarity=0.999,
        merge_similarity=0.999,
        resume_similarity=0.999,
        min_shared_words=10**6,
    )
    http = make_client(regroup_delay_s=0.0, group=alone)
    items = [
        {"url": f"https://example.test/{topic}/{i}", "outlet": f"Outlet{i}", "text": text}
        for topic, texts in TOPICS.items()
        for i, text in enumerate(texts)
    ]
    response = http.post("/articles/batch", json={"articles": items})
    assert response.status_code == 200, response.text
    ids = [r["result"]["article_id"] for r in response.json()["results"]]

    def stories() -> list[str]:
        return [http.get(f"/articles/{i}").json()["story_id"] for i in ids]

    deadline = time.monotonic() + 20
    while len(set(stories())) > 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    settled = stories()
    assert settled == [s for s in settled[::3] for _ in range(3)]
    assert len(set(settled)) == 4
    assert "wiredesk_articles_regrouped_total 8.0" in http.get("/metrics").text

    restarted = make_client(regroup_delay_s=3600.0, group=alone)  # a second process, same Redis
    assert [restarted.get(f"/articles/{i}").json()["story_id"] for i in ids] == settled
