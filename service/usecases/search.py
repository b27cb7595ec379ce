"""Story search and filters over an inverted index kept up to date change by change.

Words are *normalised* before they are indexed or looked up (:func:`words`): case-folded
(``"Straße"`` -> ``"strasse"``), decomposed (NFKD) with the combining marks dropped
(``"Café"`` -> ``"cafe"``), and split into runs of letters and digits (``"U.S."`` -> ``"u"``,
``"s"``; ``"9/11"`` -> ``"9"``, ``"11"``). Every word of a query must match (AND) somewhere in
the story: in a member article's headline or in its text, not necessarily in one article.
No stemming and no stopword list: an operator's ``"fire"`` does not find ``"fires"``, and a
query of ``"the"`` finds every story that has it (and costs what it matches).

The index holds, for each word, the ids of the articles whose headline or text carries it
(its *postings*), and for each outlet (case-folded) its articles. It subscribes to the desk's
changes (:meth:`service.usecases.desk.Desk.subscribe`) and adds the postings of each article
a change set creates or whose content changed (the article's ``content_hash``); a regrouping
that only moves articles between stories changes no posting, since articles are resolved to
their current story at query time. Postings of an article's *previous* content are not
removed (the world no longer holds it when the listener runs); the article is marked
*revised* and its postings are checked against its current text when a query meets them, so
an edited article stops matching the words it lost. The index is built whole the first time
it is asked after the world was (re)loaded at start-up.

A query costs the postings of its words, rarest first: the rarest word's articles give the
candidate stories, and each further word either intersects its own stories (when its postings
are short) or is checked in the candidates' members (when they are long). Filters (outlet,
time range, minimum outlets, language) then look at the candidates only. Without words or an
outlet, or when even the rarest word is common (its postings hold more than a few pages'
worth of articles, like ``said``), the live stories are walked newest-updated first, each
tested against the postings, and the walk stops at the page's end.
Results are newest-updated first (like ``GET /stories``) with the same cursor format.
"""

from __future__ import annotations

import base64
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from service.domain.errors import InvalidInputError
from service.domain.models import Article, ChangeSet, Story
from service.domain.world import World
from service.usecases.desk import Desk
from service.usecases.views import StoryPage

_WORD: Final = re.compile(r"[^\W_]+")
MAX_QUERY_WORDS: Final = 20
"""Words one query may have: every word is a posting list to intersect; 20 is more than any
headline-length query needs."""
MAX_QUERY_CHARS: Final = 500
SEARCH_DOC: Final = (
    "Words to find (AND): each must occur in the story's headlines or texts; case and accents "
    "are folded; at most 20 words, 500 characters"
)
TIME_DOC: Final = "ISO 8601 (2026-11-20T08:00:00Z; no zone is UTC) or POSIX seconds"
_LANGUAGE: Final = re.compile(r"^[a-z]{2,3}$")  # ISO 639-1/-3 codes, as py3langid gives them
# Long postings are checked in the candidates' members instead of resolved to stories when
# they hold more than this many times the candidates' articles (a membership test per member
# is cheaper than resolving each posting to its story).
_CHECK_RATIO: Final = 4
# A query whose shortest postings hold more than this many times the articles of a page of
# stories walks the stories newest first instead (a page fills long before the walk ends).
_WALK_RATIO: Final = 4


@dataclass(frozen=True, slots=True)
class _Postings:
    """One list to intersect: a word's or an outlet's articles."""

    kind: str  # "word" or "outlet"
    key: str  # the normalised word or the case-folded outlet
    ids: set[str]


def words(text: str) -> list[str]:
    """The normalised words of ``text``, in order (see the module docstring).

    Returns:
        Case-folded words without accents; duplicates kept.
    """
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return _WORD.findall(plain)


def article_words(article: Article) -> set[str]:
    """Distinct normalised words of an article's headline and paragraphs."""
    out = set(words(article.title or ""))
    for p in article.paragraphs:
        out.update(words(p.text))
    return out


def parse_time(value: str | None, field: str) -> float | None:
    """A query's time: ISO 8601 (a time without zone is UTC) or POSIX seconds.

    Raises:
        InvalidInputError: neither form, or not a finite time.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise InvalidInputError(
                f"{field} {value!r} is not a time: give ISO 8601 (2026-11-20T08:00:00Z) "
                "or POSIX seconds",
                field=field,
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    if not math.isfinite(seconds) or not 0 <= seconds < 1e11:  # 1e11 s is year 5138
        raise InvalidInputError(f"{field} {value!r} is not a plausible POSIX time", field=field)
    return seconds


@dataclass(frozen=True, slots=True)
class StoryQuery:
    """What a story search asks for; every field optional.

    Attributes:
        terms: normalised words, all of which must occur in the story (AND).
        outlet: the story has an article from this outlet (case-insensitive exact name).
        since: the story's span (first to last article time) ends at or after this time.
        until: the story's span starts before this time (POSIX seconds).
        min_outlets: the story has articles from at least this many outlets.
        language: the story has an article in this language (ISO 639 code); articles
            without a known language never match it.
    """

    terms: tuple[str, ...] = ()
    outlet: str | None = None
    since: float | None = None
    until: float | None = None
    min_outlets: int = 1
    language: str | None = None

    @property
    def filtered(self) -> bool:
        """Whether anything narrows the list."""
        return bool(
            self.terms or self.outlet or self.since is not None or self.until is not None
        ) or (self.min_outlets > 1 or self.language is not None)


def parse_query(
    q: str | None = None,
    outlet: str | None = None,
    since: str | None = None,
    until: str | None = None,
    min_outlets: int | None = None,
    language: str | None = None,
) -> StoryQuery:
    """Check and normalise a search's parameters (blank ones are absent).

    Raises:
        InvalidInputError: naming the parameter: a query over :data:`MAX_QUERY_CHARS`
            characters or :data:`MAX_QUERY_WORDS` words, or with no word at all; a time that
            is not one; ``since`` after ``until``; ``min_outlets`` under 1; a language that
            is not a 2- or 3-letter code.
    """
    terms: tuple[str, ...] = ()
    if q is not None and q.strip():
        if len(q) > MAX_QUERY_CHARS:
            raise InvalidInputError(
                f"q has {len(q)} characters; the limit is {MAX_QUERY_CHARS}", field="q"
            )
        terms = tuple(dict.fromkeys(words(q)))
        if not terms:
            raise InvalidInputError(
                f"q {q!r} has no word to search for (letters or digits)", field="q"
            )
        if len(terms) > MAX_QUERY_WORDS:
            raise InvalidInputError(
                f"q has {len(terms)} distinct words; the limit is {MAX_QUERY_WORDS}", field="q"
            )
    start, end = parse_time(since, "since"), parse_time(until, "until")
    if start is not None and end is not None and start > end:
        raise InvalidInputError("since is after until: the time range is empty", field="since")
    if min_outlets is not None and min_outlets < 1:
        raise InvalidInputError("min_outlets must be at least 1", field="min_outlets")
    lang = None
    if language is not None and language.strip():
        lang = language.strip().lower()
        if not _LANGUAGE.match(lang):
            raise InvalidInputError(
                f"language {language!r} is not an ISO 639 code (two or three letters, e.g. en)",
                field="language",
            )
    name = outlet.strip() if outlet is not None and outlet.strip() else None
    return StoryQuery(terms, name, start, end, min_outlets or 1, lang)


def encode_cursor(story: Story) -> str:
    """The cursor after ``story`` (the format of :meth:`Stories.list_stories`)."""
    return base64.urlsafe_b64encode(f"{story.updated_at!r}:{story.seq}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[float, int]:
    """``(updated_at, seq)`` of the last story of the previous page.

    Raises:
        InvalidInputError: the cursor was not made by :func:`encode_cursor`.
    """
    try:
        stamp, seq = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        return float(stamp), int(seq)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInputError("cursor is not valid", field="cursor") from exc


class Search:
    """The inverted index and the story search over it (see the module docstring)."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self._world: World | None = None  # the world the index was built from
        self._postings: dict[str, set[str]] = {}
        self._outlets: dict[str, set[str]] = {}
        self._hashes: dict[str, str] = {}  # article id -> content hash indexed
        self._revised: set[str] = set()  # articles whose earlier content left postings behind
        self._names: dict[str, str] = {}  # case-folded outlet -> the name as first seen
        self._languages: set[str] = set()
        self.builds = 0  # whole builds (one per loaded world; changes after it are incremental)
        desk.subscribe(self._changed)

    # ------------------------------------------------------------------ upkeep
    def _changed(self, changes: ChangeSet, _reason: str) -> None:
        if self._world is not self.desk.world:
            return  # not built yet (or the world was replaced): built whole when next asked
        for article in changes.articles:
            self._index(article)

    def _index(self, article: Article) -> None:
        known = self._hashes.get(article.article_id)
        if known == article.content_hash:
            return  # moved or re-posted unchanged: its words are indexed already
        if known is not None:
            self._revised.add(article.article_id)
        self._hashes[article.article_id] = article.content_hash
        for word in article_words(article):
            self._postings.setdefault(word, set()).add(article.article_id)
        self._outlets.setdefault(article.outlet.casefold(), set()).add(article.article_id)
        self._names.setdefault(article.outlet.casefold(), article.outlet)
        language = getattr(article, "language", None)  # kept by articles once detected
        if language:
            self._languages.add(str(language))

    def _ready(self) -> World:
        world = self.desk.world
        if self._world is not world:
            self._postings, self._outlets, self._hashes, self._revised = {}, {}, {}, set()
            self._names, self._languages = {}, set()
            for article in world.articles.values():
                self._index(article)
            self._world = world
            self.builds += 1
        return world

    @property
    def vocabulary(self) -> int:
        """Distinct words indexed."""
        self._ready()
        return len(self._postings)

    def outlets(self) -> list[str]:
        """Every outlet that has sent an article, sorted case-insensitively (filter choices)."""
        self._ready()
        return sorted(self._names.values(), key=str.casefold)

    def languages(self) -> list[str]:
        """Languages of the articles, sorted (empty while articles carry none)."""
        self._ready()
        return sorted(self._languages)

    # ------------------------------------------------------------------ queries
    def _carries(self, world: World, article_id: str, word: str) -> bool:
        """Whether an article still carries ``word`` (only revised articles can stop)."""
        if article_id not in self._revised:
            return True
        article = world.articles.get(article_id)
        return article is not None and word in article_words(article)

    def _story_of(self, world: World, article_id: str) -> str:
        return world.current_story_id(world.articles[article_id].story_id)

    def _outlet_ok(self, world: World, article_id: str, outlet: str) -> bool:
        article = world.articles.get(article_id)
        return article is not None and article.outlet.casefold() == outlet

    def _lists(self, query: StoryQuery) -> list[_Postings]:
        """The postings the query's words and outlet name, shortest first."""
        lists = [_Postings("word", word, self._postings.get(word, set())) for word in query.terms]
        if query.outlet is not None:
            name = query.outlet.casefold()
            lists.append(_Postings("outlet", name, self._outlets.get(name, set())))
        lists.sort(key=lambda p: len(p.ids))
        return lists

    def _ok(self, world: World, postings: _Postings, article_id: str) -> bool:
        """Whether a posting still holds (revised articles, outlet names)."""
        if postings.kind == "word":
            return self._carries(world, article_id, postings.key)
        return self._outlet_ok(world, article_id, postings.key)

    def _has(self, world: World, story_id: str, postings: _Postings) -> bool:
        """Whether a story has a member in ``postings``."""
        return any(
            a in postings.ids and self._ok(world, postings, a)
            for a in world.members.get(story_id, ())
        )

    def _candidates(self, world: World, lists: list[_Postings]) -> set[str]:
        """Stories with a member in every list (shortest list resolved first)."""
        stories: set[str] | None = None
        for postings in lists:
            if stories is None:
                stories = {
                    self._story_of(world, a) for a in postings.ids if self._ok(world, postings, a)
                }
            else:
                members = sum(len(world.members.get(s, ())) for s in stories)
                if len(postings.ids) <= _CHECK_RATIO * members:
                    stories &= {
                        self._story_of(world, a)
                        for a in postings.ids
                        if self._ok(world, postings, a)
                    }
                else:
                    stories = {s for s in stories if self._has(world, s, postings)}
            if not stories:
                return set()
        return stories or set()

    def _keeps(self, world: World, story_id: str, query: StoryQuery) -> bool:
        """Whether a live story passes the time, outlet-count and language filters."""
        members = [world.articles[a] for a in world.members.get(story_id, ())]
        if not members:
            return False
        if query.since is not None or query.until is not None:
            times = [a.time for a in members]
            if query.since is not None and max(times) < query.since:
                return False
            if query.until is not None and min(times) >= query.until:
                return False
        if query.min_outlets > 1 and len({a.outlet for a in members}) < query.min_outlets:
            return False
        if query.language is not None:
            return any(getattr(a, "language", None) == query.language for a in members)
        return True

    def stories(self, query: StoryQuery, limit: int, cursor: str | None = None) -> StoryPage:
        """A page of the stories matching ``query``, newest-updated first.

        Args:
            query: from :func:`parse_query`.
            limit: stories per page (at least 1).
            cursor: ``next_cursor`` of the previous page, or ``None`` for the first.

        Returns:
            The page; ``next_cursor`` is ``None`` on the last one.

        Raises:
            InvalidInputError: the cursor was not made by this method or
                :meth:`Stories.list_stories`.
        """
        after = decode_cursor(cursor) if cursor else None
        world = self._ready()
        lists = self._lists(query)
        # Resolve the shortest postings to stories unless they are so long that walking the
        # stories newest first and testing their members fills the page sooner.
        per_story = len(world.articles) / max(1, len(world.members))
        walk = not lists or len(lists[0].ids) > _WALK_RATIO * (limit + 1) * per_story
        pool: Iterable[Story]
        if walk:
            pool = world.live_stories()
        else:
            candidates = self._candidates(world, lists)
            pool = (world.stories[s] for s in candidates if s in world.stories)
        ordered = sorted(pool, key=lambda s: (-s.updated_at, -s.seq))
        if after is not None:
            bound = (-after[0], -after[1])
            ordered = [s for s in ordered if (-s.updated_at, -s.seq) > bound]
        page: list[Story] = []
        more = False
        for story in ordered:
            if walk and not all(self._has(world, story.story_id, p) for p in lists):
                continue
            if not self._keeps(world, story.story_id, query):
                continue
            if len(page) == limit:
                more = True
                break
            page.append(story)
        next_cursor = encode_cursor(page[-1]) if more and page else None
        return StoryPage(tuple(world.story_view(s.story_id) for s in page), next_cursor)
