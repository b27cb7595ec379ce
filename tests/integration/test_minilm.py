"""The embedder contract on the real all-MiniLM-L6-v2 (torch and ONNX) and the hashing stand-in."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from service.adapters.batching import BatchingEmbedder
from service.adapters.embedder import MINILM_DIM, HashingEmbedder
from service.domain.ports import Embedder
from service.pipeline.dedup import DedupConfig, is_near_duplicate
from service.pipeline.lexical import signature
from tests.api.conftest import AP, AP1_REWRITE, AP2_REWRITE, AP4_REWRITE, COMET, LIBRARY, MARATHON

TEXTS = [AP[0], AP[1], LIBRARY.split("\n")[0], "Short.", "", "Ünïcödé — “quotes” and emoji 🔥."]


REAL = ["minilm", "onnx_fp32", "onnx_int8"]


@pytest.fixture(params=[*(pytest.param(n, marks=pytest.mark.integration) for n in REAL), "hash"])
def embedder(request: pytest.FixtureRequest) -> Embedder:
    if request.param in REAL:
        model: Embedder = request.getfixturevalue(request.param)
        return model
    return HashingEmbedder()


@pytest.fixture(params=REAL)
def real(request: pytest.FixtureRequest) -> Embedder:
    model: Embedder = request.getfixturevalue(request.param)
    return model


def test_shape_dtype_and_unit_norms(embedder: Embedder) -> None:
    out = embedder.encode(TEXTS)
    assert embedder.dim == MINILM_DIM
    assert out.shape == (len(TEXTS), MINILM_DIM)
    assert out.dtype == np.float32
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_empty_input(embedder: Embedder) -> None:
    out = embedder.encode([])
    assert out.shape == (0, MINILM_DIM)
    assert out.dtype == np.float32


def test_deterministic_and_order_preserving(embedder: Embedder) -> None:
    first = embedder.encode(TEXTS)
    again = embedder.encode(TEXTS)
    np.testing.assert_allclose(first, again, atol=1e-6)
    reversed_ = embedder.encode(TEXTS[::-1])[::-1]
    np.testing.assert_allclose(first, reversed_, atol=1e-5)
    one = embedder.encode([TEXTS[1]])
    np.testing.assert_allclose(one[0], first[1], atol=1e-5)


def test_identical_texts_identical_vectors(embedder: Embedder) -> None:
    out = embedder.encode([AP[2], AP[2]])
    assert float(out[0] @ out[1]) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("original", "rewrite"), [(AP[0], AP1_REWRITE), (AP[1], AP2_REWRITE), (AP[3], AP4_REWRITE)]
)
def test_light_rewrite_is_a_near_duplicate(real: Embedder, original: str, rewrite: str) -> None:
    config = DedupConfig()
    others = [LIBRARY.split("\n")[0], MARATHON.split("\n")[0], COMET.split("\n")[0]]
    out = real.encode([original, rewrite, *others])
    sims = out[1:] @ out[0]
    # The service's decision, with the real model's cosine and the lexical check.
    assert is_near_duplicate(float(sims[0]), signature(original), signature(rewrite), config)
    # Unrelated paragraphs score far below even the lexical floor (measured: about 0.1).
    assert np.all(sims[1:] < config.lexical_threshold - 0.5)
    for other, sim in zip(others, sims[1:], strict=True):
        assert not is_near_duplicate(float(sim), signature(original), signature(other), config)


@pytest.mark.integration
async def test_batching_over_the_model_shares_calls(minilm: Embedder) -> None:
    requests = [
        [AP[i % len(AP)], f"Request {i} adds one line of its own about item {i}."] for i in range(8)
    ]
    requests[3] = [AP[0]]
    requests[5] = [COMET, LIBRARY, MARATHON]
    direct = [minilm.encode(texts) for texts in requests]
    batcher = BatchingEmbedder(minilm, max_batch=64, max_wait_s=0.05)
    try:
        got = await asyncio.gather(*(batcher.encode(texts) for texts in requests))
    finally:
        await batcher.close()
    for want, have in zip(direct, got, strict=True):
        assert have.shape == want.shape
        assert have.dtype == np.float32
        np.testing.assert_allclose(have, want, atol=1e-5)
    assert 1 <= batcher.calls < len(requests)
    assert batcher.texts == sum(len(t) for t in requests)


@pytest.mark.integration
async def test_batching_splits_at_max_batch(minilm: Embedder) -> None:
    texts = [f"Sentence number {i} about the factory fire in Millbrook." for i in range(10)]
    batcher = BatchingEmbedder(minilm, max_batch=4, max_wait_s=0.01)
    try:
        got = await batcher.encode(texts)
    finally:
        await batcher.close()
    np.testing.assert_allclose(got, minilm.encode(texts), atol=1e-5)
    assert batcher.calls == 3  # 4 + 4 + 2
