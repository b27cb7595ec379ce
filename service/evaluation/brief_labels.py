"""Hand labels of brief sentences: the non-news share and the lede rate (issue 12).

The briefs are the service's own: every cluster of Giveme5W1H, DUC 2003 and MultiLing 2011 EN
is posted as one story (one ``story_key`` per gold cluster, as :mod:`service.evaluation.trust`
does) through :func:`service.evaluation.runner.build_pipeline`, and each story's brief is
fetched with :meth:`service.usecases.Wiredesk.get_brief` at 100 words; the first
``LONG_CLUSTERS`` Giveme5W1H clusters (web articles, where page furniture lives) also at 400
words, so that the sample holds at least 300 sentences.

A sentence is keyed by ``(dataset, cluster index, sha256(text)[:16])``: the labels file
(``tests/data/brief_sentence_labels.jsonl``) holds keys and labels only, never the text, which
is the publishers'. :func:`score` compares the current briefs with the labels:

* **coverage**: the share of the current briefs' (distinct) sentences that have a label; a low
  coverage means the briefs drifted and the sample must be labelled again;
* **non-news share**: among the labelled current sentences, those whose ``kind`` is not
  ``news`` (teasers, bylines, captions, credits, datelines, headlines, list items, fragments,
  notes, prompts, other page furniture);
* **lede rate**: among the briefs whose first sentence is labelled, those whose first sentence
  states the event (who/what, and where or when), by hand;
* **unresolved openings**: among the same briefs, those opening with a reference that has no
  antecedent ("It", "They", "The embassy said"), by hand.

``python -m service.evaluation.brief_labels --score`` prints the figures;
``--dump FILE`` writes the current sentences with their keys (and text) to ``FILE``, outside
the repository, for labelling.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from service.evaluation import datasets as ds
from service.settings import Settings

DATASETS = ("giveme5w1h", "duc2003", "multiling2011")
SHORT_WORDS = 100
LONG_WORDS = 400
LONG_CLUSTERS = 9  # Giveme5W1H clusters also briefed at LONG_WORDS
NEWS = "news"
KINDS = frozenset(
    {
        NEWS,
        "teaser",
        "byline",
        "caption",
        "credit",
        "dateline",
        "headline",
        "list_item",
        "fragment",
        "note",
        "prompt",
        "other_non_news",
    }
)
LABELS_PATH = Path(__file__).resolve().parents[2] / "tests" / "data" / "brief_sentence_labels.jsonl"

Key = tuple[str, int, str]


def sentence_key(dataset: str, cluster: int, text: str) -> Key:
    """The key of one brief sentence: no text, only its hash.

    Args:
        dataset: the set's name.
        cluster: the cluster's index in :func:`clusters` order.
        text: the sentence as shown.

    Returns:
        ``(dataset, cluster, first 16 hex digits of sha256(text))``.
    """
    return dataset, cluster, hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class BriefRecord:
    """One brief of one cluster.

    Attributes:
        dataset: the set's name.
        cluster: the cluster's index.
        max_words: the brief's length.
        sentences: the brief's sentences, in order, as shown.
    """

    dataset: str
    cluster: int
    max_words: int
    sentences: tuple[str, ...]

    def sentence_keys(self) -> tuple[Key, ...]:
        """Each sentence's key, in order."""
        return tuple(sentence_key(self.dataset, self.cluster, s) for s in self.sentences)


@dataclass(frozen=True, slots=True)
class Label:
    """A hand label of one sentence.

    Attributes:
        key: the sentence's key.
        position: its position in the brief it was labelled in (the smallest, if several).
        kind: ``news`` or the kind of non-news line (see :data:`KINDS`).
        lede: for an opening sentence: whether it states the event; else ``None``.
        unresolved_opening: for an opening sentence: whether it opens with an unresolved
            reference; else ``None``.
    """

    key: Key
    position: int
    kind: str
    lede: bool | None = None
    unresolved_opening: bool | None = None


@dataclass(frozen=True, slots=True)
class LabelScore:
    """The current briefs against the labels.

    Attributes:
        briefs: briefs built (every length).
        sentences: distinct sentences in them.
        labelled: those with a label.
        non_news: labelled sentences whose kind is not ``news``.
        non_news_kinds: their count per kind.
        openings_labelled: briefs whose first sentence is labelled as an opening.
        ledes: those whose first sentence states the event.
        unresolved_openings: those opening with an unresolved reference.
    """

    briefs: int
    sentences: int
    labelled: int
    non_news: int
    non_news_kinds: Mapping[str, int]
    openings_labelled: int
    ledes: int
    unresolved_openings: int

    @property
    def coverage(self) -> float:
        """Labelled / distinct sentences (1.0 with none)."""
        return self.labelled / self.sentences if self.sentences else 1.0

    @property
    def non_news_share(self) -> float:
        """Non-news / labelled sentences (0.0 with none)."""
        return self.non_news / self.labelled if self.labelled else 0.0

    @property
    def lede_rate(self) -> float:
        """Ledes / briefs with a labelled opening (0.0 with none)."""
        return self.ledes / self.openings_labelled if self.openings_labelled else 0.0

    @property
    def unresolved_share(self) -> float:
        """Unresolved openings / briefs with a labelled opening (0.0 with none)."""
        return self.unresolved_openings / self.openings_labelled if self.openings_labelled else 0.0


def clusters(dataset: str, root: str | Path | None = None) -> list[tuple[ds.EvalArticle, ...]]:
    """The articles of each cluster of a set, in the order that gives the cluster indexes.

    DUC 2003 and MultiLing: the loader's order; Giveme5W1H: events sorted by id (as
    ``wiredesk eval briefs`` does).

    Raises:
        ValueError: an unknown set.
    """
    if dataset == "duc2003":
        return [c.articles for c in ds.load_duc2003(root)]
    if dataset == "multiling2011":
        return [c.articles for c in ds.load_multiling2011(root)]
    if dataset == "giveme5w1h":
        events: dict[str, list[ds.EvalArticle]] = {}
        for article in ds.load_story_set("giveme5w1h", root):
            events.setdefault(article.cluster_id, []).append(article)
        return [tuple(events[k]) for k in sorted(events)]
    raise ValueError(f"unknown set {dataset!r}")


def lengths_for(dataset: str, cluster: int) -> tuple[int, ...]:
    """The brief lengths sampled for one cluster."""
    if dataset == "giveme5w1h" and cluster < LONG_CLUSTERS:
        return SHORT_WORDS, LONG_WORDS
    return (SHORT_WORDS,)


async def build_briefs(
    settings: Settings | None = None, root: str | Path | None = None
) -> list[BriefRecord]:
    """Every sampled brief, written by the service's own pipeline.

    Args:
        settings: the service's settings; ``None``: ``Settings(embedder="hash")`` (the
            summariser reads no vectors and stories are keyed per cluster, so the hash
            embedder changes only which paragraphs count as copies of each other).
        root: the data root; ``None`` uses :func:`service.evaluation.datasets.default_data_root`.

    Returns:
        The briefs, by set, cluster and length; empty briefs are kept (no sentences).
    """
    from service.bootstrap import build_embedder
    from service.evaluation.runner import _input, _submit, build_pipeline

    settings = settings or Settings(embedder="hash")
    out: list[BriefRecord] = []
    for dataset in DATASETS:
        wd = build_pipeline(settings, build_embedder(settings))
        try:
            for n, articles in enumerate(clusters(dataset, root)):
                inputs = [_input(a, f"labels:{dataset}:{n}") for a in articles]
                ids = [i for i in await _submit(wd, inputs) if i is not None]
                if not ids:
                    continue
                story = wd.get_article(ids[0])[1]
                for words in lengths_for(dataset, n):
                    brief = await wd.get_brief(story, max_words=words)
                    texts = tuple(s.text for s in brief.sentences)
                    out.append(BriefRecord(dataset, n, words, texts))
        finally:
            await wd.embedder.close()
    return out


def load_labels(path: str | Path = LABELS_PATH) -> dict[Key, Label]:
    """The labels file, by key.

    Raises:
        ValueError: a line with an unknown kind, or a key twice.
    """
    out: dict[Key, Label] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        obj = json.loads(line)
        key: Key = (str(obj["dataset"]), int(obj["cluster"]), str(obj["key"]))
        kind = str(obj["kind"])
        if kind not in KINDS:
            raise ValueError(f"{path}:{number}: unknown kind {kind!r}")
        if key in out:
            raise ValueError(f"{path}:{number}: key {key} labelled twice")
        lede, unresolved = obj.get("lede"), obj.get("unresolved_opening")
        out[key] = Label(
            key,
            int(obj["position"]),
            kind,
            None if lede is None else bool(lede),
            None if unresolved is None else bool(unresolved),
        )
    return out


def score(labels: Mapping[Key, Label], briefs: Sequence[BriefRecord]) -> LabelScore:
    """The current briefs against the labels (see the module docstring).

    Args:
        labels: the hand labels, by key.
        briefs: the current briefs (:func:`build_briefs`).
    """
    seen: dict[Key, None] = {}
    openings = ledes = unresolved = 0
    for brief in briefs:
        keys = brief.sentence_keys()
        seen.update(dict.fromkeys(keys))
        first = labels.get(keys[0]) if keys else None
        if first is not None and first.lede is not None:
            openings += 1
            ledes += first.lede
            unresolved += bool(first.unresolved_opening)
    labelled = [labels[k] for k in seen if k in labels]
    kinds: dict[str, int] = {}
    for label in labelled:
        if label.kind != NEWS:
            kinds[label.kind] = kinds.get(label.kind, 0) + 1
    return LabelScore(
        briefs=sum(1 for b in briefs if b.sentences),
        sentences=len(seen),
        labelled=len(labelled),
        non_news=sum(kinds.values()),
        non_news_kinds=dict(sorted(kinds.items())),
        openings_labelled=openings,
        ledes=ledes,
        unresolved_openings=unresolved,
    )


def non_news(labels: Mapping[Key, Label], briefs: Sequence[BriefRecord]) -> list[tuple[Key, str]]:
    """The labelled non-news sentences of the current briefs: ``(key, kind)``."""
    keys = dict.fromkeys(k for b in briefs for k in b.sentence_keys())
    return [(k, labels[k].kind) for k in keys if k in labels and labels[k].kind != NEWS]


def dump(briefs: Sequence[BriefRecord], path: str | Path) -> int:
    """Write every distinct sentence with its key, position and text, for labelling.

    The file holds the publishers' text: write it outside the repository.

    Returns:
        How many sentences were written.
    """
    rows: dict[Key, dict[str, object]] = {}
    for brief in briefs:
        for position, (key, text) in enumerate(
            zip(brief.sentence_keys(), brief.sentences, strict=True)
        ):
            row = rows.get(key)
            if row is None:
                rows[key] = {
                    "dataset": key[0],
                    "cluster": key[1],
                    "key": key[2],
                    "position": position,
                    "max_words": brief.max_words,
                    "text": text,
                }
            elif position < int(str(row["position"])):
                row["position"] = position
    with Path(path).open("w", encoding="utf-8") as f:
        for row in rows.values():
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


def render(result: LabelScore) -> str:
    """The figures as a small table."""
    kinds = ", ".join(f"{k} {n}" for k, n in result.non_news_kinds.items()) or "none"
    rows = [
        ("briefs", f"{result.briefs}"),
        ("distinct sentences", f"{result.sentences}"),
        ("labelled (coverage)", f"{result.labelled} ({result.coverage:.1%})"),
        ("non-news", f"{result.non_news} ({result.non_news_share:.1%}): {kinds}"),
        ("briefs with a labelled opening", f"{result.openings_labelled}"),
        ("lede rate", f"{result.ledes} ({result.lede_rate:.1%})"),
        (
            "unresolved openings",
            f"{result.unresolved_openings} ({result.unresolved_share:.1%})",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: Sequence[str] | None = None) -> int:
    """``--score`` prints the figures; ``--dump FILE`` writes the sentences for labelling."""
    parser = argparse.ArgumentParser(prog="python -m service.evaluation.brief_labels")
    parser.add_argument("--score", action="store_true", help="score the briefs on the labels")
    parser.add_argument("--dump", type=Path, default=None, help="write sentences (outside repo)")
    parser.add_argument("--labels", type=Path, default=LABELS_PATH)
    parser.add_argument("--data", type=Path, default=None, help="the evaluation data root")
    args = parser.parse_args(argv)
    if not args.score and args.dump is None:
        parser.error("give --score and/or --dump FILE")
    briefs = asyncio.run(build_briefs(root=args.data))
    if args.dump is not None:
        print(f"{dump(briefs, args.dump)} sentences written to {args.dump}")
    if args.score:
        labels = load_labels(args.labels)
        result = score(labels, briefs)
        print(render(result))
        for (dataset, cluster, key), kind in non_news(labels, briefs):
            print(f"  non-news: {dataset} cluster {cluster} {key} {kind}")
        print(json.dumps(dataclasses.asdict(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
