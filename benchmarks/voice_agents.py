"""Realtime client: the sans-I/O core's cost per event; speech-to-speech vs chained on the same utterances.

Run: ``.venv/bin/python benchmarks/voice_agents.py`` (about a minute; ``--quick`` for one utterance).

1. **Core throughput** — ``ClientCore.receive`` on a recorded-shape stream of server events (one voice turn:
   VAD events, items, 100 × 40 ms audio deltas with transcript deltas, ``response.done``): events per second
   and µs per event. This is the bookkeeping the session does per event besides moving bytes.
2. **Voice agents** — against the embedded emulator (real engines: Whisper base, scripted responder, Piper),
   the same recorded utterances go through a ``RealtimeSession`` (streamed in real time, server VAD) and
   a ``ChainedAgent`` (transcription → chat completion → speech, streamed, ``pace=True``). Per turn: time
   from the end of the user's speech to the first audio, total time, tokens, cost. The first turn of each
   includes model warm-up and is reported but left out of the means.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import platform
import sys
import time

__all__ = ["main"]


def _turn_events(n_deltas: int = 100) -> list[dict]:
    delta = base64.b64encode(b"\x00\x01" * 960).decode()  # 40 ms
    events = [
        {"type": "input_audio_buffer.speech_started", "event_id": "e", "audio_start_ms": 100, "item_id": "u"},
        {"type": "input_audio_buffer.speech_stopped", "event_id": "e", "audio_end_ms": 1500, "item_id": "u"},
        {"type": "input_audio_buffer.committed", "event_id": "e", "item_id": "u", "previous_item_id": None},
        {"type": "conversation.item.added", "event_id": "e",
         "item": {"id": "u", "type": "message", "role": "user", "content": [{"type": "input_audio"}]}},
        {"type": "response.created", "event_id": "e", "response": {"id": "r", "status": "in_progress"}},
        {"type": "response.output_item.added", "event_id": "e", "response_id": "r", "output_index": 0,
         "item": {"id": "a", "type": "message", "role": "assistant", "content": []}},
    ]
    for _ in range(n_deltas):
        events.append({"type": "response.output_audio.delta", "event_id": "e", "response_id": "r",
                       "item_id": "a", "output_index": 0, "content_index": 0, "delta": delta})
        events.append({"type": "response.output_audio_transcript.delta", "event_id": "e", "response_id": "r",
                       "item_id": "a", "output_index": 0, "content_index": 0, "delta": "word "})
    events.append({"type": "response.done", "event_id": "e", "response": {
        "id": "r", "status": "completed", "output": [],
        "usage": {"total_tokens": 100, "input_tokens": 40, "output_tokens": 60,
                  "input_token_details": {"text_tokens": 10, "audio_tokens": 30},
                  "output_token_details": {"text_tokens": 20, "audio_tokens": 40}}}})
    return events


def core_throughput(turns: int) -> None:
    from voicelab.realtime.core import ClientCore

    events = _turn_events()
    core = ClientCore({"type": "realtime"})
    core.connecting(t=0.0)
    core.receive({"type": "session.created", "event_id": "e", "session": {}}, t=0.0)
    core.receive({"type": "session.updated", "event_id": "e", "session": {}}, t=0.0)
    core.append_audio(b"\x00\x00" * 48_000, t=0.0)
    start = time.perf_counter()
    n = 0
    for turn in range(turns):
        for event in events:
            core.receive(event, t=turn + n * 1e-5)
            n += 1
        core.items.clear()  # keep memory flat between repeated turns
    elapsed = time.perf_counter() - start
    print(f"core throughput: {n} events in {elapsed:.3f} s → {n / elapsed:,.0f} events/s, "
          f"{elapsed / n * 1e6:.1f} µs/event")


async def voice_agents(quick: bool) -> None:
    import voicelab
    from voicelab import audio
    from voicelab.realtime import ChainedAgent, RealtimeSession, compare

    client = voicelab.client()
    questions = ["What is the weather in Paris?", "What is twelve times seven?", "What time is it?"]
    if quick:
        questions = questions[:1]
    utterances = []
    for text in questions:
        wav = client.audio.speech.create(model="gpt-4o-mini-tts", voice="ash", input=text,
                                         response_format="wav")
        utterances.append(audio.read(wav.read()))
    # warm-up utterance (loads Whisper and Piper in the emulator), then the measured ones
    utterances = [utterances[0], *utterances]
    async with RealtimeSession(instructions="Be brief.", voice="ash") as s2s:
        for u in utterances:
            await s2s.say(u, timeout=120)
    chained = ChainedAgent(instructions="Be brief.", voice="ash", pace=True)
    for u in utterances:
        await chained.turn(u)
    table = compare(speech_to_speech=s2s, chained=chained)
    print(table)
    for approach in ("speech-to-speech", "chained"):
        rows = [r for r in table.rows if r["approach"] == approach and r["turn"] > 0]
        first = sum(r["first_audio_s"] for r in rows) / len(rows)
        total = sum(r["total_s"] for r in rows) / len(rows)
        cost = sum(r["cost_usd"] for r in rows) / len(rows)
        print(f"{approach:>16}: mean first audio {first:.2f} s, mean total {total:.2f} s, "
              f"mean cost ${cost:.6f} per turn (turns 1..{len(rows)}, after warm-up)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    core_throughput(20 if args.quick else 200)
    asyncio.run(voice_agents(args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
