"""The project's own unrelated news articles (a cheap import: no evaluation extras needed).

``data/unrelated_news.jsonl`` (how it was made: ``data/README.md``) holds 67 short ordinary
news articles written for Wiredesk, each its own gold story (``cluster_id`` starting
``unrelated-``), and 6 more used as stability probes (``probe-``). The stream evaluation
(:mod:`service.evaluation.stream`) interleaves them with a labelled set; the story-id contract's
hypothesis properties use them as distinct topics.
"""

from __future__ import annotations

from pathlib import Path

from service.evaluation.datasets import EvalArticle, load_jsonl

UNRELATED_PATH = Path(__file__).parent / "data" / "unrelated_news.jsonl"
"""The unrelated articles (``u*``) and the stability probes (``p*``)."""


def load_unrelated(path: Path = UNRELATED_PATH) -> tuple[list[EvalArticle], list[EvalArticle]]:
    """The unrelated articles and the probes, each ordered by ``doc_id``.

    Returns:
        ``(unrelated, probes)``; every article has its own ``cluster_id`` and no date.
    """
    articles = sorted(load_jsonl(path).articles, key=lambda a: a.doc_id)
    unrelated = [a for a in articles if a.cluster_id.startswith("unrelated-")]
    probes = [a for a in articles if a.cluster_id.startswith("probe-")]
    return unrelated, probes
