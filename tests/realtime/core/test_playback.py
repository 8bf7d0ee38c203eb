"""Playback position, truncation points, and the truncation invariant under fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicelab.errors import ParameterError
from voicelab.realtime.core import (
    audio_ms,
)

from .conftest import audio_delta, ev, ready_core, response_created, response_done


@pytest.mark.parametrize(
    "n_bytes, fmt, ms",
    [
        (48_000, "audio/pcm", 1000.0),
        (960, "audio/pcm", 20.0),
        (8_000, "audio/pcmu", 1000.0),
        (80, "audio/pcma", 10.0),
    ],
    ids=["pcm-1s", "pcm-20ms", "pcmu", "pcma"],
)
def test_audio_ms(n_bytes, fmt, ms):
    assert audio_ms(n_bytes, format=fmt) == ms


def test_audio_ms_rejects_unknown_format():
    with pytest.raises(ParameterError, match="format"):
        audio_ms(10, format="audio/mp3")


@pytest.mark.parametrize(
    "played, expected",
    [(0.0, 0), (123.9, 123), (500.0, 500), (730.0, 500), (-5.0, 0)],
    ids=["start", "floors", "exact-end", "past-end-clamped", "negative"],
)
def test_truncate_never_exceeds_audio_received(played, expected):
    core = ready_core()
    core.receive(response_created(), t=0)
    core.receive(audio_delta("a1", 500), t=0)
    event = core.truncate("a1", played, t=1.0)
    assert event == {
        "type": "conversation.item.truncate",
        "item_id": "a1",
        "content_index": 0,
        "audio_end_ms": expected,
    }
    assert event["audio_end_ms"] <= core.items["a1"].audio_received_ms


def test_truncate_unknown_item_is_a_parameter_error():
    with pytest.raises(ParameterError, match="item_id"):
        ready_core().truncate("nope", 10, t=0)


def test_player_report_wins_over_the_clock_and_is_still_clamped():
    core = ready_core()
    core.receive(response_created(), t=0.0)
    core.receive(audio_delta("a1", 400), t=0.0)
    core.report_played("a1", 120)
    assert core.played_ms("a1", t=100.0) == 120
    core.report_played("a1", 9999)  # a player that over-reports cannot push the cut past the audio
    core.report_played("a1", 399.6)
    r = core.receive(ev("input_audio_buffer.speech_started", audio_start_ms=0, item_id="u2"), t=0.1)
    assert r.send[-1]["audio_end_ms"] == 399


def test_items_play_back_to_back():
    core = ready_core()
    core.receive(response_created(), t=0.0)
    core.receive(audio_delta("a1", 1000), t=0.0)
    core.receive(response_done(), t=0.0)
    core.receive(response_created("resp_2"), t=0.1)
    core.receive(audio_delta("a2", 1000, "resp_2"), t=0.1)
    assert core.played_ms("a2", t=1.5) == pytest.approx(500)  # a2 starts when a1 ends, at t=1.0
    assert core.playing_item(t=1.5).id == "a2"


_STEPS = st.lists(st.one_of(
    st.tuples(st.just("delta"), st.integers(0, 2), st.integers(1, 4000)),        # item, ms of audio
    st.tuples(st.just("speech"), st.floats(0, 3), st.just(0)),                    # after some seconds
    st.tuples(st.just("report"), st.integers(0, 2), st.integers(-100, 100_000)),  # a player's (bad) report
    st.tuples(st.just("done"), st.just(0), st.just(0)),
    st.tuples(st.just("interrupt"), st.floats(-1e3, 1e6), st.just(0)),
), max_size=40)


@settings(max_examples=200, deadline=None)
@given(_STEPS)
def test_truncation_never_exceeds_audio_received(steps):
    core = ready_core()
    t = 0.0
    response = 0
    core.receive(response_created(f"resp_{response}"), t=t)
    for kind, a, b in steps:
        sends = []
        if kind == "delta":
            core.receive(audio_delta(f"a{a}", b, f"resp_{response}"), t=t)
        elif kind == "speech":
            t += a
            started = ev("input_audio_buffer.speech_started", audio_start_ms=0, item_id="u")
            sends = core.receive(started, t=t).send
        elif kind == "report":
            core.report_played(f"a{a}", b)
        elif kind == "done":
            core.receive(response_done(f"resp_{response}"), t=t)
            response += 1
            core.receive(response_created(f"resp_{response}"), t=t)
        else:
            sends, _ = core.barge_in(t=t, played_ms=a)
        for event in sends:
            if event["type"] == "conversation.item.truncate":
                received = core.items[event["item_id"]].audio_received_ms
                assert 0 <= event["audio_end_ms"] <= received
                assert isinstance(event["audio_end_ms"], int)
