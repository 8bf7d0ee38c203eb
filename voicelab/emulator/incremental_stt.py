"""Transcription that yields text as the audio is recognised (REST ``stream=true``), turn by turn.

:func:`recognise_incrementally` walks through decoded audio the way the Realtime emulator hears a live
stream: 100 ms at a time through server VAD (Silero, 500 ms of silence ends a turn). Each turn gets a
streaming transcriber (``voicelab.engines.streaming_stt``: Whisper base without the 30 s padding) that runs
a pass every ``step_ms`` of speech and one closing pass when the VAD hears silence; the text each pass
commits is yielded at once, and the rest of a turn when the VAD ends it. So the first words of a long
recording are out after its first seconds are recognised, not after the whole file. The yielded pieces
joined are the transcript (turns joined with a space, without one for Japanese, Chinese, Thai…); earlier
turns' text conditions the next turn's decoder, as Whisper's previous-text prompt does.

Audio in which the VAD hears no speech at all (very quiet, or all noise) is decoded once as a whole, so the
result is never silently empty where Whisper would have heard something.

Examples
--------
>>> from voicelab import samples
>>> y, sr = samples.load("en_weather")
>>> pieces = list(recognise_incrementally(y, sr, language="en"))  # doctest: +SKIP
>>> "".join(pieces)  # doctest: +SKIP
'The weather is nice today. Let's go for a walk in the park.'
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["recognise_incrementally"]

_SR = 16_000
_PROMPT_CHARS = 200  # earlier text given to the next turn's decoder


def _default_factory(language: str | None, prompt: str | None, step_ms: int, **options: Any) -> Any:
    from voicelab.engines.streaming_stt import StreamingTranscriber, load_decoder

    return StreamingTranscriber(
        load_decoder(),
        sr=_SR,
        language=language,
        prompt=prompt,
        step_ms=step_ms,
        first_pass_ms=step_ms,
        **options,
    )


def recognise_incrementally(
    y: np.ndarray,
    sr: int,
    *,
    language: str | None = None,
    prompt: str | None = None,
    step_ms: int = 1500,
    silence_ms: int = 500,
    factory: Callable[..., Any] | None = None,
    keywords: Sequence[str] = (),
    languages: Sequence[str] = (),
    detected: list[str] | None = None,
    token_logprobs: list[Any] | None = None,
) -> Iterator[str]:
    """Yield the transcript of ``y`` in pieces, each as soon as it is recognised (see the module docs).

    Parameters
    ----------
    y, sr : mono float audio and its rate
    language : str, optional
        ISO 639-1 code; ``None`` detects it per turn.
    prompt : str, optional
        Text conditioning the decoder (the request's ``prompt``).
    step_ms : int
        Speech between passes within a turn (default 1.5 s: a file arrives all at once, so passes are
        spaced for throughput rather than for a live speaker's latency).
    silence_ms : int
        Silence that ends a turn.
    factory : callable, optional
        ``factory(language, prompt, step_ms, **options)`` → a streaming transcriber of 16 kHz audio (default:
        Whisper base, ``voicelab.engines.streaming_stt``); ``options`` (``keywords``, ``languages``) only
        when given.
    keywords, languages : sequence of str
        The request's ``keywords`` (Whisper hotwords of every pass) and ``languages`` (language detection
        limited to them).
    detected : list, optional
        Receives the language of each turn with words, as it ends (``gpt-transcribe`` reports them).
    token_logprobs : list, optional
        Per-token log probabilities wanted (``include[]=logprobs``): only a turn's final pass has them, so
        each turn is yielded whole when it ends, and its tokens (``voicelab.engines.stt.TokenLogprob``) are
        appended here just before.

    Raises
    ------
    voicelab.errors.ParameterError
        ``language`` is not one the engine transcribes.
    """
    from voicelab.audio import resample
    from voicelab.engines.streaming_stt import SPACELESS_LANGUAGES
    from voicelab.vad.server_vad import ServerVAD, ServerVADParams, SpeechStarted, SpeechStopped

    make = factory or _default_factory
    given = (("keywords", keywords), ("languages", languages))
    options: dict[str, Any] = {name: tuple(value) for name, value in given if value}
    if token_logprobs is not None:
        options["logprobs"] = True
    audio = resample(np.asarray(y, np.float32), sr, _SR) if sr != _SR else np.asarray(y, np.float32)
    vad = ServerVAD(ServerVADParams(silence_duration_ms=silence_ms), sr=_SR)
    said: list[str] = []
    state: dict[str, Any] = {"transcriber": None, "start": 0, "fresh": True}

    def emit(text: str) -> Iterator[str]:
        if state["fresh"]:  # the first piece of a turn: one space between turns (none in spaceless scripts)
            text = text.lstrip()
            if not text:
                return
            state["fresh"] = False
            spaceless = (state["transcriber"].language or "") in SPACELESS_LANGUAGES
            if said and not spaceless:
                text = " " + text
        if text:
            said.append(text)
            yield text

    def begin(start: int, end: int) -> None:
        earlier = "".join(said)[-_PROMPT_CHARS:]
        context = " ".join(part for part in (prompt, earlier.strip()) if part) or None
        state.update(transcriber=make(language, context, step_ms, **options), start=start, fresh=True)
        state["transcriber"].feed(audio[start:end])

    def finish(speech_end_ms: int | None) -> Iterator[str]:
        final = state["transcriber"].finalize(speech_end_ms=speech_end_ms)
        if detected is not None and final.text.strip() and final.language:
            detected.append(final.language)
        text = final.delta
        if token_logprobs is not None:
            text = final.text  # the turn's passes yielded nothing
            if text.strip():
                token_logprobs.append(list(final.tokens))
        yield from emit(text)
        state["transcriber"] = None

    chunk = _SR // 10
    heard_speech = False
    for at in range(0, audio.size, chunk):
        piece = audio[at : at + chunk]
        if state["transcriber"] is not None:
            state["transcriber"].feed(piece)
        for event in vad.feed(piece):
            if isinstance(event, SpeechStarted):
                heard_speech = True
                begin(event.audio_start_ms * _SR // 1000, at + piece.size)
            elif isinstance(event, SpeechStopped) and state["transcriber"] is not None:
                yield from finish(event.speech_end_ms - state["start"] * 1000 // _SR)
        transcriber = state["transcriber"]
        if transcriber is not None:
            silence = vad.silence_start_ms
            transcriber.pause(None if silence is None else max(silence - state["start"] * 1000 // _SR, 0))
            if transcriber.pass_due:
                delta = transcriber.step().delta
                if token_logprobs is None:
                    yield from emit(delta)
    if state["transcriber"] is not None:  # the audio ended inside a turn
        yield from finish(None)
    elif not heard_speech:
        begin(0, audio.size)
        yield from finish(None)
