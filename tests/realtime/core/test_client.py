"""ClientCore: set-up, holding events until ready, barge-in, function results, errors (plain event dicts)."""

from __future__ import annotations

import pytest

from voicelab.realtime.core import (
    ClientCore,
    Phase,
)

from .conftest import (
    CONFIG,
    audio_delta,
    call_output,
    ev,
    pcm_ms,
    ready_core,
    response_created,
    response_done,
)


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


def test_barge_in_during_an_underrun_still_truncates_the_speaking_item():
    core = ready_core()
    core.receive(response_created(), t=0.0)
    core.receive(
        ev(
            "response.output_item.added",
            response_id="resp_1",
            output_index=0,
            item={"id": "a1", "type": "message", "role": "assistant", "content": []},
        ),
        t=0.0,
    )
    core.receive(audio_delta("a1", 500), t=0.0)  # the first sentence; the next one is late
    r = core.receive(ev("input_audio_buffer.speech_started", audio_start_ms=0, item_id="u"), t=2.0)
    assert [e["type"] for e in r.send] == ["response.cancel", "conversation.item.truncate"]
    assert r.send[1]["audio_end_ms"] == 500 and r.barge_in.item_id == "a1"


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
