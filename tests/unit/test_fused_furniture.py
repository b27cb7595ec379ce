"""Furniture fused to a news sentence, and the brief's news-only and reference rules (issue 12).

Web text extracted without line breaks glues a photo caption, credit, headline, embedded post
or widget text to the front of the next news sentence, so the segmenter sees one sentence;
:func:`service.pipeline.boilerplate.news_start` finds where the news starts and
:func:`service.pipeline.split.split_article` keeps only that. Each fault kind met in the
hand-labelled briefs is one case here, with texts written for these tests (no publisher's
text), plus the texts that must stay whole (news copy with capitals mid-sentence).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service.pipeline.boilerplate import (
    Kind,
    classify_sentence,
    dateline_end,
    is_dated_caption,
    news_start,
)
from service.pipeline.split import split_article, split_sentences
from service.pipeline.summarize import SourceSentence, dangling_reference, summarize

DATA = Path(__file__).resolve().parents[1] / "data"


def news_part(sentence: str) -> str | None:
    start = news_start(sentence)
    return None if start is None else sentence[start:]


# --------------------------------------------------------------------------------------------
# news_start: each kind of fused furniture
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sentence", "news"),
    [
        # a caption label, the caption, a seam before a starter and a lower-case word
        (
            "Image copyright Valley Post Image caption Divers searched the lake for hours "
            "Dozens of volunteers joined the search for a missing fisherman on Sunday.",
            "Dozens of volunteers joined the search for a missing fisherman on Sunday.",
        ),
        # inside a caption a starter before a capital also marks the seam
        (
            "Image caption The ferry was found after a search that took 40 hours A Dunmore "
            "ferry that sank in a storm has been raised from the harbour floor.",
            "A Dunmore ferry that sank in a storm has been raised from the harbour floor.",
        ),
        # a headline without its final mark glued to the sentence after it
        (
            "Explosion reported near ferry terminal in Dunmore The blast shattered windows "
            "across the harbour district.",
            "The blast shattered windows across the harbour district.",
        ),
        # a headline ending in a name, then "The"
        (
            "Scene after a ferry sank in Dunmore, west Harbourshire The 52-year-old captain "
            "is being questioned by police.",
            "The 52-year-old captain is being questioned by police.",
        ),
        # drop-capital openings: "AT least"
        (
            "Dozens hurt in the blast at the terminal in Port Ellery AT least two people "
            "have been killed in a blast at a ferry terminal.",
            "AT least two people have been killed in a blast at a ferry terminal.",
        ),
        # a fragment cut short by extraction, then the lede
        (
            "A team of divers and volunteers have searched A large search operation is "
            "underway on the lake to find a missing fisherman.",
            "A large search operation is underway on the lake to find a missing fisherman.",
        ),
        # a bracketed photo credit, then the sentence
        (
            "(Maria Lenz/The Dunmore Ledger) Governor Ana Ruiz toured the flooded valley on "
            "Tuesday.",
            "Governor Ana Ruiz toured the flooded valley on Tuesday.",
        ),
        # a caption ending in a credit, then a wire dateline
        (
            "Governor Ana Ruiz in the valley (Photo: Tom Berg, Getty Images) DUNMORE -- In a "
            "surprise visit, the governor promised army engineers on Monday.",
            "In a surprise visit, the governor promised army engineers on Monday.",
        ),
        # an agency credit in brackets
        (
            "Captain Ivo Marsh lifts the trophy (Getty) The Harbour Hawks won the league for "
            "the first time since 1961.",
            "The Harbour Hawks won the league for the first time since 1961.",
        ),
        # an embedded post's signature
        (
            "pic.twitter.com/AbC123xyz -- Dunmore Fire (@DunmoreFire) March 4, 2026 Crews "
            "were called to the warehouse shortly after midnight.",
            "Crews were called to the warehouse shortly after midnight.",
        ),
        (
            "A photo posted by Ana Ruiz (@anaruiz) on Mar 4, 2026 at 9:15pm PST The singer "
            "thanked her fans in Dunmore on Wednesday.",
            "The singer thanked her fans in Dunmore on Wednesday.",
        ),
        # a credit in capitals before a starter (a caption region)
        (
            "SOCIAL MEDIA At least four people were hurt in Dunmore A convoy of ambulances "
            "reached the warehouse within minutes.",
            "A convoy of ambulances reached the warehouse within minutes.",
        ),
        # a kicker in capitals inside the sentence
        (
            "Ferreira finished second in front of his home crowd PLAYER OF THE DAY: Ivo Marsh "
            "scored twice in the final ten minutes.",
            "Ivo Marsh scored twice in the final ten minutes.",
        ),
        # widget text: a video player, a newsletter box, wire typesetting codes
        (
            "Skip Ad Ad Loading... x Embed x Share Governor Ana Ruiz met the mayors of the "
            "valley on Friday.",
            "Governor Ana Ruiz met the mayors of the valley on Friday.",
        ),
        (
            "Could not subscribe, try again later Invalid Email The Harbour Hawks beat the "
            "Rivermen 3-1 to win the league.",
            "The Harbour Hawks beat the Rivermen 3-1 to win the league.",
        ),
        (
            "&QL; Dunmore Savings bought a rival lender for $40 million on Monday.",
            "Dunmore Savings bought a rival lender for $40 million on Monday.",
        ),
        # a caption label, then a dateline and the news
        (
            "Photo DUNMORE, Harbourshire -- A ferry sank in the harbour on Sunday, officials said.",
            "A ferry sank in the harbour on Sunday, officials said.",
        ),
        # a caption the sentence cannot be told from: nothing is news
        (
            "Image caption The Hawks claimed the title after the match Dunmore leads the "
            "table with 61 points.",
            None,
        ),
        (
            "Mar. 4, 2026 The Harbour Hawks celebrate after winning the league.",
            None,
        ),
        (
            "A photo issued by the Harbour Authority of the ferry which sank near the pier.",
            None,
        ),
    ],
)
def test_the_news_part_of_a_sentence_with_fused_furniture(sentence: str, news: str | None) -> None:
    assert news_part(sentence) == news


@pytest.mark.parametrize(
    "sentence",
    [
        "According to The Dunmore Ledger, the ferry left port at noon.",
        'The senator told reporters that "The vote was never close," and left.',
        'He said "We will rebuild" before leaving the podium.',
        "Shares of Class A stock rose 4% after the report.",
        "The fans sang Believe It or Not as the team left the pitch.",
        "The Metropolitan Police released two photographs on Tuesday.",
        "The numbers are staggering: More than 10,000 homes lost power.",
        '"It was chaos. This is the worst storm in years," the mayor said.',
        "Game Seven drew 40 million viewers, the network said.",
        "The United Nations mission in the country said aid had reached Dunmore.",
        "Year Two of the programme will start in March, officials said.",
        "The agency (AFP) news service reported no casualties.",
        # scripts without case are never looked at
        "قالت منظمة WHO إن الوضع في المدينة خطير.",
        "Представитель МЧС сообщил, что пожар потушен.",
    ],
)
def test_news_copy_with_capitals_mid_sentence_stays_whole(sentence: str) -> None:
    assert news_start(sentence) == 0


def test_no_hand_checked_news_sentence_is_cut() -> None:
    # The held-out splitting set and the news lines of the labelled boilerplate sets.
    sentences: list[str] = []
    for name in ("sentences_dev.txt", "sentences_test.txt"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                sentences.extend(line.split(" || "))
    for name in ("boilerplate_dev.txt", "boilerplate_test.txt"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                label, _kind, _lang, text = line.split(" | ", 3)
                if label.strip() == "news":
                    sentences.extend(split_sentences(text))
    assert len(sentences) > 250
    assert [s for s in sentences if news_start(s) != 0] == []


# --------------------------------------------------------------------------------------------
# split_article keeps only the news part, and the invariants hold
# --------------------------------------------------------------------------------------------
def test_split_article_cuts_a_fused_caption_and_keeps_the_rest_of_the_line() -> None:
    body = (
        "Governor Ana Ruiz toured the valley. Image caption Divers searched the lake for "
        "hours Dozens of volunteers joined the search on Sunday. Nobody has been found.\n"
        "The search resumes at dawn."
    )
    paragraphs = split_article(body)
    texts = [p.text for p in paragraphs]
    assert texts == [
        "Governor Ana Ruiz toured the valley.",
        "Dozens of volunteers joined the search on Sunday. Nobody has been found.",
        "The search resumes at dawn.",
    ]
    collapsed = " ".join(body.split())
    for p in paragraphs:
        assert p.text in collapsed
        assert " ".join(p.sentences) == p.text


def test_split_article_drops_a_sentence_that_is_all_caption() -> None:
    body = (
        "The Hawks won the league on Saturday. Mar. 4, 2026 The Harbour Hawks celebrate "
        "after winning the league. Fans filled the streets of Dunmore."
    )
    texts = [p.text for p in split_article(body)]
    assert texts == ["The Hawks won the league on Saturday.", "Fans filled the streets of Dunmore."]


def test_rank_abbreviations_do_not_end_a_sentence() -> None:
    for rank in ("Spc.", "Pfc.", "Det.", "Insp.", "Cllr."):
        sentence = f"A military court found Army {rank} Ivo Marsh guilty of theft."
        assert split_sentences(sentence) == (sentence,)


# --------------------------------------------------------------------------------------------
# sentence kinds: list items, social posts; datelines in title case; dated captions
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("- The Harbour Council has launched a campaign for local flood plans.", Kind.HEADING),
        ('* Valley Post - "The toll passed 40."', Kind.HEADING),
        ("• Ferries resume on Monday.", Kind.HEADING),
        ("#ferry #dunmore I told you the harbour was not safe.", Kind.SOCIAL),
        ("Prices rose 5% - the most in a decade.", Kind.NEWS),
        ("— Bonjour, dit-il en entrant.", Kind.NEWS),
        ("The hashtag #dunmore trended all night.", Kind.NEWS),
    ],
)
def test_list_items_and_social_posts(sentence: str, kind: Kind) -> None:
    assert classify_sentence(sentence) is kind


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        (
            "Dunmore, March 4 (Xinhua) -- The ferry sank on Sunday.",
            "The ferry sank on Sunday.",
        ),
        ("Port Ellery, Harbourshire – The council voted to close the pier.", "The council"),
    ],
)
def test_title_case_datelines_with_a_qualifier_and_a_dash(text: str, rest: str) -> None:
    end = dateline_end(text, first_paragraph=False)
    assert end > 0
    assert text[end:].startswith(rest)


@pytest.mark.parametrize(
    "text",
    ["Smith, the mayor, said – nothing.", "Ana Ruiz, Governor, spoke at noon."],
)
def test_a_title_case_subject_is_no_dateline(text: str) -> None:
    assert dateline_end(text, first_paragraph=False) == 0


@pytest.mark.parametrize(
    ("sentence", "caption"),
    [
        ("Ivo Marsh waves to fans in Dunmore, Harbourshire, Sunday, March 1, 2026.", True),
        ("A Harbour Air A320 lands at Dunmore Airport on March 28, 2026.", True),
        ("The pier was opened on March 3, 2001.", False),
        ("The ferry will sail again on Jan. 5, 2027.", False),
        ("Ivo Marsh waves to fans in Dunmore.", False),
    ],
)
def test_dated_wire_captions(sentence: str, caption: bool) -> None:
    assert is_dated_caption(sentence) is caption


# --------------------------------------------------------------------------------------------
# the summariser: headlines, torn quotes and dated captions are never chosen; "The law allows"
# --------------------------------------------------------------------------------------------
def _sentence(text: str, article: str, paragraph: int, sentence: int = 0) -> SourceSentence:
    return SourceSentence(text, article, article.upper(), 1.0e9, paragraph, sentence, None)


def test_a_brief_never_chooses_a_headline_a_torn_quote_or_a_dated_caption() -> None:
    furniture = (
        "Ferry sinks off Dunmore as storm hits the harbour district hard",
        'Nothing will stop us. Rebuild the harbour district now".',
        "Harbour Air A320 lands at Dunmore Airport on March 28, 2026.",
    )
    sentences = []
    for n, article in enumerate(("a", "b", "c")):
        sentences += [
            _sentence(furniture[n], article, 0),
            _sentence("A ferry sank off Dunmore on Sunday, killing 12 passengers.", article, 1),
            _sentence("The storm closed the harbour district for two days.", article, 2),
        ]
    brief = summarize(sentences)
    assert brief.sentences
    chosen = {s.text for s in brief.sentences}
    assert chosen.isdisjoint(furniture)


@pytest.mark.parametrize(
    ("text", "heads"),
    [
        ("The law allows drivers to use hands-free phones.", {"law"}),
        ("The ministry plans new rules for ferries.", {"ministry"}),
        ("Whether the new design can be blamed on the storm is not clear.", {"new", "design"}),
    ],
)
def test_definite_openings_with_a_present_tense_verb_need_an_antecedent(
    text: str, heads: set[str]
) -> None:
    reference = dangling_reference(text)
    assert reference is not None
    assert reference.kind == "definite"
    assert set(reference.heads) == heads


@pytest.mark.parametrize(
    "text",
    [
        "The White House allows visitors on weekends.",
        "The death toll from the floods rose to 12.",
        "The Harbour Authority plans a new pier.",
    ],
)
def test_openings_that_introduce_their_referent(text: str) -> None:
    assert dangling_reference(text) is None


def test_a_brief_does_not_open_with_an_unintroduced_law() -> None:
    law = "The law allows drivers to use hands-free phones in an emergency."
    lede = "Dunmore banned hand-held phones for taxi drivers on Monday, the council said."
    sentences = []
    for article in ("a", "b", "c"):
        sentences += [_sentence(law, article, 0), _sentence(lede, article, 1)]
    brief = summarize(sentences)
    assert brief.sentences
    assert brief.sentences[0].text != law
