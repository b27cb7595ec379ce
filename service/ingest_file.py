"""``wiredesk ingest PATH``: load articles from files, a folder or standard input.

Inputs (each PATH):

* a **JSON Lines file**: one article a line, as ``POST /articles`` takes it (``url``,
  ``outlet``, ``text`` or ``html``, and the optional fields);
* ``-``: JSON Lines on **standard input**;
* a **folder**: every ``.html``, ``.htm`` and ``.txt`` file under it (recursively, in path
  order), one article a file. A page is sent as ``html`` (the service extracts its article,
  headline and date); a text file is sent as ``text``, its first line being the headline when
  a blank line follows it (else the file's stem, ``_`` and ``-`` read as spaces, is the
  headline and the whole file the body). The outlet is the sidecar's, else ``--outlet``, else
  the name of the folder holding the file; the URL (the article's identity) is the sidecar's,
  else the file's ``file://`` URL. A **sidecar** is ``NAME.json`` beside ``NAME.html`` /
  ``NAME.txt``: a JSON object whose fields (``url``, ``outlet``, ``title``,
  ``published_at``, ``story_key``, ``language``) win.

Files that are not UTF-8 are decoded with the encoding charset-normalizer finds, and the
summary says what was assumed. Empty files, lines that are not JSON objects and files that
cannot be decoded are refused locally, each named by ``file:line`` (or file) with its reason;
everything else goes to the service, which answers per article (a text over the limits, a page
without an article: refused alone, the run goes on).

Where articles go: with ``--url``, to a running service through ``POST /articles/batch``
(``--api-key`` or ``WIREDESK_API_KEY``; a 429 or 503 answer is retried after its
``Retry-After``; a batch too large for the body limit, 413, is sent again one article at a
time); without it, **in-process**: the service is built from the environment
(:func:`service.bootstrap.running`) and each batch goes through the same validation and the
same ingest use case as the API's.

**Resuming.** After every batch the service acknowledged (answered), a small state file records
what is done: for a JSON Lines input, the byte offset reached and the SHA-256 of the bytes
before it; for a folder, each finished file's path and SHA-256. A second run of the same
input against the same target skips that (a JSON Lines input whose first bytes changed starts
over; a changed file is sent again), so an interrupted run (Ctrl-C, a crash, the service
going away) resumes where the service last answered. Nothing is marked done before the
service answered it. State files live in ``<WIREDESK_DATA_DIR>/ingest-state/`` (one per input
and target); ``--fresh`` ignores and replaces them.

Progress is shown with rich on standard error (a bar on a terminal, nothing on a pipe).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import charset_normalizer
import httpx
from rich.console import Console
from rich.progress import Progress, TaskID

from service.progress import new_progress

PAGE_SUFFIXES = (".html", ".htm")
TEXT_SUFFIXES = (".txt",)
SIDECAR_FIELDS = ("url", "outlet", "title", "published_at", "story_key", "language")
# The most seconds one Retry-After is honoured for (a broken header must not stall the run).
MAX_RETRY_WAIT_S = 60.0


@dataclass(slots=True)
class Item:
    """One input unit: an article to send, or the local reason it cannot be sent.

    Attributes:
        where: ``file:line`` (JSON Lines) or the file's path (folder), for the report.
        article: the request item, or ``None`` when refused locally.
        error: why it was refused locally.
        done: its resume mark (see :class:`Resume`), applied once its batch is answered.
    """

    where: str
    article: dict[str, Any] | None
    error: str | None = None
    done: tuple[str, Any] | None = None


@dataclass(slots=True)
class IngestReport:
    """What one run did.

    Attributes:
        statuses: accepted articles by status (created, updated, unchanged).
        rejected: ``(where, message)`` of every refused item, local or the service's.
        skipped: items a previous run had finished (resumed past).
        notes: what was assumed (encodings) or restarted, per input.
    """

    statuses: Counter[str] = field(default_factory=Counter)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    skipped: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        """Articles the service accepted."""
        return sum(self.statuses.values())

    def summary(self) -> str:
        """One line: accepted by status, refused, skipped."""
        counts = ", ".join(f"{n} {status}" for status, n in sorted(self.statuses.items()))
        line = f"{self.accepted} accepted ({counts or 'none'}), {len(self.rejected)} refused"
        return line + (f", {self.skipped} skipped (done by an earlier run)" if self.skipped else "")


# ----------------------------------------------------------------------------------- decoding
def decode(data: bytes) -> tuple[str, str | None]:
    """Bytes to text: UTF-8 (a BOM dropped), else the encoding charset-normalizer finds.

    Returns:
        ``(text, assumed)``: ``assumed`` names the encoding used when it was not UTF-8.

    Raises:
        ValueError: no encoding fits (binary data).
    """
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise ValueError("not text in any encoding charset-normalizer knows (binary?)")
    return str(best), best.encoding


# ------------------------------------------------------------------------------------- state
class Resume:
    """The state file of one input against one target (see the module docstring)."""

    def __init__(self, folder: Path | None, source: str, target: str, fresh: bool) -> None:
        key = hashlib.sha256(f"{target}\n{source}".encode()).hexdigest()[:24]
        self.path = folder / f"{key}.json" if folder is not None else None
        self.state: dict[str, Any] = {"source": source, "target": target}
        if self.path is not None and self.path.is_file() and not fresh:
            try:
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                loaded = None
            if isinstance(loaded, dict) and loaded.get("source") == source:
                self.state = loaded

    def mark(self, done: tuple[str, Any]) -> None:
        """Record one acknowledged mark (``("offset", (bytes, sha256))`` or ``("file", ...)``)."""
        kind, value = done
        if kind == "offset":
            self.state["offset"], self.state["sha256"], self.state["lines"] = value
        else:
            relative, digest = value
            self.state.setdefault("files", {})[relative] = digest

    def save(self) -> None:
        """Write the state atomically (a crash leaves the old or the new file, never half)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.state), encoding="utf-8")
        os.replace(temporary, self.path)


# ------------------------------------------------------------------------------------ readers
def read_jsonl(
    stream: IO[bytes], name: str, resume: Resume, report: IngestReport
) -> Iterator[Item]:
    """One item per non-blank line of a JSON Lines stream, after the acknowledged prefix.

    The prefix is skipped only when its bytes hash as recorded; otherwise (the input changed)
    every line is read again.
    """
    offset = int(resume.state.get("offset", 0))
    digest = hashlib.sha256()
    position = number = 0
    lines: Iterator[bytes] = iter(stream)
    if offset:
        prefix = stream.read(offset)
        if len(prefix) == offset and hashlib.sha256(prefix).hexdigest() == resume.state.get(
            "sha256"
        ):
            digest.update(prefix)
            position, number = offset, int(resume.state.get("lines", 0))
            report.skipped += sum(1 for line in prefix.splitlines() if line.strip())
        else:
            report.notes.append(f"{name}: changed since the last run; read from the start")
            for key in ("offset", "sha256", "lines"):
                resume.state.pop(key, None)
            lines = _rejoined(prefix, stream)
    assumed: list[str | None] = [None]
    for line in lines:
        number += 1
        position += len(line)
        digest.update(line)
        for item in _jsonl_lines([line], number - 1, name, assumed, report):
            item.done = ("offset", (position, digest.hexdigest(), number))
            yield item


def _rejoined(prefix: bytes, stream: IO[bytes]) -> Iterator[bytes]:
    """The lines of ``prefix`` followed by the rest of ``stream`` (a cut line made whole)."""
    head = prefix.splitlines(keepends=True)
    if head and not head[-1].endswith(b"\n"):
        head[-1] += stream.readline()
    yield from head
    yield from stream


def _jsonl_lines(
    lines: list[bytes],
    first: int,
    name: str,
    assumed: list[str | None] | None,
    report: IngestReport,
) -> Iterator[Item]:
    for number, raw in enumerate(lines, start=first + 1):
        where = f"{name}:{number}"
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                line, encoding = decode(raw)
            except ValueError as exc:
                yield Item(where, None, str(exc))
                continue
            if assumed is not None and assumed[0] is None:
                assumed[0] = encoding
                report.notes.append(f"{name}: not UTF-8 from line {number}; read as {encoding}")
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Item(where, None, f"not JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(value, dict):
            yield Item(where, None, f"not a JSON object (a JSON {type(value).__name__})")
            continue
        yield Item(where, value)


def folder_files(folder: Path) -> list[Path]:
    """The pages and text files under ``folder``, in path order."""
    wanted = PAGE_SUFFIXES + TEXT_SUFFIXES
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in wanted)


def read_folder(
    folder: Path, outlet: str | None, resume: Resume, report: IngestReport
) -> Iterator[Item]:
    """One item per page or text file, skipping files finished by an earlier run unchanged."""
    finished: dict[str, str] = resume.state.get("files", {})
    for path in folder_files(folder):
        relative = path.relative_to(folder).as_posix()
        where = str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            yield Item(where, None, f"cannot be read: {exc.strerror or exc}")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if finished.get(relative) == digest:
            report.skipped += 1
            continue
        mark = ("file", (relative, digest))
        yield file_item(path, data, outlet, report, where, mark)


def file_item(
    path: Path,
    data: bytes,
    outlet: str | None,
    report: IngestReport,
    where: str,
    mark: tuple[str, Any],
) -> Item:
    """The article of one page or text file (see the module docstring for the rules)."""
    if not data.strip():
        return Item(where, None, "empty file", mark)
    try:
        text, assumed = decode(data)
    except ValueError as exc:
        return Item(where, None, str(exc), mark)
    if assumed is not None:
        report.notes.append(f"{where}: not UTF-8; read as {assumed}")
    if not text.strip():
        return Item(where, None, "no visible text", mark)
    article: dict[str, Any] = {
        "url": path.resolve().as_uri(),
        "outlet": outlet or path.parent.name or "files",
    }
    if path.suffix.lower() in PAGE_SUFFIXES:
        article["html"] = text
    else:
        lines = text.strip().splitlines()
        if len(lines) > 2 and lines[0].strip() and not lines[1].strip():
            article["title"], article["text"] = lines[0].strip(), "\n".join(lines[2:]).strip()
        else:
            title = path.stem.replace("_", " ").replace("-", " ").strip()
            article["title"], article["text"] = title or None, text.strip()
    sidecar = path.with_suffix(".json")
    if sidecar.is_file():
        try:
            extra = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return Item(where, None, f"sidecar {sidecar.name} is not a JSON object: {exc}", mark)
        if not isinstance(extra, dict):
            return Item(where, None, f"sidecar {sidecar.name} is not a JSON object", mark)
        article.update({k: v for k, v in extra.items() if k in SIDECAR_FIELDS})
    return Item(where, article, None, mark)


# ------------------------------------------------------------------------------------ senders
Result = tuple[bool, str]  # (accepted, its status) or (refused, the service's reason)
Sender = Callable[[list[dict[str, Any]]], list[Result]]


def http_sender(
    client: httpx.Client, retries: int, sleep: Callable[[float], None] = time.sleep
) -> Sender:
    """Batches to ``POST /articles/batch``; 429/503 retried, a 413 batch sent one by one.

    Raises (from the sender):
        RuntimeError: the service refused a whole batch for another reason (a 401, a batch
            over the service's article limit), or kept answering 429/503.
        httpx.HTTPError: the service cannot be reached.
    """

    def send(batch: list[dict[str, Any]]) -> list[Result]:
        for attempt in range(retries + 1):
            response = client.post("/articles/batch", json={"articles": batch})
            if response.status_code in {429, 503} and attempt < retries:
                sleep(_retry_after(response.headers.get("retry-after")))
                continue
            if response.status_code == 413 and len(batch) > 1:
                return [r for article in batch for r in send([article])]
            if response.status_code == 413:
                return [(False, f"refused with 413: {_detail(response)}")]
            if response.status_code != 200:
                raise RuntimeError(
                    f"the service answered {response.status_code}: {_detail(response)}"
                )
            return [
                (True, item["result"]["status"]) if item["ok"] else (False, _error(item))
                for item in response.json()["results"]
            ]
        raise AssertionError("unreachable")  # pragma: no cover

    return send


def _retry_after(header: str | None) -> float:
    try:
        return min(max(float(header or "1"), 0.0), MAX_RETRY_WAIT_S)
    except ValueError:
        return 1.0


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text[:200]))
    except ValueError:
        return response.text[:200]


def _error(item: dict[str, Any]) -> str:
    error = item.get("error") or {}
    field_name = error.get("field")
    detail = str(error.get("detail", "refused"))
    return f"{detail} (field {field_name})" if field_name and field_name not in detail else detail


# -------------------------------------------------------------------------------------- runs
@dataclass(slots=True)
class Source:
    """One input: a name for messages, its items, its resume state and its size for progress."""

    name: str
    items: Iterator[Item]
    resume: Resume
    total: int | None


def open_sources(
    paths: list[str],
    *,
    outlet: str | None,
    state_dir: Path | None,
    target: str,
    fresh: bool,
    report: IngestReport,
    stdin: IO[bytes] | None = None,
) -> Iterator[Source]:
    """The inputs named on the command line, opened lazily one after the other."""
    for raw in paths:
        if raw == "-":
            resume = Resume(state_dir, "stdin", target, fresh)
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield Source("stdin", read_jsonl(stream, "stdin", resume, report), resume, None)
            continue
        path = Path(raw)
        source = str(path.resolve())
        resume = Resume(state_dir, source, target, fresh)
        if path.is_dir():
            files = len(folder_files(path))
            yield Source(str(path), read_folder(path, outlet, resume, report), resume, files)
        else:
            with path.open("rb") as handle:
                yield Source(
                    path.name,
                    read_jsonl(handle, path.name, resume, report),
                    resume,
                    None,
                )


def ingest_sources(
    sources: Iterator[Source],
    send: Sender,
    report: IngestReport,
    *,
    batch_size: int = 50,
    console: Console | None = None,
) -> IngestReport:
    """Send every source's items in batches; mark each batch done once it was answered.

    Raises:
        RuntimeError, httpx.HTTPError: from the sender; everything answered before is saved
            in the state files, so a rerun resumes after it.
    """
    progress = new_progress(console)
    with progress:
        for source in sources:
            task = progress.add_task(f"ingest {source.name}", total=source.total)
            _run_source(source, send, report, batch_size, progress, task)
    return report


def _run_source(
    source: Source,
    send: Sender,
    report: IngestReport,
    batch_size: int,
    progress: Progress,
    task: TaskID,
) -> None:
    pending: list[Item] = []

    def flush() -> None:
        articles = [i for i in pending if i.article is not None]
        results = send([i.article for i in articles if i.article is not None]) if articles else []
        answered = iter(results)
        for item in pending:
            if item.article is None:
                report.rejected.append((item.where, item.error or "refused"))
            else:
                ok, text = next(answered)
                if ok:
                    report.statuses[text] += 1
                else:
                    report.rejected.append((item.where, text))
            if item.done is not None:
                source.resume.mark(item.done)
        source.resume.save()  # only now: the service has answered every item of the batch
        progress.advance(task, len(pending))
        pending.clear()

    for item in source.items:
        pending.append(item)
        if sum(i.article is not None for i in pending) >= batch_size:
            flush()
    flush()


def run_http(
    paths: list[str],
    url: str,
    *,
    api_key: str | None,
    outlet: str | None,
    state_dir: Path | None,
    fresh: bool = False,
    batch_size: int = 50,
    retries: int = 5,
    console: Console | None = None,
    report: IngestReport | None = None,
) -> IngestReport:
    """Ingest ``paths`` into the service at ``url`` (see the module docstring).

    ``report`` (a new one when ``None``) is filled as batches are answered, so a caller that
    catches an error still has what was done.
    """
    report = report if report is not None else IngestReport()
    headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
    with httpx.Client(base_url=url, headers=headers, timeout=120.0) as client:
        sources = open_sources(
            paths, outlet=outlet, state_dir=state_dir, target=url, fresh=fresh, report=report
        )
        return ingest_sources(
            sources, http_sender(client, retries), report, batch_size=batch_size, console=console
        )


def run_in_process(
    paths: list[str],
    *,
    outlet: str | None,
    fresh: bool = False,
    batch_size: int = 50,
    console: Console | None = None,
    report: IngestReport | None = None,
) -> IngestReport:
    """Ingest ``paths`` into a service built here from the environment (no HTTP).

    Each item is validated as the API validates a batch item (:mod:`service.api.bodies`,
    :func:`service.api.schemas.to_input`, page extraction) and the batch goes to the same
    ingest use case. A regrouping pass runs at the end, as the service would run one shortly
    after the last arrival.

    Raises:
        UnavailableError: the store cannot be reached.
    """
    from service.bootstrap import running
    from service.settings import Settings

    # A one-shot import polls no feeds (the service's poller runs under `serve` or `watch`).
    settings = dataclasses.replace(Settings.from_env(), feeds_poll=False)
    report = report if report is not None else IngestReport()
    target = f"in-process:{settings.redis_url or settings.data_dir.resolve()}"
    state_dir = settings.data_dir / "ingest-state"
    with asyncio.Runner() as runner:
        service = running(settings)
        app = runner.run(service.__aenter__())
        try:

            def send(batch: list[dict[str, Any]]) -> list[Result]:
                return runner.run(_submit(app, batch, settings.max_text_chars))

            sources = open_sources(
                paths,
                outlet=outlet,
                state_dir=state_dir,
                target=target,
                fresh=fresh,
                report=report,
            )
            ingest_sources(sources, send, report, batch_size=batch_size, console=console)
            if settings.regroup.enabled and report.accepted:
                runner.run(app.regroup())
        finally:
            runner.run(service.__aexit__(None, None, None))
    return report


async def _submit(app: Any, batch: list[dict[str, Any]], max_text_chars: int) -> list[Result]:
    """One batch through the API's validation and the ingest use case."""
    from service.api import bodies
    from service.api.schemas import ArticleIn, to_input
    from service.domain.errors import InvalidInputError, WiredeskError
    from service.domain.models import ArticleInput
    from service.pipeline.extract import extract

    inputs: list[ArticleInput | WiredeskError] = []
    for i, raw in enumerate(batch):
        try:
            item = bodies.convert(raw, ArticleIn, f"batch item {i}")
            page = None
            if item.html is not None and item.text is None:
                page = await asyncio.to_thread(extract, item.html)
            inputs.append(to_input(item, max_text_chars, page))
        except InvalidInputError as exc:
            inputs.append(exc)
    out: list[Result] = []
    for result in await app.submit_many(inputs):
        if isinstance(result, WiredeskError):
            field_name = getattr(result, "field", None)
            detail = str(result)
            if field_name and field_name not in detail:
                detail = f"{detail} (field {field_name})"
            out.append((False, detail))
        else:
            out.append((True, result.status))
    return out
