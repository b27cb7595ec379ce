"""Edge middleware: allowed Host names, security headers (pure parts)."""

from __future__ import annotations

import logging

import pytest

from service.api.middleware import (
    RedactSecrets,
    default_allowed_hosts,
    host_allowed,
    redact_query,
)


@pytest.mark.parametrize(
    ("bind", "expected"),
    [
        ("127.0.0.1", ("localhost", "127.0.0.1", "::1")),
        ("127.0.0.2", ("localhost", "127.0.0.1", "::1")),
        ("localhost", ("localhost", "127.0.0.1", "::1")),
        ("::1", ("localhost", "127.0.0.1", "::1")),
        ("0.0.0.0", ("*",)),
        ("10.1.2.3", ("*",)),
        ("wiredesk.internal", ("*",)),
    ],
)
def test_default_hosts_follow_the_bind_address(bind: str, expected: tuple[str, ...]) -> None:
    assert default_allowed_hosts(bind) == expected


@pytest.mark.parametrize(
    ("header", "allowed", "ok"),
    [
        ("localhost:8000", ("localhost",), True),
        ("LOCALHOST", ("localhost",), True),
        ("127.0.0.1:8000", ("localhost", "127.0.0.1"), True),
        ("[::1]:8000", ("::1",), True),
        ("evil.example", ("localhost", "127.0.0.1", "::1"), False),
        ("localhost.evil.example", ("localhost",), False),
        ("", ("localhost",), False),
        ("news.example.org", ("*.example.org",), True),
        ("example.org", ("*.example.org",), False),
        ("badexample.org", ("*.example.org",), False),
        ("anything", ("*",), True),
    ],
)
def test_host_matching(header: str, allowed: tuple[str, ...], ok: bool) -> None:
    assert host_allowed(header, allowed) is ok


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/stories?api_key=s3cret&limit=5", "/stories?api_key=REDACTED&limit=5"),
        ("/articles?token=abc", "/articles?token=REDACTED"),
        ("/x?Key=abc&key", "/x?Key=REDACTED&key"),
        ("/stories?limit=5", "/stories?limit=5"),
        ("/stories", "/stories"),
    ],
)
def test_secret_query_values_are_redacted(path: str, expected: str) -> None:
    assert redact_query(path) == expected


def test_access_log_records_are_redacted() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/stories?api_key=s3cret", "1.1", 200),
        None,
    )
    assert RedactSecrets().filter(record)
    assert "s3cret" not in record.getMessage()
    assert "api_key=REDACTED" in record.getMessage()
