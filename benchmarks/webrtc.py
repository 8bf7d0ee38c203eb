"""Voice-to-voice latency over WebRTC and over WebSocket: same emulator, engines and utterances, one run.

Run: ``.venv/bin/python benchmarks/webrtc.py`` (about 2 minutes; ``--turns N``).

For each transport, a fresh session with server VAD (Silero), real engines (Whisper base, scripted responder,
Piper). Each turn a Piper utterance is spoken in real time — over WebSocket as 100 ms
``input_audio_buffer.append`` events sent at playback speed, over WebRTC on the microphone track (aiortc,
Opus) — followed by silence. Voice-to-voice latency is measured on the caller's clock, from the moment the
last sample of the utterance left the caller to the moment the first audible sample of the answer arrived:
over WebSocket the first ``response.output_audio.delta`` (decoded, first sample above −40 dBFS), over WebRTC
the first audible sample on the remote track (after Opus decoding and aiortc's jitter buffer). Also reported:
the server's part, ``speech_stopped`` → first answer audio, which both share. The first turn of each transport
warms the engines up and is not counted. The server runs in this process (a thread); the numbers depend on the
load of the machine, which is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import time

import numpy as np

__all__ = ["main"]

SR = 24_000
KEY = "sk-bench-webrtc"
UTTERANCES = [
    "What is two plus two?",
    "Hello, how are you today?",
    "What is ten times three?",
    "What is seven minus four?",
    "Thank you very much.",
    "Tell me a short joke.",
]
AUDIBLE = int(32768 * 10 ** (-40 / 20))


def _speech(text: str) -> np.ndarray:
    from voicelab import audio
    from voicelab.engines import tts

    spoken = tts.synthesize(text, voice="alloy")
    return audio.to_pcm16(audio.resample(spoken.y.astype(np.float32), spoken.sr, SR))


def _first_audible(pcm: np.ndarray) -> int | None:
    loud = np.flatnonzero(np.abs(pcm) > AUDIBLE)
    return int(loud[0]) if loud.size else None


async def _stream(conn, pcm: np.ndarray, start: float) -> None:
    """Send ``pcm`` as 100 ms ``input_audio_buffer.append`` events at playback speed from ``start``."""
    for i in range(0, pcm.size, 2400):
        chunk = pcm[i : i + 2400].astype("<i2").tobytes()
        await conn.input_audio_buffer.append(audio=base64.b64encode(chunk).decode())
        await asyncio.sleep(max(0.0, start + (i + 2400) / SR - time.monotonic()))


async def _websocket_turns(server, utterances: list[np.ndarray]) -> list[tuple[float, float]]:
    from openai import AsyncOpenAI

    out = []
    client = AsyncOpenAI(api_key=KEY, base_url=server.base_url, websocket_base_url=server.websocket_base_url)
    async with client, client.realtime.connect(model="gpt-realtime") as conn:
        for pcm in utterances:
            start = time.monotonic()
            end_of_speech = start + pcm.size / SR
            talking = asyncio.create_task(
                _stream(conn, np.concatenate([pcm, np.zeros(SR * 2, np.int16)]), start)
            )
            stopped_at = first_audio_at = None
            while first_audio_at is None:
                event = json.loads(await asyncio.wait_for(conn.recv_bytes(), 60))
                if event["type"] == "input_audio_buffer.speech_stopped":
                    stopped_at = time.monotonic()
                elif event["type"] == "response.output_audio.delta":
                    offset = _first_audible(np.frombuffer(base64.b64decode(event["delta"]), "<i2"))
                    if offset is not None:
                        first_audio_at = time.monotonic() + offset / SR
            while json.loads(await asyncio.wait_for(conn.recv_bytes(), 60))["type"] != "response.done":
                pass
            await talking
            assert stopped_at is not None
            out.append((first_audio_at - end_of_speech, first_audio_at - stopped_at))
    return out


async def _webrtc_turns(server, utterances: list[np.ndarray]) -> list[tuple[float, float]]:
    from openai import AsyncOpenAI

    from voicelab.realtime.webrtc import WebRTCCall

    out = []
    async with AsyncOpenAI(api_key=KEY, base_url=server.base_url, max_retries=0) as client:
        call = await WebRTCCall.start(client, model="gpt-realtime")
        async with call:
            await call.events_until("session.created")
            for pcm in utterances:
                start = time.monotonic()
                call.say(np.concatenate([pcm, np.zeros(SR * 2, np.int16)]))
                end_of_speech = start + pcm.size / SR
                events = await call.events_until("output_audio_buffer.started", timeout=60)
                stopped_at = next(
                    (
                        t
                        for t, e in zip(call.event_times[-len(events) :], events, strict=True)
                        if e["type"] == "input_audio_buffer.speech_stopped"
                    ),
                    None,
                )
                first_audio_at = None
                while first_audio_at is None:
                    await asyncio.sleep(0.01)
                    for t, chunk in call.heard_chunks(since=end_of_speech - 0.5):
                        offset = _first_audible(chunk)
                        if offset is not None:
                            first_audio_at = t - (chunk.size - offset) / SR  # the chunk ends at t
                            break
                await call.events_until("output_audio_buffer.stopped", timeout=60)
                assert stopped_at is not None
                out.append((first_audio_at - end_of_speech, first_audio_at - stopped_at))
                await asyncio.sleep(0.5)
            await call.hangup()
    return out


def _p50(values: list[float]) -> float:
    return float(np.percentile(values, 50)) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=4, help="measured turns per transport (after a warm-up)")
    args = parser.parse_args(argv)

    from voicelab.emulator.app import create_app
    from voicelab.emulator.server import EmbeddedServer
    from voicelab.emulator.settings import EmulatorSettings

    print(
        f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    texts = [UTTERANCES[i % len(UTTERANCES)] for i in range(args.turns + 1)]
    utterances = [_speech(t) for t in texts]
    app = create_app(EmulatorSettings(port=0, api_key=KEY, realtime_pacing=True))
    server = EmbeddedServer(app.state.settings, app=app).start()
    try:
        results = {
            "WebSocket": asyncio.run(_websocket_turns(server, utterances))[1:],
            "WebRTC": asyncio.run(_webrtc_turns(server, utterances))[1:],
        }
    finally:
        server.stop()
    print(
        f"{args.turns} turns per transport (after one warm-up turn), load average {os.getloadavg()[0]:.1f} "
        "at the end"
    )
    print("transport   end of speech → first answer audio (p50)   speech_stopped → first answer audio (p50)")
    for name, turns in results.items():
        print(
            f"{name:<10}  {_p50([t[0] for t in turns]) * 1000:>8.0f} ms"
            f"{'':<32}{_p50([t[1] for t in turns]) * 1000:>8.0f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
