"""Request bodies decoded and checked by the project's own code, with its own messages.

Every refusal of a body names the problem in Wiredesk's words (``"field `url` must be a string
of 1 to 2048 characters; got a number"``), whatever the web framework or msgspec release
installed says in its own errors: the framework only ever sees bodies this module accepted.

Order of checks (each is the first that fails answers):

1. media type ``application/json`` (415): a ``text/plain`` body is what a cross-site form can
   send without a CORS preflight, so JSON writes refuse it (issue 13);
2. size against ``Content-Length`` (413), before reading;
3. strict UTF-8 (RFC 8259 section 8.1: JSON exchanged between systems must be UTF-8);
4. nesting depth at most :data:`MAX_DEPTH`, counted over brackets outside strings with NumPy
   (no recursion, O(bytes)): Wiredesk's bodies nest three deep, and a 1,000-deep document made
   a recursive decoder fail with a 500 before;
5. JSON syntax: a message with the byte offset, and whether the body was cut short;
6. the schema: unknown and missing fields, then each field's type and bounds, described from
   the msgspec schema itself (:func:`msgspec.inspect.type_info`).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, TypeVar

import msgspec
import numpy as np
from msgspec import inspect as mi

from service.domain.errors import InvalidInputError

T = TypeVar("T")

# Deepest nesting accepted. A batch is {"articles": [{"field": "value"}]}: three levels; 16
# leaves room for clients that send a little more structure, and is far below the recursion
# limits of any decoder.
MAX_DEPTH = 16

# A JSON string literal: quotes around any run of non-quote non-backslash bytes or escapes.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


class UnsupportedMediaTypeError(InvalidInputError):
    """The body is not declared as ``application/json`` (HTTP 415)."""


class BodyTooLargeError(InvalidInputError):
    """The body is larger than the configured limit (HTTP 413)."""


def check_media_type(content_type: str | None) -> None:
    """Require ``application/json`` (parameters such as ``charset=utf-8`` allowed).

    Raises:
        UnsupportedMediaTypeError: any other or no media type.
    """
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        shown = media or "none"
        raise UnsupportedMediaTypeError(
            f"request body must be sent as Content-Type: application/json (got {shown})",
            field="content-type",
        )


def check_size(declared: str | None, limit: int) -> None:
    """Refuse a body whose ``Content-Length`` exceeds ``limit`` bytes.

    Raises:
        BodyTooLargeError: the declared length is over the limit.
    """
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise BodyTooLargeError(too_large_message(limit, int(declared)))


def too_large_message(limit: int, size: int | None = None) -> str:
    """The project's message for a body over ``limit`` bytes."""
    got = f" is {size} bytes;" if size is not None else " is over"
    return f"request body{got} the limit is {limit} bytes (WIREDESK_MAX_BODY_BYTES)"


def nesting_depth(raw: bytes) -> int:
    """Deepest bracket nesting of a JSON text, ignoring brackets inside strings."""
    bare = _STRING.sub(b"", raw)
    if not bare:
        return 0
    codes = np.frombuffer(bare, dtype=np.uint8)
    steps = ((codes == ord("[")) | (codes == ord("{"))).astype(np.int32)
    steps -= ((codes == ord("]")) | (codes == ord("}"))).astype(np.int32)
    return int(np.cumsum(steps).max(initial=0))


def decode(raw: bytes, schema: type[T], what: str = "request body") -> T:
    """Decode and validate a JSON body into ``schema`` (a msgspec Struct or list of them).

    Args:
        raw: the body as received.
        schema: the target type.
        what: how messages name the body ("request body", "batch item 3").

    Returns:
        The decoded value.

    Raises:
        InvalidInputError: with the project's message naming the problem and, where one
            field is at fault, ``field``.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"malformed {what}: not valid UTF-8 at byte {exc.start}") from None
    depth = nesting_depth(raw)
    if depth > MAX_DEPTH:
        raise InvalidInputError(f"{what} nests {depth} levels deep; the limit is {MAX_DEPTH}")
    try:
        return msgspec.json.decode(raw, type=schema)
    except msgspec.ValidationError:
        value = _plain(text, what)
        raise diagnose(value, schema, what) from None
    except msgspec.DecodeError:
        _plain(text, what)  # raises the syntax error in our words
        raise InvalidInputError(f"malformed {what}: not valid JSON") from None


def convert(value: Any, schema: type[T], what: str) -> T:
    """Validate an already-decoded JSON value (a batch item) into ``schema``.

    Raises:
        InvalidInputError: as :func:`decode`.
    """
    try:
        return msgspec.json.decode(msgspec.json.encode(value), type=schema)
    except msgspec.ValidationError:
        raise diagnose(value, schema, what) from None
    except (msgspec.DecodeError, msgspec.EncodeError, UnicodeEncodeError):
        raise InvalidInputError(f"{what} is not valid JSON text") from None


def _plain(text: str, what: str) -> Any:
    """Parse with the standard library's JSON (for positions); raise syntax errors our way."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        at = len(text[: exc.pos].encode("utf-8"))
        if not text[exc.pos :].strip():
            raise InvalidInputError(
                f"malformed {what}: the JSON ends early at byte {at} (truncated?)"
            ) from None
        raise InvalidInputError(
            f"malformed {what}: not valid JSON at byte {at} (line {exc.lineno}, column {exc.colno})"
        ) from None
    problem = _bad_scalar(value)
    if problem:
        raise InvalidInputError(f"malformed {what}: {problem}")
    return value


def _bad_scalar(value: Any) -> str | None:
    """What the standard library accepts but Wiredesk does not: huge numbers, lone surrogates."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return "a number is out of range"
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "a string holds an unpaired UTF-16 surrogate escape (such as \\ud800)"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),
    (int, "a number"),
    (float, "a number"),
    (str, "a string"),
    (list, "an array"),
    (dict, "an object"),
)


def json_type(value: Any) -> str:
    """How a JSON value is named in messages: "a string", "null", ..."""
    if value is None:
        return "null"
    for cls, name in _JSON_TYPES:
        if isinstance(value, cls):
            return name
    return type(value).__name__  # pragma: no cover - json.loads yields only the above


_SIMPLE_TYPES: tuple[tuple[type[mi.Type], str], ...] = (
    (mi.DateTimeType, "an ISO-8601 date-time string (e.g. 2026-11-24T09:00:00Z)"),
    (mi.IntType, "an integer"),
    (mi.FloatType, "a number"),
    (mi.BoolType, "a boolean"),
    (mi.ListType, "an array"),
    (mi.StructType, "an object"),
    (mi.DictType, "an object"),
)


def _describe_str(low: int | None, high: int | None) -> str:
    if low and high:
        return f"a string of {low} to {high} characters"
    if high:
        return f"a string of at most {high} characters"
    if low:
        return "a non-empty string" if low == 1 else f"a string of at least {low} characters"
    return "a string"


def describe(info: mi.Type) -> str:
    """A schema type in words: "a string of 1 to 2048 characters", "an ISO-8601 date-time"."""
    if isinstance(info, mi.Metadata):  # Annotated[..., Meta(description=...)]
        return describe(info.type)
    if isinstance(info, mi.UnionType):
        parts = [describe(t) for t in info.types if not isinstance(t, mi.NoneType)]
        nullable = any(isinstance(t, mi.NoneType) for t in info.types)
        return " or ".join(parts) + (" or null" if nullable else "")
    if isinstance(info, mi.StrType):
        return _describe_str(info.min_length, info.max_length)
    for cls, words in _SIMPLE_TYPES:
        if isinstance(info, cls):
            return words
    return "a valid value"  # pragma: no cover - no other types in our schemas


def diagnose(value: Any, schema: type[Any], what: str) -> InvalidInputError:
    """The first reason ``value`` does not fit ``schema``, in the project's words."""
    if not (isinstance(schema, type) and issubclass(schema, msgspec.Struct)):
        return InvalidInputError(f"{what} does not match its schema")
    if not isinstance(value, dict):
        return InvalidInputError(f"{what} must be a JSON object; got {json_type(value)}")
    known = {f.encode_name: f for f in msgspec.structs.fields(schema)}
    if schema.__struct_config__.forbid_unknown_fields:
        for key in value:
            if key not in known:
                allowed = ", ".join(sorted(known))
                return InvalidInputError(
                    f"{what} has an unknown field `{key}` (fields: {allowed})", field=str(key)
                )
    for name, f in known.items():
        if name not in value:
            if f.required:
                return InvalidInputError(f"{what} is missing the field `{name}`", field=name)
            continue
        field_value = value[name]
        try:
            msgspec.json.decode(msgspec.json.encode(field_value), type=f.type)
        except msgspec.ValidationError:
            wanted = describe(mi.type_info(f.type))
            return InvalidInputError(
                f"field `{name}` must be {wanted}; got {_shown(field_value)}", field=name
            )
    return InvalidInputError(f"{what} does not match its schema")  # pragma: no cover


def _shown(value: Any) -> str:
    """A value as quoted in a message: its type, and strings' length or start."""
    if isinstance(value, str):
        if len(value) > 40:
            return f"a string of {len(value)} characters"
        return f"{json.dumps(value, ensure_ascii=True)}"
    return json_type(value)
