"""Live speech translation with a Realtime translation session: stream a recording, collect what comes back.

:func:`translate` opens ``client.realtime.translations.connect(model=…)`` (OpenAI, or the emulator: the same
code), streams the speech in 200 ms chunks as the API recommends, closes the session and returns a
:class:`TranslationRun`: both transcripts, the translated speech placed where it was produced (its
``elapsed_ms``), every event, and the per-minute cost.

Examples
--------
>>> import numpy as np
>>> run = TranslationRun(source=np.zeros(48_000, np.int16), seconds_sent=2.0)
>>> run.add({"type": "session.output_transcript.delta", "delta": "Hello ", "elapsed_ms": 1800})
>>> run.add({"type": "session.output_audio.delta", "delta": "AAAAAA==", "elapsed_ms": 1800})
>>> run.english_text, len(run.translated), round(run.cost().total, 6)   # 2 s at $0.034 per minute
('Hello ', 43202, 0.001133)
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from voicelab import audio as vaudio
from voicelab.errors import RealtimeError
from voicelab.protocol.models import recommended
from voicelab.protocol.translation import FRAME_SAMPLES

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from voicelab.pricing import CostBreakdown

__all__ = ["TranslationRun", "translate"]

SR = 24000


@dataclass
class TranslationRun:
    """What a translation session produced for one recording.

    Attributes
    ----------
    source : ndarray of int16
        The audio sent (24 kHz), trailing silence included.
    translated : ndarray of int16
        The translated speech on the source's time axis: each audio delta starts at its ``elapsed_ms`` (or
        right after the previous one if that is later).
    source_text, english_text : str
        The concatenated ``session.input_transcript.delta`` / ``session.output_transcript.delta`` texts.
    events : list of dict
        Every server event with the wall-clock ``t_ms`` it arrived at (audio deltas without their payload).
    seconds_sent : float
        Seconds of audio sent: what the model bills, per minute.
    """

    source: np.ndarray
    seconds_sent: float
    model: str = recommended("realtime_translation")
    translated: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    source_text: str = ""
    english_text: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    _cursor: int = 0

    def add(self, event: dict[str, Any], t_ms: float = 0.0) -> None:
        """Record one server event (placing translated audio on the source's time axis)."""
        kind = event.get("type", "")
        record = {k: v for k, v in event.items() if k not in ("delta", "session")} | {"t_ms": round(t_ms, 1)}
        if kind == "session.output_transcript.delta":
            self.english_text += event["delta"]
            record["text"] = event["delta"]
        elif kind == "session.input_transcript.delta":
            self.source_text += event["delta"]
            record["text"] = event["delta"]
        elif kind == "session.output_audio.delta":
            pcm = np.frombuffer(base64.b64decode(event["delta"]), "<i2")
            start = max(self._cursor, int(event.get("elapsed_ms") or 0) * SR // 1000)
            end = start + len(pcm)
            if end > len(self.translated):
                grow = np.zeros(end - len(self.translated), np.int16)
                self.translated = np.concatenate([self.translated, grow])
            self.translated[start:end] = pcm
            self._cursor = end
            record["samples"] = len(pcm)
        self.events.append(record)

    def cost(self, at: Any = None) -> CostBreakdown:
        """The session's cost: ``seconds_sent`` at the model's per-minute price."""
        from voicelab.pricing import cost

        return cost({"type": "duration", "seconds": round(self.seconds_sent, 3)}, self.model, at=at)

    def plot(self, *, title: str | None = None) -> Figure:
        """Source and translated speech on one time axis, each transcript delta at its ``elapsed_ms``."""
        import matplotlib.pyplot as plt

        from voicelab.plots import waveform

        fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 4.2), sharex=True)
        waveform(vaudio.from_pcm16(self.source), SR, ax=top, color="tab:blue")
        waveform(vaudio.from_pcm16(self.translated), SR, ax=bottom, color="tab:orange")
        for ax, kind, label in (
            (top, "session.input_transcript.delta", "source speech"),
            (bottom, "session.output_transcript.delta", "translated speech (English)"),
        ):
            ax.set_ylabel(label, fontsize=8)
            ax.set_ylim(-1, 1)
            texts: dict[int, str] = {}
            for event in self.events:
                if event["type"] == kind:
                    at = int(event.get("elapsed_ms") or 0)
                    texts[at] = texts.get(at, "") + event["text"]
            for at, text in texts.items():
                ax.axvline(at / 1000, color="grey", lw=0.6, ls=":")
                ax.text(at / 1000, 0.92, text.strip(), fontsize=8, va="top", ha="right", wrap=True)
        top.set_xlabel("")
        bottom.set_xlabel("time (s) — elapsed_ms of the session")
        fig.suptitle(title or f"{self.model}: {self.seconds_sent:.1f} s of audio sent")
        fig.tight_layout()
        return fig


async def translate(
    client: Any,
    speech: np.ndarray,
    sr: int = SR,
    *,
    model: str = recommended("realtime_translation"),
    language: str = "en",
    transcription: str | None = recommended("realtime_transcription"),
    trailing_silence_s: float = 1.0,
    pace: bool = False,
    timeout_s: float = 300.0,
) -> TranslationRun:
    """Translate a recording through a Realtime translation session.

    Parameters
    ----------
    client : openai.AsyncOpenAI
        Pointed at OpenAI or at the emulator (``voicelab.async_client()``).
    speech : ndarray
        Float or int16 mono samples at ``sr`` (resampled to 24 kHz PCM16).
    model, language : str
        The translation model and ``audio.output.language``.
    transcription : str or None
        The source-language transcription model (``audio.input.transcription``); None: no source transcript.
    trailing_silence_s : float
        Silence appended after the speech so the last phrase ends (the API asks clients to keep sending
        silence between phrases).
    pace : bool
        Send in real time (one 200 ms chunk every 200 ms), as a live microphone would.

    Raises
    ------
    RealtimeError
        The server answered an ``error`` event (its code and param in the message), or closed early.
    """
    y = np.asarray(speech)
    if y.dtype != np.int16:
        y = vaudio.to_pcm16(vaudio.resample(y.astype(np.float32), sr, SR) if sr != SR else y)
    elif sr != SR:
        y = vaudio.to_pcm16(vaudio.resample(vaudio.from_pcm16(y), sr, SR))
    pcm = np.concatenate([y, np.zeros(int(trailing_silence_s * SR), np.int16)])
    run = TranslationRun(source=pcm, seconds_sent=len(pcm) / SR, model=model)
    started = time.perf_counter()

    async def receive(conn: Any, until: str) -> None:
        while True:
            event = json.loads(await asyncio.wait_for(conn.recv_bytes(), timeout_s))
            run.add(event, (time.perf_counter() - started) * 1000)
            if event["type"] == "error":
                error = event["error"]
                where = f" (param {error.get('param')})" if error.get("param") else ""
                raise RealtimeError(f"{error.get('code')}: {error.get('message')}{where}")
            if event["type"] == until:
                return

    async with client.realtime.translations.connect(model=model) as conn:
        await receive(conn, "session.created")
        audio_config: dict[str, Any] = {"output": {"language": language}}
        if transcription:
            audio_config["input"] = {"transcription": {"model": transcription}}
        await conn.session.update(session={"audio": audio_config})
        await receive(conn, "session.updated")
        listener = asyncio.create_task(receive(conn, "session.closed"))
        for start in range(0, len(pcm), FRAME_SAMPLES):
            chunk = pcm[start : start + FRAME_SAMPLES]
            await conn.session.input_audio_buffer.append(audio=base64.b64encode(chunk.tobytes()).decode())
            if pace:
                await asyncio.sleep(len(chunk) / SR)
            if listener.done():
                break
        if not listener.done():
            await conn.session.close()
        await listener
    return run
