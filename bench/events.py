"""``python -m bench.events``: what live events cost the write path (issue 15).

Everything the events add to a write runs inside the write lock: deriving a change set's events
(:meth:`service.usecases.events.Events.on_change`), offering them to every stream client and
matching them against every webhook. This bench grows one story article by article (the
worst case: every event carries the whole story's outlets and headlines) on the in-process
service (hash embedder, in-memory store: the model and Redis are not what is measured) with
``--clients`` stream clients that read nothing and ``--webhooks`` subscriptions whose filters
match nothing (the matching is measured, not the sending), and reports, by story size, the
median time ``on_change`` took over the last 20 articles, beside the median time of
the whole write (``submit``, which includes it), and the payload size of its events.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Sequence

from indexes.factory import create_index
from service.adapters.batching import BatchingEmbedder
from service.adapters.embedder import HashingEmbedder
from service.adapters.memory import MemoryCache, MemoryStore
from service.domain.events import EventsConfig
from service.domain.models import ArticleInput, ChangeSet
from service.domain.webhooks import Webhook
from service.settings import Settings
from service.usecases import Wiredesk
from service.usecases.events import StreamFilter


async def run(articles: int, clients: int, webhooks: int) -> list[dict[str, float]]:
    """Grow one story to ``articles`` members; one row per power-of-ten-ish size."""
    settings = Settings(
        embedder="hash",
        events=EventsConfig(client_queue=10 * articles, max_clients=max(clients, 1)),
    )
    embedder = HashingEmbedder()
    wd = Wiredesk(
        settings,
        MemoryStore(),
        MemoryCache(),
        create_index("numpy", embedder.dim),
        BatchingEmbedder(embedder),
    )
    await wd.start()
    for _ in range(clients):
        wd.events.open(StreamFilter(), None)
    for n in range(webhooks):  # registered directly: no worker runs, nothing is sent
        hook = Webhook(f"wh_{n:016x}", "https://hooks.example/", "s", keyword="zzzz-no-match")
        wd.webhooks._hooks[hook.webhook_id] = hook
    timings: list[float] = []
    writes: list[float] = []
    listeners = wd.desk._listeners
    index = listeners.index(wd.events.on_change)
    original = wd.events.on_change

    def timed(changes: ChangeSet, reason: str) -> None:
        start = time.perf_counter()
        original(changes, reason)
        timings.append(time.perf_counter() - start)

    listeners[index] = timed
    rows = []
    marks = {m for m in (1, 10, 50, 100, 200, 500, 1000, 2000) if m <= articles} | {articles}
    for n in range(1, articles + 1):
        text = "\n".join(
            f"Paragraph {p} of report {n}: the council met on day {n * 31 + p} to vote."
            for p in range(5)
        )
        start = time.perf_counter()
        await wd.submit(
            ArticleInput(
                url=f"https://outlet{n}.example/report",
                outlet=f"Outlet number {n}",
                title=f"Report {n} on the council vote",
                text=text,
                story_key="one-story",
            )
        )
        writes.append(time.perf_counter() - start)
        if n in marks:
            last = [e for e in wd.events.ring() if e.seq > wd.events.ring()[-1].seq - 2]
            size = max(len(json.dumps(e.data())) for e in last)
            rows.append(
                {
                    "articles": n,
                    # Median of the last 20 changes: single timings jump on a shared machine.
                    "on_change_ms": round(statistics.median(timings[-20:]) * 1000, 3),
                    "write_ms": round(statistics.median(writes[-20:]) * 1000, 3),
                    "event_bytes": size,
                }
            )
    await wd.embedder.close()
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.events", description=__doc__)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--webhooks", type=int, default=100)
    args = parser.parse_args(argv)
    rows = asyncio.run(run(args.articles, args.clients, args.webhooks))
    print(f"clients={args.clients} webhooks={args.webhooks}")
    print("articles  on_change ms  whole write ms  largest event bytes")
    for row in rows:
        print(
            f"{row['articles']:>8}  {row['on_change_ms']:>12}  {row['write_ms']:>14}"
            f"  {row['event_bytes']:>19}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
