"""Realtime emulator: voice-to-voice latency and concurrent real-time sessions, over loopback WebSockets.

Run: ``.venv/bin/python benchmarks/realtime.py`` (about 3–4 minutes; ``--quick`` for a shorter run).

1. 1. **Voice-to-voice latency** — one session, server VAD (Silero), real engines (Whisper base, scripted
   responder, Piper): a user utterance (Piper speech) is streamed in real time in 100 ms chunks; latency is
   the time from receiving ``input_audio_buffer.speech_stopped`` to receiving the first
   ``response.output_audio.delta``. Reported p50/p95 over several turns (after a warm-up turn), without and
   with input audio transcription.
2. 2. **Concurrent sessions** — N sessions each stream speech + silence in real time (100 ms chunks) with
   server VAD (Silero) and ``create_response: false`` (no transcription, no responses): every turn yields
   ``speech_started``, ``speech_stopped``, ``committed``, ``conversation.item.added`` and ``.done``. Each
   session also sends a probe event every second (``conversation.item.retrieve`` of an unknown id, answered at
   once by an ``error`` event carrying the probe's ``event_id``): its round trip is the *event latency*. A
   level passes when the probe p99 ≤ 100 ms and no event is lost (every turn's five events and every probe
   answer arrive). The server runs in its own process; the clients share the machine's 2 cores with it.

Goal: ≥ 100 concurrent sessions without transcription.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import platform
import socket
import sys
import time
from dataclasses import dataclass, field

import numpy as np

__all__ = ["main"]

SR = 24_000
CHUNK_MS = 100
KEY = "sk-bench"
UTTERANCES = [
    "What is two plus two?",
    "Hello, how are you today?",
    "What is ten times three?",
    "Tell me a short joke.",
    "What is seven minus four?",
    "Thank you very much.",
]


# ------------------------------------------------------------------------------------------------- server
# process
def _serve(port_pipe, vad_detector: str) -> None:  # runs in a child process
    import uvicorn

    from voicelab.emulator.app import create_app
    from voicelab.emulator.realtime.route import Engines
    from voicelab.emulator.settings import EmulatorSettings

    app = create_app(EmulatorSettings(port=0, api_key=KEY, realtime_pacing=False))
    app.state.realtime_engines = Engines.default(vad_detector=vad_detector)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)  # connections queue until uvicorn accepts them
    port_pipe.send(sock.getsockname()[1])
    config = uvicorn.Config(app, log_level="error", ws_max_size=16 * 1024 * 1024, backlog=2048)
    uvicorn.Server(config).run(sockets=[sock])


class ServerProcess:
    def __init__(self, vad_detector: str = "silero") -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, vad_detector), daemon=True)
        self.process.start()
        self.port = parent.recv()
        self.url = f"ws://127.0.0.1:{self.port}/v1/realtime"

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process used so far (Linux ``/proc``)."""
        try:
            with open(f"/proc/{self.process.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)


# ------------------------------------------------------------------------------------------------- audio
def _speech(text: str) -> np.ndarray:
    from voicelab.engines import tts

    y = tts.synthesize(text, voice="alloy").y.astype(np.float32)
    return (np.clip(y, -1, 1) * 32767).astype(np.int16)


def _chunk_messages(pcm: np.ndarray) -> list[str]:
    step = SR * CHUNK_MS // 1000
    pcm = np.concatenate([pcm, np.zeros((-pcm.size) % step, np.int16)])
    return [
        json.dumps(
            {
                "type": "input_audio_buffer.append",
                "audio": base64.b64encode(pcm[i : i + step].astype("<i2").tobytes()).decode(),
            }
        )
        for i in range(0, pcm.size, step)
    ]


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


# ------------------------------------------------------------------------------------------------- 1. latency
async def _latency_run(url: str, utterances: list[np.ndarray], *, transcription: bool) -> list[float]:
    import websockets

    async with websockets.connect(
        url + "?model=gpt-realtime", additional_headers={"Authorization": f"Bearer {KEY}"}, max_size=None
    ) as ws:
        session: dict = {"type": "realtime", "output_modalities": ["audio"]}
        if transcription:
            session["audio"] = {"input": {"transcription": {"model": "gpt-4o-transcribe"}}}
        await ws.send(json.dumps({"type": "session.update", "session": session}))
        latencies: list[float] = []
        for index, pcm in enumerate(utterances):
            messages = _chunk_messages(
                np.concatenate([np.zeros(SR // 2, np.int16), pcm, np.zeros(SR, np.int16)])
            )
            stopped_at: float | None = None
            first_audio: float | None = None

            async def sender(messages: list[str] = messages) -> None:
                start = time.monotonic()
                for k, message in enumerate(messages):
                    await asyncio.sleep(max(start + k * CHUNK_MS / 1000 - time.monotonic(), 0))
                    await ws.send(message)

            task = asyncio.create_task(sender())
            while True:
                event = json.loads(await asyncio.wait_for(ws.recv(), 120))
                kind = event["type"]
                if kind == "input_audio_buffer.speech_stopped" and stopped_at is None:
                    stopped_at = time.monotonic()
                elif kind == "response.output_audio.delta" and first_audio is None:
                    first_audio = time.monotonic()
                elif kind == "response.done":
                    break
                elif kind == "error":
                    raise RuntimeError(event["error"]["message"])
            await task
            if (
                index > 0 and stopped_at is not None and first_audio is not None
            ):  # turn 0 warms the engines up
                latencies.append((first_audio - stopped_at) * 1000)
            await ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
        return latencies


# ------------------------------------------------------------------------------------------------- 2.
# concurrency
@dataclass
class SessionStats:
    probes_sent: int = 0
    probe_rtts: list[float] = field(default_factory=list)
    turns_expected: int = 0
    turn_events: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    failed: str | None = None


TURN_EVENTS = (
    "input_audio_buffer.speech_started",
    "input_audio_buffer.speech_stopped",
    "input_audio_buffer.committed",
    "conversation.item.added",
    "conversation.item.done",
)


async def _concurrent_session(
    url: str, messages: list[str], turns: int, stats: SessionStats, start_at: float
) -> None:
    import websockets

    try:
        async with websockets.connect(
            url + "?model=gpt-realtime",
            additional_headers={"Authorization": f"Bearer {KEY}"},
            max_size=None,
            open_timeout=60,
            ping_interval=None,
        ) as ws:
            await ws.send(
                json.dumps(
                    {
                        "type": "session.update",
                        "session": {
                            "type": "realtime",
                            "audio": {
                                "input": {
                                    "turn_detection": {
                                        "type": "server_vad",
                                        "create_response": False,
                                        "silence_duration_ms": 500,
                                    }
                                }
                            },
                        },
                    }
                )
            )
            probes: dict[str, float] = {}
            done = asyncio.Event()

            async def receiver() -> None:
                while True:
                    event = json.loads(await ws.recv())
                    kind = event["type"]
                    if kind in TURN_EVENTS:
                        stats.turn_events[kind] = stats.turn_events.get(kind, 0) + 1
                    elif kind == "error":
                        sent = probes.pop(event["error"].get("event_id") or "", None)
                        if sent is None:
                            stats.errors += 1
                        else:
                            stats.probe_rtts.append((time.monotonic() - sent) * 1000)
                    if (
                        done.is_set()
                        and not probes
                        and stats.turn_events.get("conversation.item.done", 0) >= stats.turns_expected
                    ):
                        return

            reader = asyncio.create_task(receiver())
            await asyncio.sleep(max(start_at - time.monotonic(), 0))
            start = time.monotonic()
            per_second = 1000 // CHUNK_MS
            for k, message in enumerate(messages * turns):
                await asyncio.sleep(max(start + k * CHUNK_MS / 1000 - time.monotonic(), 0))
                await ws.send(message)
                if k % per_second == per_second // 2:
                    probe_id = f"probe_{k}"
                    probes[probe_id] = time.monotonic()
                    stats.probes_sent += 1
                    await ws.send(
                        json.dumps(
                            {
                                "type": "conversation.item.retrieve",
                                "item_id": "item_probe",
                                "event_id": probe_id,
                            }
                        )
                    )
            stats.turns_expected = turns
            done.set()
            try:
                await asyncio.wait_for(reader, 10)
            except TimeoutError:
                reader.cancel()
    except Exception as exc:  # a refused or dropped connection counts as a failure of this level
        stats.failed = f"{type(exc).__name__}: {exc}"


async def _concurrency_level(url: str, n: int, messages: list[str], turns: int) -> dict:
    stats = [SessionStats() for _ in range(n)]
    start_at = time.monotonic() + 2.0 + n * 0.01
    # stagger the sessions over one chunk period, as independent callers would be
    await asyncio.gather(
        *(
            _concurrent_session(url, messages, turns, s, start_at + (i % 10) * CHUNK_MS / 10000)
            for i, s in enumerate(stats)
        )
    )
    rtts = [r for s in stats for r in s.probe_rtts]
    lost_probes = sum(s.probes_sent - len(s.probe_rtts) for s in stats)
    lost_turn_events = sum(max(turns - s.turn_events.get(kind, 0), 0) for s in stats for kind in TURN_EVENTS)
    failed = [s.failed for s in stats if s.failed]
    p99 = _percentile(rtts, 99)
    return {
        "sessions": n,
        "p50_ms": _percentile(rtts, 50),
        "p99_ms": p99,
        "lost_probes": lost_probes,
        "lost_turn_events": lost_turn_events,
        "failed_sessions": len(failed),
        "first_failure": failed[:1],
        "passed": bool(rtts) and p99 <= 100 and lost_probes == 0 and lost_turn_events == 0 and not failed,
    }


# ------------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer turns and levels (about 1 minute)")
    parser.add_argument("--levels", default="25,50,75,100,150", help="session counts to try, ascending")
    parser.add_argument("--detectors", default="silero,energy", help="VAD detectors to try (silero, energy)")
    args = parser.parse_args(argv)
    if args.quick:
        args.levels = ",".join(args.levels.split(",")[:2])
    print(
        f"# realtime emulator benchmark — {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    utterances = [_speech(text) for text in UTTERANCES[: 4 if args.quick else 6]]
    server = ServerProcess()
    try:
        print("\n## voice-to-voice latency (speech_stopped → first response.output_audio.delta)")
        for transcription in (False, True):
            latencies = asyncio.run(_latency_run(server.url, utterances, transcription=transcription))
            label = "with input transcription   " if transcription else "without input transcription"
            print(
                f"{label}: p50 {_percentile(latencies, 50):6.0f} ms   "
                f"p95 {_percentile(latencies, 95):6.0f} ms"
                f"   ({len(latencies)} turns)"
            )
    finally:
        server.stop()
    from voicelab.engines import stt, tts

    stt.transcribe(utterances[0].astype(np.float32) / 32768, SR)  # load
    started = time.perf_counter()
    stt.transcribe(utterances[0].astype(np.float32) / 32768, SR)
    whisper_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    tts.synthesize("2 plus 2 is 4.")
    piper_ms = (time.perf_counter() - started) * 1000
    print(
        f"for reference, alone in this process: Whisper base on the first utterance {whisper_ms:.0f} ms, "
        f"Piper on a 5-word answer {piper_ms:.0f} ms (load average {os.getloadavg()[0]:.1f})"
    )
    turn = np.concatenate([np.zeros(SR // 2, np.int16), utterances[1], np.zeros(SR, np.int16)])
    messages = _chunk_messages(turn)
    turns = 2 if args.quick else 3
    levels = [int(x) for x in args.levels.split(",")]
    for detector in args.detectors.split(","):
        print(
            f"\n## concurrent real-time sessions (server VAD on {detector} frames, no transcription, "
            "no responses)"
        )
        print(
            f"each session: {turns} turns of {len(messages) * CHUNK_MS / 1000:.1f} s in {CHUNK_MS} ms chunks "
            "+ 1 probe/s"
        )
        server = ServerProcess(detector)
        best = 0
        try:
            for n in levels:
                cpu_before, wall_before = server.cpu_seconds(), time.monotonic()
                result = asyncio.run(_concurrency_level(server.url, n, messages, turns))
                stream_seconds = n * turns * len(messages) * CHUNK_MS / 1000
                per_session = (server.cpu_seconds() - cpu_before) / stream_seconds * 1000
                wall = time.monotonic() - wall_before
                print(
                    f"      server CPU {per_session:5.1f} ms per session-second of audio → 2 cores could "
                    f"carry ≈{2000 / per_session:4.0f} sessions (run took {wall:.0f} s, load average "
                    f"{os.getloadavg()[0]:.1f})"
                )
                verdict = "pass" if result["passed"] else "FAIL"
                print(
                    f"{n:4d} sessions: probe p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  "
                    f"lost probes {result['lost_probes']}  lost turn events {result['lost_turn_events']}  "
                    f"failed sessions {result['failed_sessions']}  → {verdict}"
                    + (f"  ({result['first_failure'][0]})" if result["first_failure"] else "")
                )
                if not result["passed"]:
                    break
                best = n
        finally:
            server.stop()
        print(
            f"sustained with {detector}: {best} concurrent sessions with event p99 ≤ 100 ms and no lost "
            "events "
            "(goal ≥ 100)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
