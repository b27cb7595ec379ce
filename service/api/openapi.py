"""The OpenAPI document made complete, and an API reference page served with local assets.

Litestar documents each route's success answer and a generic 400. :func:`complete` adds, from
one table (:data:`OPERATIONS`, which must name every route: a test checks it), every error
status each route can answer with the project's error body and an example of it, the bearer
security scheme on the routes that need a key, and an example of every request body.

:class:`LocalDocsPlugin` serves ``/schema/docs``: the document rendered to HTML on the server
(Jinja2, autoescaped), with forms to try the read routes. Litestar's bundled UIs (Swagger UI,
ReDoc, Scalar, RapiDoc, Stoplight) load their JavaScript and CSS from a CDN, which an offline
or locked-down deployment cannot reach and which the Content-Security-Policy forbids; this page
loads nothing and runs no script.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jinja2
from litestar import Litestar, Request
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi.plugins import OpenAPIRenderPlugin

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every refusal: the status, a message naming the problem in Wiredesk's "
    "words, and the field at fault when one is",
    "properties": {
        "status_code": {"type": "integer"},
        "detail": {"type": "string"},
        "extra": {
            "type": "object",
            "properties": {"field": {"type": "string"}},
        },
    },
    "required": ["status_code", "detail"],
}

# What each status means, and an example body (the project's own messages).
STATUS_TEXT: dict[int, tuple[str, str]] = {
    400: (
        "Invalid parameter or body field, or a Host header not served here",
        "invalid parameter `limit`='0': outside its documented type or range "
        "(see /schema/openapi.json)",
    ),
    401: (
        "Missing or wrong API key (`Authorization: Bearer <key>`); only when keys are "
        "configured (WIREDESK_API_KEYS)",
        "missing API key: send 'Authorization: Bearer <key>'",
    ),
    404: ("No such id", "no story with id 's999'"),
    408: (
        "The request body stalled (WIREDESK_BODY_TIMEOUT_S)",
        "request body incomplete: nothing received for 15 s",
    ),
    409: (
        "The request conflicts with the current state (a full quota)",
        "100 webhooks exist, the limit (WIREDESK_WEBHOOKS__MAX_WEBHOOKS); delete one first",
    ),
    413: (
        "The body is over WIREDESK_MAX_BODY_BYTES",
        "request body is 9000000 bytes; the limit is 8388608 bytes (WIREDESK_MAX_BODY_BYTES)",
    ),
    415: (
        "The body was not sent as application/json",
        "request body must be sent as Content-Type: application/json (got text/plain)",
    ),
    429: (
        "Too many writes from this client (WIREDESK_WRITE_RATE_PER_MINUTE); see Retry-After",
        "too many writes from this client: the limit is 600 a minute "
        "(WIREDESK_WRITE_RATE_PER_MINUTE); retry after the Retry-After seconds",
    ),
    503: (
        "Redis is unavailable or a limit of concurrent use is reached; see Retry-After",
        "Redis is unavailable (ConnectionError); retry shortly",
    ),
}

ARTICLE_EXAMPLE: dict[str, Any] = {
    "url": "https://news.example/2026/11/29/millbrook-fire",
    "outlet": "Example News",
    "title": "Fire tears through Millbrook plastics factory",
    "text": "MILLBROOK, Ohio — A fire tore through a plastics factory early Tuesday.\n"
    "Fire Chief Dana Ruiz said crews fought the blaze for six hours.",
    "published_at": "2026-11-29T08:30:00Z",
}

WEBHOOK_EXAMPLE: dict[str, Any] = {
    "url": "https://hooks.example/wiredesk",
    "events": ["story.created", "brief.changed"],
    "outlet": "Example News",
    "keyword": "fire",
    "min_outlets": 2,
}

_WRITE = (400, 401, 408, 413, 415, 429, 503)

FEED_EXAMPLE: dict[str, Any] = {
    "url": "https://news.example/world/rss.xml",
    "outlet": "Example News",
    "interval_s": 600,
}


@dataclass(frozen=True, slots=True)
class Operation:
    """What :func:`complete` adds to one operation.

    Attributes:
        errors: error statuses the route can answer (400 is every route's: a Host header not
            served here).
        auth: the security scheme it needs (``bearer``: the write keys; ``metrics``: the
            metrics key), if any.
        example: an example request body.
        also: extra success statuses answered with the same body as the documented one, with
            their meaning.
        stream: an example of the body of a ``text/event-stream`` route.
    """

    errors: tuple[int, ...] = (400,)
    auth: str | None = None
    example: dict[str, Any] | None = None
    also: tuple[tuple[int, str], ...] = ()
    stream: str | None = None


STREAM_EXAMPLE = (
    ": wiredesk story events\nretry: 3000\n\n"
    "id: mh3k2x1a-41\nevent: story.created\n"
    'data: {"story_id":"s7","version":1,"title":"Millbrook factory fire forces evacuations",'
    '"outlets":["MSN"],"at":1764403200.0}\n\n'
    "id: mh3k2x1a-42\nevent: brief.changed\n"
    'data: {"story_id":"s7","version":1,"title":"Millbrook factory fire forces evacuations",'
    '"outlets":["MSN"],"at":1764403200.0}\n\n'
    ": heartbeat\n\n"
)


OPERATIONS: dict[tuple[str, str], Operation] = {
    ("POST", "/articles"): Operation(
        _WRITE,
        "bearer",
        ARTICLE_EXAMPLE,
        ((200, "An update of a known URL, or an identical re-post (nothing changed)"),),
    ),
    ("POST", "/articles/batch"): Operation(
        _WRITE,
        "bearer",
        {"articles": [ARTICLE_EXAMPLE, {**ARTICLE_EXAMPLE, "url": "https://b.example/fire"}]},
    ),
    ("GET", "/articles/{article_id}"): Operation((400, 404)),
    ("GET", "/stories"): Operation((400,)),
    ("GET", "/stories/{story_id}"): Operation((400, 404)),
    ("GET", "/stories/{story_id}/history"): Operation((400, 404)),
    ("GET", "/stories/{story_id}/brief"): Operation((400, 404, 503)),
    ("GET", "/clusters"): Operation((400, 404)),
    ("GET", "/health"): Operation(
        (400,), also=((503, "Degraded: Redis does not answer or the index is incomplete"),)
    ),
    ("GET", "/metrics"): Operation((400, 401), "metrics"),
    ("GET", "/events"): Operation((400, 404, 503), stream=STREAM_EXAMPLE),
    ("POST", "/webhooks"): Operation((*_WRITE, 409), "bearer", WEBHOOK_EXAMPLE),
    ("GET", "/webhooks"): Operation((400, 401), "bearer"),
    ("DELETE", "/webhooks/{webhook_id}"): Operation((400, 401, 404, 503), "bearer"),
    ("GET", "/webhooks/{webhook_id}/deliveries"): Operation((400, 401, 404, 503), "bearer"),
    ("POST", "/feeds"): Operation(
        _WRITE,
        "bearer",
        FEED_EXAMPLE,
        ((200, "The URL is registered already: the existing feed, unchanged"),),
    ),
    ("GET", "/feeds"): Operation((400, 503)),
    ("GET", "/feeds/{feed_id}"): Operation((400, 404, 503)),
    ("DELETE", "/feeds/{feed_id}"): Operation((400, 401, 404, 503), "bearer"),
}
"""Every route's additions, by method and path as the document writes them."""

SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A write key from WIREDESK_API_KEYS (required only when keys are set)",
    },
    "metrics": {
        "type": "http",
        "scheme": "bearer",
        "description": "The metrics key WIREDESK_METRICS_KEY (required only when it is set)",
    },
}

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) of every operation in an OpenAPI document."""
    return [
        (method.upper(), path, op)
        for path, item in schema.get("paths", {}).items()
        for method, op in item.items()
        if method in _METHODS and isinstance(op, dict)
    ]


def complete_schema(schema: dict[str, Any]) -> None:
    """Add :data:`OPERATIONS`' responses, security and examples to a document, in place.

    An operation the table does not describe gets the default (400 only); the test of this
    module fails on it, so a new route is described when it is added.
    """
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    components["securitySchemes"] = SECURITY_SCHEMES
    for method, path, op in operations(schema):
        spec = OPERATIONS.get((method, path), Operation())
        responses: dict[str, Any] = op.setdefault("responses", {})
        ok = next((v for k, v in responses.items() if k.startswith("2")), None)
        for status, meaning in spec.also:
            if ok is not None:
                responses[str(status)] = {**ok, "description": meaning}
        for status in spec.errors:
            meaning, detail = STATUS_TEXT[status]
            example: dict[str, Any] = {"status_code": status, "detail": detail}
            responses[str(status)] = {
                "description": meaning,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"},
                        "example": example,
                    }
                },
            }
        if spec.stream is not None:
            responses["200"] = {
                "description": "An endless text/event-stream (docs/EVENTS.md)",
                "content": {
                    "text/event-stream": {"schema": {"type": "string"}, "example": spec.stream}
                },
            }
        if spec.auth is not None:
            op["security"] = [{spec.auth: []}]
        if spec.example is not None:
            media = op.get("requestBody", {}).get("content", {}).get("application/json")
            if media is not None:
                media["example"] = spec.example


def complete(app: Litestar) -> None:
    """Build ``app``'s OpenAPI document now and complete it (litestar caches the dict).

    litestar 2.25 exposes its OpenAPI plugin only from a private module; the document itself
    is the public contract.
    """
    plugin = app.plugins.get(OpenAPIPlugin)
    complete_schema(plugin.provide_openapi_schema())


_PAGE = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ info.title }} API {{ info.version }}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
h2{border-top:1px solid #ccc;padding-top:1em;font-size:1.1em}
.m{display:inline-block;min-width:4.5em;font-weight:bold}
.get{color:#0a6}.post{color:#06c}.delete{color:#c30}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ddd;padding:2px 6px;
text-align:left;vertical-align:top}pre{background:#f6f6f6;padding:.5em;overflow:auto}
.lock{font-size:.85em;color:#a60}form{margin:.4em 0;padding:.4em;background:#f3f7ff}
</style></head><body>
<h1>{{ info.title }} API <small>{{ info.version }}</small></h1>
<p>{{ info.description }}</p>
<p>Machine-readable document: <a href="{{ json_path }}">{{ json_path }}</a>.
Routes marked <span class="lock">key</span> need <code>Authorization: Bearer &lt;key&gt;</code>
when keys are configured.</p>
<ul>{% for op in ops %}<li><a href="#{{ op.anchor }}">{{ op.method }} {{ op.path }}</a>
{{ op.summary }}</li>{% endfor %}</ul>
{% for op in ops %}
<h2 id="{{ op.anchor }}"><span class="m {{ op.method|lower }}">{{ op.method }}</span>
<code>{{ op.path }}</code> {{ op.summary }}
{% if op.security %}<span class="lock">key</span>{% endif %}</h2>
{% if op.description %}<p>{{ op.description }}</p>{% endif %}
{% if op.parameters %}<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th>
<th>description</th></tr>{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code></td>
<td>{{ p.in }}</td><td>{{ p.type }}</td><td>{{ "yes" if p.required else "no" }}</td>
<td>{{ p.description }}</td></tr>{% endfor %}</table>{% endif %}
{% if op.form %}<form method="get" action="{{ op.path }}">Try it:
{% for p in op.parameters if p.in == "query" %}<label>{{ p.name }}
<input name="{{ p.name }}" size="10"></label> {% endfor %}<button>GET</button></form>{% endif %}
{% if op.example %}<p>Example body:</p><pre>{{ op.example }}</pre>{% endif %}
<table><tr><th>status</th><th>meaning</th></tr>{% for code, text in op.responses %}
<tr><td>{{ code }}</td><td>{{ text }}</td></tr>{% endfor %}</table>
{% endfor %}
</body></html>
"""
)


def render_page(schema: dict[str, Any], json_path: str) -> str:
    """The reference page of an OpenAPI document (HTML; every value escaped)."""
    ops = []
    for method, path, op in operations(schema):
        parameters = [
            {
                "name": p.get("name", ""),
                "in": p.get("in", ""),
                "type": _type_name(p.get("schema", {})),
                "required": p.get("required", False),
                "description": p.get("description", ""),
            }
            for p in op.get("parameters", [])
        ]
        media = op.get("requestBody", {}).get("content", {}).get("application/json", {})
        example = media.get("example")
        ops.append(
            {
                "method": method,
                "path": path,
                "anchor": f"{method}-{path}".replace("/", "_").strip("_"),
                "summary": op.get("summary", ""),
                "description": op.get("description", ""),
                "security": bool(op.get("security")),
                "parameters": parameters,
                # Plain HTML forms can try read routes without path parameters (no script).
                "form": method == "GET" and "{" not in path and not op.get("security"),
                "example": json.dumps(example, indent=2) if example is not None else None,
                "responses": sorted(
                    (code, r.get("description", "")) for code, r in op.get("responses", {}).items()
                ),
            }
        )
    return _PAGE.render(info=schema.get("info", {}), ops=ops, json_path=json_path)


def _type_name(schema: dict[str, Any]) -> str:
    if "oneOf" in schema:
        return " or ".join(_type_name(s) for s in schema["oneOf"])
    kind = schema.get("type", "")
    if kind == "array":
        return f"array of {_type_name(schema.get('items', {}))}"
    return str(kind)


class LocalDocsPlugin(OpenAPIRenderPlugin):
    """``/schema/docs``: :func:`render_page`, no external assets (see module docstring)."""

    def __init__(self, path: str = "/docs") -> None:
        super().__init__(path=path)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The page for this app's document."""
        base = request.url.path.rsplit("/", 1)[0]
        return render_page(openapi_schema, f"{base}/openapi.json").encode()
