"""The chained STT → LLM → TTS agent against the emulator, measured like speech-to-speech."""

from __future__ import annotations

import pytest

from voicelab.errors import ParameterError
from voicelab.pricing import cost
from voicelab.realtime.chained import ChainedAgent, split_sentences
from voicelab.realtime.metrics import compare

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "text, done, rest",
    [
        ("One. Two! Three", ["One.", "Two!"], "Three"),
        ("No end yet", [], "No end yet"),
        ("こんにちは。元気？", ["こんにちは。", "元気？"], ""),
    ],
    ids=["english", "unfinished", "japanese"],
)
def test_split_sentences(text, done, rest):
    assert split_sentences(text) == (done, rest)


async def test_chained_turns_are_measured_and_priced(client, speech):
    pcm16, sr = speech
    agent = ChainedAgent(client=client, instructions="Be brief.", voice="alloy")
    first = await agent.turn(pcm16.astype("float32") / 32767, sr)
    assert "weather" in first.transcript.lower() and "paris" in first.transcript.lower()
    assert first.reply and first.audio.sr == 24_000 and first.audio.duration > 0.3
    assert first.start <= first.stt_done <= first.llm_done <= first.done
    assert 0 < first.time_to_first_audio <= first.total_time
    assert set(first.usage) == {"stt", "llm", "tts"}
    assert first.tokens["tts"] == first.usage["tts"]["total_tokens"] > 0
    # the default models are current ones; gpt-transcribe's price is not published, so that part is named
    # and left out of the total instead of guessed
    priced = [("llm", "gpt-5.4-mini"), ("tts", "gpt-4o-mini-tts")]
    expected = sum(cost(first.usage[s], m).total for s, m in priced)
    assert first.cost.total == pytest.approx(expected, abs=1e-12)
    assert first.cost.unpriced == {"stt": "gpt-transcribe: price not published by OpenAI"}
    second = await agent.turn(pcm16.astype("float32") / 32767, sr)
    assert second.usage["llm"]["prompt_tokens"] > first.usage["llm"]["prompt_tokens"]  # history grows
    assert agent.cost.total == pytest.approx(first.cost.total + second.cost.total, abs=1e-12)
    data = agent.timeline_data()
    assert {name for name, _, _ in data.stages} == {"stt", "llm", "tts"}
    assert len(data.latencies) == 2 and len(data.audio) == 2
    assert [role for role, _ in agent.transcript()] == ["user", "assistant", "user", "assistant"]
    table = compare(chained=agent)
    assert [r["turn"] for r in table.rows] == [0, 1]
    assert table.rows[0]["cost_usd"] == pytest.approx(first.cost.total)
    assert table.rows[1]["first_audio_s"] == pytest.approx(second.time_to_first_audio)
    assert "first audio (s)" in repr(table)


async def test_whisper_and_tts1_path(client, speech):
    pcm16, sr = speech
    agent = ChainedAgent(client=client, stt_model="whisper-1", tts_model="tts-1", voice="alloy")
    turn = await agent.turn(pcm16.astype("float32") / 32767, sr)
    assert turn.usage["tts"] == {"characters": len(turn.reply)} or turn.usage["tts"]["characters"] > 0
    assert turn.usage["stt"].get("type") == "duration" or "seconds" in turn.usage["stt"]
    assert turn.cost.parts["tts"].total > 0 and turn.audio.duration > 0.3


def test_bad_arguments():
    with pytest.raises(ParameterError, match="voice"):
        ChainedAgent(voice="robot")


async def test_missing_rate_is_a_parameter_error(client):
    import numpy as np

    with pytest.raises(ParameterError, match="sr"):
        await ChainedAgent(client=client).turn(np.zeros(100, np.float32))
