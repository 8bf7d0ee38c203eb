"""Items, responses and turns as the client builds them from server events."""

from __future__ import annotations

import pytest

from voicelab.errors import ParameterError
from voicelab.realtime.core import (
    ResponseState,
)

from .conftest import audio_delta, call_output, ev, pcm_ms, ready_core, response_created, response_done


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
    assert turn.answer_time is None  # a text turn has no speech_stopped
    assert turn.total_time == pytest.approx(0.5)


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
    assert turn.answer_time == pytest.approx(0.25)  # from the arrival of speech_stopped
    assert turn.total_time == pytest.approx(1.2)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]"], ids=["invalid-json", "not-an-object"])
def test_bad_function_arguments_are_a_parameter_error(text):
    core = ready_core()
    core.receive(response_created(), t=0)
    r = core.receive(response_done(output=[call_output("c1", "f", text, "f1")]), t=1)
    with pytest.raises(ParameterError, match="arguments"):
        r.calls[0].parsed_arguments()
