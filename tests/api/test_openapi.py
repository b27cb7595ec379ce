"""The OpenAPI document is complete, and its reference page loads nothing from elsewhere."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from service.api.feeds import FeedIn
from service.api.live import WebhookIn
from service.api.openapi import OPERATIONS, operations
from service.api.schemas import ArticleIn, BatchIn
from tests.api.conftest import ClientFactory, fire_article, post

BODIES: dict[tuple[str, str], type[Any]] = {
    ("POST", "/articles"): ArticleIn,
    ("POST", "/articles/batch"): BatchIn,
    ("POST", "/webhooks"): WebhookIn,
    ("POST", "/feeds"): FeedIn,
}


@pytest.fixture
def document(client: TestClient[Litestar]) -> dict[str, Any]:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    out: dict[str, Any] = response.json()
    return out


def test_every_route_is_described_and_every_description_is_a_route(
    document: dict[str, Any],
) -> None:
    served = {(method, path) for method, path, _ in operations(document)}
    assert served == set(OPERATIONS)


def test_write_routes_need_the_bearer_key_and_reads_do_not(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearer"]["description"],
    }
    for method, path, op in operations(document):
        if method in ("POST", "DELETE") or path.startswith("/webhooks"):
            assert op.get("security") == [{"bearer": []}], (method, path)
            assert "401" in op["responses"], (method, path)
        elif path == "/metrics":
            assert op.get("security") == [{"metrics": []}]
        else:
            assert "security" not in op, (method, path)


def test_error_answers_are_documented_with_the_error_body_and_an_example(
    document: dict[str, Any],
) -> None:
    assert set(document["components"]["schemas"]["Error"]["required"]) == {
        "status_code",
        "detail",
    }
    for method, path, op in operations(document):
        errors = {int(c) for c in op["responses"] if c[0] in "45"}
        if path == "/health":
            errors.discard(503)  # its degraded answer is the health body
        assert 400 in errors, (method, path)
        for code in errors:
            media = op["responses"][str(code)]["content"]["application/json"]
            assert media["schema"] == {"$ref": "#/components/schemas/Error"}
            assert media["example"]["status_code"] == code
        if method == "POST":
            assert {400, 401, 408, 413, 415, 429, 503} <= errors, (method, path)


def test_request_body_examples_are_valid_bodies(document: dict[str, Any]) -> None:
    for method, path, op in operations(document):
        if "requestBody" not in op:
            continue
        example = op["requestBody"]["content"]["application/json"]["example"]
        msgspec.json.decode(msgspec.json.encode(example), type=BODIES[(method, path)])


def test_answers_carry_documented_statuses(make_client: ClientFactory) -> None:
    client = make_client(api_keys=("k1",))
    document = client.get("/schema/openapi.json").json()
    key = {"Authorization": "Bearer k1"}
    story = post_with_key(client, key)
    requests: list[tuple[str, str, str, dict[str, Any]]] = [
        ("POST", "/articles", "/articles", {"json": fire_article("ABC")}),
        ("POST", "/articles", "/articles", {"json": fire_article("ABC"), "headers": key}),
        ("POST", "/articles", "/articles", {"json": {"url": 1}, "headers": key}),
        ("POST", "/articles", "/articles", {"content": b"x", "headers": key}),
        ("POST", "/articles/batch", "/articles/batch", {"json": {"articles": []}}),
        ("GET", "/articles/{article_id}", "/articles/a999", {}),
        ("GET", "/stories", "/stories?limit=0", {}),
        ("GET", "/stories/{story_id}", f"/stories/{story}", {}),
        ("GET", "/stories/{story_id}/history", "/stories/s999/history", {}),
        ("GET", "/stories/{story_id}/brief", f"/stories/{story}/brief", {}),
        ("GET", "/stories/{story_id}/brief", "/stories/s999/brief", {}),
        ("GET", "/clusters", "/clusters?min_outlets=0", {}),
        ("GET", "/health", "/health", {}),
        ("GET", "/metrics", "/metrics", {}),
        ("GET", "/events", "/events?story_id=s999", {}),
        ("GET", "/events", "/events?last_event_id=nope", {}),
        ("POST", "/webhooks", "/webhooks", {"json": {"url": "ftp://x"}, "headers": key}),
        ("POST", "/webhooks", "/webhooks", {"json": {}}),
        ("GET", "/webhooks", "/webhooks", {"headers": key}),
        ("DELETE", "/webhooks/{webhook_id}", "/webhooks/wh_1", {"headers": key}),
        ("GET", "/webhooks/{webhook_id}/deliveries", "/webhooks/wh_1/deliveries", {}),
    ]
    for method, template, url, kwargs in requests:
        response = client.request(method, url, **kwargs)
        documented = document["paths"][template][method.lower()]["responses"]
        assert str(response.status_code) in documented, (method, url, response.status_code)


def post_with_key(client: TestClient[Litestar], key: dict[str, str]) -> str:
    response = client.post("/articles", json=fire_article("CBS"), headers=key)
    assert response.status_code == 201, response.text
    story: str = response.json()["story_id"]
    return story


def test_the_reference_page_is_local_and_names_every_route(
    client: TestClient[Litestar],
) -> None:
    response = client.get("/schema/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'none'" in response.headers["content-security-policy"]
    page = response.text
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing external
    for method, path in OPERATIONS:
        assert f"<code>{path}</code>" in page, (method, path)
    # Examples are shown escaped, and read routes can be tried with plain forms.
    assert "&#34;url&#34;" in page or "&quot;url&quot;" in page
    assert '<form method="get" action="/stories">' in page


def test_the_litestar_cdn_uis_are_not_served(client: TestClient[Litestar]) -> None:
    for path in ("/schema/swagger", "/schema/redoc", "/schema/elements", "/schema/rapidoc"):
        assert client.get(path).status_code == 404


def test_the_example_article_is_accepted(client: TestClient[Litestar]) -> None:
    document = client.get("/schema/openapi.json").json()
    example = document["paths"]["/articles"]["post"]["requestBody"]["content"]["application/json"][
        "example"
    ]
    assert post(client, example)["status"] == "created"
