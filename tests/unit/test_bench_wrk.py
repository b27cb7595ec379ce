"""The wrk output parser of the brief benchmark."""

from __future__ import annotations

import pytest

from bench.brief import parse_wrk

OUTPUT = """Running 15s test @ http://127.0.0.1:5000/stories/s1/brief
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms  512.00us  21.30ms   90.00%
    Req/Sec     3.80k   120.00     4.00k    70.00%
  Latency Distribution
     50%  850.00us
     75%    1.20ms
     90%    2.40ms
     99%    4.50ms
  56789 requests in 15.00s, 120.00MB read
Requests/sec:   3785.93
Transfer/sec:      8.00MB
"""


def test_parses_percentiles_in_any_unit_and_the_rate() -> None:
    got = parse_wrk(OUTPUT)
    assert got["p50_ms"] == pytest.approx(0.85)
    assert got["p75_ms"] == pytest.approx(1.2)
    assert got["p99_ms"] == pytest.approx(4.5)
    assert got["requests_per_s"] == pytest.approx(3785.93)
    assert got["requests"] == 56789
    assert parse_wrk(OUTPUT.replace("4.50ms", "1.25s"))["p99_ms"] == pytest.approx(1250.0)


@pytest.mark.parametrize(
    "broken",
    [
        OUTPUT.replace("  Latency Distribution\n", "").replace("     99%    4.50ms\n", ""),
        OUTPUT.replace("Requests/sec:   3785.93\n", ""),
        OUTPUT + "  Non-2xx or 3xx responses: 12\n",
        OUTPUT + "  Socket errors: connect 0, read 3, write 0, timeout 0\n",
    ],
)
def test_refuses_incomplete_or_failed_runs(broken: str) -> None:
    with pytest.raises(ValueError, match="wrk"):
        parse_wrk(broken)
