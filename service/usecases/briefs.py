"""Briefs: one extractive summary per story version, cached in-process and in Redis."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import OrderedDict

import msgspec

from service.domain.errors import UnavailableError
from service.pipeline.summarize import Brief, SourceSentence, summarize
from service.usecases.desk import Desk
from service.usecases.views import BriefSentenceView, BriefView, VariantView

log = logging.getLogger(__name__)

# Part of every brief cache key: bump it when the summariser's output changes for the same story
# version, so that briefs cached by an older release (kept in Redis across restarts) are not
# served. "facts1": fact-exact attribution, variants, lede (session 10); "facts2": fused
# furniture cut, headlines and torn quotes never picked, a lede must score (session 11).
BRIEF_FORMAT = "facts2"


def brief_view(
    story_id: str,
    version: int,
    brief: Brief,
    max_words: int,
    max_sentences: int | None,
    since_version: int | None = None,
) -> BriefView:
    """The served view of a summariser's brief (scores rounded to 6 places)."""
    return BriefView(
        story_id=story_id,
        version=version,
        text=brief.text,
        sentences=tuple(
            BriefSentenceView(
                s.text,
                s.outlets,
                s.article_ids,
                s.source_article_id,
                round(s.score, 6),
                tuple(VariantView(v.outlet, v.article_id, v.text) for v in s.variants),
            )
            for s in brief.sentences
        ),
        outlets=brief.outlets,
        word_count=brief.word_count,
        max_words=max_words,
        max_sentences=max_sentences,
        since_version=since_version,
    )


class Briefs:
    """Summarises stories (:func:`service.pipeline.summarize.summarize`) and caches briefs."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self._briefs: OrderedDict[str, BriefView] = OrderedDict()  # in-process LRU over Redis

    async def get_brief(
        self, story_id: str, max_words: int | None = None, max_sentences: int | None = None
    ) -> BriefView:
        """The story's brief, from the cache when this version was summarised before.

        Looks in this process's LRU first, then in the Redis cache (shared by every process and
        kept across restarts), and summarises only on a miss in both. Every key carries the
        story's version, so neither can serve a brief of an older version.

        Raises:
            NotFoundError: unknown id.
        """
        current = self.desk.live_story_id(story_id)
        story = self.desk.world.stories[current]
        config = self.desk.settings.summarize
        words = max_words or config.max_words
        key = f"brief:{current}:v{story.version}:{words}:{max_sentences}:{BRIEF_FORMAT}"
        local = self._briefs.get(key)
        if local is not None:
            self._briefs.move_to_end(key)
            self.desk.metrics.cache.labels("memory_hit").inc()
            return local
        try:
            raw = await self.desk.cache.get(key)
        except UnavailableError:
            raw = None
            self.desk.metrics.cache.labels("error").inc()
        if raw is not None:
            self.desk.metrics.cache.labels("hit").inc()
            cached = dataclasses.replace(msgspec.json.decode(raw, type=BriefView), cached=True)
            self._remember(key, cached)
            return cached
        self.desk.metrics.cache.labels("miss").inc()
        sources = tuple(self._sources(current))
        cfg = dataclasses.replace(config, max_words=words, max_sentences=max_sentences)
        with self.desk.metrics.time("summarize"):
            brief = await asyncio.to_thread(summarize, sources, cfg)
        view = brief_view(current, story.version, brief, words, max_sentences)
        if not self._shared_shape(words, max_sentences):
            # Any other length is served and kept in the bounded in-process LRU only: a read
            # (unauthenticated) must not be able to grow Redis (1,001 keys in 4.7 s: issue 13).
            self._remember(key, dataclasses.replace(view, cached=True))
            return view
        try:
            await self.desk.cache.put(
                key,
                msgspec.json.encode(view),
                ttl_s=self.desk.settings.brief_cache_ttl_s,
                tag=current,
            )
        except UnavailableError:
            log.warning("brief not cached (Redis down)")
        else:
            self._remember(key, dataclasses.replace(view, cached=True))
        return view

    def _shared_shape(self, words: int, max_sentences: int | None) -> bool:
        """Whether briefs of this shape go to the shared (Redis) cache.

        Only the default length and ``brief_cache_lengths``, without a sentence cap: Redis then
        holds at most that many briefs per story version, whatever readers ask for.
        """
        lengths = {self.desk.settings.summarize.max_words, *self.desk.settings.brief_cache_lengths}
        return max_sentences is None and words in lengths

    def _remember(self, key: str, view: BriefView) -> None:
        """Keep a cached brief in the in-process LRU (bounded by ``brief_memory_entries``)."""
        limit = self.desk.settings.brief_memory_entries
        if limit <= 0:
            return
        self._briefs[key] = view
        self._briefs.move_to_end(key)
        while len(self._briefs) > limit:
            self._briefs.popitem(last=False)

    def brief_sources(self, story_id: str) -> list[SourceSentence]:
        """Every sentence of the story's articles, as the summariser sees them.

        Raises:
            NotFoundError: unknown id.
        """
        return self._sources(self.desk.live_story_id(story_id))

    def _sources(self, story_id: str) -> list[SourceSentence]:
        out = []
        boilerplate = self.desk.recurrence.boilerplate()
        for article in self.desk.world.story_articles(story_id):
            for p in article.paragraphs:
                cluster = self.desk.world.texts[p.text_id].cluster_id
                if cluster in boilerplate:
                    continue  # learned boilerplate never enters a brief
                for i, sentence in enumerate(p.sentences):
                    out.append(
                        SourceSentence(
                            sentence,
                            article.article_id,
                            article.outlet,
                            article.time,
                            p.position,
                            i,
                            cluster,
                        )
                    )
        return out
