"""Audio formats of the OpenAI audio APIs, and their rates and sizes.

* Realtime: ``audio/pcm`` (24 kHz 16-bit mono, the only rate), ``audio/pcmu`` and ``audio/pcma`` (G.711,
  8 kHz, one byte per sample) — read from the SDK's ``RealtimeAudioFormats``.
* Speech ``response_format``: mp3, opus, aac, flac, wav, pcm (``pcm`` = raw 24 kHz s16le), each with its
  container's content type.
* Chat completions audio output ``format``: wav, aac, mp3, flac, opus, pcm16.

Examples
--------
>>> realtime_format({"type": "audio/pcma"}), format_rate({"type": "audio/pcm"})
({'type': 'audio/pcma'}, 24000)
>>> bytes_per_ms("audio/pcm"), bytes_per_ms("audio/pcmu")
(48.0, 8.0)
"""

from __future__ import annotations

from typing import Any, get_type_hints

from openai.types.audio import speech_create_params
from openai.types.audio_response_format import AudioResponseFormat
from openai.types.chat.chat_completion_audio_param import ChatCompletionAudioParam
from openai.types.realtime import realtime_audio_formats

from ._literals import literal_values

__all__ = [
    "CHAT_AUDIO_FORMATS",
    "PCM_RATE",
    "REALTIME_FORMAT_TYPES",
    "REALTIME_RATES",
    "SPEECH_CONTENT_TYPES",
    "SPEECH_FORMATS",
    "TRANSCRIPTION_RESPONSE_FORMATS",
    "bytes_per_ms",
    "format_rate",
    "pcm_format",
    "realtime_format",
]

PCM_RATE = 24_000
"""The sample rate of every PCM stream of the OpenAI audio APIs (Realtime ``audio/pcm``, speech ``pcm``, chat
``pcm16``)."""

REALTIME_FORMAT_TYPES: tuple[str, ...] = tuple(
    literal_values(model.model_fields["type"].annotation)[0]
    for model in (
        realtime_audio_formats.AudioPCM,
        realtime_audio_formats.AudioPCMU,
        realtime_audio_formats.AudioPCMA,
    )
)
"""``("audio/pcm", "audio/pcmu", "audio/pcma")``."""

REALTIME_RATES: dict[str, int] = {"audio/pcm": PCM_RATE, "audio/pcmu": 8000, "audio/pcma": 8000}
"""Sample rate of each Realtime format."""

_BYTES_PER_SAMPLE = {"audio/pcm": 2, "audio/pcmu": 1, "audio/pcma": 1}


def pcm_format() -> dict[str, Any]:
    """A new ``{"type": "audio/pcm", "rate": 24000}`` (the Realtime default, input and output).

    Examples
    --------
    >>> pcm_format()
    {'type': 'audio/pcm', 'rate': 24000}
    """
    return {"type": "audio/pcm", "rate": PCM_RATE}


def _kind(fmt: dict[str, Any] | str | None) -> str:
    kind = (fmt.get("type") if isinstance(fmt, dict) else fmt) or "audio/pcm"
    if kind not in REALTIME_RATES:
        raise KeyError(f"unknown Realtime audio format {kind!r}; expected one of {', '.join(REALTIME_RATES)}")
    return kind


def realtime_format(fmt: dict[str, Any] | str | None) -> dict[str, Any]:
    """The format as a session reports it: PCM always carries its rate, G.711 only its type.

    Examples
    --------
    >>> realtime_format(None), realtime_format("audio/pcmu")
    ({'type': 'audio/pcm', 'rate': 24000}, {'type': 'audio/pcmu'})
    """
    kind = _kind(fmt)
    return pcm_format() if kind == "audio/pcm" else {"type": kind}


def format_rate(fmt: dict[str, Any] | str | None) -> int:
    """Sample rate of a Realtime format (a format dict, its ``type``, or ``None`` for the PCM default).

    Examples
    --------
    >>> format_rate("audio/pcmu")
    8000
    """
    return REALTIME_RATES[_kind(fmt)]


def bytes_per_ms(fmt: dict[str, Any] | str | None) -> float:
    """Bytes of one millisecond of mono audio in a Realtime format (48 for PCM16 at 24 kHz, 8 for G.711).

    Examples
    --------
    >>> 4800 / bytes_per_ms({"type": "audio/pcm"})  # ms of audio in 4800 bytes
    100.0
    """
    kind = _kind(fmt)
    return REALTIME_RATES[kind] * _BYTES_PER_SAMPLE[kind] / 1000


SPEECH_FORMATS: tuple[str, ...] = literal_values(
    get_type_hints(speech_create_params.SpeechCreateParams)["response_format"]
)
"""``audio.speech`` ``response_format`` values (mp3, opus, aac, flac, wav, pcm)."""

SPEECH_CONTENT_TYPES: dict[str, str] = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
    "pcm16": "audio/pcm",
}
"""Content type of each speech / chat audio format (``pcm``/``pcm16`` are raw 24 kHz s16le)."""

CHAT_AUDIO_FORMATS: tuple[str, ...] = literal_values(get_type_hints(ChatCompletionAudioParam)["format"])
"""Chat completions audio output formats (wav, aac, mp3, flac, opus, pcm16)."""

TRANSCRIPTION_RESPONSE_FORMATS: tuple[str, ...] = literal_values(AudioResponseFormat)
"""``audio.transcriptions`` ``response_format`` values."""
