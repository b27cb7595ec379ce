from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from service.adapters.batching import BatchingEmbedder
from service.adapters.embedder import HashingEmbedder


class Recording(HashingEmbedder):
    def __init__(self, fail_on: str | None = None) -> None:
        super().__init__(16)
        self.batches: list[int] = []
        self.calls_texts: list[list[str]] = []
        self.fail_on = fail_on
        self.gate = threading.Event()
        self.gate.set()

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.gate.wait(5)
        if self.fail_on in texts:
            raise RuntimeError("model failed")
        self.batches.append(len(texts))
        self.calls_texts.append(list(texts))
        return super().encode(texts)


async def test_concurrent_requests_share_model_calls() -> None:
    model = Recording()
    model.gate.clear()  # hold the first call so the others queue up behind it
    batcher = BatchingEmbedder(model, max_batch=64, max_wait_s=0.001)
    texts = [[f"text {i} {j}" for j in range(3)] for i in range(10)]
    tasks = [asyncio.create_task(batcher.encode(t)) for t in texts]
    await asyncio.sleep(0.05)
    model.gate.set()
    results = await asyncio.gather(*tasks)
    for t, r in zip(texts, results, strict=True):
        np.testing.assert_allclose(r, model.encode(t))
    assert len(model.batches) - len(texts) < len(texts)  # fewer calls than requests
    assert batcher.texts == 30
    await batcher.close()


async def test_batches_never_exceed_max_batch_and_keep_order() -> None:
    model = Recording()
    batcher = BatchingEmbedder(model, max_batch=4, max_wait_s=0.0)
    texts = [f"sentence number {i}" for i in range(11)]
    out = await batcher.encode(texts)
    assert model.batches == [4, 4, 3]
    np.testing.assert_allclose(out, model.encode(texts))
    await batcher.close()


async def test_a_model_failure_fails_its_callers_and_the_batcher_survives() -> None:
    model = Recording(fail_on="boom")
    batcher = BatchingEmbedder(model, max_batch=8, max_wait_s=0.0)
    with pytest.raises(RuntimeError, match="model failed"):
        await batcher.encode(["boom"])
    assert (await batcher.encode(["fine"])).shape == (1, 16)
    assert (await batcher.encode([])).shape == (0, 16)
    await batcher.close()


async def test_a_small_request_is_not_queued_behind_a_huge_one() -> None:
    """A 400-text request and a 3-text one arriving together: the small one is done after
    one call, not after all of the huge one's (issue 13: a small article waited 45 s)."""
    model = Recording()
    model.gate.clear()
    batcher = BatchingEmbedder(model, max_batch=64, max_wait_s=0.001)
    huge = asyncio.create_task(batcher.encode([f"huge {i}" for i in range(400)]))
    await asyncio.sleep(0.01)
    small = asyncio.create_task(batcher.encode(["small 1", "small 2", "small 3"]))
    await asyncio.sleep(0.05)
    model.gate.set()
    await small
    # The call in progress when it arrived (huge only), then the next one, which it shares.
    carrying = [i for i, texts in enumerate(model.calls_texts) if "small 1" in texts]
    assert carrying == [1]
    out = await huge
    assert out.shape == (400, 16)
    await batcher.close()


def test_fair_shares_are_max_min_fair() -> None:
    from service.adapters.batching import _Job, fair_shares

    def jobs(*sizes: int) -> list[_Job]:
        loop = asyncio.new_event_loop()
        try:
            return [_Job(["t"] * n, loop.create_future()) for n in sizes]
        finally:
            loop.close()

    assert fair_shares(jobs(400, 3), 64) == [61, 3]
    assert fair_shares(jobs(10, 10, 10), 64) == [10, 10, 10]
    assert fair_shares(jobs(100, 100), 64) == [32, 32]
    assert fair_shares(jobs(100, 100, 100), 64) == [22, 21, 21]
    assert sum(fair_shares(jobs(5, 300, 7, 90), 64)) == 64
