"""Request and response bodies (msgspec Structs: the only place they exist) and converters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from service.domain.errors import InvalidInputError
from service.domain.lineage import StoryEvent
from service.domain.models import Article, ArticleInput
from service.domain.world import ClusterView, StoryView
from service.ingest import Outcome
from service.pipeline.extract import ExtractedPage
from service.pipeline.language import client_language
from service.usecases import BriefView, HistoryPage, StoryDetail

Url = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=2048,
        description="The article's URL; its canonical form (tracking parameters, fragment, "
        "default port and trailing slash dropped) is its identity",
    ),
]
Outlet = Annotated[str, Meta(min_length=1, max_length=200, description="Publisher name")]
Title = Annotated[str, Meta(max_length=1000)]
Key = Annotated[str, Meta(min_length=1, max_length=256)]

# Publication times outside these bounds are data errors, and times near year 1 or 9999 cannot
# be rendered back once shifted to UTC (``datetime.fromtimestamp`` overflows), so refuse them.
EARLIEST = datetime(1800, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


class ArticleIn(msgspec.Struct, forbid_unknown_fields=True):
    """One article: ``text`` (paragraphs separated by newlines) or a web page's ``html``."""

    url: Url
    outlet: Outlet
    text: (
        Annotated[str, Meta(min_length=1, description="Body; newline-separated paragraphs")] | None
    ) = None
    html: (
        Annotated[
            str,
            Meta(
                min_length=1,
                description="A web page instead of text: its article, headline, publication "
                "time, author and canonical URL are extracted (trafilatura); fields sent "
                "beside it win",
            ),
        ]
        | None
    ) = None
    title: Title | None = None
    published_at: datetime | None = None
    story_key: Key | None = None
    language: (
        Annotated[
            str,
            Meta(
                min_length=2,
                max_length=35,
                description="Language tag (BCP 47, e.g. 'fr', 'pt-BR'; 'und' undetermined); "
                "omit it to have the language detected (py3langid). Stories never mix "
                "languages",
            ),
        ]
        | None
    ) = None


class BatchIn(msgspec.Struct, forbid_unknown_fields=True):
    """A batch; items are validated one by one so one bad item never sinks the batch."""

    articles: list[Any]


class ExtractedOut(msgspec.Struct):
    """What was extracted from a posted page (``null`` fields were not found)."""

    title: str | None
    published_at: str | None
    author: str | None
    canonical_url: str | None
    site_name: str | None
    paragraphs: int


class ArticleAccepted(msgspec.Struct):
    """What an accepted article became."""

    article_id: str
    story_id: str
    status: str
    paragraphs: int
    near_duplicate_paragraphs: int
    embedded_paragraphs: int
    merged_story_ids: list[str]
    story_reason: str
    canonical_url: str
    extracted: ExtractedOut | None = None
    language: str | None = None


class ItemError(msgspec.Struct):
    """Why one batch item was refused."""

    status_code: int
    detail: str
    field: str | None = None


class BatchItem(msgspec.Struct):
    """One batch result, in input order."""

    index: int
    ok: bool
    result: ArticleAccepted | None = None
    error: ItemError | None = None


class BatchOut(msgspec.Struct):
    """Batch results in input order."""

    results: list[BatchItem]
    accepted: int
    rejected: int


class ParagraphOut(msgspec.Struct):
    """A stored paragraph with its near-duplicate cluster."""

    position: int
    text: str
    sentences: list[str]
    cluster_id: str


class ArticleOut(msgspec.Struct):
    """A stored article."""

    article_id: str
    url: str
    outlet: str
    title: str | None
    published_at: str | None
    ingested_at: str
    updated_at: str
    story_id: str
    story_key: str | None
    paragraphs: list[ParagraphOut]
    language: str | None = None


class ArticleBrief(msgspec.Struct):
    """An article as listed in a story."""

    article_id: str
    outlet: str
    title: str | None
    url: str
    published_at: str | None
    language: str | None = None


class ClusterParagraphOut(msgspec.Struct):
    """One occurrence of a cluster."""

    article_id: str
    outlet: str
    position: int
    text: str


class ClusterOut(msgspec.Struct):
    """A near-duplicate paragraph cluster."""

    cluster_id: str
    outlets: list[str]
    article_ids: list[str]
    origin_article_id: str
    echo_article_ids: list[str]
    story_ids: list[str]
    paragraphs: list[ClusterParagraphOut]


class StoryOut(msgspec.Struct):
    """A story's summary line."""

    story_id: str
    title: str | None
    article_count: int
    outlets: list[str]
    first_seen: str
    last_seen: str
    created_at: str
    updated_at: str
    version: int
    story_key: str | None
    languages: list[str] = msgspec.field(default_factory=list)


class StoryPageOut(msgspec.Struct):
    """A page of stories."""

    stories: list[StoryOut]
    next_cursor: str | None


class StoryDetailOut(msgspec.Struct):
    """A story with members and clusters. ``requested_id`` differs when the story was merged."""

    story: StoryOut
    requested_id: str
    merged: bool
    articles: list[ArticleBrief]
    clusters: list[ClusterOut]


class VariantOut(msgspec.Struct):
    """An article carrying the sentence with different facts (another number, a negation)."""

    outlet: str
    article_id: str
    text: Annotated[str, Meta(description="That article's sentence, verbatim")]


class StoryEventOut(msgspec.Struct):
    """One lineage event.

    ``kind`` is one of ``created``, ``joined``, ``updated``, ``moved_in``, ``moved_out``,
    ``merged_from``, ``merged_into``, ``split_from``, ``split_into``, ``redirected``,
    ``title_changed`` (meanings: :data:`service.domain.lineage.EVENT_KINDS`).
    """

    event_id: int
    story_id: str
    kind: str
    at: str
    reason: str
    article_ids: list[str]
    other_story_id: str | None
    title: str | None
    previous_title: str | None
    version: int | None = None  # the story's version after the change (None: not recorded)


class StoryHistoryOut(msgspec.Struct):
    """A story's history, newest first; ``next_cursor`` pages to older events."""

    story_id: str
    requested_id: str
    merged: bool
    live: bool
    order: str
    events: list[StoryEventOut]
    next_cursor: str | None


class BriefSentenceOut(msgspec.Struct):
    """One verbatim sentence; the outlets/articles carrying it with the same facts; variants."""

    text: str
    outlets: list[str]
    article_ids: list[str]
    source_article_id: str
    score: float
    variants: list[VariantOut]


class BriefOut(msgspec.Struct):
    """A story's extractive brief."""

    story_id: str
    version: int
    cached: bool
    text: str
    sentences: list[BriefSentenceOut]
    outlets: list[str]
    word_count: int
    max_words: int
    max_sentences: int | None
    method: str
    since_version: int | None = None  # set on a what's-new brief (``?since_version=N``)


class ClustersOut(msgspec.Struct):
    """Clusters for monitoring."""

    clusters: list[ClusterOut]


class HealthOut(msgspec.Struct):
    """Readiness."""

    status: str
    redis: bool
    index_vectors: int
    texts: int
    articles: int
    stories: int


# ------------------------------------------------------------------------------ converters
def iso(ts: float | None) -> str | None:
    """POSIX seconds to an ISO-8601 UTC string."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z")


def _iso(ts: float) -> str:
    out = iso(ts)
    assert out is not None
    return out


def to_input(
    item: ArticleIn, max_text_chars: int, page: ExtractedPage | None = None
) -> ArticleInput:
    """Check what the schema cannot and build the domain input.

    Args:
        item: the decoded body.
        max_text_chars: the text limit.
        page: what :func:`service.pipeline.extract.extract` found in ``item.html`` (the
            controller runs it off the event loop); its text, headline and time fill the
            fields the client did not send.

    Raises:
        InvalidInputError: neither or both of text and html, a blank field, an oversized text,
            text that is not valid Unicode, or a publication time outside 1800-2200.
    """
    for name in ("url", "outlet"):
        if not getattr(item, name).strip():
            raise InvalidInputError(f"{name} must not be blank", field=name)
    if any(c.isspace() for c in item.url.strip()):
        raise InvalidInputError("url must not contain whitespace", field="url")
    if (item.text is None) == (item.html is None):
        raise InvalidInputError(
            "send the article as either text or html (exactly one of them)", field="text"
        )
    text = page.text if page is not None else item.text or ""
    if not text.strip():
        raise InvalidInputError("text must not be blank", field="text")
    if len(text) > max_text_chars:
        raise InvalidInputError(
            f"text has {len(text)} characters; the limit is {max_text_chars}", field="text"
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates from \ud800-style JSON escapes
        raise InvalidInputError("text is not valid Unicode", field="text") from exc
    published = None
    if item.published_at is not None:
        moment = item.published_at
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if not EARLIEST <= moment <= LATEST:
            raise InvalidInputError(
                f"published_at {moment.isoformat()} is outside the accepted range "
                f"{EARLIEST.date()} to {LATEST.date()}",
                field="published_at",
            )
        published = moment.timestamp()
    elif page is not None:
        published = page.published_at
    title = item.title.strip() if item.title and item.title.strip() else None
    if title is None and page is not None:
        title = page.title
    key = item.story_key.strip() if item.story_key and item.story_key.strip() else None
    return ArticleInput(
        item.url.strip(), item.outlet.strip(), title, text, published, key, _language(item)
    )


def _language(item: ArticleIn) -> str | None:
    """The client's language tag as stored (its primary subtag), or ``None`` to detect."""
    if item.language is None:
        return None
    try:
        return client_language(item.language)
    except ValueError as exc:
        raise InvalidInputError(str(exc), field="language") from exc


def extracted_out(page: ExtractedPage | None) -> ExtractedOut | None:
    """What extraction found, for the response."""
    if page is None:
        return None
    return ExtractedOut(
        title=page.title,
        published_at=iso(page.published_at),
        author=page.author,
        canonical_url=page.canonical_url,
        site_name=page.site_name,
        paragraphs=len(page.text.splitlines()),
    )


def accepted(outcome: Outcome, page: ExtractedPage | None = None) -> ArticleAccepted:
    """Outcome to its response body (with what was extracted, for a posted page)."""
    return ArticleAccepted(
        article_id=outcome.article_id,
        story_id=outcome.story_id,
        status=outcome.status,
        paragraphs=outcome.paragraphs,
        near_duplicate_paragraphs=outcome.near_duplicate_paragraphs,
        embedded_paragraphs=outcome.embedded,
        merged_story_ids=list(outcome.merged_story_ids),
        story_reason=outcome.reason,
        canonical_url=outcome.canonical_url,
        extracted=extracted_out(page),
        language=outcome.language,
    )


def article_out(article: Article, story_id: str, clusters: tuple[str, ...]) -> ArticleOut:
    """A stored article to its response body."""
    return ArticleOut(
        article_id=article.article_id,
        url=article.url,
        outlet=article.outlet,
        title=article.title,
        published_at=iso(article.published_at),
        ingested_at=_iso(article.ingested_at),
        updated_at=_iso(article.updated_at),
        story_id=story_id,
        story_key=article.story_key,
        paragraphs=[
            ParagraphOut(p.position, p.text, list(p.sentences), c)
            for p, c in zip(article.paragraphs, clusters, strict=True)
        ],
        language=article.language,
    )


def story_out(view: StoryView) -> StoryOut:
    """A story summary to its response body."""
    return StoryOut(
        story_id=view.story_id,
        title=view.title,
        article_count=view.article_count,
        outlets=list(view.outlets),
        first_seen=_iso(view.first_seen),
        last_seen=_iso(view.last_seen),
        created_at=_iso(view.created_at),
        updated_at=_iso(view.updated_at),
        version=view.version,
        story_key=view.story_key,
        languages=list(view.languages),
    )


def cluster_out(view: ClusterView) -> ClusterOut:
    """A cluster to its response body."""
    return ClusterOut(
        cluster_id=view.cluster_id,
        outlets=list(view.outlets),
        article_ids=list(view.article_ids),
        origin_article_id=view.origin_article_id,
        echo_article_ids=list(view.article_ids[1:]),
        story_ids=list(view.story_ids),
        paragraphs=[
            ClusterParagraphOut(p.article_id, p.outlet, p.position, p.text) for p in view.paragraphs
        ],
    )


def story_detail_out(detail: StoryDetail) -> StoryDetailOut:
    """A story detail to its response body."""
    return StoryDetailOut(
        story=story_out(detail.story),
        requested_id=detail.requested_id,
        merged=detail.requested_id != detail.story.story_id,
        articles=[
            ArticleBrief(a.article_id, a.outlet, a.title, a.url, iso(a.published_at), a.language)
            for a in detail.articles
        ],
        clusters=[cluster_out(c) for c in detail.clusters],
    )


def event_out(event: StoryEvent) -> StoryEventOut:
    """A lineage event to its response body."""
    return StoryEventOut(
        event.event_id,
        event.story_id,
        event.kind,
        _iso(event.at),
        event.reason,
        list(event.article_ids),
        event.other_story_id,
        event.title,
        event.previous_title,
        event.version,
    )


def history_out(page: HistoryPage) -> StoryHistoryOut:
    """A history page to its response body."""
    return StoryHistoryOut(
        story_id=page.story_id,
        requested_id=page.requested_id,
        merged=page.requested_id != page.story_id,
        live=page.live,
        order="newest_first",
        events=[event_out(e) for e in page.events],
        next_cursor=page.next_cursor,
    )


def brief_out(view: BriefView) -> BriefOut:
    """A brief to its response body."""
    return BriefOut(
        story_id=view.story_id,
        version=view.version,
        cached=view.cached,
        text=view.text,
        sentences=[
            BriefSentenceOut(
                s.text,
                list(s.outlets),
                list(s.article_ids),
                s.source_article_id,
                s.score,
                [VariantOut(v.outlet, v.article_id, v.text) for v in s.variants],
            )
            for s in view.sentences
        ],
        outlets=list(view.outlets),
        word_count=view.word_count,
        max_words=view.max_words,
        max_sentences=view.max_sentences,
        method=view.method,
        since_version=view.since_version,
    )
