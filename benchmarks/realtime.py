"""Realtime emulator: voice-to-voice latency and concurrent real-time sessions, over loopback WebSockets.

Run: ``.venv/bin/python benchmarks/realtime.py`` (4–5 minutes; ``--quick``: about 2 minutes;
``--latency-only`` for part 1 alone; ``--levels 25,50,75,100,150`` for more concurrency levels).

1. **Voice-to-voice latency, input transcription, WER** — one session, server VAD (Silero), input
   transcription (``gpt-4o-transcribe``, language ``en``), real engines (streaming Whisper base, scripted
   responder, Piper). Each utterance — the six below (Piper alloy; 500 ms of silence ends the turn) and the
   English labelled samples of ``data/samples`` (clean and at 20/10/5 dB SNR; 1300 ms ends the turn, as
   their pauses reach 1.2 s) — is streamed in real time in 100 ms chunks. *Voice-to-voice* is the time from
   receiving ``input_audio_buffer.speech_stopped`` to receiving the first ``response.output_audio.delta``
   (every turn counts, the first included: the engines are warmed when the session is created). The *old
   path* is Whisper base transcribing the same audio after the fact (``stt.transcribe``, what the emulator did
   before streaming recognition), timed in this process after the server has stopped; the *ratio* is
   voice-to-voice p50 / old-path p50. WER (summed word edits / reference words) of the streamed input
   transcript (``…input_audio_transcription.completed``) and of the old path, against the reference texts.
   Goal on an idle 2-core machine: p50 ≤ 300 ms, p95 ≤ 500 ms, ratio ≤ 0.3, WER no worse.
2. **Concurrent sessions** — N sessions each stream speech + silence in real time (100 ms chunks) with
   server VAD (Silero) and ``create_response: false`` (no transcription, no responses): every turn yields
   ``speech_started``, ``speech_stopped``, ``committed``, ``conversation.item.added`` and ``.done``. Each
   session also sends a probe event every second (``conversation.item.retrieve`` of an unknown id, answered at
   once by an ``error`` event carrying the probe's ``event_id``): its round trip is the *event latency*. A
   level passes when the probe p99 ≤ 100 ms and no event is lost (every turn's five events and every probe
   answer arrive). The server runs in its own process; the clients share the machine's 2 cores with it.

Goal: ≥ 100 concurrent sessions without transcription (levels 50, 100 and 150 by default, two turns each;
the benchmark's server allows 200 open sessions instead of the default ``max_sessions`` of 100, so 150 is
measured, not refused).
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
MAX_SESSIONS = 200
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
    from voicelab.emulator.realtime.live_stt import warm_up_in_background
    from voicelab.emulator.realtime.route import Engines
    from voicelab.emulator.settings import EmulatorSettings

    # above the default cap of 100 open sessions (max_sessions), so that 150 is measured, not refused
    app = create_app(EmulatorSettings(port=0, api_key=KEY, realtime_pacing=False, max_sessions=MAX_SESSIONS))
    app.state.realtime_engines = Engines.default(vad_detector=vad_detector)
    # as `voicelab serve` does at start; the clients connect once it is warm (a server started beforehand)
    warm_up_in_background(app.state.realtime_engines.synthesize).result()
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
@dataclass
class Utterance:
    """A spoken turn: reference text, 24 kHz int16 audio, and the silence that ends it (server VAD)."""

    name: str
    text: str
    pcm: np.ndarray
    silence_ms: int = 500


@dataclass
class TurnResult:
    name: str
    text: str
    v2v_ms: float  # speech_stopped → first response.output_audio.delta
    final_ms: float  # speech_stopped → input transcription completed
    first_delta_ms: float  # speech_stopped → first input transcription delta
    deltas: int
    transcript: str
    joined_deltas: str
    old_ms: float = float("nan")  # Whisper base on the same audio after the fact (the old path)
    old_text: str = ""


def _utterances(quick: bool) -> list[Utterance]:
    """The realtime utterances (Piper alloy; 500 ms ends the turn) and the English labelled samples (clean and
    noisy; their pauses reach 1.2 s, so 1300 ms of silence ends the turn and each sample is one turn)."""
    from voicelab import samples

    spoken = UTTERANCES[:3] if quick else UTTERANCES
    found = [Utterance(f"realtime_{i}", text, _speech(text)) for i, text in enumerate(spoken)]
    for info in samples.manifest():
        if info.language != "en" or (quick and info.snr_db not in (None, 10.0)):
            continue
        y, sr = samples.load(info.name)
        assert sr == SR
        pcm = (np.clip(y, -1, 1) * 32767).astype(np.int16)
        found.append(Utterance(info.name, info.text, pcm, silence_ms=1300))
    return found  # quick: 3 utterances + the clean and 10 dB samples (9 turns)


async def _latency_run(url: str, utterances: list[Utterance]) -> list[TurnResult]:
    """One session (server VAD, input transcription, audio answers); each utterance streamed in real time."""
    import websockets

    async with websockets.connect(
        url + "?model=gpt-realtime", additional_headers={"Authorization": f"Bearer {KEY}"}, max_size=None
    ) as ws:
        results: list[TurnResult] = []
        for utterance in utterances:
            session = {
                "type": "realtime",
                "output_modalities": ["audio"],
                "audio": {
                    "input": {
                        "transcription": {"model": "gpt-4o-transcribe", "language": "en"},
                        "turn_detection": {"type": "server_vad", "silence_duration_ms": utterance.silence_ms},
                    }
                },
            }
            await ws.send(json.dumps({"type": "session.update", "session": session}))
            tail = np.zeros(SR * (utterance.silence_ms + 1000) // 1000, np.int16)
            messages = _chunk_messages(np.concatenate([np.zeros(SR // 2, np.int16), utterance.pcm, tail]))
            stopped_at = first_audio = completed_at = None
            transcript, deltas, first_delta = "", [], None

            async def sender(messages: list[str] = messages) -> None:
                start = time.monotonic()
                for k, message in enumerate(messages):
                    await asyncio.sleep(max(start + k * CHUNK_MS / 1000 - time.monotonic(), 0))
                    await ws.send(message)

            task = asyncio.create_task(sender())
            done = False
            seen: list[str] = []
            while not (done and completed_at is not None):
                try:
                    event = json.loads(await asyncio.wait_for(ws.recv(), 60))
                except TimeoutError:
                    raise RuntimeError(f"{utterance.name}: no event for 60 s after {seen}") from None
                kind = event["type"]
                seen.append(kind)
                now = time.monotonic()
                if kind == "input_audio_buffer.speech_stopped" and stopped_at is None:
                    stopped_at = now
                elif kind == "conversation.item.input_audio_transcription.delta":
                    deltas.append(event["delta"])
                    first_delta = first_delta or now
                elif kind == "conversation.item.input_audio_transcription.completed" and completed_at is None:
                    completed_at, transcript = now, event["transcript"]
                elif kind == "response.output_audio.delta" and first_audio is None:
                    first_audio = now
                elif kind == "response.done":
                    done = True
                elif kind == "error":
                    raise RuntimeError(event["error"]["message"])
            await task
            await ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
            assert stopped_at is not None and first_audio is not None and completed_at is not None
            first_delta = first_delta or completed_at
            results.append(
                TurnResult(
                    utterance.name,
                    utterance.text,
                    (first_audio - stopped_at) * 1000,
                    (completed_at - stopped_at) * 1000,
                    (first_delta - stopped_at) * 1000,
                    len(deltas),
                    transcript,
                    "".join(deltas),
                )
            )
        return results


def _old_path(utterances: list[Utterance], results: list[TurnResult]) -> None:
    """Whisper base after the fact (``stt.transcribe``, 30 s window) on the same audio, in this process."""
    from voicelab.engines import stt

    stt.transcribe(np.zeros(SR, np.float32), SR, language="en")  # load
    for utterance, result in zip(utterances, results, strict=True):
        y = utterance.pcm.astype(np.float32) / 32768
        started = time.perf_counter()
        result.old_text = stt.transcribe(y, SR, language="en").text.strip()
        result.old_ms = (time.perf_counter() - started) * 1000


def _wer(pairs: list[tuple[str, str]]) -> float:
    """Summed word edits over summed reference words."""
    from voicelab.engines.scoring import edit_distance, words

    edits = sum(edit_distance(words(ref), words(hyp)) for ref, hyp in pairs)
    return edits / max(1, sum(len(words(ref)) for ref, _ in pairs))


def _latency_report(results: list[TurnResult], load_before: float) -> None:
    v2v = [r.v2v_ms for r in results]
    old = [r.old_ms for r in results]
    final = [r.final_ms for r in results]
    print(f"{'turn':<20}{'v2v ms':>7}{'delta ms':>9}{'final ms':>9}{'old ms':>7}{'deltas':>7}  transcript")
    for r in results:
        print(
            f"{r.name:<20}{r.v2v_ms:7.0f}{r.first_delta_ms:9.0f}{r.final_ms:9.0f}{r.old_ms:7.0f}{r.deltas:7d}"
            f"  {r.transcript!r}" + (f"  (old path: {r.old_text!r})" if r.old_text != r.transcript else "")
        )
    first = results[0]
    print(
        f"\nvoice-to-voice (speech_stopped → first response.output_audio.delta), {len(v2v)} turns: "
        f"p50 {_percentile(v2v, 50):.0f} ms, p95 {_percentile(v2v, 95):.0f} ms "
        f"(first turn {first.v2v_ms:.0f} ms; goal p50 ≤ 300, p95 ≤ 500)"
    )
    print(
        f"speech_stopped → final input transcript: p50 {_percentile(final, 50):.0f} ms, "
        f"p95 {_percentile(final, 95):.0f} ms"
    )
    print(
        f"old path, Whisper base after the fact on the same audio: p50 {_percentile(old, 50):.0f} ms, "
        f"p95 {_percentile(old, 95):.0f} ms"
    )
    ratios = [r.v2v_ms / r.old_ms for r in results]
    print(
        f"ratio voice-to-voice / old path: p50 {_percentile(v2v, 50) / _percentile(old, 50):.2f} "
        f"(median per turn {_percentile(ratios, 50):.2f}; goal ≤ 0.3)"
    )
    streamed = _wer([(r.text, r.transcript) for r in results])
    after = _wer([(r.text, r.old_text) for r in results])
    print(f"WER streamed (realtime input transcription) {streamed:.1%}, old path {after:.1%}")
    equal = sum(r.joined_deltas == r.transcript for r in results)
    print(f"turns whose deltas concatenate to the transcript: {equal}/{len(results)}")
    print(f"load average: {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (2 cores shared)")


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
    parser.add_argument("--quick", action="store_true", help="9 turns, one level (about 2 minutes)")
    parser.add_argument(
        "--levels", default="50,100,150", help="session counts to try, ascending (e.g. 25,50,75,100,150)"
    )
    parser.add_argument("--detectors", default="silero,energy", help="VAD detectors to try (silero, energy)")
    parser.add_argument("--latency-only", action="store_true", help="only part 1 (voice-to-voice, WER)")
    args = parser.parse_args(argv)
    if args.quick:
        args.levels = args.levels.split(",")[0]
    print(
        f"# realtime emulator benchmark — {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    utterances = _utterances(args.quick)
    print(f"\n## voice-to-voice latency and input transcription ({len(utterances)} turns, one session)")
    load_before = os.getloadavg()[0]
    server = ServerProcess()
    try:
        results = asyncio.run(_latency_run(server.url, utterances))
    finally:
        server.stop()
    _old_path(utterances, results)
    _latency_report(results, load_before)
    if args.latency_only:
        return 0
    turn = np.concatenate([np.zeros(SR // 2, np.int16), utterances[1].pcm, np.zeros(SR, np.int16)])
    messages = _chunk_messages(turn)
    turns = 2
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
