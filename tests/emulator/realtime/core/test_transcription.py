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


def _diarized(*turns: tuple[str, float, float, str, list[float]]):
    """A diarizer's result for one item: (speaker label within the item, start, end, text, voice)."""
    import numpy as np

    from voicelab.engines.speakers import Diarization, SpeakerSegment

    segments = [SpeakerSegment(label, start, end, text) for label, start, end, text, _ in turns]
    voices = {label: np.array(voice) / np.linalg.norm(voice) for label, _, _, _, voice in turns}
    return Diarization(segments, " ".join(s.text for s in segments), "en", turns[-1][2] + 0.5, voices=voices)


def test_diarize_model_sends_segments_between_deltas_and_completed_with_session_labels(make_driver, signals):
    from voicelab.emulator.realtime.core.transcription import TranscriptionDetails

    driver = make_driver(auto=False)
    transcription = {"model": "gpt-4o-transcribe-diarize"}
    driver.send({"type": "session.update",
                 "session": {"type": "realtime", "audio": {"input": {"transcription": transcription}}}})
    far, near = [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]
    results = [  # within each item the diarizer labels by first appearance: "A" is not the same voice twice
        _diarized(("A", 0.1, 1.2, "Hello there.", far)),
        _diarized(("A", 0.0, 1.0, "Hi.", near), ("B", 1.5, 2.5, "It is me again.", [0.95, 0.3, 0.0])),
        _diarized(("A", 0.2, 1.4, "Goodbye.", [0.9, 0.1, 0.2])),
    ]
    labels, items = [], []
    for result in results:
        driver.append(signals["tone"](1.0))
        driver.send({"type": "input_audio_buffer.commit"})
        effect = driver.pending.pop()
        assert isinstance(effect, Transcribe) and effect.diarize
        details = TranscriptionDetails.from_transcript(result, model=transcription["model"], logprobs=False)
        events = driver.run(driver.core.transcription_ready(effect.item_id, result.text, details))
        kinds = [e["type"].rsplit(".", 1)[-1] for e in events]
        assert kinds == ["delta"] * kinds.count("delta") + ["segment"] * len(result.segments) + ["completed"]
        segments = [e for e in events if e["type"].endswith(".segment")]
        assert [(s["start"], s["end"], s["text"]) for s in segments] == [
            (s.start, s.end, s.text) for s in result.segments
        ]
        assert {s["item_id"] for s in segments} == {effect.item_id} and segments[0]["id"] == "seg_000"
        labels.append([s["speaker"] for s in segments])
        items.append(effect.item_id)
    assert labels == [["A"], ["B", "A"], ["A"]]  # the far voice is "A" all session long
    assert len(set(items)) == 3


def test_other_models_send_no_segments_even_with_a_diarized_result(make_driver, signals):
    from voicelab.emulator.realtime.core.transcription import TranscriptionDetails

    driver = make_driver(auto=False)
    driver.send({"type": "session.update", "session": {"type": "realtime", "audio": {"input": {
        "transcription": {"model": "gpt-4o-transcribe"}}}}})  # fmt: skip
    driver.append(signals["tone"](1.0))
    driver.send({"type": "input_audio_buffer.commit"})
    effect = driver.pending.pop()
    assert isinstance(effect, Transcribe) and not effect.diarize
    result = _diarized(("A", 0.1, 1.2, "Hello there.", [1.0, 0.0]))
    details = TranscriptionDetails.from_transcript(result, model="gpt-4o-transcribe", logprobs=False)
    assert details.segments is not None  # only the session's model decides: no segment event
    events = driver.run(driver.core.transcription_ready(effect.item_id, result.text, details))
    assert [e["type"].rsplit(".", 1)[-1] for e in events] == ["delta", "delta", "completed"]
