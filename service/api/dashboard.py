"""The operators' dashboard: one server-rendered HTML page; inline CSS, nothing from the web."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from urllib.parse import quote

from service.domain.errors import NotFoundError
from service.usecases import Wiredesk

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;
background:#f5f6f8}header{background:#14213d;color:#fff;padding:12px 24px;display:flex;
gap:24px;align-items:baseline}header h1{font-size:20px;margin:0}main{padding:16px 24px;
display:grid;grid-template-columns:minmax(320px,1fr) 2fr;gap:20px}.stats span{margin-right:18px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:6px 8px;
border-bottom:1px solid #e3e6eb;text-align:left;vertical-align:top}th{background:#eef0f4;
font-weight:600}tr.sel{background:#fff7d6}a{color:#1c4fa0;text-decoration:none}
.tag{display:inline-block;background:#e4ecfa;border-radius:9px;padding:0 7px;margin:1px;
font-size:12px}.card{background:#fff;border:1px solid #e3e6eb;border-radius:6px;padding:10px 14px;
margin-bottom:12px}.muted{color:#6b7280;font-size:12px}blockquote{margin:6px 0;padding-left:10px;
border-left:3px solid #c9d3e6}
"""


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _tags(items: tuple[str, ...] | list[str]) -> str:
    return "".join(f'<span class="tag">{escape(i)}</span>' for i in items)


_HISTORY_ROWS = 12  # the newest events shown; the rest are one click away (history JSON)


def _history(wiredesk: Wiredesk, story_id: str) -> str:
    """The story's newest lineage events as an HTML list (every value escaped)."""
    events = wiredesk.get_history(story_id, _HISTORY_ROWS).events
    items = []
    for e in events:
        parts = [escape(e.kind.replace("_", " "))]
        if e.article_ids:
            shown = ", ".join(e.article_ids[:8]) + (" …" if len(e.article_ids) > 8 else "")
            parts.append(escape(shown))
        if e.other_story_id:
            parts.append(
                f"<a href='/?story={quote(e.other_story_id)}'>{escape(e.other_story_id)}</a>"
            )
        if e.kind == "title_changed":
            parts.append(f"“{escape(e.title or '')}”")
        items.append(
            f"<li><span class='muted'>{_when(e.at)} · {escape(e.story_id)} · "
            f"{escape(e.reason)}</span> {' · '.join(parts)}</li>"
        )
    return "<ul>" + "".join(items) + "</ul>" if items else "<p class='muted'>None kept.</p>"


def render(wiredesk: Wiredesk, selected: str | None, limit: int = 50) -> str:
    """The dashboard HTML: stories on the left, the selected story's clusters on the right."""
    gauges = wiredesk.gauges()
    page = wiredesk.list_stories(limit, None)
    current = None
    if selected is None and page.stories:
        selected = page.stories[0].story_id
    if selected is not None:
        try:
            current = wiredesk.get_story(selected)
        except NotFoundError:
            current = None
    rows = []
    for s in page.stories:
        cls = ' class="sel"' if current and s.story_id == current.story.story_id else ""
        rows.append(
            f"<tr{cls}><td><a href='/?story={quote(s.story_id)}'>{escape(s.title or s.story_id)}"
            f"</a><div class='muted'>{escape(s.story_id)} · v{s.version} · "
            f"updated {_when(s.updated_at)}</div></td><td>{s.article_count}</td>"
            f"<td>{_tags(s.outlets)}</td></tr>"
        )
    detail = "<p class='muted'>No story yet. POST /articles to add one.</p>"
    if current is not None:
        story = current.story
        clusters = []
        for c in current.clusters[:30]:
            first = c.paragraphs[0]
            clusters.append(
                f"<div class='card'><b>{escape(c.cluster_id)}</b> · {len(c.outlets)} outlets · "
                f"{len(c.paragraphs)} paragraphs<div>{_tags(c.outlets)}</div>"
                f"<blockquote>{escape(first.text[:400])}</blockquote>"
                f"<div class='muted'>origin {escape(c.origin_article_id)} "
                f"({escape(first.outlet)})</div></div>"
            )
        members = "".join(
            f"<li>{escape(a.outlet)}: <a href='/articles/{quote(a.article_id)}'>"
            f"{escape(a.title or a.url)}</a></li>"
            for a in current.articles[:100]
        )
        detail = (
            f"<h2>{escape(story.title or story.story_id)}</h2>"
            f"<p class='muted'>{escape(story.story_id)} · version {story.version} · "
            f"{story.article_count} articles · {_when(story.first_seen)} → "
            f"{_when(story.last_seen)} · <a href='/stories/{quote(story.story_id)}/brief'>brief"
            f"</a> · <a href='/stories/{quote(story.story_id)}'>json</a> · "
            f"<a href='/stories/{quote(story.story_id)}/history'>history</a></p>"
            f"<div>{_tags(story.outlets)}</div>"
            f"<h3>Near-duplicate clusters across articles ({len(current.clusters)})</h3>"
            + ("".join(clusters) or "<p class='muted'>None yet.</p>")
            + f"<h3>Articles</h3><ul>{members}</ul>"
            + f"<h3>History (newest first)</h3>{_history(wiredesk, story.story_id)}"
        )
    stats = " ".join(
        f"<span><b>{int(gauges[k])}</b> {label}</span>"
        for k, label in (
            ("articles", "articles"),
            ("stories", "stories"),
            ("clusters", "clusters"),
            ("cross_outlet_clusters", "cross-outlet"),
            ("index_vectors", "vectors"),
        )
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='refresh' content='15'><title>Wiredesk</title>"
        f"<style>{_CSS}</style></head><body><header><h1>Wiredesk</h1>"
        f"<div class='stats'>{stats}</div></header><main><section><table><thead><tr>"
        "<th>Story</th><th>Articles</th><th>Outlets</th></tr></thead><tbody>"
        + "".join(rows)
        + f"</tbody></table></section><section>{detail}</section></main></body></html>"
    )
