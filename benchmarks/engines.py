"""Offline speech engines: load time and real-time factor (RTF = processing time / audio duration).

Run: ``.venv/bin/python benchmarks/engines.py``. Lower RTF is faster; 0.1 means ten seconds of audio in one.

- Piper (en_US-joe-medium, voice "alloy") synthesising an English paragraph;
- eSpeak NG synthesising a Japanese paragraph (kana) and a Spanish one;
- Whisper base (CTranslate2 int8, CPU, beam 1) transcribing the English clean samples (about 17 s of speech
  with pauses), and translating a Japanese sample to English.

Each figure is the median of several runs after a warm-up: wall-clock RTF, and in brackets CPU seconds (all
threads) per audio second, which depends less on other load. The load average is printed with the figures.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

__all__ = ["main"]

REPEATS = 5
ENGLISH = ("The offline emulator speaks with Piper. It runs on the CPU, without a network. "
           "Each sentence is synthesised on its own, so the first audio arrives early. "
           "Whisper base then turns the speech back into text.")
JAPANESE = ("きょうは いい てんき ですね。えきは どこ ですか。"
            "まっすぐ いって ください。ありがとう ございます。")
SPANISH = "Hoy hace buen tiempo. ¿Dónde está la estación? Siga todo recto. Muchas gracias."


def _median_seconds(work: Callable[[], object], repeats: int = REPEATS) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (all threads of this process) of ``work()``."""
    walls, cpus = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _rtf(seconds: tuple[float, float], duration: float, digits: int = 3) -> str:
    wall, cpu = seconds
    return f"{wall / duration:.{digits}f}  (CPU {cpu / duration:.{digits}f})"


def _timed(work: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def main() -> int:
    from voicelab import samples
    from voicelab.engines import stt, tts

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    rows: list[tuple[str, str]] = []

    load, _ = _timed(lambda: tts.synthesize("Warm up.", voice="alloy"))
    rows.append(("Piper first call (load voice + verify SHA-256 + synthesise)", f"{load:.2f} s"))
    duration = tts.synthesize(ENGLISH).duration
    seconds = _median_seconds(lambda: tts.synthesize(ENGLISH))
    rows.append((f"Piper RTF, {duration:.1f} s of English", _rtf(seconds, duration)))
    stream = tts.synthesize_stream(ENGLISH)
    first_piece, _ = _timed(lambda: next(stream))
    list(stream)
    rows.append(("Piper time to first sentence (streaming)", f"{first_piece * 1000:.0f} ms"))

    for label, text, lang in (("Japanese", JAPANESE, "ja"), ("Spanish", SPANISH, "es")):
        tts.synthesize(text, language=lang, engine="espeak")  # Japanese: OpenJTalk in benchmarks/japanese.py
        duration = tts.synthesize(text, language=lang, engine="espeak").duration
        seconds = _median_seconds(lambda text=text, lang=lang: tts.synthesize(text, language=lang,
                                                                              engine="espeak"))
        rows.append((f"eSpeak NG RTF, {duration:.1f} s of {label}", _rtf(seconds, duration, 4)))

    load, _ = _timed(stt.load_model)
    rows.append(("Whisper base load (assemble/verify cache + CTranslate2 load)", f"{load:.2f} s"))
    english = np.concatenate([samples.load(i.name).y for i in samples.manifest()
                              if i.language == "en" and i.snr_db is None])
    duration = len(english) / 24_000
    stt.transcribe(english[:24_000 * 3], 24_000, language="en")
    seconds = _median_seconds(lambda: stt.transcribe(english, 24_000, language="en"), repeats=3)
    rows.append((f"Whisper base RTF, beam 1, {duration:.1f} s of English", _rtf(seconds, duration)))
    seconds = _median_seconds(lambda: stt.transcribe(english, 24_000), repeats=3)
    rows.append(("Whisper base RTF, same, language detection on", _rtf(seconds, duration)))
    japanese = samples.load("ja_station").y
    duration = len(japanese) / 24_000
    seconds = _median_seconds(lambda: stt.transcribe(japanese, 24_000, task="translate"), repeats=3)
    rows.append((f"Whisper base RTF, translate {duration:.1f} s of Japanese", _rtf(seconds, duration)))

    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
