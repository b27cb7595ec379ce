"""The real server over a real socket: uvicorn subprocess, real MiniLM, real Redis.

One scenario, in four server lifetimes (each start loads the model, about 7 s):

1. ingest the four-outlet fire story and an unrelated one; check grouping, clusters, brief;
2. ``kill -9``, restart with the index snapshot intact: everything acknowledged is back, in
   the same stories, and the brief (recomputed: its cache is cleared) has the same text;
3. ``kill -9``, overwrite the snapshot with garbage, restart: the index is rebuilt from Redis;
4. ``kill -9``, delete the snapshot, restart: rebuilt again, and a new article still finds its
   near-duplicates through the rebuilt index; a graceful stop writes the snapshot back.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import redis

from tests.api.conftest import AP, FIRE_TEXTS, OUTLETS, fire_article, observe, other_article

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """One uvicorn process serving ``service.api.app:create_app`` on a fixed port."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env = env
        self.port = port
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        assert self.proc is None
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    "service.api.app:create_app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if httpx.get(f"{self.base}/health", timeout=1.0).status_code in (200, 503):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"server did not answer /health in {START_TIMEOUT_S} s:\n{self.tail()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` (default ``kill -9``) and wait for the process to end."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@pytest.fixture
def server(tmp_path: Path, redis_url: str, redis_prefix: str, onnx_cache: Path) -> Iterator[Server]:
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "WIREDESK_REDIS_URL": redis_url,
        "WIREDESK_REDIS_PREFIX": redis_prefix,
        "WIREDESK_DATA_DIR": str(data_dir),
        "WIREDESK_EMBEDDER": "onnx",  # the default, named: this is the production path
        "WIREDESK_MODEL_CACHE_DIR": str(onnx_cache),
        "WIREDESK_SNAPSHOT_INTERVAL_S": "0.5",  # so a snapshot exists before the kill -9
        "WIREDESK_LOG_LEVEL": "WARNING",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    srv = Server(env, free_port(), tmp_path / "server.log")
    try:
        yield srv
    finally:
        srv.kill()


def snapshot_files(server: Server) -> list[Path]:
    return sorted(Path(server.env["WIREDESK_DATA_DIR"]).glob("index-*.faiss"))


def brief_text(http: httpx.Client, story_id: str) -> tuple[str, bool]:
    body = http.get(f"/stories/{story_id}/brief").json()
    return body["text"], body["cached"]


def check_healthy(http: httpx.Client, articles: int) -> None:
    response = http.get("/health")
    assert response.status_code == 200, response.text
    h = response.json()
    assert h["redis"] is True
    assert h["articles"] == articles
    assert h["index_vectors"] == h["texts"] > 0


def clear_brief_cache(redis_url: str, prefix: str) -> int:
    raw = redis.Redis.from_url(redis_url)
    keys = list(raw.scan_iter(match=f"{prefix}:brief*"))
    if keys:
        raw.delete(*keys)
    raw.close()
    return len(keys)


def test_real_server_groups_briefs_and_survives_kill_9(
    server: Server, redis_url: str, redis_prefix: str
) -> None:
    # ---- 1. ingest over the socket
    server.start()
    with httpx.Client(base_url=server.base, timeout=60.0) as http:
        # The four outlets arrive at once (threads share the client): their paragraphs meet in
        # the micro-batcher, and writes are serialised inside the server.
        with ThreadPoolExecutor(max_workers=len(OUTLETS)) as pool:
            responses = list(
                pool.map(lambda o: http.post("/articles", json=fire_article(o)), OUTLETS)
            )
        accepted = {}
        for outlet, response in zip(OUTLETS, responses, strict=True):
            assert response.status_code == 201, response.text
            accepted[outlet] = response.json()
        library = http.post("/articles", json=other_article("library"))
        assert library.status_code == 201, library.text

        fire_story = accepted["CBS"]["story_id"]
        assert {a["story_id"] for a in accepted.values()} == {fire_story}
        assert library.json()["story_id"] != fire_story
        stories = http.get("/stories").json()["stories"]
        assert len(stories) == 2
        detail = http.get(f"/stories/{fire_story}").json()
        assert detail["story"]["outlets"] == sorted(OUTLETS)
        assert max(len(c["outlets"]) for c in detail["clusters"]) >= 3

        brief = http.get(f"/stories/{fire_story}/brief").json()
        assert brief["cached"] is False
        for sentence in brief["sentences"]:
            carriers = {o for o in OUTLETS if sentence["text"] in FIRE_TEXTS[o]}
            assert carriers, sentence["text"]
            assert carriers <= set(sentence["outlets"])
        assert sum(1 for s in brief["sentences"] if len(s["outlets"]) >= 2) >= 2
        before = observe(http)
        text_before = brief["text"]
        assert len(before["articles"]) == 5
        check_healthy(http, 5)

    deadline = time.monotonic() + 10
    while not snapshot_files(server) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(snapshot_files(server)) == 1, "the 0.5 s snapshot loop wrote no snapshot"

    # ---- 2. kill -9, restart on the intact snapshot; the brief is recomputed
    server.kill()
    assert clear_brief_cache(redis_url, redis_prefix) >= 1
    server.start()
    with httpx.Client(base_url=server.base, timeout=60.0) as http:
        check_healthy(http, 5)
        assert observe(http) == before
        assert brief_text(http, fire_story) == (text_before, False)

    # ---- 3. kill -9, corrupt snapshot: rebuilt from Redis
    server.kill()
    (snapshot,) = snapshot_files(server)
    snapshot.write_bytes(b"\x00garbage, not a FAISS index\xff" * 64)
    clear_brief_cache(redis_url, redis_prefix)
    server.start()
    with httpx.Client(base_url=server.base, timeout=60.0) as http:
        check_healthy(http, 5)
        assert observe(http) == before
        assert brief_text(http, fire_story) == (text_before, False)

    # ---- 4. kill -9, snapshot deleted: rebuilt; search still finds near-duplicates
    server.kill()
    for path in snapshot_files(server):
        path.unlink()
    server.start()
    with httpx.Client(base_url=server.base, timeout=60.0) as http:
        check_healthy(http, 5)
        assert observe(http) == before
        assert brief_text(http, fire_story) == (text_before, True)
        late = http.post(
            "/articles",
            json={
                "url": "https://late.example/fire",
                "outlet": "Late",
                "text": "\n".join([AP[2], AP[4].replace("investigators", "state investigators")]),
            },
        )
        assert late.status_code == 201, late.text
        assert late.json()["story_id"] == fire_story
        assert late.json()["near_duplicate_paragraphs"] == 2  # exact and lightly edited copy
        check_healthy(http, 6)
    server.kill(signal.SIGTERM)  # graceful: the final snapshot is written
    assert len(snapshot_files(server)) == 1
