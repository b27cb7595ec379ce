"""Live story events from real change sets (fakes for the store only), the ring and the queues."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.domain.errors import InvalidInputError, NotFoundError, UnavailableError
from service.domain.events import EventsConfig, LiveEvent
from service.pipeline.group import GroupConfig
from service.settings import Settings
from service.usecases import Wiredesk
from service.usecases.events import StreamFilter, Subscription
from tests.texts import OTHER, WIRE
from tests.unit.conftest import Factory
from tests.unit.test_usecases import article


def types(wd: Wiredesk) -> list[tuple[str, str]]:
    return [(e.type, e.story_id) for e in wd.events.ring()]


async def test_an_article_creates_a_story_and_its_brief_then_a_second_updates_both(
    make_wiredesk: Factory,
) -> None:
    wd = make_wiredesk()
    first = await wd.submit(article("MSN", WIRE[:3]))
    sid = first.story_id
    assert types(wd) == [("story.created", sid), ("brief.changed", sid)]
    created = wd.events.ring()[0]
    assert created.data() == {
        "story_id": sid,
        "version": 1,
        "title": "MSN story 0",
        "outlets": ["MSN"],
        "at": created.at,
    }
    await wd.submit(article("Yahoo", WIRE[:3], n=1))
    assert types(wd)[2:] == [("story.updated", sid), ("brief.changed", sid)]
    updated = wd.events.ring()[2]
    assert updated.version == 2
    assert updated.outlets == ("MSN", "Yahoo")
    # Ids are unique, increasing, and of this process.
    ids = [e.event_id for e in wd.events.ring()]
    assert len(set(ids)) == 4
    assert all(i.startswith(wd.events.epoch + "-") for i in ids)
    assert [e.seq for e in wd.events.ring()] == [1, 2, 3, 4]


async def test_an_identical_repost_makes_no_event_and_a_headline_edit_no_brief_change(
    make_wiredesk: Factory,
) -> None:
    wd = make_wiredesk()
    first = await wd.submit(article("MSN", WIRE[:3]))
    before = len(wd.events.ring())
    await wd.submit(article("MSN", WIRE[:3]))  # identical: nothing changes
    assert len(wd.events.ring()) == before
    await wd.submit(article("MSN", WIRE[:3], title="A new headline"))  # same URL, same text
    assert types(wd)[before:] == [("story.updated", first.story_id)]
    await wd.submit(article("MSN", WIRE[:4], title="A new headline"))  # the text grew
    assert types(wd)[before + 1 :] == [
        ("story.updated", first.story_id),
        ("brief.changed", first.story_id),
    ]


async def test_a_merge_emits_merged_under_the_absorbed_id_into_the_survivor(
    make_wiredesk: Factory,
) -> None:
    wd = make_wiredesk(settings=Settings(embedder="hash", group=GroupConfig(alike_similarity=-1.0)))
    fire = await wd.submit(article("MSN", WIRE[:3]))
    budget = await wd.submit(article("Reuters", OTHER))
    start = len(wd.events.ring())
    await wd.submit(article("Digest", [WIRE[1], OTHER[1]], n=9))
    events = wd.events.ring()[start:]
    merged = [e for e in events if e.type == "story.merged"]
    assert len(merged) == 1
    assert merged[0].story_id == budget.story_id
    assert merged[0].into == fire.story_id
    assert merged[0].data()["into"] == fire.story_id
    assert set(merged[0].outlets) == {"MSN", "Reuters", "Digest"}
    assert ("story.updated", fire.story_id) in [(e.type, e.story_id) for e in events]
    assert ("brief.changed", fire.story_id) in [(e.type, e.story_id) for e in events]
    # Following the absorbed id now follows the survivor.
    follow = wd.events.stream_filter(budget.story_id, [])
    survivor_event = next(e for e in events if e.type == "story.updated")
    assert follow.matches(merged[0], wd.world)
    assert follow.matches(survivor_event, wd.world)
    unrelated = await wd.submit(article("NBC", ["A comet was seen over the harbour tonight."]))
    assert not follow.matches(wd.events.ring()[-1], wd.world)
    assert unrelated.story_id != fire.story_id


async def test_filters_by_outlet_and_unknown_story_ids_are_refused(make_wiredesk: Factory) -> None:
    wd = make_wiredesk()
    await wd.submit(article("MSN", WIRE[:3]))
    await wd.submit(article("Reuters", OTHER))
    by_outlet = wd.events.stream_filter(None, ["reuters"])  # casefolded
    matched = [e for e in wd.events.ring() if by_outlet.matches(e, wd.world)]
    assert matched
    assert all("Reuters" in e.outlets for e in matched)
    assert len(matched) < len(wd.events.ring())
    with pytest.raises(NotFoundError, match="no story with id 's404'"):
        wd.events.stream_filter("s404", [])


async def test_resume_returns_what_the_client_missed_and_flags_gaps(
    make_wiredesk: Factory,
) -> None:
    wd = make_wiredesk(settings=Settings(embedder="hash", events=EventsConfig(ring_size=4)))
    for n in range(3):
        await wd.submit(article(f"Outlet{n}", [OTHER[n % len(OTHER)], f"Own line number {n}."]))
    ring = wd.events.ring()
    assert len(ring) == 4  # 6 events made, the newest 4 held
    everything = StreamFilter()
    third = f"{wd.events.epoch}-{ring[1].seq}"
    resume = wd.events.resume(everything, third)
    assert [e.seq for e in resume.backlog] == [ring[2].seq, ring[3].seq]
    assert not resume.gap
    lost = wd.events.resume(everything, f"{wd.events.epoch}-1")  # older than the ring
    assert lost.gap
    assert [e.seq for e in lost.backlog] == [e.seq for e in ring if e.seq > 1]
    other_process = wd.events.resume(everything, "zzzz-3")
    assert other_process.gap
    assert len(other_process.backlog) == 4
    with pytest.raises(InvalidInputError, match="not an event id"):
        wd.events.resume(everything, "42; drop")


async def test_a_slow_client_is_dropped_at_its_bound_and_the_write_never_waits(
    make_wiredesk: Factory,
) -> None:
    wd = make_wiredesk(settings=Settings(embedder="hash", events=EventsConfig(client_queue=3)))
    slow, _ = wd.events.open(StreamFilter(), None)
    fast, _ = wd.events.open(StreamFilter(), None)
    assert wd.events.clients == 2
    received: list[LiveEvent] = []
    for n in range(4):  # 8 events
        await wd.submit(article(f"Outlet{n}", [OTHER[n % len(OTHER)], f"Own line {n}."]))
        while fast.queue:
            item = await fast.next(0.01)
            assert item is not None
            received.append(item)
    assert len(received) == 8
    assert slow.dropped
    assert len(slow.queue) == 3
    assert wd.events.clients == 1  # the slow one is no longer offered anything
    assert wd.events.dropped_clients == 1
    # Its stream drains what it holds, then ends.
    drained = [await slow.next(0.01) for _ in range(3)]
    assert [e.seq for e in drained if e] == [1, 2, 3]
    assert await slow.next(0.01) is None


async def test_too_many_clients_answer_unavailable(make_wiredesk: Factory) -> None:
    wd = make_wiredesk(settings=Settings(embedder="hash", events=EventsConfig(max_clients=2)))
    a, _ = wd.events.open(StreamFilter(), None)
    wd.events.open(StreamFilter(), None)
    with pytest.raises(UnavailableError, match="2 event streams are open"):
        wd.events.open(StreamFilter(), None)
    wd.events.close(a)
    wd.events.open(StreamFilter(), None)


async def test_a_waiting_client_wakes_on_an_event_and_idles_into_a_heartbeat() -> None:
    client = Subscription(StreamFilter(), bound=2)
    assert await client.next(0.05) is None  # heartbeat time, nothing queued
    event = LiveEvent(1, "e-1", "story.created", "s1", 1, None, ("A",), 0.0)
    waiter = asyncio.create_task(client.next(5.0))
    await asyncio.sleep(0.01)
    client.offer(event)
    assert await asyncio.wait_for(waiter, 1.0) is event


@settings(max_examples=200, deadline=None)
@given(
    bound=st.integers(min_value=1, max_value=8),
    steps=st.lists(st.booleans(), max_size=60),
)
def test_a_client_queue_never_exceeds_its_bound(bound: int, steps: list[bool]) -> None:
    """Any interleaving of offers (True) and reads (False): at most ``bound`` held, and once
    dropped a client takes nothing more."""
    client = Subscription(StreamFilter(), bound)
    seq = 0
    for offer in steps:
        if offer:
            seq += 1
            was_dropped = client.dropped
            accepted = client.offer(
                LiveEvent(seq, f"e-{seq}", "story.updated", "s1", seq, None, (), 0.0)
            )
            assert accepted == (len(client.queue) <= bound and not client.dropped)
            if was_dropped or not accepted:
                assert client.dropped
        elif client.queue:
            client.queue.popleft()
        assert len(client.queue) <= bound


def test_limits_come_from_the_environment_and_are_checked() -> None:
    from service.settings import SettingsError

    settings = Settings.from_env(
        {
            "WIREDESK_EVENTS__CLIENT_QUEUE": "32",
            "WIREDESK_EVENTS__HEARTBEAT_S": "2.5",
            "WIREDESK_WEBHOOKS__MAX_ATTEMPTS": "3",
            "WIREDESK_FETCH_ALLOW_PRIVATE": "true",
        }
    )
    assert settings.events == EventsConfig(client_queue=32, heartbeat_s=2.5)
    assert settings.webhooks.max_attempts == 3
    assert settings.fetch_allow_private is True
    assert Settings().fetch_allow_private is False
    for name, value in (
        ("WIREDESK_EVENTS__CLIENT_QUEUE", "0"),
        ("WIREDESK_EVENTS__HEARTBEAT_S", "0"),
        ("WIREDESK_WEBHOOKS__BASE_DELAY_S", "120"),  # above the 60 s cap
        ("WIREDESK_WEBHOOKS__QUEUE_SIZE", "0"),
    ):
        with pytest.raises(SettingsError):
            Settings.from_env({name: value})
