"""The file readers of ``wiredesk ingest`` (service/ingest_file.py) on texts written for it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from service.ingest_file import IngestReport, Resume, decode, file_item, read_folder, read_jsonl

BODY = "The ferry to Halvik Island was cancelled on Sunday because of high winds."


def test_decode_reads_utf8_and_detects_other_encodings() -> None:
    assert decode("Café".encode()) == ("Café", None)
    assert decode(b"\xef\xbb\xbfhello") == ("hello", None)  # a BOM is dropped
    text = "Les élus ont voté contre le budget présenté mardi par la maire de la ville."
    got, assumed = decode(text.encode("cp1252"))
    assert assumed is not None
    assert "élus" in got


def test_text_file_title_rules(tmp_path: Path) -> None:
    folder = tmp_path / "Island Post"
    folder.mkdir()
    headed = folder / "ferry.txt"
    headed.write_text(f"Ferry cancelled\n\n{BODY}\nMore later.")
    plain = folder / "ferry_news-today.txt"
    plain.write_text(f"{BODY}\nMore later.")
    report = IngestReport()
    first = file_item(headed, headed.read_bytes(), None, report, "ferry.txt", ("file", ("x", "y")))
    assert first.article is not None
    assert first.article["title"] == "Ferry cancelled"
    assert first.article["text"] == f"{BODY}\nMore later."
    assert first.article["outlet"] == "Island Post"
    assert first.article["url"].startswith("file://")
    second = file_item(plain, plain.read_bytes(), "Wire", report, "p", ("file", ("x", "y")))
    assert second.article is not None
    assert second.article["title"] == "ferry news today"
    assert second.article["text"] == f"{BODY}\nMore later."
    assert second.article["outlet"] == "Wire"


def test_sidecar_wins_and_a_bad_sidecar_is_named(tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text(f"<html><body><p>{BODY}</p></body></html>")
    (tmp_path / "story.json").write_text(json.dumps({"url": "https://x.example/s", "x": 1}))
    item = file_item(page, page.read_bytes(), "Wire", IngestReport(), "s", ("file", ("a", "b")))
    assert item.article is not None
    assert item.article["url"] == "https://x.example/s"
    assert "x" not in item.article  # only the article fields are taken
    assert "html" in item.article
    (tmp_path / "story.json").write_text("[1, 2")
    bad = file_item(page, page.read_bytes(), "Wire", IngestReport(), "s", ("file", ("a", "b")))
    assert bad.article is None
    assert bad.error is not None
    assert "sidecar story.json" in bad.error


@pytest.mark.parametrize(("data", "reason"), [(b"", "empty file"), (b"  \n\t", "empty file")])
def test_empty_files_are_refused(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "a.txt"
    item = file_item(path, data, None, IngestReport(), "a.txt", ("file", ("a", "b")))
    assert (item.article, item.error) == (None, reason)


def test_folder_skips_finished_files_and_resends_changed_ones(tmp_path: Path) -> None:
    folder = tmp_path / "desk"
    folder.mkdir()
    for name in ("a.txt", "b.htm", "c.md"):
        (folder / name).write_text(BODY)
    state = tmp_path / "state"
    resume = Resume(state, str(folder), "t", fresh=False)
    items = list(read_folder(folder, None, resume, IngestReport()))
    assert [Path(i.where).name for i in items] == ["a.txt", "b.htm"]
    for item in items:
        assert item.done is not None
        resume.mark(item.done)
    resume.save()
    (folder / "b.htm").write_text(BODY + " Changed.")
    report = IngestReport()
    again = list(read_folder(folder, None, Resume(state, str(folder), "t", False), report))
    assert [Path(i.where).name for i in again] == ["b.htm"]
    assert report.skipped == 1
    fresh = list(read_folder(folder, None, Resume(state, str(folder), "t", True), IngestReport()))
    assert len(fresh) == 2


def test_jsonl_lines_each_get_a_reason() -> None:
    lines = [
        json.dumps({"url": "u", "outlet": "o", "text": BODY}).encode(),
        b"",
        b"{oops",
        b"[1]",
        ('{"url": "w", "outlet": "o", "text": "Les élus ' + BODY + '"}').encode("cp1252"),
    ]
    report = IngestReport()
    stream = io.BytesIO(b"\n".join(lines) + b"\n")
    items = list(read_jsonl(stream, "f.jsonl", Resume(None, "f", "t", False), report))
    assert [(i.where, i.error) for i in items if i.error] == [
        ("f.jsonl:3", "not JSON: Expecting property name enclosed in double quotes at column 2"),
        ("f.jsonl:4", "not a JSON object (a JSON list)"),
    ]
    good = [i.article for i in items if i.article]
    assert [a["url"] for a in good] == ["u", "w"]
    assert "élus" in good[1]["text"]
    assert any("f.jsonl: not UTF-8 from line 5" in n for n in report.notes)
