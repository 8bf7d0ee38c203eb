"""``gpt-4o-transcribe-diarize`` on ``/v1/audio/transcriptions``: its request rules, as the installed SDK's
docstrings state them, once.

Sources (``openai`` 3.57): ``types/audio/transcription_create_params.py`` (``response_format`` "For
`gpt-4o-transcribe-diarize`, the supported formats are `json`, `text`, and `diarized_json`";
``chunking_strategy`` "Required when using `gpt-4o-transcribe-diarize` for inputs longer than 30 seconds";
``known_speaker_names`` "Up to 4 speakers are supported"; ``known_speaker_references`` "data URLs … Each
sample must be between 2 and 10 seconds"; ``prompt``, ``include`` and ``timestamp_granularities`` "not
supported when using `gpt-4o-transcribe-diarize`"), ``types/audio/transcription_diarized*.py`` (the
``diarized_json`` body; segments of type ``transcript.text.segment``; unknown speakers ``A``, ``B``, …) and
``types/audio/transcription_text_segment_event.py`` (the streamed segment, "Only emitted when you create a
transcription with `stream` set to `true` and `response_format` set to `diarized_json`").

In Realtime sessions (``types/realtime/audio_transcription.py``: "Use `gpt-4o-transcribe-diarize` when you
need diarization with speaker labels") each committed user turn's transcription also sends one
``conversation.item.input_audio_transcription.segment`` per speaker segment
(``types/realtime/conversation_item_input_audio_transcription_segment.py``: ``id``, ``content_index``,
``start``, ``end`` in seconds, ``speaker``, ``text``, ``item_id``). No public source states where they go
among the deltas and ``completed``; the emulator sends them in :data:`REALTIME_EVENT_ORDER`.

Examples
--------
>>> try:
...     check_diarize_request("gpt-4o-transcribe", response_format="diarized_json")
... except ProtocolError as exc:
...     print(exc.code, exc.param)
unsupported_value response_format
>>> check_diarize_request("gpt-4o-transcribe-diarize", response_format="diarized_json",
...                       known_speaker_names=["agent"],
...                       known_speaker_references=["data:audio/wav;base64,AAAA"])
>>> parse_audio_data_url("data:audio/wav;base64,UklGRg==", "known_speaker_references[0]")
b'RIFF'
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from typing import Any

from .errors import ProtocolError

__all__ = [
    "CHUNKING_REQUIRED_ABOVE_S",
    "DIARIZE_FORMATS",
    "DIARIZE_MODELS",
    "DIARIZE_REFUSED",
    "MAX_KNOWN_SPEAKERS",
    "REALTIME_EVENT_ORDER",
    "REALTIME_SEGMENT_EVENT",
    "REFERENCE_SECONDS",
    "check_chunking",
    "check_diarize_request",
    "check_reference_duration",
    "is_diarize_model",
    "parse_audio_data_url",
    "segment_fields",
]

DIARIZE_MODELS = ("gpt-4o-transcribe-diarize",)
"""Models that answer with speaker labels."""
DIARIZE_FORMATS = ("json", "text", "diarized_json")
"""``response_format`` values a diarize model takes (``diarized_json`` carries the speakers)."""
DIARIZE_REFUSED = ("prompt", "include", "timestamp_granularities")
"""Options a diarize model refuses ("not supported when using `gpt-4o-transcribe-diarize`")."""
MAX_KNOWN_SPEAKERS = 4
"""``known_speaker_names``: "Up to 4 speakers are supported"."""
REFERENCE_SECONDS = (2.0, 10.0)
"""Each known speaker reference "must be between 2 and 10 seconds"."""
CHUNKING_REQUIRED_ABOVE_S = 30.0
"""Longer inputs need a ``chunking_strategy`` with a diarize model."""

REALTIME_SEGMENT_EVENT = "conversation.item.input_audio_transcription.segment"
"""The Realtime server event carrying one speaker segment of a user audio item's transcription."""
REALTIME_EVENT_ORDER = (
    "conversation.item.input_audio_transcription.delta",
    REALTIME_SEGMENT_EVENT,
    "conversation.item.input_audio_transcription.completed",
)
"""The order of a diarized item's transcription events (the emulator's choice, no public source gives it):
all deltas, then the segments in time order, then ``completed`` — so ``completed`` still ends the item's
transcription, as with every other model."""

_DATA_URL = re.compile(r"^data:(?P<mime>[^;,]*)(?P<params>(?:;[^;,]*)*?);base64,(?P<data>.*)$", re.S)


def is_diarize_model(model: str) -> bool:
    """Whether ``model`` (or a dated snapshot of it) diarizes.

    Examples
    --------
    >>> is_diarize_model("gpt-4o-transcribe-diarize"), is_diarize_model("gpt-4o-transcribe")
    (True, False)
    """
    return any(model == m or model.startswith(m + "-20") for m in DIARIZE_MODELS)


def _set(value: Any) -> bool:
    return value not in (None, "", [], ())


def check_diarize_request(
    model: str,
    *,
    response_format: str,
    options: dict[str, Any] | None = None,
    known_speaker_names: Sequence[str] | None = None,
    known_speaker_references: Sequence[str] | None = None,
) -> None:
    """Raise OpenAI's error (naming the parameter) for a request the diarize rules refuse.

    Parameters
    ----------
    model : str
        The transcription model.
    response_format : str
        The requested format.
    options : dict, optional
        ``prompt``, ``include``, ``timestamp_granularities`` as sent.
    known_speaker_names, known_speaker_references : sequence of str, optional
        The known speakers (names and data URLs, pairwise).

    Examples
    --------
    >>> try:
    ...     check_diarize_request("gpt-4o-transcribe-diarize", response_format="json",
    ...                           known_speaker_names=["a", "b"], known_speaker_references=["data:,"])
    ... except ProtocolError as exc:
    ...     print(exc.code, exc.param)
    invalid_value known_speaker_references
    """
    names = list(known_speaker_names or [])
    references = list(known_speaker_references or [])
    if not is_diarize_model(model):
        if response_format == "diarized_json":
            raise ProtocolError(
                "unsupported_value",
                f"response_format 'diarized_json' is not compatible with model '{model}'; it is supported "
                f"by: {', '.join(DIARIZE_MODELS)}.",
                "response_format",
            )
        for name, value in (("known_speaker_names", names), ("known_speaker_references", references)):
            if value:
                raise ProtocolError(
                    "unsupported_parameter",
                    f"Unsupported parameter: '{name}' is not supported with model '{model}'; it is supported "
                    f"by: {', '.join(DIARIZE_MODELS)}.",
                    name,
                )
        return
    if response_format not in DIARIZE_FORMATS:
        raise ProtocolError(
            "unsupported_value",
            f"response_format '{response_format}' is not compatible with model '{model}'; use one of "
            f"{', '.join(DIARIZE_FORMATS)} ('diarized_json' for speaker labels).",
            "response_format",
        )
    for name, value in (options or {}).items():
        if name in DIARIZE_REFUSED and _set(value):
            raise ProtocolError(
                "unsupported_parameter",
                f"Unsupported parameter: '{name}' is not supported with model '{model}'.",
                name,
            )
    if len(names) > MAX_KNOWN_SPEAKERS:
        raise ProtocolError(
            "invalid_value",
            f"Invalid 'known_speaker_names': up to {MAX_KNOWN_SPEAKERS} known speakers are supported, got "
            f"{len(names)}.",
            "known_speaker_names",
        )
    if len(names) != len(references):
        raise ProtocolError(
            "invalid_value",
            "Invalid 'known_speaker_references': expected one reference per name in known_speaker_names "
            f"({len(names)} names), got {len(references)} references.",
            "known_speaker_references",
        )
    for index, name in enumerate(names):
        if not name.strip():
            raise ProtocolError(
                "invalid_value",
                "Invalid 'known_speaker_names': a name is empty.",
                f"known_speaker_names[{index}]",
            )
    if len(set(names)) != len(names):
        raise ProtocolError(
            "invalid_value", "Invalid 'known_speaker_names': names must be unique.", "known_speaker_names"
        )


def parse_audio_data_url(url: str, param: str) -> bytes:
    """The bytes of a base64 ``data:audio/…`` URL (a known speaker reference).

    Raises
    ------
    ProtocolError
        ``invalid_value`` naming ``param`` when it is not a base64 data URL of an audio type.

    Examples
    --------
    >>> try:
    ...     parse_audio_data_url("https://example.com/a.wav", "known_speaker_references[1]")
    ... except ProtocolError as exc:
    ...     print(exc.param)
    known_speaker_references[1]
    """
    match = _DATA_URL.match(url.strip())
    expected = "expected a base64 data URL of an audio clip ('data:audio/wav;base64,…')"
    if match is None:
        raise ProtocolError("invalid_value", f"Invalid '{param}': {expected}, got {url[:40]!r}.", param)
    mime = match["mime"].lower()
    if mime and not (mime.startswith("audio/") or mime in ("video/mp4", "video/webm", "application/ogg")):
        message = f"Invalid '{param}': {expected}, got media type {mime!r}."
        raise ProtocolError("invalid_value", message, param)
    try:
        data = base64.b64decode(match["data"], validate=True)
    except (binascii.Error, ValueError):
        message = f"Invalid '{param}': the base64 data does not decode."
        raise ProtocolError("invalid_value", message, param) from None
    if not data:
        raise ProtocolError("invalid_value", f"Invalid '{param}': the audio clip is empty.", param)
    return data


def check_reference_duration(seconds: float, param: str) -> None:
    """Refuse a known speaker reference outside 2–10 s.

    Examples
    --------
    >>> try:
    ...     check_reference_duration(1.2, "known_speaker_references[0]")
    ... except ProtocolError as exc:
    ...     print(exc.message)
    Invalid 'known_speaker_references[0]': each sample must be between 2 and 10 seconds, got 1.2 s.
    """
    low, high = REFERENCE_SECONDS
    if not low <= seconds <= high:
        raise ProtocolError(
            "invalid_value",
            f"Invalid '{param}': each sample must be between {low:g} and {high:g} seconds, "
            f"got {seconds:.1f} s.",
            param,
        )


def check_chunking(model: str, duration_s: float, chunking_strategy: Any) -> None:
    """Refuse a diarize request over 30 s of audio without ``chunking_strategy``.

    Examples
    --------
    >>> check_chunking("gpt-4o-transcribe-diarize", 45.0, "auto")
    >>> try:
    ...     check_chunking("gpt-4o-transcribe-diarize", 45.0, None)
    ... except ProtocolError as exc:
    ...     print(exc.code, exc.param)
    missing_required_parameter chunking_strategy
    """
    if is_diarize_model(model) and duration_s > CHUNKING_REQUIRED_ABOVE_S and not _set(chunking_strategy):
        raise ProtocolError(
            "missing_required_parameter",
            f"chunking_strategy is required for '{model}' when the audio is longer than "
            f"{CHUNKING_REQUIRED_ABOVE_S:g} seconds (got {duration_s:.1f} s); send chunking_strategy='auto'.",
            "chunking_strategy",
        )


def segment_fields(index: int, *, speaker: str, start: float, end: float, text: str) -> dict[str, Any]:
    """The fields a speaker segment carries on both surfaces (REST ``transcript.text.segment``, Realtime
    :data:`REALTIME_SEGMENT_EVENT`): its id (``index`` within the transcription), the speaker label, start
    and end in seconds from the start of the audio, and its text.

    Examples
    --------
    >>> segment_fields(1, speaker="A", start=0.5, end=2, text="Hello.")
    {'id': 'seg_001', 'speaker': 'A', 'start': 0.5, 'end': 2.0, 'text': 'Hello.'}
    """
    return {"id": f"seg_{index:03d}", "speaker": speaker, "start": round(float(start), 3),
            "end": round(float(end), 3), "text": text}
