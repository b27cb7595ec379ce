"""Language identification accuracy (``wiredesk eval language``, or ``python -m`` this module).

Two kinds of data:

* **MultiLing 2011** (``multiling2011/multiling2011_docs.jsonl`` under the data root, read in
  place): 100 WikiNews articles in each of 7 languages (English and its Arabic, Czech, French,
  Greek, Hebrew and Hindi translations). Each article is classified twice, as the service sees
  it (title and body) and from its title alone (a short text, 5-20 words);
* **short labelled lines** written for Wiredesk (``tests/data/language_dev.tsv``, used to choose
  :class:`~service.pipeline.language.LanguageConfig`'s bars, and ``language_test.tsv``, scored
  once with them): one sentence or headline per line in 25 languages and 9 scripts, plus lines
  too short or ambiguous to tell (a name, "OK", a date) labelled ``und``.

Accuracy counts a line right when the stage's answer equals its label (``und`` included);
``und`` rate is the share of lines the stage declined to label.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from service.pipeline.language import LanguageConfig, detect_language

# MultiLing 2011's language names -> ISO 639-1.
MULTILING_CODES = {
    "arabic": "ar",
    "czech": "cs",
    "english": "en",
    "french": "fr",
    "greek": "el",
    "hebrew": "he",
    "hindi": "hi",
}
DEFAULT = LanguageConfig()
LABELLED = Path(__file__).resolve().parents[2] / "tests" / "data"


@dataclass(frozen=True, slots=True)
class Row:
    """Accuracy of one group of texts.

    Attributes:
        name: the group (a language, or ``all``).
        texts: how many.
        correct: answers equal to the label.
        undetermined: answers ``und``.
        confusions: wrong answers, most common first (``"ru x2"``).
    """

    name: str
    texts: int
    correct: int
    undetermined: int
    confusions: tuple[str, ...]

    @property
    def accuracy(self) -> float:
        """Share of texts answered with their label."""
        return self.correct / self.texts if self.texts else 0.0


def score(items: Iterable[tuple[str, str]], config: LanguageConfig = DEFAULT) -> list[Row]:
    """Per-label rows, then ``all``, for ``(label, text)`` pairs."""
    answers: dict[str, list[str]] = defaultdict(list)
    for label, text in items:
        answers[label].append(detect_language(text, config).language)
    rows = [_row(label, label, got) for label, got in sorted(answers.items())]
    every = [(label, g) for label, got in answers.items() for g in got]
    rows.append(
        Row(
            "all",
            len(every),
            sum(label == g for label, g in every),
            sum(g == "und" for _, g in every),
            (),
        )
    )
    return rows


def _row(name: str, label: str, got: Sequence[str]) -> Row:
    wrong = Counter(g for g in got if g != label)
    return Row(
        name,
        len(got),
        sum(g == label for g in got),
        sum(g == "und" for g in got),
        tuple(f"{code} x{n}" for code, n in wrong.most_common(4)),
    )


def labelled(path: Path) -> list[tuple[str, str]]:
    """``(label, text)`` of a TSV set (``#`` lines are comments)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, text = line.split("\t", 1)
        out.append((label, text))
    return out


def multiling(root: Path, title_only: bool = False) -> list[tuple[str, str]]:
    """``(ISO code, text)`` of every MultiLing 2011 article (title and body, or title)."""
    path = root / "multiling2011" / "multiling2011_docs.jsonl"
    out = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            title = str(doc.get("title") or "")
            body = "\n".join(str(p) for p in doc.get("paragraphs", []))
            out.append((MULTILING_CODES[doc["lang"]], title if title_only else f"{title}\n{body}"))
    return out


def sweep(items: Sequence[tuple[str, str]]) -> list[tuple[int, float, float]]:
    """Accuracy of ``(min_letters, min_confidence)`` over a grid, best first (for the dev set)."""
    out = []
    for letters in (0, 5, 10, 15, 20, 25, 30, 40):
        for confidence in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
            config = LanguageConfig(min_letters=letters, min_confidence=confidence)
            out.append((letters, confidence, score(items, config)[-1].accuracy))
    return sorted(out, key=lambda r: (-r[2], r[0], r[1]))


def render(title: str, rows: Sequence[Row]) -> str:
    """A plain-text table."""
    lines = [title, f"{'language':<10}{'texts':>6}{'accuracy':>10}{'und':>6}  confused with"]
    for r in rows:
        lines.append(
            f"{r.name:<10}{r.texts:>6}{r.accuracy:>10.3f}{r.undetermined:>6}  "
            + ", ".join(r.confusions)
        )
    return "\n".join(lines)


def report(root: Path, config: LanguageConfig = DEFAULT) -> dict[str, list[Row]]:
    """Every table: MultiLing 2011 (article, title), the dev and the test lines."""
    from service import progress

    out: dict[str, list[Row]] = {}
    parts: dict[str, Callable[[], list[tuple[str, str]]]] = {
        "multiling2011 articles (title + body)": lambda: multiling(root),
        "multiling2011 titles alone": lambda: multiling(root, title_only=True),
        "short lines, dev (tests/data/language_dev.tsv)": lambda: labelled(
            LABELLED / "language_dev.tsv"
        ),
        "short lines, test (tests/data/language_test.tsv)": lambda: labelled(
            LABELLED / "language_test.tsv"
        ),
    }
    with progress.activity("eval language", total=len(parts)) as shown:
        for name, load in parts.items():
            shown.step(name)
            out[name] = score(load(), config)
    return out


@dataclass(frozen=True, slots=True)
class StoryRow:
    """Story grouping of one language's articles inside the all-language stream.

    Attributes:
        language: ISO code.
        articles: its articles.
        stories: stories they were put in.
        bcubed_f1: BCubed F1 against the gold topics, over this language's articles only.
        mixed_stories: stories holding articles of this and another language (must be 0).
    """

    language: str
    articles: int
    stories: int
    bcubed_f1: float
    mixed_stories: int


def stories(root: Path, embedder_kind: str | None = None) -> list[StoryRow]:
    """All 700 MultiLing 2011 articles in one stream, grouped by the service's pipeline.

    The gold topic is shared across languages (the collection is parallel); Wiredesk keeps
    languages apart, so each language is scored against the topics over its own articles.
    """
    from service.bootstrap import build_embedder
    from service.evaluation import datasets as ds
    from service.evaluation.metrics import bcubed
    from service.evaluation.runner import CachingEmbedder, run, wiredesk_stories
    from service.settings import EmbedderKind, Settings

    settings = Settings.from_env()
    if embedder_kind is not None:
        settings = dataclasses.replace(settings, embedder=cast(EmbedderKind, embedder_kind))
    articles = ds.publication_order(
        [a for name in MULTILING_CODES for a in ds.load_story_set("multiling2011", root, lang=name)]
    )
    language = {a.doc_id: MULTILING_CODES[a.doc_id.rsplit(".", 1)[1].lower()] for a in articles}
    embedder = CachingEmbedder(build_embedder(settings))
    predicted, _ = run(wiredesk_stories(articles, settings, embedder))
    story_of = {a.doc_id: s for a, s in zip(articles, predicted, strict=True)}
    languages_of: dict[str, set[str]] = defaultdict(set)
    for doc_id, story in story_of.items():
        languages_of[story].add(language[doc_id])
    rows = []
    for code in sorted(set(language.values())):
        ids = [d for d in story_of if language[d] == code]
        gold = {a.doc_id: a.cluster_id for a in articles if language[a.doc_id] == code}
        score = bcubed({d: story_of[d] for d in ids}, gold)
        own = {story_of[d] for d in ids}
        rows.append(
            StoryRow(code, len(ids), len(own), score.f1, sum(len(languages_of[s]) > 1 for s in own))
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Print the tables (``--sweep``: the dev-set grid behind the default bars)."""
    parser = argparse.ArgumentParser(prog="python -m service.evaluation.language")
    parser.add_argument("--data", type=Path, default=None, help="data root")
    parser.add_argument("--sweep", action="store_true", help="grid of the bars on the dev set")
    parser.add_argument(
        "--stories",
        action="store_true",
        help="group all 700 MultiLing 2011 articles in one stream; per-language BCubed F1",
    )
    parser.add_argument(
        "--embedder",
        choices=["onnx", "onnx-int8", "minilm", "hash"],
        default=None,
        help="override WIREDESK_EMBEDDER",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    if args.stories:
        from service.evaluation.datasets import default_data_root

        rows = stories(args.data or default_data_root(), args.embedder)
        print(f"{'language':<10}{'articles':>9}{'stories':>9}{'BCubed F1':>11}{'mixed':>7}")
        for r in rows:
            print(
                f"{r.language:<10}{r.articles:>9}{r.stories:>9}{r.bcubed_f1:>11.3f}"
                f"{r.mixed_stories:>7}"
            )
        return 0
    if args.sweep:
        for letters, confidence, accuracy in sweep(labelled(LABELLED / "language_dev.tsv"))[:15]:
            print(f"min_letters {letters:>3}  min_confidence {confidence:.1f}  {accuracy:.3f}")
        return 0
    return run(args.data, args.json)


def run(data: Path | None, json_path: Path | None = None) -> int:
    """Print every table; the data root defaults as for the other evaluations."""
    from service.evaluation.datasets import default_data_root

    tables = report(data if data is not None else default_data_root())
    for name, rows in tables.items():
        print(render(name, rows))
        print()
    if json_path is not None:
        json_path.write_text(
            json.dumps(
                {
                    name: [dataclasses.asdict(r) | {"accuracy": r.accuracy} for r in rows]
                    for name, rows in tables.items()
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
