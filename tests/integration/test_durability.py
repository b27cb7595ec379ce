"""Restart in-process: a new app on the same Redis prefix and data dir is the same service.

The index snapshot is only a cache of the vectors in Redis: whether it is intact, missing,
garbage, truncated, of the wrong dimension, holding an id Redis does not know, or stale, the
restarted app serves the same articles, stories, clusters and briefs, with a complete index.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis
from litestar.testing import TestClient

from indexes.factory import create_index, load_index
from service.api.app import create_app
from service.bootstrap import index_path
from service.pipeline.group import GroupConfig
from service.settings import Settings
from tests.api.conftest import (
    AP,
    COMET,
    LOCAL,
    MARATHON,
    OUTLETS,
    SettingsFactory,
    fire_article,
    observe,
    other_article,
)

pytestmark = pytest.mark.integration

BRIDGE = {
    "url": "https://roundup.example/weekend",
    "outlet": "Roundup",
    "title": "Weekend roundup",
    "text": "\n".join([MARATHON.split("\n")[0], COMET.split("\n")[0]]),
}


class _Collect(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.INFO)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


@pytest.fixture
def service_log() -> Iterator[list[str]]:
    """Messages logged under ``service`` at INFO and above.

    A handler on the ``service`` logger itself: litestar's logging setup replaces the root
    logger's handlers at app start, which detaches pytest's ``caplog`` handler.
    """
    logger = logging.getLogger("service")
    messages: list[str] = []
    handler = _Collect(messages)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def post(client: TestClient[Any], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/articles", json=body)
    assert response.status_code == 201, response.text
    out: dict[str, Any] = response.json()
    return out


def briefs(client: TestClient[Any]) -> dict[str, tuple[str, bool]]:
    out = {}
    for s in client.get("/stories").json()["stories"]:
        body = client.get(f"/stories/{s['story_id']}/brief").json()
        out[s["story_id"]] = (body["text"], body["cached"])
    return out


def clear_brief_cache(settings: Settings) -> None:
    assert settings.redis_url is not None
    raw = redis.Redis.from_url(settings.redis_url)
    keys = list(raw.scan_iter(match=f"{settings.redis_prefix}:brief*"))
    if keys:
        raw.delete(*keys)
    raw.close()


def damage(kind: str, path: Path, stale: bytes) -> None:
    """Do ``kind`` to the snapshot at ``path`` (``stale`` is an older snapshot's bytes)."""
    data = path.read_bytes()
    if kind == "deleted":
        path.unlink()
    elif kind == "garbage":
        path.write_bytes(b"\x89not an index\x00\xff" * 100)
    elif kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "wrong_dim":
        other = create_index("flat", 16)
        other.add(np.asarray([1], dtype=np.int64), np.eye(1, 16, dtype=np.float32))
        other.save(path)
    elif kind == "extra_id":
        index = load_index(path)
        v = np.random.default_rng(0).standard_normal((1, index.dim)).astype(np.float32)
        index.add(np.asarray([999_999], dtype=np.int64), v / np.linalg.norm(v))
        index.save(path)
    elif kind == "stale":
        path.write_bytes(stale)
    else:
        assert kind == "intact"


@pytest.mark.parametrize(
    "kind",
    ["intact", "deleted", "garbage", "truncated", "empty", "wrong_dim", "extra_id", "stale"],
)
def test_restart_restores_everything(
    make_settings: SettingsFactory, kind: str, service_log: list[str]
) -> None:
    # The bridge merges the marathon and comet stories only when stories need not be alike to
    # merge (issue 11, fault 5 made the default refuse it); this test is about the restart.
    settings = make_settings(group=GroupConfig(alike_similarity=-1.0))
    path = index_path(settings)

    # First lifetime: part of the fire story and the library story.
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        for outlet in OUTLETS[:2]:
            post(client, fire_article(outlet))
        post(client, other_article("library"))
    assert path.exists(), "closing the app writes the index snapshot"
    stale = path.read_bytes()

    # Second lifetime (itself a restart): the rest, plus a merge of marathon and comet.
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        for outlet in OUTLETS[2:]:
            post(client, fire_article(outlet))
        marathon = post(client, other_article("marathon"))
        comet = post(client, other_article("comet"))
        bridge = post(client, BRIDGE)
        assert bridge["merged_story_ids"] == [comet["story_id"]]
        assert bridge["story_id"] == marathon["story_id"]
        before = observe(client)
        before_briefs = briefs(client)
        before_health = client.get("/health").json()
        merged_before = client.get(f"/stories/{comet['story_id']}").json()
    assert before_health["status"] == "ok"
    assert before_health["articles"] == 8
    assert before_health["stories"] == 3
    assert len(before["stories"]) == 3

    damage(kind, path, stale)
    clear_brief_cache(settings)
    service_log.clear()

    # Third lifetime: everything is back.
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        h = client.get("/health")
        assert h.status_code == 200, h.text
        assert h.json() == before_health
        assert observe(client) == before
        after_briefs = briefs(client)
        assert {k: v[0] for k, v in after_briefs.items()} == {
            k: v[0] for k, v in before_briefs.items()
        }
        assert all(cached is False for _, cached in after_briefs.values())
        assert client.get(f"/stories/{comet['story_id']}").json() == merged_before

        # The index works: a new copy of AP paragraphs finds them and joins the fire story,
        # and ids continue after the stored counters (no id is reused).
        fire_story = before["articles"]["a1"]["story_id"]
        late = post(
            client,
            {
                "url": "https://late.example/fire",
                "outlet": "Late",
                "text": "\n".join([AP[3], AP[5]]),
            },
        )
        assert late["story_id"] == fire_story
        assert late["near_duplicate_paragraphs"] == 2
        assert late["embedded_paragraphs"] == 0
        assert late["article_id"] == "a9"
        fresh = post(
            client,
            {
                "url": "https://new.example/x",
                "outlet": "New",
                "text": "A brand new topic about a bakery that opened in the old "
                "railway station on Friday morning.",
            },
        )
        assert fresh["story_id"] == "s5"  # s1..s4 exist (s4 merged away); ids never reused
        h2 = client.get("/health").json()
        assert h2["index_vectors"] == h2["texts"] == before_health["texts"] + 1

    text = "\n".join(service_log)
    rebuilt = "index reconciled" in text
    assert rebuilt is (kind != "intact"), text
    if kind in ("garbage", "truncated", "empty", "wrong_dim"):
        assert "rebuilding" in text


def test_story_ids_survive_and_new_stories_do_not_collide(make_settings: SettingsFactory) -> None:
    settings = make_settings()
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        first = post(client, other_article("library"))
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        second = post(client, other_article("comet"))
        assert second["story_id"] != first["story_id"]
        assert second["article_id"] != first["article_id"]
        again = client.post("/articles", json=other_article("library"))
        assert again.status_code == 200
        assert again.json()["status"] == "unchanged"
        assert again.json()["article_id"] == first["article_id"]
