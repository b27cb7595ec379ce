"""Live story events: change sets in, events out, to stream clients and webhooks.

:class:`Events` subscribes to the desk (:meth:`Desk.subscribe`) and turns every change set the
world applied into :class:`~service.domain.events.LiveEvent` records (see
:data:`~service.domain.events.EVENT_TYPES` for what each type means), which it

* keeps in a ring of the newest :attr:`EventsConfig.ring_size` events, for ``Last-Event-ID``
  resume;
* hands to every open stream (:class:`Subscription`), each with its own bounded queue: a
  client whose queue is full is dropped at once (it is told to reconnect with
  ``Last-Event-ID``), so memory never grows with slow or vanished clients and the write that
  made the event never waits for any client;
* hands to in-process listeners (the webhook dispatcher, :mod:`service.usecases.webhooks`),
  which must not block either.

Everything here runs inside the write lock, on the event loop, without awaiting.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from service.domain.errors import InvalidInputError, NotFoundError, UnavailableError
from service.domain.events import EventsConfig, LiveEvent
from service.domain.models import ChangeSet
from service.domain.world import World
from service.usecases.desk import Desk

log = logging.getLogger(__name__)

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _BASE36[r] + out
        if n == 0:
            return out


_LIVE: weakref.WeakSet[Events] = weakref.WeakSet()


def parse_event_id(event_id: str | None) -> tuple[str, int] | None:
    """``(epoch, seq)`` of an event id ``<epoch>-<seq>``; ``None`` for ``None``.

    Raises:
        InvalidInputError: any other text.
    """
    if event_id is None:
        return None
    epoch, sep, seq_text = event_id.strip().partition("-")
    if not sep or not seq_text.isdigit() or not epoch.isalnum() or len(event_id) > 40:
        raise InvalidInputError(
            f"Last-Event-ID {event_id[:40]!r} is not an event id of this service "
            "(they look like 'mh3k2x1a-42')",
            field="last_event_id",
        )
    return epoch, int(seq_text)


def end_all_streams() -> None:
    """:meth:`Events.end_streams` of every live :class:`Events` of this process.

    The HTTP server (``wiredesk serve``) calls it when it begins to stop.
    """
    for events in list(_LIVE):
        events.end_streams()


#: An in-process consumer of every event (must return at once, never raise on purpose).
EventListener = Callable[[LiveEvent], None]


@dataclass(frozen=True, slots=True)
class StreamFilter:
    """What one stream client asked for (every part optional; all given parts must match).

    Attributes:
        story_id: follow this story id, through merges (either side of a merge matches).
        outlets: casefolded outlet names; an event matches when its story has any of them.
    """

    story_id: str | None = None
    outlets: frozenset[str] = frozenset()

    def matches(self, event: LiveEvent, world: World) -> bool:
        """Whether ``event`` is one the client wants, judged against the world now."""
        if self.story_id is not None:
            followed = world.current_story_id(self.story_id)
            if (
                world.current_story_id(event.story_id) != followed
                and event.into != followed
                and event.story_id != self.story_id
            ):
                return False
        return not self.outlets or any(o.casefold() in self.outlets for o in event.outlets)


@dataclass(eq=False)
class Subscription:
    """One stream client's queue (bounded; see :meth:`offer`).

    Attributes:
        filter: what the client asked for.
        bound: most events waiting; one more drops the client.
        queue: events waiting to be sent, oldest first.
        dropped: the client fell ``bound`` events behind and gets nothing more.
        ending: the server is stopping; the stream ends once its queue is sent.
        wake: set when an event arrives or the client is dropped or ended.
    """

    filter: StreamFilter
    bound: int
    queue: deque[LiveEvent] = field(default_factory=deque)
    dropped: bool = False
    ending: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, event: LiveEvent) -> bool:
        """Queue ``event`` without waiting; ``False`` when the queue was full (now dropped).

        A dropped client takes nothing more, even after it read some of its queue.
        """
        if self.dropped or len(self.queue) >= self.bound:
            self.dropped = True
            self.wake.set()
            return False
        self.queue.append(event)
        self.wake.set()
        return True

    async def next(self, timeout_s: float) -> LiveEvent | None:
        """The next queued event, oldest first.

        Returns:
            ``None`` after ``timeout_s`` idle (time for a heartbeat), or at once when the client
            is dropped or ending and nothing is queued.
        """
        if not self.queue and not self.dropped and not self.ending:
            self.wake.clear()
            try:
                async with asyncio.timeout(timeout_s):
                    await self.wake.wait()
            except TimeoutError:
                return None
        return self.queue.popleft() if self.queue else None


@dataclass(frozen=True, slots=True)
class _Facts:
    """A live story as its events describe it.

    ``sources`` is a hash of its members' paragraph texts, to tell whether the brief's input
    changed.
    """

    story_id: str
    version: int
    title: str | None
    outlets: tuple[str, ...]
    sources: int


@dataclass(frozen=True, slots=True)
class Resume:
    """Where a reconnecting client picks up.

    Attributes:
        backlog: the ring's events after its last id that match its filter, oldest first.
        gap: events it missed are no longer held (the id is older than the ring, or of an
            earlier process): it should reload what it shows.
    """

    backlog: tuple[LiveEvent, ...]
    gap: bool


class Events:
    """The event ring and its fan-out (see the module docstring).

    Attributes:
        desk: the shared state.
        config: limits.
        epoch: this process's id prefix (base-36 start time in ms).
    """

    def __init__(self, desk: Desk, config: EventsConfig | None = None) -> None:
        self.desk = desk
        self.config = config or desk.settings.events
        self.epoch = _base36(int(time.time() * 1000))
        self._seq = 0
        self._ring: deque[LiveEvent] = deque(maxlen=self.config.ring_size)
        self._clients: list[Subscription] = []
        self._listeners: list[EventListener] = []
        # Story id -> hash of its members' paragraph texts, to tell whether the brief's
        # sources changed (one int per live story, dropped when a story merges away).
        self._sources: dict[str, int] = {}
        self.dropped_clients = 0
        self.ending = False
        desk.subscribe(self.on_change)
        _LIVE.add(self)

    # ------------------------------------------------------------------ producing
    def on_change(self, changes: ChangeSet, _reason: str) -> None:
        """The desk's listener: derive the change set's events and publish them."""
        for event in self.derive(changes):
            self.publish(event)

    def derive(self, changes: ChangeSet) -> list[LiveEvent]:
        """Events of a change set the world has just applied, in publication order.

        Merges first (``story.merged`` under each absorbed id), then per changed live story
        ``story.created`` or ``story.updated``, followed by ``brief.changed`` when its members'
        paragraph texts differ from the last time this process saw the story.
        """
        world = self.desk.world
        at = max((e.at for e in changes.events), default=self.desk.clock())
        created = {e.story_id for e in changes.events if e.kind == "created"}
        seen: dict[str, _Facts] = {}  # each story's facts, read once per change set

        def facts(story_id: str) -> _Facts:
            if story_id not in seen:
                seen[story_id] = self._facts(story_id)
            return seen[story_id]

        out: list[LiveEvent] = []
        for e in changes.events:
            if e.kind == "merged_into" and e.other_story_id is not None:
                self._sources.pop(e.story_id, None)
                survivor = world.current_story_id(e.other_story_id)
                if survivor in world.stories:
                    out.append(self._event("story.merged", facts(survivor), at, e.story_id))
        for story in changes.stories:
            sid = story.story_id
            if sid not in world.stories or not world.members.get(sid):
                continue
            kind = "story.created" if sid in created else "story.updated"
            out.append(self._event(kind, facts(sid), at))
            if self._sources.get(sid) != facts(sid).sources:
                self._sources[sid] = facts(sid).sources
                out.append(self._event("brief.changed", facts(sid), at))
        return out

    def _facts(self, story_id: str) -> _Facts:
        """What events say about a live story, in one pass over its members.

        No sort of the articles: this runs inside the write lock.
        """
        world = self.desk.world
        story = world.stories[story_id]
        members = [world.articles[a] for a in world.members.get(story_id, ())]
        title = story.title
        if title is None:  # records stored before titles were kept: the world's rule
            title = world.story_view(story_id).title
        return _Facts(
            story_id=story_id,
            version=story.version,
            title=title,
            outlets=tuple(sorted({a.outlet for a in members})),
            sources=hash(
                frozenset((a.article_id, tuple(p.text_id for p in a.paragraphs)) for a in members)
            ),
        )

    def _event(self, kind: str, facts: _Facts, at: float, absorbed: str | None = None) -> LiveEvent:
        self._seq += 1
        return LiveEvent(
            seq=self._seq,
            event_id=f"{self.epoch}-{self._seq}",
            type=kind,
            story_id=absorbed if absorbed is not None else facts.story_id,
            version=facts.version,
            title=facts.title,
            outlets=facts.outlets,
            at=at,
            into=facts.story_id if absorbed is not None else None,
        )

    def publish(self, event: LiveEvent) -> None:
        """Keep ``event`` in the ring and offer it to every client and listener (no waiting)."""
        self._ring.append(event)
        world = self.desk.world
        kept: list[Subscription] = []
        for client in self._clients:
            if not client.filter.matches(event, world) or client.offer(event):
                kept.append(client)
            else:
                self.dropped_clients += 1
                log.info("event stream client dropped: %d events behind", client.bound)
        self._clients = kept
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("event listener %r failed", listener)

    def keywords(self, event: LiveEvent) -> str:
        """The text a webhook ``keyword`` filter searches for ``event``.

        Its story's title and its members' headlines, casefolded, as the story stands now (the
        survivor's for a merge). Computed on demand, not kept with the event: it grows with
        the story.
        """
        world = self.desk.world
        story_id = world.current_story_id(event.into or event.story_id)
        titles = [event.title or ""]
        titles += [world.articles[a].title or "" for a in world.members.get(story_id, ())]
        return "\n".join(dict.fromkeys(titles)).casefold()

    def listen(self, listener: EventListener) -> None:
        """Call ``listener(event)`` for every event from now on."""
        self._listeners.append(listener)

    # ------------------------------------------------------------------ consuming
    def stream_filter(self, story_id: str | None, outlets: Iterable[str]) -> StreamFilter:
        """Check a client's filter.

        Raises:
            NotFoundError: ``story_id`` was never issued (merged-away ids are followed).
        """
        world = self.desk.world
        if story_id is not None and story_id not in world.stories | world.redirects.keys():
            raise NotFoundError(f"no story with id {story_id!r}")
        return StreamFilter(story_id, frozenset(o.casefold() for o in outlets))

    def open(self, wanted: StreamFilter, last_event_id: str | None) -> tuple[Subscription, Resume]:
        """Register a stream client; what it missed since ``last_event_id`` comes with it.

        The backlog is read and the client registered with no await between, so it misses
        nothing and gets nothing twice.

        Raises:
            UnavailableError: :attr:`EventsConfig.max_clients` streams are open.
            InvalidInputError: ``last_event_id`` is not an id this service issues.
        """
        self.check_open(last_event_id)
        resume = self.resume(wanted, last_event_id)
        client = Subscription(wanted, self.config.client_queue)
        self._clients.append(client)
        return client, resume

    def check_open(self, last_event_id: str | None) -> None:
        """What :meth:`open` would refuse, checked before a response starts.

        A stream registers its client only once its body starts (see :mod:`service.api.live`),
        so a client that goes away before that leaves nothing behind; its refusals must be
        known before, while an HTTP status can still say so.

        Raises:
            UnavailableError: the server is stopping, or too many streams are open.
            InvalidInputError: ``last_event_id`` is malformed.
        """
        if self.ending:
            raise UnavailableError("the server is stopping; reconnect shortly")
        if len(self._clients) >= self.config.max_clients:
            raise UnavailableError(
                f"{self.config.max_clients} event streams are open, the limit "
                "(WIREDESK_EVENTS__MAX_CLIENTS); retry shortly"
            )
        parse_event_id(last_event_id)

    def end_streams(self) -> None:
        """End every stream (the server is stopping): each sends what it holds and closes.

        Called before the HTTP server waits for open connections to finish, which an endless
        stream never would; new streams are refused (503) from now on.
        """
        self.ending = True
        for client in self._clients:
            client.ending = True
            client.wake.set()
        self._clients = []

    def close(self, client: Subscription) -> None:
        """Forget a client (its stream ended or it went away)."""
        if client in self._clients:
            self._clients.remove(client)

    def resume(self, wanted: StreamFilter, last_event_id: str | None) -> Resume:
        """The ring's events after ``last_event_id`` matching ``wanted`` (none when ``None``).

        Raises:
            InvalidInputError: the id is not of the form ``<epoch>-<seq>``.
        """
        parsed = parse_event_id(last_event_id)
        if parsed is None:
            return Resume((), False)
        epoch, seq = parsed
        world = self.desk.world
        oldest = self._ring[0].seq if self._ring else self._seq + 1
        gap = epoch != self.epoch or seq < oldest - 1 or seq > self._seq
        start = 0 if epoch != self.epoch else seq
        backlog = tuple(e for e in self._ring if e.seq > start and wanted.matches(e, world))
        return Resume(backlog, gap)

    @property
    def clients(self) -> int:
        """Open stream clients."""
        return len(self._clients)

    def ring(self) -> list[LiveEvent]:
        """The events held for resume, oldest first."""
        return list(self._ring)
