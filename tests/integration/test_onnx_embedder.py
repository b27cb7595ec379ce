"""The ONNX export of all-MiniLM-L6-v2 against sentence-transformers, and its model cache."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from service.adapters.onnx_embedder import OnnxEmbedder, OnnxModel, Precision, ensure_model
from service.bootstrap import build_embedder
from service.domain.ports import Embedder
from service.settings import Settings
from tests.api.conftest import AP, AP1_REWRITE, COMET, LIBRARY, MARATHON

pytestmark = pytest.mark.integration

# Longer than the model's 256-token window, so truncation must match sentence-transformers.
LONG = " ".join(f"The council met on day {i} and voted on item {i * 7}." for i in range(60))
TEXTS = [
    AP[0],
    AP1_REWRITE,
    COMET,
    LIBRARY,
    MARATHON,
    "Short.",
    "",
    "Ünïcödé — “quotes” and emoji 🔥.",
    LONG,
]


def test_fp32_gives_the_sentence_transformers_vectors(
    onnx_fp32: Embedder, minilm: Embedder
) -> None:
    ours, reference = onnx_fp32.encode(TEXTS), minilm.encode(TEXTS)
    cosines = np.sum(ours * reference, axis=1)
    assert cosines.min() > 0.99999, cosines
    np.testing.assert_allclose(ours, reference, atol=2e-4)


def test_int8_stays_close_to_fp32(onnx_int8: Embedder, onnx_fp32: Embedder) -> None:
    cosines = np.sum(onnx_int8.encode(TEXTS) * onnx_fp32.encode(TEXTS), axis=1)
    # Measured on 1,024 DUC paragraphs: mean 0.993, 1st percentile 0.985.
    assert cosines.mean() > 0.98, cosines
    assert cosines.min() > 0.95, cosines
    # ...and it is really the quantised graph, not the fp32 one under another name.
    assert cosines.max() < 0.99999


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_passes_do_not_change_a_text_s_vector(onnx_cache: Path, precision: Precision) -> None:
    """A text's vector does not depend on its neighbours in the call.

    fp32: padding is masked. int8: one text per pass (a pass shares one activation scale).
    """
    model = ensure_model(precision, onnx_cache)
    one_pass, small_passes = OnnxEmbedder(model, batch_size=64), OnnxEmbedder(model, batch_size=2)
    together = one_pass.encode(TEXTS)
    np.testing.assert_allclose(small_passes.encode(TEXTS), together, atol=1e-5)
    alone = np.vstack([one_pass.encode([t]) for t in TEXTS])
    np.testing.assert_allclose(alone, together, atol=1e-5)


def test_the_cache_is_reused_not_rebuilt(onnx_cache: Path) -> None:
    first = ensure_model("fp32", onnx_cache)
    stamp = first.graph.stat().st_mtime_ns
    again = ensure_model("fp32", onnx_cache)
    assert again == first
    assert again.graph.stat().st_mtime_ns == stamp
    assert first.max_seq_length == 256
    assert first.dim == 384
    assert not list(first.graph.parent.glob("*.tmp"))


def test_a_missing_int8_graph_is_rebuilt_from_the_cached_fp32(
    onnx_cache: Path, tmp_path: Path
) -> None:
    model = ensure_model("fp32", onnx_cache)
    copy = tmp_path / model.graph.parent.name
    copy.mkdir()
    for name in ("meta.json", "model-fp32.onnx"):
        os.link(model.graph.parent / name, copy / name)
    int8 = ensure_model("int8", tmp_path)
    assert int8.graph == copy / "model-int8.onnx"
    assert int8.graph.stat().st_size < model.graph.stat().st_size  # int8 weights
    assert (copy / "model-fp32.onnx").stat().st_ino == model.graph.stat().st_ino  # not re-exported


@pytest.mark.parametrize(("kind", "precision"), [("onnx", "fp32"), ("onnx-int8", "int8")])
def test_settings_pick_the_onnx_embedder(onnx_cache: Path, kind: str, precision: str) -> None:
    settings = Settings.from_env(
        {"WIREDESK_EMBEDDER": kind, "WIREDESK_MODEL_CACHE_DIR": str(onnx_cache)}
    )
    embedder = build_embedder(settings)
    assert isinstance(embedder, OnnxEmbedder)
    expected: OnnxModel = ensure_model("int8" if precision == "int8" else "fp32", onnx_cache)
    assert expected.precision == precision
    reference = OnnxEmbedder(expected).encode(TEXTS[:3])
    np.testing.assert_allclose(embedder.encode(TEXTS[:3]), reference, atol=1e-6)


def test_default_embedder_is_onnx_fp32() -> None:
    assert Settings().embedder == "onnx"


def test_an_export_cut_off_before_its_metadata_is_redone(onnx_cache: Path, tmp_path: Path) -> None:
    model = ensure_model("fp32", onnx_cache)
    copy = tmp_path / model.graph.parent.name
    copy.mkdir()
    (copy / "model-fp32.onnx").write_bytes(b"half a graph")  # no meta.json: a crash mid-export
    again = ensure_model("fp32", tmp_path)
    assert again.graph == copy / "model-fp32.onnx"
    assert again.graph.stat().st_size == model.graph.stat().st_size
    assert (copy / "meta.json").exists()
