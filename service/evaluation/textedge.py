"""Measuring the text edge: the non-news line classifier and the sentence splitter.

Two hand-labelled sets written for Wiredesk (no publisher's text) live in ``tests/data/``:

* ``boilerplate_{dev,test}.txt``: lines labelled ``news`` or ``other`` (teasers, bylines,
  captions, prompts, funding and correction notes, headings, copyright, datelines) in 30
  languages and 20 scripts. Scored as a binary decision, "other" the positive class:
  precision = share of dropped lines that are not news, recall = share of non-news lines
  dropped. ``news_kept_outside_latin`` counts news lines in non-Latin scripts that were kept
  (the bar is all of them).
* ``sentences_{dev,test}.txt``: paragraphs with their gold sentences (" || " between them),
  the tricky cases of news copy (a.m./p.m. before a weekday or time zone, abbreviated months
  ending a sentence, titles, initials, decimals, quotes). Scored as the share of paragraphs
  split exactly as the gold says, and as precision/recall of the sentence boundaries.

The dev files were looked at while writing the rules; the test files were written before and
never used to change them, so the figures reported in docs/EVALUATION.md are the test files'.

Run: ``python -m service.evaluation.textedge [--data tests/data]``. jusText and pysbd are
measured too when importable (neither is a dependency; ``pip install justext pysbd``).
"""

from __future__ import annotations

import argparse
import html
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sentencex

from service.pipeline.boilerplate import Kind, classify_line
from service.pipeline.normalise import normalise_text
from service.pipeline.split import SplitConfig, split_article, split_sentences

__all__ = [
    "LabelledLine",
    "LineScores",
    "SplitScores",
    "load_lines",
    "load_sentence_cases",
    "main",
    "score_lines",
    "score_splitter",
]

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "tests" / "data"


@dataclass(frozen=True, slots=True)
class LabelledLine:
    """One labelled line: ``label`` is ``news`` or ``other``; ``kind`` names the furniture."""

    label: str
    kind: str
    language: str
    text: str


@dataclass(frozen=True, slots=True)
class LineScores:
    """Binary scores of a non-news classifier ("other" is the positive class).

    Attributes:
        precision: dropped lines that are not news / dropped lines (1.0 when none dropped).
        recall: non-news lines dropped / non-news lines.
        tp, fp, fn, tn: the confusion counts.
        news_kept_outside_latin: (kept, total) news lines not in English or another Latin
            script language.
        missed: the non-news lines kept, and the news lines dropped (for reading, not scoring).
    """

    precision: float
    recall: float
    tp: int
    fp: int
    fn: int
    tn: int
    news_kept_outside_latin: tuple[int, int]
    missed: tuple[LabelledLine, ...]


@dataclass(frozen=True, slots=True)
class SplitScores:
    """Sentence-splitting scores over paragraphs with gold sentences.

    Attributes:
        exact: share of paragraphs split exactly as the gold says.
        boundary_precision: predicted sentence boundaries that are gold boundaries / predicted.
        boundary_recall: gold boundaries predicted / gold boundaries.
        paragraphs: how many paragraphs were scored.
    """

    exact: float
    boundary_precision: float
    boundary_recall: float
    paragraphs: int


# Languages of the sets written in Latin script (all others are in another script).
_LATIN_LANGUAGES = frozenset(
    {"en", "es", "fr", "de", "it", "pt", "nl", "pl", "tr", "vi", "id", "sw", "sv", "ro"}
)


def _rows(path: Path) -> Iterable[str]:
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            yield raw


def load_lines(path: Path) -> list[LabelledLine]:
    """Lines of a ``label | kind | language | text`` file (``#`` comments, blanks skipped).

    Raises:
        ValueError: a row without four fields or with a label other than news/other.
    """
    out = []
    for row in _rows(path):
        parts = [p.strip() for p in row.split(" | ", 3)]
        if len(parts) != 4 or parts[0] not in {"news", "other"}:
            raise ValueError(f"{path}: bad row {row!r}")
        out.append(LabelledLine(*parts))
    return out


def load_sentence_cases(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """``(paragraph, gold sentences)`` from a file of `` || ``-separated sentences per line."""
    cases = []
    for row in _rows(path):
        gold = tuple(s.strip() for s in row.split("||") if s.strip())
        cases.append((" ".join(gold), gold))
    return cases


def score_lines(
    lines: Sequence[LabelledLine], is_news: Callable[[LabelledLine], bool]
) -> LineScores:
    """Score a news/non-news decision on labelled lines (see :class:`LineScores`)."""
    counts: Counter[str] = Counter()
    missed = []
    kept_other = [0, 0]
    for line in lines:
        predicted_news = is_news(line)
        gold_news = line.label == "news"
        counts[
            ("t" if predicted_news == gold_news else "f") + ("n" if predicted_news else "p")
        ] += 1
        if predicted_news != gold_news:
            missed.append(line)
        if gold_news and line.language not in _LATIN_LANGUAGES:
            kept_other[1] += 1
            kept_other[0] += int(predicted_news)
    tp, fp, fn, tn = counts["tp"], counts["fp"], counts["fn"], counts["tn"]
    return LineScores(
        precision=tp / (tp + fp) if tp + fp else 1.0,
        recall=tp / (tp + fn) if tp + fn else 1.0,
        tp=tp,
        fp=fp,
        fn=fn,
        tn=tn,
        news_kept_outside_latin=(kept_other[0], kept_other[1]),
        missed=tuple(missed),
    )


def _boundaries(sentences: Sequence[str]) -> set[int]:
    """Character offsets (in the single-space join) where sentences 2..n start."""
    out, at = set(), 0
    for sentence in sentences[:-1]:
        at += len(sentence) + 1
        out.add(at)
    return out


def score_splitter(
    cases: Sequence[tuple[str, tuple[str, ...]]], split: Callable[[str], Sequence[str]]
) -> SplitScores:
    """Score a splitter on gold cases (see :class:`SplitScores`).

    ``split`` must return stripped sentences whose single-space join is the paragraph (the
    contract of :func:`service.pipeline.split.split_sentences`); other splitters are wrapped
    by :func:`_stripped`.
    """
    exact = tp = predicted = gold_total = 0
    for paragraph, gold in cases:
        got = tuple(split(paragraph))
        exact += int(got == gold)
        want, have = _boundaries(gold), _boundaries(got)
        tp += len(want & have)
        predicted += len(have)
        gold_total += len(want)
    return SplitScores(
        exact=exact / len(cases) if cases else 1.0,
        boundary_precision=tp / predicted if predicted else 1.0,
        boundary_recall=tp / gold_total if gold_total else 1.0,
        paragraphs=len(cases),
    )


def _stripped(segments: Iterable[str]) -> tuple[str, ...]:
    return tuple(" ".join(s.split()) for s in segments if s.strip())


# jusText's stoplist names for the languages of the sets (those it has).
_JUSTEXT_LANGUAGES = {
    "en": "English", "es": "Spanish", "fr": "French", "de": "German", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "pl": "Polish", "tr": "Turkish", "ar": "Arabic",
    "fa": "Persian", "ur": "Urdu", "he": "Hebrew", "hi": "Hindi", "bn": "Bengali",
    "ta": "Tamil", "ru": "Russian", "uk": "Ukrainian", "bg": "Bulgarian", "sr": "Serbian",
    "el": "Greek", "vi": "Vietnamese", "id": "Indonesian", "sw": "Swahili", "sv": "Swedish",
    "ro": "Romanian", "hy": "Armenian", "ka": "Georgian", "ko": "Korean", "ja": "Japanese",
}  # fmt: skip


def _justext_is_news() -> Callable[[LabelledLine], bool] | None:  # pragma: no cover
    """Run jusText on one ``<p>`` per line with the line's stoplist, if it is installed.

    Its defaults (length_low 70 characters) call every single line "short", i.e. boilerplate;
    the lengths and stop-word densities used (10-40 characters, 0.10-0.20) were the best of
    four settings on the dev lines.
    """
    try:
        import justext  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        return None
    available = set(justext.get_stoplists())

    def is_news(line: LabelledLine) -> bool:
        name = _JUSTEXT_LANGUAGES.get(line.language, "")
        stoplist = justext.get_stoplist(name) if name in available else frozenset()
        doc = f"<html><body><p>{html.escape(line.text)}</p></body></html>"
        paragraphs = justext.justext(
            doc, stoplist, length_low=10, length_high=40, stopwords_low=0.10,
            stopwords_high=0.20,
        )  # fmt: skip
        return any(p.class_type in {"good", "near-good"} for p in paragraphs)

    return is_news


def _pysbd_splitter() -> Callable[[str], Sequence[str]] | None:  # pragma: no cover
    """Python Sentence Boundary Disambiguation (Sadvilkar & Neumann 2020), if installed."""
    try:
        import pysbd  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        return None
    segmenter = pysbd.Segmenter(language="en", clean=False)

    def split(paragraph: str) -> tuple[str, ...]:
        return _stripped(segmenter.segment(paragraph))

    return split


def _inspect(path: Path) -> int:  # pragma: no cover - printing
    """Print the sentences :func:`split_article` drops with the known-shape rules on."""
    dropped = total = 0
    for row in path.read_text(encoding="utf-8").splitlines():
        text = normalise_text(json.loads(row)["text"])
        without = SplitConfig(drop_non_news=False)
        before = [s for p in split_article(text, without) for s in p.sentences]
        after = {s for p in split_article(text) for s in p.sentences}
        total += len(before)
        for sentence in before:
            if sentence not in after:
                dropped += 1
                print(f"dropped: {sentence}")
    print(f"{dropped} of {total} sentences dropped")
    return 0


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - printing
    """Print the line-classifier and sentence-splitter tables for the dev and test files."""
    parser = argparse.ArgumentParser(prog="python -m service.evaluation.textedge")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--inspect",
        type=Path,
        help="a JSONL file with a 'text' field per line (e.g. ../shared/data/giveme5w1h_gold/"
        "articles.jsonl): print every sentence the known-shape rules drop from it, to read",
    )
    args = parser.parse_args(argv)
    if args.inspect is not None:
        return _inspect(args.inspect)
    for part in ("dev", "test"):
        lines = load_lines(args.data / f"boilerplate_{part}.txt")
        ours = score_lines(lines, lambda line: classify_line(line.text) is Kind.NEWS)
        kept, total = ours.news_kept_outside_latin
        print(
            f"lines {part}: n={len(lines)} precision={ours.precision:.3f} "
            f"recall={ours.recall:.3f} (tp={ours.tp} fp={ours.fp} fn={ours.fn} tn={ours.tn}); "
            f"non-Latin news kept {kept}/{total}"
        )
        for line in ours.missed:
            print(f"    missed [{line.label}/{line.kind}/{line.language}] {line.text}")
        baseline = _justext_is_news()
        if baseline is not None:
            theirs = score_lines(lines, baseline)
            print(
                f"lines {part} jusText (length 10-40, stop-words 0.10-0.20): "
                f"precision={theirs.precision:.3f} recall={theirs.recall:.3f}"
            )
    config = SplitConfig()
    pysbd_split = _pysbd_splitter()
    for part in ("dev", "test"):
        cases = load_sentence_cases(args.data / f"sentences_{part}.txt")
        splitters: dict[str, Callable[[str], Sequence[str]]] = {
            "sentencex alone": lambda p: _stripped(sentencex.segment("en", p)),
            "wiredesk split_sentences": lambda p: split_sentences(p, config),
        }
        if pysbd_split is not None:
            splitters["pysbd"] = pysbd_split
        for name, split in splitters.items():
            s = score_splitter(cases, split)
            print(
                f"sentences {part} {name}: n={s.paragraphs} exact={s.exact:.3f} "
                f"boundary P={s.boundary_precision:.3f} R={s.boundary_recall:.3f}"
            )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
