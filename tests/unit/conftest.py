from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from indexes.factory import create_index
from service.adapters.batching import BatchingEmbedder
from service.adapters.embedder import HashingEmbedder
from service.adapters.memory import MemoryCache, MemoryStore
from service.settings import Settings
from service.usecases import Wiredesk


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


Factory = Callable[..., Wiredesk]


@pytest.fixture
async def make_wiredesk() -> AsyncIterator[Factory]:
    """Build Wiredesk on fakes: memory store and cache, hashing embedder, NumPy index."""
    made: list[Wiredesk] = []

    def build(store: MemoryStore | None = None, settings: Settings | None = None) -> Wiredesk:
        embedder = HashingEmbedder()
        wd = Wiredesk(
            settings or Settings(embedder="hash"),
            store or MemoryStore(),
            MemoryCache(),
            create_index("numpy", embedder.dim),
            BatchingEmbedder(embedder),
            clock=Clock(),
        )
        made.append(wd)
        return wd

    yield build
    for wd in made:
        await wd.embedder.close()
