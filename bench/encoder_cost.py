"""``python -m bench.encoder_cost``: what a multilingual encoder would cost, by architecture.

The service embeds with all-MiniLM-L6-v2 (6 layers, hidden 384, 30,522-token vocabulary), an
English model. The multilingual encoders that would lift the English-only limit are the same
width with twice the layers and a 250,002-token (XLM-R) vocabulary:
paraphrase-multilingual-MiniLM-L12-v2 (12 layers, hidden 384, vocabulary 250,037; 50
languages) and multilingual-e5-small (12 layers, hidden 384, vocabulary 250,037; about 100
languages). Their weights are not installed here (nothing is downloaded at run time), so this
measures the architectures: randomly initialised BERT encoders of those shapes (compute does not
depend on the weights' values) run on the same token batches on this CPU, in one process, so the
ratio holds across machines better than either rate. Tokenisation differences (XLM-R's
SentencePiece splits English about as finely as BERT's WordPiece) are left out.
"""

from __future__ import annotations

import json
import time
from typing import Any

import torch
from transformers import BertConfig, BertModel

ROUNDS = 9
SHAPES = {
    "all-MiniLM-L6-v2 shape (6 x 384, vocab 30,522)": (6, 30522),
    "multilingual MiniLM-L12 / e5-small shape (12 x 384, vocab 250,037)": (12, 250037),
}


def main() -> None:
    """Print paragraphs/s of each shape and the ratio (batch 32, 128 tokens, 1 thread)."""
    torch.manual_seed(0)
    torch.set_num_threads(1)
    tokens = torch.randint(1000, 30000, (32, 128))
    mask = torch.ones_like(tokens)
    models: dict[str, Any] = {}
    for name, (layers, vocab) in SHAPES.items():
        config = BertConfig(
            vocab_size=vocab,
            hidden_size=384,
            num_hidden_layers=layers,
            num_attention_heads=12,
            intermediate_size=1536,
        )
        model: Any = BertModel(config)
        models[name] = model.eval()
    # Interleaved rounds (A, B, A, B, ...): a shared machine's load hits both alike.
    times: dict[str, list[float]] = {name: [] for name in models}
    with torch.inference_mode():
        for model in models.values():
            model(input_ids=tokens, attention_mask=mask)  # warm-up
        for _ in range(ROUNDS):
            for name, model in models.items():
                start = time.perf_counter()
                model(input_ids=tokens, attention_mask=mask)
                times[name].append(time.perf_counter() - start)
    rates = {}
    for name, model in models.items():
        params = sum(p.numel() for p in model.parameters())
        rate = len(tokens) / sorted(times[name])[len(times[name]) // 2]
        rates[name] = rate
        print(
            json.dumps(
                {
                    "shape": name,
                    "parameters_millions": round(params / 1e6, 1),
                    "fp32_mib": round(params * 4 / 2**20),
                    "paragraphs_per_s_1_thread": round(rate, 1),
                }
            )
        )
    english, multilingual = rates.values()
    print(json.dumps({"multilingual_time_ratio": round(english / multilingual, 2)}))


if __name__ == "__main__":
    main()
