"""``wiredesk ingest``: post a JSON Lines file of articles to a running service.

Each line is one article as ``POST /articles`` takes it (``url``, ``outlet``, ``text``, and the
optional fields). Lines go out in batches through ``POST /articles/batch``, so every article
passes the same validation, near-duplicate and story logic as any other client's, and a bad
line fails alone. A 429 or 503 answer is retried after its ``Retry-After`` (at most
``retries`` times); a line that is not JSON is reported with its line number and never sent.
Progress is shown with rich (a bar on a terminal, nothing on a pipe).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@dataclass(slots=True)
class IngestReport:
    """What one run did.

    Attributes:
        statuses: accepted articles by status (created, updated, unchanged).
        rejected: ``(file:line, message)`` of every refused line.
    """

    statuses: Counter[str] = field(default_factory=Counter)
    rejected: list[tuple[str, str]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        """Articles the service accepted."""
        return sum(self.statuses.values())


def read_lines(path: Path) -> Iterator[tuple[str, dict[str, Any] | str]]:
    """``(file:line, article)`` per non-blank line, or ``(file:line, error message)``."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            where = f"{path.name}:{number}"
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield where, f"not JSON: {exc.msg} at column {exc.colno}"
                continue
            if not isinstance(value, dict):
                yield where, "not a JSON object"
                continue
            yield where, value


def _post(client: httpx.Client, batch: list[dict[str, Any]], retries: int) -> dict[str, Any]:
    """POST one batch, waiting out 429/503 answers (their ``Retry-After``) up to ``retries``."""
    for attempt in range(retries + 1):
        response = client.post("/articles/batch", json={"articles": batch})
        if response.status_code in {429, 503} and attempt < retries:
            wait = response.headers.get("retry-after", "1")
            time.sleep(min(float(wait) if wait.replace(".", "", 1).isdigit() else 1.0, 60.0))
            continue
        if response.status_code != 200:
            detail = response.json().get("detail", response.text[:200])
            raise RuntimeError(f"the service answered {response.status_code}: {detail}")
        body: dict[str, Any] = response.json()
        return body
    raise AssertionError("unreachable")  # pragma: no cover


def ingest_files(
    paths: list[Path],
    api: str,
    *,
    api_key: str | None = None,
    batch_size: int = 50,
    retries: int = 5,
    console: Console | None = None,
) -> IngestReport:
    """Post every article of ``paths`` to the service at ``api``.

    Raises:
        RuntimeError: the service refused a whole batch (not one article), or is unreachable.
    """
    console = console or Console(stderr=True)
    headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
    report = IngestReport()
    lines = [item for path in paths for item in read_lines(path)]
    progress = Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    )
    with httpx.Client(base_url=api, headers=headers, timeout=120.0) as client, progress:
        task = progress.add_task("ingest", total=len(lines))
        pending: list[tuple[str, dict[str, Any]]] = []

        def flush() -> None:
            if not pending:
                return
            answer = _post(client, [article for _, article in pending], retries)
            for (where, _), item in zip(pending, answer["results"], strict=True):
                if item["ok"]:
                    report.statuses[item["result"]["status"]] += 1
                else:
                    report.rejected.append((where, item["error"]["detail"]))
            progress.advance(task, len(pending))
            pending.clear()

        for where, value in lines:
            if isinstance(value, str):
                report.rejected.append((where, value))
                progress.advance(task)
                continue
            pending.append((where, value))
            if len(pending) >= batch_size:
                flush()
        flush()
    return report
