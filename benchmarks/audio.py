"""Audio core speed, in × real time (seconds of audio handled per second of wall-clock time).

Run: ``.venv/bin/python benchmarks/audio.py``. Goals: resample 48 kHz → 24 kHz + PCM16 + base64 of
60 s of 48 kHz stereo at ≥ 500× real time; decoding a 60 s MP3 is reported beside it.
Each figure is the median of several runs on one core of this machine.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

from voicelab import audio

__all__ = ["main"]

SECONDS = 60.0
GOAL = 500.0
REPEATS = 7


def _signal(sr: int, channels: int) -> np.ndarray:
    """Speech-like test signal: a gliding harmonic tone plus a little noise, seeded."""
    rng = np.random.default_rng(20261121)
    t = np.arange(int(SECONDS * sr)) / sr
    pitch = 140 + 40 * np.sin(2 * np.pi * 0.3 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / sr
    y = sum(0.2 / k * np.sin(k * phase) for k in range(1, 8)) + 0.01 * rng.standard_normal(t.size)
    y = y.astype(np.float32)
    return y if channels == 1 else np.stack([y, np.roll(y, 100)], axis=1)


def _times_realtime(work: Callable[[], object]) -> float:
    work()  # warm-up (imports, filter design)
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        work()
        runs.append(time.perf_counter() - start)
    return SECONDS / statistics.median(runs)


def main() -> None:
    stereo_48k = _signal(48000, 2)
    mono_24k = _signal(24000, 1)
    mp3_24k_mono = audio.encode(mono_24k, 24000, "mp3")
    mp3_44k_stereo = audio.encode(_signal(44100, 2), 44100, "mp3")

    def realtime_path() -> str:  # what an app does before input_audio_buffer.append
        mono = audio.to_mono(stereo_48k)
        return audio.to_base64(audio.to_pcm16(audio.resample(mono, 48000, 24000)))

    def stereo_path() -> str:
        return audio.to_base64(audio.to_pcm16(audio.resample(stereo_48k, 48000, 24000)))

    def streamed_path() -> list[str]:  # 20 ms chunks through the streaming resampler
        stream = audio.ResampleStream(48000, 24000)
        mono = audio.to_mono(stereo_48k)
        out = [audio.to_base64(audio.to_pcm16(piece)) for chunk in audio.chunks(mono, 48000, ms=20)
               if len(piece := stream.process(chunk))]
        return [*out, audio.to_base64(audio.to_pcm16(stream.flush()))]

    rows = [
        ("resample 48k→24k + PCM16 + base64, 60 s 48 kHz stereo → mono", realtime_path, True),
        ("resample 48k→24k + PCM16 + base64, 60 s 48 kHz stereo kept", stereo_path, True),
        ("same, streamed in 20 ms chunks (ResampleStream)", streamed_path, False),
        ("decode 60 s MP3, 24 kHz mono (read)", lambda: audio.read(mp3_24k_mono), False),
        ("decode 60 s MP3, 44.1 kHz stereo (read)", lambda: audio.read(mp3_44k_stereo), False),
        ("encode 60 s 24 kHz mono to MP3 (encode)", lambda: audio.encode(mono_24k, 24000, "mp3"), False),
        ("encode 60 s 24 kHz mono to Opus (encode)", lambda: audio.encode(mono_24k, 24000, "opus"), False),
        ("encode 60 s 24 kHz mono to AAC (encode)", lambda: audio.encode(mono_24k, 24000, "aac"), False),
    ]
    print(f"voicelab.audio benchmark — {platform.python_implementation()} {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
          f"median of {REPEATS} runs")
    print(f"{'task':<66} {'× real time':>12}")
    failed = False
    for name, work, has_goal in rows:
        speed = _times_realtime(work)
        verdict = ""
        if has_goal:
            verdict = "  ok (goal ≥ 500×)" if speed >= GOAL else "  BELOW GOAL (≥ 500×)"
            failed |= speed < GOAL
        print(f"{name:<66} {speed:>11.0f}×{verdict}")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
