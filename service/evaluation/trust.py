"""Brief trust on labelled sets: exact attribution, variants, ledes, dangling openings, repeats.

``wiredesk eval briefs`` runs this after ROUGE on DUC 2003 and MultiLing, and on Giveme5W1H
(web articles, 13 outlets, no reference summaries). Each set's articles are posted with one
``story_key`` per gold cluster (so grouping is not measured here), then every story's brief
is written with the service's own summariser at several lengths, and each brief is checked:

* **Attribution precision**: for every (brief sentence, credited article) pair, does that
  article carry the sentence with the same numbers and polarity? "Carries" means one of the
  article's sentences ends with the brief sentence's text (verbatim, a leading wire dateline
  allowed), or is a near-copy of it (casefolded word-set Jaccard >= the summariser's
  ``near_duplicate_jaccard``) with the same numbers (:func:`service.pipeline.lexical.signature`,
  digits and number words: a different extractor from the summariser's), the same count of
  negation words (a plain regex), and no antonym verb flipped. The bar is 100%.
  ``verbatim`` counts the credits carried word for word.
* **Variants**: how many (sentence, article) variants the briefs list, and how many sentences
  have one.
* **Dangling openings**: briefs whose first sentence opens with an unresolved reference
  (:func:`service.pipeline.summarize.dangling_reference`: the same rules the summariser
  enforces, so this checks the guarantee end to end, not the rules themselves).
* **Lede proxy**: briefs whose first sentence is the *opening* of at least one article it is
  credited to, an article's opening being its first sentence of at least
  ``min_candidate_words`` words (a MultiLing article starts with a date line, a DUC one
  sometimes with a headline); and briefs whose first sentence is credited to the story's
  earliest article. A proxy for "states the event", not a human judgement.
* **Repeats**: pairs of brief sentences whose MiniLM cosine (the service's model) is at least
  ``repeat_cosine``: two sentences that state one fact in other words score high; a measure
  independent of the summariser's own restatement test.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from service.domain.ports import Embedder
from service.evaluation.datasets import EvalArticle
from service.pipeline.facts import fact_signature
from service.pipeline.lexical import signature
from service.pipeline.summarize import (
    Brief,
    SourceSentence,
    SummarizeConfig,
    dangling_reference,
    summarize,
)
from service.settings import Settings

# Negation words counted by the attribution check (independent of service.pipeline.facts).
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|cannot)\b|n['’]t\b", re.I
)
_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass(frozen=True, slots=True)
class TrustScore:
    """One configuration's briefs on one set.

    Attributes:
        config: what was run ("default", "no lede", "no restatement test").
        max_words: the brief length.
        briefs: non-empty briefs.
        sentences: brief sentences.
        credits: (sentence, credited article) pairs.
        exact_credits: credits whose article carries the sentence with the same numbers and
            polarity (see the module docstring).
        verbatim_credits: credits whose article carries the sentence word for word.
        variants: (sentence, variant article) pairs listed.
        sentences_with_variants: sentences listing at least one variant.
        dangling_openings: briefs opening with an unresolved reference.
        opening_ledes: briefs whose first sentence is an opening of an article it credits.
        earliest_ledes: briefs whose first sentence is credited to the story's earliest article.
        sentence_pairs: pairs of sentences within a brief.
        repeats: those pairs with cosine >= the report's ``repeat_cosine``.
    """

    config: str
    max_words: int
    briefs: int
    sentences: int
    credits: int
    exact_credits: int
    verbatim_credits: int
    variants: int
    sentences_with_variants: int
    dangling_openings: int
    opening_ledes: int
    earliest_ledes: int
    sentence_pairs: int
    repeats: int

    @property
    def attribution_precision(self) -> float:
        """Exact credits / credits (1.0 with no credits)."""
        return self.exact_credits / self.credits if self.credits else 1.0


@dataclass(frozen=True, slots=True)
class TrustReport:
    """Brief trust on one data set."""

    dataset: str
    stories: int
    repeat_cosine: float
    scores: tuple[TrustScore, ...]
    seconds: float


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORDS.findall(text.casefold().replace("’", "'")))


def carries(text: str, article: Sequence[str], jaccard: float) -> tuple[bool, bool]:
    """Whether an article's sentences carry ``text`` (exactly, verbatim).

    Args:
        text: a brief sentence.
        article: the article's sentences, verbatim.
        jaccard: the near-copy word-set threshold.

    Returns:
        ``(exact, verbatim)``: carried with the same numbers and polarity; carried word for
        word (a sentence ending with ``text``, so a leading dateline is allowed).
    """
    flat = " ".join(text.split())
    if any(" ".join(s.split()).endswith(flat) for s in article):
        return True, True
    words, numbers = _words(text), signature(text).numbers
    negations = len(_NEGATION.findall(text))
    polarity = fact_signature(text).polarity
    for sentence in article:
        other = _words(sentence)
        union = len(words | other)
        if not union or len(words & other) < jaccard * union - 1e-9:
            continue
        if signature(sentence).numbers != numbers:
            continue
        if len(_NEGATION.findall(sentence)) != negations:
            continue
        theirs = fact_signature(sentence).polarity
        axes = {a for a, _ in polarity} & {a for a, _ in theirs}
        if any(
            {s for a, s in polarity if a == x} != {s for a, s in theirs if a == x} for x in axes
        ):
            continue
        return True, False
    return False, False


def _score(
    name: str,
    max_words: int,
    runs: Sequence[tuple[Sequence[SourceSentence], Brief]],
    embedder: Embedder,
    repeat_cosine: float,
    config: SummarizeConfig,
) -> TrustScore:
    counts = dict.fromkeys(
        [
            "briefs",
            "sentences",
            "credits",
            "exact",
            "verbatim",
            "variants",
            "with_variants",
            "dangling",
            "opening",
            "earliest",
            "pairs",
            "repeats",
        ],
        0,
    )
    for sources, brief in runs:
        if not brief.sentences:
            continue
        counts["briefs"] += 1
        counts["sentences"] += len(brief.sentences)
        by_article: dict[str, list[SourceSentence]] = {}
        for s in sorted(
            sources, key=lambda s: (s.article_id, s.paragraph_position, s.sentence_position)
        ):
            by_article.setdefault(s.article_id, []).append(s)
        for sentence in brief.sentences:
            counts["variants"] += len(sentence.variants)
            counts["with_variants"] += bool(sentence.variants)
            for article_id in sentence.article_ids:
                exact, verbatim = carries(
                    sentence.text,
                    [s.text for s in by_article[article_id]],
                    config.near_duplicate_jaccard,
                )
                counts["credits"] += 1
                counts["exact"] += exact
                counts["verbatim"] += verbatim
        first = brief.sentences[0]
        counts["dangling"] += dangling_reference(first.text) is not None
        openings = {
            article_id: next(
                (s.text for s in sentences if len(s.text.split()) >= config.min_candidate_words),
                "",
            )
            for article_id, sentences in by_article.items()
        }
        counts["opening"] += any(
            carries(first.text, [openings[a]], config.near_duplicate_jaccard)[0]
            for a in first.article_ids
        )
        earliest = min(sources, key=lambda s: (s.published_at, s.article_id)).article_id
        counts["earliest"] += earliest in first.article_ids
        if len(brief.sentences) > 1:
            vectors = np.asarray(embedder.encode([s.text for s in brief.sentences]))
            for i, j in itertools.combinations(range(len(brief.sentences)), 2):
                counts["pairs"] += 1
                counts["repeats"] += float(vectors[i] @ vectors[j]) >= repeat_cosine
    c = counts
    return TrustScore(
        name,
        max_words,
        c["briefs"],
        c["sentences"],
        c["credits"],
        c["exact"],
        c["verbatim"],
        c["variants"],
        c["with_variants"],
        c["dangling"],
        c["opening"],
        c["earliest"],
        c["pairs"],
        c["repeats"],
    )


# The configurations compared: the served one, and one knob off at a time.
ABLATIONS: dict[str, dict[str, object]] = {
    "default": {},
    "no lede": {"lede": False},
    "no restatement test": {"restatement_min_words": 10**6},
}


async def evaluate_trust(
    dataset: str,
    clusters: Sequence[Sequence[EvalArticle]],
    settings: Settings,
    embedder: Embedder,
    *,
    lengths: Sequence[int] = (100, 400),
    repeat_cosine: float = 0.8,
) -> TrustReport:
    """Post each cluster as one story and check its briefs (see the module docstring).

    Args:
        dataset: name for the report.
        clusters: the articles of each story.
        settings: the service's settings (the summariser's config among them).
        embedder: the model (for the pipeline and the repeat measure).
        lengths: brief lengths in words; every configuration runs at each.
        repeat_cosine: cosine at or above which two brief sentences count as a repeat
            (MRPC test: 0.8 is where the cosine alone reaches ~90% precision on "same
            meaning"; see docs/EVALUATION.md).
    """
    from service.evaluation.runner import _input, _submit, build_pipeline

    start = time.perf_counter()
    wd = build_pipeline(settings, embedder)
    stories: list[list[SourceSentence]] = []
    try:
        for n, articles in enumerate(clusters):
            inputs = [_input(a, f"trust:{dataset}:{n}") for a in articles]
            ids = [i for i in await _submit(wd, inputs) if i is not None]
            if ids:
                stories.append(wd.brief_sources(wd.get_article(ids[0])[1]))
    finally:
        await wd.embedder.close()
    scores = []
    for name, knobs in ABLATIONS.items():
        for words in lengths:
            config = dataclasses.replace(settings.summarize, max_words=words, **knobs)  # type: ignore[arg-type]
            runs = [(sources, summarize(sources, config)) for sources in stories]
            scores.append(_score(name, words, runs, embedder, repeat_cosine, config))
    return TrustReport(
        dataset, len(stories), repeat_cosine, tuple(scores), time.perf_counter() - start
    )
