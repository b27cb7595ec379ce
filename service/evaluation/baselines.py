"""Baselines the service must beat, computed in the same run on the same inputs.

Summarisation baselines select whole input sentences up to a word budget:

* :func:`lead`: the first sentences of the newest article (DUC's official baseline);
* :func:`centroid`: TF-IDF centroid ranking with a redundancy check (Radev et al. 2004);
* :func:`lexrank`, :func:`textrank`: graph centrality, via ``sumy`` (Erkan & Radev 2004;
  Mihalcea & Tarau 2004);
* :func:`random_baseline`: a seeded random selection, the floor.

They take pre-split sentences (:class:`SourceSentence`, e.g. built by
:func:`source_sentences` from the service's own splitter), so every system sees identical
sentence boundaries. None of them needs NLTK data or network access: sumy documents are built
directly from the sentences with a regex word tokeniser, and stemming uses NLTK's Snowball
code (no data files).

Story-clustering baselines assign cluster labels to documents by average-linkage
agglomerative clustering on cosine similarity, over TF-IDF vectors
(:func:`tfidf_agglomerative`) or given embeddings (:func:`embedding_agglomerative`);
:func:`best_threshold` finds the oracle threshold on a labelled set.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer, null_stemmer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words

from service.evaluation.datasets import EvalArticle
from service.evaluation.metrics import bcubed
from service.evaluation.tokenize import content_words, count_words

InputT = TypeVar("InputT")

# ----------------------------------------------------------------------------------------------
# Inputs and configuration
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceSentence:
    """One sentence of one input article.

    A sequence of these is the input of every summarisation baseline; its order is the reading
    order (articles one after another, each article's sentences in order), and the output
    keeps it.

    Attributes:
        article_id: the article it comes from.
        published_at: that article's publication time, or ``None``.
        text: the sentence, verbatim.
    """

    article_id: str
    published_at: datetime | None
    text: str


def source_sentences(
    articles: Sequence[EvalArticle], split: Callable[[str], Sequence[str]]
) -> tuple[SourceSentence, ...]:
    """Flatten articles into :class:`SourceSentence` using a caller-supplied sentence splitter.

    Args:
        articles: the cluster's articles, in the order the baselines should see them.
        split: paragraph -> sentences (pass the service's splitter so all systems agree).

    Returns:
        Sentences in reading order: article by article, paragraph by paragraph. Sentences are
        stripped; empty ones are dropped.
    """
    return tuple(
        SourceSentence(article.doc_id, article.published_at, sentence.strip())
        for article in articles
        for paragraph in article.paragraphs
        for sentence in split(paragraph)
        if sentence.strip()
    )


@dataclass(frozen=True, slots=True)
class SummaryBaselineConfig:
    """Knobs of the summarisation baselines, with the values their papers (or sumy) use.

    Attributes:
        language: picks sumy's stop-word list and the Snowball stemmer (``english``,
            ``french``, ``czech``, ...). Languages sumy lacks fall back to no stop words and/or
            no stemming (lower-casing only), e.g. Hindi, and Greek, whose stemmer needs an extra
            package.
        overflow: ``False``: the summary never exceeds the budget (whole sentences only).
            ``True``: the first sentence that does not fit is still added and selection stops,
            so a later cut to exactly ``max_words`` (the ROUGE truncation, DUC's rule) fills the
            budget. With ``True``, :func:`lead` followed by the cut is exactly DUC's "first 100
            words of the newest document".
        centroid_words: size of the centroid (Radev et al.'s "topic signature"): the top terms
            by cluster TF x IDF; the rest are zeroed. 50 keeps the topic's salient words of a
            ~10-article cluster without its incidental vocabulary.
        redundancy: :func:`centroid` skips a sentence whose TF-IDF cosine with an already
            chosen one exceeds this (MEAD's cross-sentence subsumption filter; 0.7 is MEAD's
            customary setting). 1.0 disables the filter (exact repeats are still skipped).
        lexrank_threshold: similarity above which LexRank links two sentences (Erkan & Radev
            2004 found 0.1 best; sumy's default).
        lexrank_epsilon: power-iteration tolerance for LexRank: sumy's default 0.1, which
            stops after a few iterations. 1e-4 converges fully, as the paper intends, but
            scored slightly lower on DUC 2003 (mean ROUGE-2 recall over the 39 clusters 0.071
            vs 0.074 with ``overflow``), so the stronger, more commonly reported setting is kept.
        ilp_min_articles: :func:`concept_ilp` drops bigrams found in fewer articles than this
            (Gillick & Favre 2009: 3, for 10-document sets).
        ilp_min_sentence_words: :func:`concept_ilp` never chooses shorter sentences
            (Gillick & Favre 2009: 10).
    """

    language: str = "english"
    overflow: bool = False
    centroid_words: int = 50
    redundancy: float = 0.7
    lexrank_threshold: float = 0.1
    lexrank_epsilon: float = 0.1
    ilp_min_articles: int = 3
    ilp_min_sentence_words: int = 10


# ----------------------------------------------------------------------------------------------
# Shared selection machinery
# ----------------------------------------------------------------------------------------------


def _check_budget(max_words: int) -> None:
    if max_words < 0:
        raise ValueError(f"max_words must be >= 0, got {max_words}")


def _normalised(text: str) -> str:
    """Whitespace-collapsed, case-folded text: the key for exact-duplicate detection."""
    return " ".join(text.split()).casefold()


def _fill(
    ranked: Iterable[int],
    sentences: Sequence[SourceSentence],
    max_words: int,
    *,
    overflow: bool,
    accept: Callable[[int, Sequence[int]], bool] | None = None,
) -> list[int]:
    """Greedy budgeted selection: walk ``ranked`` and keep each sentence that fits.

    A sentence with no words, or an exact (whitespace/case-insensitive) repeat of a chosen one,
    is skipped; so is one rejected by ``accept(index, chosen)``. One that does not fit in the
    remaining budget is skipped (a shorter later one may fit), unless ``overflow``, in which
    case it is taken and selection stops.

    Returns:
        The chosen indices in selection order.
    """
    chosen: list[int] = []
    seen: set[str] = set()
    used = 0
    for index in ranked:
        if used >= max_words:
            break
        text = sentences[index].text
        words = count_words(text)
        key = _normalised(text)
        if words == 0 or key in seen:
            continue
        if accept is not None and not accept(index, chosen):
            continue
        if used + words <= max_words:
            chosen.append(index)
            seen.add(key)
            used += words
        elif overflow:
            chosen.append(index)
            break
    return chosen


def _render(sentences: Sequence[SourceSentence], chosen: Iterable[int]) -> str:
    """Join the chosen sentences, in input order, with single spaces."""
    return " ".join(sentences[index].text.strip() for index in sorted(chosen))


# Quotation marks: a sentence that opens and closes with one is a quote, which the concept ILP
# never chooses (Gillick & Favre 2009).
_QUOTES = "\"'`“”‘’«»"


def _stop_words(language: str) -> frozenset[str]:
    """The stop words sumy ships for ``language`` (case-folded), or none if it has no list."""
    try:
        return frozenset(word.casefold() for word in get_stop_words(language))
    except LookupError:
        return frozenset()


def _stemmer(language: str) -> Callable[[str], str]:
    """The Snowball stemmer sumy uses for ``language``, or lower-casing where it has none."""
    try:
        stem: Callable[[str], str] = Stemmer(language)
        stem("probe")  # sumy's Greek stemmer only fails when called (it needs a package)
    except (LookupError, ValueError):  # LookupError: no stemmer at all (e.g. Hindi)
        return null_stemmer  # type: ignore[no-any-return]
    return stem


def _terms(text: str, stop_words: frozenset[str], stem: Callable[[str], str]) -> list[str]:
    """Content words of ``text`` minus stop words, stemmed."""
    return [stem(word) for word in content_words(text) if word not in stop_words]


# ----------------------------------------------------------------------------------------------
# Summarisation baselines
# ----------------------------------------------------------------------------------------------


def lead(
    sentences: Sequence[SourceSentence],
    max_words: int = 100,
    *,
    config: SummaryBaselineConfig | None = None,
) -> str:
    """DUC's lead baseline: the opening sentences of the newest article.

    The newest article is the one with the latest ``published_at``; undated articles count as
    older than any dated one; among equals the one appearing last in the input wins. Its
    sentences are taken in order while they fit in ``max_words`` (stopping at the first that
    does not; with ``config.overflow`` that one is included).

    Args:
        sentences: the cluster's sentences in reading order.
        max_words: budget in whitespace words (DUC 2003 tasks 2-4: 100).
        config: only ``overflow`` is used; ``None`` means the defaults.

    Returns:
        The summary (``""`` for no input or a zero budget).

    Raises:
        ValueError: if ``max_words`` is negative.
    """
    _check_budget(max_words)
    settings = config or SummaryBaselineConfig()
    if not sentences:
        return ""
    newest_key: tuple[bool, float, int] | None = None
    newest_article = ""
    for position, sentence in enumerate(sentences):
        stamp = sentence.published_at.timestamp() if sentence.published_at is not None else 0.0
        key = (sentence.published_at is not None, stamp, position)
        if newest_key is None or key > newest_key:
            newest_key = key
            newest_article = sentence.article_id
    chosen: list[int] = []
    used = 0
    for index, sentence in enumerate(sentences):
        if sentence.article_id != newest_article:
            continue
        words = count_words(sentence.text)
        if used + words > max_words:
            if settings.overflow and used < max_words:
                chosen.append(index)
            break
        chosen.append(index)
        used += words
    return _render(sentences, chosen)


def random_baseline(
    sentences: Sequence[SourceSentence],
    max_words: int = 100,
    *,
    seed: int = 0,
    config: SummaryBaselineConfig | None = None,
) -> str:
    """Sentences in a seeded random order, greedily filling the budget: the floor to beat.

    Args:
        sentences: the cluster's sentences in reading order.
        max_words: budget in whitespace words.
        seed: seed of ``random.Random``; the same input and seed give the same summary.
        config: only ``overflow`` is used; ``None`` means the defaults.

    Returns:
        The chosen sentences in input order (``""`` for no input).

    Raises:
        ValueError: if ``max_words`` is negative.
    """
    _check_budget(max_words)
    settings = config or SummaryBaselineConfig()
    order = list(range(len(sentences)))
    random.Random(seed).shuffle(order)
    return _render(sentences, _fill(order, sentences, max_words, overflow=settings.overflow))


def centroid(
    sentences: Sequence[SourceSentence],
    max_words: int = 100,
    *,
    config: SummaryBaselineConfig | None = None,
) -> str:
    """Centroid-based summary (Radev, Jing, Styś & Tam 2004).

    After "Centroid-based summarization of multiple documents", Information Processing &
    Management 40(6):

    1. Each sentence becomes a TF-IDF vector over its stemmed non-stop content words. IDF is
       smoothed and computed over the cluster's sentences, ``idf = ln((1 + n) / (1 + df)) + 1``
       (scikit-learn's form), as no background corpus is assumed.
    2. The centroid is the cluster-wide term count times IDF, restricted to its
       ``config.centroid_words`` heaviest terms (ties by term).
    3. Sentences are ranked by cosine similarity to the centroid: the length-normalised score
       of Ghalandari 2017 ("Revisiting the centroid-based method"), rather than MEAD's raw sum,
       which favours long sentences. Ties keep input order.
    4. Greedy fill, skipping sentences whose cosine with a chosen one exceeds
       ``config.redundancy``.

    Args:
        sentences: the cluster's sentences in reading order.
        max_words: budget in whitespace words.
        config: see :class:`SummaryBaselineConfig`; ``None`` means the defaults.

    Returns:
        The chosen sentences in input order (``""`` for no input).

    Raises:
        ValueError: if ``max_words`` is negative.
    """
    _check_budget(max_words)
    settings = config or SummaryBaselineConfig()
    if not sentences:
        return ""
    stop_words = _stop_words(settings.language)
    stem = _stemmer(settings.language)
    bags = [Counter(_terms(s.text, stop_words, stem)) for s in sentences]
    vocabulary = sorted(set().union(*bags))
    if not vocabulary:  # nothing but stop words: no centroid, keep reading order
        in_order = range(len(sentences))
        return _render(sentences, _fill(in_order, sentences, max_words, overflow=settings.overflow))
    column = {term: j for j, term in enumerate(vocabulary)}
    counts = np.zeros((len(sentences), len(vocabulary)), dtype=np.float64)
    for i, bag in enumerate(bags):
        for term, count in bag.items():
            counts[i, column[term]] = count
    df = (counts > 0).sum(axis=0)
    idf = np.log((1.0 + len(sentences)) / (1.0 + df)) + 1.0
    vectors = counts * idf
    weights = counts.sum(axis=0) * idf
    # Keep the heaviest terms; lexsort's last key is primary: weight descending, then term.
    keep = np.lexsort((np.arange(len(vocabulary)), -weights))[: settings.centroid_words]
    center = np.zeros_like(weights)
    center[keep] = weights[keep]
    norms = np.linalg.norm(vectors, axis=1)
    unit = np.divide(vectors, norms[:, None], out=np.zeros_like(vectors), where=norms[:, None] > 0)
    center_norm = float(np.linalg.norm(center))
    scores = unit @ (center / center_norm) if center_norm > 0 else np.zeros(len(sentences))
    ranked = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))

    def not_redundant(index: int, chosen: Sequence[int]) -> bool:
        return all(float(unit[index] @ unit[j]) <= settings.redundancy for j in chosen)

    check = not_redundant if settings.redundancy < 1.0 else None  # 1.0 disables the filter
    picked = _fill(ranked, sentences, max_words, overflow=settings.overflow, accept=check)
    return _render(sentences, picked)


def _ilp_problem(
    sentences: Sequence[SourceSentence], max_words: int, config: SummaryBaselineConfig | None
) -> tuple[list[int], dict[int, frozenset[tuple[str, str]]], dict[tuple[str, str], int]]:
    """The concept ILP's inputs: candidate sentences, their concepts and the concept weights.

    Returns:
        ``(candidates, concepts_of, weight)``: indices of the sentences that may be chosen
        (ascending); each candidate's bigram concepts (kept or not); the weight (article
        count) of every concept found in at least ``ilp_min_articles`` articles.
    """
    settings = config or SummaryBaselineConfig()
    stop_words = _stop_words(settings.language)
    stem = _stemmer(settings.language)
    candidates: list[int] = []
    seen: set[str] = set()
    concepts_of: dict[int, frozenset[tuple[str, str]]] = {}
    articles: dict[tuple[str, str], set[str]] = {}
    for index, sentence in enumerate(sentences):
        words = content_words(sentence.text)
        bigrams = frozenset(
            (stem(a), stem(b))
            for a, b in itertools.pairwise(words)
            if not (a in stop_words and b in stop_words)
        )
        for bigram in bigrams:
            articles.setdefault(bigram, set()).add(sentence.article_id)
        text = sentence.text.strip()
        key = _normalised(text)
        if (
            not settings.ilp_min_sentence_words <= count_words(text) <= max_words
            or (text[:1] in _QUOTES and text[-1:] in _QUOTES)
            or key in seen
        ):
            continue
        seen.add(key)
        candidates.append(index)
        concepts_of[index] = bigrams
    weight = {b: len(a) for b, a in articles.items() if len(a) >= settings.ilp_min_articles}
    return candidates, concepts_of, weight


def concept_ilp(
    sentences: Sequence[SourceSentence],
    max_words: int = 100,
    *,
    config: SummaryBaselineConfig | None = None,
) -> str:
    """The ICSI concept-coverage ILP (Gillick & Favre 2009), solved exactly.

    After "A Scalable Global Model for Summarization" (NAACL-HLT workshop on ILP for NLP) and
    its reference implementation ``sume`` (Boudin, Mougard & Favre 2015):

    1. Concepts are word bigrams (case-folded, Snowball-stemmed), skipping bigrams made only
       of stop words; a concept weighs the number of articles containing it, and concepts in
       fewer than ``config.ilp_min_articles`` articles are dropped (3, the paper's cut).
    2. Sentences of fewer than ``config.ilp_min_sentence_words`` words (10) and sentences that
       open and close with a quotation mark are never chosen; neither is an exact repeat.
    3. The integer program maximises the total weight of the covered concepts subject to the
       word budget: ``max sum_i w_i c_i`` s.t. ``sum_j l_j s_j <= L`` and
       ``c_i <= sum_{j containing i} s_j``, with binary ``s`` and ``c``, solved exactly by
       HiGHS (``scipy.optimize.milp``). The paper's ``s_j <= c_i`` rows are left out: every
       weight is positive, so an optimum covers every concept its sentences contain anyway.

    ``config.overflow`` is not used: the summary is the exact optimum within the budget.
    Appending the best left-out sentence for the ROUGE cut, as the other baselines do, scored
    lower in a trial (DUC 2003 ROUGE-2 recall 8.04 against 8.92).

    Args:
        sentences: the cluster's sentences in reading order.
        max_words: budget in whitespace words.
        config: see :class:`SummaryBaselineConfig`; ``None`` means the defaults.

    Returns:
        The chosen sentences in input order (``""`` for no input or when no sentence fits).

    Raises:
        ValueError: if ``max_words`` is negative.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp  # heavy: load on first use
    from scipy.sparse import coo_array

    _check_budget(max_words)
    candidates, concepts_of, weight = _ilp_problem(sentences, max_words, config)
    concepts = sorted({c for j in candidates for c in concepts_of[j] if c in weight})
    if not candidates or not concepts:
        return ""
    # Variables: s_0..s_{n-1} (candidates), then c_0..c_{m-1} (concepts).
    column = {concept: len(candidates) + i for i, concept in enumerate(concepts)}
    holders: dict[int, list[int]] = {}
    for k, j in enumerate(candidates):
        for concept in concepts_of[j] & weight.keys():
            holders.setdefault(column[concept], []).append(k)
    rows = [0] * len(candidates)  # row 0: the budget
    cols = list(range(len(candidates)))
    values = [float(count_words(sentences[j].text)) for j in candidates]
    for r, (col, ks) in enumerate(sorted(holders.items()), start=1):  # c_i - sum s_j <= 0
        rows += [r] * (1 + len(ks))
        cols += [col, *ks]
        values += [1.0] + [-1.0] * len(ks)
    upper = np.zeros(1 + len(holders))
    upper[0] = max_words
    n = len(candidates) + len(concepts)
    objective = np.zeros(n)
    for concept, col in column.items():
        objective[col] = -float(weight[concept])
    result = milp(
        objective,
        constraints=LinearConstraint(
            coo_array((values, (rows, cols)), shape=(len(upper), n)).tocsr(), -np.inf, upper
        ),
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
    )
    if result.x is None:
        raise RuntimeError(f"concept ILP found no solution: {result.message}")
    chosen = [candidates[k] for k in range(len(candidates)) if result.x[k] > 0.5]
    return _render(sentences, chosen)


class _PresplitTokenizer:
    """The tokenizer object sumy's DOM asks for, over sentences that are already split.

    sumy's default tokenizer needs NLTK's punkt data, which is not available offline; its
    ``Sentence`` only calls ``to_words``, and ``to_sentences`` is here for completeness.
    """

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        """The paragraph as one sentence (input is pre-split)."""
        return (paragraph,)

    def to_words(self, sentence: str) -> tuple[str, ...]:
        """Case-folded Unicode word runs (see :func:`content_words`)."""
        return tuple(content_words(sentence))


def _sumy_ranking(
    summarizer: Any, sentences: Sequence[SourceSentence], stop_words: frozenset[str]
) -> list[int]:
    """Indices of ``sentences`` from best to worst according to a sumy summariser.

    The sumy document has one paragraph per run of same-article sentences. Sentences with no
    non-stop word cannot be rated (sumy's power iteration breaks on an all-zero graph); they
    rank after all others, in input order. If sumy's ratings are not finite (a degenerate
    graph), the rated sentences are ranked in input order too. The ranking is read by passing
    sumy a callable ``sentences_count``: sumy calls it with every sentence sorted by rating,
    best first (a stable sort, so ties keep document order).
    """
    tokenizer = _PresplitTokenizer()
    rated = [
        i
        for i, s in enumerate(sentences)
        if any(word not in stop_words for word in tokenizer.to_words(s.text))
    ]
    rated_set = set(rated)
    unrated = [i for i in range(len(sentences)) if i not in rated_set]
    if not rated:
        return unrated
    paragraphs: list[list[Any]] = []
    previous: str | None = None
    for i in rated:
        if sentences[i].article_id != previous or not paragraphs:
            paragraphs.append([])
            previous = sentences[i].article_id
        paragraphs[-1].append(Sentence(sentences[i].text, tokenizer))
    document = ObjectDocumentModel([Paragraph(p) for p in paragraphs])
    captured: list[int] = []
    finite = True

    def take_all(infos: list[Any]) -> list[Any]:
        nonlocal finite
        captured.extend(rated[info.order] for info in infos)
        finite = all(math.isfinite(info.rating) for info in infos)
        return infos

    # On tiny inputs sumy's LexRank idf, ln(n / (1 + df)), can be 0 for every word, making the
    # graph all zeros and the power iteration divide 0 by 0. Such a ranking is meaningless:
    # fall back to reading order, as for unrated sentences.
    with np.errstate(divide="ignore", invalid="ignore"):
        summarizer(document, take_all)
    if not finite:
        return rated + unrated
    return captured + unrated


def lexrank(
    sentences: Sequence[SourceSentence],
    max_words: int = 100,
    *,
    config: SummaryBaselineConfig | None = None,
) -> str:
    """LexRank (Erkan & Radev 2004, "LexRank: graph-based lexical centrality as salience").

    sumy's implementation: idf-modified cosine between sentences, edges above
    ``config.lexrank_threshold``, stationary distribution by power iteration; then a greedy
    fill of the budget by rank (exact repeats skipped).

    Args:
        sentences: the cluster's sentences in reading order.
        max_words: budget in whitespace words.
        config: see :class:`SummaryBaselineConfig`; ``None`` means the defaults.

    Returns:
        The chosen sentences in input order (``""`` for no input).

    Raises:
        ValueError: if ``max_words`` is negative.
    """
    _check_budget(max_words)
    settings = config or SummaryBaselineConfig()
    if not sentences:
        return ""
    stop_words = _stop_words(settings.language)
    summarizer = LexRankSummarizer(_stemmer(settings.language))
    summarizer.stop_words = stop_words
    summarizer.threshold = settings.lexrank_threshold
    summarizer.epsilon = settings.lexrank_epsilon
    ranked = _sumy_ranking(summarizer, sentences, stop_words)
    return _render(sentences, _fill(ranked, sentences, max_words, overflow=settings.overflow))


def textrank(
    sentences: Sequence[SourceSentence],
    max_words: int = 100,
    *,
    config: SummaryBaselineConfig | None = None,
) -> str:
    """TextRank (Mihalcea & Tarau 2004, "TextRank: bringing order into texts").

    sumy's implementation: word-overlap similarity normalised by log sentence lengths,
    PageRank with damping 0.85; then a greedy fill of the budget by rank (exact repeats
    skipped). Its similarity loop is pure Python, quadratic in sentences and words: a few
    seconds for a 400-sentence cluster.

    Args:
        sentences: the cluster's sentences in reading order.
        max_words: budget in whitespace words.
        config: see :class:`SummaryBaselineConfig`; ``None`` means the defaults.

    Returns:
        The chosen sentences in input order (``""`` for no input).

    Raises:
        ValueError: if ``max_words`` is negative.
    """
    _check_budget(max_words)
    settings = config or SummaryBaselineConfig()
    if not sentences:
        return ""
    stop_words = _stop_words(settings.language)
    summarizer = TextRankSummarizer(_stemmer(settings.language))
    summarizer.stop_words = stop_words
    ranked = _sumy_ranking(summarizer, sentences, stop_words)
    return _render(sentences, _fill(ranked, sentences, max_words, overflow=settings.overflow))


# ----------------------------------------------------------------------------------------------
# Story-clustering baselines
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TfidfClusterConfig:
    """TF-IDF settings of :func:`tfidf_agglomerative` (scikit-learn ``TfidfVectorizer``).

    Attributes:
        stop_words: ``"english"`` (scikit-learn's built-in list) or ``None``.
        sublinear_tf: use ``1 + ln(tf)``, so a long article repeating a name does not swamp
            the comparison (Manning et al. 2008, section 6.4.1).
        min_df: ignore terms in fewer documents (1 keeps all).
        max_df: ignore terms in more than this share of documents (1.0 keeps all).
    """

    stop_words: Literal["english"] | None = "english"
    sublinear_tf: bool = True
    min_df: int = 1
    max_df: float = 1.0


def _canonical(labels: Sequence[int]) -> tuple[int, ...]:
    """Renumber labels 0, 1, 2, ... in order of first occurrence."""
    mapping: dict[int, int] = {}
    return tuple(mapping.setdefault(int(label), len(mapping)) for label in labels)


def agglomerative_from_similarity(
    similarity: NDArray[np.floating[Any]], threshold: float
) -> tuple[int, ...]:
    """Average-linkage agglomerative clustering of a cosine-similarity matrix.

    Two clusters merge while their average pairwise similarity is strictly greater than
    ``threshold`` (scikit-learn ``AgglomerativeClustering(metric="precomputed",
    linkage="average", distance_threshold=1 - threshold)`` on distances ``1 - similarity``).

    Args:
        similarity: ``(n, n)`` symmetric similarities in [-1, 1]; the diagonal is ignored.
        threshold: merge threshold in [-1, 1]; 1.0 gives singletons.

    Returns:
        ``n`` labels numbered 0, 1, ... in order of first occurrence.

    Raises:
        ValueError: if the matrix is not square or ``threshold`` is outside [-1, 1].
    """
    if not -1.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [-1, 1], got {threshold}")
    matrix = np.asarray(similarity, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"similarity must be a square matrix, got shape {matrix.shape}")
    n = matrix.shape[0]
    if n == 0:
        return ()
    if n == 1:
        return (0,)
    distance = np.clip(1.0 - (matrix + matrix.T) / 2.0, 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=1.0 - threshold,
    )
    return _canonical(model.fit_predict(distance).tolist())


def tfidf_similarity(
    texts: Sequence[str], config: TfidfClusterConfig | None = None
) -> NDArray[np.float64]:
    """Cosine similarities of the texts' TF-IDF vectors (IDF fitted on ``texts`` themselves).

    Args:
        texts: one string per document (e.g. title + body).
        config: vectoriser settings; ``None`` means the defaults.

    Returns:
        ``(n, n)`` float64 matrix in [0, 1]; rows of texts with no kept term are all 0.
    """
    settings = config or TfidfClusterConfig()
    n = len(texts)
    if n == 0:
        return np.zeros((0, 0), dtype=np.float64)
    vectorizer = TfidfVectorizer(
        stop_words=settings.stop_words,
        sublinear_tf=settings.sublinear_tf,
        min_df=settings.min_df,
        max_df=settings.max_df,
    )
    try:
        matrix = vectorizer.fit_transform(list(texts))
    except ValueError:  # empty vocabulary: every text is empty or stop words only
        return np.zeros((n, n), dtype=np.float64)
    # Rows are L2-normalised by the vectoriser, so the Gram matrix is the cosine matrix.
    return np.asarray((matrix @ matrix.T).toarray(), dtype=np.float64)


def tfidf_agglomerative(
    texts: Sequence[str], threshold: float, *, config: TfidfClusterConfig | None = None
) -> tuple[int, ...]:
    """Cluster documents by TF-IDF cosine with average linkage.

    Args:
        texts: one string per document.
        threshold: cosine similarity above which (on average) clusters merge, in [-1, 1].
        config: vectoriser settings; ``None`` means the defaults.

    Returns:
        One label per text, numbered in order of first occurrence.
    """
    return agglomerative_from_similarity(tfidf_similarity(texts, config), threshold)


def embedding_agglomerative(
    vectors: NDArray[np.floating[Any]], threshold: float
) -> tuple[int, ...]:
    """Cluster documents by the cosine of given vectors with average linkage.

    Args:
        vectors: ``(n, d)`` document vectors (e.g. mean sentence embeddings); rows are
            L2-normalised here, and an all-zero row has similarity 0 to everything.
        threshold: cosine similarity above which (on average) clusters merge, in [-1, 1].

    Returns:
        One label per row, numbered in order of first occurrence.

    Raises:
        ValueError: if ``vectors`` is not 2-D.
    """
    return agglomerative_from_similarity(embedding_similarity(vectors), threshold)


def embedding_similarity(vectors: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
    """Cosine similarities of the rows of ``vectors`` (an all-zero row is 0 to everything).

    Raises:
        ValueError: if ``vectors`` is not 2-D.
    """
    data = np.asarray(vectors, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"vectors must be 2-D (n, d), got shape {data.shape}")
    norms = np.linalg.norm(data, axis=1, keepdims=True)
    unit = np.divide(data, norms, out=np.zeros_like(data), where=norms > 0)
    similarity: NDArray[np.float64] = unit @ unit.T
    return similarity


@dataclass(frozen=True, slots=True)
class ThresholdSearch:
    """Result of :func:`best_threshold`.

    Attributes:
        threshold: the grid value with the best score (the first such, in grid order).
        score: its score.
        curve: ``(threshold, score)`` for every grid value, in grid order.
    """

    threshold: float
    score: float
    curve: tuple[tuple[float, float], ...]


def _bcubed_f1(pred: Mapping[Hashable, Hashable], gold: Mapping[Hashable, Hashable]) -> float:
    return bcubed(pred, gold).f1


def best_threshold(
    fn: Callable[[InputT, float], Sequence[Hashable]],
    inputs: InputT,
    gold: Sequence[Hashable],
    grid: Iterable[float],
    *,
    score: Callable[[Mapping[Hashable, Hashable], Mapping[Hashable, Hashable]], float] = (
        _bcubed_f1
    ),
) -> ThresholdSearch:
    """Oracle threshold: the grid value at which ``fn`` best reproduces the gold clustering.

    This is an upper bound for a baseline (it is tuned on the test labels); report it as such,
    or tune on one set and apply to another.

    Args:
        fn: ``(inputs, threshold) -> labels``, e.g. :func:`tfidf_agglomerative` or
            :func:`embedding_agglomerative`.
        inputs: what ``fn`` clusters (texts, vectors, a similarity matrix, ...).
        gold: gold labels aligned with ``fn``'s output.
        grid: thresholds to try; ties go to the first best value, so pass it ascending to
            prefer the lowest threshold.
        score: ``(pred, gold) -> float``, higher is better, over mappings index -> label;
            default BCubed F1.

    Returns:
        The best threshold, its score and the whole curve.

    Raises:
        ValueError: if ``grid`` is empty, a score is NaN, or ``fn`` returns the wrong number
            of labels.
    """
    gold_map: dict[Hashable, Hashable] = dict(enumerate(gold))
    curve: list[tuple[float, float]] = []
    for threshold in grid:
        labels = fn(inputs, threshold)
        if len(labels) != len(gold):
            raise ValueError(f"fn returned {len(labels)} labels for {len(gold)} gold labels")
        value = float(score(dict(enumerate(labels)), gold_map))
        if math.isnan(value):
            raise ValueError(f"score is NaN at threshold {threshold}")
        curve.append((float(threshold), value))
    if not curve:
        raise ValueError("best_threshold() needs a non-empty grid")
    best = max(curve, key=lambda point: point[1])  # max() keeps the first of equal scores
    return ThresholdSearch(threshold=best[0], score=best[1], curve=tuple(curve))
