"""Schemathesis over the OpenAPI document, against a real server: no input answers 5xx.

The ``schemathesis run`` command line drives it (its pytest plugin does not load under this
pytest), on a short budget (``MAX_EXAMPLES`` per operation, a fixed seed) so it runs in CI on
every change. The check is the one that matters at the edge: whatever a client sends that the
schema allows, or nearly allows (schemathesis also sends negative cases), the service answers
with its own 2xx/4xx, never a server error.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.test_cli_serve import STOP_TIMEOUT_S, serve
from tests.api.test_http_server import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MAX_EXAMPLES = 30
SEED = 20261129


def test_no_generated_request_answers_a_server_error(tmp_path: Path) -> None:
    port = free_port()
    proc = serve(
        tmp_path / "data",
        port,
        tmp_path / "serve.log",
        write_rate_per_minute="0",
        log_level="WARNING",
    )
    try:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                f"http://127.0.0.1:{port}/schema/openapi.json",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--seed",
                str(SEED),
                "--request-timeout",
                "30",
                # The event stream never ends by design (a request would only time out); it
                # has its own tests, tests/api/test_events_stream.py.
                "--exclude-path",
                "/events",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            cwd=tmp_path,  # schemathesis keeps a .schemathesis/ cache in its working directory
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=STOP_TIMEOUT_S)
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    counts = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert counts is not None, report
    generated, passed = int(counts.group(1)), int(counts.group(2))
    assert generated == passed > 100, report  # every operation exercised, none failed
    tested = re.search(r"Tested: (\d+)", run.stdout)
    assert tested is not None, report
    assert int(tested.group(1)) >= 9, report
    server_log = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in server_log, server_log[-3000:]
