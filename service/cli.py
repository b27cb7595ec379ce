"""``wiredesk`` command line.

``serve`` runs the API; ``ingest`` loads files, folders or stdin (:mod:`service.ingest_file`);
``eval`` runs the quality harness; ``build-model`` exports
all-MiniLM-L6-v2 to ONNX (fp32 and int8) into the model cache, offline, so the first start
does not have to (``make install`` runs it).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``wiredesk`` script."""
    # The model (torch's OpenMP pool) and FAISS (the system libgomp) each keep their threads
    # spinning after their work, stealing the 2 cores from each other; sleeping waits raised
    # the all-distinct ingest rate from 59 to 72 paragraphs/s (docs/PERFORMANCE.md). Each
    # OpenMP runtime reads it when it loads, so it is set before anything imports torch or
    # faiss; an explicit value in the environment wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser = argparse.ArgumentParser(prog="wiredesk", description=__doc__)
    parser.add_argument("--version", action="version", version=f"wiredesk {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP API (settings from WIREDESK_* env)")
    serve.add_argument("--host", default=None, help="bind address (default WIREDESK_HOST)")
    serve.add_argument("--port", type=int, default=None, help="port (default WIREDESK_PORT)")
    build = sub.add_parser("build-model", help="export the ONNX models into the model cache")
    build.add_argument(
        "--cache-dir",
        default=None,
        help="target folder (default WIREDESK_MODEL_CACHE_DIR, else ~/.cache/wiredesk/models)",
    )
    ingest = sub.add_parser(
        "ingest",
        help="load articles from JSONL files, folders of .html/.txt, or stdin (-)",
        description=_ingest_doc(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ingest.add_argument(
        "paths", nargs="+", help="JSONL file (one article a line), folder of .html/.htm/.txt, or -"
    )
    ingest.add_argument(
        "--url",
        "--api",
        dest="url",
        default=None,
        help="a running service's base URL; without it the articles are ingested in-process "
        "(the service built from WIREDESK_* settings)",
    )
    ingest.add_argument(
        "--api-key",
        default=os.environ.get("WIREDESK_API_KEY"),
        help="bearer key for writes (default WIREDESK_API_KEY)",
    )
    ingest.add_argument("--outlet", default=None, help="outlet of folder files without a sidecar's")
    ingest.add_argument("--batch-size", type=int, default=50, help="articles per batch")
    ingest.add_argument(
        "--fresh", action="store_true", help="ignore what earlier runs finished; send everything"
    )
    from service import feeds_cli
    from service.evaluation import cli as eval_cli

    eval_cli.add_parser(sub)
    feeds_cli.add_parsers(sub)
    args = parser.parse_args(argv)
    if args.command in {"watch", "feeds"}:
        return feeds_cli.main(args)
    if args.command == "eval":
        return eval_cli.main(args)
    if args.command == "build-model":
        return _build_model(args.cache_dir)
    if args.command == "serve":
        return _serve(args.host, args.port)
    if args.command == "ingest":
        return _ingest(args)
    parser.error(f"unknown command {args.command!r}")
    return 2


def _ingest_doc() -> str:
    from service import ingest_file

    return ingest_file.__doc__ or ""


def _ingest(args: argparse.Namespace) -> int:
    """Run ``wiredesk ingest``; print the summary (also of a run cut short).

    Exit 0 when every item was accepted, 1 when some were refused, 2 when the run failed (the
    service unreachable, a whole batch refused), 130 when interrupted; what the service
    answered before a failure or an interrupt is recorded, and a rerun resumes after it.
    """
    import httpx

    from service.domain.errors import WiredeskError
    from service.ingest_file import IngestReport, run_http, run_in_process
    from service.settings import Settings, SettingsError

    missing = [p for p in args.paths if p != "-" and not Path(p).exists()]
    if missing:
        print(f"wiredesk ingest: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.batch_size < 1:
        print("wiredesk ingest: --batch-size must be >= 1", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"wiredesk ingest: configuration error: {exc}", file=sys.stderr)
        return 2
    report = IngestReport()
    code = 0
    try:
        if args.url is not None:
            run_http(
                args.paths,
                args.url.rstrip("/"),
                api_key=args.api_key,
                outlet=args.outlet,
                state_dir=settings.data_dir / "ingest-state",
                fresh=args.fresh,
                batch_size=args.batch_size,
                report=report,
            )
        else:
            run_in_process(
                args.paths,
                outlet=args.outlet,
                fresh=args.fresh,
                batch_size=args.batch_size,
                report=report,
            )
    except (RuntimeError, httpx.HTTPError, WiredeskError, OSError) as exc:
        print(f"wiredesk ingest: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        print("wiredesk ingest: interrupted", file=sys.stderr)
        code = 130
    print(report.summary())
    for note in report.notes:
        print(f"  note: {note}")
    for where, message in report.rejected:
        print(f"  {where}: {message}", file=sys.stderr)
    if code:
        print("what the service answered is recorded: run again to resume", file=sys.stderr)
        return code
    return 1 if report.rejected else 0


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("wiredesk")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        return "unknown"


def _serve(host: str | None, port: int | None) -> int:
    """Run the API until SIGTERM or Ctrl-C; exit 0 after a clean shutdown, 1 if start failed."""
    import uvicorn

    from service.api.server import protocol_with_header_timeout
    from service.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"wiredesk: configuration error: {exc}", file=sys.stderr)
        return 2
    bind_host: str = host or settings.host
    bind_port: int = port or settings.port
    # The app factory reads its settings from the environment: make the flags win there too.
    os.environ["WIREDESK_HOST"], os.environ["WIREDESK_PORT"] = bind_host, str(bind_port)

    class Server(uvicorn.Server):
        """uvicorn's server, saying where the service is once it listens."""

        async def startup(self, sockets: list[Any] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                shown = f"[{bind_host}]" if ":" in bind_host else bind_host
                base = f"http://{shown}:{bind_port}"
                print(
                    f"Wiredesk {_version()} is ready at {base}\n"
                    f"  dashboard  {base}/\n"
                    f"  API docs   {base}/schema/openapi.json\n"
                    f"  health     {base}/health\n"
                    "Stop with Ctrl-C (or SIGTERM).",
                    file=sys.stderr,
                    flush=True,
                )

        async def shutdown(self, sockets: list[Any] | None = None) -> None:
            # Endless event streams would hold the graceful shutdown until its timeout.
            from service.usecases.events import end_all_streams

            end_all_streams()
            await super().shutdown(sockets=sockets)

    config = uvicorn.Config(
        "service.api.app:create_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=10,
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=settings.keep_alive_s,
        http=protocol_with_header_timeout(settings.header_timeout_s),
    )
    server = Server(config)
    # uvicorn stops gracefully on SIGTERM/SIGINT, then re-raises the signal to the handler that
    # was installed before it (to let a default handler kill the process: exit 143, or a
    # KeyboardInterrupt traceback). A stop that shut down cleanly is a success: exit 0.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    server.run()
    return 0 if server.started else 1


def _build_model(cache_dir: str | None) -> int:
    import time
    from pathlib import Path

    from service.adapters.onnx_embedder import ensure_model
    from service.settings import Settings

    folder = Path(cache_dir) if cache_dir else Settings.from_env().model_cache_dir
    for precision in ("fp32", "int8"):
        start = time.perf_counter()
        model = ensure_model(precision, folder)
        took = time.perf_counter() - start
        print(f"{precision}: {model.graph} ({took:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
