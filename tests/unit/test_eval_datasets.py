"""Dataset loaders, on tiny made-up files written in each set's raw format.

No text here comes from the real data sets; a final test only checks counts of the real files,
and only when they are present.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from service.evaluation.datasets import (
    DATA_ENV_VAR,
    EvalArticle,
    default_data_root,
    load_duc2003,
    load_giveme5w1h,
    load_jsonl,
    load_mrpc,
    load_multiling2011,
    load_story_set,
    load_stsb_news,
    publication_order,
)


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    """A data root holding every set in its raw format, with invented texts."""
    root = tmp_path / "data"
    _write_jsonl(
        root / "duc2003" / "docs.jsonl",
        [
            {
                "doc_id": "NYT19990102.0001",
                "cluster_id": "d1a",
                "source": "NYT",
                "date": "1999-01-02 10:00:00",
                "headline": None,
                "paragraphs": ["  The river rose overnight. ", "", "Crews stacked sandbags."],
                "duc2003_task": 2,
            },
            {
                "doc_id": "APW19990101.0002",
                "cluster_id": "d1a",
                "source": "APW",
                "date": "01/01/1999 08:30:00",  # US order, as some APW files have
                "headline": "River warning",
                "paragraphs": ["Forecasters warned of a flood."],
                "duc2003_task": 2,
            },
            {
                "doc_id": "XIE19980628.0003",
                "cluster_id": "d0b",
                "source": "XIE",
                "date": "1998-28-06 18:51:00",  # corrupt: the id's date is used
                "headline": None,
                "paragraphs": ["A trade fair opened."],
                "duc2003_task": 3,
            },
        ],
    )
    _write_jsonl(
        root / "duc2003" / "summaries.jsonl",
        [
            {
                "cluster_id": "d1a",
                "duc2003_task": 2,
                "doc_ids": ["APW19990101.0002", "NYT19990102.0001"],
                "references": [
                    {"annotator": "H", "text": "Flood feared; sandbags stacked."},
                    {"annotator": "B", "text": "A river flooded a town."},
                ],
            }
        ],
    )
    ml = root / "multiling2011"
    _write_jsonl(
        ml / "multiling2011_docs.jsonl",
        [
            {
                "doc_id": "M0001.english",
                "topic_id": "M000",
                "doc_index": 1,
                "lang": "english",
                "title": "2005/01/09 Bridge reopens",
                "paragraphs": ["Sunday, January 9, 2005", "The bridge reopened today."],
            },
            {
                "doc_id": "M0000.english",
                "topic_id": "M000",
                "doc_index": 0,
                "lang": "english",
                "title": "Bridge closed",
                "paragraphs": ["A photo caption", "Friday, January 7, 2005The bridge shut."],
            },
            {
                "doc_id": "M0010.english",
                "topic_id": "M001",
                "doc_index": 0,
                "lang": "english",
                "title": "No date here",
                "paragraphs": ["Officials spoke.", "They left."],
            },
            {
                "doc_id": "M0000.french",
                "topic_id": "M000",
                "doc_index": 0,
                "lang": "french",
                "title": "Pont fermé",
                "paragraphs": ["Vendredi 7 janvier 2005", "Le pont a fermé."],
            },
            {
                "doc_id": "M0001.french",
                "topic_id": "M000",
                "doc_index": 1,
                "lang": "french",
                "title": "09/01/2005 Le pont rouvre",
                "paragraphs": ["Dimanche 9 janvier 2005", "Le pont a rouvert."],
            },
        ],
    )
    _write_jsonl(
        ml / "multiling2011_summaries.jsonl",
        [
            {"topic_id": "M000", "lang": "english", "annotator": "C", "text": "Bridge: C."},
            {"topic_id": "M000", "lang": "english", "annotator": "A", "text": "Bridge: A."},
            {"topic_id": "M000", "lang": "french", "annotator": "A", "text": "Pont: A."},
        ],
    )
    _write_jsonl(
        ml / "multiling2011_system_summaries.jsonl",
        [
            {"system_id": "ID10", "lang": "english", "topic_id": "M000", "text": "ten"},
            {"system_id": "ID2", "lang": "english", "topic_id": "M000", "text": "two"},
            {"system_id": "ID9", "lang": "english", "topic_id": "M000", "text": "nine"},
        ],
    )
    _write_jsonl(
        root / "giveme5w1h_gold" / "articles.jsonl",
        [
            {
                "doc_id": "g2",
                "event": "storm",
                "title": "Storm hits coast",
                "description": "Lead.",
                "text": "A storm hit the coast. Power failed.",
                "publisher": "dailyexample",
                "url": "http://example.org/storm",
                "date_publish": "2016-11-09 07:00:00",
            },
            {
                "doc_id": "g1",
                "event": "storm",
                "title": "Storm warning",
                "description": "",
                "text": "Forecasters expect a storm.",
                "publisher": "weeklyexample",
                "url": "",
                "date_publish": "2016-11-08 12:00:00",
            },
            {
                "doc_id": "g3",
                "event": None,
                "title": "Unrelated",
                "description": "",
                "text": "Something else.",
                "publisher": "dailyexample",
                "url": "http://example.org/x",
                "date_publish": "None",
            },
        ],
    )
    mrpc = root / "mrpc"
    mrpc.mkdir()
    (mrpc / "msr_paraphrase_test.txt").write_bytes(
        "\ufeff1\t11\t12\tThe firm's profit rose.\tProfit at the firm went up.\n"
        '0\t13\t14\tHe said "no" twice.\tShe agreed at once.\n'.encode()
    )
    (mrpc / "msr_paraphrase_train.txt").write_bytes(
        "\ufeff1\t21\t22\tA cat sat.\tA cat was sitting.\n".encode()
    )
    stsb = root / "stsb"
    stsb.mkdir()
    (stsb / "sts-test.csv").write_text(
        "main-news\theadlines\t2015\t0001\t4.200\tFlood hits town\tTown flooded\n"
        "main-captions\tMSRvid\t2012test\t0002\t1.000\tA man sings.\tA dog runs.\n"
        "main-news\tMSRpar\t2012test\t0003\t2.500\tShares fell.\tStocks dropped a bit."
        "\textra\tcols\n",
        encoding="utf-8",
    )
    return root


# ----------------------------------------------------------------------------------------------
# Paths and ordering
# ----------------------------------------------------------------------------------------------


def test_default_data_root_reads_the_environment(tmp_path: Path) -> None:
    assert default_data_root({DATA_ENV_VAR: str(tmp_path)}) == tmp_path
    fallback = default_data_root({})
    # ../shared/data relative to the repository root (the directory holding pyproject.toml).
    repo_root = Path(__file__).resolve().parents[2]
    assert (repo_root / "pyproject.toml").is_file()
    assert fallback == repo_root.parent / "shared" / "data"
    assert default_data_root({DATA_ENV_VAR: "  "}) == fallback


def test_loaders_use_the_environment_when_root_is_none(
    data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_ENV_VAR, str(data_root))
    assert len(load_mrpc()) == 2


def _article(doc_id: str, when: datetime | None) -> EvalArticle:
    return EvalArticle(doc_id, "c", "o", when, None, ("p",), f"eval://t/{doc_id}")


def test_publication_order_oldest_first_ties_by_id_undated_last() -> None:
    early = _utc(2020, 1, 1)
    late = _utc(2020, 1, 2)
    articles = [
        _article("z", None),
        _article("b", late),
        _article("c", early),
        _article("a", late),
        _article("y", None),
    ]
    assert [a.doc_id for a in publication_order(articles)] == ["c", "a", "b", "y", "z"]


# ----------------------------------------------------------------------------------------------
# DUC 2003
# ----------------------------------------------------------------------------------------------


def test_load_duc2003(data_root: Path) -> None:
    clusters = load_duc2003(data_root)
    assert [c.cluster_id for c in clusters] == ["d0b", "d1a"]
    trade, flood = clusters
    assert trade.task == 3
    assert trade.references == ()
    assert trade.articles[0].published_at == _utc(1998, 6, 28)
    assert flood.task == 2
    # References ordered by annotator: B before H.
    assert flood.references == ("A river flooded a town.", "Flood feared; sandbags stacked.")
    assert dict(flood.peers) == {}
    first, second = flood.articles
    assert first.doc_id == "APW19990101.0002"  # publication order
    assert first.published_at == _utc(1999, 1, 1, 8, 30)
    assert first.outlet == "APW"
    assert first.title == "River warning"
    assert second.title is None
    assert second.paragraphs == ("The river rose overnight.", "Crews stacked sandbags.")
    assert second.url == "eval://duc2003/NYT19990102.0001"
    assert second.text == "The river rose overnight.\nCrews stacked sandbags."


def test_load_duc2003_rejects_summary_without_documents(data_root: Path) -> None:
    path = data_root / "duc2003" / "summaries.jsonl"
    _write_jsonl(path, [{"cluster_id": "d9z", "references": [{"annotator": "A", "text": "x"}]}])
    with pytest.raises(ValueError, match="d9z"):
        load_duc2003(data_root)


def test_missing_files_raise_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_duc2003(tmp_path)


# ----------------------------------------------------------------------------------------------
# MultiLing 2011
# ----------------------------------------------------------------------------------------------


def test_load_multiling2011_english(data_root: Path) -> None:
    clusters = load_multiling2011(data_root)
    assert [c.cluster_id for c in clusters] == ["M000", "M001"]
    bridge = clusters[0]
    assert [a.doc_id for a in bridge.articles] == ["M0000.english", "M0001.english"]
    closed, reopened = bridge.articles
    # Dateline in the 2nd paragraph, glued to the first sentence.
    assert closed.published_at == _utc(2005, 1, 7)
    assert reopened.published_at == _utc(2005, 1, 9)
    # The numeric date prefix leaves the title; paragraphs (dateline included) stay as given.
    assert reopened.title == "Bridge reopens"
    assert reopened.paragraphs == ("Sunday, January 9, 2005", "The bridge reopened today.")
    assert reopened.outlet == "WikiNews"
    assert reopened.url == "eval://multiling2011/M0001.english"
    assert bridge.references == ("Bridge: A.", "Bridge: C.")
    assert list(bridge.peers) == ["ID2", "ID9", "ID10"]
    assert bridge.peers["ID10"] == "ten"
    undated = clusters[1]
    assert undated.articles[0].published_at is None
    assert undated.references == ()


def test_load_multiling2011_translation_dates(data_root: Path) -> None:
    (bridge,) = load_multiling2011(data_root, lang="french")
    closed, reopened = bridge.articles
    # French dateline unreadable: the English original's date is used.
    assert closed.published_at == _utc(2005, 1, 7)
    # Day-first numeric title prefix.
    assert reopened.published_at == _utc(2005, 1, 9)
    assert reopened.title == "Le pont rouvre"
    assert bridge.references == ("Pont: A.",)
    assert dict(bridge.peers) == {}


def test_load_multiling2011_unknown_language(data_root: Path) -> None:
    with pytest.raises(ValueError, match="'english', 'french'"):
        load_multiling2011(data_root, lang="latin")


# ----------------------------------------------------------------------------------------------
# Giveme5W1H and story sets
# ----------------------------------------------------------------------------------------------


def test_load_giveme5w1h(data_root: Path) -> None:
    articles = load_giveme5w1h(data_root)
    assert [a.doc_id for a in articles] == ["g1", "g2"]
    warning, hit = articles
    assert warning.cluster_id == "storm"
    assert warning.outlet == "weeklyexample"
    assert warning.url == "eval://giveme5w1h/g1"
    assert hit.url == "http://example.org/storm"
    assert hit.paragraphs == ("A storm hit the coast. Power failed.",)
    assert hit.published_at == _utc(2016, 11, 9, 7)
    with_unlabelled = load_giveme5w1h(data_root, include_unlabelled=True)
    assert with_unlabelled[-1].doc_id == "g3"  # undated ("None") sorts last
    assert with_unlabelled[-1].cluster_id == "<unlabelled>:g3"
    assert with_unlabelled[-1].published_at is None


def test_load_story_set(data_root: Path) -> None:
    duc = load_story_set("duc2003", data_root)
    assert [a.doc_id for a in duc] == ["XIE19980628.0003", "APW19990101.0002", "NYT19990102.0001"]
    multiling = load_story_set("multiling2011", data_root)
    assert [a.doc_id for a in multiling] == ["M0000.english", "M0001.english", "M0010.english"]
    french = load_story_set("multiling2011", data_root, lang="french")
    assert {a.cluster_id for a in french} == {"M000"}
    assert [a.doc_id for a in load_story_set("giveme5w1h", data_root)] == ["g1", "g2"]
    with pytest.raises(ValueError, match="unknown story set"):
        load_story_set("cnn", data_root)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------
# Pairs
# ----------------------------------------------------------------------------------------------


def test_load_mrpc_strips_bom_and_keeps_quotes(data_root: Path) -> None:
    pairs = load_mrpc(data_root, split="test")
    assert [p.label for p in pairs] == [1, 0]
    assert pairs[0].text_a == "The firm's profit rose."
    assert pairs[0].pair_id == "11-12"
    assert pairs[0].source == "mrpc"
    assert pairs[1].text_a == 'He said "no" twice.'
    assert len(load_mrpc(data_root, split="train")) == 1
    with pytest.raises(ValueError, match="split"):
        load_mrpc(data_root, split="dev")  # type: ignore[arg-type]


def test_load_mrpc_rejects_malformed_line(data_root: Path) -> None:
    (data_root / "mrpc" / "msr_paraphrase_test.txt").write_text("yes\tonly two\n")
    with pytest.raises(ValueError, match="record 1"):
        load_mrpc(data_root)


def test_load_stsb_news_keeps_news_rows_and_first_seven_fields(data_root: Path) -> None:
    pairs = load_stsb_news(data_root, split="test")
    assert [p.source for p in pairs] == ["stsb/headlines", "stsb/MSRpar"]
    assert [p.label for p in pairs] == [4.2, 2.5]
    assert pairs[1].text_b == "Stocks dropped a bit."
    assert pairs[0].pair_id == "headlines/2015/0001"
    with pytest.raises(ValueError, match="split"):
        load_stsb_news(data_root, split="validation")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------
# User JSONL format
# ----------------------------------------------------------------------------------------------

GOOD_LINES: list[dict[str, Any]] = [
    {
        "type": "article",
        "doc_id": "b",
        "cluster_id": "fire",
        "outlet": "Daily Example",
        "published_at": "2024-03-02T09:00:00+01:00",
        "title": "Fire contained",
        "text": "Firefighters contained the blaze.\n\nNo one was hurt.",
    },
    {
        "type": "article",
        "doc_id": "a",
        "cluster_id": "fire",
        "outlet": "Weekly Example",
        "published_at": "2024-03-01",
        "paragraphs": ["A fire broke out.", " "],
        "url": "https://example.org/a",
    },
    {"type": "article", "doc_id": "c", "cluster_id": "vote", "outlet": "X", "text": "A vote."},
    {"type": "summary", "cluster_id": "fire", "text": "A fire was contained.", "annotator": "A"},
    {"type": "summary", "cluster_id": "fire", "text": "Fire out.", "system": "mine"},
    {"type": "pair", "text_a": "A fire.", "text_b": "A blaze.", "label": 1},
    {"type": "pair", "text_a": "x", "text_b": "y", "label": 2.5, "source": "graded"},
]


def test_load_jsonl_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    text = "".join(json.dumps(row) + "\n" for row in GOOD_LINES)
    path.write_text(text.replace("\n", "\n\n", 1), encoding="utf-8")  # a blank line is fine
    data = load_jsonl(path)
    assert [a.doc_id for a in data.articles] == ["a", "b", "c"]
    a, b, c = data.articles
    assert a.published_at == _utc(2024, 3, 1)
    assert a.paragraphs == ("A fire broke out.",)
    assert a.url == "https://example.org/a"
    assert a.title is None
    assert b.published_at == _utc(2024, 3, 2, 8)  # converted to UTC
    assert b.paragraphs == ("Firefighters contained the blaze.", "No one was hurt.")
    assert b.url == "eval://mine/b"
    assert c.published_at is None
    fire, vote = data.clusters
    assert fire.cluster_id == "fire"
    assert [x.doc_id for x in fire.articles] == ["a", "b"]
    assert fire.references == ("A fire was contained.",)
    assert dict(fire.peers) == {"mine": "Fire out."}
    assert vote.references == ()
    assert [(p.label, p.source) for p in data.pairs] == [(1, "jsonl"), (2.5, "graded")]


def _bad(**fields: Any) -> dict[str, Any]:
    return {"type": "article", "doc_id": "d", "cluster_id": "c", "outlet": "o", "text": "t"} | {
        key: value for key, value in fields.items() if key != "drop"
    }


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ({"type": "tweet"}, "field 'type'"),
        ({"doc_id": "d"}, "field 'type'"),
        (_bad(doc_id=""), "'doc_id' must not be empty"),
        (_bad(doc_id=5), "'doc_id' must be a string"),
        ({"type": "article", "doc_id": "d", "outlet": "o", "text": "t"}, "'cluster_id'"),
        (_bad(paragraphs=["x"]), "exactly one of the fields 'text' and 'paragraphs'"),
        ({"type": "article", "doc_id": "d", "cluster_id": "c", "outlet": "o"}, "exactly one"),
        (
            {"type": "article", "doc_id": "d", "cluster_id": "c", "outlet": "o", "paragraphs": 3},
            "'paragraphs' must be a list of strings",
        ),
        (_bad(published_at="yesterday"), "'published_at' is not ISO 8601"),
        (_bad(paragraph=["typo"]), "unknown field"),
        ({"type": "summary", "cluster_id": "c"}, "'text' is required"),
        ({"type": "pair", "text_a": "a", "text_b": "b", "label": "1"}, "'label' must be a number"),
        ({"type": "pair", "text_a": "a", "text_b": "b", "label": True}, "'label'"),
        ({"type": "pair", "text_a": "a", "text_b": "b"}, "'label'"),
    ],
)
def test_load_jsonl_errors_name_line_and_field(
    tmp_path: Path, row: dict[str, Any] | str, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    first = json.dumps(GOOD_LINES[2])
    second = row if isinstance(row, str) else json.dumps(row)
    path.write_text(f"{first}\n{second}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message) as raised:
        load_jsonl(path)
    assert f"{path}:2:" in str(raised.value)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [GOOD_LINES[2], GOOD_LINES[2]],
            "duplicate doc_id 'c' \\(first on line 1\\)",
        ),
        (
            [GOOD_LINES[2], {"type": "summary", "cluster_id": "other", "text": "s"}],
            "cluster 'other', which has no articles",
        ),
        (
            [
                GOOD_LINES[2],
                {"type": "summary", "cluster_id": "vote", "text": "s", "system": "x"},
            ],
            "",
        ),
    ],
)
def test_load_jsonl_cross_line_errors(
    tmp_path: Path, rows: list[dict[str, Any]], message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    if not message:
        # One summary per system per cluster is fine; a second one is the error.
        assert dict(load_jsonl(path).clusters[0].peers) == {"x": "s"}
        path.write_text(
            path.read_text(encoding="utf-8") + json.dumps(rows[-1]) + "\n", encoding="utf-8"
        )
        message = "system 'x' already summarised cluster 'vote'"
    with pytest.raises(ValueError, match=message) as raised:
        load_jsonl(path)
    assert f"{path}:" in str(raised.value)


# ----------------------------------------------------------------------------------------------
# The real files (counts only; skipped where the data is absent)
# ----------------------------------------------------------------------------------------------

REAL_ROOT = default_data_root()


@pytest.mark.skipif(not (REAL_ROOT / "duc2003").is_dir(), reason="evaluation data not present")
def test_real_data_shapes() -> None:
    duc = load_duc2003(REAL_ROOT)
    assert len(duc) == 39
    assert sum(len(c.articles) for c in duc) == 415
    assert all(len(c.references) == 4 for c in duc)
    assert {c.task for c in duc} <= {2, 3, 4}
    assert all(a.published_at is not None for c in duc for a in c.articles)
    english = load_multiling2011(REAL_ROOT)
    assert len(english) == 10
    assert all(len(c.articles) == 10 and len(c.references) == 3 for c in english)
    assert all(len(c.peers) == 10 for c in english)
    assert all(a.published_at is not None for c in english for a in c.articles)
    giveme = load_giveme5w1h(REAL_ROOT)
    assert len(giveme) == 95
    assert len({a.cluster_id for a in giveme}) == 12
    assert len(load_mrpc(REAL_ROOT, "train")) == 4076
    assert len(load_mrpc(REAL_ROOT, "test")) == 1725
    assert len(load_stsb_news(REAL_ROOT, "train")) == 3299
