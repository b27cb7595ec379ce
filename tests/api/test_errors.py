"""Bad input: every case answers 4xx naming the problem, never 500, and harms nothing stored."""

from __future__ import annotations

import json
import pathlib
import tempfile
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient

from service.api.app import create_app
from service.settings import Settings
from tests.api.conftest import (
    LOCAL,
    OUTLETS,
    ClientFactory,
    all_stories,
    fire_article,
    health,
)

pytestmark = pytest.mark.integration

Client = TestClient[Litestar]
JSON = {"content-type": "application/json"}
GOOD_TEXT = "The quick brown fox jumped over the lazy dog by the river bank on Tuesday."


def state(client: Client) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What must not change: health counts and the full story list."""
    h = health(client)
    return {k: h[k] for k in ("articles", "stories", "texts", "index_vectors")}, all_stories(client)


@pytest.fixture
def seeded(make_client: ClientFactory) -> Client:
    """An app with small limits, holding the four-outlet fire story."""
    client = make_client(max_text_chars=2000, max_body_bytes=8000, max_batch_articles=3)
    for outlet in OUTLETS:
        assert client.post("/articles", json=fire_article(outlet)).status_code == 201
    return client


def check_refused(client: Client, response: Any, status: int, *names: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status_code"] == status
    message = json.dumps(body).lower()
    for name in names:
        assert name.lower() in message, (name, body)


def good(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"url": "https://new.example/1", "outlet": "New", "text": GOOD_TEXT}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


# ----------------------------------------------------------------------- the warning bug
def test_app_builds_without_deprecation_warnings(tmp_path: pathlib.Path) -> None:
    """litestar 2.23+ warns about inferred dependencies and ``Parameter(query=...)``; none left."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        create_app(Settings(embedder="hash", redis_url="redis://127.0.0.1:1", data_dir=tmp_path))
    messages = sorted(
        {
            str(w.message).split("] ")[-1][:90]
            for w in caught
            if issubclass(w.category, DeprecationWarning)
        }
    )
    assert messages == []


# ------------------------------------------------------------------------ POST /articles
BAD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("missing url", good(url=...), "url"),
    ("missing outlet", good(outlet=...), "outlet"),
    ("missing text", good(text=...), "text"),
    ("url int", good(url=5), "url"),
    ("outlet list", good(outlet=["CBS"]), "outlet"),
    ("text int", good(text=12), "text"),
    ("text object", good(text={"p": GOOD_TEXT}), "text"),
    ("title int", good(title=3), "title"),
    ("story_key bool", good(story_key=True), "story_key"),
    ("empty url", good(url=""), "url"),
    ("empty outlet", good(outlet=""), "outlet"),
    ("empty text", good(text=""), "text"),
    ("empty story_key", good(story_key=""), "story_key"),
    ("blank url", good(url="   \t "), "url"),
    ("blank outlet", good(outlet=" \n "), "outlet"),
    ("blank text", good(text=" \n\n \t "), "text"),
    ("url with space", good(url="https://a.example/x y"), "url"),
    ("punctuation text", good(text="***\n—\n…"), "text"),
    ("boilerplate text", good(text="Advertisement\nRead more: the news\nSubscribe now"), "text"),
    ("too long url", good(url="https://a.example/" + "x" * 3000), "url"),
    ("too long title", good(title="T" * 1001), "title"),
    ("oversized text", good(text=(GOOD_TEXT + "\n") * 30), "limit"),
    ("unknown field", good(author="Jane Doe"), "author"),
    ("bad published_at", good(published_at="yesterday"), "published_at"),
    ("bad month", good(published_at="2024-13-01T00:00:00Z"), "published_at"),
]


@pytest.mark.parametrize(("case", "body", "named"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_bad_article_is_400_and_harms_nothing(
    seeded: Client, case: str, body: dict[str, Any], named: str
) -> None:
    before = state(seeded)
    response = seeded.post("/articles", json=body)
    check_refused(seeded, response, 400, named)
    assert state(seeded) == before, case


# Each refusal must carry the project's own words (service/api/bodies.py), not a library's:
# the expectations are phrases only Wiredesk writes, so a framework upgrade cannot pass them.
BAD_RAW: list[tuple[str, bytes, int, str]] = [
    ("invalid json", b'{"url": "u", "outlet": ', 400, "the json ends early at byte 23"),
    ("garbage", b"this is not json", 400, "malformed request body: not valid json at byte 0"),
    (
        "non-utf8",
        b'{"url": "u", "outlet": "o", "text": "caf\xe9 \xff\xfe"}',
        400,
        "malformed request body: not valid utf-8 at byte 40",
    ),
    ("utf16 bytes", json.dumps(good()).encode("utf-16"), 400, "not valid utf-8 at byte 0"),
    ("array", json.dumps([good()]).encode(), 400, "must be a json object; got an array"),
    ("null", b"null", 400, "must be a json object; got null"),
    ("string", b'"hello"', 400, "must be a json object; got a string"),
    ("number out of range", b"1e999", 400, "a number is out of range"),
    (
        "lone high surrogate",
        b'{"url": "u", "outlet": "o", "text": "a \\ud800 b c d e f."}',
        400,
        "unpaired utf-16 surrogate",
    ),
    (
        "lone low surrogate",
        b'{"url": "u", "outlet": "o", "text": "a \\udc00 b c d e f."}',
        400,
        "unpaired utf-16 surrogate",
    ),
    (
        "trailing surrogate",
        b'{"url": "u", "outlet": "o", "text": "abc \\ud800"}',
        400,
        "unpaired utf-16 surrogate",
    ),
    ("empty body", b"", 400, "the json ends early at byte 0"),
    ("deep nesting", b'{"url": ' + b"[" * 1000 + b"]" * 1000 + b"}", 400, "nests 1001 levels"),
    ("wrong type", b'{"url": 5, "outlet": "o", "text": "t"}', 400, "field `url` must be a string"),
    ("missing field", b'{"url": "u", "text": "t"}', 400, "is missing the field `outlet`"),
    (
        "unknown field",
        b'{"url": "u", "outlet": "o", "text": "t", "x": 1}',
        400,
        "unknown field `x`",
    ),
]


@pytest.mark.parametrize(("case", "raw", "status", "named"), BAD_RAW, ids=[c[0] for c in BAD_RAW])
def test_bad_raw_body_is_refused(
    seeded: Client, case: str, raw: bytes, status: int, named: str
) -> None:
    before = state(seeded)
    response = seeded.post("/articles", content=raw, headers=JSON)
    check_refused(seeded, response, status, named)
    assert response.json()["detail"], case
    assert state(seeded) == before


def test_deeply_nested_batch_is_400(seeded: Client) -> None:
    """About 1,000 levels of nesting answered 500 with a traceback per request (issue 13)."""
    before = state(seeded)
    deep = b'{"articles": [' + b"[" * 1000 + b"]" * 1000 + b"]}"
    response = seeded.post("/articles/batch", content=deep, headers=JSON)
    check_refused(seeded, response, 400, "nests 1002 levels deep; the limit is 16")
    assert state(seeded) == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
@pytest.mark.parametrize("path", ["/articles", "/articles/batch"])
def test_writes_need_a_json_content_type(
    seeded: Client, content_type: str | None, path: str
) -> None:
    """A cross-site form or ``fetch`` without preflight can send text/plain, never JSON."""
    before = state(seeded)
    body = good() if path == "/articles" else {"articles": [good()]}
    headers = {"content-type": content_type} if content_type else {}
    response = seeded.post(path, content=json.dumps(body).encode(), headers=headers)
    check_refused(seeded, response, 415, "content-type: application/json")
    assert state(seeded) == before


def test_oversized_body_is_413(seeded: Client) -> None:
    before = state(seeded)
    body = json.dumps(good(text="word " * 3000)).encode()  # 15 kB > max_body_bytes 8000
    response = seeded.post("/articles", content=body, headers=JSON)
    check_refused(seeded, response, 413, "request body is", "the limit is 8000 bytes")
    batch = json.dumps({"articles": [good(text="word " * 1000)] * 3}).encode()
    check_refused(seeded, seeded.post("/articles/batch", content=batch, headers=JSON), 413)
    assert state(seeded) == before


def test_too_many_paragraphs_is_400(make_client: ClientFactory) -> None:
    """One request's work is bounded: a 400-paragraph article stalled every write for 45 s."""
    client = make_client(max_paragraphs=5)
    before = state(client)
    text = "\n".join(
        f"Paragraph {i} tells of the flood in the valley town of Orr." for i in range(6)
    )
    response = client.post("/articles", json=good(text=text))
    check_refused(client, response, 400, "text has 6 paragraphs; the limit is 5")
    assert state(client) == before
    ok = client.post("/articles", json=good(text="\n".join(text.splitlines()[:5])))
    assert ok.status_code == 201, ok.text


def test_text_at_the_limit_is_accepted(seeded: Client) -> None:
    text = ("A long sentence about the weather in the valley today. " * 40)[:2000]
    response = seeded.post("/articles", json=good(text=text))
    assert response.status_code == 201, response.text
    over = seeded.post("/articles", json=good(url="https://new.example/2", text=text + "x"))
    check_refused(seeded, over, 400, "2001 characters", "limit is 2000")


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_published_at_outside_the_datetime_range_poisons_nothing(
    seeded: Client, moment: str
) -> None:
    """Such a time, once stored, could not be rendered back (``datetime.fromtimestamp`` overflows
    in ``iso()``), so every later read would answer 500: it must be refused at the edge."""
    response = seeded.post("/articles", json=good(published_at=moment))
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert "published_at" in response.text
    for path in ("/stories", "/", "/clusters", "/health"):
        assert seeded.get(path).status_code == 200, path
    if response.status_code < 300:
        body = response.json()
        assert seeded.get(f"/articles/{body['article_id']}").status_code == 200
        assert seeded.get(f"/stories/{body['story_id']}").status_code == 200


# ---------------------------------------------------------------------------------- batch
def test_batch_envelope_errors(seeded: Client) -> None:
    before = state(seeded)
    check_refused(
        seeded, seeded.post("/articles/batch", json={"articles": []}), 400, "articles", "empty"
    )
    check_refused(
        seeded,
        seeded.post("/articles/batch", json={"articles": [good()] * 4}),
        400,
        "4 articles",
        "limit is 3",
    )
    check_refused(seeded, seeded.post("/articles/batch", json={}), 400, "articles")
    check_refused(seeded, seeded.post("/articles/batch", json={"articles": "x"}), 400, "array")
    check_refused(seeded, seeded.post("/articles/batch", json=[good()]), 400, "array")
    check_refused(seeded, seeded.post("/articles/batch", json={"articles": [], "x": 1}), 400, "x")
    assert state(seeded) == before


def test_batch_items_all_bad(seeded: Client) -> None:
    before = state(seeded)
    items: list[Any] = [None, "article", good(text="   ")]
    response = seeded.post("/articles/batch", json={"articles": items})
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (0, 3)
    assert [r["error"]["status_code"] for r in body["results"]] == [400, 400, 400]
    assert "null" in body["results"][0]["error"]["detail"]
    assert "str" in body["results"][1]["error"]["detail"]
    assert body["results"][2]["error"]["field"] == "text"
    assert state(seeded) == before


# ------------------------------------------------------------------------------ not found
@pytest.mark.parametrize(
    "path",
    [
        "/articles/a999",
        "/articles/" + "x" * 3000,
        "/stories/s999",
        "/stories/%00",
        "/stories/s999/brief",
        "/clusters?story_id=s999",
    ],
)
def test_unknown_ids_are_404(seeded: Client, path: str) -> None:
    response = seeded.get(path)
    check_refused(seeded, response, 404, "no ")


def test_wrong_method_is_405(seeded: Client) -> None:
    before = state(seeded)
    assert seeded.delete("/articles/a1").status_code == 405
    assert seeded.put("/articles", json=good()).status_code == 405
    assert seeded.post("/stories", json={}).status_code == 405
    assert state(seeded) == before


# ------------------------------------------------------------------------- query params
BAD_QUERIES = [
    ("/stories?limit=0", "limit"),
    ("/stories?limit=501", "limit"),
    ("/stories?limit=-1", "limit"),
    ("/stories?limit=ten", "limit"),
    ("/stories?cursor=" + "a" * 201, "cursor"),
    ("/stories?cursor=%21%21%21", "cursor"),
    ("/clusters?min_outlets=0", "min_outlets"),
    ("/clusters?min_outlets=10001", "min_outlets"),
    ("/clusters?limit=0", "limit"),
    ("/clusters?limit=1001", "limit"),
    ("/clusters?story_id=" + "s" * 201, "story_id"),
    ("/stories/s1/brief?max_words=9", "max_words"),
    ("/stories/s1/brief?max_words=2001", "max_words"),
    ("/stories/s1/brief?max_words=12.5", "max_words"),
    ("/stories/s1/brief?max_sentences=0", "max_sentences"),
    ("/stories/s1/brief?max_sentences=201", "max_sentences"),
]


@pytest.mark.parametrize(("path", "named"), BAD_QUERIES)
def test_query_out_of_range_is_400(seeded: Client, path: str, named: str) -> None:
    check_refused(seeded, seeded.get(path), 400, named)


# ------------------------------------------------------------------------------ fuzzing
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
_JSONISH = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_FIELD_VALUES = st.one_of(
    _SCALARS,
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300),
    st.sampled_from(
        ["", " ", "\n", "Advertisement", "2024-01-01T00:00:00Z", GOOD_TEXT, "\u00a0\u2003", "\x00"]
    ),
)
_ARTICLEISH = st.dictionaries(
    st.sampled_from(["url", "outlet", "text", "title", "published_at", "story_key", "extra"]),
    _FIELD_VALUES,
    max_size=7,
)


@pytest.fixture(scope="module")
def fuzz_client(redis_url: str) -> Any:
    """One app for the whole fuzz run (a module-scoped fixture, for hypothesis)."""
    import uuid

    import redis

    prefix = f"wdtest:fuzz{uuid.uuid4().hex[:10]}"
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            Settings(
                embedder="hash",
                redis_url=redis_url,
                redis_prefix=prefix,
                data_dir=pathlib.Path(tmp),
                log_level="WARNING",
                max_text_chars=5000,
                max_batch_articles=5,
            )
        )
        with TestClient(app, base_url=LOCAL) as client:
            yield client
    raw = redis.Redis.from_url(redis_url)
    keys = list(raw.scan_iter(match=f"{prefix}:*"))
    if keys:
        raw.delete(*keys)
    raw.close()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.one_of(_ARTICLEISH, _JSONISH))
def test_random_json_never_500(fuzz_client: Client, body: Any) -> None:
    response = fuzz_client.post("/articles", json=body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["detail"]
    batch = fuzz_client.post("/articles/batch", json={"articles": [body, body]})
    assert batch.status_code < 500, batch.text


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=200))
def test_random_bytes_never_500(fuzz_client: Client, raw: bytes) -> None:
    response = fuzz_client.post("/articles", content=raw, headers=JSON)
    assert response.status_code < 500, response.text


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(
        ["/stories", "/clusters", "/stories/s1/brief", "/articles/a1", "/stories/s1"]
    ),
    params=st.dictionaries(
        st.sampled_from(
            ["limit", "cursor", "min_outlets", "story_id", "max_words", "max_sentences"]
        ),
        st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=20),
        max_size=3,
    ),
)
def test_random_query_never_500(fuzz_client: Client, path: str, params: dict[str, str]) -> None:
    response = fuzz_client.get(path, params=params)
    assert response.status_code < 500, response.text


# ------------------------------------------------------------------ edge: hosts, headers
def test_a_foreign_host_header_is_refused(seeded: Client) -> None:
    """A DNS-rebinding page reaches a loopback-bound instance under a foreign name."""
    before = state(seeded)
    response = seeded.post("/articles", json=good(), headers={"host": "attacker.example"})
    check_refused(seeded, response, 400, "host 'attacker.example' is not served here")
    assert seeded.get("/stories", headers={"host": "attacker.example"}).status_code == 400
    assert seeded.get("/health", headers={"host": "localhost:8000"}).status_code == 200
    assert state(seeded) == before


def test_allowed_hosts_setting(make_client: ClientFactory) -> None:
    client = make_client(allowed_hosts=("news.example.org", "127.0.0.1"))
    assert client.get("/health", headers={"host": "news.example.org"}).status_code == 200
    assert client.get("/health", headers={"host": "localhost"}).status_code == 400


@pytest.mark.parametrize("path", ["/", "/stories", "/no/such/path"])
def test_security_headers_on_every_response(seeded: Client, path: str) -> None:
    headers = seeded.get(path).headers
    csp = headers["content-security-policy"]
    # Scripts run on the dashboard's pages only, and only the service's own (/static/).
    assert ("script-src 'self'" if path == "/" else "script-src 'none'") in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"


def test_writes_over_the_rate_limit_get_429(make_client: ClientFactory) -> None:
    client = make_client(write_rate_per_minute=3)
    for n in range(3):
        assert client.post("/articles", json=good(url=f"https://new.example/{n}")).status_code in {
            200,
            201,
        }
    before = state(client)
    refused = client.post("/articles", json=good(url="https://new.example/9"))
    check_refused(client, refused, 429, "too many writes from this client: the limit is 3")
    assert refused.headers.get("retry-after")
    assert state(client) == before
    assert client.get("/stories").status_code == 200  # reads are not limited
    # Another API key is another client.
    other = client.post(
        "/articles",
        json=good(
            url="https://new.example/10",
            text="A harbour festival drew boats, bands and crowds to the quay on Sunday.",
        ),
        headers={"authorization": "Bearer someone-else"},
    )
    assert other.status_code == 201, other.text


def test_metrics_key(make_client: ClientFactory) -> None:
    client = make_client(metrics_key="scrape-me")
    check_refused(client, client.get("/metrics"), 401, "metrics key")
    wrong = client.get("/metrics", headers={"authorization": "Bearer nope"})
    check_refused(client, wrong, 401, "metrics key")
    ok = client.get("/metrics", headers={"authorization": "Bearer scrape-me"})
    assert ok.status_code == 200
    assert "wiredesk_articles" in ok.text
