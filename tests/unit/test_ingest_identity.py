"""Article identity at the text edge: normalised input, canonical URLs, content keys.

Memory store and hashing embedder (tests/unit/conftest.py); all texts are written for these
tests (tests/texts.py).
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.domain.errors import InvalidInputError
from service.domain.models import ArticleInput
from service.ingest import normalised_input
from tests.texts import OTHER, WIRE
from tests.unit.conftest import Factory

T0 = 1_700_000_000.0


def wire(
    url: str = "https://ledger.example/a", outlet: str = "Ledger", **kw: object
) -> ArticleInput:
    return ArticleInput(
        url=url,
        outlet=outlet,
        title=kw.pop("title", "Title"),  # type: ignore[arg-type]
        text=kw.pop("text", "\n".join(WIRE)),  # type: ignore[arg-type]
        published_at=T0,
    )


def test_normalised_input_cleans_every_shown_field() -> None:
    raw = wire(
        url="HTTPS://Ledger.Example:443/a/?utm_source=rss#top",
        outlet=" Ledger &amp; Co\u200b ",
        title="A&#8217;s\x00 title",
        text=f"\ufeff{WIRE[0]}\r\n\r\n{WIRE[1]}  \n",
    )
    clean = normalised_input(raw)
    assert clean.url == "https://ledger.example/a"
    assert clean.outlet == "Ledger & Co"
    assert clean.title == "A’s title"
    assert clean.text == f"{WIRE[0]}\n{WIRE[1]}"
    assert normalised_input(wire(title="\u200b")).title is None
    with pytest.raises(InvalidInputError, match="outlet"):
        normalised_input(wire(outlet="\u200b\x00"))


async def test_same_outlet_same_body_elsewhere_is_the_same_article(make_wiredesk: Factory) -> None:
    wd = make_wiredesk()
    first = await wd.submit(wire())
    again = await wd.submit(wire(url="https://ledger.example/b", outlet="LEDGER", title="Other"))
    assert again.status == "unchanged"
    assert again.article_id == first.article_id
    assert again.canonical_url == "https://ledger.example/a"
    # A different outlet, or a different body, is another article.
    wire_copy = await wd.submit(wire(url="https://herald.example/a", outlet="Herald"))
    assert wire_copy.status == "created"
    shorter = await wd.submit(wire(url="https://ledger.example/c", text=WIRE[0]))
    assert shorter.status == "created"


async def test_an_updated_article_gives_up_its_old_content_key(make_wiredesk: Factory) -> None:
    wd = make_wiredesk()
    first = await wd.submit(wire())
    updated = await wd.submit(wire(text="\n".join([*WIRE, OTHER[0]])))
    assert updated.status == "updated"
    assert updated.article_id == first.article_id
    # The old body is no longer what the article says: posted elsewhere, it is a new article.
    old_body = await wd.submit(wire(url="https://ledger.example/old"))
    assert old_body.status == "created"
    # The new body under another URL is the updated article.
    moved = await wd.submit(
        wire(url="https://ledger.example/new", text="\n".join([*WIRE, OTHER[0]]))
    )
    assert moved.status == "unchanged"
    assert moved.article_id == first.article_id


_noise = st.lists(
    st.sampled_from(["", " ", "  ", "\n", "\r\n", "\u00a0", "\u200b", "\ufeff", "\t"]),
    min_size=len(WIRE) + 1,
    max_size=len(WIRE) + 1,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_noise, st.sampled_from(["", "/", "?utm_source=x", "#frag", "/?fbclid=1&utm_medium=y"]))
async def test_whitespace_invisible_and_url_variants_never_update(
    make_wiredesk: Factory, noise: list[str], suffix: str
) -> None:
    wd = make_wiredesk()
    first = await wd.submit(wire())
    text = noise[0] + "\n".join(f"{p}{n}" for p, n in zip(WIRE, noise[1:], strict=True))
    again = await wd.submit(dataclasses.replace(wire(), url=wire().url + suffix, text=text))
    assert again.status == "unchanged"
    assert again.article_id == first.article_id
