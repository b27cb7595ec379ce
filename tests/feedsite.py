"""A local news site for the feed tests: a real HTTP server (stdlib) on an ephemeral port.

Every text here is invented for these tests. Routes are set per test (:meth:`Site.route`);
every request is logged with its headers so tests can check what the poller sent.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    """What the site answers on one path."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    etag: str | None = None  # answer 304 to a matching If-None-Match
    last_modified: str | None = None  # answer 304 to a matching If-Modified-Since


@dataclass
class Request:
    """One logged request."""

    path: str
    headers: dict[str, str]
    at: float


class Site:
    """The server's routes and request log."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.routes: dict[str, Answer | Callable[[Request], Answer]] = {}
        self.log: list[Request] = []
        self.lock = threading.Lock()

    def route(self, path: str, answer: Answer | Callable[[Request], Answer]) -> str:
        """Serve ``answer`` on ``path``; returns the absolute URL."""
        self.routes[path] = answer
        return self.base + path

    def hits(self, path: str) -> list[Request]:
        """The requests made for ``path``."""
        with self.lock:
            return [r for r in self.log if r.path == path]


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            request = Request(
                self.path, {k.lower(): v for k, v in self.headers.items()}, time.time()
            )
            with site.lock:
                site.log.append(request)
            route = site.routes.get(self.path)
            if route is None:
                answer = Answer(b"not found", 404, "text/plain")
            else:
                answer = route(request) if callable(route) else route
            if answer.delay_s:
                time.sleep(answer.delay_s)
            fresh_tag = answer.etag and request.headers.get("if-none-match") == answer.etag
            fresh_date = (
                answer.last_modified
                and request.headers.get("if-modified-since") == answer.last_modified
            )
            if fresh_tag or fresh_date:
                self.send_response(304)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            self.send_response(answer.status)
            self.send_header("content-type", answer.content_type)
            self.send_header("content-length", str(len(answer.body)))
            if answer.etag:
                self.send_header("etag", answer.etag)
            if answer.last_modified:
                self.send_header("last-modified", answer.last_modified)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(answer.body)  # unless the client gave up (a timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve(host: str = "127.0.0.1") -> Iterator[Site]:
    """Run a site on ``host`` at an ephemeral port until the block ends."""
    site = Site("")
    server = ThreadingHTTPServer((host, 0), _handler(site))
    server.daemon_threads = True
    site.base = f"http://{host}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def http_date(moment: float) -> str:
    """An HTTP date (``Last-Modified`` form)."""
    return formatdate(moment, usegmt=True)


# ----------------------------------------------------------------------------- invented texts
HARBOUR = [
    "PORT ELLIS, Maine — The harbour commission voted on Thursday to dredge the main channel "
    "for the first time in thirty years, after two fishing boats ran aground on a sandbar that "
    "had grown across the entrance over the winter.",
    "Commission chair Ruth Okafor said the work would begin in late April and take about six "
    "weeks, during which larger vessels would be asked to use the north pier.",
    "The project will cost an estimated four million dollars, most of it paid by a federal "
    "grant the town won last autumn after a campaign led by local lobster fishermen.",
    "Environmental groups asked the commission to monitor eelgrass beds near the channel, and "
    "the commission agreed to hire an independent biologist to survey them before and after "
    "the dredging.",
    "Harbour master Len Duval said the sandbar had already cost the fleet weeks of lost "
    "fishing, because boats could leave and return only at high tide.",
]

ORCHARD = [
    "CEDAR FALLS, Iowa — A late frost destroyed most of the apple blossoms in the county's "
    "orchards this week, and growers warned that the autumn harvest could be the smallest in "
    "a generation.",
    "Temperatures fell to four degrees below freezing on Tuesday night, just as the trees were "
    "in full bloom, said agronomist Peter Lindqvist of the state extension service.",
    "Some growers ran wind machines and lit heaters through the night, but many smaller farms "
    "have neither and lost nearly every blossom on their trees.",
    "The county's apple festival, which draws about twenty thousand visitors each October, "
    "will go ahead, its organisers said, though with fruit brought from other states.",
    "State officials said farmers could apply for emergency loans and that crop insurance "
    "claims would be handled within sixty days.",
]

BRIDGE = [
    "GRANT CITY, Ore. — Engineers closed the Willow Street bridge to all traffic on Monday "
    "after an inspection found cracks in two of the steel beams that carry its deck over the "
    "river.",
    "The bridge carries about eleven thousand vehicles a day, and detours added as much as "
    "twenty minutes to commutes across the city during the morning rush.",
    "City engineer Alma Reyes said the cracks were probably caused by decades of corrosion "
    "and that the bridge would stay closed until a temporary support could be installed.",
    "The city council will meet on Wednesday to discuss emergency funding, and the mayor said "
    "she would ask the state for help paying for a permanent repair.",
    "Businesses near the bridge said the closure had already cut their customers, and asked "
    "the city to put up signs showing that their shops remained open.",
]


def article_page(title: str, paragraphs: list[str], *, charset: str = "utf-8") -> str:
    """A news page in the common shape: navigation, the article, related links, a footer."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="{charset}"><title>{title} | Coast Gazette</title>
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="2026-11-20T08:00:00Z">
</head><body>
<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a>
<a href="/weather">Weather</a></nav></header>
<main><article><h1>{title}</h1>
<p class="byline">By Coast Gazette staff</p>
{body}
</article>
<aside><h2>Most read</h2><ul><li><a href="/a">Council election results</a></li>
<li><a href="/b">School lunch prices rise</a></li></ul></aside></main>
<footer><p>Copyright 2026 Coast Gazette. All rights reserved.</p></footer>
</body></html>"""


def rss20(title: str, items: list[dict[str, str]]) -> bytes:
    """An RSS 2.0 document; item keys: title, link, guid, description, content, pubDate."""
    parts = []
    for item in items:
        fields = [f"<title>{item['title']}</title>"]
        if "link" in item:
            fields.append(f"<link>{item['link']}</link>")
        if "guid" in item:
            fields.append(f'<guid isPermaLink="false">{item["guid"]}</guid>')
        if "pubDate" in item:
            fields.append(f"<pubDate>{item['pubDate']}</pubDate>")
        if "description" in item:
            fields.append(f"<description>{item['description']}</description>")
        if "content" in item:
            fields.append(f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>")
        parts.append("<item>" + "".join(fields) + "</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{title}</title><link>https://gazette.test/</link>"
        "<description>News</description>" + "".join(parts) + "</channel></rss>"
    ).encode()


def atom(title: str, entries: list[dict[str, str]]) -> bytes:
    """An Atom 1.0 document; entry keys: id, title, link, updated, summary, content."""
    parts = []
    for e in entries:
        fields = [f"<id>{e['id']}</id>", f"<title>{e['title']}</title>"]
        fields.append(f'<link rel="alternate" href="{e["link"]}"/>')
        fields.append(f"<updated>{e.get('updated', '2026-11-24T09:00:00Z')}</updated>")
        if "summary" in e:
            fields.append(f"<summary>{e['summary']}</summary>")
        if "content" in e:
            fields.append(f'<content type="html"><![CDATA[{e["content"]}]]></content>')
        parts.append("<entry>" + "".join(fields) + "</entry>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{title}</title><id>urn:test:{title}</id><updated>2026-11-24T09:00:00Z</updated>"
        + "".join(parts)
        + "</feed>"
    ).encode()


def rss10(title: str, items: list[dict[str, str]]) -> bytes:
    """An RSS 1.0 (RDF) document; item keys: link, title, description, date."""
    seq = "".join(f'<rdf:li rdf:resource="{i["link"]}"/>' for i in items)
    parts = "".join(
        f'<item rdf:about="{i["link"]}"><title>{i["title"]}</title><link>{i["link"]}</link>'
        f"<description>{i['description']}</description>"
        f"<dc:date>{i.get('date', '2026-11-24T09:00:00Z')}</dc:date></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="https://gazette.test/"><title>{title}</title>'
        "<link>https://gazette.test/</link><description>News</description>"
        f"<items><rdf:Seq>{seq}</rdf:Seq></items></channel>{parts}</rdf:RDF>"
    ).encode()


def html_paragraphs(paragraphs: list[str]) -> str:
    """Paragraphs as the HTML a feed's content:encoded carries."""
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def harbour_and_orchard(base: str) -> list[dict[str, str]]:
    """Two full-text items of unrelated stories (harbour dredging, orchard frost) at ``base``."""
    return [
        {
            "title": "Harbour channel to be dredged",
            "link": f"{base}/news/harbour",
            "guid": "h1",
            "content": html_paragraphs(HARBOUR),
        },
        {
            "title": "Frost wipes out apple blossoms",
            "link": f"{base}/news/orchard",
            "guid": "o1",
            "content": html_paragraphs(ORCHARD),
        },
    ]
