"""The records Wiredesk keeps: articles, paragraph texts, stories, and the change sets between them.

All records are frozen: the in-memory world (:class:`service.domain.world.World`) replaces them,
never mutates them, so a reader always sees a whole record. Times are POSIX seconds (UTC).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from service.domain.lineage import StoryEvent


@dataclass(frozen=True, slots=True)
class ArticleInput:
    """One article as a client submits it, already validated at the edge.

    Attributes:
        url: canonical URL; the article's identity (re-posting it is idempotent or an update).
        outlet: the publisher's name as the client spells it (e.g. ``"CBS News"``).
        title: headline, if any.
        text: body; paragraphs are separated by newlines.
        published_at: publication time, if known.
        story_key: optional client grouping key: articles with one key always share a story.
        language: the client's language tag (a BCP 47 tag; ``None``: detected, see
            :mod:`service.pipeline.language`).
    """

    url: str
    outlet: str
    title: str | None
    text: str
    published_at: float | None = None
    story_key: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph occurrence in one article.

    Attributes:
        position: 0-based index among the article's kept paragraphs.
        text: the paragraph (whitespace collapsed, otherwise verbatim).
        sentences: its sentences, verbatim; ``" ".join(sentences) == text``.
        text_id: id of its distinct normalised text (shared by exact copies in other articles).
    """

    position: int
    text: str
    sentences: tuple[str, ...]
    text_id: int


@dataclass(frozen=True, slots=True)
class Article:
    """A stored article.

    Attributes:
        article_id: stable id (``a<seq>``).
        seq: ingestion order, 1-based; ties of time are broken by it.
        url: identity of the article.
        outlet: publisher.
        title: headline, if any.
        published_at: publication time if the client gave one.
        ingested_at: when Wiredesk first stored it.
        updated_at: when its content last changed.
        story_key: client grouping key, if any.
        content_hash: digest of the submitted fields; an identical re-post changes nothing.
        paragraphs: kept paragraphs in reading order.
        story_id: the story it was assigned to; follow redirects for the current one.
        doc_vector: unit-normalised float32 bytes: the mean of its paragraph vectors.
        language: ISO 639-1 code (``und``: undetermined; see :mod:`service.pipeline.language`);
            ``None`` on records stored before languages were kept.
    """

    article_id: str
    seq: int
    url: str
    outlet: str
    title: str | None
    published_at: float | None
    ingested_at: float
    updated_at: float
    story_key: str | None
    content_hash: str
    paragraphs: tuple[Paragraph, ...]
    story_id: str
    doc_vector: bytes
    language: str | None = None

    @property
    def time(self) -> float:
        """Publication time, falling back to ingestion time when the client gave none."""
        return self.published_at if self.published_at is not None else self.ingested_at


@dataclass(frozen=True, slots=True)
class TextRecord:
    """A distinct normalised paragraph text, embedded once.

    Attributes:
        text_id: int64 id, also the paragraph's id in the vector index.
        fingerprint: digest of the normalised text (see :mod:`service.pipeline.fingerprint`).
        cluster_id: its near-duplicate cluster; clusters partition the texts.
        word_count: words in the text.
    """

    text_id: int
    fingerprint: str
    cluster_id: str
    word_count: int


@dataclass(frozen=True, slots=True)
class Story:
    """A story's own record; its members are derived from the articles.

    Attributes:
        story_id: stable id (``s<seq>``); a merged-away id redirects to its survivor.
        seq: creation order; the oldest story survives a merge.
        created_at: when it was created.
        updated_at: when its membership last changed.
        version: bumped on every membership change; briefs are cached per version.
        story_key: the client key that made it, if any.
        title: the story's title, chosen by :func:`service.pipeline.title.choose_title` when
            its membership changes; ``None`` on records stored before titles were kept (the
            oldest titled member's headline is shown for those).
        title_article_id: the member whose headline ``title`` is.
    """

    story_id: str
    seq: int
    created_at: float
    updated_at: float
    version: int
    story_key: str | None = None
    title: str | None = None
    title_article_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Everything one accepted article changes, committed to the store atomically.

    Attributes:
        articles: articles created or replaced.
        texts: new distinct texts.
        vectors: float32 vector bytes of the new texts, by text id.
        stories: stories created or changed.
        redirects: merged-away story id -> surviving story id.
        story_keys: new client key -> story id entries.
        counters: id counters after the change (``article``, ``text``, ``story``, ``cluster``,
            ``event``).
        events: the story history entries this change makes (derived from the rest by
            :func:`service.lineage.finalise` just before the commit).
        founders: story id -> the id of its founding article, for stories founded by this
            change, or founded by a regrouping split and first returned by this change (the
            id contract: a story id follows its founder; see :mod:`service.regrouping`).
    """

    articles: tuple[Article, ...] = ()
    texts: tuple[TextRecord, ...] = ()
    vectors: Mapping[int, bytes] = field(default_factory=dict)
    stories: tuple[Story, ...] = ()
    redirects: Mapping[str, str] = field(default_factory=dict)
    story_keys: Mapping[str, str] = field(default_factory=dict)
    counters: Mapping[str, int] = field(default_factory=dict)
    events: tuple[StoryEvent, ...] = ()
    founders: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The whole stored state, as loaded at start-up (vectors are loaded separately)."""

    articles: tuple[Article, ...] = ()
    texts: tuple[TextRecord, ...] = ()
    stories: tuple[Story, ...] = ()
    redirects: Mapping[str, str] = field(default_factory=dict)
    story_keys: Mapping[str, str] = field(default_factory=dict)
    counters: Mapping[str, int] = field(default_factory=dict)
    events: tuple[StoryEvent, ...] = ()
    founders: Mapping[str, str] = field(default_factory=dict)
