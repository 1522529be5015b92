"""How calls turned out: what the webhook's callbacks say, and waiting for them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from custom_components.bandwidth import outcomes
from custom_components.bandwidth.outcomes import CallRecord, CallWatcher
from custom_components.bandwidth.parse import CallbackEvent


def callback(
    event_type: str, call_id: str | None = "c-1", **data: Any
) -> CallbackEvent:
    """A parsed callback."""
    result = data.pop("machine", None)
    return CallbackEvent(event_type, call_id, result, data)


@pytest.mark.parametrize(
    ("events", "outcome"),
    [
        ([], "in_progress"),
        ([callback("answer", answer_time="t")], "answered"),
        ([callback("answer", machine="answering-machine")], "machine"),
        (
            [callback("answer"), callback("machineDetectionComplete", machine="human")],
            "answered",
        ),
        ([callback("disconnect", cause="timeout")], "no_answer"),
        ([callback("disconnect", cause="busy")], "busy"),
        ([callback("disconnect", cause="rejected")], "rejected"),
        ([callback("disconnect", cause="cancel")], "cancelled"),
        ([callback("disconnect", cause="hangup")], "no_answer"),
        ([callback("disconnect", cause="callback-error", error_message="x")], "failed"),
        ([callback("disconnect")], "failed"),
        ([callback("answer"), callback("disconnect", cause="hangup")], "answered"),
    ],
)
def test_outcomes(events: list[CallbackEvent], outcome: str) -> None:
    """Each way a call goes, in the words actions report."""
    watcher = CallWatcher()
    for event in events:
        watcher.observe(event)
    assert watcher.record("c-1").outcome == outcome


def test_what_a_record_tells() -> None:
    """Only what is known; the first answer counts."""
    watcher = CallWatcher()
    watcher.observe(callback("answer", event_time="first"))
    watcher.observe(callback("answer", answer_time="second"))
    watcher.observe(callback("gather", digits="1"))
    watcher.observe(callback("disconnect", cause="hangup"))
    watcher.observe(callback("answer", call_id=None))
    assert watcher.record("c-1").as_dict() == {
        "outcome": "answered",
        "answered_at": "first",
        "digits": "1",
        "disconnect_cause": "hangup",
    }
    assert watcher.record("c-2") == CallRecord(call_id="c-2")


def test_records_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the latest calls are remembered; a call seen again is the latest."""
    monkeypatch.setattr(outcomes, "MAX_RECORDS", 2)
    watcher = CallWatcher()
    for call_id in ("a", "b", "a", "c"):
        watcher.observe(callback("gather", call_id=call_id, digits=call_id))
    assert watcher.record("a").digits == "a"
    assert watcher.record("b").digits is None
    assert watcher.record("c").digits == "c"


async def test_waiting() -> None:
    """A wait ends when its moment comes, at its time limit, or when the entry unloads."""
    watcher = CallWatcher()
    answered = asyncio.create_task(
        watcher.async_wait("c-1", "answer", detect=True, limit=5)
    )
    ended = asyncio.create_task(watcher.async_wait("c-1", "end", detect=False, limit=5))
    await asyncio.sleep(0)
    watcher.observe(callback("answer"))
    await asyncio.sleep(0)
    assert not answered.done()  # detection still runs
    watcher.observe(callback("machineDetectionComplete", machine="human"))
    assert (await answered).outcome == "answered"
    assert not ended.done()
    watcher.observe(callback("disconnect", cause="hangup"))
    assert (await ended).ended
    # Over already: no wait at all.
    assert (await watcher.async_wait("c-1", "answer", detect=False, limit=5)).ended
    # The time limit.
    assert (
        await watcher.async_wait("c-2", "end", detect=False, limit=0.01)
    ).outcome == ("in_progress")
    # The entry unloading.
    waiting = asyncio.create_task(
        watcher.async_wait("c-3", "end", detect=False, limit=5)
    )
    other = asyncio.create_task(
        watcher.async_wait("c-3", "answer", detect=False, limit=5)
    )
    await asyncio.sleep(0)
    watcher.observe(callback("answer", call_id="c-3"))
    watcher.close()  # the answered wait has not ended yet: it is not ended twice
    assert (await other).outcome == "answered"
    assert (await waiting).outcome == "answered"
    assert watcher._waiters == {}
    assert (await watcher.async_wait("c-4", "end", detect=False, limit=5)).outcome == (
        "in_progress"
    )


def test_duration() -> None:
    """Seconds from the answer to the end, when both times can be read."""
    record = CallRecord(
        call_id="c-1",
        answered=True,
        answered_at="2026-12-07T10:00:00.400Z",
        ended=True,
        ended_at="2026-12-07T10:00:42.300Z",
    )
    assert record.duration == 42
    record.ended_at = "not a time"
    assert record.duration is None
    assert "duration" not in record.as_dict()


async def test_reached_after_the_others_ended() -> None:
    """The first person reached cancels nothing when every other call is over."""
    watcher = CallWatcher()
    cancelled: list[list[str]] = []
    waiting = asyncio.create_task(
        watcher.async_wait_calls(
            ["a", "b"], "end", detect=False, limit=5, on_reached=cancelled.append
        )
    )
    await asyncio.sleep(0)
    watcher.observe(callback("disconnect", call_id="b", cause="busy"))
    watcher.observe(callback("answer", call_id="a"))
    watcher.observe(callback("disconnect", call_id="a", cause="hangup"))
    a, b = await waiting
    assert (a.outcome, b.outcome) == ("answered", "busy")
    assert cancelled == []


def test_forwarded_call_answered() -> None:
    """A call forwarded elsewhere is answered when the forward is."""
    watcher = CallWatcher()
    watcher.observe(callback("transferAnswer", event_time="t"))
    watcher.observe(callback("transferAnswer", event_time="later"))
    assert watcher.record("c-1").outcome == "answered"
    assert watcher.record("c-1").answered_at == "t"
