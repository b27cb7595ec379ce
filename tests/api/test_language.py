"""Languages through HTTP with the real model: stories and clusters never mix languages.

all-MiniLM-L6-v2 is English-only: it rates a French translation of an English report (same
numbers, same names) close to it, and unrelated French texts close to each other. Texts are
written for this test: an English report of a made-up factory fire and its French translation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from service.api.app import create_app
from service.pipeline.dedup import DedupConfig
from service.pipeline.group import GroupConfig
from service.pipeline.regroup import RegroupConfig
from tests.api.conftest import LOCAL, SettingsFactory, post

Client = TestClient[Litestar]

ENGLISH = "\n".join(
    [
        "A fire tore through the Halvern plastics factory in Millbrook early Tuesday, forcing "
        "300 residents to leave their homes, fire chief Dana Ruiz said.",
        "Crews fought the blaze for six hours before bringing it under control; two workers "
        "were taken to hospital with burns.",
        "The plant employs about 300 people and makes plastic parts for cars and household "
        "appliances.",
    ]
)
FRENCH = "\n".join(
    [
        "Un incendie a ravagé mardi matin l'usine de plastique Halvern à Millbrook, obligeant "
        "300 habitants à quitter leur domicile, a indiqué la cheffe des pompiers Dana Ruiz.",
        "Les pompiers ont combattu les flammes pendant six heures avant de les maîtriser ; deux "
        "ouvriers ont été hospitalisés pour des brûlures.",
        "L'usine emploie environ 300 personnes et fabrique des pièces en plastique pour "
        "l'automobile et l'électroménager.",
    ]
)
FRENCH_OWN = (
    "Le maire de Millbrook a ouvert le gymnase du lycée pour accueillir les familles évacuées "
    "pendant la nuit."
)
# Every article joins the story before it, any two paragraphs are near-duplicates on cosine
# alone: only the language rule can keep the English and the French apart.
EAGER = {
    "group": GroupConfig(join_similarity=-1.0, resume_similarity=-1.0, merge_similarity=-1.0),
    "dedup": DedupConfig(threshold=0.0, lexical_threshold=0.0, min_jaccard=0.0, min_words=0),
    "regroup": RegroupConfig(min_articles=3, link_z=-10.0, min_cosine=0.0),
}


@pytest.fixture
def make(make_settings: SettingsFactory, minilm: Any) -> Iterator[Any]:
    opened: list[Client] = []

    def build(**overrides: Any) -> Client:
        client = TestClient(create_app(make_settings(**overrides), embedder=minilm), base_url=LOCAL)
        client.__enter__()
        opened.append(client)
        return client

    yield build
    for client in reversed(opened):
        client.__exit__(None, None, None)


def article(outlet: str, text: str, title: str, **extra: Any) -> dict[str, Any]:
    return {
        "url": f"https://{outlet.lower().replace(' ', '')}.example/millbrook",
        "outlet": outlet,
        "title": title,
        "text": text,
        **extra,
    }


@pytest.mark.parametrize("config", ["default", "eager"])
def test_english_and_french_never_share_a_story_or_a_cluster(make: Any, config: str) -> None:
    client = make(**(EAGER if config == "eager" else {}))
    french = post(
        client, article("Le Quotidien", FRENCH, "Incendie à Millbrook : 300 habitants évacués")
    )
    copy = post(
        client,
        article("La Gazette", FRENCH + "\n" + FRENCH_OWN, "Millbrook : l'usine Halvern en feu"),
    )
    english = post(client, article("Wire", ENGLISH, "Fire forces 300 from homes in Millbrook"))
    assert (english["language"], french["language"], copy["language"]) == ("en", "fr", "fr")
    # The online decision keeps them apart (the regrouping pass is checked after it).
    assert english["story_id"] != french["story_id"]
    assert copy["story_id"] == french["story_id"]
    client.blocking_portal.call(client.app.state.wiredesk.regroup)

    def story(a: dict[str, Any]) -> str:
        got: str = client.get(f"/articles/{a['article_id']}").json()["story_id"]
        return got

    assert story(english) != story(french)
    assert story(french) == story(copy)
    clusters = client.get("/clusters", params={"min_outlets": 1}).json()["clusters"]
    for cluster in clusters:
        members = set(cluster["article_ids"])
        assert not (english["article_id"] in members and members - {english["article_id"]}), cluster

    def clusters_of(a: dict[str, Any]) -> set[str]:
        body = client.get(f"/articles/{a['article_id']}").json()
        return {p["cluster_id"] for p in body["paragraphs"]}

    assert clusters_of(french) <= clusters_of(copy)  # the copied paragraphs share clusters
    assert not clusters_of(english) & (clusters_of(french) | clusters_of(copy))
    detail = client.get(f"/stories/{story(french)}").json()
    assert detail["story"]["languages"] == ["fr"]
    assert {a["language"] for a in detail["articles"]} == {"fr"}
    brief = client.get(f"/stories/{story(french)}/brief").json()
    assert brief["text"].strip()
    assert client.get(f"/articles/{english['article_id']}").json()["language"] == "en"


def test_a_client_language_wins_and_a_bad_tag_is_refused(make: Any) -> None:
    client = make()
    sent = post(client, article("Wire", ENGLISH, "Fire in Millbrook", language="en-GB"))
    assert sent["language"] == "en"
    forced = post(client, article("Other", ENGLISH, "Fire in Millbrook", language="fr"))
    assert forced["language"] == "fr"
    assert forced["story_id"] != sent["story_id"]  # an exact copy, but another language
    bad = client.post("/articles", json=article("Bad", ENGLISH, "Fire", language="english!"))
    assert bad.status_code == 400, bad.text
    assert "language tag" in bad.json()["detail"]


def test_an_update_into_another_language_leaves_its_story(make: Any) -> None:
    client = make()
    first = post(client, article("Wire", ENGLISH, "Fire forces 300 from homes in Millbrook"))
    second = post(client, article("Echo", ENGLISH, "Millbrook factory fire"))
    assert second["story_id"] == first["story_id"]
    moved = post(client, article("Echo", FRENCH, "Incendie à Millbrook"), status=200)
    assert (moved["status"], moved["article_id"]) == ("updated", second["article_id"])
    assert moved["story_id"] != first["story_id"]
    story = client.get(f"/stories/{first['story_id']}").json()
    assert [a["article_id"] for a in story["articles"]] == [first["article_id"]]
    assert story["story"]["languages"] == ["en"]
    history = client.get(f"/stories/{first['story_id']}/history").json()["events"]
    assert history[0]["kind"] == "split_into", history  # the lineage names the departure
