"""The stream evaluation: labelled news posted one by one as a live feed, ordinary news between.

What a client of the service sees on a live stream, measured on human-labelled story sets:

* the labelled articles of one set (Giveme5W1H, MultiLing 2011, DUC 2003) are posted one at a
  time in publication order through :meth:`Wiredesk.submit`, without ``story_key``;
* between them, evenly spread, come **unrelated ordinary news articles** written for this
  project (``service/evaluation/data/unrelated_news.jsonl``: weather, sport, local councils,
  company results, science and more; each its own gold story);
* the regrouping pass runs as the service's background task runs it
  (:func:`service.bootstrap._regroup_loop`): once arrivals settle for ``regroup_delay_s``.
  A feed slower than one article per ``regroup_delay_s`` (2 s) gets a pass after every
  arrival, which ``regroup_every=1`` (the default) replays; ``regroup_every=N`` runs it after
  every N arrivals (a burstier feed), and once more after the last one;
* the service's clock is simulated: each arrival happens at its publication time.

Reported (:class:`StreamReport`):

* **BCubed** precision/recall/F1 of the final stories (Bagga & Baldwin, 1998) over every
  posted article (unrelated ones are singletons), and of the story ids returned at ingest;
* **id integrity**: the share of ingest answers whose story id still resolves (through
  redirects) to a live story holding that article, and the number of distinct ids whose
  meaning was lost (they resolve to no live story, or to one holding none of the articles the
  id was returned for; the bar is 0);
* **churn** per 100 posted articles: article moves (an article's current story id changes
  after its arrival, as ``GET /articles/{id}`` would show), story-version bumps, idle bumps
  (a version that moved while the story's members did not; the bar is 0) and title changes;
* **stability**: after the stream, ``probes`` more unrelated articles arrive one at a time,
  each followed by a regrouping pass; for each, the number of *other* stories (not the one
  it joined) whose members or version changed (the bar is 0).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from indexes.factory import create_index
from service.adapters.batching import BatchingEmbedder
from service.adapters.memory import MemoryCache, MemoryStore
from service.domain.errors import WiredeskError
from service.domain.models import ArticleInput
from service.domain.ports import Embedder
from service.evaluation.datasets import EvalArticle
from service.evaluation.metrics import PRF, bcubed
from service.evaluation.runner import CachingEmbedder
from service.evaluation.unrelated import UNRELATED_PATH, load_unrelated
from service.ingest import prepare
from service.settings import Settings
from service.usecases import Wiredesk


@dataclass(frozen=True, slots=True)
class StreamConfig:
    """How the stream is replayed.

    Attributes:
        regroup_every: run the regrouping pass after every this many arrivals (1: after each,
            as the background task does on a feed slower than one article per
            ``regroup_delay_s``).
        probes: unrelated articles posted after the stream to measure stability (at most the
            number of probe articles in the data, 6).
        unrelated: how many of the unrelated articles to interleave (``None``: all 67).
    """

    regroup_every: int = 1
    probes: int = 6
    unrelated: int | None = None

    def __post_init__(self) -> None:
        if self.regroup_every < 1:
            raise ValueError("regroup_every must be >= 1")
        if self.probes < 0:
            raise ValueError("probes must be >= 0")


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One stability probe.

    Attributes:
        doc_id: the probe article.
        story_id: the story it is in after the pass.
        joined_existing: whether that story existed before the probe (a false join).
        other_stories_changed: stories other than ``story_id`` whose members or version
            changed (including stories founded or emptied).
        articles_moved: articles other than the probe whose current story changed.
    """

    doc_id: str
    story_id: str
    joined_existing: bool
    other_stories_changed: int
    articles_moved: int


@dataclass(frozen=True, slots=True)
class StreamReport:
    """The stream evaluation of one labelled set (see the module docstring)."""

    dataset: str
    labelled: int
    unrelated: int
    regroup_every: int
    passes: int
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    labelled_only_f1: float
    ingest_id_f1: float
    issued: int
    id_integrity: float
    ids: int
    ids_lost: int
    ids_dangling: int
    moves_per_100: float
    bumps_per_100: float
    idle_bumps: int
    title_changes_per_100: float
    probes: tuple[ProbeResult, ...]
    seconds: float
    regroup_seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def stability_changed(self) -> int:
        """Other stories changed, summed over the probes (bar: 0)."""
        return sum(p.other_stories_changed for p in self.probes)


def interleave(
    labelled: Sequence[EvalArticle], unrelated: Sequence[EvalArticle]
) -> list[EvalArticle]:
    """Spread ``unrelated`` evenly through ``labelled`` (both keep their order).

    The k-th unrelated article (0-based, of ``u``) follows labelled article
    ``floor((k + 1) * len(labelled) / (u + 1))``; it takes that neighbour's publication time
    (the feed's clock), so the stream stays in time order.
    """
    slots: dict[int, list[EvalArticle]] = {}
    for k, article in enumerate(unrelated):
        slots.setdefault((k + 1) * len(labelled) // (len(unrelated) + 1), []).append(article)
    out: list[EvalArticle] = []
    for i in range(len(labelled) + 1):
        for article in slots.get(i, ()):
            before = out[-1].published_at if out else None
            after = labelled[i].published_at if i < len(labelled) else None
            out.append(_with_time(article, before or after))
        if i < len(labelled):
            out.append(labelled[i])
    return out


def _with_time(article: EvalArticle, when: datetime | None) -> EvalArticle:
    return dataclasses.replace(article, published_at=when)


class _SimClock:
    """The service's clock during the replay: the arrival's publication time, never backwards."""

    def __init__(self) -> None:
        self.now = 1_000_000_000.0

    def advance(self, to: float | None, step: float = 1.0) -> None:
        self.now = max(self.now + 1e-3, to if to is not None else self.now + step)

    def __call__(self) -> float:
        return self.now


@dataclass(slots=True)
class _Tracker:
    """Counts moves, bumps, idle bumps and title changes between observations."""

    wd: Wiredesk
    story_of: dict[str, str] = field(default_factory=dict)
    stories: dict[str, tuple[frozenset[str], int, str | None]] = field(default_factory=dict)
    moves: int = 0
    bumps: int = 0
    idle: int = 0
    titles: int = 0

    def observe(self, arrived: str | None = None) -> tuple[set[str], int]:
        """Compare the world with the last observation; returns (changed story ids, moves)."""
        world = self.wd.world
        now_of = {a: world.current_story_id(s.story_id) for a, s in world.articles.items()}
        moved = sum(
            1
            for a, s in now_of.items()
            if a != arrived and a in self.story_of and self.story_of[a] != s
        )
        current = {
            sid: (frozenset(world.members.get(sid, ())), story.version, story.title)
            for sid, story in world.stories.items()
            if world.members.get(sid)
        }
        changed = {
            s for s in current.keys() | self.stories.keys() if current.get(s) != self.stories.get(s)
        }
        for sid in changed & current.keys() & self.stories.keys():
            members, version, title = current[sid]
            old_members, old_version, old_title = self.stories[sid]
            if version != old_version:
                self.bumps += 1
                self.idle += members == old_members
            self.titles += title != old_title
        self.moves += moved
        self.story_of, self.stories = now_of, current
        return changed, moved


def _input(article: EvalArticle, url_prefix: str) -> ArticleInput:
    return ArticleInput(
        url=f"{url_prefix}{article.url}",
        outlet=article.outlet,
        title=article.title,
        text=article.text,
        published_at=article.published_at.timestamp() if article.published_at else None,
    )


async def run_stream(
    dataset: str,
    labelled: Sequence[EvalArticle],
    settings: Settings,
    embedder: Embedder,
    config: StreamConfig | None = None,
    unrelated_path: Path = UNRELATED_PATH,
) -> StreamReport:
    """Replay one labelled set as a live stream and measure it (see the module docstring).

    Args:
        dataset: the set's name (for the report and the articles' URLs).
        labelled: its articles in publication order, ``cluster_id`` the gold story.
        settings: the service's settings (the same stages and knobs as production).
        embedder: the model (wrap it in a caching embedder to share vectors across runs).
        config: the replay's settings; ``None``: the defaults.
        unrelated_path: the unrelated articles and probes (JSONL, docs/EVAL_DATA_FORMAT.md).

    Returns:
        The report; refused articles are left out of every figure and counted in its notes.
    """
    config = config or StreamConfig()
    start = time.perf_counter()
    unrelated, probes = load_unrelated(unrelated_path)
    if config.unrelated is not None:
        unrelated = unrelated[: config.unrelated]
    stream = interleave(labelled, unrelated)
    prefix = f"stream://{dataset}/"
    cached = embedder if isinstance(embedder, CachingEmbedder) else CachingEmbedder(embedder)
    _prewarm(cached, [_input(a, prefix) for a in [*stream, *probes]], settings)
    # Arrivals are posted one at a time, so the micro-batcher has nothing to wait for.
    settings = dataclasses.replace(settings, embed_max_wait_ms=0.0)
    clock = _SimClock()
    wd = Wiredesk(
        settings,
        MemoryStore(),
        MemoryCache(),
        create_index(settings.index_kind, cached.dim),
        BatchingEmbedder(cached, settings.embed_call_max, 0.0),
        clock=clock,
    )
    tracker = _Tracker(wd)
    issued: list[tuple[str, str, str]] = []  # (article id, story id at ingest, gold)
    refused = 0
    passes = 0
    regroup_s = 0.0
    try:
        for n, article in enumerate(stream, 1):
            clock.advance(article.published_at.timestamp() if article.published_at else None)
            result = (await wd.submit_many([_input(article, prefix)]))[0]
            if isinstance(result, WiredeskError):
                refused += 1
                continue
            issued.append((result.article_id, result.story_id, article.cluster_id))
            tracker.observe(arrived=result.article_id)
            if n % config.regroup_every == 0 or n == len(stream):
                clock.advance(None, settings.regroup_delay_s)
                began = time.perf_counter()
                await wd.regroup()
                regroup_s += time.perf_counter() - began
                passes += 1
                tracker.observe()
        posted = len(issued)
        scores = _score(wd, issued)
        report_probes = await _probes(wd, clock, tracker, probes[: config.probes], prefix, settings)
    finally:
        await wd.embedder.close()
    b3, labelled_b3, ingest_b3, (holds, ids, lost, dangling) = scores
    notes: tuple[str, ...] = ()
    if refused:
        notes += (f"{refused} articles refused by the service (no usable paragraph), not scored",)
    per100 = 100.0 / max(posted, 1)
    return StreamReport(
        dataset=dataset,
        labelled=len(labelled),
        unrelated=len(unrelated),
        regroup_every=config.regroup_every,
        passes=passes,
        bcubed_precision=b3.precision,
        bcubed_recall=b3.recall,
        bcubed_f1=b3.f1,
        labelled_only_f1=labelled_b3.f1,
        ingest_id_f1=ingest_b3.f1,
        issued=posted,
        id_integrity=holds / max(posted, 1),
        ids=ids,
        ids_lost=lost,
        ids_dangling=dangling,
        moves_per_100=tracker.moves * per100,
        bumps_per_100=tracker.bumps * per100,
        idle_bumps=tracker.idle,
        title_changes_per_100=tracker.titles * per100,
        probes=report_probes,
        seconds=time.perf_counter() - start,
        regroup_seconds=regroup_s,
        notes=notes,
    )


def _prewarm(embedder: CachingEmbedder, inputs: Sequence[ArticleInput], settings: Settings) -> None:
    """Embed every paragraph the replay will meet, in large batches, before it starts.

    The replay posts one article at a time, so the model would see small batches; the vectors
    are the same either way (the caching embedder serves them to the ingest), only faster.
    """
    texts: dict[str, None] = {}
    for item in inputs:
        try:
            prepared = prepare(item, settings.split)
        except WiredeskError:
            continue
        texts.update(dict.fromkeys(p.text for p in prepared.paragraphs))
    ordered = list(texts)
    for begin in range(0, len(ordered), _PREWARM_BATCH):
        embedder.encode(ordered[begin : begin + _PREWARM_BATCH])


_PREWARM_BATCH = 256  # texts per model call: the service's own embed_call_max


def _score(
    wd: Wiredesk, issued: Sequence[tuple[str, str, str]]
) -> tuple[PRF, PRF, PRF, tuple[int, int, int, int]]:
    """BCubed of the final stories (all, labelled only), of the ingest ids; id integrity."""
    world = wd.world
    final = {a: world.current_story_id(world.articles[a].story_id) for a, _, _ in issued}
    gold = {a: g for a, _, g in issued}
    b3 = bcubed(final, gold)
    labelled_ids = {a for a, _, g in issued if not g.startswith("unrelated-")}
    labelled_b3 = bcubed(
        {a: s for a, s in final.items() if a in labelled_ids},
        {a: g for a, g in gold.items() if a in labelled_ids},
    )
    ingest_b3 = bcubed({a: s for a, s, _ in issued}, gold)
    holds, ids, lost, dangling = id_integrity(wd, [(a, s) for a, s, _ in issued])
    return b3, labelled_b3, ingest_b3, (holds, ids, lost, dangling)


def id_integrity(wd: Wiredesk, issued: Sequence[tuple[str, str]]) -> tuple[int, int, int, int]:
    """How the story ids returned at ingest resolve now.

    Args:
        wd: the service after the stream.
        issued: ``(article id, story id returned for it)`` per ingest answer.

    Returns:
        ``(answers whose id resolves to a live story holding the article, distinct ids,
        ids whose meaning was lost, ids resolving to no live story)``. An id's meaning is lost
        when it resolves to no live story or to one holding none of its articles.
    """
    world = wd.world

    def live(story_id: str) -> bool:
        return story_id in world.stories and bool(world.members.get(story_id))

    holds = 0
    by_id: dict[str, set[str]] = {}
    for article_id, story_id in issued:
        by_id.setdefault(story_id, set()).add(article_id)
        now = world.current_story_id(story_id)
        holds += live(now) and article_id in world.members[now]
    lost = dangling = 0
    for story_id, articles in by_id.items():
        now = world.current_story_id(story_id)
        dangling += not live(now)
        lost += not live(now) or not (articles & world.members[now])
    return holds, len(by_id), lost, dangling


async def _probes(
    wd: Wiredesk,
    clock: _SimClock,
    tracker: _Tracker,
    probes: Sequence[EvalArticle],
    prefix: str,
    settings: Settings,
) -> tuple[ProbeResult, ...]:
    """Post each probe after the stream, run a pass, count the other stories that changed."""
    out = []
    hour = 3600.0
    for article in probes:
        before = set(tracker.stories)
        clock.advance(clock.now + hour)
        dated = _with_time(article, None)
        result = (await wd.submit_many([_input(dated, prefix)]))[0]
        if isinstance(result, WiredeskError):
            continue
        changed, moved_at_ingest = tracker.observe(arrived=result.article_id)
        clock.advance(None, settings.regroup_delay_s)
        await wd.regroup()
        changed_pass, moved_pass = tracker.observe()
        story = wd.world.current_story_id(result.story_id)
        others = (changed | changed_pass) - {story}
        out.append(
            ProbeResult(
                article.doc_id,
                story,
                story in before,
                len(others),
                moved_at_ingest + moved_pass,
            )
        )
    return tuple(out)


# ------------------------------------------------------------------------------------ output
def render(report: StreamReport) -> str:
    """The report as plain-text tables (the style of ``wiredesk eval``'s other reports)."""
    head = (
        f"stream · {report.dataset} · {report.labelled} labelled + {report.unrelated} unrelated "
        f"articles · regroup every {report.regroup_every} ({report.passes} passes) · "
        f"{report.seconds:.0f} s ({report.regroup_seconds:.0f} s in passes)"
    )
    quality = [
        ("B3-P", "B3-R", "B3-F1", "labelled-only F1", "ingest-id F1"),
        (
            _p(report.bcubed_precision),
            _p(report.bcubed_recall),
            _p(report.bcubed_f1),
            _p(report.labelled_only_f1),
            _p(report.ingest_id_f1),
        ),
    ]
    ids = [
        ("id integrity", "ids issued", "ids lost (bar 0)", "dangling"),
        (_p(report.id_integrity), str(report.ids), str(report.ids_lost), str(report.ids_dangling)),
    ]
    churn = [
        ("moves/100", "version bumps/100", "idle bumps (bar 0)", "title changes/100"),
        (
            f"{report.moves_per_100:.1f}",
            f"{report.bumps_per_100:.1f}",
            str(report.idle_bumps),
            f"{report.title_changes_per_100:.1f}",
        ),
    ]
    probes = [("probe", "joined existing", "other stories changed (bar 0)", "articles moved")]
    probes += [
        (
            p.doc_id,
            "yes" if p.joined_existing else "no",
            str(p.other_stories_changed),
            str(p.articles_moved),
        )
        for p in report.probes
    ]
    parts = [head, _table(quality), _table(ids), _table(churn), _table(probes)]
    parts.append(
        f"stability: {report.stability_changed} other stories changed over "
        f"{len(report.probes)} probes"
    )
    parts += list(report.notes)
    return "\n".join(parts)


def _p(x: float) -> str:
    return f"{100 * x:.2f}"


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
