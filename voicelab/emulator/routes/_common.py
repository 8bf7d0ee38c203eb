"""Helpers shared by the REST routes: model checks, ids, decoding uploads."""

from __future__ import annotations

import time
import uuid
from pathlib import PurePath

import numpy as np

from voicelab.emulator.errors import OpenAIHTTPError
from voicelab.emulator.settings import EmulatorSettings
from voicelab.protocol import models
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.models import ModelKind

__all__ = [
    "SUPPORTED_UPLOADS",
    "check_model",
    "decode_upload",
    "engine_error",
    "new_id",
    "now",
]

SUPPORTED_UPLOADS = ("flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "oga", "wav", "webm")


def now() -> int:
    return int(time.time())


def new_id(prefix: str) -> str:
    """``new_id("audio")`` → ``"audio_3f2a…"`` (OpenAI-style ids)."""
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


# Engine parameter names → the API parameter the user sent.
_API_PARAMS = {"text": "input", "y": "file", "sr": "file", "source": "file"}


def engine_error(exc: Exception) -> OpenAIHTTPError:
    """An engine's ``ParameterError`` as a 400 naming the API parameter; any other engine failure as a 500."""
    from voicelab.errors import ParameterError

    if isinstance(exc, ParameterError):
        param = _API_PARAMS.get(exc.param, exc.param)
        return OpenAIHTTPError(400, str(exc), param=param, code="invalid_value")
    return OpenAIHTTPError(500, f"The offline engine failed: {exc}", type="server_error", code="engine_error")


def check_model(model: str, kind: ModelKind, *, param: str = "model") -> str:
    """``model`` if this endpoint ``kind`` serves it (dated snapshots of known models pass), else OpenAI's 404
    ``model_not_found`` (:func:`voicelab.protocol.models.check_model`)."""
    try:
        models.check_model(model, kind, param=param)
    except ProtocolError as exc:
        raise OpenAIHTTPError.from_protocol(exc) from exc
    return model


_MAGIC = (
    (b"RIFF", "wav"),
    (b"fLaC", "flac"),
    (b"OggS", "ogg"),
    (b"ID3", "mp3"),
    (b"\x1a\x45\xdf\xa3", "webm"),
)


def _sniff(data: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[4:8] == b"ftyp":
        return "mp4"
    if len(data) > 1 and data[0] == 0xFF and (data[1] & 0xE0) == 0xE0:
        return "mp3"
    return None


def decode_upload(
    data: bytes, filename: str | None, settings: EmulatorSettings, *, param: str = "file"
) -> tuple[np.ndarray, int]:
    """Check and decode an uploaded audio file to mono float32.

    Raises the 400/413 OpenAI answers for: an empty file, a file over ``max_upload_bytes``, an extension
    outside :data:`SUPPORTED_UPLOADS`, bytes that do not decode as audio, audio shorter than 0.1 s or longer
    than ``max_audio_seconds``. Decoding stops at ``max_audio_seconds`` (a few KB of FLAC can declare hours
    of audio), so memory and time are bounded by the limit, not by what the file claims. Blocking: callers on
    the event loop run it in a thread (``starlette.concurrency.run_in_threadpool``).
    """
    from voicelab import audio
    from voicelab.errors import AudioTooLongError

    supported = ", ".join(SUPPORTED_UPLOADS)
    if len(data) > settings.max_upload_bytes:
        raise OpenAIHTTPError(
            413,
            f"Maximum content size limit ({settings.max_upload_bytes}) exceeded ({len(data)} bytes read).",
            param=param,
            code="file_too_large",
        )
    if not data:
        raise OpenAIHTTPError(400, "The audio file is empty (0 bytes).", param=param, code="empty_file")
    suffix = PurePath(filename or "").suffix.lower().lstrip(".")
    if suffix and suffix not in SUPPORTED_UPLOADS:
        raise OpenAIHTTPError(
            400,
            f"Invalid file format '{suffix}'. Supported formats: {supported}.",
            param=param,
            code="invalid_file_format",
        )
    if not suffix and _sniff(data) is None:
        raise OpenAIHTTPError(
            400,
            f"Unrecognized file format: give the file a name with an extension ({supported}).",
            param=param,
            code="invalid_file_format",
        )
    try:
        decoded = audio.read(data, mono=True, max_seconds=settings.max_audio_seconds)
    except AudioTooLongError as exc:
        raise _too_long(None, settings, param) from exc  # decoding stopped at the cap: length unknown
    except Exception as exc:  # any decoder failure means "not audio" to the caller
        raise OpenAIHTTPError(
            400,
            f"Audio file might be corrupted or unsupported: could not decode it as "
            f"{suffix or 'audio'} ({type(exc).__name__}). Supported formats: {supported}.",
            param=param,
            code="invalid_file_format",
        ) from exc
    y, sr = decoded.y, decoded.sr
    y = audio.to_mono(np.asarray(y, dtype=np.float32))
    seconds = y.shape[0] / sr
    if seconds < 0.1:
        raise OpenAIHTTPError(
            400,
            f"Audio file is too short. Minimum audio length is 0.1 seconds; got {seconds:.3f} s.",
            param=param,
            code="audio_too_short",
        )
    if seconds > settings.max_audio_seconds:
        raise _too_long(seconds, settings, param)
    return y, int(sr)


def _too_long(seconds: float | None, settings: EmulatorSettings, param: str) -> OpenAIHTTPError:
    """400 ``audio_too_long``; ``seconds`` is the audio's length when it was decoded whole."""
    heard = "The audio" if seconds is None else f"The audio ({seconds:.0f} seconds)"
    return OpenAIHTTPError(
        400,
        f"{heard} is longer than {settings.max_audio_seconds:.0f} seconds, the maximum for this emulator.",
        param=param,
        code="audio_too_long",
    )
