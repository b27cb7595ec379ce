"""The language stage (service/pipeline/language.py) and the rules built on it.

Texts are written for these tests. The grouping rules are checked where they are decided: the
near-duplicate decision (lexical only for a language the embedder does not know) and the
regrouping pass (a cannot-link across languages).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from service.pipeline.dedup import DedupConfig, Neighbour, NewText, assign_clusters
from service.pipeline.language import (
    LanguageConfig,
    article_language,
    client_language,
    compatible,
    detect_language,
    embedder_understands,
)
from service.pipeline.lexical import signature
from service.pipeline.regroup import RegroupArticle, RegroupConfig, RegroupGroup, regroup


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The harbour authority closed two berths on Monday after a crane collapsed.", "en"),
        ("L'autorité portuaire a fermé deux quais lundi après l'effondrement d'une grue.", "fr"),
        (
            "Die Hafenbehörde schloss am Montag zwei Liegeplätze, nachdem ein Kran einstürzte.",
            "de",
        ),
        ("Портовые власти в понедельник закрыли два причала после обрушения крана.", "ru"),
        ("Οι λιμενικές αρχές έκλεισαν δύο αποβάθρες τη Δευτέρα μετά την κατάρρευση γερανού.", "el"),
        ("أغلقت سلطة الميناء رصيفين يوم الاثنين بعد انهيار رافعة.", "ar"),
        ("רשות הנמל סגרה ביום שני שני רציפים לאחר שמנוף קרס.", "he"),
        ("बंदरगाह प्राधिकरण ने सोमवार को एक क्रेन गिरने के बाद दो घाट बंद कर दिए।", "hi"),
        ("港务局周一在一台起重机倒塌后关闭了两个泊位。", "zh"),
        ("港湾局は月曜日、クレーンが倒壊した後、二つの岸壁を閉鎖した。", "ja"),
    ],
)
def test_detects_the_language_of_a_sentence_in_several_scripts(text: str, expected: str) -> None:
    guess = detect_language(text)
    assert guess.language == expected
    assert guess.confidence >= LanguageConfig().min_confidence
    assert guess.source == "detected"


@pytest.mark.parametrize("text", ["", "   ", "OK", "12 345 678", "Oslo", "AP", "Video"])
def test_short_or_ambiguous_text_is_undetermined(text: str) -> None:
    assert detect_language(text).language == "und"


def test_the_bars_decide_und() -> None:
    sentence = "The harbour authority closed two berths on Monday after a crane collapsed."
    assert detect_language(sentence, LanguageConfig(min_letters=1000)).language == "und"
    assert detect_language(sentence, LanguageConfig(min_confidence=1.0)).language == "und"
    assert detect_language(sentence, LanguageConfig(min_confidence=0.0)).language == "en"


def test_only_the_first_max_chars_are_read() -> None:
    french = "Le conseil municipal a voté le budget de la ville mardi soir. " * 3
    english = "The city council passed the budget on Tuesday night after a long debate. " * 20
    assert detect_language(french + english, LanguageConfig(max_chars=150)).language == "fr"
    assert detect_language(french + english).language == "en"


def test_a_client_tag_wins_and_keeps_its_primary_subtag() -> None:
    text = "The harbour authority closed two berths on Monday after a crane collapsed."
    guess = article_language("Crane collapse", text, client="pt-BR")
    assert (guess.language, guess.source, guess.confidence) == ("pt", "client", 1.0)
    assert client_language(" FR ") == "fr"
    assert client_language("und") == "und"
    for bad in ("", "english!", "e", "toolong-x", "12"):
        with pytest.raises(ValueError, match="language tag"):
            client_language(bad)


def test_title_counts_towards_detection() -> None:
    guess = article_language("Le maire démissionne après le scandale des marchés publics", "OK")
    assert guess.language == "fr"


def test_config_is_checked() -> None:
    with pytest.raises(ValueError, match="min_confidence"):
        LanguageConfig(min_confidence=1.5)
    with pytest.raises(ValueError, match="min_letters"):
        LanguageConfig(min_letters=-1)
    with pytest.raises(ValueError, match="max_chars"):
        LanguageConfig(max_chars=0)


def test_which_languages_the_embedder_understands_and_which_stories_allow_them() -> None:
    assert embedder_understands("en")
    assert not embedder_understands("fr")
    assert not embedder_understands("und")
    assert embedder_understands(None)  # a record stored before languages were kept
    assert compatible(frozenset(), "fr")
    assert compatible(frozenset({"fr"}), "fr")
    assert not compatible(frozenset({"en"}), "fr")
    assert not compatible(frozenset({"en", "fr"}), "en")
    assert compatible(frozenset({"en"}), None)


def _unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=8).astype(np.float32)
    return vector / np.linalg.norm(vector)


def test_a_lexical_only_text_needs_the_lexical_check_whatever_its_cosine() -> None:
    """An English-only embedder's high cosine between two French texts proves nothing."""
    vector = _unit(1)
    old = "Le conseil municipal a adopté mardi soir le nouveau plan de circulation du centre-ville."
    unrelated = "La finale du tournoi de tennis a été reportée à dimanche à cause de la pluie."
    copy = (
        "Le conseil municipal a adopté mardi soir le nouveau plan de circulation du centre ancien."
    )
    neighbours = {2: [Neighbour(1, 0.99, signature(old))]}
    config = DedupConfig()
    for text, joins in ((unrelated, False), (copy, True)):
        for lexical_only, expected in ((False, True), (True, joins)):
            new = NewText(2, vector, len(text.split()), signature(text), lexical_only)
            (got,), _ = assign_clusters([new], neighbours, {1: "c1"}, 2, config)
            assert (got.cluster_id == "c1") is expected, (text, lexical_only)


def _article(i: int, story: str, language: str | None) -> RegroupArticle:
    # Identical terms: only the language can keep them apart.
    terms = {"harbour": 3, "crane": 2, "collapse": 2, "berths": 1, f"word{i}": 1}
    return RegroupArticle(f"a{i}", story, int(story[1:]), terms, outlet=f"O{i}", language=language)


def test_regrouping_never_joins_two_languages() -> None:
    config = RegroupConfig(min_articles=3, link_z=-10.0, min_cosine=0.0)
    languages = ["en", "en", "fr", "fr", "en", "fr"]
    articles = [_article(i, f"s{i + 1}", lang) for i, lang in enumerate(languages)]
    plan = regroup(articles, config)
    by_id = {a.article_id: a.language for a in articles}
    groups = [{by_id[a] for a in g.article_ids} for g in plan.groups]
    assert all(len(g) == 1 for g in groups), groups
    assert sorted(len(g.article_ids) for g in plan.groups) == [3, 3]
    # The same articles with no language (records stored before languages were kept) join.
    legacy = [_article(i, f"s{i + 1}", None) for i in range(6)]
    assert len(regroup(legacy, config).groups) == 1


FRENCH_TOPICS = {
    "grève": [
        "Les conducteurs de bus de Lorvanne sont en grève depuis lundi pour réclamer une hausse "
        "des salaires, et aucune ligne ne circule dans le centre.",
        "La grève des chauffeurs de bus de Lorvanne entre dans son troisième jour ; la mairie "
        "propose une prime que les syndicats jugent insuffisante.",
        "À Lorvanne, les syndicats des conducteurs de bus ont rejeté l'offre de la mairie et "
        "prolongent la grève jusqu'à vendredi.",
    ],
    "vendanges": [
        "Les vendanges ont commencé avec deux semaines d'avance dans les vignes de Castelmont, "
        "après un été très chaud et sec.",
        "À Castelmont, les viticulteurs récoltent déjà leur raisin : la chaleur de l'été a "
        "avancé les vendanges de quinze jours.",
        "Les vignerons de Castelmont prévoient une petite récolte mais un vin de qualité, les "
        "vendanges ayant débuté très tôt cette année.",
    ],
}


def test_each_language_is_regrouped_over_its_own_articles() -> None:
    """A language's groups do not depend on another language's articles in the same pass."""
    from service.pipeline.lexical import _WORD

    def items(topics: dict[str, list[str]], language: str, start: int) -> list[RegroupArticle]:
        out: list[RegroupArticle] = []
        for text in (t for texts in topics.values() for t in texts):
            n = start + len(out)
            terms: dict[str, int] = {}
            for word in _WORD.findall(text.lower()):
                terms[word] = terms.get(word, 0) + 1
            out.append(RegroupArticle(f"a{n:03d}", f"s{n}", n, terms, f"O{n}", language=language))
        return out

    from tests.texts import TOPICS

    english = items(TOPICS, "en", 0)
    french = items(FRENCH_TOPICS, "fr", 100)
    config = RegroupConfig(min_articles=3)

    def partition(plan_groups: Sequence[RegroupGroup]) -> set[frozenset[str]]:
        return {frozenset(g.article_ids) for g in plan_groups}

    alone = partition(regroup(english, config).groups) | partition(regroup(french, config).groups)
    together = partition(regroup(english + french, config).groups)
    assert together == alone
    topic = {a.article_id: t for a, t in zip(french, ["g"] * 3 + ["v"] * 3, strict=True)}
    for group in partition(regroup(french, config).groups):
        assert len({topic[a] for a in group}) == 1  # no group mixes the two French stories
