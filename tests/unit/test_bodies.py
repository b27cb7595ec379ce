"""The project's own body decoding: its messages, its depth bound, and no other exception."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.api import bodies
from service.api.schemas import ArticleIn, BatchIn
from service.domain.errors import InvalidInputError

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=20,
)


def depth_of(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    return 0


@given(JSON_VALUES)
def test_nesting_depth_matches_the_parsed_structure(value: Any) -> None:
    # Brackets and quotes inside strings must not count.
    assert bodies.nesting_depth(json.dumps(value).encode()) == depth_of(value)


@given(st.binary(max_size=200))
def test_any_bytes_decode_or_raise_invalid_input(raw: bytes) -> None:
    for schema in (ArticleIn, BatchIn):
        message = "accepted"
        try:
            bodies.decode(raw, schema)
        except InvalidInputError as exc:
            message = str(exc)
        assert message


@given(JSON_VALUES)
def test_any_json_value_converts_or_raises_invalid_input(value: Any) -> None:
    message = "batch item 0 accepted"
    try:
        bodies.convert(value, ArticleIn, "batch item 0")
    except InvalidInputError as exc:
        message = str(exc)
    assert message.startswith(("batch item 0", "field `"))


def test_a_valid_body_decodes() -> None:
    raw = b'{"url": "https://a.example/x", "outlet": "A", "text": "Body.", "title": null}'
    item = bodies.decode(raw, ArticleIn)
    assert (item.url, item.outlet, item.text, item.title) == (
        "https://a.example/x",
        "A",
        "Body.",
        None,
    )


@pytest.mark.parametrize(
    ("value", "message", "field"),
    [
        (
            {"url": "u", "outlet": "", "text": "t"},
            "field `outlet` must be a string of 1 to 200",
            "outlet",
        ),
        (
            {"url": "u", "outlet": "o", "text": "t", "published_at": "soon"},
            "ISO-8601",
            "published_at",
        ),
        (
            {"url": "u", "outlet": "o", "text": "t", "title": 3},
            "a string of at most 1000 characters or null",
            "title",
        ),
        ({"outlet": "o", "text": "t"}, "missing the field `url`", "url"),
        (
            {"url": "u", "outlet": "o", "text": "t", "author": "J"},
            "unknown field `author`",
            "author",
        ),
    ],
)
def test_messages_name_the_field_in_our_words(value: Any, message: str, field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        bodies.convert(value, ArticleIn, "batch item 2")
    assert message in str(caught.value)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("text/plain", False),
        (None, False),
    ],
)
def test_media_type(content_type: str | None, ok: bool) -> None:
    if ok:
        bodies.check_media_type(content_type)
    else:
        with pytest.raises(bodies.UnsupportedMediaTypeError, match="application/json"):
            bodies.check_media_type(content_type)


def test_declared_size_over_the_limit() -> None:
    bodies.check_size("100", 100)
    bodies.check_size(None, 100)
    with pytest.raises(bodies.BodyTooLargeError, match="is 101 bytes; the limit is 100 bytes"):
        bodies.check_size("101", 100)
