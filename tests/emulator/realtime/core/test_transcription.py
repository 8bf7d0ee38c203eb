"""Input audio transcription: deltas, usage per model, failures.

Driven with plain dicts; the driver validates every event against the SDK's types.
"""

from __future__ import annotations

import base64

from voicelab.emulator.realtime.effects import Transcribe

from .conftest import SR, last, user_text


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
