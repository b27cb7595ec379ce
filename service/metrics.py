"""Prometheus metrics of one app instance (own registry: no process-global state)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Stage latencies run from ~50 µs (a cache hit) to seconds (a large batch through the model).
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Counters, gauges and stage timings, rendered in the Prometheus text format."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.articles = Counter(
            "wiredesk_articles_submitted", "Articles accepted, by status", ["status"], registry=r
        )
        self.rejected = Counter(
            "wiredesk_articles_rejected", "Articles refused, by reason", ["reason"], registry=r
        )
        self.embedded = Counter(
            "wiredesk_paragraphs_embedded", "Distinct paragraphs embedded", registry=r
        )
        self.reused = Counter(
            "wiredesk_paragraphs_reused",
            "Paragraphs whose exact text was already embedded",
            registry=r,
        )
        self.cache = Counter(
            "wiredesk_brief_cache", "Brief cache lookups, by result", ["result"], registry=r
        )
        self.merges = Counter("wiredesk_story_merges", "Stories merged into another", registry=r)
        self.regrouped = Counter(
            "wiredesk_articles_regrouped",
            "Articles moved to another story by the regrouping pass",
            registry=r,
        )
        self.stage = Histogram(
            "wiredesk_stage_seconds",
            "Time spent per pipeline stage",
            ["stage"],
            buckets=_BUCKETS,
            registry=r,
        )
        self.gauges = {
            name: Gauge(f"wiredesk_{name}", help_, registry=r)
            for name, help_ in (
                ("articles", "Articles stored"),
                ("paragraphs", "Paragraph occurrences stored"),
                ("texts", "Distinct paragraph texts (vectors)"),
                ("clusters", "Near-duplicate clusters with at least one paragraph"),
                ("cross_outlet_clusters", "Clusters carried by two or more outlets"),
                ("stories", "Stories with at least one article"),
                ("index_vectors", "Vectors in the paragraph index"),
                ("embed_calls", "Model calls made by the micro-batcher"),
                ("embed_busy_seconds", "Wall seconds the micro-batcher spent in model calls"),
                ("event_stream_clients", "Open GET /events streams"),
                ("event_stream_clients_dropped", "Event stream clients dropped for lagging"),
                ("webhook_deliveries_waiting", "Webhook deliveries queued, all targets"),
            )
        }

    @contextmanager
    def time(self, stage: str) -> Iterator[None]:
        """Observe the duration of the block under ``stage``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stage.labels(stage).observe(time.perf_counter() - start)

    def render(self, gauges: dict[str, float]) -> bytes:
        """Set the gauges and render everything."""
        for name, value in gauges.items():
            self.gauges[name].set(value)
        return generate_latest(self.registry)
