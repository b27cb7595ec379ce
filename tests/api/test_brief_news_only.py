"""Only news sentences reach a brief, through HTTP (issue 12, faults 4-6 and 9).

Web text extracted without line breaks glues photo captions, credits, embedded posts, widget
text and headlines to the front of the next news sentence. Posted as such, the story's brief
must show the news sentences only, each verbatim from the articles, and must not open with a
definite description nothing introduced ("The law allows ..."). The texts are made up for
these tests.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import post

pytestmark = pytest.mark.integration

Client = TestClient[Litestar]

CAPTION = "Image caption Divers searched the flooded quarry for hours"
CREDIT = "(Maria Lenz/The Dunmore Ledger)"
SIGNATURE = "pic.twitter.com/AbC123xyz -- Dunmore Fire (@DunmoreFire) March 4, 2026"
WIDGET = "Skip Ad Ad Loading... x Embed x Share"
FURNITURE = (CAPTION, CREDIT, SIGNATURE, WIDGET, "Image caption", "pic.twitter.com", "Skip Ad")

LEDE = (
    "Dozens of volunteers joined the search for two missing quarry workers in Dunmore on "
    "Sunday after a flash flood swept through the pit."
)
NEWS = (
    "Rescue teams pumped water from the lower terraces through the night while police "
    "closed the road to the quarry.",
    "Crews were called to the quarry shortly after midnight when the retaining wall gave way.",
    "The quarry's owner, Harbour Aggregates, said it had suspended all work at the site.",
    "Governor Ana Ruiz visited the families of the missing workers on Monday morning.",
)


def body(outlet: str, published: str, *, fused: bool) -> dict[str, Any]:
    """One outlet's article; ``fused``: furniture glued to the front of each news sentence."""
    if fused:
        text = "\n".join(
            (
                f"{CAPTION} {LEDE}",
                f"{CREDIT} {NEWS[0]}",
                f"{SIGNATURE} {NEWS[1]}",
                f"{WIDGET} {NEWS[2]} {NEWS[3]}",
            )
        )
    else:
        text = "\n".join((LEDE, *NEWS))
    return {
        "url": f"https://{outlet.lower().replace(' ', '')}.example/quarry",
        "outlet": outlet,
        "title": "Volunteers search flooded quarry",
        "published_at": published,
        "text": text,
    }


def test_a_brief_of_articles_with_fused_captions_shows_news_sentences_only(
    client: Client,
) -> None:
    a = post(client, body("Valley Post", "2026-03-04T06:00:00Z", fused=True))
    b = post(client, body("Hill Courier", "2026-03-04T07:00:00Z", fused=True))
    c = post(client, body("Dunmore Ledger", "2026-03-04T08:00:00Z", fused=False))
    story_id = a["story_id"]
    assert b["story_id"] == story_id == c["story_id"]

    # The stored paragraphs of a fused article have lost the furniture, and kept the news.
    stored = client.get(f"/articles/{a['article_id']}").json()
    texts = [p["text"] for p in stored["paragraphs"]]
    assert not any(marker in t for t in texts for marker in FURNITURE), texts
    assert LEDE in texts
    assert all(any(sentence in t for t in texts) for sentence in NEWS), texts

    response = client.get(f"/stories/{story_id}/brief", params={"max_words": 120})
    assert response.status_code == 200, response.text
    brief = response.json()
    shown = [s["text"] for s in brief["sentences"]]
    assert shown, brief
    assert not any(marker in s for s in shown for marker in FURNITURE), shown
    assert set(shown) <= {LEDE, *NEWS}
    assert shown[0] == LEDE
    # The fused copies are the same sentences: every outlet is credited with the lede.
    lede = brief["sentences"][0]
    assert lede["outlets"] == ["Dunmore Ledger", "Hill Courier", "Valley Post"]


def test_a_brief_does_not_open_with_a_law_nothing_introduced(client: Client) -> None:
    law = "The law allows drivers to use hands-free phones in an emergency."
    lede = (
        "Dunmore banned hand-held phones for taxi drivers on Monday after a crash on the "
        "harbour road, the city council said."
    )
    rest = "Drivers caught with a phone in hand will pay a fine of $200 from April."
    story_id = ""
    for n, outlet in enumerate(("Valley Post", "Hill Courier", "Dunmore Ledger")):
        article = post(
            client,
            {
                "url": f"https://{outlet.lower().replace(' ', '')}.example/phones",
                "outlet": outlet,
                "title": "Dunmore bans hand-held phones for taxi drivers",
                "published_at": f"2026-03-0{n + 2}T06:00:00Z",
                "text": "\n".join((law, lede, rest)),
            },
        )
        story_id = story_id or article["story_id"]
        assert article["story_id"] == story_id
    brief = client.get(f"/stories/{story_id}/brief").json()
    shown = [s["text"] for s in brief["sentences"]]
    assert shown, brief
    assert shown[0] != law
