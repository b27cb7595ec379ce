"""The dashboard's pages through the app (server-rendered HTML; the browser tests drive them)."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import TestClient

from service.api.dashboard import BUCKETS_S, MAX_BUCKETS, timeline
from service.domain.models import Article
from service.usecases.monitor import ParagraphFirst
from tests.api.conftest import AP, OWN_LINE, fire_article, other_article, post

Client = TestClient[Litestar]


def roles(html: str) -> dict[str, str]:
    """Paragraph cluster id -> role, as an article page marks them."""
    return dict(re.findall(r'data-cluster="([^"]+)" data-role="([^"]+)"', html))


def test_article_pages_mark_origin_echo_and_only_here(client: Client) -> None:
    cbs = post(client, fire_article("CBS", published_at="2026-11-20T08:00:00Z"))
    abc = post(client, fire_article("ABC", published_at="2026-11-20T09:00:00Z"))
    cbs_clusters = client.get(f"/articles/{cbs['article_id']}").json()["paragraphs"]
    abc_clusters = client.get(f"/articles/{abc['article_id']}").json()["paragraphs"]
    lede = next(p["cluster_id"] for p in cbs_clusters if p["text"].startswith(AP[0][:40]))
    own = next(p["cluster_id"] for p in abc_clusters if p["text"] == OWN_LINE["ABC"])
    first = roles(client.get(f"/dashboard/articles/{cbs['article_id']}").text)
    second_html = client.get(f"/dashboard/articles/{abc['article_id']}").text
    second = roles(second_html)
    assert first[lede] == "origin"  # CBS published first
    assert second[lede] == "echo"
    assert f'origin <a href="/dashboard/articles/{cbs["article_id"]}">' in second_html
    assert second[own] == "only here"
    cluster = client.get(f"/dashboard/clusters/{lede}").text
    assert re.findall(r'data-role="(\w+)"', cluster) == ["origin", "echo"]
    assert client.get("/dashboard/clusters/c999999").status_code == 404
    assert client.get("/dashboard/articles/a999999").status_code == 404


def test_story_page_shows_the_spread_and_hides_single_outlet_clusters(client: Client) -> None:
    story = post(client, fire_article("CBS", published_at="2026-11-20T08:00:00Z"))["story_id"]
    post(client, fire_article("ABC", published_at="2026-11-20T09:30:00Z"))
    html = client.get(f"/dashboard/stories/{story}").text
    assert "First reported by <b>CBS</b> at 2026-11-20 08:00" in html
    shared = client.get("/clusters", params={"story_id": story, "min_outlets": 2}).json()
    shown = re.findall(r'<a href="/dashboard/clusters/([^"]+)"><b>', html)
    assert sorted(shown) == sorted(c["cluster_id"] for c in shared["clusters"])
    assert OWN_LINE["ABC"] not in html.split('id="clusters"')[1].split("</section>")[0]
    # timeline: two hourly bars (08:00 and 09:00), one per outlet
    bars = re.findall(r'<rect [^>]*class="bar"><title>([^<]+)</title>', html)
    assert bars == ["CBS: 1 article from 2026-11-20 08:00", "ABC: 1 article from 2026-11-20 09:00"]
    assert html.count('class="mark"') == len(shared["clusters"])
    brief = client.get(f"/stories/{story}/brief").json()
    for sentence in brief["sentences"]:
        assert sentence["text"].replace("'", "&#39;").replace('"', "&#34;") in html
    bad = client.get(f"/dashboard/stories/{story}", params={"since_version": "-1"})
    assert bad.status_code == 400
    assert "since_version must be 0 or more" in bad.text


def test_list_page_filters_page_and_reports_bad_values(client: Client) -> None:
    for i in range(3):
        post(client, other_article("comet", outlet=f"O{i}", story_key=f"k{i}"))
    post(client, other_article("library"))
    page = client.get("/", params={"q": "comet"}).text
    assert page.count('<tr data-story="') == 3
    bad = client.get("/", params={"since": "yesterday"})
    assert bad.status_code == 400
    assert "since &#39;yesterday&#39; is not a time" in bad.text
    assert client.get("/", params={"min_outlets": "two"}).status_code == 400


def _article(i: int, outlet: str, at: float) -> Article:
    return Article(f"a{i}", i, f"u{i}", outlet, None, at, at, at, None, "", (), "s1", b"")


def test_timeline_buckets_stack_and_coarsen() -> None:
    t0 = 1_795_161_600.0  # 2026-11-20 08:00 UTC
    articles = (
        _article(1, "A", t0 + 60),
        _article(2, "B", t0 + 120),
        _article(3, "A", t0 + 3 * 3600),
    )
    first = ParagraphFirst("c1", t0 + 120, "B", "a2", 2, "text")
    chart = timeline(articles, ["A", "B"], (first,))
    assert chart.bucket_s == 3600
    assert [(b.outlet, b.count) for b in chart.bars] == [("A", 1), ("B", 1), ("A", 1)]
    assert chart.peak == 2
    a, b = chart.bars[0], chart.bars[1]
    assert a.x == b.x  # one slot ...
    assert b.y + b.height == a.y  # ... B stacked on A
    assert chart.bars[2].x > a.x
    assert chart.bars[2].height == a.height == (chart.baseline - 14.0) / 2
    assert chart.marks[0].x > chart.left
    long = (_article(1, "A", t0), _article(2, "A", t0 + 10 * 86400))
    coarse = timeline(long, ["A"], ())
    assert coarse.bucket_s in BUCKETS_S
    assert (coarse.end - coarse.start) / coarse.bucket_s <= MAX_BUCKETS + 1
    assert coarse.bucket_s > 3600
