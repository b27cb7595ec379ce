"""``wiredesk serve`` as a newcomer runs it: embedded Redis, ready line, clean stop, restart.

A stop with SIGTERM or Ctrl-C (SIGINT) must exit 0 and leave no embedded ``redis-server``
behind (4 of 5 stops left one, issue 17); a second start right after must serve the data the
first one acknowledged.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.api.test_http_server import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0


def redis_servers_of(data_dir: Path) -> list[str]:
    """Command lines of running redis-server processes that serve ``data_dir``."""
    found = subprocess.run(
        ["pgrep", "-af", f"redis-server.*{data_dir}"], capture_output=True, text=True, check=False
    )
    return [line for line in found.stdout.splitlines() if line.strip()]


def serve(data_dir: Path, port: int, log: Path, **settings: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREDESK_") and k != "PORT"}
    env |= {
        "WIREDESK_EMBEDDER": "hash",
        "WIREDESK_DATA_DIR": str(data_dir),
        "PORT": str(port),  # the plain variable, as `make run PORT=...` passes it
        "HF_HUB_OFFLINE": "1",
        "PYTHONWARNINGS": "error::DeprecationWarning",
    }
    env |= {f"WIREDESK_{k.upper()}": v for k, v in settings.items()}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + READY_TIMEOUT_S
    while "is ready at" not in log.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"serve did not get ready:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    return proc


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stop_exits_0_without_an_orphan_redis_and_restarts(
    tmp_path: Path, stop: signal.Signals
) -> None:
    data_dir, log, port = tmp_path / "data", tmp_path / "serve.log", free_port()
    proc = serve(data_dir, port, log)
    try:
        text = log.read_text()
        assert f"http://127.0.0.1:{port}/schema/openapi.json" in text
        assert "Warning" not in text, text
        article = {
            "url": "https://a.example/fire",
            "outlet": "A",
            "text": "A fire tore through a warehouse in the port district on Tuesday night.",
        }
        posted = httpx.post(f"http://127.0.0.1:{port}/articles", json=article, timeout=30)
        assert posted.status_code == 201, posted.text
        assert redis_servers_of(data_dir), "the embedded Redis should be running"
    finally:
        proc.send_signal(stop)
        code = proc.wait(timeout=STOP_TIMEOUT_S)
    assert code == 0, log.read_text()[-3000:]
    assert "Traceback" not in log.read_text()
    assert redis_servers_of(data_dir) == []

    again = serve(data_dir, port, tmp_path / "serve-again.log")
    try:
        got = httpx.get(f"http://127.0.0.1:{port}/articles/{posted.json()['article_id']}")
        assert got.status_code == 200
        assert got.json()["url"] == article["url"]
    finally:
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=STOP_TIMEOUT_S) == 0
    assert redis_servers_of(data_dir) == []


def test_a_stalled_body_gets_408_and_frees_its_connection(tmp_path: Path) -> None:
    """A body shorter than its Content-Length held the request forever (issue 13)."""
    port = free_port()
    proc = serve(tmp_path / "data", port, tmp_path / "serve.log", body_timeout_s="1")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(
                b"POST /articles HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 500\r\n\r\n"
                b'{"url": "https://a.example/x",'
            )
            start = time.monotonic()
            answer = conn.recv(65536)
            waited = time.monotonic() - start
            while b"nothing received" not in answer and time.monotonic() - start < 10:
                more = conn.recv(65536)  # the body may come in a later segment
                if not more:
                    break
                answer += more
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"nothing received for 1 s" in answer
        assert waited < 5.0
        ok = httpx.get(f"http://127.0.0.1:{port}/health", timeout=10)
        assert ok.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=STOP_TIMEOUT_S) == 0


def test_slow_header_connections_are_closed(tmp_path: Path) -> None:
    """Slowloris: 50 connections trickling headers were never closed (issue 13)."""
    port = free_port()
    proc = serve(tmp_path / "data", port, tmp_path / "serve.log", header_timeout_s="1")
    conns = []
    try:
        for _ in range(50):
            conn = socket.create_connection(("127.0.0.1", port), timeout=10)
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            conns.append(conn)
        start = time.monotonic()
        for conn in conns:
            assert conn.recv(1024) == b""  # closed by the server, nothing answered
        assert time.monotonic() - start < 6.0
        ok = httpx.get(f"http://127.0.0.1:{port}/health", timeout=10)
        assert ok.status_code == 200
    finally:
        for conn in conns:
            conn.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=STOP_TIMEOUT_S) == 0


def test_ingest_a_jsonl_file(tmp_path: Path) -> None:
    """``wiredesk ingest`` posts a file through the API; bad lines fail alone, named."""
    port = free_port()
    proc = serve(tmp_path / "data", port, tmp_path / "serve.log")
    lines = [
        {
            "url": f"https://{outlet}.example/fire",
            "outlet": outlet,
            "text": "A fire tore through a warehouse in the port district on Tuesday night.\n"
            "Firefighters from three stations fought the blaze until dawn.",
        }
        for outlet in ("a", "b", "c")
    ]
    feed = tmp_path / "articles.jsonl"
    feed.write_text(
        json.dumps(lines[0])
        + "\n{not json\n"
        + json.dumps(lines[1])
        + "\n\n"
        + json.dumps({"url": "https://d.example/x", "outlet": "d"})
        + "\n"
        + json.dumps(lines[2])
        + "\n"
    )
    command = [
        sys.executable,
        "-m",
        "service.cli",
        "ingest",
        str(feed),
        "--api",
        f"http://127.0.0.1:{port}",
        "--batch-size",
        "2",
    ]
    # Resume state goes to the client's data folder (service/ingest_file.py).
    client_env = os.environ | {"WIREDESK_DATA_DIR": str(tmp_path / "client")}

    def ingest(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, *extra],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=client_env,
        )

    try:
        first = ingest()
        assert first.returncode == 1, first.stderr
        assert "3 accepted (3 created), 2 refused" in first.stdout
        assert "articles.jsonl:2: not JSON" in first.stderr
        assert "articles.jsonl:5:" in first.stderr
        assert "either text or html" in first.stderr
        resumed = ingest()
        assert "0 accepted (none), 0 refused, 5 skipped" in resumed.stdout
        again = ingest("--fresh")
        assert "3 accepted (3 unchanged), 2 refused" in again.stdout
        stories = httpx.get(f"http://127.0.0.1:{port}/stories", timeout=10).json()["stories"]
        assert sum(s["article_count"] for s in stories) == 3
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=STOP_TIMEOUT_S) == 0
