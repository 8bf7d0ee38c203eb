"""The sans-I/O realtime core, driven with plain event dicts: no sockets, no sleeps."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicelab.errors import ParameterError
from voicelab.realtime.core import (
    ClientCore,
    Phase,
    ReconnectPolicy,
    ResponseState,
    UsageTotals,
    audio_ms,
)

CONFIG = {"type": "realtime", "instructions": "Be brief.", "audio": {"output": {"voice": "alloy"}}}


def ev(kind: str, **fields):
    return {"type": kind, "event_id": f"event_{kind}", **fields}


def pcm_ms(ms: float) -> bytes:
    return b"\x01\x00" * int(24 * ms)


def ready_core(**kwargs) -> ClientCore:
    core = ClientCore(CONFIG, **kwargs)
    core.connecting(t=0.0)
    core.receive(ev("session.created", session={"type": "realtime"}), t=0.0)
    core.receive(ev("session.updated", session={"type": "realtime"}), t=0.0)
    return core


def audio_delta(item_id: str, ms: float, response_id: str = "resp_1") -> dict:
    return ev(
        "response.output_audio.delta",
        response_id=response_id,
        item_id=item_id,
        output_index=0,
        content_index=0,
        delta=base64.b64encode(pcm_ms(ms)).decode(),
    )


def response_created(rid: str = "resp_1") -> dict:
    return ev(
        "response.created", response={"id": rid, "object": "realtime.response", "status": "in_progress"}
    )


USAGE = {
    "total_tokens": 150,
    "input_tokens": 100,
    "output_tokens": 50,
    "input_token_details": {
        "text_tokens": 40,
        "audio_tokens": 60,
        "image_tokens": 0,
        "cached_tokens": 20,
        "cached_tokens_details": {"text_tokens": 20, "audio_tokens": 0},
    },
    "output_token_details": {"text_tokens": 10, "audio_tokens": 40},
}


def response_done(rid: str = "resp_1", status: str = "completed", output=None, usage=USAGE) -> dict:
    return ev(
        "response.done",
        response={
            "id": rid,
            "object": "realtime.response",
            "status": status,
            "output": output or [],
            "usage": usage,
        },
    )


# ---------------------------------------------------------------- session set-up


def test_session_created_sends_config_and_updated_makes_ready():
    core = ClientCore(CONFIG)
    core.connecting(t=0.0)
    assert core.phase is Phase.CONNECTING
    r = core.receive(ev("session.created", session={"type": "realtime", "instructions": ""}), t=0.1)
    assert r.send == [{"type": "session.update", "session": CONFIG}]
    assert core.phase is Phase.CONFIGURING
    r = core.receive(ev("session.updated", session={**CONFIG, "model": "gpt-realtime"}), t=0.2)
    assert r.ready and core.phase is Phase.READY
    assert core.session["model"] == "gpt-realtime"


def test_events_sent_before_ready_are_held_then_released_in_order():
    core = ClientCore(CONFIG)
    core.connecting(t=0.0)
    assert core.append_audio(pcm_ms(100), t=0.0) == []
    assert core.send(ev("response.create"), t=0.0) == []
    core.receive(ev("session.created", session={}), t=0.1)
    r = core.receive(ev("session.updated", session={}), t=0.2)
    assert [e["type"] for e in r.send] == ["input_audio_buffer.append", "response.create"]
    assert "_ms" not in r.send[0]
    assert core.audio_sent_ms == pytest.approx(100.0)
    assert core.audio_replayed_ms == 0.0  # first connection: nothing was "re"played


def test_update_config_is_merged_into_what_reconnect_reapplies():
    core = ready_core()
    out = core.update_config({"audio": {"output": {"speed": 1.2}}})
    assert out == {"type": "session.update", "session": {"audio": {"output": {"speed": 1.2}}}}
    assert core.config["audio"]["output"] == {"voice": "alloy", "speed": 1.2}


# ---------------------------------------------------------------- items and transcripts


def test_transcripts_are_assembled_per_item():
    core = ready_core()
    core.receive(
        ev(
            "conversation.item.added",
            item={"id": "u1", "type": "message", "role": "user", "content": [{"type": "input_audio"}]},
        ),
        t=1,
    )
    for piece in ("Hello", " there"):
        core.receive(
            ev(
                "conversation.item.input_audio_transcription.delta",
                item_id="u1",
                content_index=0,
                delta=piece,
            ),
            t=1,
        )
    core.receive(
        ev(
            "conversation.item.input_audio_transcription.completed",
            item_id="u1",
            content_index=0,
            transcript="Hello there.",
            usage={"type": "duration", "seconds": 1.5},
        ),
        t=1,
    )
    core.receive(response_created(), t=2)
    for piece in ("Hi", "!"):
        core.receive(
            ev(
                "response.output_audio_transcript.delta",
                response_id="resp_1",
                item_id="a1",
                output_index=0,
                content_index=0,
                delta=piece,
            ),
            t=2,
        )
    core.receive(
        ev(
            "response.output_text.delta",
            response_id="resp_1",
            item_id="a2",
            output_index=1,
            content_index=0,
            delta="typed",
        ),
        t=2,
    )
    assert core.items["u1"].transcript == "Hello there."
    assert core.items["a1"].transcript == "Hi!"
    assert core.items["a1"].role == "assistant"
    assert core.transcript() == [("user", "Hello there."), ("assistant", "Hi!"), ("assistant", "typed")]
    assert core.usage.transcription_seconds == 1.5


def test_response_done_tracks_status_usage_and_clears_active_response():
    core = ready_core()
    core.send(ev("response.create"), t=1.0)
    assert core.active_response.state is ResponseState.REQUESTED
    core.receive(response_created(), t=1.1)
    assert core.active_response.state is ResponseState.IN_PROGRESS
    core.receive(audio_delta("a1", 40), t=1.3)
    core.receive(response_done(), t=1.5)
    assert core.active_response is None
    resp = core.responses["resp_1"]
    assert resp.state is ResponseState.COMPLETED and resp.audio_ms == pytest.approx(40)
    turn = core.turns[0]
    assert turn.kind == "text" and turn.response is resp
    assert turn.time_to_first_audio == pytest.approx(0.3)
    assert turn.total_time == pytest.approx(0.5)


def test_usage_totals_sum_every_response():
    core = ready_core()
    for n in (1, 2):
        core.receive(response_created(f"resp_{n}"), t=n)
        core.receive(response_done(f"resp_{n}"), t=n)
    u = core.usage
    assert (u.responses, u.input_text_tokens, u.input_audio_tokens) == (2, 80, 120)
    assert (u.cached_text_tokens, u.output_text_tokens, u.output_audio_tokens) == (40, 20, 80)
    merged = u.as_response_usage()
    assert merged["input_tokens"] == 200 and merged["output_tokens"] == 100 and merged["total_tokens"] == 300
    assert merged["input_token_details"]["cached_tokens"] == 40


@pytest.mark.parametrize(
    "usage, field, value",
    [
        (
            {
                "type": "tokens",
                "input_tokens": 30,
                "output_tokens": 5,
                "total_tokens": 35,
                "input_token_details": {"audio_tokens": 25, "text_tokens": 5},
            },
            "transcription_input_audio_tokens",
            25,
        ),
        ({"type": "duration", "seconds": 2.5}, "transcription_seconds", 2.5),
    ],
    ids=["tokens", "duration"],
)
def test_transcription_usage_kinds(usage, field, value):
    totals = UsageTotals()
    totals.add_transcription(usage)
    assert getattr(totals, field) == value


# ---------------------------------------------------------------- audio bookkeeping


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


def test_append_audio_counts_sent_ms_and_maps_audio_clock_to_session_time():
    core = ready_core()
    for i in range(5):
        core.append_audio(pcm_ms(200), t=10.0 + 0.2 * i)
    assert core.audio_sent_ms == pytest.approx(1000)
    assert core.input_time(300) == pytest.approx(10.3)
    assert core.input_time(0) == pytest.approx(10.0)


def test_odd_byte_count_is_a_parameter_error():
    with pytest.raises(ParameterError, match="pcm16"):
        ready_core().append_audio(b"\x00\x00\x00", t=0)


def test_voice_turn_latency_is_measured_from_end_of_speech():
    core = ready_core()
    for i in range(20):  # 2 s of audio sent in real time from t=0
        core.append_audio(pcm_ms(100), t=0.1 * i)
    core.receive(ev("input_audio_buffer.speech_started", audio_start_ms=200, item_id="u1"), t=0.35)
    core.receive(ev("input_audio_buffer.speech_stopped", audio_end_ms=1200, item_id="u1"), t=1.75)
    core.receive(ev("input_audio_buffer.committed", item_id="u1", previous_item_id=None), t=1.76)
    core.receive(response_created(), t=1.8)
    core.receive(audio_delta("a1", 100), t=2.0)
    core.receive(response_done(), t=2.4)
    turn = core.turns[0]
    assert turn.kind == "voice" and turn.user_item_id == "u1"
    assert turn.speech_started_t == pytest.approx(0.2)
    assert turn.start_t == pytest.approx(1.2)
    assert turn.time_to_first_audio == pytest.approx(0.8)
    assert turn.total_time == pytest.approx(1.2)


# ---------------------------------------------------------------- truncation and barge-in


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


def test_barge_in_while_audio_plays_cancels_and_truncates_at_played_ms():
    core = ready_core()
    core.receive(response_created(), t=10.0)
    core.receive(audio_delta("a1", 2000), t=10.0)  # arrives at once, plays in real time
    r = core.receive(ev("input_audio_buffer.speech_started", audio_start_ms=0, item_id="u2"), t=10.75)
    assert [e["type"] for e in r.send] == ["response.cancel", "conversation.item.truncate"]
    assert r.send[1]["audio_end_ms"] == 750
    assert r.barge_in.item_id == "a1" and r.barge_in.cancelled_response == "resp_1"
    assert any(n["type"] == "voicelab.barge_in" for n in r.notes)


def test_barge_in_after_response_done_truncates_without_cancel():
    core = ready_core()
    core.receive(response_created(), t=0.0)
    core.receive(audio_delta("a1", 3000), t=0.0)
    core.receive(response_done(), t=0.2)
    r = core.receive(ev("input_audio_buffer.speech_started", audio_start_ms=0, item_id="u2"), t=1.0)
    assert [e["type"] for e in r.send] == ["conversation.item.truncate"]
    assert r.send[0]["audio_end_ms"] == 1000


def test_no_barge_in_when_playback_finished():
    core = ready_core()
    core.receive(response_created(), t=0.0)
    core.receive(audio_delta("a1", 300), t=0.0)
    core.receive(response_done(), t=0.1)
    r = core.receive(ev("input_audio_buffer.speech_started", audio_start_ms=0, item_id="u2"), t=5.0)
    assert r.send == [] and r.barge_in is None


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


def test_benign_cancel_race_is_not_an_error():
    core = ready_core()
    r = core.receive(
        ev(
            "error",
            error={
                "type": "invalid_request_error",
                "code": "response_cancel_not_active",
                "message": "no active response",
            },
        ),
        t=0,
    )
    assert r.error is None and core.errors == []
    r = core.receive(
        ev(
            "error",
            error={
                "type": "invalid_request_error",
                "code": "invalid_value",
                "message": "bad",
                "param": "session.voice",
            },
        ),
        t=0,
    )
    assert r.error["param"] == "session.voice" and len(core.errors) == 1


# ---------------------------------------------------------------- function calls


def call_output(call_id: str, name: str, args: str, item_id: str) -> dict:
    return {
        "id": item_id,
        "type": "function_call",
        "status": "completed",
        "call_id": call_id,
        "name": name,
        "arguments": args,
    }


def test_function_calls_dispatch_once_response_is_done_and_follow_up_after_all_results():
    core = ready_core()
    core.send(ev("response.create"), t=0)
    core.receive(response_created(), t=0)
    output = [call_output("c1", "weather", '{"city": "Paris"}', "f1"), call_output("c2", "time", "", "f2")]
    r = core.receive(response_done(output=output), t=1)
    assert [(c.name, c.parsed_arguments()) for c in r.calls] == [("weather", {"city": "Paris"}), ("time", {})]
    first = core.function_result(r.calls[0], '{"temp": 21}', t=2)
    assert [e["type"] for e in first] == ["conversation.item.create"]
    assert first[0]["item"] == {"type": "function_call_output", "call_id": "c1", "output": '{"temp": 21}'}
    second = core.function_result(r.calls[1], '"noon"', t=2)
    assert [e["type"] for e in second] == ["conversation.item.create", "response.create"]
    assert core.turns[-1].kind == "tool"


def test_follow_up_waits_for_an_active_response():
    core = ready_core()
    core.receive(response_created(), t=0)
    r = core.receive(response_done(output=[call_output("c1", "f", "{}", "f1")]), t=1)
    core.receive(response_created("resp_2"), t=1.1)  # the user spoke meanwhile
    sent = core.function_result(r.calls[0], "ok", t=1.2)
    assert [e["type"] for e in sent] == ["conversation.item.create"]
    r2 = core.receive(response_done("resp_2"), t=2)
    assert [e["type"] for e in r2.send] == ["response.create"]


def test_cancelled_response_does_not_dispatch_calls():
    core = ready_core()
    core.receive(response_created(), t=0)
    r = core.receive(response_done(status="cancelled", output=[call_output("c1", "f", "{}", "f1")]), t=1)
    assert r.calls == []


@pytest.mark.parametrize("text", ["{not json", "[1, 2]"], ids=["invalid-json", "not-an-object"])
def test_bad_function_arguments_are_a_parameter_error(text):
    core = ready_core()
    core.receive(response_created(), t=0)
    r = core.receive(response_done(output=[call_output("c1", "f", text, "f1")]), t=1)
    with pytest.raises(ParameterError, match="arguments"):
        r.calls[0].parsed_arguments()


# ---------------------------------------------------------------- reconnect bookkeeping


def test_audio_appended_while_disconnected_is_replayed_after_config_is_reapplied():
    core = ready_core()
    core.append_audio(pcm_ms(500), t=0.0)
    core.send(ev("response.create"), t=0.1)
    core.receive(response_created(), t=0.2)
    notes = core.disconnected(t=1.0, code=1006)
    assert [n["type"] for n in notes] == ["voicelab.disconnected", "voicelab.response_lost"]
    assert core.responses["resp_1"].state is ResponseState.LOST and core.active_response is None
    assert core.reconnect_attempt(1, delay=1.0, t=1.0, code=1006)["attempt"] == 1
    assert core.append_audio(pcm_ms(300), t=1.1) == []
    assert core.append_audio(pcm_ms(200), t=1.2) == []
    assert core.pending_audio_ms == pytest.approx(500)
    core.connecting(t=2.0)
    r = core.receive(ev("session.created", session={}), t=2.1)
    assert r.send == [{"type": "session.update", "session": CONFIG}]  # config first, audio only after
    assert any(n["type"] == "voicelab.reconnected" for n in r.notes)
    r = core.receive(ev("session.updated", session={}), t=2.2)
    assert [e["type"] for e in r.send] == ["input_audio_buffer.append"] * 2
    assert {"type": "voicelab.replayed", "audio_ms": 500.0, "events": 2} in r.notes
    assert core.audio_replayed_ms == pytest.approx(500) and core.audio_sent_ms == pytest.approx(1000)
    assert core.reconnects == 1


def test_server_audio_clock_restarts_after_reconnect():
    core = ready_core()
    for i in range(10):
        core.append_audio(pcm_ms(100), t=0.1 * i)  # 1 s on the first connection
    core.disconnected(t=1.0)
    core.connecting(t=1.0)
    core.receive(ev("session.created", session={}), t=1.0)
    core.receive(ev("session.updated", session={}), t=1.0)
    for i in range(10):
        core.append_audio(pcm_ms(100), t=5.0 + 0.1 * i)
    core.receive(ev("input_audio_buffer.speech_started", audio_start_ms=300, item_id="u"), t=6)
    core.receive(ev("input_audio_buffer.speech_stopped", audio_end_ms=500, item_id="u"), t=6)
    core.receive(response_created(), t=6.1)
    assert core.turns[-1].speech_started_t == pytest.approx(5.3)
    assert core.turns[-1].start_t == pytest.approx(5.5)


def test_drop_policy_reports_audio_instead_of_replaying():
    core = ready_core(on_disconnect="drop")
    core.disconnected(t=1.0)
    core.append_audio(pcm_ms(250), t=1.1)
    assert core.audio_dropped_ms == pytest.approx(250) and core.pending_audio_ms == 0


def test_replay_buffer_is_bounded_and_counts_what_it_drops():
    core = ready_core(max_pending_ms=1000)
    core.disconnected(t=0)
    for _ in range(15):
        core.append_audio(pcm_ms(100), t=0)
    assert core.pending_audio_ms == pytest.approx(1000)
    assert core.audio_dropped_ms == pytest.approx(500)


def test_close_reports_held_audio_as_dropped_and_refuses_more():
    core = ready_core()
    core.disconnected(t=0)
    core.append_audio(pcm_ms(200), t=0)
    notes = core.closed(t=1, intentional=False, reason="gave up")
    assert notes[0] == {"type": "voicelab.audio_dropped", "audio_ms": 200.0, "events": 1, "reason": "closed"}
    assert core.phase is Phase.CLOSED
    with pytest.raises(ParameterError, match="session"):
        core.append_audio(pcm_ms(20), t=2)
    assert core.disconnected(t=3) == []  # no reconnect after close


def test_bad_on_disconnect_value():
    with pytest.raises(ParameterError, match="on_disconnect"):
        ClientCore(on_disconnect="ignore")


@pytest.mark.parametrize(
    "policy, delays",
    [(ReconnectPolicy(), [1.0, 2.0, 4.0]), (ReconnectPolicy(5, 0.01, 0.02), [0.01, 0.02, 0.02, 0.02, 0.02])],
    ids=["default-1-2-4", "fast-capped"],
)
def test_reconnect_policy_delays(policy, delays):
    assert [policy.delay(n) for n in range(1, policy.max_attempts + 1)] == delays


def test_reconnect_policy_validates():
    with pytest.raises(ParameterError):
        ReconnectPolicy(initial_delay=5, max_delay=1)


# ---------------------------------------------------------------- fuzzing the truncation invariant

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


@pytest.mark.parametrize("policy, max_pending, reason, dropped", [
    ("drop", 30_000, "appended while disconnected", 300.0),
    ("replay", 200, "replay buffer full", 100.0),
], ids=["drop-policy", "replay-overflow"])
def test_audio_dropped_during_an_outage_is_reported_when_back(policy, max_pending, reason, dropped):
    core = ready_core(on_disconnect=policy, max_pending_ms=max_pending)
    core.disconnected(t=0)
    for _ in range(3):
        core.append_audio(pcm_ms(100), t=0.1)
    core.connecting(t=1)
    core.receive(ev("session.created", session={}), t=1)
    r = core.receive(ev("session.updated", session={}), t=1)
    note = next(n for n in r.notes if n["type"] == "voicelab.audio_dropped")
    assert note == {"type": "voicelab.audio_dropped", "audio_ms": dropped, "reason": reason}


def test_barge_in_during_an_underrun_still_truncates_the_speaking_item():
    core = ready_core()
    core.receive(response_created(), t=0.0)
    core.receive(ev("response.output_item.added", response_id="resp_1", output_index=0,
                    item={"id": "a1", "type": "message", "role": "assistant", "content": []}), t=0.0)
    core.receive(audio_delta("a1", 500), t=0.0)  # the first sentence; the next one is late
    r = core.receive(ev("input_audio_buffer.speech_started", audio_start_ms=0, item_id="u"), t=2.0)
    assert [e["type"] for e in r.send] == ["response.cancel", "conversation.item.truncate"]
    assert r.send[1]["audio_end_ms"] == 500 and r.barge_in.item_id == "a1"


def test_an_error_while_configuring_is_a_refused_setup_but_not_once_ready():
    core = ClientCore(CONFIG)
    core.connecting(t=0.0)
    core.receive(ev("session.created", session={"type": "realtime"}), t=0.0)
    refused = {"type": "invalid_request_error", "code": "invalid_value", "param": "session.audio"}
    r = core.receive(ev("error", error=refused), t=0.1)
    assert r.setup_failed and r.error == refused and core.phase is Phase.CONFIGURING
    ready = ready_core()
    r = ready.receive(ev("error", error=refused), t=0.1)
    assert r.error == refused and not r.setup_failed



def test_a_usage_that_does_not_add_up_is_noted_not_summed():
    core = ready_core()
    core.receive(response_created("resp_1"), t=1.0)
    bad = {**USAGE, "input_tokens": 99}  # text 40 + audio 60 is 100
    core.receive(response_done("resp_1", usage=bad), t=2.0)
    assert core.turns[0].response.state is ResponseState.COMPLETED
    assert core.usage.responses == 0 and core.usage.input_tokens == 0
    assert len(core.usage.invalid) == 1 and "input_tokens" in core.usage.invalid[0]
