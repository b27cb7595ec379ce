"""In-memory fakes of the Store and Cache ports, for fast unit tests.

They keep the real adapters' contract (atomic commit, load round-trip, tag invalidation, and
:class:`UnavailableError` while ``down`` is set) and are tested against the same suite as the
Redis adapters (``tests/integration/test_store_contract.py``).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Mapping

from service.domain.errors import UnavailableError
from service.domain.lineage import MAX_EVENTS_PER_STORY, StoryEvent
from service.domain.models import Article, ChangeSet, Snapshot, Story, TextRecord


class MemoryStore:
    """A :class:`service.domain.ports.Store` held in dictionaries."""

    def __init__(self) -> None:
        self.down = False
        self.commits = 0
        self._articles: dict[str, Article] = {}
        self._texts: dict[int, TextRecord] = {}
        self._vectors: dict[int, bytes] = {}
        self._stories: dict[str, Story] = {}
        self._redirects: dict[str, str] = {}
        self._story_keys: dict[str, str] = {}
        self._counters: dict[str, int] = {}
        self._deployment = uuid.uuid4().hex
        self._history: dict[str, list[StoryEvent]] = {}
        self._founders: dict[str, str] = {}

    def _check(self) -> None:
        if self.down:
            raise UnavailableError("store is unavailable (simulated)")

    async def commit(self, changes: ChangeSet) -> None:
        """Apply the change set; nothing changes while ``down``."""
        self._check()
        self._articles.update({a.article_id: a for a in changes.articles})
        self._texts.update({t.text_id: t for t in changes.texts})
        self._vectors.update(changes.vectors)
        self._stories.update({s.story_id: s for s in changes.stories})
        self._redirects.update(changes.redirects)
        for old in changes.redirects:
            self._stories.pop(old, None)
        self._story_keys.update(changes.story_keys)
        self._counters.update(changes.counters)
        for event in changes.events:
            held = self._history.setdefault(event.story_id, [])
            held.append(event)
            del held[:-MAX_EVENTS_PER_STORY]
        self._founders.update(changes.founders)
        self.commits += 1

    async def load(self) -> Snapshot:
        """Everything stored."""
        self._check()
        return Snapshot(
            tuple(self._articles.values()),
            tuple(self._texts.values()),
            tuple(self._stories.values()),
            dict(self._redirects),
            dict(self._story_keys),
            dict(self._counters),
            events=tuple(e for held in self._history.values() for e in held),
            founders=dict(self._founders),
        )

    async def load_vectors(self, text_ids: Iterable[int]) -> Mapping[int, bytes]:
        """Stored vectors of the ids that have one."""
        self._check()
        return {i: self._vectors[i] for i in text_ids if i in self._vectors}

    async def ping(self) -> bool:
        """False while ``down``."""
        return not self.down

    async def deployment_id(self) -> str:
        """A random id made at construction (kept by :meth:`clone`, like a restart)."""
        self._check()
        return self._deployment

    def clone(self) -> MemoryStore:
        """A deep copy (a 'restart' in tests keeps what was committed)."""
        twin = copy.deepcopy(self)
        twin.down = False
        return twin


class MemoryCache:
    """A :class:`service.domain.ports.Cache` in a dict (no expiry; TTLs are recorded)."""

    def __init__(self) -> None:
        self.down = False
        self.values: dict[str, bytes] = {}
        self.ttls: dict[str, int] = {}
        self._tags: dict[str, set[str]] = {}

    def _check(self) -> None:
        if self.down:
            raise UnavailableError("cache is unavailable (simulated)")

    async def get(self, key: str) -> bytes | None:
        """The stored value or None."""
        self._check()
        return self.values.get(key)

    async def put(self, key: str, value: bytes, *, ttl_s: int, tag: str) -> None:
        """Store and tag."""
        self._check()
        self.values[key] = value
        self.ttls[key] = ttl_s
        self._tags.setdefault(tag, set()).add(key)

    async def invalidate(self, tags: Iterable[str]) -> int:
        """Drop the tagged keys."""
        self._check()
        dropped = 0
        for tag in tags:
            for key in self._tags.pop(tag, set()):
                dropped += self.values.pop(key, None) is not None
        return dropped
