"""Web pages through the API: ``html`` instead of ``text`` (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import ClientFactory

pytestmark = pytest.mark.integration

PAGES = Path(__file__).resolve().parents[1] / "data" / "pages"
TRUTH: dict[str, Any] = json.loads((PAGES / "expected.json").read_text())
Client = TestClient[Litestar]


def page(name: str) -> str:
    return (PAGES / f"{name}.html").read_text()


def test_a_posted_page_becomes_its_article(make_client: ClientFactory) -> None:
    client = make_client()
    response = client.post(
        "/articles",
        json={"url": "https://cbs.example/news/fire", "outlet": "CBS", "html": page("fire")},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    extracted = body["extracted"]
    assert extracted["title"] == TRUTH["fire"]["title"]
    assert extracted["canonical_url"] == "https://cbs.example/news/fire"
    assert extracted["published_at"] == "2026-11-24T09:15:00Z"
    assert extracted["author"] == "Dana Reporter"
    assert extracted["paragraphs"] == 4
    article = client.get(f"/articles/{body['article_id']}").json()
    assert [p["text"] for p in article["paragraphs"]] == TRUTH["fire"]["paragraphs"]
    assert article["title"] == TRUTH["fire"]["title"]
    story = client.get(f"/stories/{body['story_id']}").json()
    assert story["story"]["title"] == TRUTH["fire"]["title"]
    brief = client.get(f"/stories/{body['story_id']}/brief").json()
    assert "Photo" not in brief["text"]
    assert "cookies" not in brief["text"]


def test_fields_sent_win_over_extracted_ones(make_client: ClientFactory) -> None:
    client = make_client()
    response = client.post(
        "/articles",
        json={
            "url": "https://abc.example/bridge",
            "outlet": "ABC",
            "html": page("bridge"),
            "title": "Bridge shuts for repairs",
            "published_at": "2026-10-03T08:00:00Z",
        },
    )
    assert response.status_code == 201, response.text
    article = client.get(f"/articles/{response.json()['article_id']}").json()
    assert article["title"] == "Bridge shuts for repairs"
    assert article["published_at"] == "2026-10-03T08:00:00Z"
    # What the page said is still reported.
    assert response.json()["extracted"]["title"] == TRUTH["bridge"]["title"]


@pytest.mark.parametrize(
    ("body", "status", "named"),
    [
        (
            {
                "html": "<html><body><nav>Home News Sports</nav>"
                "<footer>(c) 2026</footer></body></html>"
            },
            400,
            "no article text",
        ),
        (
            {"html": "<p>x</p>", "text": "A flood hit the valley town of Orr on Monday night."},
            400,
            "exactly one",
        ),
        ({}, 400, "exactly one"),
    ],
)
def test_pages_without_an_article_and_bad_mixes_are_refused(
    make_client: ClientFactory, body: dict[str, str], status: int, named: str
) -> None:
    client = make_client()
    response = client.post("/articles", json={"url": "https://x.example/a", "outlet": "X", **body})
    assert response.status_code == status, response.text
    assert named in response.json()["detail"]
    assert client.get("/health").json()["articles"] == 0


def test_pages_in_a_batch_fail_alone(make_client: ClientFactory) -> None:
    client = make_client()
    response = client.post(
        "/articles/batch",
        json={
            "articles": [
                {"url": "https://msn.example/zoo", "outlet": "MSN", "html": page("zoo")},
                {"url": "https://x.example/empty", "outlet": "X", "html": "<nav>Home</nav>"},
            ]
        },
    )
    assert response.status_code == 200, response.text
    first, second = response.json()["results"]
    assert first["ok"] is True
    assert first["result"]["extracted"]["title"] == TRUTH["zoo"]["title"]
    assert second["ok"] is False
    assert second["error"]["field"] == "html"
