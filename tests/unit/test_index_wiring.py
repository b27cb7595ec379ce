"""The ``index_kind`` setting: validated, built with its options, honoured over a snapshot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexes.factory import create_index
from indexes.sharded import ShardedIndex
from service.adapters.batching import BatchingEmbedder
from service.adapters.embedder import HashingEmbedder
from service.adapters.memory import MemoryCache, MemoryStore
from service.bootstrap import index_options, open_index
from service.settings import Settings, SettingsError
from service.usecases import Wiredesk
from tests.texts import OTHER, REWRITES
from tests.unit.conftest import Clock
from tests.unit.test_usecases import T0, article


def test_unknown_index_kind_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(SettingsError, match="index_kind must be one of") as info:
        Settings(index_kind="ivf")
    assert "sharded" in str(info.value)
    with pytest.raises(SettingsError, match="index_shard_days"):
        Settings(index_kind="sharded", index_shard_days=0)
    env = {"WIREDESK_INDEX_KIND": "sharded", "WIREDESK_INDEX_SHARD_DAYS": "1"}
    assert index_options(Settings.from_env(env)) == {"bucket_s": 86_400}
    assert index_options(Settings()) == {}


def test_open_index_builds_the_configured_kind_and_drops_a_snapshot_of_another(
    tmp_path: Path,
) -> None:
    path = tmp_path / "index.faiss"
    sharded = open_index(path, "sharded", 8, {"bucket_s": 3600.0})
    assert isinstance(sharded, ShardedIndex)
    assert sharded.config.bucket_s == 3600
    sharded.add([1, 2], np.eye(2, 8, dtype=np.float32))
    sharded.save(path)
    again = open_index(path, "sharded", 8, {"bucket_s": 3600.0})
    assert isinstance(again, ShardedIndex)
    assert again.ids().tolist() == [1, 2]
    # Configured another kind: the snapshot is not used (start-up refills from the store).
    other = open_index(path, "auto", 8)
    assert other.kind == "auto"
    assert len(other) == 0


async def test_the_service_answers_the_same_over_a_sharded_index() -> None:
    """Ingest over many small shards gives the same stories and clusters as exact search."""
    outcomes: list[list[object]] = []
    dim = HashingEmbedder().dim
    for index in (create_index("numpy", dim), create_index("sharded", dim, shard_capacity=4)):
        embedder = HashingEmbedder()
        wd = Wiredesk(
            Settings(embedder="hash"),
            MemoryStore(),
            MemoryCache(),
            index,
            BatchingEmbedder(embedder),
            clock=Clock(),
        )
        await wd.start()
        got: list[object] = []
        for i, (outlet, paragraphs) in enumerate(REWRITES.items()):
            outcome = await wd.submit(article(outlet, paragraphs, n=i, published_at=T0 + i))
            got.append((outcome.story_id, outcome.near_duplicate_paragraphs, outcome.embedded))
        got.append((await wd.submit(article("Reuters", OTHER, n=9))).story_id)
        got.append([c.cluster_id for c in wd.list_clusters(None, 2, 10)])
        outcomes.append(got)
        await wd.embedder.close()
        if isinstance(index, ShardedIndex):
            assert len(index.shard_info()) > 2  # the texts really are spread over shards
    assert outcomes[0] == outcomes[1]
