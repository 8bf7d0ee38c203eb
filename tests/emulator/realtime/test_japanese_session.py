"""The source documents' Japanese session, spoken end to end over the Realtime WebSocket, real engines.

The session is the one the Japanese documents configure (instructions
「あなたは親切な音声アシスタントです。日本語で会話してください。」, voice ``marin`` or ``verse``, server VAD
0.5 / 300 / 500 ms); the user's speech is Japanese made by OpenJTalk; the emulator hears it with Whisper,
answers in Japanese and speaks the answer, which
Whisper then hears back — each side understands the other.
"""

from __future__ import annotations

import base64

import numpy as np
import pytest

from voicelab.emulator.responder.reasoning import thinking_budget
from voicelab.emulator.settings import EmulatorSettings
from voicelab.engines import scoring, stt, tts
from voicelab.protocol.billing import text_tokens

from .test_route import API_KEY, SR, b64, events_until, next_event, sdk

INSTRUCTIONS = "あなたは親切な音声アシスタントです。日本語で会話してください。"


def session(voice: str) -> dict:
    """The documents' session.update, plus input transcription so the user's words come back as text."""
    return {
        "type": "realtime",
        "instructions": INSTRUCTIONS,
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 500,
                },
                "transcription": {"model": "gpt-4o-transcribe", "language": "ja"},
            },
            "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": voice},
        },
    }


def japanese_speech(text: str, voice: str = "alloy") -> np.ndarray:
    audio = tts.synthesize(text, voice=voice, language="ja")
    assert audio.sr == SR
    y = np.concatenate([np.zeros(int(0.4 * SR), np.float32), audio.y, np.zeros(int(1.2 * SR), np.float32)])
    return (np.clip(y, -1, 1) * 32767).astype(np.int16)


@pytest.fixture(scope="module")
def japanese_server():
    """The real engines, the responder's clock fixed at 15:15 Tokyo time."""
    from voicelab.emulator.app import create_app
    from voicelab.emulator.server import EmbeddedServer

    settings = EmulatorSettings(
        port=0, api_key=API_KEY, realtime_pacing=False, fixed_time="2026-11-30T15:15:00+09:00"
    )
    app = create_app(settings)
    srv = EmbeddedServer(app.state.settings, app=app).start()
    yield srv
    srv.stop()


async def spoken_turn(conn, validate, text: str) -> tuple[str, str, np.ndarray, dict]:
    """Say ``text``; return (input transcript, reply transcript, reply audio, response.done)."""
    utterance = japanese_speech(text)
    for i in range(0, utterance.size, 2400):  # 100 ms chunks, as a microphone sends them
        await conn.input_audio_buffer.append(audio=b64(utterance[i : i + 2400]))
    events = await events_until(conn, validate, "response.done", timeout=240)
    types = [e["type"] for e in events]
    assert types.index("input_audio_buffer.speech_started") < types.index("input_audio_buffer.committed")
    # the transcript may come before or after response.done; wait for it if needed
    while "conversation.item.input_audio_transcription.completed" not in types:
        events.append(await next_event(conn, validate, timeout=120))
        types.append(events[-1]["type"])
    heard = next(e for e in events if e["type"] == "conversation.item.input_audio_transcription.completed")
    said = next(e for e in events if e["type"] == "response.output_audio_transcript.done")["transcript"]
    done = next(e for e in events if e["type"] == "response.done")
    return heard["transcript"], said, reply_audio(events), done


def reply_audio(events: list[dict]) -> np.ndarray:
    """The response's audio deltas as float samples (24 kHz)."""
    pcm = b"".join(base64.b64decode(e["delta"]) for e in events if e["type"] == "response.output_audio.delta")
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768


@pytest.mark.slow
@pytest.mark.parametrize("voice", ["marin", "verse"])
async def test_the_documents_japanese_session_holds_a_spoken_conversation(japanese_server, validate, voice):
    async with sdk(japanese_server).realtime.connect(model="gpt-realtime-2") as conn:
        assert (await next_event(conn, validate))["type"] == "session.created"
        await conn.session.update(session=session(voice))
        updated = await next_event(conn, validate)
        assert updated["type"] == "session.updated"
        assert updated["session"]["audio"]["output"]["voice"] == voice

        # 1. the time, from the emulator's (fixed) clock
        heard, said, audio, done = await spoken_turn(conn, validate, "今、何時ですか？")
        assert scoring.character_error_rate("今何時ですか", heard) <= 0.2, heard
        assert said == "午後3時15分です。"
        back = stt.transcribe(audio, SR, language="ja").text
        # Whisper base hears the minutes and the ending; it runs 「さんじじゅうごふん」 together as "35分"
        assert "15分です" in back or "35分です" in back, back
        assert done["response"]["status"] == "completed"
        usage = done["response"]["usage"]
        # gpt-realtime-2 reasons (low effort by default): its reasoning tokens are output text tokens too
        thinking = thinking_budget("gpt-realtime-2", None).tokens
        assert usage["output_token_details"]["text_tokens"] == text_tokens(said) + thinking
        assert usage["output_token_details"]["audio_tokens"] == int(np.ceil(audio.size / SR * 1000 / 50))

        # 2. arithmetic, spoken (Whisper base writes a spoken 「3たす4」 as "3-4"; 「プラス」 it gets right)
        heard, said, audio, _ = await spoken_turn(conn, validate, "3プラス4は？")
        assert said == "3プラス4は7です。", (heard, said)
        back = stt.transcribe(audio, SR, language="ja").text
        assert back.endswith(("7です", "7です。", "七です", "七です。")), back

        # 3. the documents' text input 「こんにちは」 gets a Japanese greeting in Japanese speech
        await conn.conversation.item.create(
            item={
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "こんにちは"}],
            }
        )
        await conn.response.create()
        events = await events_until(conn, validate, "response.done", timeout=240)
        said = next(e for e in events if e["type"] == "response.output_audio_transcript.done")["transcript"]
        assert said.startswith("こんにちは！")
        back = stt.transcribe(reply_audio(events), SR, language="ja").text
        assert scoring.character_error_rate(said, back) <= 0.2, back
