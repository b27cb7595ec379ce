"""Thin controllers: decode, call one use case, encode."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, JSONBody, QueryParameter

from service.api import bodies, dashboard
from service.api.errors import status_of
from service.api.schemas import (
    ArticleAccepted,
    ArticleIn,
    ArticleOut,
    BatchIn,
    BatchItem,
    BatchOut,
    BriefOut,
    ClustersOut,
    HealthOut,
    ItemError,
    StoryDetailOut,
    StoryHistoryOut,
    StoryPageOut,
    accepted,
    article_out,
    brief_out,
    cluster_out,
    history_out,
    story_detail_out,
    story_out,
    to_input,
)
from service.domain.errors import InvalidInputError, WiredeskError
from service.domain.models import ArticleInput
from service.pipeline.extract import ExtractedPage, extract
from service.usecases import Wiredesk, search


def provide_wiredesk(state: State) -> Wiredesk:
    """The running service, put on the app state by the lifespan."""
    wiredesk: Wiredesk = state.wiredesk
    return wiredesk


def require_api_key(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    """Guard for write endpoints: when API keys are configured, require a valid bearer key."""
    keys: tuple[str, ...] = connection.app.state.settings.api_keys
    if not keys:
        return
    header = connection.headers.get("authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException("missing API key: send 'Authorization: Bearer <key>'")
    if not any(hmac.compare_digest(token.strip().encode(), k.encode()) for k in keys):
        raise NotAuthorizedException("invalid API key")


def json_body(schema: type[Any]) -> Callable[[Request[Any, Any, Any]], Awaitable[None]]:
    """A ``before_request`` hook: the body is checked by :mod:`service.api.bodies` first.

    The framework then only ever decodes bodies the project accepted, so every refusal carries
    the project's own message (415, 413 or 400), whatever the installed litestar says.
    """

    async def check(request: Request[Any, Any, Any]) -> None:
        limit: int = request.app.state.settings.max_body_bytes
        bodies.check_media_type(request.headers.get("content-type"))
        bodies.check_size(request.headers.get("content-length"), limit)
        bodies.decode(await request.body(), schema)

    return check


@post(
    "/articles",
    guards=[require_api_key],
    before_request=json_body(ArticleIn),
    summary="Submit one article",
    responses=None,
)
async def submit_article(
    data: JSONBody[ArticleIn], wiredesk: NamedDependency[Wiredesk], state: State
) -> Response[ArticleAccepted]:
    """Ingest one article: 201 when new, 200 when an update or an identical re-post."""
    page = await _extract(data)
    outcome = await wiredesk.submit(to_input(data, state.settings.max_text_chars, page))
    return Response(
        accepted(outcome, page), status_code=201 if outcome.status == "created" else 200
    )


async def _extract(item: ArticleIn) -> ExtractedPage | None:
    """The page's article, when ``html`` was sent (extraction runs off the event loop).

    Raises:
        InvalidInputError: the page is too large or holds no article.
    """
    if item.html is None or item.text is not None:
        return None  # no page, or both fields sent: to_input names the problem
    return await asyncio.to_thread(extract, item.html)


@post(
    "/articles/batch",
    guards=[require_api_key],
    before_request=json_body(BatchIn),
    status_code=200,
    summary="Submit many articles; each item succeeds or fails alone",
)
async def submit_batch(
    data: JSONBody[BatchIn], wiredesk: NamedDependency[Wiredesk], state: State
) -> BatchOut:
    """Ingest a batch in order; the result list matches the input list index for index."""
    limit = state.settings.max_batch_articles
    if not data.articles:
        raise InvalidInputError("articles must not be empty", field="articles")
    if len(data.articles) > limit:
        raise InvalidInputError(
            f"batch has {len(data.articles)} articles; the limit is {limit}", field="articles"
        )
    inputs: list[ArticleInput | WiredeskError] = []
    pages: list[ExtractedPage | None] = []
    for i, raw in enumerate(data.articles):
        page = None
        try:
            item = bodies.convert(raw, ArticleIn, f"batch item {i}")
            page = await _extract(item)
            inputs.append(to_input(item, state.settings.max_text_chars, page))
        except InvalidInputError as exc:
            inputs.append(exc)
        pages.append(page)
    results = await wiredesk.submit_many(inputs)
    items = []
    for i, result in enumerate(results):
        if isinstance(result, WiredeskError):
            field = getattr(result, "field", None)
            items.append(
                BatchItem(i, False, error=ItemError(status_of(result), str(result), field))
            )
        else:
            items.append(BatchItem(i, True, result=accepted(result, pages[i])))
    ok = sum(1 for it in items if it.ok)
    return BatchOut(items, accepted=ok, rejected=len(items) - ok)


@get("/articles/{article_id:str}", summary="One article with its clusters and current story")
async def get_article(article_id: FromPath[str], wiredesk: NamedDependency[Wiredesk]) -> ArticleOut:
    """The article, its paragraphs' cluster ids and its current story."""
    return article_out(*wiredesk.get_article(article_id))


@get("/stories", summary="Stories, newest-updated first; search and filters")
async def list_stories(
    wiredesk: NamedDependency[Wiredesk],
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    q: Annotated[str | None, QueryParameter(description=search.SEARCH_DOC)] = None,
    outlet: Annotated[str | None, QueryParameter(max_length=200)] = None,
    since: Annotated[str | None, QueryParameter(description=search.TIME_DOC)] = None,
    until: Annotated[str | None, QueryParameter(description=search.TIME_DOC)] = None,
    min_outlets: Annotated[int | None, QueryParameter(ge=1, le=10_000)] = None,
    language: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> StoryPageOut:
    """A page of stories; pass ``next_cursor`` back as ``cursor`` (with the same filters).

    ``q``: every normalised word (case and accents folded) must occur in the story's
    headlines or texts; ``outlet``: the story has an article from it; ``since``/``until``:
    the story's span overlaps the range; ``min_outlets``: distinct outlets; ``language``:
    an article in that language. See :mod:`service.usecases.search`.
    """
    query = search.parse_query(q, outlet, since, until, min_outlets, language)
    page = wiredesk.search.stories(query, limit, cursor)
    return StoryPageOut([story_out(s) for s in page.stories], page.next_cursor)


@get("/stories/{story_id:str}", summary="A story with members and near-duplicate clusters")
async def get_story(story_id: FromPath[str], wiredesk: NamedDependency[Wiredesk]) -> StoryDetailOut:
    """A story; a merged-away id answers with the surviving story (``merged: true``)."""
    return story_detail_out(wiredesk.get_story(story_id))


@get("/stories/{story_id:str}/history", summary="The story's lineage, newest first")
async def get_history(
    story_id: FromPath[str],
    wiredesk: NamedDependency[Wiredesk],
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
) -> StoryHistoryOut:
    """Created, joined, moved, merged, split and retitled events, newest first.

    A merged-away id answers with the surviving story's events and its own; an id whose
    story was emptied still answers (``live: false``); an id never issued is 404.
    """
    return history_out(wiredesk.get_history(story_id, limit, cursor))


@get("/stories/{story_id:str}/brief", summary="The story's extractive, attributed brief")
async def get_brief(
    story_id: FromPath[str],
    wiredesk: NamedDependency[Wiredesk],
    max_words: Annotated[int | None, QueryParameter(ge=10, le=2000)] = None,
    max_sentences: Annotated[int | None, QueryParameter(ge=1, le=200)] = None,
    since_version: Annotated[int | None, QueryParameter(le=2**62)] = None,
) -> BriefOut:
    """One brief per story version, cached in Redis (``cached`` tells).

    With ``since_version=N``: only what the story learned after version N (sentences of
    paragraphs first carried after it, attributed like the brief; not cached); 400 for a
    negative N or one ahead of the story's version (:mod:`service.usecases.whatsnew`).
    """
    if since_version is not None:
        return brief_out(
            await wiredesk.whatsnew.brief_since(story_id, since_version, max_words, max_sentences)
        )
    return brief_out(await wiredesk.get_brief(story_id, max_words, max_sentences))


@get("/clusters", summary="Near-duplicate paragraph clusters across outlets")
async def list_clusters(
    wiredesk: NamedDependency[Wiredesk],
    story_id: Annotated[str | None, QueryParameter(max_length=200)] = None,
    min_outlets: Annotated[int, QueryParameter(ge=1, le=10_000)] = 2,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> ClustersOut:
    """Clusters carried by at least ``min_outlets`` outlets, widest first."""
    return ClustersOut(
        [cluster_out(c) for c in wiredesk.list_clusters(story_id, min_outlets, limit)]
    )


@get("/health", summary="Redis and index status")
async def health(wiredesk: NamedDependency[Wiredesk]) -> Response[HealthOut]:
    """200 when Redis answers and the index is complete, else 503."""
    h = await wiredesk.health()
    body = HealthOut(
        "ok" if h.ok else "degraded", h.redis, h.index_vectors, h.texts, h.articles, h.stories
    )
    return Response(body, status_code=200 if h.ok else 503)


def require_metrics_key(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    """Guard for /metrics: when ``metrics_key`` is configured, require it as a bearer key."""
    key: str | None = connection.app.state.settings.metrics_key
    if not key:
        return
    scheme, _sep, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), key.encode()):
        raise NotAuthorizedException("missing or wrong metrics key (WIREDESK_METRICS_KEY)")


@get(
    "/metrics",
    guards=[require_metrics_key],
    media_type="text/plain; version=0.0.4",
    summary="Prometheus metrics",
)
async def metrics(wiredesk: NamedDependency[Wiredesk]) -> bytes:
    """Prometheus text exposition."""
    return wiredesk.metrics.render(wiredesk.gauges())


ROUTES = [
    submit_article,
    submit_batch,
    get_article,
    list_stories,
    get_story,
    get_history,
    get_brief,
    list_clusters,
    health,
    metrics,
    *dashboard.ROUTES,  # the operators' HTML pages and their /static/ assets
]
