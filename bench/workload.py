"""Benchmark workloads: the real articles as posted, and a reproducible wire-heavy republication.

The all-distinct workload is every English article of DUC 2003, MultiLing 2011 and Giveme5W1H,
each posted once. The wire-heavy workload takes a subset of those articles and republishes each
one as ``versions`` outlet copies (:func:`wire_versions`): version 0 is the original as the wire
sent it, and every other version carries the edits real outlets make when they run wire copy:

* **headline**: always rewritten (an outlet style applied to the original title, or to the lead's
  first words when the article has no title);
* **drop**: with probability ``p_drop`` one paragraph among the last third is cut (outlets trim
  wire copy from the bottom);
* **reorder**: with probability ``p_reorder`` two adjacent body paragraphs (never the lead)
  swap places;
* **wording**: each paragraph is lightly re-worded with probability ``p_reword``: the first
  applicable substitution from :data:`REWORDINGS` (``said`` -> ``says``, ``percent`` ->
  ``per cent``, ...), else the paragraph is prefixed with a connective ("Meanwhile, ...");
  either way one or two words change, so its exact-copy fingerprint changes and the service has
  to embed it again, while its meaning (and its near-duplicate cluster) stays the same;
* **outlet line**: the outlet's closing line is appended ("Copyright <year> <outlet>. All
  rights reserved."); the service's splitter drops it as boilerplate. (A house line that the
  splitter keeps, identical in every article of an outlet, becomes one near-duplicate cluster
  shared by unrelated stories; see docs/PERFORMANCE.md.)

Every choice is drawn from ``random.Random`` seeded with ``(seed, doc_id, version)``, so the
output depends only on the seed and the article, never on the order articles are generated in.
Each version records what was done to it in :attr:`WireVersion.edits`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

__all__ = [
    "OUTLETS",
    "REWORDINGS",
    "BenchArticle",
    "Edit",
    "WireConfig",
    "WireVersion",
    "load_distinct",
    "wire_versions",
    "wire_workload",
]

#: Outlet names given to the republished versions (version 0 keeps the article's own outlet).
OUTLETS: Final = (
    "Daily Ledger",
    "Metro Tribune",
    "Valley Herald",
    "Coastal Times",
    "Northern Star",
    "Capitol Dispatch",
    "Evening Courier",
    "Lakeside Gazette",
    "Harbor Observer",
    "Prairie Sentinel",
    "Summit Post",
    "Riverside Chronicle",
)

#: Light wording changes outlets make to wire copy: (pattern, replacement), tried in order;
#: the first that matches a paragraph is applied once. Patterns match whole words only.
REWORDINGS: Final[tuple[tuple[str, str], ...]] = (
    (r"\bsaid\b", "says"),
    (r"\bpercent\b", "per cent"),
    (r"\bpolice\b", "officers"),
    (r"\bpeople\b", "residents"),
    (r"\bgovernment\b", "administration"),
    (r"\bofficials\b", "authorities"),
    (r"\babout\b", "around"),
    (r"\bmore than\b", "over"),
    (r"\bon Tuesday\b", "Tuesday"),
    (r"\bhowever\b", "though"),
    (r"\balso\b", "additionally"),
    (r"\bbut\b", "yet"),
)

#: Connectives prefixed to a paragraph when no rewording applies.
CONNECTIVES: Final = ("Meanwhile,", "In addition,", "Separately,", "At the same time,")

_HEADLINE_STYLES: Final = (
    "{title} | {outlet}",
    "UPDATE 1-{title}",
    "{title} (updated)",
    "Breaking: {title}",
    "{title}, reports say",
)

_COMPILED: Final = tuple((re.compile(p), r) for p, r in REWORDINGS)


@dataclass(frozen=True, slots=True)
class BenchArticle:
    """One article as the benchmark posts it (the body of ``POST /articles``).

    Attributes:
        doc_id: id of the source article (plus ``#v<k>`` for wire versions).
        source_id: doc id of the real article it comes from.
        url: unique URL.
        outlet: publisher.
        title: headline, or ``None``.
        paragraphs: body paragraphs, joined by newlines into ``text``.
        published_at: publication time (ISO-8601) or ``None``.
        story_key: optional client-side story key.
    """

    doc_id: str
    source_id: str
    url: str
    outlet: str
    title: str | None
    paragraphs: tuple[str, ...]
    published_at: str | None = None
    story_key: str | None = None

    @property
    def text(self) -> str:
        """The body as posted: paragraphs joined by newlines."""
        return "\n".join(self.paragraphs)

    def body(self) -> dict[str, str]:
        """The JSON body of ``POST /articles``."""
        out = {"url": self.url, "outlet": self.outlet, "text": self.text}
        if self.title:
            out["title"] = self.title
        if self.published_at:
            out["published_at"] = self.published_at
        if self.story_key:
            out["story_key"] = self.story_key
        return out


@dataclass(frozen=True, slots=True)
class Edit:
    """One edit applied to a wire version.

    Attributes:
        kind: ``headline``, ``drop``, ``reorder``, ``reword`` or ``outlet_line``.
        position: index of the affected paragraph in the ORIGINAL article (for ``reorder`` the
            first of the two swapped paragraphs; ``-1`` for ``headline`` and ``outlet_line``).
        detail: what changed (the substitution made, the new headline, the line added).
    """

    kind: str
    position: int
    detail: str


@dataclass(frozen=True, slots=True)
class WireVersion:
    """One outlet's republication of an article, with the edits that made it."""

    article: BenchArticle
    version: int
    edits: tuple[Edit, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class WireConfig:
    """Knobs of the wire-heavy generator.

    Attributes:
        versions: copies per article, the original included (>= 1).
        p_drop: chance that a version drops one paragraph from the last third.
        p_reorder: chance that a version swaps two adjacent body paragraphs.
        p_reword: chance, per paragraph, of a light wording change.
        minutes_apart: publication delay between consecutive versions.
    """

    versions: int = 5
    p_drop: float = 0.5
    p_reorder: float = 0.3
    p_reword: float = 0.15
    minutes_apart: int = 20

    def __post_init__(self) -> None:
        if self.versions < 1:
            raise ValueError("versions must be >= 1")
        for name in ("p_drop", "p_reorder", "p_reword"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]")
        if len(OUTLETS) < self.versions - 1:
            raise ValueError(f"at most {len(OUTLETS) + 1} versions (one per outlet)")


def _reword(paragraph: str, rng: random.Random) -> tuple[str, str]:
    """A light wording change of ``paragraph`` and a description of it."""
    for pattern, replacement in _COMPILED:
        if pattern.search(paragraph):
            return pattern.sub(replacement, paragraph, count=1), f"{pattern.pattern}->{replacement}"
    connective = rng.choice(CONNECTIVES)
    first = paragraph[:1].lower() if paragraph[1:2].islower() else paragraph[:1]
    return f"{connective} {first}{paragraph[1:]}", f"prefix {connective}"


def _headline(article: BenchArticle, outlet: str, rng: random.Random) -> str:
    base = article.title
    if not base:
        words = article.paragraphs[0].split()[:10] if article.paragraphs else ["News"]
        base = " ".join(words).rstrip(",.;:")
    return rng.choice(_HEADLINE_STYLES).format(title=base, outlet=outlet)


def wire_versions(
    article: BenchArticle, config: WireConfig = WireConfig(), seed: int = 0
) -> list[WireVersion]:
    """Republish ``article`` as ``config.versions`` outlet versions (see module docstring).

    Args:
        article: the original (version 0 is exactly this article, with a ``#v0`` url suffix).
        config: the generator's knobs.
        seed: the random seed; the output depends only on it, ``article`` and ``config``.

    Returns:
        ``config.versions`` versions, the original first.
    """
    published = (
        datetime.fromisoformat(article.published_at)
        if article.published_at
        else datetime(2024, 1, 1, tzinfo=UTC)
    )
    out = [
        WireVersion(
            BenchArticle(
                doc_id=f"{article.doc_id}#v0",
                source_id=article.source_id,
                url=f"{article.url}#v0",
                outlet=article.outlet,
                title=article.title,
                paragraphs=article.paragraphs,
                published_at=published.isoformat(),
                story_key=article.story_key,
            ),
            0,
        )
    ]
    for version in range(1, config.versions):
        rng = random.Random(f"{seed}:{article.doc_id}:{version}")
        outlet = OUTLETS[version - 1]
        edits: list[Edit] = []
        title = _headline(article, outlet, rng)
        edits.append(Edit("headline", -1, title))
        # Paragraphs tracked with their original positions so edits are reported against them.
        body: list[tuple[int, str]] = list(enumerate(article.paragraphs))
        if len(body) >= 3 and rng.random() < config.p_drop:
            first_tail = max(1, (2 * len(body)) // 3)
            doomed = rng.randrange(first_tail, len(body))
            edits.append(Edit("drop", body[doomed][0], body[doomed][1][:60]))
            del body[doomed]
        if len(body) >= 3 and rng.random() < config.p_reorder:
            at = rng.randrange(1, len(body) - 1)
            body[at], body[at + 1] = body[at + 1], body[at]
            edits.append(Edit("reorder", body[at + 1][0], f"{body[at + 1][0]}<->{body[at][0]}"))
        reworded: list[tuple[int, str]] = []
        for position, text in body:
            if rng.random() < config.p_reword:
                new, detail = _reword(text, rng)
                edits.append(Edit("reword", position, detail))
                reworded.append((position, new))
            else:
                reworded.append((position, text))
        line = f"Copyright {published.year} {outlet}. All rights reserved."
        edits.append(Edit("outlet_line", -1, line))
        paragraphs = (*(text for _, text in reworded), line)
        out.append(
            WireVersion(
                BenchArticle(
                    doc_id=f"{article.doc_id}#v{version}",
                    source_id=article.source_id,
                    url=f"{article.url}#v{version}",
                    outlet=outlet,
                    title=title,
                    paragraphs=paragraphs,
                    published_at=(
                        published + timedelta(minutes=config.minutes_apart * version)
                    ).isoformat(),
                    story_key=article.story_key,
                ),
                version,
                tuple(edits),
            )
        )
    return out


def wire_workload(
    originals: Sequence[BenchArticle], config: WireConfig = WireConfig(), seed: int = 0
) -> list[WireVersion]:
    """Every version of every original, interleaved the way a feed delivers them.

    Versions are ordered by publication round: all originals first (version 0), then every
    first republication, and so on, so copies arrive after the story they copy is known and
    concurrent clients post different stories at the same time.
    """
    per_article = [wire_versions(a, config, seed) for a in originals]
    return [versions[v] for v in range(config.versions) for versions in per_article]


def load_distinct(limit: int | None = None) -> list[BenchArticle]:
    """Every real English article of the three news sets, in publication order within each set.

    Texts are read at run time from the shared data directory (see
    :func:`service.evaluation.datasets.default_data_root`); nothing is copied into the project.

    Args:
        limit: keep only the first ``limit`` articles, taken round-robin across the sets so a
            small run still mixes them.
    """
    from service.evaluation.datasets import (
        EvalArticle,
        load_duc2003,
        load_giveme5w1h,
        load_multiling2011,
    )

    sets: list[list[EvalArticle]] = [
        [a for c in load_duc2003() for a in c.articles],
        [a for c in load_multiling2011() for a in c.articles],
        list(load_giveme5w1h()),
    ]
    mixed: list[EvalArticle] = []
    longest = max(len(s) for s in sets)
    for i in range(longest):
        mixed.extend(s[i] for s in sets if i < len(s))
    if limit is not None:
        mixed = mixed[:limit]
    seen_urls: set[str] = set()
    out: list[BenchArticle] = []
    for a in mixed:
        if not a.paragraphs or a.url in seen_urls:
            continue
        seen_urls.add(a.url)
        out.append(
            BenchArticle(
                doc_id=a.doc_id,
                source_id=a.doc_id,
                url=a.url,
                outlet=a.outlet or "unknown",
                title=a.title,
                paragraphs=a.paragraphs,
                published_at=a.published_at.isoformat() if a.published_at else None,
            )
        )
    return out
