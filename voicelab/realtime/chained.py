"""The chained voice agent: transcription → chat completion → speech, streaming wherever the APIs stream.

Measured the same way as speech-to-speech through :class:`~voicelab.realtime.session.RealtimeSession`:
per turn
the time from the end of the user's speech to the first audio, the total time, the tokens of every stage
and the
cost (priced with :mod:`voicelab.pricing`). Its event log uses the timeline's vocabulary, so
``voicelab.plots.timeline(agent)`` draws it next to a Realtime session's.

The stages overlap: the transcript streams (``stream=True`` for gpt-4o transcribe models), the chat completion
streams, and each sentence goes to text-to-speech as soon as it is complete, its audio streaming back as
SSE, so
the first sentence plays while the rest is still being written.

Examples
--------
>>> agent = ChainedAgent(instructions="Be brief.", voice="alloy")   # doctest: +SKIP
>>> turn = await agent.turn(voicelab.audio.read("question.wav"))     # doctest: +SKIP
>>> turn.time_to_first_audio, turn.cost.total                        # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voicelab import audio as vaudio
from voicelab.errors import ParameterError
from voicelab.protocol.formats import PCM_RATE
from voicelab.protocol.models import check_lifecycle, recommended
from voicelab.realtime.costs import ConversationCost

__all__ = ["ChainedAgent", "ChainedTurn", "split_sentences"]

RATE = PCM_RATE
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")
# "Streaming is not supported for the whisper-1 model" (the SDK's transcription params)
_BATCH_ONLY_STT = ("whisper-1",)


def split_sentences(text: str) -> tuple[list[str], str]:
    """Complete sentences at the start of ``text``, and the unfinished rest.

    Examples
    --------
    >>> split_sentences("Hi there. How are you? I am")
    (['Hi there.', 'How are you?'], 'I am')
    """
    parts = _SENTENCE_END.split(text)
    done = [p.strip() for p in parts[:-1] if p.strip()]
    return done, parts[-1]


@dataclass
class ChainedTurn:
    """One turn of the chained pipeline with its timings (seconds on the agent clock), words, audio and
    usage."""

    index: int
    start: float  # end of the user's speech
    transcript: str = ""
    reply: str = ""
    stt_done: float | None = None
    llm_first_token: float | None = None
    llm_done: float | None = None
    first_audio: float | None = None
    done: float | None = None
    audio: vaudio.Audio | None = None
    usage: dict[str, dict[str, Any]] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)

    @property
    def time_to_first_audio(self) -> float | None:
        return None if self.first_audio is None else self.first_audio - self.start

    @property
    def total_time(self) -> float | None:
        return None if self.done is None else self.done - self.start

    @property
    def tokens(self) -> dict[str, int]:
        """Total tokens per stage (characters for tts-1 models, seconds×100 never mixed in)."""
        out = {}
        for stage, usage in self.usage.items():
            total = usage.get("total_tokens")
            if total is None and "prompt_tokens" in usage:
                total = usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0)
            if total is not None:
                out[stage] = int(total)
        return out

    @property
    def cost(self) -> ConversationCost:
        return ConversationCost.from_usages(
            {stage: (u, self.models[stage]) for stage, u in self.usage.items()}
        )

    def __repr__(self) -> str:
        def sec(x: float | None) -> str:
            return "-" if x is None else f"{x:.2f} s"

        return (
            f"ChainedTurn({self.index}, first audio {sec(self.time_to_first_audio)}, "
            f"total {sec(self.total_time)}, reply={self.reply[:40]!r})"
        )


def _sum_usage(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        if isinstance(value, bool) or value is None:
            out.setdefault(key, value)
        elif isinstance(value, (int, float)):
            out[key] = (out.get(key) or 0) + value
        elif isinstance(value, dict):
            out[key] = _sum_usage(out.get(key) or {}, value)
        else:
            out[key] = value
    return out


class ChainedAgent:
    """A voice agent built from three REST calls per turn: STT → LLM → TTS.

    Parameters
    ----------
    client : openai.AsyncOpenAI, optional
        Default :func:`voicelab.backend.async_client`.
    stt_model, llm_model, tts_model : str
        ``gpt-4o-mini-transcribe`` (streams its transcript; ``whisper-1`` does not), ``gpt-4o-mini``,
        ``gpt-4o-mini-tts`` (streams SSE audio with usage; ``tts-1`` streams raw PCM, billed by character).
    voice : str
    instructions : str, optional
        The system message.
    pace : bool
        Treat each utterance as spoken live: wait its duration before the pipeline starts (so timelines
        line up
        with a Realtime session fed at real time). Otherwise the speech is placed just before the turn starts.
    """

    def __init__(
        self,
        *,
        client: Any = None,
        stt_model: str = recommended("transcription"),
        llm_model: str = recommended("text"),
        tts_model: str = recommended("speech"),
        voice: str = "alloy",
        instructions: str | None = None,
        language: str | None = None,
        pace: bool = False,
    ) -> None:
        from voicelab.realtime.config import VOICES

        if voice not in VOICES:
            raise ParameterError("voice", expected=f"one of {', '.join(VOICES)}", got=repr(voice))
        for model in (stt_model, llm_model, tts_model):
            check_lifecycle(model, stacklevel=3)  # once per model per process if its shutdown is announced
        self._client = client
        self.stt_model = stt_model
        self.llm_model = llm_model
        self.tts_model = tts_model
        self.voice = voice
        self.language = language
        self.pace = pace
        self.messages: list[dict[str, Any]] = []
        if instructions:
            self.messages.append({"role": "system", "content": instructions})
        self.turns: list[ChainedTurn] = []
        self.log: list[dict[str, Any]] = []
        self._t0: float | None = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from voicelab.backend import async_client

            self._client = async_client()
        return self._client

    def now(self) -> float:
        return 0.0 if self._t0 is None else time.monotonic() - self._t0

    def _note(self, event_type: str, **fields: Any) -> None:
        self.log.append(
            {
                "t": round(self.now(), 6),
                "dir": "local",
                "type": event_type,
                **{k: round(v, 4) if isinstance(v, float) else v for k, v in fields.items()},
            }
        )

    def __repr__(self) -> str:
        return (
            f"ChainedAgent(stt={self.stt_model!r}, llm={self.llm_model!r}, tts={self.tts_model!r}, "
            f"turns={len(self.turns)})"
        )

    # ------------------------------------------------------------------ one turn
    async def turn(self, y: Any, sr: int | None = None) -> ChainedTurn:
        """Answer one utterance; returns the measured :class:`ChainedTurn` (also appended to ``turns``)."""
        if isinstance(y, (str, bytes)) or hasattr(y, "read"):
            y = vaudio.read(y)
        if isinstance(y, vaudio.Audio):
            y, sr = y.y, y.sr
        if sr is None:
            raise ParameterError(
                "sr",
                expected="the sample rate of the utterance",
                got="None",
                fix="pass sr=..., or an Audio / file path",
            )
        samples = vaudio.to_mono(vaudio.validate(np.asarray(y, dtype=np.float32)))
        duration = len(samples) / sr
        if self._t0 is None:
            self._t0 = time.monotonic() - (0.0 if self.pace else duration)
        if self.pace:
            spoken_from = self.now()
            await asyncio.sleep(duration)
        else:
            spoken_from = self.now() - duration
        turn = ChainedTurn(
            len(self.turns),
            start=self.now(),
            models={"stt": self.stt_model, "llm": self.llm_model, "tts": self.tts_model},
        )
        self._note("voicelab.user_speech", start=spoken_from, end=turn.start)
        wav = vaudio.encode(samples, sr, "wav")
        turn.transcript, turn.usage["stt"] = await self._transcribe(wav, duration)
        turn.stt_done = self.now()
        self._note("voicelab.stage", name="stt", start=turn.start, end=turn.stt_done)
        self.messages.append({"role": "user", "content": turn.transcript})

        sentences: asyncio.Queue[str | None] = asyncio.Queue()
        speaker = asyncio.create_task(self._speak_all(sentences, turn))
        try:
            turn.reply, turn.usage["llm"] = await self._complete(sentences, turn)
        finally:
            await sentences.put(None)
        pcm, tts_usage = await speaker
        turn.usage["tts"] = tts_usage
        turn.done = self.now()
        turn.audio = vaudio.Audio(vaudio.from_pcm16(pcm), RATE) if pcm else None
        self.messages.append({"role": "assistant", "content": turn.reply})
        self._note(
            "voicelab.turn",
            index=turn.index,
            kind="chained",
            start=turn.start,
            first_audio=turn.first_audio,
            done=turn.done,
            time_to_first_audio=turn.time_to_first_audio,
            total_time=turn.total_time,
            tokens=turn.tokens,
        )
        self.turns.append(turn)
        return turn

    async def _transcribe(self, wav: bytes, duration: float) -> tuple[str, dict[str, Any]]:
        kwargs: dict[str, Any] = {"model": self.stt_model, "file": ("utterance.wav", wav, "audio/wav")}
        if self.language:
            kwargs["language"] = self.language
        if self.stt_model not in _BATCH_ONLY_STT:
            stream = await self.client.audio.transcriptions.create(stream=True, **kwargs)
            text, usage = "", None
            async for event in stream:
                if event.type == "transcript.text.delta":
                    text += event.delta
                elif event.type == "transcript.text.done":
                    text = event.text
                    usage = event.usage.to_dict() if event.usage is not None else None
            return text.strip(), usage or {"type": "duration", "seconds": duration}
        result = await self.client.audio.transcriptions.create(**kwargs)
        usage = getattr(result, "usage", None)
        return result.text.strip(), (
            usage.to_dict() if usage is not None else {"type": "duration", "seconds": round(duration, 3)}
        )

    async def _complete(
        self, sentences: asyncio.Queue[str | None], turn: ChainedTurn
    ) -> tuple[str, dict[str, Any]]:
        started = self.now()
        stream = await self.client.chat.completions.create(
            model=self.llm_model, messages=self.messages, stream=True, stream_options={"include_usage": True}
        )
        text, pending, usage = "", "", {}
        async for chunk in stream:
            if chunk.usage is not None:
                usage = chunk.usage.to_dict()
            for choice in chunk.choices:
                delta = choice.delta.content or ""
                if delta and turn.llm_first_token is None:
                    turn.llm_first_token = self.now()
                text += delta
                pending += delta
                done, pending = split_sentences(pending)
                for sentence in done:
                    await sentences.put(sentence)
        if pending.strip():
            await sentences.put(pending.strip())
        turn.llm_done = self.now()
        self._note("voicelab.stage", name="llm", start=started, end=turn.llm_done)
        return text.strip(), usage

    async def _speak_all(self, sentences: asyncio.Queue[str | None], turn: ChainedTurn) -> tuple[bytes, dict]:
        pcm = bytearray()
        usage: dict[str, Any] = {}
        play_end = 0.0
        started: float | None = None
        while (sentence := await sentences.get()) is not None:
            if started is None:
                started = self.now()
            async for chunk, chunk_usage in self._speak(sentence):
                if chunk:
                    now = self.now()
                    if turn.first_audio is None:
                        turn.first_audio = now
                        play_end = now
                    play_end = max(play_end, now) + len(chunk) / 2 / RATE
                    pcm.extend(chunk)
                if chunk_usage:
                    usage = _sum_usage(usage, chunk_usage)
        if started is not None:
            self._note("voicelab.stage", name="tts", start=started, end=self.now())
        if turn.first_audio is not None:
            self._note(
                "voicelab.response_audio",
                item_id=f"chained_{turn.index}",
                start=turn.first_audio,
                end=play_end,
            )
        return bytes(pcm), usage

    async def _speak(self, text: str) -> Any:
        """Yield (pcm16 bytes, usage or None) as the speech streams back."""
        speech = self.client.audio.speech.with_streaming_response
        if self.tts_model.startswith("tts-1"):
            async with speech.create(
                model=self.tts_model, voice=self.voice, input=text, response_format="pcm"
            ) as response:
                async for chunk in response.iter_bytes():
                    yield chunk, None
            yield b"", {"characters": len(text)}
            return
        async with speech.create(
            model=self.tts_model, voice=self.voice, input=text, response_format="pcm", stream_format="sse"
        ) as response:
            async for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                event = json.loads(line[5:].strip())
                if event.get("type") == "speech.audio.delta":
                    yield base64.b64decode(event["audio"]), None
                elif event.get("type") == "speech.audio.done":
                    yield b"", event.get("usage")

    # ------------------------------------------------------------------ views
    @property
    def cost(self) -> ConversationCost:
        """Cost of all turns so far, per stage."""
        totals: dict[str, dict[str, Any]] = {}
        for turn in self.turns:
            for stage, usage in turn.usage.items():
                totals[stage] = _sum_usage(totals.get(stage, {}), usage)
        models = {"stt": self.stt_model, "llm": self.llm_model, "tts": self.tts_model}
        return ConversationCost.from_usages({stage: (u, models[stage]) for stage, u in totals.items()})

    def transcript(self) -> list[tuple[str, str]]:
        return [(m["role"], m["content"]) for m in self.messages if m["role"] in ("user", "assistant")]

    def timeline_data(self) -> Any:
        from voicelab.realtime.timeline import TimelineData

        return TimelineData.from_records(self.log)
