"""Webhook subscriptions, deliveries and their signatures (records and pure functions).

Signing follows Stripe's scheme: the header ::

    Wiredesk-Signature: t=1764400000,v1=5257a869e7ec...e108d8bd   (64 hex digits)

carries the signing time ``t`` (POSIX seconds) and ``v1``, the hex HMAC-SHA256 of
``"<t>.<body>"`` (the raw request body bytes) under the subscription's secret. A receiver
recomputes it over the bytes it received, compares in constant time, and refuses a ``t`` older
than its tolerance (5 minutes is the common choice), so a captured delivery cannot be replayed
later. :func:`verify` is the reference implementation (docs/EVENTS.md has a stand-alone copy).
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Callable
from dataclasses import dataclass

SIGNATURE_HEADER = "Wiredesk-Signature"
DEFAULT_TOLERANCE_S = 300
"""How old a signature :func:`verify` accepts by default (seconds): 5 minutes, Stripe's."""


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """Delivery limits.

    Attributes:
        max_attempts: tries per delivery, the first included. 6 tries with the delays below
            span about a minute (1 + 2 + 4 + 8 + 16 s of waits at most, plus the timeouts),
            which rides out a receiver's restart without holding its queue for long.
        base_delay_s: the wait before the second try; each later wait doubles it.
        max_delay_s: no wait is longer.
        timeout_s: one try's deadline (connect, send and read the answer); a receiver should
            answer at once and do its work afterwards.
        queue_size: deliveries waiting per subscription; a target that is down long enough to
            fill it loses the oldest waiting ones (each is logged as dropped), so a dead target
            costs bounded memory. 100 is minutes of a busy feed per subscription.
        log_size: delivery attempts kept per subscription (``GET /webhooks/{id}/deliveries``).
        max_webhooks: subscriptions in all; more are refused with 409.
    """

    max_attempts: int = 6
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    timeout_s: float = 5.0
    queue_size: int = 100
    log_size: int = 100
    max_webhooks: int = 100

    def __post_init__(self) -> None:
        if min(self.max_attempts, self.queue_size, self.log_size, self.max_webhooks) < 1:
            raise ValueError(
                "webhooks max_attempts, queue_size, log_size and max_webhooks must be >= 1"
            )
        if not (0 < self.base_delay_s <= self.max_delay_s and self.timeout_s > 0):
            raise ValueError("webhooks delays and timeout must be > 0, base <= max")


@dataclass(frozen=True, slots=True)
class Webhook:
    """One subscription.

    Attributes:
        webhook_id: its id (``wh_`` and 16 hex digits).
        url: where deliveries are POSTed.
        secret: the signing key (``whsec_`` and 43 URL-safe characters); shown to the client
            once, when it subscribes.
        events: event types delivered (all of them when empty).
        outlet: deliver only events of stories with this outlet (casefold match), if set.
        keyword: deliver only events of stories whose title or a member's headline contains
            it (casefold), if set.
        min_outlets: deliver only events of stories with at least this many outlets.
        created_at: when it was made, POSIX seconds.
    """

    webhook_id: str
    url: str
    secret: str
    events: tuple[str, ...] = ()
    outlet: str | None = None
    keyword: str | None = None
    min_outlets: int = 1
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One try of one delivery, as the delivery log shows it.

    Attributes:
        delivery_id: the delivery (one event to one subscription); its tries share it.
        event_id: the event's id.
        event_type: the event's type.
        attempt: 1 for the first try.
        at: when the try started, POSIX seconds.
        status_code: the receiver's HTTP status, ``None`` when none came.
        ok: the receiver answered 2xx.
        error: why the try failed (``None`` when ``ok``).
        duration_ms: how long the try took.
        next_retry_at: when the next try is due (``None``: none will be made).
    """

    delivery_id: str
    event_id: str
    event_type: str
    attempt: int
    at: float
    status_code: int | None
    ok: bool
    error: str | None
    duration_ms: float
    next_retry_at: float | None = None


def backoff_s(
    attempt: int, config: WebhookConfig, rand: Callable[[], float] = random.random
) -> float:
    """The wait after failed try number ``attempt`` (1-based): exponential with equal jitter.

    The cap is ``min(max_delay_s, base_delay_s * 2 ** (attempt - 1))`` and the wait is uniform
    in ``[cap / 2, cap]`` ("equal jitter", AWS Architecture Blog, *Exponential Backoff and
    Jitter*, 2015): receivers that failed together do not retry in lockstep, and no wait is
    shorter than half its step. With the defaults: 0.5-1, 1-2, 2-4, 4-8, 8-16 s.
    """
    cap = min(config.max_delay_s, config.base_delay_s * 2.0 ** (attempt - 1))
    jitter: float = rand()
    return cap / 2 + jitter * cap / 2


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Wiredesk-Signature`` header value for ``body`` signed at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    now: float,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> bool:
    """Whether ``header`` signs ``body`` under ``secret`` within ``tolerance_s`` of ``now``.

    This is a receiver's check: ``body`` is the raw bytes received; any one of several ``v1``
    values may match (a sender may sign with an old and a new secret while rotating).
    """
    parts = [p.partition("=") for p in header.split(",")]
    stamps = [v for k, _, v in parts if k.strip() == "t"]
    signatures = [v.strip() for k, _, v in parts if k.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not signatures:
        return False
    timestamp = int(stamps[0].strip())
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body).rpartition("v1=")[2]
    return any(hmac.compare_digest(expected, s) for s in signatures)
