"""The operators' dashboard: Jinja2 templates through litestar, assets served by the service.

Pages (HTML; the JSON API stays where it was):

* ``GET /``: the story list with search (``q``), filters (``outlet``, ``since``, ``until``,
  ``min_outlets``, ``language``) and cursor paging, exactly the parameters of
  ``GET /stories`` (:mod:`service.usecases.search`); live updates from ``GET /events``.
* ``GET /dashboard/stories/{id}``: the brief (per-sentence attribution, variants; with
  ``?since_version=N`` what is new since version N), outlets with article counts and who
  reported first, a timeline (articles per hour per outlet, an inline SVG drawn here, and
  when each cross-outlet paragraph first appeared), the content clusters, the lineage.
* ``GET /dashboard/articles/{id}``: the article's paragraphs marked by cluster and role
  (origin, echo, only here, boilerplate).
* ``GET /dashboard/clusters/{id}``: a cluster's occurrences, origin first.

Templates live in ``service/api/templates/`` (autoescaping on: every value is text, never
markup), the CSS and the one script in ``service/api/static/`` under ``/static/``. Nothing is
loaded from elsewhere; the content security policy allows scripts from the service only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Router, get
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from service.api.middleware import SECURITY_HEADERS
from service.domain.errors import InvalidInputError, NotFoundError
from service.domain.models import Article
from service.usecases import BriefView, Wiredesk
from service.usecases.monitor import ParagraphFirst
from service.usecases.search import parse_query

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
PAGE_SIZE = 50  # stories per list page
HISTORY_ROWS = 50  # newest lineage events on a story page; the rest via /stories/{id}/history
ARTICLE_ROWS = 200  # members listed on a story page
FILTERS = ("q", "outlet", "since", "until", "min_outlets", "language")

# Ten distinguishable colours (Tableau 10), one per outlet in order of first report; outlets
# past the tenth reuse them (the legend still names each).
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip


def when(ts: float | None) -> str:
    """POSIX seconds as ``YYYY-MM-DD HH:MM`` UTC (empty for ``None``)."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M")


def iso(ts: float) -> str:
    """POSIX seconds as ISO 8601 UTC (for ``<time datetime>``)."""
    return datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z")


def environment() -> Environment:
    """The Jinja2 environment: templates from :data:`TEMPLATES`, autoescaping on."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["iso"] = iso
    return env


# The service's content security policy (service/api/middleware.py) with one change: the
# dashboard's pages may run scripts from the service itself (/static/live.js), and only those
# pages; every other response keeps ``script-src 'none'``.
PAGE_CSP = {k.decode(): v.decode() for k, v in SECURITY_HEADERS}["content-security-policy"].replace(
    "script-src 'none'", "script-src 'self'"
)


def render(name: str, context: dict[str, Any], status: int = 200) -> Template:
    """A dashboard page: the template rendered with the dashboard's content security policy."""
    return Template(
        name,
        context=context,
        status_code=status,
        headers={"content-security-policy": PAGE_CSP},
    )


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """The template configuration litestar renders the dashboard with."""
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment()))


# --------------------------------------------------------------------------- the timeline
@dataclass(frozen=True, slots=True)
class Bar:
    """One outlet's articles in one time bucket: a rectangle of the stacked bar chart."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    outlet: str
    count: int
    start: float


@dataclass(frozen=True, slots=True)
class Mark:
    """A cross-outlet paragraph's first appearance: a tick above the bars."""

    x: float
    first: ParagraphFirst


@dataclass(frozen=True, slots=True)
class Timeline:
    """Geometry of the inline SVG chart (user units; the SVG scales to its box).

    Attributes:
        width: chart width.
        height: chart height.
        bucket_s: seconds per bar (an hour unless the story spans more than
            :data:`MAX_BUCKETS` hours).
        bars: stacked rectangles.
        marks: first appearances of cross-outlet paragraphs.
        legend: ``(outlet, colour)`` in order of first report.
        peak: the tallest bar's article count.
        start: the first bucket's start time; ``end`` the last bucket's end.
        baseline: y of the time axis.
    """

    width: float
    height: float
    bucket_s: int
    bars: tuple[Bar, ...]
    marks: tuple[Mark, ...]
    legend: tuple[tuple[str, str], ...]
    peak: int
    start: float
    end: float
    baseline: float
    left: float


MAX_MARKS = 200  # first-appearance ticks drawn (the earliest); past that they only blur
MAX_BUCKETS = 72  # bars at most: three days of hours, still 9 user units wide each
BUCKETS_S = (3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400, 30 * 86400)


def timeline(
    articles: tuple[Article, ...], outlets: list[str], firsts: tuple[ParagraphFirst, ...]
) -> Timeline:
    """Articles per bucket per outlet as stacked bars, plus first-appearance ticks.

    Args:
        articles: the story's members (any order).
        outlets: outlet names in legend order (earliest reporter first).
        firsts: cross-outlet paragraphs' first appearances.

    Returns:
        The chart's geometry: 720 x 180 user units, 36 left for the count axis, 20 below
        for the time axis, 14 on top for the ticks.
    """
    width, height, left, bottom, top = 720.0, 180.0, 36.0, 20.0, 14.0
    times = [a.time for a in articles] or [0.0]
    lo, hi = min(times), max(times)
    bucket = next((b for b in BUCKETS_S if (hi - lo) / b < MAX_BUCKETS), BUCKETS_S[-1])
    start = (lo // bucket) * bucket
    n = int((hi - start) // bucket) + 1
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for a in articles:
        counts[int((a.time - start) // bucket)][a.outlet] += 1
    peak = max((sum(c.values()) for c in counts.values()), default=1)
    colour = {o: PALETTE[i % len(PALETTE)] for i, o in enumerate(outlets)}
    plot_w, plot_h = width - left - 4, height - bottom - top
    slot = plot_w / n
    bars = []
    for i in sorted(counts):
        y = height - bottom
        for outlet in outlets:
            c = counts[i].get(outlet, 0)
            if not c:
                continue
            h = plot_h * c / peak
            y -= h
            bars.append(
                Bar(
                    round(left + i * slot + slot * 0.1, 2),
                    round(y, 2),
                    round(slot * 0.8, 2),
                    round(h, 2),
                    colour[outlet],
                    outlet,
                    c,
                    start + i * bucket,
                )
            )
    end = start + n * bucket
    marks = tuple(
        Mark(round(left + plot_w * (f.at - start) / (end - start), 2), f)
        for f in firsts[:MAX_MARKS]
    )
    return Timeline(
        width,
        height,
        bucket,
        tuple(bars),
        marks,
        tuple((o, colour[o]) for o in outlets),
        peak,
        start,
        end,
        height - bottom,
        left,
    )


# ------------------------------------------------------------------------------ pages
def _filters(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The list page's filter values as given (blank ones dropped)."""
    return {k: v for k in FILTERS if (v := request.query_params.get(k, "").strip())}


def _min_outlets(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInputError(
            f"min_outlets {value!r} is not a whole number", field="min_outlets"
        ) from None


def _error_page(wiredesk: Wiredesk, message: str, status: int) -> Template:
    context = {"message": message, "status": status, "counts": wiredesk.monitor.counts()}
    return render("error.html", context, status)


@get("/", include_in_schema=False)
async def story_list(
    wiredesk: NamedDependency[Wiredesk], request: Request[Any, Any, Any]
) -> Template | Redirect:
    """The story list: search, filters, paging (the parameters of ``GET /stories``)."""
    selected = request.query_params.get("story")
    if selected:  # the old dashboard's ?story= links
        return Redirect(f"/dashboard/stories/{quote(selected, safe='')}")
    given = _filters(request)
    cursor = request.query_params.get("cursor") or None
    error = None
    stories: tuple[Any, ...] = ()
    next_cursor = None
    try:
        query = parse_query(
            given.get("q"),
            given.get("outlet"),
            given.get("since"),
            given.get("until"),
            _min_outlets(given.get("min_outlets")),
            given.get("language"),
        )
        page = wiredesk.search.stories(query, PAGE_SIZE, cursor)
        stories, next_cursor = page.stories, page.next_cursor
    except InvalidInputError as exc:
        error = str(exc)
    context = {
        "stories": stories,
        "filters": given,
        "filtered": bool(given),
        "error": error,
        "next_url": "/?" + urlencode({**given, "cursor": next_cursor}) if next_cursor else None,
        "first_url": "/?" + urlencode(given) if cursor else None,
        "outlets": wiredesk.search.outlets(),
        "languages": wiredesk.search.languages(),
        "counts": wiredesk.monitor.counts(),
        "events_query": urlencode({"outlet": given["outlet"]}) if "outlet" in given else "",
    }
    return render("list.html", context, 400 if error else 200)


@get("/dashboard/stories/{story_id:str}", include_in_schema=False)
async def story_page(
    story_id: FromPath[str], wiredesk: NamedDependency[Wiredesk], request: Request[Any, Any, Any]
) -> Template:
    """A story: brief, outlets, timeline, content clusters, lineage."""
    try:
        spread = wiredesk.monitor.spread(story_id)
    except NotFoundError as exc:
        return _error_page(wiredesk, str(exc), 404)
    current = spread.story.story_id
    brief = await wiredesk.get_brief(current)
    news: BriefView | None = None
    news_error = None
    raw = request.query_params.get("since_version")
    if raw:
        try:
            news = await wiredesk.whatsnew.brief_since(current, int(raw))
        except ValueError:
            news_error = f"since_version {raw!r} is not a whole number"
        except InvalidInputError as exc:
            news_error = str(exc)
    history = wiredesk.get_history(current, HISTORY_ROWS)
    chart = timeline(spread.articles, [o.outlet for o in spread.outlets], spread.firsts)
    context = {
        "s": spread,
        "story": spread.story,
        "brief": brief,
        "news": news,
        "news_error": news_error,
        "history": history,
        "chart": chart,
        "articles": spread.articles[:ARTICLE_ROWS],
        "first": spread.articles[0] if spread.articles else None,
        "counts": wiredesk.monitor.counts(),
    }
    return render("story.html", context, 400 if news_error else 200)


@get("/dashboard/articles/{article_id:str}", include_in_schema=False)
async def article_page(article_id: FromPath[str], wiredesk: NamedDependency[Wiredesk]) -> Template:
    """An article's paragraphs marked by cluster: origin, echo, only here, boilerplate."""
    try:
        found = wiredesk.monitor.article_page(article_id)
    except NotFoundError as exc:
        return _error_page(wiredesk, str(exc), 404)
    return render("article.html", {"page": found, "counts": wiredesk.monitor.counts()})


@get("/dashboard/clusters/{cluster_id:str}", include_in_schema=False)
async def cluster_page(cluster_id: FromPath[str], wiredesk: NamedDependency[Wiredesk]) -> Template:
    """A near-duplicate cluster's occurrences, origin first."""
    try:
        view, boilerplate = wiredesk.monitor.cluster(cluster_id)
    except NotFoundError as exc:
        return _error_page(wiredesk, str(exc), 404)
    context = {"c": view, "boilerplate": boilerplate, "counts": wiredesk.monitor.counts()}
    return render("cluster.html", context)


STATIC_ROUTER = create_static_files_router(path="/static", directories=[STATIC])
ROUTES: list[HTTPRouteHandler | Router] = [
    story_list,
    story_page,
    article_page,
    cluster_page,
    STATIC_ROUTER,
]
