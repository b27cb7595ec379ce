"""Planning one article's ingestion: from a validated input to a change set (no I/O).

The use case (:mod:`service.usecases`) does the I/O around these two functions:

1. :func:`prepare` splits and fingerprints the article (pure);
2. the use case embeds the fingerprints the world has not seen and searches the index;
3. :func:`plan` runs the dedup and group stages against the world and returns the
   :class:`ChangeSet` to commit, plus what to tell the client.
"""

from __future__ import annotations

import dataclasses
import hashlib
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import msgspec
import numpy as np
from numpy.typing import NDArray

from service.domain.errors import InvalidInputError
from service.domain.models import Article, ArticleInput, ChangeSet, Paragraph, Story, TextRecord
from service.domain.world import World
from service.pipeline.constraints import article_entities, entity_conflict
from service.pipeline.dedup import DedupConfig, Neighbour, NewText, assign_clusters
from service.pipeline.fingerprint import fingerprint
from service.pipeline.group import ArticleEvidence, GroupConfig, StoryCandidate, assign_story
from service.pipeline.language import (
    LanguageConfig,
    LanguageGuess,
    article_language,
    compatible,
    embedder_understands,
)
from service.pipeline.lexical import signature
from service.pipeline.normalise import normalise_line, normalise_text
from service.pipeline.recurrence import RecurrenceIndex
from service.pipeline.split import SplitConfig, SplitParagraph, count_words, split_article
from service.pipeline.urls import canonical_url


@dataclass(frozen=True, slots=True)
class PreparedArticle:
    """An input split into paragraphs, each with its fingerprint.

    Attributes:
        source: the validated input.
        paragraphs: kept paragraphs in order.
        fingerprints: ``fingerprints[i]`` belongs to ``paragraphs[i]``.
        content_hash: digest of every submitted field (an identical re-post has the same one).
        language: its language (the client's, or detected on title and body).
        semantic: whether the embedder understands that language
            (:func:`service.pipeline.language.embedder_understands`); when not, its cosines
            are no evidence: near-duplicates need the lexical check, and only shared
            paragraphs link it to a story (the regrouping pass adds TF-IDF).
    """

    source: ArticleInput
    paragraphs: tuple[SplitParagraph, ...]
    fingerprints: tuple[str, ...]
    content_hash: str
    language: LanguageGuess
    semantic: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the client is told about one accepted article.

    Attributes:
        article_id: the article.
        story_id: its current story.
        status: ``created``, ``updated`` or ``unchanged``.
        paragraphs: kept paragraphs.
        near_duplicate_paragraphs: paragraphs whose cluster another article also carries.
        embedded: distinct new texts that had to be embedded.
        merged_story_ids: stories merged into ``story_id`` by this article.
        reason: how the story was chosen (see :class:`service.pipeline.group.GroupDecision`).
        canonical_url: the URL the article is stored under (:mod:`service.pipeline.urls`); for
            an ``unchanged`` re-post under another URL, the stored article's.
        language: the stored article's language (``None``: stored before languages were kept).
    """

    article_id: str
    story_id: str
    status: str
    paragraphs: int
    near_duplicate_paragraphs: int
    embedded: int
    merged_story_ids: tuple[str, ...] = ()
    reason: str = "unchanged"
    canonical_url: str = ""
    language: str | None = None


def normalised_input(source: ArticleInput) -> ArticleInput:
    """The input as Wiredesk stores and shows it: text normalised once, URL canonical.

    Body, title and outlet go through :mod:`service.pipeline.normalise` (entities decoded once,
    invisible and control characters removed, NFC, whitespace collapsed, paragraph breaks kept)
    and the URL through :func:`service.pipeline.urls.canonical_url`.

    Raises:
        InvalidInputError: the outlet has no visible character left, or the URL holds a
            control or invisible format character (an identity is refused, never altered).
    """
    outlet = normalise_line(source.outlet)
    if not outlet:
        raise InvalidInputError("outlet has no visible characters", field="outlet")
    if any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in source.url):
        raise InvalidInputError(
            "url must not contain control or invisible format characters", field="url"
        )
    title = normalise_line(source.title) if source.title is not None else ""
    return dataclasses.replace(
        source,
        url=canonical_url(source.url),
        outlet=outlet,
        title=title or None,
        text=normalise_text(source.text),
    )


def prepare(
    source: ArticleInput, config: SplitConfig, languages: LanguageConfig | None = None
) -> PreparedArticle:
    """Normalise, split, fingerprint an article and find its language.

    The content hash is taken over the normalised fields, so a re-post that differs only in
    whitespace, a trailing newline, entity escaping or invisible characters is ``unchanged``.
    A client's language tag is part of it (a detected language is a function of the text).

    Raises:
        InvalidInputError: the outlet is blank once normalised, the text has no news
            paragraph left once page furniture (footers, teasers, credits, bylines) is
            removed, or the client's language tag is not one.
    """
    source = normalised_input(source)
    languages = languages or LanguageConfig()
    try:
        language = article_language(source.title, source.text, source.language, languages)
    except ValueError as exc:
        raise InvalidInputError(str(exc), field="language") from exc
    paragraphs = split_article(source.text, config)
    if not paragraphs:
        raise InvalidInputError(
            "text has no news paragraph: it is empty, or only boilerplate (footers, related-link "
            "teasers, newsletter or social prompts, credits, bylines, captions)",
            field="text",
        )
    fields: tuple[object, ...] = (
        source.url,
        source.outlet,
        source.title,
        source.text,
        source.published_at,
        source.story_key,
    )
    if source.language is not None:  # appended only when sent: stored hashes stay valid
        fields += (language.language,)
    digest = hashlib.blake2b(msgspec.json.encode(fields), digest_size=16).hexdigest()
    return PreparedArticle(
        source=source,
        paragraphs=paragraphs,
        fingerprints=tuple(fingerprint(p.text) for p in paragraphs),
        content_hash=digest,
        language=language,
        semantic=embedder_understands(language.language, languages),
    )


def new_fingerprints(world: World, prepared: PreparedArticle) -> list[tuple[str, str]]:
    """``(fingerprint, text)`` of the paragraphs the world has no vector for, first seen first."""
    out: dict[str, str] = {}
    for fp, p in zip(prepared.fingerprints, prepared.paragraphs, strict=True):
        if fp not in world.by_fingerprint:
            out.setdefault(fp, p.text)
    return list(out.items())


def plan(
    world: World,
    prepared: PreparedArticle,
    new_vectors: Mapping[str, NDArray[np.float32]],
    neighbours: Mapping[str, Sequence[Neighbour]],
    known_vectors: Mapping[int, NDArray[np.float32]],
    now: float,
    dedup: DedupConfig,
    group: GroupConfig,
    recurrence: RecurrenceIndex | None = None,
) -> tuple[ChangeSet, Outcome]:
    """Plan the change set for one prepared article.

    Args:
        world: the current state (not modified).
        prepared: the article.
        new_vectors: unit vector of every fingerprint in :func:`new_fingerprints`.
        neighbours: nearest existing texts of each new fingerprint.
        known_vectors: vectors of the article's already-known texts, by text id.
        now: the current time.
        dedup: near-duplicate decision config.
        group: story grouping config.
        recurrence: learned boilerplate statistics (a recurring off-topic paragraph links no
            story); None: every shared paragraph counts.

    Returns:
        The change set and the outcome. An identical re-post returns an empty change set.
    """
    source = prepared.source
    existing_id = world.by_url.get(source.url)
    existing = world.articles.get(existing_id) if existing_id else None
    if existing is not None and existing.content_hash == prepared.content_hash:
        return ChangeSet(), _outcome(world, existing, "unchanged", 0, (), "unchanged", {})
    if existing is None:
        # The same outlet posting the same body under another URL is the same article.
        key = content_key(world, source.outlet, prepared.fingerprints)
        copy_id = world.by_content.get(key) if key is not None else None
        copy = world.articles.get(copy_id) if copy_id else None
        if copy is not None:
            return ChangeSet(), _outcome(world, copy, "unchanged", 0, (), "unchanged", {})

    counters = dict(world.counters)
    text_ids, new_texts, text_records, cluster_by_text = _place_texts(
        world, prepared, new_vectors, neighbours, counters, dedup
    )
    boilerplate = learned_boilerplate(prepared, text_ids, cluster_by_text, recurrence)
    doc_unit = _doc_vector(prepared, text_ids, new_vectors, known_vectors, boilerplate)
    if existing is not None and _keeps_story(world, existing, prepared.language.language):
        # An update keeps its story (see the README), unless its language changed so that
        # the story would mix languages: then it is placed afresh.
        story_id: str | None = world.current_story_id(existing.story_id)
        merged: tuple[str, ...] = ()
        reason = "update"
    else:
        story_id, merged, reason = _choose_story(
            world, prepared, text_ids, cluster_by_text, doc_unit, now, group, boilerplate
        )
    founded = story_id is None
    story_id, story_records, story_keys = _story_records(
        world, story_id, merged, source.story_key, counters, now
    )

    # 4. Article.
    if existing is not None:
        article_id, seq, ingested_at = existing.article_id, existing.seq, existing.ingested_at
    else:
        counters["article"] += 1
        article_id, seq, ingested_at = f"a{counters['article']}", counters["article"], now
    article = Article(
        article_id=article_id,
        seq=seq,
        url=source.url,
        outlet=source.outlet,
        title=source.title,
        published_at=source.published_at,
        ingested_at=ingested_at,
        updated_at=now,
        story_key=source.story_key,
        content_hash=prepared.content_hash,
        paragraphs=tuple(
            Paragraph(p.position, p.text, p.sentences, text_ids[fp])
            for p, fp in zip(prepared.paragraphs, prepared.fingerprints, strict=True)
        ),
        story_id=story_id,
        doc_vector=doc_unit.astype(np.float32).tobytes(),
        language=prepared.language.language,
    )
    changes = ChangeSet(
        articles=(article,),
        texts=text_records,
        vectors={t.text_id: np.asarray(t.vector, dtype=np.float32).tobytes() for t in new_texts},
        stories=story_records,
        redirects=dict.fromkeys(merged, story_id),
        story_keys=story_keys,
        counters=counters,
        # The id contract: a story founded by a regrouping split gets as founder the first
        # article its id is returned for (until then its founder is a placeholder).
        founders={story_id: article_id} if founded or world.founder_unissued(story_id) else {},
    )
    status = "updated" if existing is not None else "created"
    return changes, _outcome(
        world, article, status, len(new_texts), merged, reason, cluster_by_text
    )


def _keeps_story(world: World, existing: Article, language: str) -> bool:
    """Whether an update in ``language`` may stay in its story (its other members allow it)."""
    story_id = world.current_story_id(existing.story_id)
    others = frozenset(
        a.language
        for a in world.story_articles(story_id)
        if a.article_id != existing.article_id and a.language is not None
    )
    return existing.story_key is not None or compatible(others, language)


def content_key(
    world: World, outlet: str, fingerprints: Sequence[str]
) -> tuple[str, tuple[int, ...]] | None:
    """An article's content identity: its outlet (casefolded) and its paragraphs' text ids.

    Text ids are shared by exact copies (see :mod:`service.pipeline.fingerprint`), so two posts
    of one body by one outlet have one key whatever their URLs. ``None`` when a paragraph is
    new to the world (then no stored article can have the same content). The world keeps the
    same key for every stored article (:attr:`World.by_content`).
    """
    ids = [world.by_fingerprint.get(fp) for fp in fingerprints]
    if any(i is None for i in ids):
        return None
    return outlet.casefold(), tuple(i for i in ids if i is not None)


def _with_signature(world: World, hit: Neighbour) -> Neighbour:
    """The index hit with the lexical signature of its text (when the world still has it)."""
    text = world.text_content.get(hit.text_id)
    return Neighbour(hit.text_id, hit.score, signature(text) if text is not None else None)


def _place_texts(
    world: World,
    prepared: PreparedArticle,
    new_vectors: Mapping[str, NDArray[np.float32]],
    neighbours: Mapping[str, Sequence[Neighbour]],
    counters: dict[str, int],
    config: DedupConfig,
) -> tuple[dict[str, int], list[NewText], tuple[TextRecord, ...], dict[int, str]]:
    """Give every paragraph a text id; place the new texts in clusters (advances ``counters``).

    Returns:
        ``(text id by fingerprint, new texts, their records, cluster by text id)``.
    """
    text_ids: dict[str, int] = {}
    new_texts: list[NewText] = []
    for fp, p in zip(prepared.fingerprints, prepared.paragraphs, strict=True):
        if fp in world.by_fingerprint:
            text_ids[fp] = world.by_fingerprint[fp]
        elif fp not in text_ids:
            counters["text"] += 1
            text_ids[fp] = counters["text"]
            new_texts.append(
                NewText(
                    counters["text"],
                    new_vectors[fp],
                    count_words(p.text),
                    signature(p.text),
                    lexical_only=not prepared.semantic,
                )
            )
    fingerprint_of = {tid: fp for fp, tid in text_ids.items()}
    # A hit whose text the world does not hold cannot have its facts checked: it is skipped,
    # so no paragraph joins a cluster on its cosine alone. A hit in another language is
    # skipped too: clusters hold one language (the English embedder puts unrelated
    # non-English texts close together).
    language = prepared.language.language
    near = {
        t.text_id: [
            hit
            for n in neighbours.get(fingerprint_of[t.text_id], ())
            if world.text_language.get(n.text_id, language) == language
            and (hit := _with_signature(world, n)).signature is not None
        ]
        for t in new_texts
    }
    cluster_of = {
        n.text_id: world.texts[n.text_id].cluster_id
        for hits in near.values()
        for n in hits
        if n.text_id in world.texts
    }
    assignments, next_cluster = assign_clusters(
        new_texts, near, cluster_of, counters["cluster"] + 1, config
    )
    counters["cluster"] = next_cluster - 1
    words = {t.text_id: t.word_count for t in new_texts}
    records = tuple(
        TextRecord(a.text_id, fingerprint_of[a.text_id], a.cluster_id, words[a.text_id])
        for a in assignments
    )
    cluster_by_text = {
        tid: world.texts[tid].cluster_id for tid in text_ids.values() if tid in world.texts
    }
    cluster_by_text.update({r.text_id: r.cluster_id for r in records})
    return text_ids, new_texts, records, cluster_by_text


def learned_boilerplate(
    prepared: PreparedArticle,
    text_ids: Mapping[str, int],
    cluster_by_text: Mapping[int, str],
    recurrence: RecurrenceIndex | None,
) -> set[int]:
    """Text ids of the article's paragraphs that are learned boilerplate, this article counted.

    (:mod:`service.pipeline.recurrence`: the second article that ends with a footer already
    finds it boilerplate.)
    """
    if recurrence is None:
        return set()
    source = prepared.source
    off_topic = recurrence.flags([p.text for p in prepared.paragraphs], source.title)
    own = frozenset(cluster_by_text[text_ids[fp]] for fp in prepared.fingerprints)
    return {
        text_ids[fp]
        for fp, off in zip(prepared.fingerprints, off_topic, strict=True)
        if recurrence.is_boilerplate(cluster_by_text[text_ids[fp]], (off, own))
    }


def _doc_vector(
    prepared: PreparedArticle,
    text_ids: Mapping[str, int],
    new_vectors: Mapping[str, NDArray[np.float32]],
    known_vectors: Mapping[int, NDArray[np.float32]],
    boilerplate: Collection[int] = (),
) -> NDArray[np.float64]:
    """The article's document vector: the normalised mean of its paragraph vectors.

    Paragraphs whose texts are in ``boilerplate`` (text ids; learned boilerplate) are left
    out, unless nothing would be left.
    """
    kept = [fp for fp in prepared.fingerprints if text_ids[fp] not in boilerplate]
    rows = [
        new_vectors[fp] if fp in new_vectors else known_vectors[text_ids[fp]]
        for fp in (kept or prepared.fingerprints)
    ]
    doc = np.mean(np.asarray(rows, dtype=np.float64), axis=0)
    norm = float(np.linalg.norm(doc))
    out: NDArray[np.float64] = doc / norm if norm > 0 else doc
    return out


def found_story(counters: dict[str, int], now: float, story_key: str | None = None) -> Story:
    """A new story record (version 1), numbered by the next ``story`` counter (incremented)."""
    counters["story"] += 1
    return Story(f"s{counters['story']}", counters["story"], now, now, 1, story_key)


def bump_story(world: World, story_id: str, merged: Iterable[str], now: float) -> Story:
    """The story's record after a membership change at ``now``.

    Its new version exceeds its old one and every merged story's, so no cached brief of any of
    them can be served for it. :func:`service.lineage.finalise` drops the bump again when the
    story's members and their content did not change (no churn).
    """
    old = world.stories[story_id]
    version = old.version + 1 + sum(world.stories[m].version for m in merged)
    return dataclasses.replace(old, updated_at=now, version=version)


def _story_records(
    world: World,
    story_id: str | None,
    merged: tuple[str, ...],
    story_key: str | None,
    counters: dict[str, int],
    now: float,
) -> tuple[str, tuple[Story, ...], dict[str, str]]:
    """Found the story (``story_id is None``) or bump the joined survivor's version."""
    if story_id is None:
        story = found_story(counters, now, story_key)
        keys = {story_key: story.story_id} if story_key is not None else {}
        return story.story_id, (story,), keys
    return story_id, (bump_story(world, story_id, merged, now),), {}


def story_entities(world: World, story_id: str) -> frozenset[str]:
    """The named entities of a story's articles (their union).

    Each article's entities are extracted once and kept in ``world.entity_cache`` (by
    article id, with the record they came from: a replaced article is extracted again).
    Extracting them anew for every member of every candidate story, for every arriving
    article, was the largest part of the ingest cost once stories reached a hundred
    articles (docs/PERFORMANCE.md, section 6).
    """
    out: set[str] = set()
    cache = world.entity_cache
    for article_id in world.members.get(world.current_story_id(story_id), ()):
        article = world.articles[article_id]
        cached = cache.get(article_id)
        if cached is None or cached[0] is not article:
            cached = (
                article,
                article_entities(article.title, (p.text for p in article.paragraphs)),
            )
            cache[article_id] = cached
        out |= cached[1]
    return frozenset(out)


def _choose_story(
    world: World,
    prepared: PreparedArticle,
    text_ids: Mapping[str, int],
    cluster_by_text: Mapping[int, str],
    doc_unit: NDArray[np.float64],
    now: float,
    config: GroupConfig,
    boilerplate_texts: Collection[int] = (),
) -> tuple[str | None, tuple[str, ...], str]:
    source = prepared.source
    language = prepared.language.language
    keyed = world.story_keys.get(source.story_key) if source.story_key is not None else None
    evidence = ArticleEvidence(
        time=source.published_at if source.published_at is not None else now,
        story_key=source.story_key,
        keyed_story_id=world.current_story_id(keyed) if keyed is not None else None,
    )
    shared: dict[str, set[str]] = {}
    # Learned boilerplate (a footer, a teaser) is no evidence of a story.
    boilerplate = {cluster_by_text[t] for t in boilerplate_texts}
    if source.story_key is None:
        for fp, p in zip(prepared.fingerprints, prepared.paragraphs, strict=True):
            if count_words(p.text) < config.min_shared_words:
                continue
            cluster = cluster_by_text[text_ids[fp]]
            if cluster in boilerplate:
                continue  # learned boilerplate (a footer, a teaser) is no evidence of a story
            for other in world.cluster_articles.get(cluster, {}):
                carrier = world.articles[other]
                if not compatible(frozenset({carrier.language or language}), language):
                    continue  # an exact copy in another language links no story
                if carrier.outlet == source.outlet:
                    # An outlet repeats its own house lines (a sign-off, a disclaimer) in
                    # every story it runs: a paragraph shared only with the same outlet is no
                    # evidence of one story, or one such line would chain them all together.
                    # Wire copy is shared across outlets; an outlet's own follow-up still
                    # joins by similarity.
                    continue
                sid = world.current_story_id(carrier.story_id)
                shared.setdefault(sid, set()).add(cluster)
        # The embedder's similarity is evidence only in a language it understands.
        similar = (
            world.similar_stories(doc_unit, config.join_similarity) if prepared.semantic else {}
        )
    else:
        similar = {}
    # Stories never mix languages (while the embedder is English-only).
    for sid in [s for s in set(shared) | set(similar) if not world.story_allows(s, language)]:
        shared.pop(sid, None)
        similar.pop(sid, None)
    entities = article_entities(
        source.title,
        (
            p.text
            for fp, p in zip(prepared.fingerprints, prepared.paragraphs, strict=True)
            if cluster_by_text[text_ids[fp]] not in boilerplate
        ),
    )
    candidates = []
    for sid in sorted(set(shared) | set(similar)):
        first, last = world.story_span(sid)
        story = world.stories[sid]
        candidates.append(
            StoryCandidate(
                sid,
                story.seq,
                first,
                last,
                len(shared.get(sid, ())),
                similar.get(sid, 0.0),
                story.story_key,
                conflict=entity_conflict(entities, story_entities(world, sid), config.entities),
            )
        )
    pairs = {
        frozenset((a.story_id, b.story_id)): world.story_similarity(a.story_id, b.story_id)
        for x, a in enumerate(candidates)
        for b in candidates[x + 1 :]
    }
    decision = assign_story(evidence, candidates, config, pairs)
    return decision.story_id, decision.merged, decision.reason


def _outcome(
    world: World,
    article: Article,
    status: str,
    embedded: int,
    merged: tuple[str, ...],
    reason: str,
    cluster_by_text: Mapping[int, str],
) -> Outcome:
    near = 0
    for p in article.paragraphs:
        cluster = cluster_by_text.get(p.text_id) or world.texts[p.text_id].cluster_id
        carriers = world.cluster_articles.get(cluster, {})
        if any(a != article.article_id for a in carriers):
            near += 1
    return Outcome(
        article_id=article.article_id,
        story_id=world.current_story_id(article.story_id)
        if status == "unchanged"
        else article.story_id,
        status=status,
        paragraphs=len(article.paragraphs),
        near_duplicate_paragraphs=near,
        embedded=embedded,
        merged_story_ids=merged,
        reason=reason,
        canonical_url=article.url,
        language=article.language,
    )
