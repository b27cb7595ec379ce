"""An index snapshot is trusted only by the deployment that wrote it (issue 13, fault 4)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from indexes.factory import load_index
from service.adapters.batching import BatchingEmbedder
from service.adapters.embedder import HashingEmbedder
from service.adapters.memory import MemoryCache, MemoryStore
from service.domain.models import ArticleInput
from service.settings import Settings
from service.usecases import Wiredesk
from tests.texts import OTHER, WIRE
from tests.unit.conftest import Factory


def post(outlet: str, paragraphs: list[str], n: int) -> ArticleInput:
    return ArticleInput(f"https://{outlet}.example/{n}", outlet, None, "\n".join(paragraphs))


async def restarted(store: MemoryStore, snapshot: Path) -> Wiredesk:
    """A new service on ``store`` whose index comes from the ``snapshot`` file."""
    wd = Wiredesk(
        Settings(embedder="hash"),
        store,
        MemoryCache(),
        load_index(snapshot),
        BatchingEmbedder(HashingEmbedder()),
    )
    await wd.start()
    return wd


async def snapshot_of(make_wiredesk: Factory, store: MemoryStore, path: Path) -> Path:
    """Start a service on ``store``, ingest the wire story, write its index to ``path``."""
    wd = make_wiredesk(store=store)
    await wd.start()
    await wd.submit(post("cbs", WIRE, 1))
    assert await wd.snapshot(path)
    return path


def index_matches_store(wd: Wiredesk, store: MemoryStore) -> bool:
    ids = wd.index.ids()
    stored = store._vectors
    if sorted(int(i) for i in ids) != sorted(stored):
        return False
    mine = wd.index.reconstruct(ids)
    theirs = np.stack([np.frombuffer(stored[int(i)], dtype=np.float32) for i in ids])
    return bool(np.allclose(mine, theirs, atol=1e-6))


async def test_a_foreign_snapshot_is_discarded_and_rebuilt(
    make_wiredesk: Factory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    a_store, b_store = MemoryStore(), MemoryStore()
    a = make_wiredesk(store=a_store)
    b = make_wiredesk(store=b_store)
    await a.start()
    await b.start()
    await a.submit(post("cbs", WIRE, 1))
    await b.submit(post("abc", OTHER, 1))  # the same text ids (1, 2, ...), other vectors
    assert set(a_store._vectors) & set(b_store._vectors)
    foreign = tmp_path / "a.faiss"
    assert await a.snapshot(foreign)
    caplog.set_level(logging.WARNING)
    b_again = await restarted(b_store.clone(), foreign)
    assert "belongs to deployment" in caplog.text
    assert index_matches_store(b_again, b_store)
    await b_again.embedder.close()


async def test_own_snapshot_is_trusted(
    make_wiredesk: Factory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryStore()
    own = await snapshot_of(make_wiredesk, store, tmp_path / "own.faiss")
    assert load_index(own).meta["deployment"] == await store.deployment_id()
    caplog.set_level(logging.WARNING)
    again = await restarted(store.clone(), own)
    assert "discarded" not in caplog.text
    assert index_matches_store(again, store)
    await again.embedder.close()


async def test_same_deployment_with_other_vectors_is_caught(
    make_wiredesk: Factory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A store restored from an older backup: same deployment id, other texts under the ids."""
    store = MemoryStore()
    stale = await snapshot_of(make_wiredesk, store, tmp_path / "stale.faiss")
    replaced = store.clone()
    for text_id, raw in list(replaced._vectors.items()):
        replaced._vectors[text_id] = (-np.frombuffer(raw, dtype=np.float32)).tobytes()
    caplog.set_level(logging.WARNING)
    again = await restarted(replaced, stale)
    assert "differs from the stored one" in caplog.text
    assert index_matches_store(again, replaced)
    await again.embedder.close()
