"""The sans-I/O connection core, driven with plain dicts; every event is strictly validated by the driver."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from voicelab.emulator.realtime import codecs
from voicelab.emulator.realtime.core import RealtimeCore
from voicelab.emulator.realtime.effects import GenerateReply, StopResponse, Synthesize, Transcribe
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.session import normalize_session

SR = 24000
VOICE_TURN = [
    "input_audio_buffer.speech_started",
    "input_audio_buffer.speech_stopped",
    "input_audio_buffer.committed",
    "conversation.item.added",
    "conversation.item.done",
    "response.created",
    "response.output_item.added",
    "conversation.item.added",
    "response.content_part.added",
]
VOICE_TURN_END = [
    "response.output_audio.done",
    "response.output_audio_transcript.done",
    "response.content_part.done",
    "conversation.item.done",
    "response.output_item.done",
    "response.done",
    "rate_limits.updated",
]


def user_text(text):
    return {
        "type": "conversation.item.create",
        "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
    }


def last(events, kind):
    return [e for e in events if e["type"] == kind][-1]


def test_session_created_is_first_and_has_ga_defaults(make_driver):
    driver = make_driver(vad=True)
    first = driver.events[0]
    assert first["type"] == "session.created"
    session = first["session"]
    assert session["type"] == "realtime" and session["model"] == "gpt-realtime"
    assert session["output_modalities"] == ["audio"]
    assert session["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert session["audio"]["input"]["turn_detection"] == {
        "type": "server_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 500,
        "idle_timeout_ms": None,
        "create_response": True,
        "interrupt_response": True,
    }
    assert session["expires_at"] == 1_700_000_000 + 3600


def test_voice_turn_keeps_openai_event_order(make_driver, signals):
    driver = make_driver(vad=True)
    events = driver.append(
        np.concatenate([signals["silence"](0.5), signals["tone"](1.0), signals["silence"](1.0)])
    )
    types = driver.types(events)
    assert types[: len(VOICE_TURN)] == VOICE_TURN
    assert types[-len(VOICE_TURN_END) :] == VOICE_TURN_END
    middle = types[len(VOICE_TURN) : -len(VOICE_TURN_END)]
    assert set(middle) == {"response.output_audio_transcript.delta", "response.output_audio.delta"}
    started, stopped = events[0], events[1]
    # tone from 500 ms to 1500 ms; 300 ms prefix padding, 500 ms silence; 20 ms detector frames
    assert abs(started["audio_start_ms"] - 200) <= 20
    assert abs(stopped["audio_end_ms"] - 2000) <= 20
    assert started["item_id"] == stopped["item_id"] == events[2]["item_id"]
    done = last(events, "response.done")["response"]
    assert done["status"] == "completed"
    transcript = last(events, "response.output_audio_transcript.done")["transcript"]
    assert transcript == "You said: hello there. Nice!"
    deltas = "".join(e["delta"] for e in events if e["type"] == "response.output_audio_transcript.delta")
    assert deltas == transcript
    audio = b"".join(
        base64.b64decode(e["delta"]) for e in events if e["type"] == "response.output_audio.delta"
    )
    assert len(audio) == 2 * 2 * int(0.4 * SR)  # two sentences of 0.4 s each, PCM16
    committed_item = driver.core.items[0]
    assert committed_item.audio.size == (stopped["audio_end_ms"] - started["audio_start_ms"]) * SR // 1000


def test_usage_follows_documented_rules(make_driver, signals):
    driver = make_driver(vad=True)
    events = driver.append(
        np.concatenate([signals["silence"](0.5), signals["tone"](1.0), signals["silence"](1.0)])
    )
    usage = last(events, "response.done")["response"]["usage"]
    user_ms = driver.core.items[0].audio_ms
    assert usage["input_token_details"]["audio_tokens"] == int(np.ceil(user_ms / 100))  # 1 token / 100 ms
    assert usage["output_token_details"]["audio_tokens"] == int(0.8 * 1000 / 50)  # 1 token / 50 ms
    assert usage["output_token_details"]["text_tokens"] == 8  # "You said: hello there. Nice!"
    assert (
        usage["input_tokens"]
        == usage["input_token_details"]["text_tokens"] + usage["input_token_details"]["audio_tokens"]
    )
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["input_token_details"]["cached_tokens"] == 0
    limits = last(events, "rate_limits.updated")["rate_limits"]
    assert [r["name"] for r in limits] == ["requests", "tokens"]
    assert limits[1]["remaining"] == limits[1]["limit"] - usage["total_tokens"]


def test_second_turn_rebills_conversation_and_caches_prefix(make_driver):
    driver = make_driver()
    driver.send(user_text("Hello"))
    first = last(driver.send({"type": "response.create"}), "response.done")["response"]["usage"]
    driver.send(user_text("Again"))
    second = last(driver.send({"type": "response.create"}), "response.done")["response"]["usage"]
    assistant_item = driver.core.items[1]
    # the second input holds everything of the first + the assistant's reply (text + audio) + the new message
    expected_audio = first["input_token_details"]["audio_tokens"] + int(np.ceil(assistant_item.audio_ms / 50))
    assert second["input_token_details"]["audio_tokens"] == expected_audio
    assert second["input_tokens"] > first["input_tokens"] + first["output_token_details"]["audio_tokens"] - 1
    # the unchanged prefix (instructions, tools, first user message) is cached
    assert second["input_token_details"]["cached_tokens"] == first["input_tokens"]
    cached = second["input_token_details"]["cached_tokens_details"]
    assert cached["text_tokens"] + cached["audio_tokens"] == second["input_token_details"]["cached_tokens"]


def test_truncation_busts_the_cache_from_the_truncated_item(make_driver):
    driver = make_driver()
    driver.send(user_text("Hello"))
    driver.send({"type": "response.create"})
    driver.send(user_text("Again"))
    second = last(driver.send({"type": "response.create"}), "response.done")["response"]["usage"]
    assistant = driver.core.items[1]
    driver.send(
        {
            "type": "conversation.item.truncate",
            "item_id": assistant.id,
            "content_index": 0,
            "audio_end_ms": 100,
        }
    )
    third = last(driver.send({"type": "response.create"}), "response.done")["response"]["usage"]
    assert (
        0
        < third["input_token_details"]["cached_tokens"]
        < second["input_token_details"]["cached_tokens"] + second["input_tokens"]
    )
    # after truncation only 100 ms of that reply is billed (2 tokens) and its transcript is gone
    assert assistant.segment().audio_tokens == 2 and assistant.segment().text_tokens == 0


def test_text_modality_response(make_driver):
    driver = make_driver()
    driver.send(user_text("Hi"))
    events = driver.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
    types = driver.types(events)
    assert types[:4] == [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
    ]
    assert types[-6:] == [
        "response.output_text.done",
        "response.content_part.done",
        "conversation.item.done",
        "response.output_item.done",
        "response.done",
        "rate_limits.updated",
    ]
    assert last(events, "response.output_text.done")["text"] == "You said: Hi. Nice!"
    assert "response.output_audio.delta" not in types
    assert last(events, "response.done")["response"]["usage"]["output_token_details"]["audio_tokens"] == 0


def test_response_overrides_instructions_tools_and_out_of_band(make_driver):
    driver = make_driver(auto=False)
    driver.send(user_text("Hi"))
    events = driver.send(
        {
            "type": "response.create",
            "response": {
                "conversation": "none",
                "instructions": "Speak like a pirate.",
                "output_modalities": ["text"],
                "metadata": {"topic": "test"},
                "input": [
                    {
                        "type": "message",
                        "role": "user",
                        "content": [{"type": "input_text", "text": "Only this"}],
                    }
                ],
            },
        }
    )
    created = events[0]["response"]
    assert created["conversation_id"] is None and created["metadata"] == {"topic": "test"}
    effect = driver.pending[0]
    assert isinstance(effect, GenerateReply) and effect.instructions == "Speak like a pirate."
    assert driver.core.messages_for(effect.response_id) == [{"role": "user", "content": "Only this"}]
    events = driver.step()
    assert "conversation.item.added" not in driver.types(events)  # out-of-band: not added to the conversation
    assert len(driver.core.items) == 1
    assert last(events, "response.output_text.done")["text"] == "You said: Only this. Nice!"


def test_item_reference_input(make_driver):
    driver = make_driver(auto=False)
    added = driver.send(user_text("First"))[0]["item"]["id"]
    driver.send(user_text("Second"))
    driver.send(
        {
            "type": "response.create",
            "response": {"conversation": "none", "input": [{"type": "item_reference", "id": added}]},
        }
    )
    assert driver.core.messages_for(driver.pending[0].response_id) == [{"role": "user", "content": "First"}]


def test_function_call_then_follow_up(make_driver):
    tools = [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        }
    ]
    driver = make_driver()
    driver.send({"type": "session.update", "session": {"type": "realtime", "tools": tools}})
    driver.send(user_text("What's the weather in Paris?"))
    events = driver.send({"type": "response.create"})
    types = [t for i, t in enumerate(driver.types(events)) if i == 0 or t != events[i - 1]["type"]]
    assert types == [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "conversation.item.done",
        "response.output_item.done",
        "response.done",
        "rate_limits.updated",
    ]
    done_args = last(events, "response.function_call_arguments.done")
    deltas = [e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta"]
    assert "".join(deltas) == done_args["arguments"]
    assert done_args["name"] == "get_weather" and json.loads(done_args["arguments"]) == {"city": "Paris"}
    call = last(events, "response.done")["response"]["output"][0]
    assert call["type"] == "function_call" and call["call_id"] == done_args["call_id"] == "call_test1"
    driver.send(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "function_call_output",
                "call_id": call["call_id"],
                "output": json.dumps({"temp_c": 21}),
            },
        }
    )
    follow = driver.send({"type": "response.create"})
    assert (
        last(follow, "response.output_audio_transcript.done")["transcript"] == 'The tool said {"temp_c": 21}.'
    )
    messages = driver.core.messages_for(last(follow, "response.done")["response"]["id"])
    assert [m["role"] for m in messages] == ["user", "assistant", "tool"]
    assert messages[1]["tool_calls"][0]["function"]["name"] == "get_weather"


def test_cancel_midway_ends_incomplete_and_stops_work(make_driver, signals):
    tone = signals["tone"]
    driver = make_driver(auto=False)
    driver.send(user_text("Hi"))
    driver.send({"type": "response.create"})
    driver.step()  # GenerateReply → Synthesize queued
    synth = driver.pending[0]
    assert isinstance(synth, Synthesize) and synth.voice == "alloy"
    rid = synth.response_id
    driver.run(driver.core.audio_ready(rid, tone(0.3), "You said: "))
    events = driver.send({"type": "response.cancel"})
    types = driver.types(events)
    assert types == [
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "conversation.item.done",
        "response.output_item.done",
        "response.done",
        "rate_limits.updated",
    ]
    done = last(events, "response.done")["response"]
    assert done["status"] == "cancelled"
    assert done["status_details"] == {"type": "cancelled", "reason": "client_cancelled"}
    assert done["output"][0]["status"] == "incomplete"
    assert done["usage"]["output_token_details"]["audio_tokens"] == 6
    assert any(isinstance(e, StopResponse) and e.response_id == rid for e in driver.effects)
    # late results of the cancelled work are ignored
    assert driver.core.audio_ready(rid, tone(0.3), "late") == []
    assert driver.core.synthesis_finished(rid) == []


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


def test_input_transcription_events_with_usage(make_driver, signals):
    driver = make_driver(heard="what is the weather")
    driver.send(
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {
                    "input": {"transcription": {"model": "gpt-4o-transcribe", "prompt": "weather words"}}
                },
            },
        }
    )
    driver.append(signals["tone"](1.0))
    events = driver.send({"type": "input_audio_buffer.commit"})
    assert isinstance(next(e for e in driver.effects if isinstance(e, Transcribe)), Transcribe)
    deltas = [e for e in events if e["type"] == "conversation.item.input_audio_transcription.delta"]
    assert "".join(d["delta"] for d in deltas) == "what is the weather" and len(deltas) == 4
    completed = last(events, "conversation.item.input_audio_transcription.completed")
    assert completed["transcript"] == "what is the weather"
    assert completed["usage"] == {
        "type": "tokens",
        "input_tokens": 12,
        "output_tokens": 4,
        "total_tokens": 16,
        "input_token_details": {"text_tokens": 2, "audio_tokens": 10},
    }
    retrieved = driver.send({"type": "conversation.item.retrieve", "item_id": completed["item_id"]})[0]
    assert retrieved["item"]["content"][0]["transcript"] == "what is the weather"
    assert len(base64.b64decode(retrieved["item"]["content"][0]["audio"])) == 2 * SR


def test_whisper_transcription_bills_duration(make_driver, signals):
    driver = make_driver()
    driver.send(
        {
            "type": "session.update",
            "session": {"type": "realtime", "audio": {"input": {"transcription": {"model": "whisper-1"}}}},
        }
    )
    driver.append(signals["tone"](1.5))
    completed = last(
        driver.send({"type": "input_audio_buffer.commit"}),
        "conversation.item.input_audio_transcription.completed",
    )
    assert completed["usage"] == {"type": "duration", "seconds": 1.5}


def test_transcription_failure_keeps_session(make_driver, signals):
    driver = make_driver()
    event = driver.run(driver.core.transcription_failed("item_x", "engine crashed"))[0]
    assert event["type"] == "conversation.item.input_audio_transcription.failed"
    assert driver.types(driver.send(user_text("still here"))) == [
        "conversation.item.added",
        "conversation.item.done",
    ]


def test_item_create_retrieve_delete_and_positions(make_driver):
    driver = make_driver()
    a = driver.send(user_text("A"))[0]["item"]["id"]
    c = driver.send(user_text("C"))[0]["item"]["id"]
    added = driver.send({**user_text("B"), "previous_item_id": a})[0]
    assert added["previous_item_id"] == a
    b = added["item"]["id"]
    root = driver.send({**user_text("0"), "previous_item_id": "root"})[0]
    assert root["previous_item_id"] is None
    assert [i.id for i in driver.core.items][1:] == [a, b, c]
    assert (
        driver.send({"type": "conversation.item.retrieve", "item_id": b})[0]["item"]["content"][0]["text"]
        == "B"
    )
    assert driver.send({"type": "conversation.item.delete", "item_id": b})[0] == {
        "type": "conversation.item.deleted",
        "event_id": driver.events[-1]["event_id"],
        "item_id": b,
    }
    assert b not in [i.id for i in driver.core.items]
    system = driver.send(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "system",
                "content": [{"type": "input_text", "text": "Be terse."}],
                "id": "item_custom1",
            },
        }
    )[0]
    assert system["item"]["id"] == "item_custom1"


def test_truncate_within_audio(make_driver):
    driver = make_driver()
    driver.send(user_text("Hi"))
    driver.send({"type": "response.create"})
    item = driver.core.items[1]
    assert int(item.audio_ms) == 800
    event = driver.send(
        {"type": "conversation.item.truncate", "item_id": item.id, "content_index": 0, "audio_end_ms": 300}
    )[0]
    assert event["type"] == "conversation.item.truncated" and event["audio_end_ms"] == 300
    assert int(item.audio_ms) == 300


def test_max_output_tokens_ends_incomplete(make_driver):
    driver = make_driver()
    driver.send(user_text("Hi"))
    events = driver.send({"type": "response.create", "response": {"max_output_tokens": 10}})
    done = last(events, "response.done")["response"]
    assert done["status"] == "incomplete"
    assert done["status_details"] == {"type": "incomplete", "reason": "max_output_tokens"}
    assert done["usage"]["output_tokens"] <= 10


def test_voice_is_fixed_after_audio(make_driver):
    driver = make_driver()
    ok = driver.send(
        {
            "type": "session.update",
            "session": {"type": "realtime", "audio": {"output": {"voice": "marin", "speed": 1.25}}},
        }
    )[0]
    assert ok["session"]["audio"]["output"] == {
        "format": {"type": "audio/pcm", "rate": 24000},
        "voice": "marin",
        "speed": 1.25,
    }
    driver.send(user_text("Hi"))
    driver.send({"type": "response.create"})
    error = driver.send(
        {"type": "session.update", "session": {"type": "realtime", "audio": {"output": {"voice": "cedar"}}}}
    )[0]
    assert error["type"] == "error" and error["error"]["param"] == "session.audio.output.voice"


def test_transcription_intent_session(make_driver, signals):
    driver = make_driver(vad=True, intent="transcription", heard="bonjour")
    session = driver.events[0]["session"]
    assert session["type"] == "transcription"
    assert "create_response" not in session["audio"]["input"]["turn_detection"]
    updated = driver.send(
        {
            "type": "session.update",
            "session": {
                "type": "transcription",
                "audio": {"input": {"transcription": {"model": "gpt-4o-mini-transcribe", "language": "fr"}}},
            },
        }
    )[0]
    assert updated["session"]["audio"]["input"]["transcription"]["language"] == "fr"
    events = driver.append(
        np.concatenate([signals["silence"](0.3), signals["tone"](0.8), signals["silence"](1.0)])
    )
    types = driver.types(events)
    assert "response.created" not in types
    assert types[-1] == "conversation.item.input_audio_transcription.completed"
    assert events[-1]["transcript"] == "bonjour"
    error = driver.send({"type": "response.create"})[0]
    assert error["type"] == "error"


def test_ephemeral_session_config_is_applied():
    good = RealtimeCore(
        session={
            "type": "realtime",
            "instructions": "From the key.",
            "audio": {"output": {"voice": "verse"}},
            "id": "sess_x",
            "expires_at": 5,
        },
        vad_factory=None,
    ).start()[0]["session"]
    assert good["instructions"] == "From the key." and good["audio"]["output"]["voice"] == "verse"
    assert good["id"] != "sess_x" and good["expires_at"] != 5  # server-set fields are the connection's own


@pytest.mark.parametrize(
    "kind, config",
    [
        ("realtime", {"type": "realtime", "audio": {"output": {"voice": "ash"}}, "instructions": "Meow."}),
        ("realtime", {"type": "realtime", "audio": {"input": {"turn_detection": None}}}),
        (
            "transcription",
            {"type": "transcription", "audio": {"input": {"transcription": {"model": "whisper-1"}}}},
        ),
    ],
    ids=["voice-instructions", "manual-turns", "transcription"],
)
def test_a_minted_session_is_applied_whole(kind, config):
    """What client_secrets stores (an effective session, nulls included) is the connection's session."""
    stored = normalize_session(config, session_id="sess_key", expires_at=123)
    assert stored["include"] is None  # the response shape the REST route stores with the key
    intent = "transcription" if kind == "transcription" else "conversation"
    core = RealtimeCore(session=stored, intent=intent, vad_factory=None)
    created = core.start()[0]["session"]
    strip = ("id", "expires_at")
    assert {k: v for k, v in created.items() if k not in strip} == {
        k: v for k, v in stored.items() if k not in strip
    }


def test_a_bad_key_session_raises_instead_of_being_ignored():
    with pytest.raises(ProtocolError) as info:
        RealtimeCore(
            session={"type": "realtime", "instructions": "From the key.", "audio": {"output": {"speed": 9}}},
            vad_factory=None,
        )
    assert info.value.type == "server_error" and info.value.param == "session.audio.output.speed"
    assert "ephemeral key" in info.value.message


def test_expire_sends_session_expired_then_close(make_driver):
    driver = make_driver()
    outputs = driver.core.expire()
    assert outputs[0]["error"]["code"] == "session_expired"
    assert type(outputs[1]).__name__ == "Close"
    assert driver.core.handle(user_text("late")) == []


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
    core = RealtimeCore(vad_factory=default_vad_factory, seed=1)
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


def test_truncate_while_speaking_ends_the_response_first(make_driver, signals):
    driver = make_driver(auto=False)
    driver.send(user_text("Hi"))
    driver.send({"type": "response.create"})
    driver.step()
    rid = driver.pending[0].response_id
    driver.run(driver.core.audio_ready(rid, signals["tone"](0.5), "You said: "))
    item_id = driver.core.responses[rid].item.id
    too_far = driver.send(
        {"type": "conversation.item.truncate", "item_id": item_id, "content_index": 0, "audio_end_ms": 600}
    )[0]
    assert too_far["error"]["message"] == "Audio content of 500ms is already shorter than 600ms"
    events = driver.send(
        {"type": "conversation.item.truncate", "item_id": item_id, "content_index": 0, "audio_end_ms": 200}
    )
    types = driver.types(events)
    assert types[-3:] == ["response.done", "rate_limits.updated", "conversation.item.truncated"]
    assert last(events, "response.done")["response"]["status"] == "cancelled"
    assert int(driver.core.items[1].audio_ms) == 200
    assert driver.core.audio_ready(rid, signals["tone"](0.5), "more") == []
