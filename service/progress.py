"""Progress of the long commands (``wiredesk eval``, ``python -m bench``, ``wiredesk ingest``).

rich draws a spinner, the current step, a bar over the steps and the elapsed time on standard
error when it is a terminal, and nothing at all on a pipe or a file (so logs and ``--json``
output stay clean). Code deep inside a run names its step with :func:`step`, which does nothing
when no :func:`activity` is open, so library callers (tests, the service) see no output.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


def new_progress(console: Console | None = None) -> Progress:
    """A rich progress display on standard error, disabled when that is not a terminal."""
    console = console or Console(stderr=True)
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    )


@dataclass(slots=True)
class Activity:
    """An open progress display: ``total`` steps, the current one named in the description."""

    progress: Progress
    task: TaskID
    label: str
    started: bool = False

    def step(self, name: str) -> None:
        """Start step ``name``, counting the previous one as done."""
        if self.started:
            self.progress.advance(self.task)
        self.started = True
        self.progress.update(self.task, description=f"{self.label}: {name}")


_current: list[Activity] = []


@contextmanager
def activity(
    label: str, total: int | None = None, console: Console | None = None
) -> Iterator[Activity]:
    """Show progress for a command of ``total`` steps (``None``: unknown) until the block ends."""
    progress = new_progress(console)
    with progress:
        act = Activity(progress, progress.add_task(label, total=total), label)
        _current.append(act)
        try:
            yield act
        finally:
            _current.pop()
            if act.started:
                progress.advance(act.task)


def step(name: str) -> None:
    """Name the current step of the innermost open :func:`activity` (no-op when none)."""
    if _current:
        _current[-1].step(name)
