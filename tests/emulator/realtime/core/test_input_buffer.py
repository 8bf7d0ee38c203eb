"""The input audio buffer: commit/clear, turn detection, barge-in, idle timeout, G.711 input.

Driven with plain dicts; the driver validates every event against the SDK's types.
"""

from __future__ import annotations

import base64

import numpy as np
import pytest

from voicelab.emulator.realtime import codecs
from voicelab.emulator.realtime.core import ServerCore

from .conftest import SR, last


def test_barge_in_cancels_with_turn_detected(make_driver, signals):
    driver = make_driver(vad=True, auto=False)
    driver.append(np.concatenate([signals["silence"](0.3), signals["tone"](0.6), signals["silence"](0.7)]))
    assert driver.core.default_response is not None
    events = driver.append(signals["tone"](0.5))
    types = driver.types(events)
    assert types[0] == "input_audio_buffer.speech_started"
    done = last(events, "response.done")["response"]
    assert done["status"] == "cancelled" and done["status_details"]["reason"] == "turn_detected"
    assert driver.core.default_response is None


def test_no_barge_in_when_interrupt_response_false(make_driver, signals):
    driver = make_driver(vad=True, auto=False)
    driver.send(
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {"input": {"turn_detection": {"type": "server_vad", "interrupt_response": False}}},
            },
        }
    )
    driver.append(np.concatenate([signals["silence"](0.3), signals["tone"](0.6), signals["silence"](0.7)]))
    events = driver.append(signals["tone"](0.5))
    assert driver.types(events) == ["input_audio_buffer.speech_started"]


def test_create_response_false_only_commits(make_driver, signals):
    driver = make_driver(vad=True)
    driver.send(
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {
                    "input": {
                        "turn_detection": {
                            "type": "server_vad",
                            "create_response": False,
                            "silence_duration_ms": 200,
                        }
                    }
                },
            },
        }
    )
    events = driver.append(
        np.concatenate([signals["silence"](0.3), signals["tone"](0.6), signals["silence"](0.5)])
    )
    assert driver.types(events) == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    assert events[1]["audio_end_ms"] == pytest.approx(900 + 200, abs=20)


def test_semantic_vad_detects_turns(make_driver, signals):
    driver = make_driver(vad=True)
    driver.send(
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {"input": {"turn_detection": {"type": "semantic_vad", "eagerness": "high"}}},
            },
        }
    )
    assert driver.core.turn_detection == {
        "type": "semantic_vad",
        "eagerness": "high",
        "create_response": True,
        "interrupt_response": True,
    }
    # the session's factory built the VAD; with eagerness high the wait is at most 2 s of silence
    events = driver.append(
        np.concatenate([signals["silence"](0.3), signals["tone"](0.8), signals["silence"](2.2)])
    )
    assert "input_audio_buffer.speech_stopped" in driver.types(events)


def test_manual_commit_with_turn_detection_null(make_driver, signals):
    driver = make_driver()
    assert driver.append(signals["tone"](0.5)) == []  # no VAD events
    events = driver.send({"type": "input_audio_buffer.commit"})
    assert driver.types(events) == [
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    assert driver.core.items[0].audio.size == int(0.5 * SR)
    assert driver.types(driver.send({"type": "input_audio_buffer.clear"})) == ["input_audio_buffer.cleared"]


@pytest.mark.parametrize("fmt", ["audio/pcmu", "audio/pcma"], ids=["pcmu", "pcma"])
def test_g711_input_and_output(make_driver, signals, fmt):
    driver = make_driver()
    driver.send(
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {"input": {"format": {"type": fmt}}, "output": {"format": {"type": fmt}}},
            },
        }
    )
    pcm8k = signals["tone"](0.6)[::3]
    wire = codecs.ulaw_encode(pcm8k) if fmt == "audio/pcmu" else codecs.alaw_encode(pcm8k)
    driver.send({"type": "input_audio_buffer.append", "audio": base64.b64encode(wire).decode()})
    driver.send({"type": "input_audio_buffer.commit"})
    assert abs(driver.core.items[0].audio_ms - 600) < 2  # 8 kHz G.711 → 24 kHz clock
    events = driver.send({"type": "response.create"})
    created = events[0]["response"]
    assert created["audio"]["output"]["format"] == {"type": fmt}
    audio = b"".join(
        base64.b64decode(e["delta"]) for e in events if e["type"] == "response.output_audio.delta"
    )
    assert len(audio) == 2 * int(0.4 * 8000)  # two 0.4 s sentences, one byte per 8 kHz sample


def test_idle_timeout_after_the_answer_prompts_a_response(make_driver, signals):
    driver = make_driver(vad=True)
    driver.send(
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {"input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 5000}}},
            },
        }
    )
    driver.append(np.concatenate([signals["silence"](0.3), signals["tone"](0.6), signals["silence"](0.7)]))
    # the fake engines answer at once: the response is done when speech_stopped is decided (one 40 ms chunk
    # later)
    done_at = last(driver.events, "input_audio_buffer.speech_stopped")["audio_end_ms"] + 40
    assert driver.types()[-1] == "rate_limits.updated"
    before = len(driver.events)
    # the answer (0.8 s of audio) plays, then 5 s of silence: the timeout fires at done + 0.8 s + 5 s
    events = driver.append(signals["silence"](6.5))
    types = driver.types(events)
    assert types[0] == "input_audio_buffer.timeout_triggered"
    timeout = events[0]
    assert timeout["audio_end_ms"] == pytest.approx(done_at + 800 + 5000, abs=40)
    assert types[1:4] == ["input_audio_buffer.committed", "conversation.item.added", "conversation.item.done"]
    assert "response.done" in types and len(driver.events) > before


@pytest.mark.parametrize("name", ["en_weather", "en_directions", "en_weather_snr20"])
def test_silero_turns_match_labelled_speech(name):
    """Real Silero VAD through the core on labelled speech: starts within one 32 ms frame of truth − padding,
    ends within four frames of truth + silence (Silero's probability decays a little after the last word)."""
    from voicelab import samples
    from voicelab.emulator.realtime.route import default_vad_factory

    info = next(i for i in samples.manifest() if i.name == name)
    audio = samples.load(name)
    pcm = (np.clip(np.concatenate([audio.y, np.zeros(SR, np.float32)]), -1, 1) * 32767).astype(np.int16)
    core = ServerCore(vad_factory=default_vad_factory, seed=1)
    core.start()
    core.handle(
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {"input": {"turn_detection": {"type": "server_vad", "create_response": False}}},
            },
        }
    )
    events = []
    for i in range(0, pcm.size, 480):  # 20 ms chunks
        events += [e for e in core.append_audio(pcm[i : i + 480]) if isinstance(e, dict)]
    starts = [e["audio_start_ms"] for e in events if e["type"] == "input_audio_buffer.speech_started"]
    stops = [e["audio_end_ms"] for e in events if e["type"] == "input_audio_buffer.speech_stopped"]
    # truth: segments separated by more than the 500 ms silence are separate turns
    turns = [list(info.segments[0])]
    for start, end in info.segments[1:]:
        if start - turns[-1][1] > 0.5:
            turns.append([start, end])
        else:
            turns[-1][1] = end
    assert len(starts) == len(stops) == len(turns)
    previous_end = 0
    for (start, end), got_start, got_stop in zip(turns, starts, stops, strict=True):
        expected_start = max(start * 1000 - 300, previous_end)
        assert abs(got_start - expected_start) <= 32
        assert 0 <= got_stop - (end * 1000 + 500) <= 4 * 32
        previous_end = got_stop
    committed = [i.audio_ms for i in core.items]
    assert committed == pytest.approx([b - a for a, b in zip(starts, stops, strict=True)], abs=1)


# --------------------------------------------------------------------------- the conversation's audio limit
def _held_seconds(driver) -> float:
    return driver.core.conversation.audio_samples() / SR


def test_committed_audio_over_the_conversation_limit_is_refused_and_deleting_makes_room(make_driver, signals):
    driver = make_driver(auto=False)
    driver.core.conversation.max_audio_samples = SR  # 1 s of audio in the conversation's items
    driver.append(signals["tone"](0.6))
    first = last(driver.send({"type": "input_audio_buffer.commit"}), "input_audio_buffer.committed")[
        "item_id"
    ]
    driver.append(signals["tone"](0.6))
    events = driver.send({"type": "input_audio_buffer.commit", "event_id": "evt_commit"})
    error = last(events, "error")["error"]
    assert driver.types(events) == ["error"]
    assert (error["type"], error["code"], error["param"]) == (
        "invalid_request_error",
        "conversation_audio_full",
        None,
    )
    assert error["event_id"] == "evt_commit"
    assert "would hold 1.2 s of audio, but the limit is 1 s" in error["message"]
    assert _held_seconds(driver) == pytest.approx(0.6)
    assert driver.core.input_buffer.buffered_ms == 600  # the buffer keeps its audio
    audio = base64.b64encode(signals["tone"](0.6).astype("<i2").tobytes()).decode()
    item = {"type": "message", "role": "user", "content": [{"type": "input_audio", "audio": audio}]}
    error = last(driver.send({"type": "conversation.item.create", "item": item}), "error")["error"]
    assert (error["code"], error["param"]) == ("conversation_audio_full", "item.content[0].audio")
    assert len(driver.core.conversation.items) == 1
    driver.send({"type": "conversation.item.delete", "item_id": first})  # room again: the commit goes through
    events = driver.send({"type": "input_audio_buffer.commit"})
    assert driver.types(events)[0] == "input_audio_buffer.committed"
    assert _held_seconds(driver) == pytest.approx(0.6)


def test_an_audio_answer_is_refused_once_the_conversation_is_full_and_a_text_answer_works(
    make_driver, signals
):
    driver = make_driver(auto=True)
    driver.core.conversation.max_audio_samples = int(0.5 * SR)
    driver.append(signals["tone"](0.6))
    refused = driver.send({"type": "input_audio_buffer.commit"})  # 0.6 s > 0.5 s
    assert last(refused, "error")["error"]["code"] == "conversation_audio_full"
    assert _held_seconds(driver) == 0
    driver.send({"type": "input_audio_buffer.clear"})
    driver.append(signals["tone"](0.4))
    assert (
        driver.types(driver.send({"type": "input_audio_buffer.commit"}))[0] == "input_audio_buffer.committed"
    )
    driver.core.conversation.max_audio_samples = int(0.4 * SR)  # now exactly full
    error = last(driver.send({"type": "response.create"}), "error")["error"]
    assert (error["code"], error["param"]) == ("conversation_audio_full", "response.output_modalities")
    assert driver.core.default_response is None
    events = driver.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
    assert last(events, "response.done")["response"]["status"] == "completed"
    events = driver.send({"type": "response.create", "response": {"conversation": "none"}})  # not kept
    assert last(events, "response.done")["response"]["status"] == "completed"


def test_a_detected_turn_over_the_conversation_limit_is_dropped_with_an_error(make_driver, signals):
    driver = make_driver(vad=True, auto=False)
    driver.core.conversation.max_audio_samples = int(0.3 * SR)
    events = driver.append(
        np.concatenate([signals["silence"](0.3), signals["tone"](0.6), signals["silence"](0.7)])
    )
    types = driver.types(events)
    assert "input_audio_buffer.speech_stopped" in types
    assert "input_audio_buffer.committed" not in types and "response.created" not in types
    error = last(events, "error")["error"]
    assert (error["code"], error["param"]) == ("conversation_audio_full", None)
    assert driver.core.conversation.items == []
    driver.core.conversation.max_audio_samples = (
        10 * SR
    )  # the next turn, with room, is committed and answered
    events = driver.append(np.concatenate([signals["tone"](0.6), signals["silence"](0.7)]))
    assert {"input_audio_buffer.committed", "response.created"} <= set(driver.types(events))


def test_silence_over_the_buffer_limit_is_forgotten_with_turn_detection(make_driver, signals):
    """Appends of silence past ``max_samples`` with server VAD: no error, the buffer keeps at most the limit,
    and the speech after it is detected and committed."""
    driver = make_driver(vad=True, auto=False)
    driver.core.input_buffer.max_samples = 2 * SR
    events = driver.append(signals["silence"](5.0))
    assert "error" not in driver.types(events) and driver.core.input_buffer.buffered_ms <= 2000
    events = driver.append(np.concatenate([signals["tone"](0.3), signals["silence"](0.6)]))
    assert "error" not in driver.types(events)
    assert {"input_audio_buffer.speech_started", "input_audio_buffer.committed"} <= set(driver.types(events))


def test_media_audio_over_the_buffer_limit_is_dropped_with_one_error(make_driver, signals):
    """A call's media (``append_audio``) without turn detection: one ``input_audio_buffer_full`` error when
    the buffer fills, the frames after it dropped silently; a commit makes room and the next fill errors
    again. An ``input_audio_buffer.append`` event that does not fit gets its own error each time."""
    driver = make_driver(vad=False, auto=False)
    driver.core.input_buffer.max_samples = 1 * SR
    frames = [signals["tone"](0.02) for _ in range(75)]  # 1.5 s in 20 ms frames
    errors = [e for f in frames for e in driver.run(driver.core.append_audio(f)) if e["type"] == "error"]
    assert [(e["error"]["code"], e["error"]["param"]) for e in errors] == [
        ("input_audio_buffer_full", "audio")
    ]
    assert driver.core.input_buffer.buffered_ms == 1000
    assert len([e for e in driver.append(signals["tone"](0.08)) if e["type"] == "error"]) == 2  # 2 events
    assert "input_audio_buffer.committed" in driver.types(driver.send({"type": "input_audio_buffer.commit"}))
    errors = [e for f in frames for e in driver.run(driver.core.append_audio(f)) if e["type"] == "error"]
    assert len(errors) == 1
