"""``wiredesk ingest`` on folders, stdin and resumed runs, in-process and against ``serve``.

The texts are written for these tests. A real ``wiredesk serve`` (hash embedder, embedded
Redis) answers the HTTP runs; the in-process run builds the service itself, and a ``serve``
started afterwards on the same data folder shows what it stored.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.ingest_file import IngestReport, Item, Resume, Source, ingest_sources, read_jsonl
from tests.api.test_cli_serve import ROOT, STOP_TIMEOUT_S, serve
from tests.api.test_http_server import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIRE = (
    "Fire in the harbour\n\n"
    "A fire tore through a timber warehouse in the harbour district of Port Ellery on Tuesday "
    "night, the fire service said.\n"
    "Crews from four stations fought the flames until dawn, and nobody was hurt."
)
# Latin-1 bytes (not UTF-8): a French council report.
BUDGET_FR = (
    "Le conseil municipal de Port Ellery a adopté mardi soir le budget de la ville pour "
    "l'année prochaine, après quatre heures de débat.\n"
    "Les élus de l'opposition ont voté contre le texte présenté par la maire."
)
STORM_HTML = (
    "<html><head><title>Storm cuts power on the coast</title></head><body>"
    "<nav><a href='/'>Home</a> <a href='/sport'>Sport</a></nav><article>"
    "<h1>Storm cuts power on the coast</h1>"
    "<p>A storm swept along the northern coast on Monday, cutting power to thousands of homes "
    "between Port Ellery and Saltmarsh Bay.</p>"
    "<p>Engineers worked through the night to restore the lines, and the regional grid "
    "operator said most homes had power again by morning.</p>"
    "</article><footer>Copyright Coast Courier</footer></body></html>"
)


def env(data_dir: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("WIREDESK_")}
    out |= {
        "WIREDESK_EMBEDDER": "hash",
        "WIREDESK_DATA_DIR": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        "PYTHONWARNINGS": "error::DeprecationWarning",
    }
    return out


def wiredesk(
    data_dir: Path, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "ingest", *args],
        cwd=ROOT,
        env=env(data_dir),
        input=stdin.decode("utf-8") if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def make_folder(root: Path) -> Path:
    folder = root / "desk" / "Coast Courier"
    folder.mkdir(parents=True)
    (folder / "harbour_fire.txt").write_text(FIRE, encoding="utf-8")
    (folder / "budget-fr.txt").write_bytes(BUDGET_FR.encode("latin-1"))
    (folder / "storm.html").write_text(STORM_HTML, encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "notes.md").write_text("not an article", encoding="utf-8")  # not read
    # A sidecar gives the page its real URL and a story key.
    (folder / "storm.json").write_text(
        json.dumps({"url": "https://courier.example/storm", "story_key": "storm-week"})
    )
    return root / "desk"


def test_a_folder_in_process_then_served(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    folder = make_folder(tmp_path)
    first = wiredesk(data_dir, str(folder))
    assert first.returncode == 1, first.stderr  # the empty file is refused
    assert "3 accepted (3 created), 1 refused" in first.stdout
    assert "budget-fr.txt: not UTF-8; read as" in first.stdout
    assert "empty.txt: empty file" in first.stderr
    again = wiredesk(data_dir, str(folder))
    assert again.returncode == 0, again.stderr
    assert "0 accepted (none), 0 refused, 4 skipped" in again.stdout

    port = free_port()
    proc = serve(data_dir, port, tmp_path / "serve.log")
    try:
        stories = httpx.get(f"http://127.0.0.1:{port}/stories", timeout=10).json()["stories"]
        by_title = {s["title"]: s for s in stories}
        assert set(by_title) == {
            "Fire in the harbour",
            "budget fr",
            "Storm cuts power on the coast",
        }, by_title
        assert by_title["budget fr"]["languages"] == ["fr"]
        assert by_title["Fire in the harbour"]["languages"] == ["en"]
        storm = by_title["Storm cuts power on the coast"]
        assert storm["story_key"] == "storm-week"
        assert storm["outlets"] == ["Coast Courier"]  # the folder's name
        detail = httpx.get(f"http://127.0.0.1:{port}/stories/{storm['story_id']}").json()
        assert detail["articles"][0]["url"] == "https://courier.example/storm"
        budget = httpx.get(
            f"http://127.0.0.1:{port}/stories/{by_title['budget fr']['story_id']}"
        ).json()
        article = httpx.get(
            f"http://127.0.0.1:{port}/articles/{budget['articles'][0]['article_id']}"
        ).json()
        assert "élus" in article["paragraphs"][1]["text"]  # decoded, not mojibake
        assert article["url"].startswith("file://")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=STOP_TIMEOUT_S) == 0


def line(n: int, **extra: Any) -> str:
    return json.dumps(
        {
            "url": f"https://wire.example/{n}",
            "outlet": f"Outlet {n}",
            "text": f"Council meeting number {n} approved a plan for {n * 7} new street lamps "
            f"along the river road in the town of Ellery on Thursday evening.",
            **extra,
        }
    )


def test_stdin_and_resume_against_a_running_service(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "data", free_port()
    # A small body limit: a batch of several articles is over it, one article is not.
    proc = serve(data_dir, port, tmp_path / "serve.log", max_body_bytes="1500")
    url = f"http://127.0.0.1:{port}"
    client_dir = tmp_path / "client"
    try:
        lines = [line(n) for n in range(1, 5)]
        lines.insert(2, line(99, text="x " * 2000))  # one article over the body limit alone
        piped = ("\n".join(lines) + "\n{broken\n").encode()
        first = wiredesk(client_dir, "-", "--url", url, "--batch-size", "3", stdin=piped)
        assert first.returncode == 1, first.stderr
        assert "4 accepted (4 created), 2 refused" in first.stdout
        assert "stdin:3: refused with 413" in first.stderr
        assert "stdin:6: not JSON" in first.stderr
        again = wiredesk(client_dir, "-", "--url", url, stdin=piped)
        assert "0 accepted (none), 0 refused, 6 skipped" in again.stdout
        more = piped + (line(5) + "\n").encode()
        grown = wiredesk(client_dir, "-", "--url", url, stdin=more)
        assert "1 accepted (1 created), 0 refused, 6 skipped" in grown.stdout
        fresh = wiredesk(client_dir, "-", "--url", url, "--fresh", stdin=more)
        assert "5 accepted (5 unchanged), 2 refused" in fresh.stdout
        stories = httpx.get(f"{url}/stories", timeout=10).json()["stories"]
        assert sum(s["article_count"] for s in stories) == 5
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=STOP_TIMEOUT_S) == 0


def test_a_batch_is_marked_done_only_once_answered(tmp_path: Path) -> None:
    """The service going away mid-run: a rerun sends exactly what was not answered."""
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(line(n) + "\n" for n in range(1, 8)))
    sent: list[list[str]] = []

    def flaky(batch: list[dict[str, Any]]) -> list[tuple[bool, str]]:
        sent.append([a["url"] for a in batch])
        if len(sent) == 2:
            raise httpx.ConnectError("the service went away")
        return [(True, "created")] * len(batch)

    def run(send: Any) -> IngestReport:
        report = IngestReport()
        resume = Resume(tmp_path / "state", str(feed), "target", fresh=False)
        with feed.open("rb") as handle:
            source = Source("feed", read_jsonl(handle, "feed.jsonl", resume, report), resume, None)
            return ingest_sources(iter([source]), send, report, batch_size=3)

    with pytest.raises(httpx.ConnectError):
        run(flaky)
    assert len(sent) == 2
    answered: list[str] = []

    def steady(batch: list[dict[str, Any]]) -> list[tuple[bool, str]]:
        answered.extend(a["url"] for a in batch)
        return [(True, "created")] * len(batch)

    report = run(steady)
    assert answered == [f"https://wire.example/{n}" for n in range(4, 8)]
    assert report.skipped == 3
    assert report.statuses["created"] == 4


def test_an_edited_input_is_read_again(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(line(1) + "\n" + line(2) + "\n")
    items: list[Item] = []
    report = IngestReport()
    resume = Resume(tmp_path / "state", str(feed), "target", fresh=False)
    with feed.open("rb") as handle:
        for item in read_jsonl(handle, "feed.jsonl", resume, report):
            assert item.done is not None
            resume.mark(item.done)
    resume.save()
    feed.write_text(line(3) + "\n" + line(2) + "\n")  # same length, other bytes
    resume = Resume(tmp_path / "state", str(feed), "target", fresh=False)
    with feed.open("rb") as handle:
        items = list(read_jsonl(handle, "feed.jsonl", resume, report))
    assert [i.article["url"] for i in items if i.article] == [
        "https://wire.example/3",
        "https://wire.example/2",
    ]
    assert any("changed since the last run" in n for n in report.notes)
