"""A brief a reader can trust (issue 12, faults 1-3 and 9), through HTTP.

Every outlet named beside a brief sentence carries that sentence with the same facts; outlets
whose version states other facts (another number, a negation, the opposite verb) are listed as
``variants`` with their own text; an updated article is credited for its new facts only; the
brief opens with a lede, never with an unresolved reference, and never states a fact twice.
The texts are made up for these tests.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import post

pytestmark = pytest.mark.integration

Client = TestClient[Litestar]

# Paragraphs both outlets carry word for word: they make the two articles one story.
SHARED = (
    "Rescue teams from three neighbouring counties searched collapsed barns and flattened "
    "houses through the night, using thermal cameras and sniffer dogs.",
    "The regional governor declared a state of emergency and asked the national government "
    "to send army engineers to clear the roads into the valley.",
)


def article(outlet: str, lead: str, published: str, slug: str = "storm") -> dict[str, Any]:
    return {
        "url": f"https://{outlet.lower().replace(' ', '')}.example/{slug}",
        "outlet": outlet,
        "title": "Tornado strikes Dunmore valley",
        "published_at": published,
        "text": "\n".join((lead, *SHARED)),
    }


def brief_of(client: Client, story_id: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/stories/{story_id}/brief", params=params)
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()
    return out


def texts_by_article(client: Client, story_id: str) -> dict[str, tuple[str, str]]:
    """article_id -> (outlet, current text) of every article of the story."""
    out = {}
    for a in client.get(f"/stories/{story_id}").json()["articles"]:
        body = client.get(f"/articles/{a['article_id']}").json()
        out[a["article_id"]] = (a["outlet"], "\n".join(p["text"] for p in body["paragraphs"]))
    return out


def numbers(text: str) -> list[str]:
    return sorted(re.findall(r"\d+", text))


def sentence_with(brief: dict[str, Any], word: str) -> dict[str, Any]:
    matches = [s for s in brief["sentences"] if word in s["text"]]
    assert len(matches) == 1, (word, brief["sentences"])
    out: dict[str, Any] = matches[0]
    return out


def assert_exact_attribution(client: Client, story_id: str, brief: dict[str, Any]) -> None:
    """Every credited article carries the sentence verbatim; every variant its own text."""
    texts = texts_by_article(client, story_id)
    for sentence in brief["sentences"]:
        for article_id in sentence["article_ids"]:
            assert sentence["text"] in texts[article_id][1], (article_id, sentence)
        assert sorted({texts[a][0] for a in sentence["article_ids"]}) == sentence["outlets"]
        for variant in sentence["variants"]:
            outlet, text = texts[variant["article_id"]]
            assert variant["outlet"] == outlet
            assert variant["text"] in text
            assert variant["article_id"] not in sentence["article_ids"]
            assert variant["text"] != sentence["text"]


@pytest.mark.parametrize(
    ("first", "second", "word"),
    [
        pytest.param(
            "A tornado tore through the Dunmore valley late on Sunday, killing 10 people and "
            "damaging hundreds of homes, officials said.",
            "A tornado tore through the Dunmore valley late on Sunday, killing 12 people and "
            "damaging hundreds of homes, officials said.",
            "killing",
            id="10-vs-12-dead",
        ),
        pytest.param(
            "The owners of the Dunmore steel plant said on Monday that the plant will reopen "
            "next spring after repairs to its storm-damaged roof.",
            "The owners of the Dunmore steel plant said on Monday that the plant will not reopen "
            "next spring after repairs to its storm-damaged roof.",
            "reopen",
            id="reopen-vs-will-not-reopen",
        ),
        pytest.param(
            "Shares in Dunmore Steel rose 8% on Monday as investors weighed the cost of the "
            "storm damage to its plant.",
            "Shares in Dunmore Steel fell 8% on Monday as investors weighed the cost of the "
            "storm damage to its plant.",
            "Shares",
            id="rose-vs-fell",
        ),
    ],
)
def test_outlets_with_other_facts_are_variants_not_carriers(
    client: Client, first: str, second: str, word: str
) -> None:
    a = post(client, article("Valley Post", first, "2026-11-23T06:00:00Z"))
    b = post(client, article("Hill Courier", second, "2026-11-23T07:00:00Z"))
    story_id = a["story_id"]
    assert b["story_id"] == story_id  # the shared paragraphs make them one story

    # Paragraph clusters: the two versions of the first paragraph are not one cluster.
    story = client.get(f"/stories/{story_id}").json()
    for cluster in story["clusters"]:
        texts = {p["text"] for p in cluster["paragraphs"]}
        assert not {first, second} <= texts, cluster
    assert b["near_duplicate_paragraphs"] == len(SHARED)

    brief = brief_of(client, story_id)
    chosen = sentence_with(brief, word)
    assert len(chosen["outlets"]) == 1
    (variant,) = chosen["variants"]
    assert {chosen["outlets"][0], variant["outlet"]} == {"Valley Post", "Hill Courier"}
    assert {chosen["text"], variant["text"]} == {first, second}
    assert_exact_attribution(client, story_id, brief)


def test_an_updated_article_is_credited_for_its_new_facts_only(client: Client) -> None:
    old = (
        "Fourteen people drowned when the Dunmore river burst its banks on Saturday, the "
        "police said."
    )
    corrected = old.replace("Fourteen", "Forty-one")
    a = post(client, article("Valley Post", old, "2026-11-23T06:00:00Z", "flood"))
    b = post(client, article("Hill Courier", old, "2026-11-23T07:00:00Z", "flood"))
    story_id = a["story_id"]
    before = brief_of(client, story_id)
    assert sentence_with(before, "drowned")["outlets"] == ["Hill Courier", "Valley Post"]

    # Valley Post corrects its article: same URL, 41 instead of 14.
    updated = post(client, article("Valley Post", corrected, "2026-11-23T06:00:00Z", "flood"), 200)
    assert updated["status"] == "updated"
    assert updated["article_id"] == a["article_id"]
    after = brief_of(client, story_id)
    chosen = sentence_with(after, "drowned")
    (variant,) = chosen["variants"]
    if chosen["text"] == corrected:
        assert chosen["article_ids"] == [a["article_id"]]
        assert (variant["article_id"], variant["text"]) == (b["article_id"], old)
    else:
        assert chosen["text"] == old
        assert chosen["article_ids"] == [b["article_id"]]
        assert (variant["article_id"], variant["text"]) == (a["article_id"], corrected)
    assert_exact_attribution(client, story_id, after)


def test_brief_opens_with_the_lede_not_a_dangling_reference(client: Client) -> None:
    lede = (
        "A gunman opened fire at a wedding party in the town of Harlow on Saturday evening, "
        "killing seven guests and wounding 20 others, police said."
    )
    follow = (
        "It is the deadliest shooting in the history of the county, which has fewer than "
        "90,000 residents and a handful of violent deaths a year.",
        "The embassy said two of the wounded guests were foreign nationals visiting relatives "
        "and that consular staff were on their way.",
        "It comes just days after the county sheriff warned of a rise in illegal gun sales "
        "across the region and asked for more deputies.",
    )
    wire = "\n".join((lede, *follow))
    first = post(
        client,
        {
            "url": "https://wire.example/harlow",
            "outlet": "Wire",
            "published_at": "2026-11-22T20:00:00Z",
            "text": wire,
        },
    )
    # A later outlet leads with the reaction paragraphs and carries the lede lower down.
    post(
        client,
        {
            "url": "https://evening.example/harlow",
            "outlet": "Evening Star",
            "published_at": "2026-11-23T09:00:00Z",
            "text": "\n".join((*follow, lede)),
            "story_key": None,
        },
    )
    story_id = first["story_id"]
    for max_words in (25, 60, 100, 400):
        brief = brief_of(client, story_id, max_words=max_words)
        assert brief["sentences"], max_words
        assert brief["sentences"][0]["text"] == lede, (max_words, brief["sentences"])
        shown = [s["text"] for s in brief["sentences"]]
        # No sentence before it introduces the embassy: it is never shown.
        assert follow[1] not in shown
        # "It comes ..." follows the embassy sentence in both articles: never shown either.
        assert follow[2] not in shown
        # "It is the deadliest ..." only right after the sentence it follows in the wire copy.
        if follow[0] in shown:
            assert shown[shown.index(follow[0]) - 1] == lede
    assert_exact_attribution(client, story_id, brief_of(client, story_id, max_words=400))


def test_a_long_brief_does_not_state_a_fact_twice(client: Client) -> None:
    paragraphs = (
        "A landslide buried part of the mountain village of Orvella on Tuesday morning after "
        "three days of heavy rain, officials said.",
        "Officials said a landslide buried part of the mountain village of Orvella on Tuesday "
        "morning after heavy rain fell for three days.",
        "Volunteers carried food and blankets up the only open footpath to the families "
        "sheltering in the village school.",
        "The national weather office forecast more rain for the region on Thursday and "
        "warned of further slides on the steep slopes above the river.",
    )
    created = post(
        client,
        {
            "url": "https://mountain.example/orvella",
            "outlet": "Mountain News",
            "published_at": "2026-11-24T08:00:00Z",
            "text": "\n".join(paragraphs),
        },
    )
    brief = brief_of(client, created["story_id"], max_words=400)
    texts = [s["text"] for s in brief["sentences"]]
    # The first two paragraphs state one fact in other words: at most one of them is shown.
    assert sum(1 for t in texts if "landslide buried" in t) == 1
    assert any("Volunteers" in t for t in texts)


def test_openapi_documents_variants(client: Client) -> None:
    schemas = client.get("/schema/openapi.json").json()["components"]["schemas"]
    sentence = next(v for k, v in schemas.items() if k.endswith("BriefSentenceOut"))
    assert "variants" in sentence["properties"]
    variant = next(v for k, v in schemas.items() if k.endswith("VariantOut"))
    assert set(variant["properties"]) == {"outlet", "article_id", "text"}
