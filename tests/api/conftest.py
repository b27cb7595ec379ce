"""API fixtures and the made-up wire story the API and integration tests share.

The corpus is invented for these tests (no publisher's text): a factory fire reported by the
"AP" wire, re-told by four outlets (CBS, ABC, MSN, Yahoo). Each outlet copies some AP paragraphs
verbatim, rewrites others lightly, and adds one line of its own. Three unrelated one-article
stories (a library vote, a marathon, a comet) share nothing with it or with each other.

Integration tests import the corpus constants from here (``tests.api.conftest``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from service.api.app import create_app
from service.settings import Settings

# --------------------------------------------------------------------------- the wire story
AP = (
    "MILLBROOK, Ohio (AP) — A fire tore through a plastics factory on the edge of Millbrook "
    "early Tuesday, sending a column of black smoke over the small Ohio town and forcing "
    "hundreds of residents to leave their homes.",
    "Fire Chief Dana Ruiz said crews arrived within minutes of the first call and fought the "
    "blaze for more than six hours before bringing it under control.",
    "Two workers were taken to a hospital with burns, and one firefighter was treated for heat "
    "exhaustion, according to the county emergency management agency.",
    "State environmental officials were testing the air near the plant and urged people within "
    "a mile to keep their windows closed until further notice.",
    "The company that owns the factory, Halvern Polymers, said in a statement that it was "
    "cooperating with investigators and that the cause of the fire was not yet known.",
    "The plant employs about 300 people and makes plastic parts for cars and household appliances.",
)

# Light rewrites of AP paragraphs (a changed word or two, a reordered clause).
AP1_REWRITE = (
    "MILLBROOK, Ohio — A fire tore through a plastics factory on the edge of Millbrook early on "
    "Tuesday, sending a column of black smoke over the small Ohio town and forcing hundreds of "
    "residents from their homes."
)
AP2_REWRITE = (
    "Fire Chief Dana Ruiz said firefighters arrived within minutes of the first call and battled "
    "the blaze for more than six hours before bringing it under control."
)
AP4_REWRITE = (
    "State environmental officials were testing the air around the plant and urged anyone "
    "within a mile to keep windows closed until further notice."
)

OWN_LINE = {
    "CBS": "CBS News affiliate WKBN reported that the evacuation order covered about 400 homes "
    "north of the plant.",
    "ABC": "ABC News has reached out to Halvern Polymers for further comment on the safety record "
    "of the plant.",
    "MSN": "Residents who need shelter can go to the Millbrook High School gym, which the Red "
    "Cross opened on Tuesday morning.",
    "Yahoo": "Yahoo News will update this story as more information becomes available from "
    "local officials.",
}

FIRE_TITLES = {
    "CBS": "Fire tears through Millbrook plastics factory",
    "ABC": "Hundreds evacuated after Ohio factory fire",
    "MSN": "Millbrook factory fire forces evacuations",
    "Yahoo": "Ohio plastics plant blaze under control after six hours",
}

FIRE_TEXTS = {
    "CBS": "\n".join([AP[0], AP[1], AP[2], AP4_REWRITE, OWN_LINE["CBS"]]),
    "ABC": "\n".join([AP[0], AP2_REWRITE, AP[2], AP[4], OWN_LINE["ABC"]]),
    "MSN": "\n".join([AP[0], AP[2], AP[4], AP[5], OWN_LINE["MSN"]]),
    "Yahoo": "\n".join([AP1_REWRITE, AP[1], AP[3], AP[5], OWN_LINE["Yahoo"]]),
}

# Test clients talk to the app as a local client does: a server bound to loopback answers
# loopback Host names only (service/api/middleware.py).
LOCAL = "http://127.0.0.1"

OUTLETS = ("CBS", "ABC", "MSN", "Yahoo")

LIBRARY = "\n".join(
    [
        "RIVERTON, Vt. — The Riverton city council voted five to two on Monday night to borrow "
        "twelve million dollars for a new public library on the site of the old bus depot.",
        "Supporters said the current library, built in 1962, has a leaking roof, no elevator and "
        "too few outlets for the students who crowd its reading room every afternoon.",
        "Opponents argued that the council should first repair the town's aging water mains before "
        "taking on new debt for a building that many residents rarely visit.",
        "Construction is expected to begin next spring if voters approve the bond in a special "
        "election scheduled for November.",
    ]
)

MARATHON = "\n".join(
    [
        "A Kenyan runner making her debut at the distance won the Lakeshore Marathon on Sunday, "
        "pulling away from a pack of five women over the final three miles along the waterfront.",
        "Her winning time was the fastest ever recorded on the course, which organizers flattened "
        "this year by removing a long climb through the botanical gardens.",
        "More than eighteen thousand runners finished the race under cool and cloudy skies, and "
        "medical tents reported fewer cases of dehydration than in previous years.",
    ]
)

COMET = "\n".join(
    [
        "Astronomers at a mountaintop observatory in Chile have spotted a faint comet that will "
        "pass closest to the sun next March and may become visible to the naked eye.",
        "The icy visitor appears to come from the distant Oort cloud and is probably making its "
        "first trip into the inner solar system, which makes its brightness hard to predict.",
        "Amateur observers in the southern hemisphere are being asked to photograph it each night "
        "so that scientists can track how quickly its tail grows.",
    ]
)


def fire_article(outlet: str, **extra: Any) -> dict[str, Any]:
    """One outlet's article about the factory fire, as a POST /articles body."""
    body: dict[str, Any] = {
        "url": f"https://{outlet.lower()}.example/news/millbrook-fire",
        "outlet": outlet,
        "title": FIRE_TITLES[outlet],
        "text": FIRE_TEXTS[outlet],
    }
    body.update(extra)
    return body


def other_article(name: str, outlet: str = "NBC", **extra: Any) -> dict[str, Any]:
    """One of the unrelated stories (``library``, ``marathon`` or ``comet``)."""
    texts = {"library": LIBRARY, "marathon": MARATHON, "comet": COMET}
    titles = {
        "library": "Riverton council backs new library",
        "marathon": "Debut runner wins Lakeshore Marathon",
        "comet": "Newly found comet may brighten spring sky",
    }
    body: dict[str, Any] = {
        "url": f"https://{outlet.lower()}.example/{name}",
        "outlet": outlet,
        "title": titles[name],
        "text": texts[name],
    }
    body.update(extra)
    return body


# ------------------------------------------------------------------------------- fixtures
SettingsFactory = Callable[..., Settings]
ClientFactory = Callable[..., TestClient[Litestar]]


@pytest.fixture
def make_settings(tmp_path: Path, redis_url: str, redis_prefix: str) -> SettingsFactory:
    """Settings on the real Redis (unique prefix), the hash embedder and a temp data dir."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "embedder": "hash",
            "redis_url": redis_url,
            "redis_prefix": redis_prefix,
            "data_dir": tmp_path,
            "log_level": "WARNING",
            # The background regrouping pass would move articles at a moment of its own choosing
            # mid-test; test_background_regrouping turns it on where it is the subject.
            "regroup_delay_s": 3600.0,
        }
        values.update(overrides)
        return Settings(**values)

    return build


@pytest.fixture
def make_client(make_settings: SettingsFactory) -> Iterator[ClientFactory]:
    """Start test clients (lifespan entered); every one is closed after the test."""
    opened: list[TestClient[Litestar]] = []

    def build(**overrides: Any) -> TestClient[Litestar]:
        client = TestClient(create_app(make_settings(**overrides)), base_url=LOCAL)
        client.__enter__()
        opened.append(client)
        return client

    yield build
    for client in reversed(opened):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient[Litestar]:
    """A started app with default settings (hash embedder, real Redis)."""
    return make_client()


def health(client: TestClient[Litestar]) -> dict[str, Any]:
    """The /health body (whatever its status code)."""
    body: dict[str, Any] = client.get("/health").json()
    return body


def all_stories(client: TestClient[Litestar]) -> list[dict[str, Any]]:
    """Every live story, newest-updated first."""
    body = client.get("/stories", params={"limit": 500}).json()
    stories: list[dict[str, Any]] = body["stories"]
    return stories


def observe(http: httpx.Client) -> dict[str, Any]:
    """Everything a restart must preserve: every story (summary and detail) and article, whole."""
    stories = http.get("/stories", params={"limit": 500}).json()["stories"]
    out: dict[str, Any] = {"order": [s["story_id"] for s in stories], "stories": {}, "articles": {}}
    for s in stories:
        detail = http.get(f"/stories/{s['story_id']}").json()
        assert detail["story"] == s
        out["stories"][s["story_id"]] = detail
        for a in detail["articles"]:
            out["articles"][a["article_id"]] = http.get(f"/articles/{a['article_id']}").json()
    return out


def post(client: TestClient[Litestar], body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    """POST an article and return its JSON answer, asserting the status."""
    response = client.post("/articles", json=body)
    assert response.status_code == status, response.text
    out: dict[str, Any] = response.json()
    return out
