"""The briefs against the hand labels of tests/data/brief_sentence_labels.jsonl (issue 12).

Builds the briefs of every cluster of Giveme5W1H, DUC 2003 and MultiLing 2011 EN with the
service's own pipeline (hash embedder, about 25 s) and scores them against the labels (see
:mod:`service.evaluation.brief_labels` and tests/data/brief_sentence_labels.md). The bars of
issue 12: no non-news sentence and no unresolved opening among the labelled sentences. Both
failed when the labels were first made (51 non-news of 315, 2 unresolved openings of 70
briefs). The unresolved-opening bar is met since the fused-furniture cuts and the "The law
allows" rule (0 of 66 labelled openings), so it is asserted; the non-news bar is not (10 of
313: present-tense and verbless photo captions, two fragments, a headline glued to a quote), so
it stays a strict xfail: the day the briefs meet it, pytest reports XPASS as a failure and the
mark must go. Coverage is asserted loosely (>= 0.5; 1.0 when labelled): when the briefs drift
below it, label the sample again. Skipped when the data (``../shared/data`` or
``$WIREDESK_EVAL_DATA``) is absent: the texts are the publishers' and never live in this
repository.
"""

from __future__ import annotations

import asyncio

import pytest

from service.evaluation import datasets as ds
from service.evaluation.brief_labels import (
    LABELS_PATH,
    BriefRecord,
    Key,
    Label,
    LabelScore,
    build_briefs,
    load_labels,
    non_news,
    render,
    score,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(
        not all(
            (ds.default_data_root() / name).is_dir()
            for name in ("duc2003", "multiling2011", "giveme5w1h_gold")
        ),
        reason="evaluation data not found (set WIREDESK_EVAL_DATA)",
    ),
]


@pytest.fixture(scope="module")
def briefs() -> list[BriefRecord]:
    """The current briefs (100 words for every cluster, 400 for some Giveme5W1H ones)."""
    return asyncio.run(build_briefs())


@pytest.fixture(scope="module")
def labels() -> dict[Key, Label]:
    return load_labels(LABELS_PATH)


@pytest.fixture(scope="module")
def result(briefs: list[BriefRecord], labels: dict[Key, Label]) -> LabelScore:
    out = score(labels, briefs)
    print(render(out))  # coverage and lede rate are reported, not asserted
    return out


def test_the_label_file_holds_a_sample_of_at_least_300_sentences(
    labels: dict[Key, Label],
) -> None:
    assert len(labels) >= 300
    openings = [label for label in labels.values() if label.position == 0]
    assert openings
    assert all(label.lede is not None for label in openings)
    assert all(label.unresolved_opening is not None for label in openings)


def test_the_labels_still_cover_the_briefs(result: LabelScore) -> None:
    # Measured 1.000 (313 of 313) when last labelled; below 0.5 the sample must be labelled again.
    assert result.coverage >= 0.5, render(result)
    assert result.openings_labelled >= 0.5 * result.briefs, render(result)


@pytest.mark.xfail(
    strict=True, reason="issue 12 open: 10 of 313 labelled brief sentences are not news"
)
def test_no_labelled_brief_sentence_is_non_news(
    result: LabelScore, briefs: list[BriefRecord], labels: dict[Key, Label]
) -> None:
    assert result.non_news == 0, (render(result), non_news(labels, briefs))
    assert result.non_news_share == 0.0


def test_no_brief_opens_with_an_unresolved_reference(result: LabelScore) -> None:
    assert result.unresolved_openings == 0, render(result)
