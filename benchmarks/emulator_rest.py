"""Latency of the emulator's REST API on this machine: speech time-to-first-byte and total, transcription RTF.

Runs the embedded emulator on a loopback port and drives it with the official SDK, as a notebook would.
Prints a markdown table (copy it into docs/emulator.md). Engines are warmed up first; figures are medians.

    .venv/bin/python benchmarks/emulator_rest.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import openai

from voicelab import audio, samples
from voicelab.emulator.server import EmbeddedServer
from voicelab.emulator.settings import EmulatorSettings

SHORT = "Hello! How can I help you today?"
PARAGRAPH = (
    "Once upon a time there was a small robot. It loved to read books aloud. "
    "Every evening it chose a new story. And every night the children fell asleep before the end."
)


def speech_latency(client: openai.OpenAI, text: str, fmt: str, repeats: int) -> tuple[float, float, float]:
    """Median time to first byte, total time, and seconds of audio produced."""
    firsts, totals, seconds = [], [], []
    for _ in range(repeats):
        start = time.perf_counter()
        first = None
        data = bytearray()
        with client.audio.speech.with_streaming_response.create(
            model="gpt-4o-mini-tts", voice="alloy", input=text, response_format=fmt
        ) as response:
            for chunk in response.iter_bytes():
                if first is None:
                    first = time.perf_counter() - start
                data += chunk
        totals.append(time.perf_counter() - start)
        firsts.append(first or totals[-1])
        seconds.append(len(data) / 2 / 24000 if fmt == "pcm" else audio.read(bytes(data)).duration)
    return statistics.median(firsts), statistics.median(totals), statistics.median(seconds)


def transcription_rtf(client: openai.OpenAI, wav: bytes, duration: float, model: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        client.audio.transcriptions.create(model=model, file=("speech.wav", wav))
        times.append(time.perf_counter() - start)
    return statistics.median(times) / duration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    start = time.perf_counter()
    server = EmbeddedServer(EmulatorSettings(port=0)).start()
    startup = time.perf_counter() - start
    client = openai.OpenAI(base_url=server.base_url, api_key="bench", max_retries=0)
    try:
        start = time.perf_counter()
        client.audio.speech.create(
            model="tts-1", voice="alloy", input="Warm up.", response_format="pcm"
        ).read()
        tts_load = time.perf_counter() - start
        sample = samples.load("en_directions")
        wav = audio.encode(sample.y, sample.sr, "wav")
        start = time.perf_counter()
        client.audio.transcriptions.create(model="whisper-1", file=("warm.wav", wav))
        stt_load = time.perf_counter() - start
        long_y = np.concatenate([samples.load(n).y for n in ("en_weather", "en_directions", "en_order")] * 2)
        long_wav = audio.encode(long_y, sample.sr, "wav")
        long_seconds = long_y.shape[0] / sample.sr

        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(
            f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
            f"load average {load:.1f}; {args.repeats} repeats, medians"
        )
        print(
            f"emulator start (thread + socket, engines lazy): {startup * 1000:.0f} ms; first TTS request "
            f"(loads Piper): {tts_load:.2f} s; first transcription (loads Whisper base): {stt_load:.2f} s\n"
        )
        print("| request | audio | time to first byte | total | real-time factor |")
        print("|---|---|---|---|---|")
        for label, text, fmt in [
            ("speech, 1 sentence, pcm", SHORT, "pcm"),
            ("speech, 1 sentence, mp3", SHORT, "mp3"),
            ("speech, 4 sentences, pcm", PARAGRAPH, "pcm"),
            ("speech, 4 sentences, mp3", PARAGRAPH, "mp3"),
        ]:
            first, total, seconds = speech_latency(client, text, fmt, args.repeats)
            print(
                f"| {label} | {seconds:.1f} s | {first * 1000:.0f} ms | {total * 1000:.0f} ms | "
                f"{total / seconds:.2f} |"
            )
        for label, data, seconds, model in [
            (f"transcription whisper-1, {sample.duration:.1f} s", wav, sample.duration, "whisper-1"),
            (f"transcription whisper-1, {long_seconds:.1f} s", long_wav, long_seconds, "whisper-1"),
            (
                f"transcription gpt-4o-mini-transcribe, {sample.duration:.1f} s",
                wav,
                sample.duration,
                "gpt-4o-mini-transcribe",
            ),
        ]:
            rtf = transcription_rtf(client, data, seconds, model, args.repeats)
            print(f"| {label} | {seconds:.1f} s | – | {rtf * seconds * 1000:.0f} ms | {rtf:.2f} |")
    finally:
        client.close()
        server.stop()


if __name__ == "__main__":
    main()
