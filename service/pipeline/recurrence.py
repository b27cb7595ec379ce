"""Boilerplate learned from the stream: paragraphs that recur where they are off-topic (pure).

Known shapes of non-news lines (teasers, credits, newsletter prompts) are dropped when an
article is split (:mod:`service.pipeline.split`). Outlets and agencies invent new ones all the
time — "Read Also: Ten gadgets you need this autumn", "Chat with us in Facebook Messenger...",
an agency's funding note — and each recurs verbatim under articles about anything. Such a
paragraph is a near-duplicate cluster of its own, carried by many outlets, so without help it
links unrelated stories (a shared cluster is the strongest grouping evidence) and shows up as
a "cross-outlet cluster" and a brief sentence.

What tells it apart from a wire paragraph is **topicality**: a wire paragraph shares words with
the rest of the article it sits in, a footer shares none. This is the template/noise detection
of web-page cleaning (Bar-Yossef & Rajagopalan 2002, "Template detection via data mining and its
applications"; Lin & Ho 2002, "Discovering informative content blocks from Web documents"): a
block that recurs across pages whose content it has nothing to do with is template. Here:

* a paragraph's topicality in an article is the share of its content words that also occur in
  the article's title or other paragraphs (:func:`topicality`);
* an occurrence is **off-topic** when that share is below ``max_topicality`` and the paragraph
  is the last of its article, never the first (templates that survive splitting sit at the
  end of the content: a footer, a funding note);
* an occurrence is **isolated** when the cluster is the article's only link to the cluster's
  other carriers (:func:`isolated`): unrelated articles share a footer and nothing else, while
  wire copies share several paragraphs;
* a near-duplicate cluster is **learned boilerplate** (:func:`is_boilerplate`) once at least
  ``min_off_topic`` of its occurrences (articles) are off-topic and isolated, and on-topic
  occurrences are at most ``max_on_topic_share`` of all. A wire paragraph quoted by a live blog
  is off-topic there, but on-topic in the wire story's own articles, so it stays content.

The first occurrence cannot be known as boilerplate (nothing recurs yet); the second already is,
so a second article carrying a footer is never linked to the first by it. The statistics are
derived from the stored articles alone (:class:`RecurrenceIndex` is rebuilt from the world at
start-up), so nothing extra is stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from service.domain.models import Article
from service.pipeline.lexical import content_terms

# Templates that survive splitting sit in the last paragraph: a footer, a funding note, a
# newsletter prompt. (Two would also catch a teaser above a footer, but in the short articles
# of a feed the last two paragraphs are often half the story; teasers are short lines, which
# link nothing anyway (``GroupConfig.min_shared_words``), and known teaser shapes are dropped
# at split time.)
TAIL = 1


@dataclass(frozen=True, slots=True)
class RecurrenceConfig:
    """When a recurring paragraph is boilerplate.

    Attributes:
        max_topicality: an occurrence whose share of content words found elsewhere in its
            article is below this is off-topic. 0.2: a lede shares most of its content words
            with the headline and body (the made-up wire corpus in tests/texts.py: 0.4-0.9),
            a footer or teaser none or one ("Read Also: Ten gadgets you need this autumn" in
            an article about a zoo: 0.0).
        min_off_topic: off-topic occurrences (articles) needed. Two: the second article that
            carries a footer must already not be linked by it.
        max_on_topic_share: on-topic occurrences may be at most this share of all; a wire
            paragraph is on-topic in the story's own articles, so one quote of it in a live
            blog and one in a round-up (two off-topic) beside one wire copy (one on-topic,
            share 1/3) keep it content.
        min_context_words: an article with fewer content words outside the paragraph than this
            gives no evidence (its paragraph counts as on-topic): a one-paragraph article
            cannot show that a paragraph is off its topic.
    """

    max_topicality: float = 0.2
    min_off_topic: int = 2
    max_on_topic_share: float = 0.25
    min_context_words: int = 5

    def __post_init__(self) -> None:
        if not 0.0 < self.max_topicality <= 1.0:
            raise ValueError("max_topicality must be in (0, 1]")
        if self.min_off_topic < 2:
            raise ValueError("min_off_topic must be >= 2 (one occurrence is not a recurrence)")
        if not 0.0 <= self.max_on_topic_share < 1.0:
            raise ValueError("max_on_topic_share must be in [0, 1)")
        if self.min_context_words < 0:
            raise ValueError("min_context_words must be >= 0")


def topicality(
    paragraphs: Sequence[str], title: str | None, min_context_words: int = 5
) -> tuple[float, ...]:
    """Each paragraph's share of content words that occur elsewhere in the article.

    Args:
        paragraphs: the article's paragraphs in order.
        title: its headline (part of every paragraph's context).
        min_context_words: below this many distinct content words in the context, the
            paragraph's topicality is 1.0 (no evidence that it is off-topic).

    Returns:
        One value in [0, 1] per paragraph; a paragraph with no content word gets 1.0.
    """
    terms = [set(content_terms(p)) for p in paragraphs]
    title_terms = set(content_terms(title or ""))
    out = []
    for i, own in enumerate(terms):
        context = set(title_terms)
        for j, other in enumerate(terms):
            if j != i:
                context |= other
        if not own or len(context) < min_context_words:
            out.append(1.0)
            continue
        out.append(len(own & context) / len(own))
    return tuple(out)


def is_boilerplate(off_topic: int, on_topic: int, config: RecurrenceConfig) -> bool:
    """Whether a cluster with these occurrence counts is learned boilerplate.

    Args:
        off_topic: articles in which the cluster's paragraph is off-topic.
        on_topic: articles in which it is on-topic.
        config: the bars.
    """
    total = off_topic + on_topic
    return off_topic >= config.min_off_topic and on_topic <= config.max_on_topic_share * total


def isolated(carriers: Sequence[frozenset[str]], cluster: str) -> list[bool]:
    """Per carrier of ``cluster``: is ``cluster`` its only link to the other carriers.

    Args:
        carriers: each carrying article's set of clusters (``cluster`` included).
        cluster: the cluster they share.

    Returns:
        One flag per carrier: True when none of its other clusters is carried by another of
        ``carriers`` (articles that share a footer and nothing else are unrelated; wire copies
        share several paragraphs).
    """
    counts: Counter[str] = Counter()
    for clusters in carriers:
        counts.update(clusters - {cluster})
    return [all(counts[c] < 2 for c in clusters - {cluster}) for clusters in carriers]


class RecurrenceIndex:
    """Occurrences of every near-duplicate cluster, to tell learned boilerplate (derived state).

    A cluster is boilerplate (:func:`is_boilerplate`) when at least ``min_off_topic`` of its
    carriers hold it **off-topic and isolated** (it is their only link to the other carriers:
    unrelated articles), and on-topic carriers are at most ``max_on_topic_share`` of all.
    The use case keeps one beside the world: :meth:`add` after an article is stored,
    :meth:`remove` before an update replaces it, :meth:`rebuild` at start-up.
    """

    def __init__(self, config: RecurrenceConfig = RecurrenceConfig()) -> None:
        self.config = config
        self._occurrences: dict[str, set[str]] = {}  # cluster -> carrying article ids
        self._off: dict[str, frozenset[str]] = {}  # article -> clusters it holds off-topic
        self._clusters: dict[str, frozenset[str]] = {}  # article -> its clusters
        # Clusters with at least min_off_topic off-topic carriers: the only ones to examine.
        self._candidates: set[str] = set()
        self._boilerplate: set[str] = set()
        self._stale = False

    def flags(self, paragraphs: Sequence[str], title: str | None) -> tuple[bool, ...]:
        """Per paragraph: is it an off-topic paragraph in the tail of this article.

        Templates sit at the edges of a page's content (Bar-Yossef & Rajagopalan 2002); what
        survives splitting (which drops known header shapes: bylines, datelines) is the tail:
        a footer, a teaser, a funding note or a newsletter prompt is one of the last
        ``TAIL`` paragraphs, never the first. A lede is never boilerplate evidence (its words
        often recur nowhere else in a short article), nor is a paragraph mid-article.
        """
        values = topicality(paragraphs, title, self.config.min_context_words)
        first_tail = max(1, len(values) - TAIL)
        return tuple(
            v < self.config.max_topicality and i >= first_tail for i, v in enumerate(values)
        )

    def add(self, article: Article, clusters: Sequence[str]) -> None:
        """Record a stored article (``clusters[i]`` is paragraph i's cluster)."""
        flags = self.flags([p.text for p in article.paragraphs], article.title)
        on = {c for c, off in zip(clusters, flags, strict=True) if not off}
        off = frozenset(c for c in clusters if c not in on)  # on-topic if any copy is
        self._off[article.article_id] = off
        self._clusters[article.article_id] = frozenset(clusters)
        for cluster in set(clusters):
            self._occurrences.setdefault(cluster, set()).add(article.article_id)
        for cluster in off:
            if sum(cluster in self._off[a] for a in self._occurrences[cluster]) >= 2:
                self._candidates.add(cluster)
        self._stale = True

    def remove(self, article_id: str) -> None:
        """Forget an article (before an update replaces it)."""
        for cluster in self._clusters.pop(article_id, frozenset()):
            self._occurrences.get(cluster, set()).discard(article_id)
        self._off.pop(article_id, None)
        self._stale = True

    def counts(
        self, cluster: str, extra: tuple[bool, frozenset[str]] | None = None
    ) -> tuple[int, int]:
        """``(off-topic and isolated, on-topic)`` carriers of a cluster.

        Args:
            cluster: the cluster id.
            extra: ``(off-topic?, its clusters)`` of an article being placed, not yet stored.
        """
        ids = sorted(self._occurrences.get(cluster, ()))
        carriers = [self._clusters[a] for a in ids]
        off = [cluster in self._off[a] for a in ids]
        if extra is not None:
            off.append(extra[0])
            carriers.append(extra[1] | {cluster})
        alone = isolated(carriers, cluster)
        return (
            sum(o and a for o, a in zip(off, alone, strict=True)),
            sum(not o for o in off),
        )

    def is_boilerplate(
        self, cluster: str, extra: tuple[bool, frozenset[str]] | None = None
    ) -> bool:
        """Whether the cluster is boilerplate, counting ``extra`` (see :meth:`counts`)."""
        return is_boilerplate(*self.counts(cluster, extra), self.config)

    def boilerplate(self) -> AbstractSet[str]:
        """Every cluster that is boilerplate now (recomputed over the candidates on change)."""
        if self._stale:
            self._boilerplate = {c for c in self._candidates if self.is_boilerplate(c)}
            self._stale = False
        return self._boilerplate

    def rebuild(self, articles: Iterable[Article], cluster_of: dict[int, str]) -> None:
        """Recompute from stored articles (``cluster_of``: text id -> cluster id)."""
        self._occurrences.clear()
        self._off.clear()
        self._clusters.clear()
        self._candidates.clear()
        for article in articles:
            self.add(article, [cluster_of[p.text_id] for p in article.paragraphs])
