"""Pure ``summarize`` stage: one extractive, attributed brief per story.

Input: every sentence of every article in one story (:class:`SourceSentence`). Output: a
:class:`Brief` of whole, verbatim sentences, at most ``max_words`` words, each sentence attributed
to every article and outlet that carries it or a near-identical copy of it *stating the same
facts*, with the articles whose version states other facts listed as its variants.

Method: concept-coverage extractive summarisation, the unsupervised family with the best ROUGE-2
on DUC newswire.

0. **Datelines.** The first sentence of any paragraph loses a leading wire dateline
   ("WASHINGTON (AP) --", "SANTA ROSA, Calif. _", "TOKYO/SEOUL (Reuters) -", "(CNN) —"; see
   :func:`service.pipeline.boilerplate.dateline_end`): it is metadata, it spends the word
   budget, and without it the wire original and a reprint that dropped it are the same
   sentence. Nothing else is ever
   removed from a sentence.
1. **Group copies.** Sentences are tokenised (casefold, punctuation stripped). Identical token
   sequences are grouped through a dictionary; near-identical ones through an *exact* all-pairs
   set-similarity join on word sets: Jaccard >= ``near_duplicate_jaccard``, found with prefix
   filtering (Chaudhuri, Ganti & Kaushik 2006, "A primitive operator for similarity joins in data
   cleaning"; Bayardo, Ma & Srikant 2007, "Scaling up all pairs similarity search"): tokens are
   ordered rarest first and a set of ``n`` words indexes only its first ``n - ceil(t * n) + 1``
   tokens, so two sets can only pass the threshold if they share a prefix token. Every pair above
   the threshold is found, globally (no need to trust ``cluster_id``), without the O(n^2) scan.
   The components are *families* (one sentence as the outlets carry it); each family is cut
   into groups whose members state the same facts (:mod:`service.pipeline.facts`: numbers with
   sign, scale and unit, negation, antonym verbs, roles), so "killing 10 people" and "killing
   12 people" are one family and two groups. A group is one candidate: its representative is
   its earliest eligible member (published_at, then article_id, paragraph, sentence), its
   attribution is every member's article and outlet, and its variants are the other articles
   of its family whose sentence states different facts.
2. **Concepts** are word bigrams of stemmed content words, within a sentence (stopwords removed
   first), plus content unigrams at a lower weight. A concept's weight is its document
   frequency, counted over articles but damped within an outlet (``sum over outlets of
   1 + ln(articles of that outlet containing it)``) so that one outlet's boilerplate cannot
   outweigh a fact that several outlets report, plus a share for every article that has it in
   its opening paragraphs (what reporters put first is the story's core; Yih et al. 2007).
   Concepts found in too few articles are dropped: a concept must be in 3 articles of a story
   of 5 or more, as in Gillick & Favre 2009 ("A Scalable Global Model for Summarization", ILP
   workshop at NAACL-HLT; the ICSI summariser), in 2 of a story of 3 or 4, and every concept
   counts in a story of one or two articles.
3. **Selection** maximises ``F(S) = sum of weights of concepts covered by S + sum over s in S of
   bonus(s)`` under the word budget. Coverage is monotone submodular and the bonus is modular
   (a lead-position prior ``1 / (1 + paragraph) ** alpha`` and the share of the story's outlets
   carrying the sentence, both scaled by the sentence's own concept value), so ``F`` stays monotone
   submodular and the cost-scaled greedy with a best-singleton check of Lin & Bilmes 2010
   ("Multi-document summarization via budgeted maximization of submodular functions", NAACL)
   applies: repeatedly add the sentence with the largest ``gain / words ** r`` that still fits,
   stopping early for sentences whose gain is a sliver of the first pick's (paraphrased filler),
   then return the better of that set and the best single sentence. Gains are evaluated lazily
   (Minoux 1978, "Accelerated greedy algorithms for maximizing submodular set functions"), which
   picks exactly what the plain greedy picks.
   A sentence that opens with an unresolved reference ("It is ...", "The embassy said ..."
   with no embassy named; :func:`dangling_reference`) waits until a chosen sentence can
   resolve it (its article's previous sentence for a pronoun; one naming the referent for a
   definite description).
4. **Redundancy.** No two chosen sentences may be near-identical or of one family (the same
   Jaccard test as in 1), nor restate one fact in other words (:func:`restates`: shared
   content stems cover ``restatement_overlap`` of the smaller sentence); coverage already
   discourages it, and the tests enforce it, at any length.
5. **Lede.** The brief opens with the best article opening the greedy chose (how early and
   how widely outlets open their reports with it, times its concept value); else with the
   best sentence it chose from the articles' lead paragraphs; else the best opening is chosen
   first and the greedy fills the rest (see ``SummarizeConfig.lede``).
6. **Reading order.** The lede, then the other chosen sentences by (published_at, article_id,
   paragraph_position, sentence_position) of their representative; a sentence with an opening
   reference moves to right after the sentence that resolves it, and one still unresolved is
   dropped, so no brief sentence opens with a dangling reference.

Guarantees: whole sentences only, never truncated, never edited (bar step 0's dateline); every
credited article carries its sentence with the same facts; total
words (whitespace-split, the same count as :attr:`Brief.word_count`) <= ``max_words``; at most
``max_sentences`` sentences; the result does not depend on the order of the input (everything
runs on a canonically sorted copy, concept ids are assigned in that order and every tie is broken
by it); empty input gives an empty brief, and so does a story whose every eligible sentence is
longer than the budget (nothing is cut to fit).

Languages: words are whitespace-separated tokens and the stopword list is English, so scripts
written without spaces (Chinese, Japanese, Thai) yield no candidates of ``min_candidate_words``.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from service.pipeline.boilerplate import (
    Kind,
    classify_sentence,
    dominant_script,
    is_all_caps_heading,
    is_dated_caption,
    strip_dateline,
)
from service.pipeline.facts import fact_signature, same_facts

__all__ = [
    "Brief",
    "BriefSentence",
    "SourceSentence",
    "SummarizeConfig",
    "Variant",
    "dangling_reference",
    "restates",
    "summarize",
]


@dataclass(frozen=True, slots=True)
class SourceSentence:
    """One sentence of one ingested article, as the summariser sees it.

    Attributes:
        text: Verbatim sentence text.
        article_id: Id of the article the sentence belongs to.
        outlet: The article's outlet (publisher).
        published_at: The article's publication time, POSIX seconds (the service fills the
            ingestion time when the publisher gives none).
        paragraph_position: 0-based index of the sentence's paragraph in its article.
        sentence_position: 0-based index of the sentence within its paragraph.
        cluster_id: Near-duplicate paragraph cluster of the sentence's paragraph (the same id
            marks copies across outlets), or None. Informational: the summariser finds
            near-identical sentences itself, across all clusters.
    """

    text: str
    article_id: str
    outlet: str
    published_at: float
    paragraph_position: int
    sentence_position: int
    cluster_id: str | None


@dataclass(frozen=True, slots=True)
class Variant:
    """Another article's version of a brief sentence that states different facts.

    Attributes:
        outlet: The article's outlet.
        article_id: The article.
        text: Its sentence, verbatim (less a leading wire dateline), e.g. the same sentence with
            "12 people" where the brief sentence says "10 people".
    """

    outlet: str
    article_id: str
    text: str


@dataclass(frozen=True, slots=True)
class BriefSentence:
    """One sentence of a brief with its attribution.

    Attributes:
        text: Verbatim text of the chosen representative sentence: exactly one input ``text``,
            less a leading wire dateline when it is its article's first sentence.
        article_ids: Every article carrying this sentence or a near-identical one that states
            the same facts (:func:`service.pipeline.facts.same_facts`); sorted, unique.
        outlets: Those articles' outlets; sorted, unique.
        source_article_id: The article the representative text was taken from (the earliest
            published eligible copy; ties by article_id, paragraph, sentence).
        score: The sentence's marginal gain in the selection objective when it was chosen
            (concept weight newly covered plus its position/support bonus); the scores of a brief
            sum to its objective value (less any sentence the reading order drops as
            unresolved).
        variants: Articles that carry a near-identical sentence stating *different* facts
            (another number, a negation, a flipped verb, swapped roles), one per article, in
            reading order; never an article of ``article_ids``.
    """

    text: str
    article_ids: tuple[str, ...]
    outlets: tuple[str, ...]
    source_article_id: str
    score: float
    variants: tuple[Variant, ...] = ()


@dataclass(frozen=True, slots=True)
class Brief:
    """An extractive brief of one story.

    Attributes:
        sentences: Chosen sentences in reading order (chronological by their representative).
        outlets: Union of the sentences' outlets; sorted, unique.
    """

    sentences: tuple[BriefSentence, ...]
    outlets: tuple[str, ...]

    @property
    def text(self) -> str:
        """The sentences' texts (outer whitespace stripped) joined with single spaces."""
        return " ".join(sentence.text.strip() for sentence in self.sentences)

    @property
    def word_count(self) -> int:
        """Number of whitespace-separated words of :attr:`text` (the budget's unit)."""
        return len(self.text.split())


@dataclass(frozen=True, slots=True)
class SummarizeConfig:
    """Knobs of :func:`summarize`, with the reason for each default.

    "DUC 2003" below: ROUGE-2 recall of the default brief on the 39 DUC 2003 clusters
    (rouge-score with stemming, averaged over the 4 references; sentences split by sentencex),
    changing one knob at a time; with 39 clusters, differences under ~0.003 are noise. Figures
    as fractions (0.083) were measured with the earlier defaults (concepts in 2 articles, no
    lead weight, datelines kept); figures as percentages (18.60 / 9.06: MultiLing's 10
    clusters at 250 words, DUC 2003 at 100) with today's, where MultiLing moves by a point
    or more between neighbouring values (10 clusters): read its figures as a plateau, not
    a ranking. docs/EVALUATION.md has the commands.

    Attributes:
        max_words: Word budget (whitespace-split words). 100 is the DUC/TAC brief length.
        max_sentences: Optional cap on the number of sentences; None means only the word budget.
        min_candidate_words: Shorter sentences are never chosen: 6 words drops fragments,
            datelines, photo credits and "He declined to comment." lines that carry no news.
        max_candidate_words: Longer sentences are never chosen: a 60-word sentence would spend
            most of a 100-word budget and in scraped text is usually a run-on of list items or a
            sentence-splitting failure (DUC 2003: 0.083 at 50, 60 and 80; 0.074 at 40).
        near_duplicate_jaccard: Two sentences are near-identical when the Jaccard similarity of
            their casefolded word sets is at least this. 0.8 keeps one changed word in a 9-word
            sentence, two in a 20-word one; on MRPC's news pairs (all lexically close by
            construction) 97.9% of pairs at or above 0.8 are labelled same-meaning (94.9% at
            0.7), so attribution stays precise.
        min_concept_articles: Cap of the concept filter: a concept counts only if it appears in
            at least ``floor(min_concept_share * articles)`` of the story's articles, but in no
            fewer than 2 and no more than this many (and never more than the most widely shared
            concept does, so something is always kept) ...
        min_concept_share: ... (the share: 0.6 gives 2 up to 4 articles, 3 from 5 on) ...
        concept_filter_min_articles: ... when the story has at least this many articles; with
            one or two articles every concept is kept, or nothing would be left. Gillick &
            Favre 2009 keep concepts found in 3 or more of a set's 10 documents. Full sets (10
            articles each; ROUGE-2 recall MultiLing / DUC 2003): 17.07 / 8.10 at 2, 18.60 / 9.06
            at 3, 17.75 / 8.56 at 4. On 3-8 article samples of the same clusters (three seeds;
            docs/EVALUATION.md, "Briefs of smaller stories") a bar of 3 won from 5 articles on
            and lost at 3 and 4, where it leaves too few concepts to fill the brief.
        unigram_weight: Weight of a content-unigram concept relative to a bigram with the same
            document frequency; bigrams are the ICSI concept, unigrams add a little recall for
            key entities mentioned in different phrasings (DUC 2003: 0.083 at 0.2, 0.080 at 0
            and 0.1, 0.077 at 0.5).
        cost_exponent: ``r`` in the greedy's ``gain / words ** r``; Lin & Bilmes 2010 scale
            the cost down (r < 1) because a full cost over-prefers short sentences (DUC 2003:
            0.083 at r = 0.3, 0.080 at 0.5, 0.076 at 1, 0.081 at 0).
        position_alpha: Exponent of the lead prior ``1 / (1 + paragraph_position) ** alpha``,
            taken at the earliest paragraph of any copy of the sentence: news puts the key facts
            first (inverted pyramid), and "lead" is the strongest single baseline on DUC
            (DUC 2003: 0.083 at 1, 0.081 at 0.5, 0.080 at 2).
        position_weight: Scale of the lead prior, as a fraction of the sentence's own concept
            value (DUC 2003: 0.079 at 0, 0.083 at 0.25, 0.078 at 0.5 and 1, 0.072 at 2).
        lead_concept_weight: A concept found in an article's first ``lead_paragraphs``
            paragraphs weighs this much more per such article: what several reporters put first
            is the story's core (the early-position word importance of Yih et al. 2007,
            "Multi-document summarization by maximizing informative content-words", IJCAI;
            Hong & Nenkova 2014). Unlike the article count it is not damped within an outlet:
            the sets have one to three outlets, and damping it cost 0.4 on MultiLing and 0.2
            on DUC. MultiLing / DUC 2003: 18.57 / 8.64 at 0, 18.22 / 8.94 at 0.25,
            18.60 / 9.06 at 0.5, 18.01 / 9.06 at 0.75, 18.28 / 8.79 at 1.
        lead_paragraphs: How many opening paragraphs count as an article's lead for
            ``lead_concept_weight`` (MultiLing / DUC 2003: 17.57 / 8.93 at 1, 18.60 / 9.06 at
            2, 17.95 / 9.10 at 3).
        support_weight: Scale of the support bonus (share of the story's outlets carrying the
            sentence or a near-copy), as a fraction of the sentence's own concept value: a
            sentence that several outlets copied is the story's agreed core. DUC has no
            cross-outlet copies, so 0.5 is a judgement, not a fit.
        skip_questions: Never choose sentences ending with "?": in news they are rhetorical or
            quoted questions, not statements of fact.
        min_gain_fraction: Stop filling the budget with sentences whose marginal gain is below
            this fraction of the first chosen sentence's gain: such a sentence only rephrases
            what the brief already says. At 0.05 ROUGE on DUC 2003 is unchanged (gains there
            rarely fall so low), while small stories lose their paraphrased filler.
        overflow: Evaluation only (never served): the greedy's next choice may cross the
            budget, and selection stops there, so that cutting the brief to ``max_words``
            words afterwards fills the budget exactly, as DUC/TAC scoring does. The brief is
            then longer than ``max_words`` until the caller cuts it.
        lede: Open the brief with a lede: the sentence that opens the earliest, most widely
            carried reports (:func:`_lede_support`: outlets opening an article with it,
            weighted ``1 / (1 + rank)`` by how early) times its concept value (how much of
            what the reports share it says). The lead of a news report is its strongest
            single summary (Brandow, Mitze & Rau 1995, "Automatic condensation of electronic
            publications by sentence selection", IP&M; Nenkova 2005, "Automatic text
            summarization of newswire: lessons learned from the Document Understanding
            Conference", AAAI: the lead baseline is hard to beat on single documents; See,
            Liu & Manning 2017, "Get to the point", ACL: lead-3 beats their abstractive
            model). But on multi-document sets a *forced* opening costs coverage (DUC 2003,
            lede chosen first whatever its ratio: 8.64 against 9.10 without a lede; the
            earliest report often leads with a precursor of the topic), so the lede is the
            best opening among the sentences the greedy chose, else the best sentence it
            chose from the articles' lead paragraphs (``lead_paragraphs``), and only if it
            chose neither the best opening is chosen first (DUC 2003 / MultiLing: 9.11 /
            18.36 this way, 9.02 / 18.36 without the lead-paragraph step, 9.10 / 18.36
            with no lede at all).
        lede_weight: Bonus of an article opening in the objective, times its lede support
            and its concept value. Chosen on DUC 2003 only (9.11 at 0, 9.00 at 0.25, 8.92
            at 0.5, 8.56 at 1); MultiLing, held out, moves the other way (18.36 / 18.91 /
            19.35 / 19.63): its WikiNews articles lead with the event itself.
        resolve_references: Never let a sentence open with an unresolved reference (a
            pronoun, or "The embassy said" with no earlier sentence naming the embassy;
            :func:`dangling_reference`); such a sentence waits until a chosen sentence
            introduces its referent and is placed after it. Off only for measurement: it
            costs MultiLing 0.25 ROUGE-2 (18.61 without it, no lede) and DUC 2003 nothing.
        restatement_overlap: Two brief sentences restate one fact when the shared content
            stems (numbers included) are at least this share of the smaller sentence's
            (overlap coefficient); the greedy never adds such a sentence, at any length.
            Chosen on MRPC *train* (3,668 news sentence pairs), text only: at 0.7 the test
            flags 75% of the pairs labelled same-meaning, and 79% of the pairs it flags are
            labelled same-meaning (most of the rest restate a fact and add one); 0.6 flags 89%
            at 74%, 0.8 57% at 83%. At 1.0 only a sentence wholly inside another is flagged.
        restatement_min_words: Sentences with fewer content stems are never tested for
            restatement: the overlap of two or three words says nothing.
    """

    max_words: int = 100
    max_sentences: int | None = None
    min_candidate_words: int = 6
    max_candidate_words: int = 60
    near_duplicate_jaccard: float = 0.8
    min_concept_articles: int = 3
    min_concept_share: float = 0.6
    concept_filter_min_articles: int = 3
    unigram_weight: float = 0.2
    cost_exponent: float = 0.3
    position_alpha: float = 1.0
    position_weight: float = 0.25
    lead_concept_weight: float = 0.5
    lead_paragraphs: int = 2
    support_weight: float = 0.5
    skip_questions: bool = True
    min_gain_fraction: float = 0.05
    overflow: bool = False
    lede: bool = True
    lede_weight: float = 0.0
    resolve_references: bool = True
    restatement_overlap: float = 0.7
    restatement_min_words: int = 4

    def __post_init__(self) -> None:  # noqa: PLR0912  # one check per knob
        """Validate ranges.

        Raises:
            ValueError: A knob is out of its range.
        """
        if self.max_words < 0:
            raise ValueError("max_words must be >= 0")
        if self.max_sentences is not None and self.max_sentences < 0:
            raise ValueError("max_sentences must be None or >= 0")
        if not 1 <= self.min_candidate_words <= self.max_candidate_words:
            raise ValueError("need 1 <= min_candidate_words <= max_candidate_words")
        if not 0.0 < self.near_duplicate_jaccard <= 1.0:
            raise ValueError("near_duplicate_jaccard must be in (0, 1]")
        if self.min_concept_articles < 1 or self.concept_filter_min_articles < 1:
            raise ValueError("concept article thresholds must be >= 1")
        if not 0.0 < self.min_concept_share <= 1.0:
            raise ValueError("min_concept_share must be in (0, 1]")
        if self.unigram_weight < 0.0 or self.lead_concept_weight < 0.0:
            raise ValueError("unigram_weight and lead_concept_weight must be >= 0")
        if self.lead_paragraphs < 0:
            raise ValueError("lead_paragraphs must be >= 0")
        if not 0.0 <= self.cost_exponent <= 1.0:
            raise ValueError("cost_exponent must be in [0, 1]")
        if not 0.0 <= self.min_gain_fraction <= 1.0:
            raise ValueError("min_gain_fraction must be in [0, 1]")
        if self.position_alpha < 0.0 or self.position_weight < 0.0 or self.support_weight < 0.0:
            raise ValueError("position_alpha, position_weight and support_weight must be >= 0")
        if not 0.0 < self.restatement_overlap <= 1.0:
            raise ValueError("restatement_overlap must be in (0, 1]")
        if self.restatement_min_words < 1:
            raise ValueError("restatement_min_words must be >= 1")


# --- text processing --------------------------------------------------------------------------

# A word: letters/digits, with inner apostrophes ("don't", "Reuters'"); underscores are not words.
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

# Byline sentences ("By JANE DOE and JOHN ROE, Associated Press Writers"): "By", then only
# capitalised words (and "and"/"of"/"the"). One word per repetition: no catastrophic backtracking.
_BYLINE = re.compile(r"^\W*(?i:by)(?:\s+(?:[A-Z][^\s,]*|and|of|the),?)+\W*$")

# Boilerplate that is never news: links and rights notices (casefolded substrings; plain "in"
# tests are ~10x faster than one alternation regex) and e-mail addresses (not "@handles"). Not
# the bare word "copyright": a sentence about a copyright case is news; rights lines
# ("Copyright 2026 ...") are caught by the known-shape classifier (pipeline.boilerplate).
_BOILERPLATE = ("http://", "https://", "www.", "©", "all rights reserved")
_EMAIL = re.compile(r"[\w.+-]@[\w-]+\.[\w.]")

# Closing quotes and brackets that may follow a sentence's final "?".
_TRAILING = "\"'’”»)] \t\n"

# English function words; "say"/"said"/"says"/"told" (the reporting verbs of almost every news
# sentence, which would otherwise make "police said" a story's heaviest concept); "mr"/"mrs"/"ms"
# and "one"/"two". A word list reads better as text than as 206 one-per-line literals.
_STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each even ever few for from further had hadn't has hasn't
    have haven't having he he'd he'll he's her here here's hers herself him himself his how
    how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's may me might
    more most must mustn't my myself no nor not now of off on once only or other ought our ours
    ourselves out over own per said same say says shall shan't she she'd she'll she's should
    shouldn't since so some still such than that that's the their theirs them themselves then
    there there's these they they'd they'll they're they've this those though through thus to
    told too under until up upon us very was wasn't we we'd we'll we're we've were weren't what
    what's when when's where where's whether which while who who's whom whose why why's will
    with within without won't would wouldn't yet you you'd you'll you're you've your yours
    yourself yourselves mr mrs ms one two
    """.split()  # noqa: SIM905
)

_VOWELS = frozenset("aeiouy")


def _stem(token: str) -> str:
    """Light suffix stripper: Harman's S-stemmer plus -ed/-ing and a final -e.

    Harman 1991 ("How effective is suffixing?", JASIS) for plurals; the -ed/-ing/-e rules are a
    small subset of Porter 1980 step 1b, enough to match "raise/raised/raises/raising". Only
    internal consistency matters (stems are never shown), and it is ~15x faster than NLTK's
    Porter stemmer.
    """
    if token.endswith(("'s", "’s")):
        token = token[:-2]
    if len(token) <= 3:
        return token
    if token.endswith("ies") and not token.endswith(("eies", "aies")):
        token = token[:-3] + "y"
    elif token.endswith("s") and not token.endswith(("aes", "ees", "oes", "us", "ss")):
        token = token[:-1]  # Harman's "es -> e" and "s -> " rules both drop the final "s"
    for suffix in ("ing", "ed"):
        base = token[: -len(suffix)]
        if token.endswith(suffix) and len(base) >= 3 and not _VOWELS.isdisjoint(base):
            token = base
            if token[-1] == token[-2] and token[-1] not in "lsz" and token[-1] not in _VOWELS:
                token = token[:-1]  # "stopped" -> "stopp" -> "stop"
            break
    if len(token) > 4 and token.endswith("e"):
        token = token[:-1]
    return token


def _looks_like_boilerplate(text: str) -> bool:
    """True for bylines, all-capitals headings and link/e-mail/rights lines."""
    stripped = text.strip()
    if is_all_caps_heading(stripped):
        return True  # capitals in a cased script (an Arabic sentence with "WHO" is not one)
    if classify_sentence(stripped) is not Kind.NEWS:
        return True  # teasers, credits, prompts, notes stored before the split stage knew them
    if _BYLINE.match(stripped):
        return True
    folded = stripped.casefold()
    if "@" in folded and _EMAIL.search(folded):
        return True
    return any(marker in folded for marker in _BOILERPLATE)


def _shown_text(sentence: SourceSentence) -> str:
    """The sentence as a brief shows it: verbatim, less a wire dateline opening its paragraph.

    The first sentence of any paragraph may carry one (see
    :func:`service.pipeline.boilerplate.dateline_end`: "WASHINGTON (AP) --", "TOKYO/SEOUL
    (Reuters) -", "(CNN) —"); there it is dropped ("WASHINGTON (AP) -- Rain fell." -> "Rain
    fell."), which also lets the original and a reprint without the dateline count as copies.
    """
    if sentence.sentence_position == 0:
        return strip_dateline(
            sentence.text.lstrip(), first_paragraph=sentence.paragraph_position == 0
        )
    return sentence.text


def _is_question(text: str) -> bool:
    """True when the sentence ends with "?", possibly inside closing quotes or brackets."""
    return text.rstrip(_TRAILING).endswith("?")


# --- references and restatements -------------------------------------------------------------

# A discourse connective or an opening quote may come before the reference: "But it said ...",
# "However, the company ...", "“It was ...".
_OPENING = re.compile(
    r"[\s\"'“‘«(\[]*(?:(?:but|and|yet|so|still|however|meanwhile|also|instead|now|then|thus|"
    r"indeed|moreover|furthermore|nonetheless|nevertheless|whether)\b,?\s+)?",
    re.IGNORECASE,
)
# Pronouns whose antecedent must come before (personal, possessive, "such", "both", "another").
_PRONOUNS = frozenset(
    "it its it's they their them theirs he his him she her hers such both another".split()  # noqa: SIM905
)
_DEMONSTRATIVES = frozenset("this that these those".split())  # noqa: SIM905
# "This year", "that week": deixis of time, resolved by the article's date, not by a sentence.
_TIME_WORDS = frozenset(
    "year week month morning afternoon evening night weekend summer spring autumn fall winter "  # noqa: SIM905
    "season time decade century quarter".split()
)
# Words that end a short definite subject: "The embassy said", "The company has", "The move
# comes". Past forms in -ed are verbs too ("The fire started").
_VERBS = frozenset(
    "said says say added adds told tells is was were are has have had will would could can "  # noqa: SIM905
    "may might must did does do also declined refused warned noted confirmed denied reported "
    "announced comes came remains remained called urged wants wanted plans planned includes "
    "included means meant marks marked shows showed follows followed makes made".split()
)


@dataclass(frozen=True, slots=True)
class Reference:
    """An unresolved reference opening a sentence.

    Attributes:
        kind: ``"pronoun"`` ("It", "They", "He", "This is ...") or ``"definite"`` (a short
            definite or demonstrative description as subject: "The embassy said", "This
            decision").
        heads: For ``definite``, the stems of the description's words (``embassy``): an
            earlier sentence that names one of them introduces it. Empty for pronouns.
    """

    kind: str
    heads: frozenset[str]


def _looks_like_verb(word: str, head: str) -> bool:
    """Whether ``word``, after the description's last word ``head``, reads as its verb.

    A past form in -ed ("The fire started"), or a present form in -s after a singular head
    ("The law allows", "The ministry plans"; not "The news reports", where the head ends in
    -s and the next word is more likely a noun of a compound).
    """
    if word.endswith("ed") and len(word) > 4:
        return True
    return (
        word.endswith("s")
        and not word.endswith(("ss", "us", "is"))
        and len(word) > 3
        and not head.endswith("s")
    )


def dangling_reference(text: str) -> Reference | None:  # noqa: PLR0911  # one per rule
    """The reference a sentence opens with that needs an antecedent before it, if any.

    Rules (English; news style): after an optional opening quote and connective ("But",
    "However,", "Whether"), a pronoun (It, They, He, She, Its, Their, Such, Both, Another), a
    demonstrative alone or with a noun ("This is", "These measures"; not "This year"), or
    "The" with one or two lower-case words and then a verb ("The embassy said", "The law
    allows", "The fire started"). "The" followed by a name ("The White House said") or by a
    longer description ("The death toll from the floods rose") introduces its referent itself.

    Args:
        text: The sentence as shown.

    Returns:
        The reference, or ``None`` when the sentence stands on its own.
    """
    rest = text[_OPENING.match(text).end() :]  # type: ignore[union-attr]  # always matches
    words = _WORD.findall(rest)[:4]
    if not words:
        return None
    first = words[0].casefold().replace("’", "'")
    if first in _PRONOUNS:
        return Reference("pronoun", frozenset())
    if first in _DEMONSTRATIVES:
        if len(words) == 1 or not words[1].islower() or words[1] in _VERBS:
            return Reference("pronoun", frozenset())  # "This is ...", "That was ..."
        if words[1] in _TIME_WORDS:
            return None
        return Reference("definite", frozenset(_stem(w) for w in words[1:3] if w.islower()))
    if first == "the":
        heads: list[str] = []
        for word in words[1:]:
            if not word.islower():
                return None  # a name: "The White House"
            if word in _VERBS or (heads and _looks_like_verb(word, heads[-1])):
                return Reference("definite", frozenset(_stem(w) for w in heads))
            heads.append(word)
            if len(heads) > 2:
                return None
    return None


def _content_stems(tokens: Sequence[str]) -> frozenset[str]:
    """Stems of a sentence's content words (numbers included)."""
    return frozenset(_stem(w) for w in tokens if w not in _STOPWORDS)


def restates(a: frozenset[str], b: frozenset[str], overlap: float, min_words: int) -> bool:
    """Whether two sentences restate one fact: shared content stems cover the smaller one.

    Args:
        a: One sentence's content stems (numbers included).
        b: The other's.
        overlap: Least overlap coefficient ``|a & b| / min(|a|, |b|)``.
        min_words: Sets smaller than this are never a restatement.
    """
    smaller = min(len(a), len(b))
    if smaller < min_words:
        return False
    return len(a & b) >= overlap * smaller - _EPS


# --- near-duplicate join ----------------------------------------------------------------------

_EPS = 1e-9  # guards ceil(t * n) and t * union against binary rounding (0.7 * 10 = 7.000...1)


def _is_near_duplicate(a: frozenset[str], b: frozenset[str], threshold: float) -> bool:
    """Jaccard(a, b) >= threshold; two empty sets are not duplicates of anything."""
    if not a or not b:
        return False
    inter = len(a & b)
    return inter >= threshold * (len(a) + len(b) - inter) - _EPS


def _find(parent: list[int], node: int) -> int:
    """Union-find root with path halving."""
    while parent[node] != node:
        parent[node] = parent[parent[node]]
        node = parent[node]
    return node


def _near_duplicate_components(sets: Sequence[frozenset[str]], threshold: float) -> list[int]:
    """Connected components of the graph "Jaccard >= threshold" over ``sets``.

    Exact: every pair at or above the threshold is verified (prefix filtering, see the module
    docstring). Runs in roughly linear time on text, since prefixes hold the rarest words.

    Args:
        sets: Word sets, in canonical order.
        threshold: Jaccard threshold in (0, 1].

    Returns:
        ``root[i]`` for every set: the smallest index of its component (deterministic).
    """
    return _components(sets, threshold, None)[0]


def _components(
    sets: Sequence[frozenset[str]],
    threshold: float,
    compatible: Callable[[int, int], bool] | None,
) -> tuple[list[int], list[int]]:
    """Components of "Jaccard >= threshold", and of "Jaccard >= threshold and compatible".

    Args:
        sets: Word sets, in canonical order.
        threshold: Jaccard threshold in (0, 1].
        compatible: A further test of a pair (by index); ``None`` passes every pair.

    Returns:
        ``(root, compatible_root)``: for every set the smallest index of its component in the
        first graph and in the second (a refinement of the first).
    """
    frequency: dict[str, int] = {}
    for words in sets:
        for word in words:
            frequency[word] = frequency.get(word, 0) + 1
    # Global token order: rarest first, ties by the word itself.
    rank = {word: r for r, (_, word) in enumerate(sorted((n, w) for w, n in frequency.items()))}
    parent = list(range(len(sets)))
    strict = list(range(len(sets)))
    index: dict[str, list[int]] = {}
    for i, words in enumerate(sets):
        if not words:
            continue
        ordered = sorted(words, key=rank.__getitem__)
        size = len(ordered)
        prefix = ordered[: size - math.ceil(threshold * size - _EPS) + 1]
        seen: set[int] = set()
        for word in prefix:
            bucket = index.setdefault(word, [])
            for j in bucket:
                if j in seen:
                    continue
                seen.add(j)
                other = sets[j]
                # Length filter: Jaccard >= t needs t * |larger| <= |smaller|.
                if threshold * max(size, len(other)) > min(size, len(other)) + _EPS:
                    continue
                if _is_near_duplicate(words, other, threshold):
                    _union(parent, i, j)
                    if compatible is None or compatible(i, j):
                        _union(strict, i, j)
            bucket.append(i)
    return [_find(parent, i) for i in range(len(sets))], [
        _find(strict, i) for i in range(len(sets))
    ]


def _union(parent: list[int], i: int, j: int) -> None:
    """Join the components of ``i`` and ``j`` under the smaller root."""
    root_i, root_j = _find(parent, i), _find(parent, j)
    if root_i != root_j:
        parent[max(root_i, root_j)] = min(root_i, root_j)


# --- the stage --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A group of near-identical sentences that may enter the brief."""

    rep: int  # index (canonical order) of the representative sentence
    members: tuple[int, ...]  # every sentence of the group, canonical order
    words: frozenset[str]  # casefolded word set of the representative (redundancy test)
    concepts: tuple[int, ...]  # weighted concept keys of the representative, ascending
    cost: int  # whitespace words of the representative
    bonus: float  # modular part of the objective
    family: int  # the family of near-identical sentences the group belongs to (see _group)
    stems: frozenset[str]  # content stems of the representative (restatement test)
    reference: Reference | None  # what the representative's opening refers back to


def _sort_key(sentence: SourceSentence) -> tuple[float, str, int, int, str, str, str]:
    """Canonical order: chronological, then every field so that ties are total."""
    return (
        sentence.published_at,
        sentence.article_id,
        sentence.paragraph_position,
        sentence.sentence_position,
        sentence.text,
        sentence.outlet,
        sentence.cluster_id or "",
    )


def _tokenize(text: str) -> list[str]:
    """Casefolded words, typographic apostrophes made plain; punctuation dropped."""
    return _WORD.findall(text.casefold().replace("’", "'"))


# Symbols the tokens drop but facts keep: percent, currency, a minus sign before a digit.
_FACT_SYMBOLS = re.compile(r"[%$€£¥₹]|(?<![\w.])[-−–](?=\d)")


def _group(
    tokens: Sequence[Sequence[str]], texts: Sequence[str], threshold: float
) -> tuple[list[list[int]], list[int], list[frozenset[str]]]:
    """Group sentences that are near-identical *and* state the same facts.

    A sentence's form is its token sequence with the fact symbols the tokens drop ("8%" and
    "8" tokenise alike but differ in facts); sentences of one form differ at most in case and
    punctuation, and state the same facts (:mod:`service.pipeline.facts`; a form's facts are
    its first sentence's, computed only for forms that have a near-identical partner, since
    fact signatures cost ~0.1 ms a sentence and most sentences have none). Forms are joined
    when their word
    sets pass the Jaccard test; such a component is a *family* (one sentence, as outlets
    carry it). A family is then cut into groups: components of the pairs that pass the
    Jaccard test and state the same facts, each cut again, greedily in canonical order, so
    that every two forms of a group pass the Jaccard test and state the same facts (neither
    is transitive: fact equality when one form has no word on an antonym axis or no named
    roles; near-identity along a chain of small edits, as a quote one outlet shortens and
    another annotates). Members of a group are credited together; the other groups of its
    family are its variants.

    Args:
        tokens: Words of each sentence, canonical order.
        texts: Each sentence as shown.
        threshold: Jaccard threshold of the near-duplicate test.

    Returns:
        ``(groups, family, word_sets)``: groups as ascending lists of sentence indices, ordered
        by their first member (sentences without words belong to no group); each group's
        family id; and each sentence's word set.
    """
    form_of: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}
    form_text: list[str] = []
    form_ids = []
    for words, text in zip(tokens, texts, strict=True):
        key = (tuple(words), tuple(_FACT_SYMBOLS.findall(text)))
        if key not in form_of:
            form_of[key] = len(form_of)
            form_text.append(text)
        form_ids.append(form_of[key])
    form_sets = [frozenset(words) for words, _ in form_of]

    def compatible(i: int, j: int) -> bool:
        return same_facts(fact_signature(form_text[i]), fact_signature(form_text[j]))

    family_root, fact_root = _components(form_sets, threshold, compatible)
    # Cut each fact component into cliques of same-fact forms (first fit, canonical order).
    cliques: dict[int, list[list[int]]] = {}
    clique_of: dict[int, tuple[int, int]] = {}
    for form in range(len(form_sets)):
        if not form_sets[form]:
            continue
        bins = cliques.setdefault(fact_root[form], [])
        if not bins:  # the component's first form: no fact comparison needed
            bins.append([form])
            clique_of[form] = (fact_root[form], 0)
            continue
        for b, members in enumerate(bins):
            if all(
                _is_near_duplicate(form_sets[form], form_sets[other], threshold)
                and compatible(form, other)
                for other in members
            ):
                members.append(form)
                clique_of[form] = (fact_root[form], b)
                break
        else:
            bins.append([form])
            clique_of[form] = (fact_root[form], len(bins) - 1)
    groups: dict[tuple[int, int], list[int]] = {}
    for i, form in enumerate(form_ids):
        if form_sets[form]:
            groups.setdefault(clique_of[form], []).append(i)
    ordered_groups = sorted(groups.values(), key=lambda members: members[0])
    family = [family_root[form_ids[members[0]]] for members in ordered_groups]
    return ordered_groups, family, [form_sets[form] for form in form_ids]


def _stem_ids(tokens: Sequence[Sequence[str]]) -> dict[str, int]:
    """Map every word of the story to a stem id, -1 for stopwords.

    Ids follow the sorted order of the distinct stems, so they never depend on input order.
    """
    vocabulary = set().union(*tokens)
    stem_of = {word: _stem(word) for word in vocabulary if word not in _STOPWORDS}
    stem_id = {stem: i for i, stem in enumerate(sorted(set(stem_of.values())))}
    ids = dict.fromkeys(vocabulary, -1)
    ids.update({word: stem_id[stem] for word, stem in stem_of.items()})
    return ids


def _concept_keys(tokens: Sequence[str], stem_ids: dict[str, int], base: int) -> list[int]:
    """Concept keys of one sentence: content-stem bigrams and unigrams, as integers.

    A unigram's key is ``-1 - id`` and a bigram's ``id_a * base + id_b``: keys never collide,
    since ``base`` exceeds every stem id, and they stay small integers that hash fast.
    """
    content = [i for i in map(stem_ids.__getitem__, tokens) if i >= 0]
    keys = [a * base + b for a, b in itertools.pairwise(content)]
    keys.extend([-1 - a for a in content])
    return keys


def _article_counts(
    concepts_of: Mapping[str, set[int]], outlet_of: Mapping[str, str]
) -> tuple[Counter[int], dict[int, float]]:
    """Articles containing each concept, and the correction that damps them within an outlet.

    The damped count is the sum over outlets of ``1 + ln(n_outlet)``, i.e. ``count -
    correction`` with ``correction = sum over outlets of (n - 1 - ln n)`` (0 for ``n = 1``,
    absent when every outlet has the concept in one article at most). Articles and outlets are
    visited in sorted order, so the float results never depend on input order.

    Args:
        concepts_of: Concept keys per article id.
        outlet_of: Outlet per article id (every key of ``concepts_of``).

    Returns:
        ``(count, correction)``: per concept key, the number of articles containing it; and the
        correction of the concepts some outlet has in several articles.
    """
    count: Counter[int] = Counter()
    per_outlet: dict[str, Counter[int]] = {}
    for article in sorted(concepts_of):
        count.update(concepts_of[article])
        per_outlet.setdefault(outlet_of[article], Counter()).update(concepts_of[article])
    correction: dict[int, float] = {}
    for outlet in sorted(per_outlet):
        for key, n in per_outlet[outlet].items():
            if n > 1:
                correction[key] = correction.get(key, 0.0) + (n - 1 - math.log(n))
    return count, correction


def _concept_weights(
    ordered: Sequence[SourceSentence], tokens: Sequence[Sequence[str]], config: SummarizeConfig
) -> tuple[list[frozenset[int]], dict[int, float]]:
    """Concepts of every sentence and the weight of every kept concept.

    A kept concept weighs its outlet-damped article count plus ``lead_concept_weight`` times
    the number of articles whose first ``lead_paragraphs`` paragraphs contain it (not damped:
    see :class:`SummarizeConfig`), times ``unigram_weight`` for a unigram. Concept keys come
    from stem ids assigned in sorted stem order, so keys, weights and sums never depend on
    input order or on string hashing.

    Args:
        ordered: Sentences, canonical order.
        tokens: Their words.
        config: Unigram and lead weights, document-frequency filter.

    Returns:
        ``(sentence_concepts, weight)``: the concept keys of each sentence; the weight of each
        kept concept (filtered concepts are absent, i.e. weigh nothing).
    """
    stem_ids = _stem_ids(tokens)
    base = 1 + len(stem_ids)  # more than any stem id
    sentence_concepts: list[frozenset[int]] = []
    article_concepts: dict[str, set[int]] = {}
    lead_concepts: dict[str, set[int]] = {}
    article_outlet: dict[str, str] = {}
    for sentence, words in zip(ordered, tokens, strict=True):
        keys = frozenset(_concept_keys(words, stem_ids, base))
        sentence_concepts.append(keys)
        article_concepts.setdefault(sentence.article_id, set()).update(keys)
        if sentence.paragraph_position < config.lead_paragraphs:
            lead_concepts.setdefault(sentence.article_id, set()).update(keys)
        article_outlet.setdefault(sentence.article_id, sentence.outlet)

    article_count, correction = _article_counts(article_concepts, article_outlet)
    lead_count: Counter[int] = Counter()
    for lead in lead_concepts.values():
        lead_count.update(lead)
    min_articles = 1
    if article_count and len(article_concepts) >= config.concept_filter_min_articles:
        # A share of the story's articles, at least 2 and at most min_concept_articles; never
        # above the most widely shared concept's count, so that something is always kept.
        share = math.floor(config.min_concept_share * len(article_concepts) + _EPS)
        wanted = min(config.min_concept_articles, max(2, share))
        min_articles = min(wanted, max(article_count.values()))
    weight: dict[int, float] = {}
    for key, n in article_count.items():
        if n >= min_articles:
            damped = n - correction.get(key, 0.0)
            value = damped + config.lead_concept_weight * lead_count[key]
            weight[key] = value * (config.unigram_weight if key < 0 else 1.0)
    return sentence_concepts, weight


def _eligible(text: str, config: SummarizeConfig) -> bool:
    """Whether a sentence may be chosen.

    Not when it is outside the length window, a question, boilerplate, a headline (a sentence
    in Latin script without terminal punctuation: feeds in Arabic, Devanagari, CJK or Cyrillic
    often drop the final mark and are kept), a piece of a quotation (its quote marks do not
    pair up: the segmenter cut a multi-sentence quote, and the piece lost its speaker or its
    opening) or a wire photo caption (:func:`service.pipeline.boilerplate.is_dated_caption`).
    """
    words = len(text.split())
    if not config.min_candidate_words <= words <= config.max_candidate_words:
        return False
    if config.skip_questions and _is_question(text):
        return False
    if not _ends_like_sentence(text) and dominant_script(text) == "LATIN":
        return False
    if _torn_quote(text) or is_dated_caption(text):
        return False
    return not _looks_like_boilerplate(text)


# Sentence-final marks of the scripts that have them, before any closing quotes or brackets.
_FINAL_MARKS = tuple(".!?…。！？｡।॥؟۔")


def _ends_like_sentence(text: str) -> bool:
    return text.rstrip(_TRAILING).endswith(_FINAL_MARKS)


def _torn_quote(text: str) -> bool:
    """Whether a sentence's double quote marks do not pair up.

    Straight ``"`` must come in an even number, curly ``“``/``”`` and TeX-style ```` `` ````/
    ``''`` (DUC's newswire) in equal numbers; single quotes are apostrophes too and are not
    counted.
    """
    if text.count('"') % 2:
        return True
    if text.count("“") != text.count("”"):
        return True
    return text.count("``") != text.count("''")


def _candidates(
    *,
    ordered: Sequence[SourceSentence],
    texts: Sequence[str],
    tokens: Sequence[Sequence[str]],
    groups: Sequence[Sequence[int]],
    family: Sequence[int],
    word_sets: Sequence[frozenset[str]],
    sentence_concepts: Sequence[frozenset[int]],
    weight: dict[int, float],
    config: SummarizeConfig,
) -> list[_Candidate]:
    """One candidate per group that has an eligible member fitting the budget.

    The representative is the group's first eligible member in canonical order. The bonus is the
    representative's own concept value times ``position_weight * lead prior + support_weight *
    outlet share``; the lead prior uses the earliest paragraph of any member, the outlet share is
    ``(outlets of the group - 1) / (outlets of the story - 1)`` (0 for a one-outlet story).

    Returns:
        Candidates ordered by representative index (canonical order).
    """
    story_outlets = len({s.outlet for s in ordered})
    candidates: list[_Candidate] = []
    for members, family_id in zip(groups, family, strict=True):
        rep = next((i for i in members if _eligible(texts[i], config)), None)
        if rep is None:
            continue
        cost = len(texts[rep].split())
        if cost > config.max_words:
            continue
        concepts = tuple(sorted(filter(weight.__contains__, sentence_concepts[rep])))
        value = sum(weight[c] for c in concepts)
        lead = max(0, min(ordered[i].paragraph_position for i in members))
        prior = 1.0 / (1.0 + lead) ** config.position_alpha
        support = 0.0
        if story_outlets > 1:
            group_outlets = len({ordered[i].outlet for i in members})
            support = (group_outlets - 1) / (story_outlets - 1)
        bonus = value * (config.position_weight * prior + config.support_weight * support)
        candidates.append(
            _Candidate(
                rep,
                tuple(members),
                word_sets[rep],
                concepts,
                cost,
                bonus,
                family_id,
                _content_stems(tokens[rep]),
                dangling_reference(texts[rep]) if config.resolve_references else None,
            )
        )
    candidates.sort(key=lambda cand: cand.rep)
    return candidates


def _antecedents(
    ordered: Sequence[SourceSentence], candidates: Sequence[_Candidate]
) -> list[frozenset[int]]:
    """For each candidate, the candidates holding the sentence before one of its members.

    The sentence before is the previous sentence of the same article (canonical order keeps an
    article's sentences together and in order): a pronoun's antecedent is there.
    """
    owner = {i: k for k, cand in enumerate(candidates) for i in cand.members}
    out = []
    for cand in candidates:
        before = {
            owner[i - 1]
            for i in cand.members
            if i > 0 and ordered[i - 1].article_id == ordered[i].article_id and i - 1 in owner
        }
        out.append(frozenset(before))
    return out


def _resolved(
    k: int,
    earlier: Sequence[int],
    candidates: Sequence[_Candidate],
    antecedents: Sequence[frozenset[int]],
) -> bool:
    """Whether candidate ``k``'s opening reference is resolved by the ``earlier`` sentences.

    A pronoun needs the sentence that precedes it in its article right before it (the last
    of ``earlier``); a definite description needs one of its words in an earlier sentence.
    """
    reference = candidates[k].reference
    if reference is None:
        return True
    if reference.kind == "pronoun":
        return bool(earlier) and earlier[-1] in antecedents[k]
    return any(not reference.heads.isdisjoint(candidates[j].stems) for j in earlier)


def _lede_support(
    ordered: Sequence[SourceSentence],
    candidates: Sequence[_Candidate],
    lead_paragraphs: int | None = None,
) -> dict[int, float]:
    """How early and how widely each candidate opens the story's reports.

    Each article's *opening* is its first sentence that belongs to a candidate (a headline, a
    byline or a fragment is never one). A candidate's support is the sum, over the outlets that
    open an article with it, of ``1 / (1 + r)``, ``r`` the rank (0 = earliest) of that
    outlet's earliest such article among the story's articles: the wire's lead, reprinted by
    every outlet, scores highest.

    Args:
        ordered: Sentences, canonical order.
        candidates: Every candidate.
        lead_paragraphs: ``None`` counts openings only; a number counts every sentence in
            an article's first ``lead_paragraphs`` paragraphs instead (the fallback pool).

    Returns:
        Support by candidate index; candidates that open no article are absent.
    """
    owner = {i: k for k, cand in enumerate(candidates) for i in cand.members}
    rank: dict[str, int] = {}
    opening: dict[str, tuple[int, str]] = {}
    lead: list[tuple[str, int, str]] = []  # (article, candidate, outlet)
    for i, sentence in enumerate(ordered):
        rank.setdefault(sentence.article_id, len(rank))
        if i not in owner:
            continue
        if sentence.article_id not in opening:
            opening[sentence.article_id] = (owner[i], sentence.outlet)
        if lead_paragraphs is not None and sentence.paragraph_position < lead_paragraphs:
            lead.append((sentence.article_id, owner[i], sentence.outlet))
    if lead_paragraphs is None:
        lead = [(article, k, outlet) for article, (k, outlet) in opening.items()]
    earliest: dict[int, dict[str, int]] = {}
    for article, k, outlet in lead:
        best = earliest.setdefault(k, {})
        best[outlet] = min(best.get(outlet, rank[article]), rank[article])
    return {k: sum(1.0 / (1.0 + r) for r in outlets.values()) for k, outlets in earliest.items()}


def _lede(
    candidates: Sequence[_Candidate],
    gains: Sequence[float],
    support: Mapping[int, float],
    among: Iterable[int] | None = None,
) -> int | None:
    """The candidate that opens the brief: the best-supported, most informative opening.

    Lede score: the candidate's standalone gain (its concept value: how much of what the
    story's reports share it says) times its :func:`_lede_support`. A candidate opening with
    an unresolved reference is never the lede.

    Args:
        candidates: Every candidate.
        gains: Standalone gain of each.
        support: Lede support by candidate (openings only).
        among: Only these candidates (``None``: every opening).

    Returns:
        The lede's index in ``candidates``, or ``None`` when no allowed candidate opens an
        article with a positive score (a sentence none of the story's shared concepts is in
        never opens a brief just because it comes first).
    """
    pool = support if among is None else [k for k in among if k in support]
    scored = [(gains[k] * support[k], -k) for k in pool if candidates[k].reference is None]
    scored = [(score, k) for score, k in scored if score > 0.0]  # a lede must say something
    return -max(scored)[1] if scored else None


def _value(cand: _Candidate, weight: Mapping[int, float]) -> float:
    """The candidate's own concept value (every concept counted)."""
    return sum(weight[c] for c in cand.concepts)


def _select(
    candidates: Sequence[_Candidate],
    weight: Mapping[int, float],
    config: SummarizeConfig,
    antecedents: Sequence[frozenset[int]],
    lede: int | None,
) -> list[tuple[_Candidate, float]]:
    """Lin & Bilmes 2010 cost-scaled greedy with lazy gains and the best-singleton check.

    A sentence is never added when it is near-identical to a chosen one or of the same family
    (another outlet's version of it), when it restates a chosen one (:func:`restates`), or
    when it opens with a reference no chosen sentence can resolve (:func:`_resolved`, against
    every chosen sentence: the reading order puts it after its antecedent later).

    Args:
        candidates: In canonical order; every one fits the budget on its own.
        weight: Concept weights by concept key (every candidate concept has one).
        config: Budget, max_sentences, cost exponent, near-duplicate threshold.
        antecedents: Per candidate, the candidates holding its article's previous sentence.
        lede: A candidate chosen first whatever its ratio (``None``: none). With a lede the
            best-singleton check is skipped: the brief must open with the lede.

    Returns:
        (candidate, marginal gain) pairs in selection order; ties go to the earlier candidate.
    """
    budget = config.max_words
    limit = config.max_sentences if config.max_sentences is not None else len(candidates)
    covered: set[int] = set()

    def gain(k: int) -> float:
        cand = candidates[k]
        return cand.bonus + sum(weight[c] for c in cand.concepts if c not in covered)

    def ratio(k: int, value: float) -> float:
        return value / math.pow(candidates[k].cost, config.cost_exponent)

    def redundant(k: int) -> bool:
        cand = candidates[k]
        return any(
            cand.family == candidates[j].family
            or _is_near_duplicate(cand.words, candidates[j].words, config.near_duplicate_jaccard)
            or restates(
                cand.stems,
                candidates[j].stems,
                config.restatement_overlap,
                config.restatement_min_words,
            )
            for j, _ in chosen
        )

    # Heap keys (-ratio, k): stale ratios only over-estimate (submodularity), so a popped entry
    # whose fresh key is still <= the heap's top is exactly the plain greedy's choice.
    standalone = [gain(k) for k in range(len(candidates))]
    heap = [(-ratio(k, value), k) for k, value in enumerate(standalone) if k != lede]
    heapq.heapify(heap)
    chosen: list[tuple[int, float]] = []
    waiting: list[int] = []  # unresolved references, back in the heap after each choice
    used = 0
    if lede is not None and limit > 0:
        chosen.append((lede, standalone[lede]))
        used += candidates[lede].cost
        covered.update(candidates[lede].concepts)
    while heap and len(chosen) < limit and used < budget:
        _, k = heapq.heappop(heap)
        cand = candidates[k]
        crosses = used + cand.cost > budget
        if (crosses and not config.overflow) or redundant(k):
            continue  # it can never fit or stop being redundant later: drop it for good
        if not _resolved_by_any(k, [j for j, _ in chosen], candidates, antecedents):
            waiting.append(k)  # nothing chosen introduces what it refers to yet
            continue
        fresh = gain(k)
        floor = config.min_gain_fraction * chosen[0][1] if chosen else 0.0
        if fresh <= floor:
            continue  # filler: it adds (almost) nothing new, and gains only shrink: drop it
        key = (-ratio(k, fresh), k)
        if heap and key > heap[0]:
            heapq.heappush(heap, key)
            continue
        chosen.append((k, fresh))
        used += cand.cost
        covered.update(cand.concepts)
        for j in waiting:  # the new sentence may introduce what they refer to
            heapq.heappush(heap, (-ratio(j, standalone[j]), j))
        waiting.clear()
        if crosses:
            break  # overflow mode: the budget is full once a sentence crosses it

    if lede is not None:
        return [(candidates[k], value) for k, value in chosen]
    # Best-singleton check (Lin & Bilmes 2010, Algorithm 1): guards the cost-scaled greedy
    # against cheap picks that crowd out one long, valuable sentence (never one that opens
    # with a dangling reference: it would stand alone).
    total = sum(value for _, value in chosen)
    best = max(
        (k for k in range(len(candidates)) if candidates[k].reference is None),
        key=lambda k: (standalone[k], -k),
        default=None,
    )
    if best is not None and standalone[best] > total:
        return [(candidates[best], standalone[best])]
    return [(candidates[k], value) for k, value in chosen]


def _resolved_by_any(
    k: int,
    chosen: Sequence[int],
    candidates: Sequence[_Candidate],
    antecedents: Sequence[frozenset[int]],
) -> bool:
    """Whether some order of the ``chosen`` sentences resolves candidate ``k``'s reference."""
    reference = candidates[k].reference
    if reference is None:
        return True
    if reference.kind == "pronoun":
        return not antecedents[k].isdisjoint(chosen)
    return _resolved(k, chosen, candidates, antecedents)


def _reading_order(
    chosen: Sequence[int],
    lede: int | None,
    candidates: Sequence[_Candidate],
    antecedents: Sequence[frozenset[int]],
) -> list[int]:
    """The brief's order: the lede, then canonical order, each reference after its antecedent.

    A sentence whose reference is not resolved by the sentences before it moves to right after
    the first sentence that resolves it (its article's previous sentence for a pronoun, the
    first sentence naming the description's head otherwise); whatever is still unresolved after
    that is dropped, so no brief sentence opens with a dangling reference.

    Args:
        chosen: Chosen candidate indices (any order).
        lede: The lede, placed first (``None``: canonical order from the start).
        candidates: Every candidate.
        antecedents: Per candidate, the candidates holding its article's previous sentence.

    Returns:
        Candidate indices in reading order.
    """
    rest = sorted(k for k in chosen if k != lede)
    order = ([lede] if lede is not None and lede in chosen else []) + rest
    for _ in range(len(order) ** 2):  # a pass moves one sentence; bounded against cycles
        moved = False
        for pos, k in enumerate(order):
            if _resolved(k, order[:pos], candidates, antecedents):
                continue
            others = order[:pos] + order[pos + 1 :]
            at = next(
                (n for n in range(1, len(others) + 1)
                 if _resolved(k, others[:n], candidates, antecedents)),
                None,
            )  # fmt: skip
            if at is not None:
                order = [*others[:at], k, *others[at:]]
                moved = True
                break
        if not moved:
            break
    kept: list[int] = []
    for k in order:
        if _resolved(k, kept, candidates, antecedents):
            kept.append(k)
    return kept


def _variants(
    cand: _Candidate,
    family_members: Sequence[int],
    ordered: Sequence[SourceSentence],
    texts: Sequence[str],
) -> tuple[Variant, ...]:
    """Articles of the candidate's family that carry it with different facts (one each)."""
    credited = {ordered[i].article_id for i in cand.members}
    rep = fact_signature(texts[cand.rep])
    seen: set[str] = set()
    out = []
    for i in family_members:
        article = ordered[i].article_id
        if article in credited or article in seen or same_facts(fact_signature(texts[i]), rep):
            continue
        seen.add(article)
        out.append(Variant(ordered[i].outlet, article, texts[i]))
    return tuple(out)


def summarize(
    sentences: Sequence[SourceSentence], config: SummarizeConfig = SummarizeConfig()
) -> Brief:
    """Write one extractive, attributed brief for a story.

    Args:
        sentences: Every sentence of every article of the story, in any order (the result does
            not depend on it). Duplicated entries are harmless.
        config: Budget and method knobs.

    Returns:
        The brief: whole verbatim sentences, the lede first (when ``config.lede`` and some
        article opens with a candidate) and the rest in reading order, each after the
        sentence its opening reference needs; total words <= ``max_words``, at most
        ``max_sentences`` sentences, no two near-identical, of one family or restating one
        another. Empty when the input is empty, when the budget is 0, or when no eligible
        sentence fits the budget (nothing is cut).
    """
    if not sentences or config.max_words == 0 or config.max_sentences == 0:
        return Brief(sentences=(), outlets=())
    ordered = sorted(sentences, key=_sort_key)
    texts = [_shown_text(s) for s in ordered]
    tokens = [_tokenize(text) for text in texts]
    groups, family, word_sets = _group(tokens, texts, config.near_duplicate_jaccard)
    sentence_concepts, weight = _concept_weights(ordered, tokens, config)
    candidates = _candidates(
        ordered=ordered,
        texts=texts,
        tokens=tokens,
        groups=groups,
        family=family,
        word_sets=word_sets,
        sentence_concepts=sentence_concepts,
        weight=weight,
        config=config,
    )
    antecedents = _antecedents(ordered, candidates)
    lede = None
    if config.lede and candidates:
        # The lede is the best article opening the greedy chose; else the best sentence it
        # chose from the articles' lead paragraphs; else the best opening of all, chosen
        # first. Openings get a bonus in the objective (lede_weight, 0 by default).
        support = _lede_support(ordered, candidates)
        candidates = [
            dataclasses.replace(
                cand, bonus=cand.bonus + config.lede_weight * _value(cand, weight) * support[k]
            )
            if k in support
            else cand
            for k, cand in enumerate(candidates)
        ]
        standalone = [c.bonus + _value(c, weight) for c in candidates]
        chosen = _select(candidates, weight, config, antecedents, None)
        index_of = {cand.rep: k for k, cand in enumerate(candidates)}
        lede = _lede(candidates, standalone, support, [index_of[c.rep] for c, _ in chosen])
        if lede is None:
            in_lead = _lede_support(ordered, candidates, config.lead_paragraphs)
            lede = _lede(candidates, standalone, in_lead, [index_of[c.rep] for c, _ in chosen])
        if lede is None:
            lede = _lede(candidates, standalone, support)
            chosen = _select(candidates, weight, config, antecedents, lede)
    else:
        chosen = _select(candidates, weight, config, antecedents, None)
    gain_of = {cand.rep: gain for cand, gain in chosen}
    index_of = {cand.rep: k for k, cand in enumerate(candidates)}
    order = _reading_order([index_of[c.rep] for c, _ in chosen], lede, candidates, antecedents)
    family_members: dict[int, list[int]] = {}
    for members, family_id in zip(groups, family, strict=True):
        family_members.setdefault(family_id, []).extend(members)
    for members in family_members.values():
        members.sort()
    brief_sentences = tuple(
        BriefSentence(
            text=texts[cand.rep],
            article_ids=tuple(sorted({ordered[i].article_id for i in cand.members})),
            outlets=tuple(sorted({ordered[i].outlet for i in cand.members})),
            source_article_id=ordered[cand.rep].article_id,
            score=gain_of[cand.rep],
            variants=_variants(cand, family_members[cand.family], ordered, texts),
        )
        for cand in (candidates[k] for k in order)
    )
    outlets = tuple(sorted({o for s in brief_sentences for o in s.outlets}))
    return Brief(sentences=brief_sentences, outlets=outlets)
