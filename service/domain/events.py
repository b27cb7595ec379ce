"""Live story events: what the ``GET /events`` stream and the webhooks carry (records, no I/O).

A :class:`LiveEvent` is derived from a change set the world has applied (by
:mod:`service.usecases.events`); it is not stored. Its payload (:meth:`LiveEvent.data`) is the
contract the dashboard and webhook receivers read::

    {"story_id": "s12", "version": 4, "title": "...", "outlets": ["ABC", "CBS"], "at": 1764400000.5}

plus ``"into": "s3"`` for ``story.merged``. See docs/EVENTS.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EVENT_TYPES = ("story.created", "story.updated", "story.merged", "brief.changed")
"""Event types, in the order one change set emits them for one story:

* ``story.created``: a story was founded (by an arriving article or a regrouping pass);
* ``story.updated``: a live story's membership, a member's content or its title changed (its
  ``version`` moved);
* ``story.merged``: the story ``story_id`` was merged into ``into`` (its id now redirects
  there); ``version``, ``title`` and ``outlets`` are the survivor's after the merge;
* ``brief.changed``: the text the story's brief is made from (its members' paragraphs) changed,
  so ``GET /stories/{id}/brief`` now answers a new brief at ``version`` (a changed headline or
  publication time alone moves the version, not the brief's sources).
"""


@dataclass(frozen=True, slots=True)
class EventsConfig:
    """Limits of the live event stream.

    Attributes:
        ring_size: events kept in memory for ``Last-Event-ID`` resume. 1,024 events is several
            minutes of a busy feed (an article makes 2 to 3 events; 5 articles a second is the
            2-core ingest ceiling, docs/PERFORMANCE.md), enough to ride out a reconnect, at
            about 300 bytes an event (~0.3 MB).
        client_queue: events one stream client may have waiting; a client that falls this far
            behind is dropped (its stream ends with a comment telling it to reconnect with
            ``Last-Event-ID``), so a slow or vanished client never grows memory. 256 is a
            minute of the same busy feed.
        heartbeat_s: an idle stream gets a comment line this often, so proxies keep it open
            and a client notices a dead connection (15 s: below the 30-60 s idle timeouts of
            common proxies and load balancers).
        max_clients: concurrent stream clients; more answer 503.
    """

    ring_size: int = 1024
    client_queue: int = 256
    heartbeat_s: float = 15.0
    max_clients: int = 200

    def __post_init__(self) -> None:
        if self.ring_size < 1 or self.client_queue < 1 or self.max_clients < 1:
            raise ValueError("events ring_size, client_queue and max_clients must be >= 1")
        if not self.heartbeat_s > 0:
            raise ValueError("events heartbeat_s must be > 0")


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One story event.

    Attributes:
        seq: position in this process's event sequence, from 1, increasing.
        event_id: the SSE ``id:``: ``<epoch>-<seq>``, where the epoch names the process, so an
            id of an earlier process is recognised on resume.
        type: one of :data:`EVENT_TYPES`.
        story_id: the story concerned (for ``story.merged``, the absorbed id).
        version: the story's version (the survivor's for ``story.merged``).
        title: its title, if any.
        outlets: its members' outlets, sorted.
        at: when the change was committed, POSIX seconds.
        into: the survivor of a merge (``story.merged`` only).
    """

    seq: int
    event_id: str
    type: str
    story_id: str
    version: int
    title: str | None
    outlets: tuple[str, ...]
    at: float
    into: str | None = None

    def data(self) -> dict[str, Any]:
        """The payload, as the stream and the webhooks send it (JSON object)."""
        out: dict[str, Any] = {
            "story_id": self.story_id,
            "version": self.version,
            "title": self.title,
            "outlets": list(self.outlets),
            "at": self.at,
        }
        if self.into is not None:
            out["into"] = self.into
        return out
