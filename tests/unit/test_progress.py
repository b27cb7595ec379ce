"""Progress of the long commands (service/progress.py) and ``wiredesk --version``."""

from __future__ import annotations

import io
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from rich.console import Console

from service import progress

ROOT = Path(__file__).resolve().parents[2]


def test_step_outside_an_activity_does_nothing() -> None:
    progress.step("nothing open")  # no error, no output: library callers see nothing


def test_a_pipe_gets_no_progress_and_a_terminal_gets_the_step() -> None:
    piped = io.StringIO()
    with progress.activity("eval", total=2, console=Console(file=piped)) as shown:
        progress.step("stories duc2003")
        progress.step("stories giveme5w1h")
    assert piped.getvalue() == ""
    assert shown.progress.tasks[0].completed == 2
    terminal = io.StringIO()
    console = Console(file=terminal, force_terminal=True, width=100)
    with progress.activity("bench", total=1, console=console):
        progress.step("regroup")
    assert "bench: regroup" in terminal.getvalue()


def test_version_flag() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"wiredesk {metadata.version('wiredesk')}"
