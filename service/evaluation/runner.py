"""The evaluation harness: the service's own pipeline, scored on human-labelled news.

Everything runs in-process through :class:`service.usecases.Wiredesk`, built from the same
:class:`Settings`, the same model and the same stages as the HTTP service; only the store and
the cache are the in-memory adapters (they do not touch quality). Baselines run in the same call
on the same sentences (the service's splitter), so every table compares like with like.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from indexes.factory import create_index
from service.adapters.batching import BatchingEmbedder
from service.adapters.memory import MemoryCache, MemoryStore
from service.domain.errors import WiredeskError
from service.domain.models import ArticleInput
from service.domain.ports import Embedder
from service.evaluation import baselines as bl
from service.evaluation.datasets import EvalArticle, ParaphrasePair, SummaryCluster
from service.evaluation.metrics import (
    RougeScores,
    adjusted_rand_index,
    bcubed,
    bootstrap_ci,
    make_rouge_scorer,
    mean_rouge,
    pairwise_f1,
    pr_curve,
    precision_recall_f1,
    rouge,
    spearman,
    threshold_for_precision,
)
from service.pipeline.dedup import is_near_duplicate
from service.pipeline.lexical import signature
from service.pipeline.split import split_sentences
from service.settings import Settings
from service.usecases import Wiredesk

log = logging.getLogger(__name__)

WIREDESK = "wiredesk"


class CachingEmbedder:
    """Remembers every vector by text, so re-running the pipeline on a set embeds it once.

    Evaluation only: several pipelines (served brief, cut brief, story runs) see the same
    paragraphs, and the model is the cost of every run.
    """

    def __init__(self, embedder: Embedder) -> None:
        self._inner = embedder
        self._memo: dict[str, np.ndarray[Any, Any]] = {}

    @property
    def dim(self) -> int:
        """The wrapped embedder's dimension."""
        return self._inner.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        """Vectors in input order; only unseen texts reach the model."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if todo:
            self._memo.update(zip(todo, self._inner.encode(todo), strict=True))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._memo[t] for t in texts])


def build_pipeline(settings: Settings, embedder: Embedder) -> Wiredesk:
    """The service's use cases on in-memory store and cache (same settings, model, stages)."""
    return Wiredesk(
        settings,
        MemoryStore(),
        MemoryCache(),
        create_index(settings.index_kind, embedder.dim),
        BatchingEmbedder(embedder, settings.embed_call_max, settings.embed_max_wait_ms / 1000),
    )


def _input(article: EvalArticle, story_key: str | None) -> ArticleInput:
    return ArticleInput(
        url=article.url,
        outlet=article.outlet,
        title=article.title,
        text=article.text,
        published_at=article.published_at.timestamp() if article.published_at else None,
        story_key=story_key,
    )


async def _submit(
    wd: Wiredesk, inputs: Sequence[ArticleInput], batch: int = 32
) -> list[str | None]:
    """Submit in order (in batches, as a feed would).

    Returns:
        Each article's id, or ``None`` where the service refused it (a text with no usable
        paragraph): the evaluation scores such an article as a story of its own and says so.
    """
    ids: list[str | None] = []
    for start in range(0, len(inputs), batch):
        for result in await wd.submit_many(inputs[start : start + batch]):
            if isinstance(result, WiredeskError):
                log.warning("evaluation article refused: %s", result)
                ids.append(None)
            else:
                ids.append(result.article_id)
    return ids


# ------------------------------------------------------------------------------------- briefs
@dataclass(frozen=True, slots=True)
class SystemScore:
    """One system's mean ROUGE over a set, with a bootstrap CI of ROUGE-2 recall."""

    system: str
    rouge: RougeScores
    rouge2_recall_ci: tuple[float, float, float]
    per_cluster_rouge2_recall: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class BriefReport:
    """Brief quality on one data set."""

    dataset: str
    clusters: int
    max_words: int
    systems: tuple[SystemScore, ...]
    seconds: float
    notes: tuple[str, ...] = ()


def _baseline_systems(seed: int, language: str) -> dict[str, Callable[[Sequence[Any], int], str]]:
    cut = bl.SummaryBaselineConfig(language=language, overflow=True)
    return {
        "lead": lambda s, n: bl.lead(s, n, config=cut),
        "centroid": lambda s, n: bl.centroid(s, n, config=cut),
        "lexrank": lambda s, n: bl.lexrank(s, n, config=cut),
        "icsi-ilp": lambda s, n: bl.concept_ilp(s, n, config=cut),
        "textrank": lambda s, n: bl.textrank(s, n, config=cut),
        "random": lambda s, n: bl.random_baseline(s, n, seed=seed, config=cut),
    }


async def evaluate_briefs(
    dataset: str,
    clusters: Sequence[SummaryCluster],
    settings: Settings,
    embedder: Embedder,
    *,
    max_words: int = 100,
    seed: int = 0,
    language: str = "english",
    with_baselines: bool = True,
) -> BriefReport:
    """Score Wiredesk's briefs, the baselines and any peer systems against the references.

    Each cluster's articles are submitted with a shared ``story_key`` (so grouping is not
    measured here), then the story's brief is fetched as a client would. Every summary is cut
    to ``max_words`` words before ROUGE (DUC's rule); Wiredesk is scored twice: its served
    brief (whole sentences within the budget) and ``wiredesk-cut`` (one more sentence allowed,
    then the cut, as the baselines are scored).
    """
    start = time.perf_counter()
    scorer = make_rouge_scorer(language)
    per_system: dict[str, list[RougeScores]] = {}
    overflow = dataclasses.replace(
        settings, summarize=dataclasses.replace(settings.summarize, overflow=True)
    )
    runs = [(WIREDESK, build_pipeline(settings, embedder))]
    runs.append((f"{WIREDESK}-cut", build_pipeline(overflow, embedder)))
    systems = _baseline_systems(seed, language) if with_baselines else {}
    try:
        for cluster in clusters:
            inputs = [_input(a, f"eval:{cluster.cluster_id}") for a in cluster.articles]

            def score(name: str, summary: str, refs: Sequence[str] = cluster.references) -> None:
                per_system.setdefault(name, []).append(
                    rouge(summary, refs, max_words=max_words, scorer=scorer)
                )

            for name, wd in runs:
                ids = [i for i in await _submit(wd, inputs) if i is not None]
                if not ids:
                    raise RuntimeError(f"every article of cluster {cluster.cluster_id} refused")
                story_id = wd.get_article(ids[0])[1]
                brief = await wd.get_brief(story_id, max_words=max_words)
                score(name, brief.text)
            sentences = bl.source_sentences(cluster.articles, split_sentences)
            for name, fn in systems.items():
                score(name, fn(sentences, max_words))
            for name, text in cluster.peers.items():
                score(f"peer {name}", text)
    finally:
        for _, wd in runs:
            await wd.embedder.close()
    scores = []
    for name, values in per_system.items():
        r2 = [v.rouge2.recall for v in values]
        scores.append(SystemScore(name, mean_rouge(values), bootstrap_ci(r2, seed=seed), tuple(r2)))
    scores.sort(key=lambda s: -s.rouge.rouge2.recall)
    return BriefReport(
        dataset, len(clusters), max_words, tuple(scores), time.perf_counter() - start
    )


# ------------------------------------------------------------------------------------ stories
@dataclass(frozen=True, slots=True)
class ClusteringScore:
    """One system's story clustering against the gold clusters."""

    system: str
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    pairwise_f1: float
    ari: float
    clusters: int
    threshold: float | None = None


@dataclass(frozen=True, slots=True)
class StoryReport:
    """Story grouping quality on one data set."""

    dataset: str
    articles: int
    gold_clusters: int
    systems: tuple[ClusteringScore, ...]
    seconds: float
    notes: tuple[str, ...] = ()


def _clustering(
    system: str, pred: Sequence[Any], gold: Sequence[Any], threshold: float | None = None
) -> ClusteringScore:
    p = dict(enumerate(pred))
    g = dict(enumerate(gold))
    b = bcubed(p, g)
    return ClusteringScore(
        system,
        b.precision,
        b.recall,
        b.f1,
        pairwise_f1(p, g).f1,
        adjusted_rand_index(p, g),
        len(set(pred)),
        threshold,
    )


# The oracle's thresholds: 0.05 to 0.95 in steps of 0.0025. A coarser grid flatters Wiredesk:
# at steps of 0.025 the TF-IDF oracle missed MultiLing's best thresholds (0.060-0.068, F1 0.982
# against 0.954 at 0.080). Each step is one cut of a precomputed similarity matrix (~7 ms at
# 415 articles).
GRID = tuple(round(0.05 + k * 0.0025, 4) for k in range(361))


@dataclass(frozen=True, slots=True)
class StoryInputs:
    """What the clustering baselines need from one set (kept to tune thresholds across sets)."""

    texts: tuple[str, ...]
    vectors: np.ndarray[Any, Any]
    gold: tuple[str, ...]


async def wiredesk_stories(
    articles: Sequence[EvalArticle], settings: Settings, embedder: Embedder
) -> tuple[list[str], StoryInputs]:
    """Submit without ``story_key`` in publication order; each article's final story."""
    wd = build_pipeline(settings, embedder)
    try:
        ids = await _submit(wd, [_input(a, None) for a in articles])
        # What the service's background pass does regroup_delay_s after the last arrival.
        await wd.regroup()
        stories = [
            wd.get_article(i)[1] if i is not None else f"refused:{n}" for n, i in enumerate(ids)
        ]
        zero = np.zeros(wd.embedder.dim, dtype=np.float32)  # a refused article links nothing
        vectors = np.stack(
            [
                np.frombuffer(wd.world.articles[i].doc_vector, dtype=np.float32)
                if i is not None
                else zero
                for i in ids
            ]
        )
    finally:
        await wd.embedder.close()
    texts = tuple(f"{a.title or ''}\n{a.text}" for a in articles)
    return stories, StoryInputs(texts, vectors, tuple(a.cluster_id for a in articles))


def _baseline_fns(inputs: StoryInputs) -> dict[str, Callable[[float], Sequence[int]]]:
    """Each baseline as threshold -> labels, its similarity matrix computed once."""
    similarities = {
        "tfidf+agglomerative": bl.tfidf_similarity(inputs.texts),
        "minilm-doc+agglomerative": bl.embedding_similarity(inputs.vectors),
    }
    return {
        name: functools.partial(bl.agglomerative_from_similarity, similarity)
        for name, similarity in similarities.items()
    }


def _oracle(fn: Callable[[float], Sequence[int]], gold: Sequence[str]) -> float:
    def labels(_: None, threshold: float) -> Sequence[int]:
        return fn(threshold)

    return bl.best_threshold(labels, None, list(gold), GRID).threshold


def baseline_stories(
    inputs: StoryInputs, transfer: dict[str, float] | None = None
) -> list[ClusteringScore]:
    """TF-IDF and MiniLM-document agglomerative baselines: oracle and transferred thresholds.

    Args:
        inputs: the set's texts, document vectors and gold labels.
        transfer: threshold per baseline chosen on a *different* set (keys as in
            :func:`oracle_thresholds`); omitted baselines get their oracle threshold only.
    """
    out = []
    for name, fn in _baseline_fns(inputs).items():
        best = _oracle(fn, inputs.gold)
        out.append(_clustering(f"{name} (oracle on this set)", fn(best), inputs.gold, best))
        if transfer and name in transfer:
            t = transfer[name]
            out.append(_clustering(f"{name} (threshold from other set)", fn(t), inputs.gold, t))
    return out


def oracle_thresholds(inputs: StoryInputs) -> dict[str, float]:
    """Each baseline's best BCubed-F1 threshold on a set (to transfer to another set)."""
    return {name: _oracle(fn, inputs.gold) for name, fn in _baseline_fns(inputs).items()}


async def evaluate_stories(
    dataset: str,
    articles: Sequence[EvalArticle],
    settings: Settings,
    embedder: Embedder,
    *,
    transfer: dict[str, float] | None = None,
    transfer_from: str | None = None,
) -> tuple[StoryReport, StoryInputs]:
    """Score Wiredesk's story grouping and the baselines on one set."""
    start = time.perf_counter()
    stories, inputs = await wiredesk_stories(articles, settings, embedder)
    systems = [_clustering(WIREDESK, stories, inputs.gold)]
    systems += baseline_stories(inputs, transfer)
    systems.sort(key=lambda s: -s.bcubed_f1)
    notes: tuple[str, ...] = (
        (f"transferred thresholds chosen on {transfer_from}",) if transfer_from else ()
    )
    refused = sum(1 for s in stories if s.startswith("refused:"))
    if refused:
        notes += (f"{refused} articles refused by the service (no usable paragraph), scored alone",)
    report = StoryReport(
        dataset,
        len(articles),
        len(set(inputs.gold)),
        tuple(systems),
        time.perf_counter() - start,
        notes,
    )
    return report, inputs


# -------------------------------------------------------------------------------------- dedup
@dataclass(frozen=True, slots=True)
class DedupReport:
    """The near-duplicate decision on labelled pairs."""

    dataset: str
    pairs: int
    positives: int
    rule: str
    precision: float
    recall: float
    f1: float
    threshold_for_95_precision: float | None
    recall_at_95_precision: float | None
    spearman: float | None
    curve: tuple[tuple[float, float, float], ...]
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)


def describe_rule(settings: Settings) -> str:
    """The configured near-duplicate decision, in words."""
    d = settings.dedup
    return (
        f"same facts, and cosine >= {d.threshold:.2f}, or >= {d.lexical_threshold:.2f} with "
        f"the same numbers and content-word Jaccard >= {d.min_jaccard:.2f}"
    )


def evaluate_dedup(
    dataset: str,
    pairs: Sequence[ParaphrasePair],
    settings: Settings,
    embedder: Embedder,
    *,
    positive_at: float = 1.0,
) -> DedupReport:
    """The service's near-duplicate decision against the pair labels.

    ``precision``/``recall``/``f1`` are those of the configured decision
    (:func:`service.pipeline.dedup.is_near_duplicate`: cosine plus the lexical check); the
    curve and ``threshold_for_95_precision`` are the cosine's alone, for comparison.

    Args:
        dataset: name for the report.
        pairs: labelled pairs.
        settings: gives the dedup configuration.
        embedder: the model.
        positive_at: a pair is a gold near-duplicate when ``label >= positive_at`` (1 for
            MRPC's 0/1 labels; 4.0 for STS-B's 0–5 grades: "mostly equivalent" or better).
    """
    start = time.perf_counter()
    a = embedder.encode([p.text_a for p in pairs])
    b = embedder.encode([p.text_b for p in pairs])
    scores = [float(x) for x in np.einsum("ij,ij->i", a, b)]
    labels = [int(float(p.label) >= positive_at) for p in pairs]
    decided = [
        is_near_duplicate(s, signature(p.text_a), signature(p.text_b), settings.dedup)
        for s, p in zip(scores, pairs, strict=True)
    ]
    # The decision as a score: 1 when the rule says near-duplicate, so threshold 0.5 applies it.
    at = precision_recall_f1([float(d) for d in decided], labels, 0.5)
    high = threshold_for_precision(scores, labels, 0.95)
    curve = pr_curve(scores, labels)
    step = max(1, len(curve) // 40)
    graded = spearman(scores, [float(p.label) for p in pairs]) if positive_at != 1.0 else None
    return DedupReport(
        dataset,
        len(pairs),
        sum(labels),
        describe_rule(settings),
        at.precision,
        at.recall,
        at.f1,
        high.threshold if high else None,
        high.recall if high else None,
        graded,
        tuple((c.threshold, c.precision, c.recall) for c in curve[::step]),
        time.perf_counter() - start,
    )


def sample_clusters(
    clusters: Sequence[SummaryCluster], limit: int | None, seed: int = 0
) -> list[SummaryCluster]:
    """The first ``limit`` clusters after a seeded shuffle (all when ``limit`` is None)."""
    chosen = list(clusters)
    if limit is not None and limit < len(chosen):
        random.Random(seed).shuffle(chosen)
        chosen = sorted(chosen[:limit], key=lambda c: c.cluster_id)
    return chosen


def sample_articles(
    clusters: Sequence[SummaryCluster], articles: int | None, seed: int = 0
) -> list[SummaryCluster]:
    """Keep ``articles`` articles of each cluster, to measure briefs of smaller stories.

    Each cluster's sample is seeded by ``seed`` and its cluster id (a cluster's sample does
    not depend on which other clusters run) and keeps publication order. The peers' summaries
    are dropped from a sampled cluster: they summarise every article, so they are not
    comparable. ``None``, or a count at or above a cluster's size, keeps the cluster whole.

    Raises:
        ValueError: ``articles`` is below 1.
    """
    if articles is None:
        return list(clusters)
    if articles < 1:
        raise ValueError("articles must be >= 1")
    out = []
    for cluster in clusters:
        if articles >= len(cluster.articles):
            out.append(cluster)
            continue
        rng = random.Random(f"{seed}:{cluster.cluster_id}")
        keep = sorted(rng.sample(range(len(cluster.articles)), articles))
        out.append(
            dataclasses.replace(
                cluster,
                articles=tuple(cluster.articles[i] for i in keep),
                peers=MappingProxyType({}),
            )
        )
    return out


def run(coro: Any) -> Any:
    """Run a coroutine to completion (the CLI's entry into the async use cases)."""
    return asyncio.run(coro)
