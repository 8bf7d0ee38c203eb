"""``stream=true`` transcription events produced while the audio is recognised, not after.

:func:`incremental_events` runs :func:`voicelab.emulator.incremental_stt.recognise_incrementally` one piece
at a time on the STT executor (``voicelab.emulator.realtime.live_stt``) and sends each piece as
``transcript.text.delta`` events (word by word) as soon as it is recognised; ``transcript.text.done``
carries the joined text (exactly the deltas' concatenation) and usage.

Examples
--------
>>> import asyncio
>>> fake = lambda y, sr, *, language, prompt: iter(["Hello", " there."])
>>> async def collect():
...     return [e async for e in incremental_events(None, 16000, language="en", prompt=None,
...                                                  usage=lambda text: {"type": "tokens"}, recognise=fake)]
>>> asyncio.run(collect())  # doctest: +NORMALIZE_WHITESPACE
[{'type': 'transcript.text.delta', 'delta': 'Hello'}, {'type': 'transcript.text.delta', 'delta': ' there.'},
 {'type': 'transcript.text.done', 'text': 'Hello there.', 'usage': {'type': 'tokens'}}]
>>> fake = lambda y, sr, *, language, prompt: iter(["Turn left", " at the corner. "])
>>> [e.get("delta") for e in asyncio.run(collect())]
['Turn', ' left', ' at', ' the', ' corner. ', None]
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from voicelab.emulator.incremental_stt import recognise_incrementally
from voicelab.emulator.realtime.live_stt import stt_executor
from voicelab.engines.stt import logprob_dicts, token_pieces

__all__ = ["incremental_events"]

_END = object()


async def incremental_events(
    y: Any,
    sr: int,
    *,
    language: str | None,
    prompt: str | None,
    usage: Callable[[str], dict[str, Any]],
    recognise: Callable[..., Iterator[str]] | None = None,
    keywords: Sequence[str] = (),
    languages: Sequence[str] = (),
    report_languages: bool = False,
    logprobs: bool = False,
) -> AsyncIterator[dict[str, Any]]:
    """``transcript.text.delta`` per recognised piece, then ``transcript.text.done`` with ``usage(text)``
    (``recognise`` defaults to :func:`~voicelab.emulator.incremental_stt.recognise_incrementally`);
    ``keywords`` and ``languages`` go to the recogniser; ``report_languages`` adds the detected languages
    to ``done`` (``gpt-transcribe``); ``logprobs``: each turn's deltas (one per token) come when the turn
    ends, each with its tokens' ``logprobs``, and ``done`` has all of them."""
    detected: list[str] = []
    options: dict[str, Any] = {"keywords": keywords, "languages": languages} if keywords or languages else {}
    if report_languages:
        options["detected"] = detected
    turn_tokens: list[Any] = []
    if logprobs:
        options["token_logprobs"] = turn_tokens
    pieces = (recognise or recognise_incrementally)(y, sr, language=language, prompt=prompt, **options)
    said: list[str] = []
    every_token: list[Any] = []
    loop = asyncio.get_running_loop()
    # on the STT executor: Whisper runs only on threads that live as long as the process (see live_stt)
    while isinstance(piece := await loop.run_in_executor(stt_executor(), next, pieces, _END), str):
        said.append(piece)
        if logprobs:
            tokens = turn_tokens.pop(0) if turn_tokens else []
            every_token += tokens
            for text, group in _token_deltas(piece, tokens):
                yield {"type": "transcript.text.delta", "delta": text, "logprobs": logprob_dicts(group)}
            continue
        for word in re.findall(r"\s*\S+\s*$|\s*\S+", piece) or [piece]:  # word-sized, as OpenAI's tokens
            yield {"type": "transcript.text.delta", "delta": word}
    text = "".join(said)
    done: dict[str, Any] = {"type": "transcript.text.done", "text": text, "usage": usage(text)}
    if logprobs:
        done["logprobs"] = logprob_dicts(every_token)
    if report_languages:
        done["languages"] = [{"code": code} for code in dict.fromkeys(detected)] if text.strip() else []
    yield done


def _token_deltas(piece: str, tokens: list[Any]) -> list[tuple[str, list[Any]]]:
    """A turn's text as token-sized deltas with their tokens (whole characters); the text at once with all
    its tokens when they do not spell it.

    Examples
    --------
    >>> from voicelab.engines.stt import TokenLogprob
    >>> tokens = [TokenLogprob(" Hi", (32, 72, 105), -0.1), TokenLogprob(".", (46,), -0.2)]
    >>> [[text for text, _ in _token_deltas(piece, tokens)] for piece in ("Hi.", " Hi.")]
    [['Hi', '.'], [' Hi', '.']]
    >>> [(text, len(group)) for text, group in _token_deltas("Hello.", tokens)]
    [('Hello.', 2)]
    """
    groups = token_pieces(tokens)
    if groups and not piece[:1].isspace():
        groups[0] = (groups[0][0].lstrip(), groups[0][1])
    if not groups or "".join(text for text, _ in groups) != piece:
        return [(piece, list(tokens))]
    return groups
