"""The text edge through HTTP: normalisation, page furniture, datelines, sentence splitting,
junk pages and URL identity (issue 11 items 7-9, issue 12 items 4-8, issue 13 item 9).

Every text is written for these tests, in the shapes the issues reported.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import all_stories, post

pytestmark = pytest.mark.integration

Client = TestClient[Litestar]

HARLAN_RAW = (
    "Harlan &amp; Finch said on Tuesday that the country&#8217;s two oldest steel mills "
    "would close by March, putting about 1,400 jobs at risk in the valley."
)
HARLAN_CLEAN = (
    "Harlan & Finch said on Tuesday that the country’s two oldest steel mills "
    "would close by March, putting about 1,400 jobs at risk in the valley."
)
MILLS_2 = (
    "The company blamed cheap imports and rising energy prices for losses at both plants, "
    "which have been running at half capacity since the spring."
)
MILLS_3 = (
    "Union leaders said they would ask the regional government to find a buyer before the "
    "furnaces are shut down for good."
)


def article(client: Client, article_id: str) -> dict[str, Any]:
    response = client.get(f"/articles/{article_id}")
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()
    return out


def brief(client: Client, story_id: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/stories/{story_id}/brief", params=params)
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()
    return out


def stored_sentences(client: Client, article_id: str) -> list[str]:
    return [s for p in article(client, article_id)["paragraphs"] for s in p["sentences"]]


# ------------------------------------------------------------------------- normalisation
def test_entity_copy_and_clean_copy_are_one_paragraph_shown_clean(client: Client) -> None:
    raw = post(
        client,
        {
            "url": "https://ledger.example/mills",
            "outlet": "Daily &amp; Weekly Ledger",
            "title": "Harlan &amp; Finch to close mills\u200b",
            "text": "\n".join([HARLAN_RAW, MILLS_2, MILLS_3]),
        },
    )
    clean = post(
        client,
        {
            "url": "https://herald.example/mills",
            "outlet": "Valley Herald",
            "title": "Steel mills to close",
            "text": "\n".join([HARLAN_CLEAN, MILLS_2]),
        },
    )
    assert clean["story_id"] == raw["story_id"]
    assert clean["near_duplicate_paragraphs"] == 2
    stored = article(client, raw["article_id"])
    assert stored["paragraphs"][0]["text"] == HARLAN_CLEAN
    assert stored["title"] == "Harlan & Finch to close mills"
    assert stored["outlet"] == "Daily & Weekly Ledger"
    # Both copies of the paragraph are one text, one cluster.
    clusters = {p["cluster_id"] for p in stored["paragraphs"][:2]}
    other = {p["cluster_id"] for p in article(client, clean["article_id"])["paragraphs"]}
    assert clusters == other
    # The brief shows the sentence once, clean, credited to both outlets.
    out = brief(client, raw["story_id"], max_words=400)
    texts = [s["text"] for s in out["sentences"]]
    assert "&amp;" not in out["text"]
    assert "&#8217;" not in out["text"]
    assert texts.count(HARLAN_CLEAN) == 1
    harlan = next(s for s in out["sentences"] if s["text"] == HARLAN_CLEAN)
    assert sorted(harlan["outlets"]) == ["Daily & Weekly Ledger", "Valley Herald"]


def test_nul_control_and_invisible_characters_are_never_stored(client: Client) -> None:
    body = {
        "url": "https://ledger.example/nul",
        "outlet": "Ledger\x00",
        "title": "Mills\x07 close\u202e",
        "text": f"{MILLS_2[:20]}\x00\u200b{MILLS_2[20:]}\r\n\ufeff{MILLS_3}\x1b",
    }
    stored = article(client, post(client, body)["article_id"])
    assert stored["outlet"] == "Ledger"
    assert stored["title"] == "Mills close"
    assert [p["text"] for p in stored["paragraphs"]] == [MILLS_2, MILLS_3]


@pytest.mark.parametrize("url", ["https://x.example/a\x00b", "https://x.example/\u200ba"])
def test_a_url_with_control_characters_is_refused(client: Client, url: str) -> None:
    response = client.post("/articles", json={"url": url, "outlet": "X", "text": MILLS_2})
    assert response.status_code == 400
    assert "url" in response.json()["detail"]
    assert all_stories(client) == []


def test_an_outlet_with_nothing_visible_is_refused(client: Client) -> None:
    response = client.post(
        "/articles",
        json={"url": "https://x.example/a", "outlet": "\u200b\u200f", "text": MILLS_2},
    )
    assert response.status_code == 400
    assert "outlet" in response.json()["detail"]


# ------------------------------------------------------------------------- page furniture
FURNITURE = [
    "Read Also: Ten gadgets you need this autumn",
    "Related Article: Ferry fares to rise in January",
    "[China backs U.N. move on shipping lanes]",
    "Photos: Inside the shuttered mills",
    "Reporting by Jane Holt; Editing by Mark Porter",
    "Associated Press writer Luis Vega contributed to this report.",
    "Workers leave the plant on Tuesday. (Jane Doe via AP) ( /Associated Press)",
    "View all Daily Ledger newsletters.",
    "Chat with us in Facebook Messenger. Find out what's happening in the world as it unfolds.",
    "The Associated Press receives support from several private foundations for its coverage of "
    "labor. The AP is solely responsible for all content.",
    "Correction: An earlier version of this story misstated the number of jobs at risk.",
    "Editor's note: This story has been updated with a statement from the union.",
    "Valley steel mills: 1,400 jobs at risk",
    "© 2026 Daily Ledger",
]


def test_page_furniture_is_never_stored_nor_briefed(client: Client) -> None:
    text = "\n".join([HARLAN_CLEAN, FURNITURE[0], MILLS_2, *FURNITURE[1:], MILLS_3 + " Read more"])
    accepted = post(
        client, {"url": "https://ledger.example/f", "outlet": "Ledger", "title": "T", "text": text}
    )
    assert accepted["paragraphs"] == 3
    paragraphs = [p["text"] for p in article(client, accepted["article_id"])["paragraphs"]]
    assert paragraphs == [HARLAN_CLEAN, MILLS_2, MILLS_3]  # "Read more" tail trimmed
    out = brief(client, accepted["story_id"], max_words=400)
    for line in FURNITURE:
        assert line not in out["text"]


def test_news_sentences_with_furniture_words_are_kept(client: Client) -> None:
    lines = [
        "The band's lawyers argued in court that the copyright on the 1971 recording had "
        "expired decades ago.",
        "Photos taken by residents showed water reaching the second floor of several homes "
        "near the river.",
        '"Read more books," the retiring teacher told her final class on Friday afternoon.',
    ]
    accepted = post(
        client, {"url": "https://ledger.example/k", "outlet": "Ledger", "text": "\n".join(lines)}
    )
    assert accepted["paragraphs"] == 3


def test_arabic_and_hindi_sentences_with_an_acronym_reach_the_brief(client: Client) -> None:
    arabic = "قالت منظمة الصحة العالمية WHO إن عدد الإصابات ارتفع إلى 300 حالة خلال أسبوع واحد."
    hindi = "विश्व स्वास्थ्य संगठन WHO ने कहा कि देश में स्थिति अब पूरी तरह नियंत्रण में है।"
    accepted = post(
        client,
        {"url": "https://wire.example/who", "outlet": "Wire", "text": f"{arabic}\n{hindi}"},
    )
    assert accepted["paragraphs"] == 2
    out = brief(client, accepted["story_id"], max_words=200)
    assert {s["text"] for s in out["sentences"]} == {arabic, hindi}


# ------------------------------------------------------------------------- junk pages
def test_a_page_of_only_furniture_is_refused_and_nothing_is_stored(client: Client) -> None:
    before = len(all_stories(client))
    response = client.post(
        "/articles",
        json={
            "url": "https://ledger.example/footer",
            "outlet": "Ledger",
            "text": "\n".join([*FURNITURE[7:10], "Follow us on Twitter", "© 2026 Ledger"]),
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert "no news paragraph" in body["detail"]
    assert "boilerplate" in body["detail"]
    assert len(all_stories(client)) == before
    assert client.get("/articles/a1").status_code == 404


# ------------------------------------------------------------------------- datelines
def test_datelines_of_every_shape_are_not_shown(client: Client) -> None:
    first = post(
        client,
        {
            "url": "https://wire.example/talks",
            "outlet": "Wire",
            "text": "\n".join(
                [
                    "TOKYO/SEOUL (Reuters) - Japan and South Korea agreed on Monday to resume "
                    "regular talks on trade after a pause of almost two years.",
                    "SEOUL (Reuters) - South Korea's trade minister said the first round would "
                    "be held in Busan next month.",
                ]
            ),
        },
    )
    second = post(
        client,
        {
            "url": "https://cnn.example/quake",
            "outlet": "CNN",
            "text": "(CNN) A powerful earthquake struck off the coast of northern Chile on "
            "Saturday, shaking buildings in three coastal cities.",
        },
    )
    for accepted in (first, second):
        out = brief(client, accepted["story_id"], max_words=400)
        assert out["sentences"]
        for sentence in out["sentences"]:
            assert not sentence["text"].startswith(("TOKYO", "SEOUL", "(CNN)"))
    texts = {s["text"] for s in brief(client, first["story_id"], max_words=400)["sentences"]}
    assert (
        "South Korea's trade minister said the first round would be held in Busan next month."
        in texts
    )


# ------------------------------------------------------------------------- sentence splitting
def test_a_m_before_a_weekday_or_time_zone_stays_one_sentence(client: Client) -> None:
    shooting = (
        "The shooting happened at 2:30 a.m. Sunday outside a bar on Fremont Street, police said."
    )
    flight = "The flight, which left at 9 a.m. Eastern time, landed safely in Denver on Monday."
    cut = "The vote came in Sept. Lawmakers said it would be revised next spring."
    accepted = post(
        client,
        {"url": "https://w.example/t", "outlet": "W", "text": f"{shooting} {flight}\n{cut}"},
    )
    sentences = stored_sentences(client, accepted["article_id"])
    assert sentences == [
        shooting,
        flight,
        "The vote came in Sept.",
        "Lawmakers said it would be revised next spring.",
    ]
    out = brief(client, accepted["story_id"], max_words=400)
    assert not any(s["text"].startswith("Sunday") for s in out["sentences"])


# ------------------------------------------------------------------------- URL identity
MUSEUM = "\n".join(
    [
        "Thieves broke into the Marlow city museum overnight and took three gold brooches from a "
        "display case in the main hall, police said on Wednesday.",
        "The museum said the brooches had been insured for about 2.4 million dollars and that "
        "its alarm system had been switched off for repairs.",
    ]
)


def test_url_variants_are_one_article(client: Client) -> None:
    base = "https://News.Example/2026/museum-theft"
    first = post(client, {"url": base, "outlet": "News", "text": MUSEUM})
    assert first["canonical_url"] == "https://news.example/2026/museum-theft"
    for variant in (
        base + "/",
        base + "?utm_source=rss&utm_medium=feed",
        "https://news.example:443/2026/museum-theft/?fbclid=abc#comments",
    ):
        again = post(client, {"url": variant, "outlet": "News", "text": MUSEUM}, status=200)
        assert again["status"] == "unchanged"
        assert again["article_id"] == first["article_id"]
        assert again["canonical_url"] == first["canonical_url"]
    story = client.get(f"/stories/{first['story_id']}").json()
    assert [a["article_id"] for a in story["articles"]] == [first["article_id"]]


def test_the_same_outlet_posting_the_same_body_elsewhere_is_the_same_article(
    client: Client,
) -> None:
    first = post(client, {"url": "https://news.example/a/theft", "outlet": "News", "text": MUSEUM})
    moved = post(
        client,
        {"url": "https://news.example/b/other-slug", "outlet": "NEWS", "text": MUSEUM + "\n"},
        status=200,
    )
    assert moved["status"] == "unchanged"
    assert moved["article_id"] == first["article_id"]
    assert moved["canonical_url"] == "https://news.example/a/theft"
    # Another outlet carrying the same body is another article (wire copy).
    other = post(client, {"url": "https://wire.example/theft", "outlet": "Wire", "text": MUSEUM})
    assert other["status"] == "created"
    assert other["article_id"] != first["article_id"]


@pytest.mark.parametrize(
    "variant",
    [
        MUSEUM + "\n",
        MUSEUM.replace("\n", "\n\n"),
        "  " + MUSEUM.replace(" ", "  ") + "\r\n",
        MUSEUM.replace("\n", "\r\n").replace("police said", "police\u00a0said"),
    ],
)
def test_whitespace_only_reposts_are_unchanged(client: Client, variant: str) -> None:
    body = {"url": "https://news.example/ws", "outlet": "News", "title": "Theft", "text": MUSEUM}
    first = post(client, body)
    again = post(client, {**body, "text": variant}, status=200)
    assert again["status"] == "unchanged"
    assert again["story_id"] == first["story_id"]
    story = client.get(f"/stories/{first['story_id']}").json()["story"]
    assert story["version"] == 1
