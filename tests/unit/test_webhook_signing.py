"""Webhook signatures (the Stripe scheme) and the retry schedule's bounds."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from service.domain.webhooks import WebhookConfig, backoff_s, sign, verify

SECRET = st.text(min_size=1, max_size=64)
BODY = st.binary(max_size=2048)
NOW = st.integers(min_value=1_000_000_000, max_value=4_000_000_000)


@given(secret=SECRET, body=BODY, now=NOW, skew=st.integers(min_value=-300, max_value=300))
def test_a_signature_verifies_within_the_tolerance(
    secret: str, body: bytes, now: int, skew: int
) -> None:
    header = sign(secret, now, body)
    assert verify(secret, header, body, now + skew)


@given(secret=SECRET, body=BODY, now=NOW, other=BODY)
def test_another_body_or_secret_does_not_verify(
    secret: str, body: bytes, now: int, other: bytes
) -> None:
    header = sign(secret, now, body)
    if other != body:
        assert not verify(secret, header, other, now)
    assert not verify(secret + "x", header, body, now)


@given(secret=SECRET, body=BODY, now=NOW, late=st.integers(min_value=301, max_value=10**6))
def test_an_old_or_future_signature_is_refused(
    secret: str, body: bytes, now: int, late: int
) -> None:
    header = sign(secret, now, body)
    assert not verify(secret, header, body, now + late)  # replayed later
    assert not verify(secret, header, body, now - late)  # clock far behind


def test_the_header_is_t_and_v1_hex_hmac_sha256_over_t_dot_body() -> None:
    body = b'{"id":"e-1"}'
    header = sign("whsec_test", 1764400000, body)
    expected = hmac.new(b"whsec_test", b"1764400000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1764400000,v1={expected}"
    # A receiver accepts any one of several v1 values (secret rotation) and refuses junk.
    assert verify("whsec_test", f"t=1764400000,v1={'0' * 64},v1={expected}", body, 1764400000)
    for junk in ("", "t=abc,v1=00", f"v1={expected}", f"t=1,t=2,v1={expected}"):
        assert not verify("whsec_test", junk, body, 1764400000)


@given(
    attempt=st.integers(min_value=1, max_value=30),
    rand=st.floats(min_value=0.0, max_value=1.0),
    base=st.floats(min_value=0.01, max_value=10.0),
)
def test_backoff_is_exponential_with_equal_jitter_and_capped(
    attempt: int, rand: float, base: float
) -> None:
    config = WebhookConfig(base_delay_s=base, max_delay_s=60.0)
    step = min(60.0, base * 2 ** (attempt - 1))
    wait = backoff_s(attempt, config, lambda: rand)
    assert step / 2 - 1e-9 <= wait <= step + 1e-9


def test_default_schedule() -> None:
    config = WebhookConfig()
    low = [backoff_s(n, config, lambda: 0.0) for n in range(1, config.max_attempts)]
    high = [backoff_s(n, config, lambda: 1.0) for n in range(1, config.max_attempts)]
    assert low == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert high == [1.0, 2.0, 4.0, 8.0, 16.0]
