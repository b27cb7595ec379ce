"""Loaders for the labelled evaluation sets and for the documented user JSONL format.

The development sets live outside the project (publishers' copyright): by default in
``../shared/data`` relative to the repository root, or wherever the environment variable
``WIREDESK_EVAL_DATA`` points. Each folder's ``SOURCE.txt`` describes the raw format; this
module turns them into three frozen record types:

* :class:`EvalArticle`: one news article with its gold story (cluster) id;
* :class:`SummaryCluster`: a document cluster with human reference summaries (and, for
  MultiLing, the participant systems' summaries);
* :class:`ParaphrasePair`: two sentences with a same-meaning label (MRPC 0/1, STS-B 0-5).

Every loader returns tuples in a documented, deterministic order. Times are timezone-aware:
the data sets give naive wall-clock times, which are read as UTC (the true zones are unknown;
only the ordering matters to the harness). Paragraph texts are stripped of surrounding
whitespace and empty paragraphs are dropped; otherwise they are kept exactly as given.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

DATA_ENV_VAR = "WIREDESK_EVAL_DATA"
"""Environment variable naming the evaluation data root (overrides the default location)."""

# service/evaluation/datasets.py -> parents[2] is the repository root.
_REPO_ROOT = Path(__file__).resolve().parents[2]

StorySetName = Literal["duc2003", "multiling2011", "giveme5w1h"]


# ----------------------------------------------------------------------------------------------
# Records
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EvalArticle:
    """One labelled news article.

    Attributes:
        doc_id: id unique within its data set (DUC document number, ``M0000.english``, ...).
        cluster_id: gold story / topic / event id; articles sharing it belong to one story.
        outlet: publisher (DUC: ``APW``/``NYT``/``XIE``; MultiLing: ``WikiNews``).
        published_at: publication time (timezone-aware), or ``None`` when unknown.
        title: headline, or ``None``.
        paragraphs: body paragraphs in reading order, stripped, none empty.
        url: the article's URL, or ``eval://<dataset>/<doc_id>`` when the set has none.
    """

    doc_id: str
    cluster_id: str
    outlet: str
    published_at: datetime | None
    title: str | None
    paragraphs: tuple[str, ...]
    url: str

    @property
    def text(self) -> str:
        """The body as the service ingests it: paragraphs joined by newlines."""
        return "\n".join(self.paragraphs)


@dataclass(frozen=True, slots=True)
class SummaryCluster:
    """A multi-document summarisation input with its human references.

    Attributes:
        cluster_id: the cluster (topic) id, equal to its articles' ``cluster_id``.
        articles: the input documents in publication order (see :func:`publication_order`).
        references: human reference summaries, ordered by annotator id.
        peers: participant systems' summaries by system id (MultiLing only; empty otherwise),
            iterating in system-number order (``ID1``, ``ID2``, ..., ``ID10``).
        task: DUC 2003 task number (2 = generic short, 3 = viewpoint, 4 = novelty); ``None``
            for other sets. DUC task-3 references answer a viewpoint, so filter on it.
    """

    cluster_id: str
    articles: tuple[EvalArticle, ...]
    references: tuple[str, ...]
    peers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    task: int | None = None


@dataclass(frozen=True, slots=True)
class ParaphrasePair:
    """Two texts with a gold same-meaning label.

    Attributes:
        text_a: first text.
        text_b: second text.
        label: MRPC: 1 = paraphrase, 0 = not. STS-B: graded similarity, 0.0 (unrelated) to 5.0
            (equivalent). User JSONL: whatever the file gives.
        source: sub-corpus: ``"mrpc"``, ``"stsb/headlines"``, ``"stsb/MSRpar"``,
            ``"stsb/deft-news"``, or the JSONL ``source`` field (default ``"jsonl"``).
            STS-B ``MSRpar`` pairs are drawn from MRPC: never tune on one and test on the other.
        pair_id: id within the source (MRPC: ``"<id1>-<id2>"``; STS-B: ``"<file>/<years>/<id>"``).
    """

    text_a: str
    text_b: str
    label: int | float
    source: str
    pair_id: str = ""


@dataclass(frozen=True, slots=True)
class JsonlDataset:
    """Everything one user JSONL file holds (format: ``docs/EVAL_DATA_FORMAT.md``).

    Attributes:
        articles: all articles in publication order (see :func:`publication_order`).
        clusters: one cluster per article ``cluster_id``, sorted by ``cluster_id``; articles
            in publication order; references and peers in file order.
        pairs: the sentence pairs in file order.
    """

    articles: tuple[EvalArticle, ...]
    clusters: tuple[SummaryCluster, ...]
    pairs: tuple[ParaphrasePair, ...]


# ----------------------------------------------------------------------------------------------
# Paths and shared helpers
# ----------------------------------------------------------------------------------------------


def default_data_root(environ: Mapping[str, str] | None = None) -> Path:
    """Where the evaluation data lives.

    Args:
        environ: the environment to read; ``None`` reads ``os.environ``.

    Returns:
        ``$WIREDESK_EVAL_DATA`` when set and non-empty (``~`` expanded), else
        ``<repo root>/../shared/data``. The path is not checked for existence.
    """
    env = os.environ if environ is None else environ
    value = env.get(DATA_ENV_VAR, "").strip()
    if value:
        return Path(value).expanduser()
    return _REPO_ROOT.parent / "shared" / "data"


def _resolve(root: str | os.PathLike[str] | None) -> Path:
    """``root`` as a Path, or :func:`default_data_root` when ``None``."""
    return default_data_root() if root is None else Path(root)


def publication_order(articles: Sequence[EvalArticle]) -> tuple[EvalArticle, ...]:
    """Sort articles oldest first; ties by ``doc_id``; undated articles last (by ``doc_id``).

    Args:
        articles: any articles.

    Returns:
        A new tuple; the sort is total, so the order is deterministic.
    """

    def key(article: EvalArticle) -> tuple[bool, float, str]:
        stamp = article.published_at.timestamp() if article.published_at is not None else 0.0
        return (article.published_at is None, stamp, article.doc_id)

    return tuple(sorted(articles, key=key))


def _as_utc(value: datetime) -> datetime:
    """Attach UTC to a naive datetime; convert an aware one to UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _parse_iso_lenient(value: object) -> datetime | None:
    """ISO-8601 text -> aware UTC datetime; ``None`` for missing or unparseable values."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return _as_utc(datetime.fromisoformat(value.strip()))
    except ValueError:
        return None


# DUC document ids carry the wire date: APW19980628.0833 -> 1998-06-28.
_DUC_ID_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _duc_date(value: object, doc_id: str) -> datetime | None:
    """Publication time of a DUC document.

    The ``date`` field is mostly ISO (``1999-05-19 21:11:17``), but 88 APW documents use US
    order (``08/03/1998 10:25:00``) and one is corrupt (``1998-28-06 18:51:00``). Tried in that
    order: ISO, ``%m/%d/%Y %H:%M:%S``, then midnight UTC of the date in the document id.
    """
    parsed = _parse_iso_lenient(value)
    if parsed is not None:
        return parsed
    if isinstance(value, str):
        try:
            return _as_utc(datetime.strptime(value.strip(), "%m/%d/%Y %H:%M:%S"))
        except ValueError:
            pass
    match = _DUC_ID_DATE.search(doc_id)
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    return _safe_date(year, month, day)


def _safe_date(year: int, month: int, day: int) -> datetime | None:
    """``datetime(year, month, day, tzinfo=UTC)``, or ``None`` if that is not a real date."""
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None


def _clean_paragraphs(paragraphs: Sequence[str]) -> tuple[str, ...]:
    """Strip each paragraph and drop the empty ones."""
    return tuple(p.strip() for p in paragraphs if p.strip())


def _text_to_paragraphs(text: str) -> tuple[str, ...]:
    """Split a body at line breaks into stripped, non-empty paragraphs."""
    return _clean_paragraphs(text.split("\n"))


def _iter_json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    r"""Yield ``(1-based line number, parsed value)`` for each non-blank line of a JSONL file.

    Lines are split on ``\n`` only: the texts contain U+2028 and other characters that
    ``str.splitlines`` would wrongly treat as line ends.

    Raises:
        ValueError: naming the file and line, for a line that is not valid JSON.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, raw in enumerate(handle.read().split("\n"), start=1):
            line = raw.strip()
            if not line:
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number}: invalid JSON: {error.msg}") from error


def _read_objects(path: Path) -> list[dict[str, Any]]:
    """Read a JSONL file of objects (the curated sets); raise ValueError on anything else."""
    objects: list[dict[str, Any]] = []
    for number, value in _iter_json_lines(path):
        if not isinstance(value, dict):
            raise ValueError(f"{path}:{number}: expected a JSON object")
        objects.append(value)
    return objects


# ----------------------------------------------------------------------------------------------
# DUC 2003
# ----------------------------------------------------------------------------------------------


def load_duc2003(root: str | os.PathLike[str] | None = None) -> tuple[SummaryCluster, ...]:
    """Load DUC 2003 (``duc2003/docs.jsonl`` and ``duc2003/summaries.jsonl``).

    Article fields: ``outlet`` is the wire (``source``: APW, NYT or XIE), ``published_at`` the
    ``date`` field read as UTC (ISO or US ``MM/DD/YYYY`` order; the date in the document id
    when the field is unreadable), ``title`` the ``headline`` (absent in this copy, so ``None``),
    ``url`` is ``eval://duc2003/<doc_id>``. The set mixes task 2 (generic 100-word summaries)
    and task 3 (viewpoint summaries); ``SummaryCluster.task`` tells them apart.

    Args:
        root: the data root (containing ``duc2003/``); ``None`` uses :func:`default_data_root`.

    Returns:
        One cluster per ``cluster_id``, sorted by ``cluster_id``; articles in publication
        order; the four references ordered by annotator. Clusters without a summaries line
        get no references and ``task`` from their documents.

    Raises:
        FileNotFoundError: if the files are missing.
        ValueError: if a summaries line names a cluster with no documents.
    """
    base = _resolve(root) / "duc2003"
    by_cluster: dict[str, list[EvalArticle]] = defaultdict(list)
    doc_task: dict[str, int | None] = {}
    for doc in _read_objects(base / "docs.jsonl"):
        doc_id = str(doc["doc_id"])
        cluster_id = str(doc["cluster_id"])
        by_cluster[cluster_id].append(
            EvalArticle(
                doc_id=doc_id,
                cluster_id=cluster_id,
                outlet=str(doc.get("source") or ""),
                published_at=_duc_date(doc.get("date"), doc_id),
                title=(doc.get("headline") or None),
                paragraphs=_clean_paragraphs(doc.get("paragraphs") or ()),
                url=f"eval://duc2003/{doc_id}",
            )
        )
        task = doc.get("duc2003_task")
        doc_task[cluster_id] = int(task) if task is not None else None
    references: dict[str, tuple[str, ...]] = {}
    tasks: dict[str, int | None] = dict(doc_task)
    for summary in _read_objects(base / "summaries.jsonl"):
        cluster_id = str(summary["cluster_id"])
        if cluster_id not in by_cluster:
            raise ValueError(f"duc2003 summaries name cluster {cluster_id!r} with no documents")
        refs = sorted(summary.get("references") or (), key=lambda r: str(r.get("annotator")))
        references[cluster_id] = tuple(str(r["text"]) for r in refs)
        task = summary.get("duc2003_task")
        if task is not None:
            tasks[cluster_id] = int(task)
    return tuple(
        SummaryCluster(
            cluster_id=cluster_id,
            articles=publication_order(by_cluster[cluster_id]),
            references=references.get(cluster_id, ()),
            task=tasks.get(cluster_id),
        )
        for cluster_id in sorted(by_cluster)
    )


# ----------------------------------------------------------------------------------------------
# MultiLing 2011
# ----------------------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}
_MONTH_ALT = "|".join(_MONTHS)
# WikiNews English datelines: "Saturday, January 8, 2005", "December 29, 2004", also glued to
# the first sentence ("Tuesday, January 18, 2005Through a telethon ..."): hence no \b after the
# year, only "not another digit".
_DATELINE_MDY = re.compile(
    rf"^\W*(?:[A-Za-z]+,?\s+)?({_MONTH_ALT})\s+(\d{{1,2}}),?\s+(\d{{4}})(?!\d)", re.IGNORECASE
)
# "8 January 2005" style, in case a translation kept an English month name.
_DATELINE_DMY = re.compile(
    rf"^\W*(?:[A-Za-z]+,?\s+)?(\d{{1,2}})\s+({_MONTH_ALT}),?\s+(\d{{4}})(?!\d)", re.IGNORECASE
)
# Numeric date prefix of some titles: "2005/01/08 Tsunami aid ..." (Y/M/D; the French copy uses
# D/M/Y "08/01/2005"; the Arabic copy has a truncated "005/01/08", which is stripped but not
# parsed).
_TITLE_DATE = re.compile(r"^\s*(\d{1,4})/(\d{1,2})/(\d{1,4})(?!\d)\s*")


def _multiling_date(title: str, paragraphs: Sequence[str]) -> datetime | None:
    """Publication date of a WikiNews article, from its dateline or its title, else None.

    The dateline is searched at the start of the first two paragraphs (one article puts a
    photo caption first), then a numeric title prefix is tried. Only English month names are
    recognised, so most non-English datelines give ``None`` unless the title has a date.
    """
    for paragraph in paragraphs[:2]:
        match = _DATELINE_MDY.match(paragraph)
        if match is not None:
            month, day, year = match.groups()
            return _safe_date(int(year), _MONTHS[month.lower()], int(day))
        match = _DATELINE_DMY.match(paragraph)
        if match is not None:
            day, month, year = match.groups()
            return _safe_date(int(year), _MONTHS[month.lower()], int(day))
    match = _TITLE_DATE.match(title)
    if match is not None:
        first, second, third = match.groups()
        if len(first) == 4:
            return _safe_date(int(first), int(second), int(third))
        if len(third) == 4:
            return _safe_date(int(third), int(second), int(first))
    return None


def _system_number(system_id: str) -> tuple[int, str]:
    """Sort key ``ID10`` after ``ID9``: the trailing integer, then the id itself."""
    digits = re.search(r"(\d+)$", system_id)
    return (int(digits.group(1)) if digits else -1, system_id)


def _multiling_articles(
    docs: Sequence[Mapping[str, Any]], wanted: str
) -> dict[str, list[EvalArticle]]:
    """Build the articles of language ``wanted``, grouped by topic id.

    The collection is parallel (each non-English document translates the English one with the
    same topic and ``doc_index``), so when a translation's dateline cannot be read its English
    original's date is used.

    Raises:
        ValueError: if no document has language ``wanted``.
    """
    english_dates: dict[tuple[str, str], datetime | None] = {}
    for doc in docs:
        if str(doc.get("lang")) == "english":
            key = (str(doc.get("topic_id")), str(doc.get("doc_index")))
            english_dates[key] = _multiling_date(
                str(doc.get("title") or ""), _clean_paragraphs(doc.get("paragraphs") or ())
            )
    by_topic: dict[str, list[EvalArticle]] = defaultdict(list)
    for doc in docs:
        if str(doc.get("lang")) != wanted:
            continue
        doc_id = str(doc["doc_id"])
        topic = str(doc["topic_id"])
        raw_title = str(doc.get("title") or "")
        paragraphs = _clean_paragraphs(doc.get("paragraphs") or ())
        published_at = _multiling_date(raw_title, paragraphs)
        if published_at is None:
            published_at = english_dates.get((topic, str(doc.get("doc_index"))))
        by_topic[topic].append(
            EvalArticle(
                doc_id=doc_id,
                cluster_id=topic,
                outlet="WikiNews",
                published_at=published_at,
                title=_TITLE_DATE.sub("", raw_title, count=1).strip() or None,
                paragraphs=paragraphs,
                url=f"eval://multiling2011/{doc_id}",
            )
        )
    if not by_topic:
        languages = sorted({str(doc.get("lang")) for doc in docs})
        raise ValueError(f"no MultiLing 2011 documents in {wanted!r}; have {languages}")
    return by_topic


def load_multiling2011(
    root: str | os.PathLike[str] | None = None, lang: str = "english"
) -> tuple[SummaryCluster, ...]:
    """Load one language of the TAC 2011 MultiLing pilot (10 WikiNews topics x 10 articles).

    Article fields: ``cluster_id`` is the topic id (``M000`` .. ``M009``, shared by all seven
    languages, so articles from several calls can be pooled for cross-lingual clustering),
    ``outlet`` is ``"WikiNews"``, ``title`` is the first source line with any numeric date
    prefix removed, ``paragraphs`` are kept as given (the first is usually the dateline,
    e.g. ``"Saturday, January 8, 2005"``), ``published_at`` is parsed from that dateline or the
    title's date prefix (English month names only); a translation whose date cannot be read
    takes its English original's date (the set is parallel); else ``None``. ``url`` is
    ``eval://multiling2011/<doc_id>``.

    Args:
        root: the data root (containing ``multiling2011/``); ``None`` uses the default.
        lang: ``english``, ``arabic``, ``czech``, ``french``, ``greek``, ``hebrew`` or ``hindi``.

    Returns:
        One cluster per topic, sorted by topic id; articles in publication order; references
        ordered by annotator (3 per topic; French has 33 in all); peers = the participant
        systems' summaries (``ID1`` .. ``ID10``; not every system covers every language).

    Raises:
        FileNotFoundError: if the files are missing.
        ValueError: if no document has language ``lang``.
    """
    base = _resolve(root) / "multiling2011"
    wanted = lang.lower()
    by_topic = _multiling_articles(_read_objects(base / "multiling2011_docs.jsonl"), wanted)
    references: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for summary in _read_objects(base / "multiling2011_summaries.jsonl"):
        if str(summary.get("lang")) == wanted:
            references[str(summary["topic_id"])].append(
                (str(summary.get("annotator")), str(summary["text"]))
            )
    peers: dict[str, dict[str, str]] = defaultdict(dict)
    for summary in _read_objects(base / "multiling2011_system_summaries.jsonl"):
        if str(summary.get("lang")) == wanted:
            peers[str(summary["topic_id"])][str(summary["system_id"])] = str(summary["text"])
    clusters: list[SummaryCluster] = []
    for topic in sorted(by_topic):
        topic_peers = peers.get(topic, {})
        clusters.append(
            SummaryCluster(
                cluster_id=topic,
                articles=publication_order(by_topic[topic]),
                references=tuple(text for _, text in sorted(references.get(topic, []))),
                peers=MappingProxyType(
                    {sid: topic_peers[sid] for sid in sorted(topic_peers, key=_system_number)}
                ),
            )
        )
    return tuple(clusters)


# ----------------------------------------------------------------------------------------------
# Giveme5W1H
# ----------------------------------------------------------------------------------------------


def load_giveme5w1h(
    root: str | os.PathLike[str] | None = None, *, include_unlabelled: bool = False
) -> tuple[EvalArticle, ...]:
    """Load the Giveme5W1H gold articles (``giveme5w1h_gold/articles.jsonl``).

    Article fields: ``cluster_id`` is the ``event``, ``outlet`` the ``publisher``, ``title``
    the ``title``, ``published_at`` the ``date_publish`` read as UTC, ``url`` the article URL.
    The ``text`` field is one block without line breaks (web boilerplate included), so it
    becomes a single paragraph; the service's splitter re-chunks long blocks. The
    ``description`` field (usually the lead sentence repeated) is not used.

    Args:
        root: the data root (containing ``giveme5w1h_gold/``); ``None`` uses the default.
        include_unlabelled: one article has no event label. By default it is skipped; when
            True it gets a singleton cluster id ``"<unlabelled>:<doc_id>"``.

    Returns:
        The articles in publication order (:func:`publication_order`).

    Raises:
        FileNotFoundError: if the file is missing.
    """
    path = _resolve(root) / "giveme5w1h_gold" / "articles.jsonl"
    articles: list[EvalArticle] = []
    for doc in _read_objects(path):
        doc_id = str(doc["doc_id"])
        event = doc.get("event")
        if not event:
            if not include_unlabelled:
                continue
            event = f"<unlabelled>:{doc_id}"
        articles.append(
            EvalArticle(
                doc_id=doc_id,
                cluster_id=str(event),
                outlet=str(doc.get("publisher") or ""),
                published_at=_parse_iso_lenient(doc.get("date_publish")),
                title=(str(doc["title"]) if doc.get("title") else None),
                paragraphs=_text_to_paragraphs(str(doc.get("text") or "")),
                url=str(doc.get("url") or f"eval://giveme5w1h/{doc_id}"),
            )
        )
    return publication_order(articles)


def load_story_set(
    name: StorySetName, root: str | os.PathLike[str] | None = None, *, lang: str = "english"
) -> tuple[EvalArticle, ...]:
    """All articles of a story-clustering set, as one stream in publication order.

    Args:
        name: ``"duc2003"`` (39 clusters, gold = DUC cluster), ``"multiling2011"`` (10 topics
            in language ``lang``) or ``"giveme5w1h"`` (12 events; the unlabelled article is
            skipped).
        root: the data root; ``None`` uses :func:`default_data_root`.
        lang: MultiLing language; ignored by the other sets.

    Returns:
        The articles in publication order (oldest first, ties by ``doc_id``, undated last);
        ``cluster_id`` is the gold story.

    Raises:
        ValueError: for an unknown ``name``.
    """
    if name == "duc2003":
        clusters = load_duc2003(root)
    elif name == "multiling2011":
        clusters = load_multiling2011(root, lang=lang)
    elif name == "giveme5w1h":
        return load_giveme5w1h(root)
    else:
        raise ValueError(f"unknown story set {name!r}; use duc2003, multiling2011 or giveme5w1h")
    return publication_order([article for cluster in clusters for article in cluster.articles])


# ----------------------------------------------------------------------------------------------
# Sentence pairs
# ----------------------------------------------------------------------------------------------


def _tsv_lines(path: Path) -> Iterator[str]:
    r"""Non-empty lines of a UTF-8 (BOM tolerated) tab-separated file, ``\r`` stripped."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for raw in handle.read().split("\n"):
            line = raw.rstrip("\r")
            if line.strip():
                yield line


def load_mrpc(
    root: str | os.PathLike[str] | None = None, split: Literal["train", "test"] = "test"
) -> tuple[ParaphrasePair, ...]:
    """Load the Microsoft Research Paraphrase Corpus (``mrpc/msr_paraphrase_<split>.txt``).

    The file is UTF-8 with a BOM, tab-separated, no quoting: ``label, id1, id2, sentence1,
    sentence2``. A header line (``Quality ...``), if present, is skipped.

    Args:
        root: the data root (containing ``mrpc/``); ``None`` uses the default.
        split: ``"train"`` (4,076 pairs) or ``"test"`` (1,725 pairs).

    Returns:
        Pairs in file order; ``label`` 1 = paraphrase, 0 = not; ``source`` ``"mrpc"``.

    Raises:
        ValueError: for an unknown split or a malformed line.
    """
    if split not in ("train", "test"):
        raise ValueError(f"MRPC split must be 'train' or 'test', got {split!r}")
    path = _resolve(root) / "mrpc" / f"msr_paraphrase_{split}.txt"
    pairs: list[ParaphrasePair] = []
    for number, line in enumerate(_tsv_lines(path), start=1):
        fields = line.split("\t")
        if fields[0] == "Quality":
            continue
        if len(fields) < 5 or fields[0] not in ("0", "1"):
            raise ValueError(
                f"{path}: record {number}: expected 'label<TAB>id1<TAB>id2<TAB>s1<TAB>s2'"
            )
        pairs.append(
            ParaphrasePair(
                text_a=fields[3],
                text_b=fields[4],
                label=int(fields[0]),
                source="mrpc",
                pair_id=f"{fields[1]}-{fields[2]}",
            )
        )
    return tuple(pairs)


def load_stsb_news(
    root: str | os.PathLike[str] | None = None,
    split: Literal["train", "dev", "test"] = "test",
) -> tuple[ParaphrasePair, ...]:
    r"""Load the news genre of the STS Benchmark (``stsb/sts-<split>.csv``).

    The ``.csv`` files are tab-separated without header or quoting; some rows carry extra
    trailing columns, so each line is read as ``line.split("\t")[:7]`` = genre, file, years,
    id, score, sentence1, sentence2, and only ``genre == "main-news"`` rows are kept
    (sub-corpora ``headlines``, ``MSRpar``, ``deft-news``).

    Args:
        root: the data root (containing ``stsb/``); ``None`` uses the default.
        split: ``"train"`` (3,299 news pairs), ``"dev"`` (500) or ``"test"`` (500).

    Returns:
        Pairs in file order; ``label`` is the graded score (float, 0-5); ``source`` is
        ``"stsb/<file>"``.

    Raises:
        ValueError: for an unknown split or a malformed line.
    """
    if split not in ("train", "dev", "test"):
        raise ValueError(f"STS-B split must be 'train', 'dev' or 'test', got {split!r}")
    path = _resolve(root) / "stsb" / f"sts-{split}.csv"
    pairs: list[ParaphrasePair] = []
    for number, line in enumerate(_tsv_lines(path), start=1):
        fields = line.split("\t")[:7]
        if len(fields) < 7:
            raise ValueError(f"{path}: record {number}: expected at least 7 tab-separated fields")
        genre, source_file, years, pair_id, score, sentence_a, sentence_b = fields
        if genre != "main-news":
            continue
        try:
            label = float(score)
        except ValueError as error:
            raise ValueError(f"{path}: record {number}: score {score!r} is not a number") from error
        pairs.append(
            ParaphrasePair(
                text_a=sentence_a,
                text_b=sentence_b,
                label=label,
                source=f"stsb/{source_file}",
                pair_id=f"{source_file}/{years}/{pair_id}",
            )
        )
    return tuple(pairs)


# ----------------------------------------------------------------------------------------------
# User JSONL format (docs/EVAL_DATA_FORMAT.md)
# ----------------------------------------------------------------------------------------------

_ARTICLE_KEYS = frozenset(
    {"type", "doc_id", "cluster_id", "outlet", "published_at", "title", "text", "paragraphs", "url"}
)
_SUMMARY_KEYS = frozenset({"type", "cluster_id", "text", "annotator", "system"})
_PAIR_KEYS = frozenset({"type", "text_a", "text_b", "label", "source", "pair_id"})


class _Line:
    """Field accessors for one JSONL record that raise ValueError naming line and field."""

    __slots__ = ("number", "obj", "path")

    def __init__(self, path: Path, number: int, obj: dict[str, Any]) -> None:
        self.path = path
        self.number = number
        self.obj = obj

    def error(self, message: str) -> ValueError:
        """A ValueError prefixed with ``<path>:<line>:``."""
        return ValueError(f"{self.path}:{self.number}: {message}")

    def check_keys(self, allowed: frozenset[str]) -> None:
        """Reject fields the format does not define (catches typos such as ``paragraph``)."""
        unknown = sorted(set(self.obj) - allowed)
        if unknown:
            kind = self.obj.get("type")
            raise self.error(f"unknown field(s) {unknown} for type {kind!r}")

    def string(self, key: str, *, required: bool = True, allow_empty: bool = False) -> str | None:
        """The string field ``key``; ``None`` when optional and absent or null."""
        value = self.obj.get(key)
        if value is None:
            if required:
                raise self.error(f"field {key!r} is required")
            return None
        if not isinstance(value, str):
            raise self.error(f"field {key!r} must be a string, got {type(value).__name__}")
        if not allow_empty and not value.strip():
            raise self.error(f"field {key!r} must not be empty")
        return value

    def required_string(self, key: str) -> str:
        """The non-empty string field ``key``."""
        value = self.string(key, required=True)
        if value is None:  # unreachable: string(required=True) raises instead
            raise self.error(f"field {key!r} is required")
        return value


def _jsonl_article(line: _Line, dataset: str) -> EvalArticle:
    """Validate and build one ``"type": "article"`` record."""
    line.check_keys(_ARTICLE_KEYS)
    doc_id = line.required_string("doc_id")
    has_text = line.obj.get("text") is not None
    has_paragraphs = line.obj.get("paragraphs") is not None
    if has_text == has_paragraphs:
        raise line.error("an article needs exactly one of the fields 'text' and 'paragraphs'")
    if has_text:
        paragraphs = _text_to_paragraphs(line.string("text", allow_empty=True) or "")
    else:
        raw = line.obj["paragraphs"]
        if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
            raise line.error("field 'paragraphs' must be a list of strings")
        paragraphs = _clean_paragraphs(raw)
    published_text = line.string("published_at", required=False)
    published_at: datetime | None = None
    if published_text is not None:
        try:
            published_at = _as_utc(datetime.fromisoformat(published_text.strip()))
        except ValueError as error:
            raise line.error(f"field 'published_at' is not ISO 8601: {published_text!r}") from error
    return EvalArticle(
        doc_id=doc_id,
        cluster_id=line.required_string("cluster_id"),
        outlet=line.required_string("outlet"),
        published_at=published_at,
        title=line.string("title", required=False, allow_empty=True) or None,
        paragraphs=paragraphs,
        url=line.string("url", required=False) or f"eval://{dataset}/{doc_id}",
    )


def _jsonl_pair(line: _Line) -> ParaphrasePair:
    """Validate and build one ``"type": "pair"`` record."""
    line.check_keys(_PAIR_KEYS)
    label = line.obj.get("label")
    # bool is an int subclass: reject true/false so a mistyped label cannot pass as 0/1.
    if isinstance(label, bool) or not isinstance(label, int | float):
        raise line.error("field 'label' must be a number")
    if not math.isfinite(label):
        raise line.error("field 'label' must be finite")
    return ParaphrasePair(
        text_a=line.string("text_a", allow_empty=True) or "",
        text_b=line.string("text_b", allow_empty=True) or "",
        label=label,
        source=line.string("source", required=False) or "jsonl",
        pair_id=line.string("pair_id", required=False, allow_empty=True) or "",
    )


def _jsonl_summary(line: _Line) -> tuple[str, str | None, str]:
    """Validate one ``"type": "summary"`` record: ``(cluster_id, system or None, text)``."""
    line.check_keys(_SUMMARY_KEYS)
    cluster_id = line.required_string("cluster_id")
    text = line.required_string("text")
    line.string("annotator", required=False, allow_empty=True)  # type-checked, not kept
    return cluster_id, line.string("system", required=False), text


def _jsonl_clusters(
    articles: Sequence[EvalArticle], summaries: Sequence[tuple[_Line, str, str | None, str]]
) -> tuple[SummaryCluster, ...]:
    """Group articles and ``(line, cluster_id, system, text)`` summaries into clusters.

    Raises:
        ValueError: naming the summary's line, for a summary of a cluster without articles or
            a second summary by one system of one cluster.
    """
    by_cluster: dict[str, list[EvalArticle]] = defaultdict(list)
    for article in articles:
        by_cluster[article.cluster_id].append(article)
    references: dict[str, list[str]] = defaultdict(list)
    peers: dict[str, dict[str, str]] = defaultdict(dict)
    for line, cluster_id, system, text in summaries:
        if cluster_id not in by_cluster:
            raise line.error(f"summary for cluster {cluster_id!r}, which has no articles")
        if system is None:
            references[cluster_id].append(text)
        elif system in peers[cluster_id]:
            raise line.error(f"system {system!r} already summarised cluster {cluster_id!r}")
        else:
            peers[cluster_id][system] = text
    return tuple(
        SummaryCluster(
            cluster_id=cluster_id,
            articles=publication_order(by_cluster[cluster_id]),
            references=tuple(references.get(cluster_id, ())),
            peers=MappingProxyType(dict(peers.get(cluster_id, {}))),
        )
        for cluster_id in sorted(by_cluster)
    )


def load_jsonl(path: str | os.PathLike[str]) -> JsonlDataset:
    """Load a user evaluation file in the documented JSONL format (``docs/EVAL_DATA_FORMAT.md``).

    One JSON object per line; blank lines are ignored. ``"type"`` selects the record:
    ``"article"``, ``"summary"`` (a reference, or with ``"system"`` a peer system's summary of a
    cluster) or ``"pair"`` (two texts with a label). Unknown fields are rejected.

    Args:
        path: the file (UTF-8, a BOM is tolerated). Its stem names the data set in synthesised
            article URLs (``eval://<stem>/<doc_id>``).

    Returns:
        The articles, clusters and pairs (orders: see :class:`JsonlDataset`).

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: ``"<path>:<line>: <problem>"`` for the first invalid line: bad JSON, not an
            object, unknown type or field, a missing/mistyped field, a bad timestamp, a
            duplicate ``doc_id``, a summary for a cluster without articles, or a system that
            summarises one cluster twice.
    """
    source = Path(path)
    dataset = source.stem or "jsonl"
    articles: list[EvalArticle] = []
    seen_docs: dict[str, int] = {}
    summaries: list[tuple[_Line, str, str | None, str]] = []
    pairs: list[ParaphrasePair] = []
    for number, value in _iter_json_lines(source):
        if not isinstance(value, dict):
            raise ValueError(f"{source}:{number}: expected a JSON object")
        line = _Line(source, number, value)
        kind = value.get("type")
        if kind == "article":
            article = _jsonl_article(line, dataset)
            if article.doc_id in seen_docs:
                first = seen_docs[article.doc_id]
                raise line.error(f"duplicate doc_id {article.doc_id!r} (first on line {first})")
            seen_docs[article.doc_id] = number
            articles.append(article)
        elif kind == "summary":
            summaries.append((line, *_jsonl_summary(line)))
        elif kind == "pair":
            pairs.append(_jsonl_pair(line))
        else:
            raise line.error(f"field 'type' must be 'article', 'summary' or 'pair', got {kind!r}")
    return JsonlDataset(
        articles=publication_order(articles),
        clusters=_jsonl_clusters(articles, summaries),
        pairs=tuple(pairs),
    )
