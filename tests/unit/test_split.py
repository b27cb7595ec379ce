"""Tests of service.pipeline.split: examples for every rule, then hypothesis properties.

All texts are written for these tests.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.evaluation.textedge import load_sentence_cases, score_splitter
from service.pipeline.split import (
    SplitConfig,
    SplitParagraph,
    chunk_sentences,
    count_words,
    is_byline,
    split_article,
    split_sentences,
)


def texts(paragraphs: tuple[SplitParagraph, ...]) -> list[str]:
    return [p.text for p in paragraphs]


# --------------------------------------------------------------------------------------------
# count_words
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", 0), ("   \n\t ", 0), ("one", 1), ("  two\twords \n", 2), ("U.S. Gov. Smith.", 3)],
)
def test_count_words_counts_whitespace_tokens(text: str, expected: int) -> None:
    assert count_words(text) == expected


# --------------------------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "The U.S. Gov. Smith said on Sept. 3 that it will act.",
        "The vote is set for Jan. 14 in the state capital.",
        "The team was ranked No. 3 before the storm hit the stadium.",
        "The meeting began at 9 a.m. and lasted until 4 p.m. on Friday.",
        "Prices rose 3.5 percent over the year, the agency said.",
        "He said the plan ... would never work in practice.",
        "Wait... what happened to the second bus?",
        "Dr. Ana Ruiz and Mr. Tom Berg met Sen. Lia Park at the hall.",
        "Lt. Col. Ray Ode of Ft. Myers spoke near Mt. Hood on Tuesday.",
        "Capt. Ivo Sand, Sgt. Kim Roe and Gen. Al Mayer arrived first.",
        "Prof. Una Li and Rev. Sam Oaks visited St. Paul's in the morning.",
        "The Rev. Ken Pratt Jr. said the church would reopen.",
        "Approx. 5 people were waiting at the gate.",
        "It was warmer than usual in the U.S. capital this week.",
        "The U.S. Senate voted on the bill late on Tuesday.",
    ],
)
def test_single_sentences_are_not_broken(sentence: str) -> None:
    assert split_sentences(sentence) == (sentence,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Dr. Who agreed. Then he left.",
            ("Dr. Who agreed.", "Then he left."),
        ),
        (
            'He said, "It is done." Then he left the room.',
            ('He said, "It is done."', "Then he left the room."),
        ),
        (
            "She called it 'a good start.' Others disagreed.",
            ("She called it 'a good start.'", "Others disagreed."),
        ),
        (
            "“We will rebuild.” The mayor then left.",
            ("“We will rebuild.”", "The mayor then left."),
        ),
        (
            "Nobody knew what came next... The crowd went home.",
            ("Nobody knew what came next...", "The crowd went home."),
        ),
        (
            "Was it over? Nobody could say! The talks resume Monday.",
            ("Was it over?", "Nobody could say!", "The talks resume Monday."),
        ),
        (
            "It cost 3.5 million dollars. No. 3 seed won at 5 p.m. on Jan. 4. Then it rained.",
            (
                "It cost 3.5 million dollars.",
                "No. 3 seed won at 5 p.m. on Jan. 4.",
                "Then it rained.",
            ),
        ),
        # Jr. before a capitalised word ends a sentence; before a lowercase word it does not.
        (
            "The speech was given by Ken Pratt Jr. The crowd cheered.",
            ("The speech was given by Ken Pratt Jr.", "The crowd cheered."),
        ),
        # St. after a capitalised word is a street and may end a sentence; else it is Saint.
        (
            "The fire was on Elm St. The house burned down. They live in St. Louis now.",
            ("The fire was on Elm St.", "The house burned down.", "They live in St. Louis now."),
        ),
        (
            "Mount St. Helens erupted. Ash fell on the towns.",
            ("Mount St. Helens erupted.", "Ash fell on the towns."),
        ),
        # Words with inner capitals may start a sentence.
        (
            "The score was 3-2. iPhone sales rose. eBay said no.",
            ("The score was 3-2.", "iPhone sales rose.", "eBay said no."),
        ),
    ],
)
def test_sentence_boundaries(text: str, expected: tuple[str, ...]) -> None:
    assert split_sentences(text) == expected


def test_cut_without_whitespace_is_merged_so_join_reproduces_text() -> None:
    text = "The plan ended.Start again later. Next one came."
    result = split_sentences(text)
    assert " ".join(result) == text
    assert result == ("The plan ended.Start again later.", "Next one came.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It ended. ...", ("It ended. ...",)),
        ("Done! ?? Next one came.", ("Done! ??", "Next one came.")),
    ],
)
def test_punctuation_only_segment_joins_the_sentence_before(
    text: str, expected: tuple[str, ...]
) -> None:
    assert split_sentences(text) == expected


def test_title_merge_is_configurable() -> None:
    config = SplitConfig(title_abbreviations=())
    assert split_sentences("Dr. Who agreed.", config) == ("Dr.", "Who agreed.")
    assert split_sentences("Dr. Who agreed.") == ("Dr. Who agreed.",)


def test_split_sentences_collapses_whitespace_and_handles_blank() -> None:
    assert split_sentences("  One  thing\there.\n Two things there. ") == (
        "One thing here.",
        "Two things there.",
    )
    assert split_sentences("") == ()
    assert split_sentences(" \n\t") == ()


# --------------------------------------------------------------------------------------------
# Paragraphs: lines, filters, duplicates, cap
# --------------------------------------------------------------------------------------------


def test_single_and_blank_line_separators_and_collapsing() -> None:
    text = (
        "  The council met on Monday   to vote.\n"
        "The vote\tpassed by a wide margin.\r\n"
        "\n\n\n"
        "Residents welcomed the decision on Tuesday.\u2028"
        "The mayor said work starts soon."
    )
    result = split_article(text)
    assert texts(result) == [
        "The council met on Monday to vote.",
        "The vote passed by a wide margin.",
        "Residents welcomed the decision on Tuesday.",
        "The mayor said work starts soon.",
    ]
    assert [p.position for p in result] == [0, 1, 2, 3]
    assert result[0] == SplitParagraph(
        position=0,
        text="The council met on Monday to vote.",
        sentences=("The council met on Monday to vote.",),
    )


@pytest.mark.parametrize(
    "line",
    [
        "Advertisement",
        "- ADVERTISEMENT -",
        "Advertisement - scroll to continue",
        "Read more: The council's earlier vote on the bridge",
        "READ MORE",
        "Click here to get the latest updates.",
        "Sign up for our newsletter",
        "Sign up for the Morning Digest newsletter here.",
        "Subscribe",
        "Subscribe now for unlimited access to every story",
        "Follow us on Twitter and Facebook",
        "Share this article",
        "Share this story on social media",
        "All rights reserved.",
        "© 2031 Example Media Group. All rights reserved.",
        "Copyright © 2031 Example Wire Service",
        "Copyright 2031 Example Wire Service",
        "Related: Council approves the new bridge",
        "Related coverage: What the bridge vote means",
        "Image: A view of the river at dusk",
        "Photo: Jane Roe for Example News",
        "Crowds gather near the bridge on Monday. (AP Photo/Jane Roe)",
        "A worker repairs the road. (AP Photo/John Doe, File)",
        "Firefighters at the scene. (Photo by Jane Roe/Getty Images)",
        "Jane Roe/Getty Images",
        "Story continues below",
        "Story continues below advertisement",
        "This material may not be published, broadcast, rewritten or redistributed.",
        "1/8",
        "3 of 12",
        "Show all",
        "1/8 Show all",
    ],
)
def test_boilerplate_lines_are_dropped(line: str) -> None:
    body = "The council approved the bridge on Monday."
    assert texts(split_article(f"{body}\n{line}\n")) == [body]


@pytest.mark.parametrize(
    "line",
    [
        "Subscribers to the service rose by a third this year.",
        "The lawsuit against Getty Images was dismissed on Friday.",
        "Copyright law was rewritten by the assembly last spring.",
        "Advertisements for the new product ran all week long.",
        "Photographers waited outside the court for hours.",
        "Officials said 3 of the 12 bridges need urgent repairs.",
    ],
)
def test_news_sentences_resembling_boilerplate_are_kept(line: str) -> None:
    assert texts(split_article(line)) == [line]


def test_custom_boilerplate_patterns_replace_defaults() -> None:
    # The known-shape classifier (drop_non_news) is off here: this pins the patterns alone.
    config = SplitConfig(boilerplate_patterns=(r"breaking:.*",), drop_non_news=False)
    text = "BREAKING: something happened downtown\nAdvertisement for the new shop\n"
    assert texts(split_article(text, config)) == ["Advertisement for the new shop"]
    bare = SplitConfig(boilerplate_patterns=(), drop_non_news=False)
    assert texts(split_article(text, bare)) == [
        "BREAKING: something happened downtown",
        "Advertisement for the new shop",
    ]


@pytest.mark.parametrize(
    "line",
    [
        "By JOHN SMITH, Associated Press",
        "By Jane Doe and John Roe | Reuters",
        "BY ANA RUIZ AND TOM BERG, The Example Wire",
        "By Ana Ruiz in Lisbon",
        "By the Associated Press",
        "By J.R. Ode Jr., Staff Writer",
    ],
)
def test_bylines_are_dropped(line: str) -> None:
    assert is_byline(line)
    body = "The council approved the bridge on Monday."
    assert texts(split_article(f"{line}\n{body}")) == [body]


@pytest.mark.parametrize(
    "line",
    [
        "By the end of the day, officials had left the building.",
        "By Monday the river had risen above the old flood mark.",
        "By law, every vote must be counted twice by hand.",
        "Bystanders said the car had been speeding.",
        "By Ana Ruiz Is That You?",
    ],
)
def test_sentences_starting_with_by_are_not_bylines(line: str) -> None:
    assert not is_byline(line)


def test_long_by_line_is_not_a_byline() -> None:
    line = "By " + " ".join(["Name"] * 12)
    assert not is_byline(line)
    assert is_byline(line, max_words=20)


@pytest.mark.parametrize("line", ["***", "—", "…", "- - -", "• • •", "()"])
def test_punctuation_only_lines_are_dropped(line: str) -> None:
    body = "The council approved the bridge."
    assert texts(split_article(f"{line}\n{body}")) == [body]
    assert texts(split_article(line)) == []


def test_short_lines_dropped_unless_they_read_as_sentences() -> None:
    text = (
        "World News\n"  # 2 words, no final punctuation: header
        "Top Stories Today\n"  # 3 words, no final punctuation: header
        "Nobody was hurt.\n"  # 3 words ending with '.': a sentence, kept
        'He said "no."\n'  # 3 words, final punctuation inside quotes: kept
        "Is it over?\n"  # 3 words ending with '?': kept
        "Stop.\n"  # 1 word: below min_sentence_words, dropped
        "Not today.\n"  # 2 words: dropped
        "Four words are enough\n"  # 4 words: kept without punctuation (classifier off)
    )
    assert texts(split_article(text, SplitConfig(drop_non_news=False))) == [
        "Nobody was hurt.",
        'He said "no."',
        "Is it over?",
        "Four words are enough",
    ]
    # With the known-shape classifier (the default) a short Latin line without terminal
    # punctuation is a headline or list item, whatever its length in words.
    assert texts(split_article(text)) == ["Nobody was hurt.", 'He said "no."', "Is it over?"]


def test_min_paragraph_words_is_configurable() -> None:
    config = SplitConfig(min_paragraph_words=1, min_sentence_words=1, drop_non_news=False)
    assert texts(split_article("World News\nStop.", config)) == ["World News", "Stop."]


def test_exact_duplicates_dropped_keeping_first() -> None:
    text = (
        "The council approved the bridge.\n"
        "Work will start in the spring.\n"
        "The  council approved   the bridge.\n"  # same after whitespace collapsing
        "The council approved the bridge!\n"  # different text: kept
    )
    result = split_article(text)
    assert texts(result) == [
        "The council approved the bridge.",
        "Work will start in the spring.",
        "The council approved the bridge!",
    ]
    assert [p.position for p in result] == [0, 1, 2]


def test_max_paragraphs_caps_the_result() -> None:
    text = "\n".join(f"Paragraph number {i} of the report is here." for i in range(10))
    result = split_article(text, SplitConfig(max_paragraphs=3))
    assert texts(result) == [f"Paragraph number {i} of the report is here." for i in range(3)]


def test_only_boilerplate_and_whitespace_gives_empty() -> None:
    text = "\n\n  Advertisement \n\t\nBy JOHN SMITH, Associated Press\nRead more\n1/8\n***\n"
    assert split_article(text) == ()
    assert split_article("") == ()
    assert split_article(" \r\n \u2029 ") == ()


def test_paragraph_sentences_join_to_text() -> None:
    text = "Dr. Who agreed on Sept. 3. The U.S. team left at 5 p.m. Nobody   followed them."
    (paragraph,) = split_article(text)
    assert paragraph.sentences == (
        "Dr. Who agreed on Sept. 3.",
        "The U.S. team left at 5 p.m.",
        "Nobody followed them.",
    )
    assert " ".join(paragraph.sentences) == paragraph.text


# --------------------------------------------------------------------------------------------
# Re-chunking long blocks
# --------------------------------------------------------------------------------------------


def _sentence(i: int, words: int) -> str:
    return " ".join([f"Word{i}"] + ["alpha"] * (words - 2) + ["end."])


def test_long_block_is_rechunked_at_sentence_boundaries() -> None:
    # One block of 30 ten-word sentences (300 words > 220) and no newlines.
    sentences = [_sentence(i, 10) for i in range(30)]
    block = " ".join(sentences)
    result = split_article(block)
    assert len(result) > 1
    assert [p.position for p in result] == list(range(len(result)))
    assert [s for p in result for s in p.sentences] == sentences
    # Eight sentences (80 words = target_chunk_words) per chunk; the 60-word rest is no stub.
    assert [count_words(p.text) for p in result] == [80, 80, 80, 60]
    assert " ".join(texts(result)) == block


def test_paragraph_at_max_words_is_not_rechunked() -> None:
    config = SplitConfig(max_paragraph_words=40, target_chunk_words=10)
    block = " ".join(_sentence(i, 10) for i in range(4))  # exactly 40 words
    assert len(split_article(block, config)) == 1
    assert len(split_article(block + " One more sentence.", config)) > 1


def test_single_overlong_sentence_stays_whole() -> None:
    config = SplitConfig(max_paragraph_words=20, target_chunk_words=10)
    long_sentence = _sentence(0, 30)
    text = f"{long_sentence} Short one here now. Another short one."
    result = split_article(text, config)
    assert result[0].sentences == (long_sentence,)
    assert all(count_words(p.text) <= 20 for p in result[1:])


def test_chunk_sentences_rules() -> None:
    assert chunk_sentences([], 10, 20) == []
    four = ["a b c d."] * 2
    # 4 + 4 <= target 10: together.
    assert chunk_sentences(four, 10, 20) == [("a b c d.", "a b c d.")]
    # 6 + 6 = 12 passes target 10 but is closer to it (|12-10| = 2 < |6-10| = 4): joined.
    six = ["a b c d e f."] * 2
    assert chunk_sentences(six, 10, 20) == [tuple(six)]
    # ... but not past max_words.
    assert chunk_sentences(six, 10, 11) == [(six[0],), (six[1],)]
    # A stub tail (< target // 4 words) joins the chunk before.
    assert chunk_sentences(["a b c d e f g h i j.", "k."], 10, 20) == [
        ("a b c d e f g h i j.", "k.")
    ]
    # The tail stays apart when joining would pass max_words.
    assert chunk_sentences(["a b c d e f g h i j.", "k."], 10, 10) == [
        ("a b c d e f g h i j.",),
        ("k.",),
    ]


# --------------------------------------------------------------------------------------------
# Config validation and speed
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"min_paragraph_words": 0},
        {"max_paragraph_words": -1},
        {"target_chunk_words": 300},
        {"max_paragraphs": 0},
        {"language": ""},
        {"boilerplate_patterns": ("(unclosed",)},
    ],
)
def test_invalid_config_raises(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="SplitConfig"):
        dataclasses.replace(SplitConfig(), **changes)  # type: ignore[arg-type]


def test_thousand_word_article_splits_into_its_paragraphs() -> None:
    # Its speed is measured by `python -m bench profile`, not asserted here (a timed test
    # fails on a loaded machine without telling anything about the code).
    paragraph = (
        "The U.S. Gov. Ana Ruiz said on Sept. 3 that the state would act on the bridge. "
        "Officials in the capital were unsure what that meant for the budget. "
        "Dr. Tom Berg said the work would begin at 9 a.m. on Monday."
    )  # 44 words
    text = "\n".join(f"{paragraph} Item {i}." for i in range(22))  # ~1,000 words
    result = split_article(text + "\nA closing line for this run.")
    assert len(result) == 23
    assert all(len(p.sentences) == 4 for p in result[:22])


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

# Words, abbreviations and punctuation that exercise the splitter's rules.
_WORDS = (
    'the', 'council', 'said', 'on', 'Monday', 'that', 'U.S.', 'Gov.', 'Dr.', 'Sept.', 'No.', '3',
    '3.5', 'a.m.', 'p.m.', 'St.', 'Jr.', 'it', 'would', 'act', '...', 'plan', 'iPhone',
    '"quoted"', "'single'", '(aside)', '—', '-', ',', ';', ':', 'Advertisement', 'By', 'JOHN',
    'SMITH', 'Associated', 'Press', 'Read', 'more', '1/8', '©', 'e.g.', 'i.e.', 'Mr.', 'Ms.', 'x',
)  # fmt: skip
_END = st.sampled_from([".", "!", "?", '."', ".'", "...", "", "?”"])
_SEP = st.sampled_from([" ", "  ", "\t", "\n", "\n\n", " \r\n ", "\u00a0", "\n \n"])


@st.composite
def articles(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 25))):
        words = draw(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=15))
        parts.append(" ".join(words) + draw(_END))
        parts.append(draw(_SEP))
    return "".join(parts)


any_text = st.one_of(articles(), st.text(max_size=300))
small_config = SplitConfig(max_paragraph_words=30, target_chunk_words=12, min_paragraph_words=2)
configs = st.sampled_from([SplitConfig(), small_config])


def _check_invariants(text: str, config: SplitConfig) -> tuple[SplitParagraph, ...]:
    result = split_article(text, config)
    collapsed = " ".join(text.split())
    assert [p.position for p in result] == list(range(len(result)))
    assert len(result) <= config.max_paragraphs
    assert len({p.text for p in result}) == len(result)
    for p in result:
        assert p.sentences
        assert " ".join(p.sentences) == p.text
        assert p.text in collapsed
        for sentence in p.sentences:
            assert sentence
            assert sentence == sentence.strip()
            assert sentence in collapsed
        if count_words(p.text) > config.max_paragraph_words:
            assert len(p.sentences) == 1
    return result


@settings(max_examples=100, deadline=None)
@given(text=any_text, config=configs)
def test_property_invariants(text: str, config: SplitConfig) -> None:
    _check_invariants(text, config)


@settings(max_examples=50, deadline=None)
@given(text=any_text, config=configs)
def test_property_deterministic(text: str, config: SplitConfig) -> None:
    assert split_article(text, config) == split_article(text, config)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["Advertisement", "Read more", "Subscribe", "1/8", "Show all", "Related: x"]
            ),
            st.text(alphabet=" \t\u00a0\u3000", max_size=5),
        ),
        max_size=10,
    ),
    st.sampled_from(["\n", "\r\n", "\n\n", "\u2028"]),
)
def test_property_only_boilerplate_or_whitespace_is_empty(lines: list[str], sep: str) -> None:
    assert split_article(sep.join(lines)) == ()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=30), st.integers(5, 40))
def test_property_chunks_cover_in_order_and_respect_max(sizes: list[int], target: int) -> None:
    sentences = [_sentence(i, max(n, 2)) for i, n in enumerate(sizes)]
    max_words = target * 2
    chunks = chunk_sentences(sentences, target, max_words)
    assert [s for chunk in chunks for s in chunk] == sentences
    for chunk in chunks:
        assert chunk
        if len(chunk) > 1:
            assert sum(count_words(s) for s in chunk) <= max_words


def test_long_block_keeps_its_text_and_cuts_only_the_credit_sentence() -> None:
    # A body posted without line breaks that mentions a photo credit once, mid-way: the whole
    # line fully matches the Getty credit pattern, but it is an article, not a caption.
    first = " ".join(["The harbor ferry resumed service on Monday after a long repair."] * 4)
    credit = "Crews work on the hull (Photo by Sam Lee via Getty Images)."
    rest = " ".join(["Officials said the boats would run every twenty minutes again."] * 4)
    body = f"{first} {credit} {rest}"
    assert count_words(body) > SplitConfig().max_boilerplate_words
    paragraphs = split_article(body)
    texts = [p.text for p in paragraphs]
    assert texts == [first, rest]
    assert all(p.text in body for p in paragraphs)


def test_short_caption_line_is_still_dropped_whole() -> None:
    body = "Crews work on the hull (Photo by Sam Lee via Getty Images)\nThe ferry runs again today."
    assert [p.text for p in split_article(body)] == ["The ferry runs again today."]


# --------------------------------------------------------------------------------------------
# the measured bar on the hand-checked sentences (docs/EVALUATION.md)
# --------------------------------------------------------------------------------------------
def test_splitting_accuracy_on_the_held_out_sentences() -> None:
    data = Path(__file__).resolve().parents[1] / "data"
    cases = load_sentence_cases(data / "sentences_test.txt")
    assert len(cases) >= 100
    scores = score_splitter(cases, split_sentences)
    # Measured when written: exact 0.990, boundary precision 1.000, recall 0.972 (sentencex
    # alone: 0.780, 0.623, 0.917).
    assert scores.exact >= 0.97
    assert scores.boundary_precision >= 0.99
    assert scores.boundary_recall >= 0.95
    dev = score_splitter(load_sentence_cases(data / "sentences_dev.txt"), split_sentences)
    assert dev.exact == 1.0
