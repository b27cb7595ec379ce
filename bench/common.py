"""Shared helpers: the server under test, percentiles, tables and result files."""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100, linear interpolation); NaN for no values."""
    if not values:
        return float("nan")
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def rss_bytes(pid: int) -> tuple[int, int]:
    """``(VmRSS, VmHWM)`` of a process in bytes (current and peak resident set)."""
    values = {"VmRSS": 0, "VmHWM": 0}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in values:
            values[key] = int(rest.split()[0]) * 1024
    return values["VmRSS"], values["VmHWM"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process (all its threads) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def machine_info() -> dict[str, Any]:
    """CPU count, load average and versions, recorded next to every result."""
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "loadavg_1_5_15": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def busy_processes(min_cpu: float = 20.0) -> list[str]:
    """Other processes using at least ``min_cpu`` % CPU now (to record a busy machine)."""
    try:
        out = subprocess.run(
            ["ps", "-eo", "pid,pcpu,args", "--sort=-pcpu", "--no-headers"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    busy = []
    for line in out.splitlines()[:10]:
        pid, cpu, args = line.strip().split(None, 2)
        if int(pid) != os.getpid() and float(cpu) >= min_cpu:
            busy.append(f"{cpu}% {args[:120]}")
    return busy


@dataclass
class Server:
    """A ``wiredesk serve`` subprocess under test."""

    process: subprocess.Popen[bytes]
    base_url: str
    prefix: str
    redis_url: str | None
    log_path: Path

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid


@contextlib.contextmanager
def serve(
    extra_env: Mapping[str, str] | None = None,
    *,
    profile_to: Path | None = None,
    redis_url: str | None = DEFAULT_REDIS,
) -> Iterator[Server]:
    """Run ``wiredesk serve`` on a free port with a fresh Redis prefix and data directory.

    Args:
        extra_env: more ``WIREDESK_*`` settings.
        profile_to: run the server under pyinstrument and write its text report here.
        redis_url: external Redis to use (``None``: the embedded one in the temp data dir).

    Yields:
        The running server (``/health`` answered 200). On exit the server is stopped with
        SIGINT (graceful), its Redis keys are deleted and the data directory removed.
    """
    port = free_port()
    prefix = f"bench-{uuid.uuid4().hex[:10]}"
    with tempfile.TemporaryDirectory(prefix="wiredesk-bench-") as tmp:
        env = dict(os.environ)
        env.update(
            {
                "HF_HUB_OFFLINE": "1",
                "TOKENIZERS_PARALLELISM": "false",
                "WIREDESK_REDIS_PREFIX": prefix,
                "WIREDESK_DATA_DIR": tmp,
                "WIREDESK_PORT": str(port),
                "WIREDESK_LOG_LEVEL": "WARNING",
            }
        )
        if redis_url is not None:
            env["WIREDESK_REDIS_URL"] = redis_url
        else:
            env.pop("WIREDESK_REDIS_URL", None)
        env.update(extra_env or {})
        if profile_to is not None:
            cmd = [
                sys.executable,
                "-m",
                "pyinstrument",
                "-r",
                "text",
                "--show-all",
                "-o",
                str(profile_to),
                "-m",
                "service.cli",
                "serve",
            ]
        else:
            cmd = [sys.executable, "-m", "service.cli", "serve"]
        log_path = Path(tmp) / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=log)
        server = Server(process, f"http://127.0.0.1:{port}", prefix, redis_url, log_path)
        try:
            _wait_healthy(server)
            yield server
        finally:
            _stop(server)
            if redis_url is not None:
                _delete_keys(redis_url, prefix)


def _wait_healthy(server: Server, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited:\n{server.log_path.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.base_url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server not healthy after {timeout_s}s")


def _stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(60)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(10)


def _delete_keys(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        batch = []
        for key in client.scan_iter(match=f"{prefix}:*", count=2000):
            batch.append(key)
            if len(batch) >= 1000:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
    finally:
        client.close()


def write_result(name: str, payload: Mapping[str, Any]) -> Path:
    """Write ``payload`` (plus machine info) to ``bench/results/<name>-<stamp>.json``."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    body = {"machine": machine_info(), **payload}
    path.write_text(json.dumps(body, indent=2, default=str))
    (RESULTS_DIR / f"{name}-latest.json").write_text(json.dumps(body, indent=2, default=str))
    return path


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table, columns padded to their widest cell."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:.2f}"
        return f"{value:.3f}"
    return str(value)
