"""Audio arrays and bytes: conversions, resampling, chunking, decoding, encoding, loudness.

Conventions (as librosa): data first, keyword-only options after ``*``; ``y`` is samples
(float32 in [-1, 1], shape ``(n,)`` mono or ``(n, channels)``), ``sr`` is the sample rate in Hz.
Audio never travels without its rate: functions that return decoded audio return an :class:`Audio`.

The real work is done by libraries: libsoxr (``soxr``) resamples, libsndfile (``soundfile``) and
FFmpeg (``av``) decode and encode, ``pyloudnorm`` measures ITU-R BS.1770 loudness. This module
validates input, picks codecs and containers, and turns library failures into
:class:`~voicelab.errors.ParameterError` messages that say what was expected, what came, and the fix.
"""

from __future__ import annotations

import base64
import html
import io
import struct
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO, Literal, cast

import av
import numpy as np
import soundfile
import soxr

from voicelab.errors import AudioTooLongError, ParameterError

__all__ = [
    "ENCODE_FORMATS",
    "PCM_RATE",
    "READ_FORMATS",
    "Audio",
    "EncodeFormat",
    "ResampleStream",
    "chunks",
    "duration",
    "encode",
    "from_base64",
    "from_pcm16",
    "limit",
    "loudness",
    "normalize_loudness",
    "normalize_peak",
    "read",
    "resample",
    "to_base64",
    "to_mono",
    "to_pcm16",
    "true_peak_db",
    "validate",
    "wav_stream_header",
]

#: Container formats :func:`read` is tested with (the set OpenAI's transcription endpoint accepts).
READ_FORMATS: tuple[str, ...] = ("flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm")

EncodeFormat = Literal["mp3", "opus", "aac", "flac", "wav", "pcm"]
#: Formats :func:`encode` writes (OpenAI's speech ``response_format`` values).
ENCODE_FORMATS: tuple[str, ...] = ("mp3", "opus", "aac", "flac", "wav", "pcm")

#: Rate of raw ``pcm`` output and of the Realtime API's ``audio/pcm`` (24 kHz, mono, s16le).
PCM_RATE = 24000

# FFmpeg encoder, muxer, rates the codec supports, bit rate per channel.
_FFMPEG_CODECS: dict[str, tuple[str, str, tuple[int, ...], int]] = {
    "mp3": ("libmp3lame", "mp3", (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000), 64_000),
    "opus": ("libopus", "ogg", (8000, 12000, 16000, 24000, 48000), 32_000),
    "aac": ("aac", "adts", (7350, 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000,
                            88200, 96000), 64_000),
}
# libsndfile container and subtype (16-bit, as OpenAI's wav and flac output).
_SNDFILE_FORMATS: dict[str, tuple[str, str]] = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16")}


# --------------------------------------------------------------------------- validation


def validate(y: np.ndarray, *, param: str = "y") -> np.ndarray:
    """Check that ``y`` is a finite, non-empty float array of shape (n,) or (n, channels).

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (n, channels)
        Floating-point samples, nominally in [-1, 1].
    param : str
        Parameter name used in the error message.

    Returns
    -------
    np.ndarray
        ``y`` as float32 (no copy when it already is).

    Raises
    ------
    ParameterError
        Not an array, not floating point, not 1-D/2-D, empty, or holding NaN/inf.

    Examples
    --------
    >>> validate(np.zeros(4)).dtype
    dtype('float32')
    >>> validate(np.zeros((2, 2, 2)))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    voicelab.errors.ParameterError: y: expected shape (n,) or (n, channels); got shape (2, 2, 2) — ...
    """
    if not isinstance(y, np.ndarray):
        raise ParameterError(param, expected="a numpy array", got=type(y).__name__,
                             fix="pass np.asarray(samples, dtype=np.float32)")
    if y.dtype.kind != "f":
        raise ParameterError(param, expected="floating-point samples in [-1, 1]", got=f"dtype {y.dtype}",
                             fix="convert PCM16 with voicelab.audio.from_pcm16")
    if y.ndim not in (1, 2):
        raise ParameterError(param, expected="shape (n,) or (n, channels)", got=f"shape {y.shape}",
                             fix="pass one signal at a time")
    if y.size == 0:
        raise ParameterError(param, expected="at least one sample", got=f"an empty array of shape {y.shape}",
                             fix="check where the audio came from; nothing was recorded or decoded")
    if not np.isfinite(y).all():
        raise ParameterError(param, expected="finite samples", got="NaN or inf values",
                             fix="clean the signal with np.nan_to_num")
    return y.astype(np.float32, copy=False)


def _check_sr(sr: object, *, param: str = "sr") -> int:
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise ParameterError(param, expected="a positive integer sample rate in Hz", got=repr(sr),
                             fix=f"pass {param}=24000 (or the rate the audio was recorded at)")
    return int(sr)


_QUALITIES = ("QQ", "LQ", "MQ", "HQ", "VHQ")


def _check_quality(quality: object) -> str:
    if quality not in _QUALITIES:
        raise ParameterError("quality", expected=f"a soxr quality, one of {', '.join(_QUALITIES)}",
                             got=repr(quality), fix='leave the default quality="HQ"')
    return str(quality)


def _check_channels(channels: object) -> int:
    if isinstance(channels, bool) or not isinstance(channels, (int, np.integer)) or channels < 1:
        raise ParameterError("channels", expected="a positive integer", got=repr(channels),
                             fix="pass channels=1")
    return int(channels)


def _check_positive(value: object, *, param: str, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value <= 0:
        raise ParameterError(param, expected=f"a positive number of {unit}", got=repr(value),
                             fix=f"pass e.g. {param}=20")
    return float(value)


# --------------------------------------------------------------------------- conversions


def to_pcm16(y: np.ndarray) -> np.ndarray:
    """Float samples → int16, clipping (never wrapping) values outside [-1, 1].

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (n, channels)
        Float samples.

    Returns
    -------
    np.ndarray of int16, same shape
        ``round(clip(y, -1, 1) * 32767)``.

    Examples
    --------
    >>> to_pcm16(np.array([0.0, 0.5, 1.0, 2.0, -3.0], dtype=np.float32))
    array([     0,  16384,  32767,  32767, -32767], dtype=int16)
    """
    y = validate(y)
    return np.round(np.clip(y, -1.0, 1.0) * 32767.0).astype(np.int16)


def from_pcm16(data: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    """PCM16 little-endian bytes (or an int16 array) → float32 samples in [-1, 1].

    The inverse of :func:`to_pcm16`: ``to_pcm16(from_pcm16(x)) == x`` for every int16 ``x``
    except -32768 (which maps just below -1 and clips to -32767).

    Parameters
    ----------
    data : bytes-like or np.ndarray of int16
        Interleaved little-endian 16-bit samples.

    Returns
    -------
    np.ndarray of float32
        Same shape as an int16 array input; shape (n,) for bytes.

    Examples
    --------
    >>> from_pcm16(b"\\x00\\x00\\xff\\x7f")
    array([0., 1.], dtype=float32)
    """
    if isinstance(data, np.ndarray):
        if data.dtype.kind != "i" or data.dtype.itemsize != 2:  # int16 of either byte order
            raise ParameterError("data", expected="int16 samples", got=f"dtype {data.dtype}",
                                 fix="pass float audio straight to the function that needs it, "
                                     "or data.astype(np.int16) if it holds 16-bit integers")
        pcm = data
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        if len(raw) % 2:
            raise ParameterError("data", expected="an even number of bytes (16-bit samples)",
                                 got=f"{len(raw)} bytes", fix="do not split a chunk inside a sample")
        pcm = np.frombuffer(raw, dtype="<i2")
    else:
        raise ParameterError("data", expected="PCM16 bytes or an int16 array", got=type(data).__name__)
    return pcm.astype(np.float32) / np.float32(32767.0)


def to_base64(pcm: np.ndarray | bytes | bytearray | memoryview) -> str:
    """int16 samples (or raw PCM16 bytes) → base64 text, as the Realtime API expects.

    Examples
    --------
    >>> to_base64(np.array([0, 1, -1], dtype=np.int16))
    'AAABAP//'
    """
    if isinstance(pcm, np.ndarray):
        if pcm.dtype.kind != "i" or pcm.dtype.itemsize != 2:  # int16 of either byte order
            raise ParameterError("pcm", expected="int16 samples", got=f"dtype {pcm.dtype}",
                                 fix="convert float audio first: to_base64(to_pcm16(y))")
        raw = pcm.astype("<i2", copy=False).tobytes()
    elif isinstance(pcm, (bytes, bytearray, memoryview)):
        raw = bytes(pcm)
    else:
        raise ParameterError("pcm", expected="an int16 array or PCM16 bytes", got=type(pcm).__name__)
    return base64.b64encode(raw).decode("ascii")


def from_base64(text: str) -> np.ndarray:
    """base64 text of PCM16 → int16 samples.

    Examples
    --------
    >>> from_base64("AAABAP//")
    array([ 0,  1, -1], dtype=int16)
    """
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError) as exc:
        raise ParameterError("audio", expected="base64-encoded PCM16", got="text that is not valid base64",
                             fix="send base64.b64encode(pcm16_bytes).decode()") from exc
    if len(raw) % 2:
        raise ParameterError("audio", expected="an even number of bytes (16-bit samples)",
                             got=f"{len(raw)} bytes", fix="do not split a chunk inside a sample")
    return np.frombuffer(raw, dtype="<i2")


def to_mono(y: np.ndarray) -> np.ndarray:
    """Down-mix (n, channels) to (n,) by averaging channels; mono passes through.

    Examples
    --------
    >>> to_mono(np.array([[1.0, 0.0], [0.5, 0.5]], dtype=np.float32))
    array([0.5, 0.5], dtype=float32)
    """
    y = validate(y)
    if y.ndim == 1:
        return y
    # a matrix-vector product with equal weights: ~50× faster than y.mean(axis=1) on (n, 2)
    return y @ np.full(y.shape[1], 1.0 / y.shape[1], dtype=np.float32)


def duration(y: np.ndarray, sr: int) -> float:
    """Length of ``y`` in seconds.

    Examples
    --------
    >>> duration(np.zeros(36000, dtype=np.float32), 24000)
    1.5
    """
    y = validate(y)
    return y.shape[0] / _check_sr(sr)


def chunks(y: np.ndarray, sr: int, *, ms: float = 20) -> Iterator[np.ndarray]:
    """Split ``y`` into consecutive chunks of ``ms`` milliseconds (views, no copies).

    Chunk boundaries are at ``round(k * sr * ms / 1000)`` samples, so rates where ``ms`` is not a
    whole number of samples do not drift. The last chunk may be shorter.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (n, channels)
    sr : int
    ms : float, keyword-only
        Chunk length in milliseconds (> 0).

    Yields
    ------
    np.ndarray
        Views into ``y``; concatenated they give ``y`` back.

    Examples
    --------
    >>> [len(c) for c in chunks(np.zeros(1000, dtype=np.float32), 24000, ms=20)]
    [480, 480, 40]
    """
    y = validate(y)
    sr = _check_sr(sr)
    ms = _check_positive(ms, param="ms", unit="milliseconds")
    step = sr * ms / 1000.0
    if step < 1:
        shortest = f"{1000 / sr:.3f} ms at {sr} Hz"
        raise ParameterError("ms", expected=f"at least one sample per chunk (≥ {shortest})",
                             got=f"{ms} ms", fix="pass a longer ms")
    k, start, n = 1, 0, y.shape[0]
    while start < n:
        stop = min(round(k * step), n)
        yield y[start:stop]
        start, k = stop, k + 1


# --------------------------------------------------------------------------- resampling


def resample(y: np.ndarray, sr: int, target_sr: int, *, quality: str = "HQ") -> np.ndarray:
    """Resample with libsoxr. Shape (n,) or (n, channels) is kept.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (n, channels)
    sr, target_sr : int
        Source and target rates in Hz.
    quality : str, keyword-only
        soxr quality: ``"QQ"``, ``"LQ"``, ``"MQ"``, ``"HQ"`` (default) or ``"VHQ"``.

    Returns
    -------
    np.ndarray of float32, shape (round(n * target_sr / sr),) or (…, channels)

    Examples
    --------
    >>> resample(np.zeros(48000, dtype=np.float32), 48000, 24000).shape
    (24000,)
    """
    y = validate(y)
    sr = _check_sr(sr)
    target_sr = _check_sr(target_sr, param="target_sr")
    quality = _check_quality(quality)
    if sr == target_sr:
        return y
    return soxr.resample(y, sr, target_sr, quality=quality).astype(np.float32, copy=False)


class ResampleStream:
    """Streaming resampler: feed chunks, get resampled chunks; ``flush()`` at the end.

    The concatenated output equals :func:`resample` on the whole signal (same libsoxr filter).

    Parameters
    ----------
    sr, target_sr : int
        Source and target rates in Hz.
    channels : int, keyword-only
        1 for chunks of shape (n,), otherwise chunks of shape (n, channels).
    quality : str, keyword-only
        As in :func:`resample`.

    Examples
    --------
    >>> stream = ResampleStream(48000, 24000)
    >>> parts = [stream.process(c) for c in np.split(np.zeros(4800, dtype=np.float32), 4)]
    >>> sum(len(p) for p in parts) + len(stream.flush())
    2400
    """

    def __init__(self, sr: int, target_sr: int, *, channels: int = 1, quality: str = "HQ") -> None:
        self.sr = _check_sr(sr)
        self.target_sr = _check_sr(target_sr, param="target_sr")
        self.channels = _check_channels(channels)
        self._stream = soxr.ResampleStream(self.sr, self.target_sr, self.channels, dtype="float32",
                                           quality=_check_quality(quality))

    def process(self, chunk: np.ndarray) -> np.ndarray:
        """Resample one chunk; returns what is ready (may be empty at first)."""
        chunk = validate(chunk, param="chunk")
        got = 1 if chunk.ndim == 1 else chunk.shape[1]
        if got != self.channels or (self.channels > 1 and chunk.ndim == 1):
            raise ParameterError("chunk", expected=f"{self.channels} channel(s)", got=f"shape {chunk.shape}",
                                 fix="create ResampleStream(..., channels=n) to match the chunks")
        return self._stream.resample_chunk(chunk, last=False)

    def flush(self) -> np.ndarray:
        """Return the samples still held in the filter; call once after the last chunk."""
        shape = (0,) if self.channels == 1 else (0, self.channels)
        return self._stream.resample_chunk(np.zeros(shape, dtype=np.float32), last=True)


# --------------------------------------------------------------------------- loudness


def loudness(y: np.ndarray, sr: int) -> float:
    """Integrated loudness in LUFS (ITU-R BS.1770-4, via pyloudnorm).

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (n, channels ≤ 5)
        At least 0.4 s of audio (one gating block).
    sr : int

    Returns
    -------
    float
        LUFS; ``-inf`` for digital silence.

    Examples
    --------
    >>> t = np.arange(48000) / 48000
    >>> round(loudness((0.1 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), 48000), 1)
    -23.0
    """
    y = validate(y)
    sr = _check_sr(sr)
    meter = _pyloudnorm().Meter(sr)
    if y.shape[0] < meter.block_size * sr:
        raise ParameterError("y", expected=f"at least {meter.block_size:.1f} s of audio to measure loudness",
                             got=f"{y.shape[0] / sr:.3f} s", fix="measure a longer excerpt")
    with np.errstate(divide="ignore"):  # silence: log10(0) is the documented -inf
        return float(meter.integrated_loudness(y.astype(np.float64)))


def normalize_loudness(y: np.ndarray, sr: int, *, target_lufs: float = -23.0,
                       true_peak_db: float | None = None) -> np.ndarray:
    """Scale ``y`` so its integrated loudness is ``target_lufs`` (EBU R128 default: -23 LUFS).

    A loud target can push peaks past full scale: speech at -16 LUFS often peaks above 0 dBFS, and
    those samples clip when written as PCM16 or MP3. With ``true_peak_db`` the result is also run
    through :func:`limit`, which turns down only the few loudest moments so the true peak stays at or
    under that ceiling, then the loudness is re-measured and made up, so both hold.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (n, channels)
    sr : int
    target_lufs : float
        Integrated loudness to reach (EBU R128: -23; podcasts: about -16).
    true_peak_db : float, optional
        Ceiling in dBTP for the result (EBU R128 allows -1). ``None`` (default) leaves peaks as they fall.

    Returns
    -------
    np.ndarray
        float32, the shape of ``y``; within 0.1 LU of the target.

    Raises
    ------
    ParameterError
        For silence, and when no gain reaches ``target_lufs`` under ``true_peak_db``.

    Examples
    --------
    >>> t = np.arange(48000) / 48000
    >>> y = (0.01 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    >>> round(loudness(normalize_loudness(y, 48000, target_lufs=-20.0), 48000), 1)
    -20.0
    >>> from voicelab import samples
    >>> speech = samples.load("en_weather")
    >>> round(true_peak_db(normalize_loudness(speech.y, speech.sr, target_lufs=-16.0), speech.sr), 1)  # clips
    3.3
    >>> safe = normalize_loudness(speech.y, speech.sr, target_lufs=-16.0, true_peak_db=-1.0)
    >>> round(loudness(safe, speech.sr), 1), bool(true_peak_db(safe, speech.sr) <= -1.0)
    (-16.0, True)
    """
    measured = loudness(y, sr)
    if not np.isfinite(measured):
        raise ParameterError("y", expected="audio with a measurable loudness", got="silence (-inf LUFS)",
                             fix="check the recording; silence cannot be normalised")
    target = float(target_lufs)
    y = validate(y)
    gain_db = target - measured
    out = y * np.float32(10.0 ** (gain_db / 20.0))
    if true_peak_db is None:
        return out.astype(np.float32, copy=False)
    ceiling = _check_ceiling(true_peak_db, param="true_peak_db")

    def limited(gain_db: float) -> tuple[np.ndarray, float]:
        result = limit(y * np.float32(10.0 ** (gain_db / 20.0)), sr, ceiling_db=ceiling)
        return result, loudness(result, sr) - target

    # Limiting lowers the loudness; find the gain before the limiter that lands on the target (secant
    # steps: the loudness after the limiter grows monotonically, and more slowly than the gain).
    out, error = limited(gain_db)
    previous = (gain_db, error)
    gain_db -= error
    for _ in range(12):
        if abs(error) <= 0.05:
            break
        out, error = limited(gain_db)
        slope = (error - previous[1]) / (gain_db - previous[0]) if gain_db != previous[0] else 1.0
        previous = (gain_db, error)
        gain_db -= float(np.clip(error / max(slope, 0.05), -6.0, 6.0))  # steps of at most 6 dB
    if abs(error) > 0.5:
        raise ParameterError("target_lufs", expected=f"a loudness this audio reaches under {ceiling} dBTP",
                             got=f"{target} LUFS (best {target + error:.1f} LUFS)",
                             fix="choose a lower target_lufs or a higher true_peak_db")
    return out


def true_peak_db(y: np.ndarray, sr: int) -> float:
    """The true peak in dBTP: the largest absolute value of ``y`` upsampled 4× (ITU-R BS.1770-4, annex 2).

    Between two samples a signal can swing higher than either; a decoder or a DAC reconstructs those
    peaks, so a file whose samples stay under 1.0 can still clip when played. ``-inf`` for silence.

    Examples
    --------
    >>> t = np.arange(48000) / 48000
    >>> y = np.sin(2 * np.pi * 12000 * t + np.pi / 4).astype(np.float32)   # samples hit ±0.707 only
    >>> round(float(20 * np.log10(np.abs(y).max())), 1), round(true_peak_db(y, 48000))
    (-3.0, 0)
    """
    envelope = _true_peak_envelope(validate(y), _check_sr(sr))
    peak = float(envelope.max()) if envelope.size else 0.0
    with np.errstate(divide="ignore"):
        return float(20.0 * np.log10(peak))


def limit(y: np.ndarray, sr: int, *, ceiling_db: float = -1.0, lookahead_ms: float = 5.0,
          release_ms: float = 60.0) -> np.ndarray:
    """A look-ahead peak limiter: the true peak of the result is at most ``ceiling_db`` dBTP.

    Where the signal would go over the ceiling, the gain is lowered just enough, starting
    ``lookahead_ms`` before the peak and recovering ``release_ms`` after it; everywhere else the
    signal is untouched. Unlike clipping, this does not square off the waveform (no buzz), and unlike
    :func:`normalize_peak`, it does not turn the whole recording down for one loud syllable.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (n, channels)
    sr : int
    ceiling_db : float
        Highest true peak allowed, in dBTP (≤ 0). EBU R128 delivers at -1.
    lookahead_ms, release_ms : float
        How early the gain goes down before a peak, and how long it is held after (ms, > 0).

    Returns
    -------
    np.ndarray
        float32, the shape of ``y``.

    Examples
    --------
    >>> t = np.arange(24000) / 24000
    >>> y = (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    >>> y[12000:12240] *= 4                                         # one 10 ms burst peaking at 1.2
    >>> out = limit(y, 24000, ceiling_db=-1.0)
    >>> bool(true_peak_db(out, 24000) <= -1.0), bool(np.array_equal(out[:6000], y[:6000]))
    (True, True)
    """
    y = validate(y)
    sr = _check_sr(sr)
    ceiling_db = _check_ceiling(ceiling_db)
    lookahead = max(1, round(_check_positive(lookahead_ms, param="lookahead_ms", unit="ms") * sr / 1000))
    release = max(1, round(_check_positive(release_ms, param="release_ms", unit="ms") * sr / 1000))
    from scipy.ndimage import minimum_filter1d, uniform_filter1d  # scipy comes with pyloudnorm

    out = y
    ceiling = 10.0 ** (ceiling_db / 20.0)
    for _ in range(4):  # a changing gain shifts inter-sample peaks slightly: re-check, aim a little lower
        envelope = _true_peak_envelope(out, sr)
        if envelope.max(initial=0.0) <= ceiling * (1 + 1e-6):
            break
        needed = np.minimum(1.0, ceiling / np.maximum(envelope, 1e-12))
        # Hold the lowest gain from `lookahead` before a peak to `release` after it, then ramp over
        # `lookahead`. (scipy's window for size s and origin o starts at n - s//2 - o: the minimum is
        # over [n - release, n + lookahead - 1], the average over [n - lookahead + 1, n].)
        held = minimum_filter1d(needed, size=lookahead + release, origin=release - (lookahead + release) // 2,
                                mode="nearest")
        gain = uniform_filter1d(held, size=lookahead, origin=lookahead - 1 - lookahead // 2, mode="nearest")
        gain = np.minimum(gain, held)
        out = (out * (gain if out.ndim == 1 else gain[:, None])).astype(np.float32)
        ceiling *= 0.999
    return out.astype(np.float32, copy=False)


def _true_peak_envelope(y: np.ndarray, sr: int) -> np.ndarray:
    """Per sample, the largest absolute value of the 4× upsampled signal around it (all channels)."""
    mono_abs = np.abs(y) if y.ndim == 1 else np.abs(y).max(axis=1)
    if y.shape[0] < 2:
        return mono_abs.astype(np.float64)
    upsampled = np.abs(soxr.resample(y.astype(np.float64), sr, 4 * sr, quality="VHQ"))
    if upsampled.ndim == 2:
        upsampled = upsampled.max(axis=1)
    n = min(y.shape[0], upsampled.shape[0] // 4)
    envelope = mono_abs.astype(np.float64)
    envelope[:n] = np.maximum(envelope[:n], upsampled[: 4 * n].reshape(n, 4).max(axis=1))
    return envelope


def _check_ceiling(value: object, *, param: str = "ceiling_db") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or not -60.0 <= float(value) <= 0.0:
        raise ParameterError(param, expected="a ceiling in dBTP between -60 and 0", got=repr(value),
                             fix=f"pass {param}=-1.0 (EBU R128)")
    return float(value)


def _pyloudnorm():
    """pyloudnorm, imported on first use: it pulls in scipy, which costs ~0.6 s at import."""
    import pyloudnorm

    return pyloudnorm


def normalize_peak(y: np.ndarray, *, peak_db: float = -1.0) -> np.ndarray:
    """Scale ``y`` so its largest absolute sample is ``peak_db`` dBFS.

    Examples
    --------
    >>> normalize_peak(np.array([0.25, -0.5], dtype=np.float32), peak_db=0.0)
    array([ 0.5, -1. ], dtype=float32)
    """
    y = validate(y)
    if not np.any(y):
        raise ParameterError("y", expected="audio that is not all zeros", got="digital silence",
                             fix="check the recording; silence has no peak to normalise")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Possible clipped samples", category=UserWarning)
        out = _pyloudnorm().normalize.peak(y, float(peak_db))
    return out.astype(np.float32, copy=False)


# --------------------------------------------------------------------------- reading


def _describe(source: object) -> str:
    if isinstance(source, (str, Path)):
        return f"file {str(source)!r}"
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"{len(source)} bytes"
    return type(source).__name__


_DECODE_BLOCK = 65536  # frames decoded at a time when reading


def _gather(pieces: Iterable[np.ndarray], sr: int, *, mono: bool, max_seconds: float | None) -> np.ndarray:
    """Join decoded blocks of shape (n, channels), down-mixing each as it comes when ``mono``; stop with
    :class:`~voicelab.errors.AudioTooLongError` as soon as they pass ``max_seconds``, before the rest of the
    file is decoded (a small file of silence can declare hours)."""
    limit = None if max_seconds is None else int(np.ceil(max_seconds * sr))
    kept: list[np.ndarray] = []
    total = 0
    for piece in pieces:
        if mono and piece.shape[1] > 1:
            piece = to_mono(piece).reshape(-1, 1)
        kept.append(piece)
        total += piece.shape[0]
        if limit is not None and total > limit:
            raise AudioTooLongError(max_seconds or 0.0)
    return np.concatenate(kept) if kept else np.zeros((0, 1), dtype=np.float32)


def _read_blocks(sound: soundfile.SoundFile, dtype: str) -> Iterator[np.ndarray]:
    """Blocks of (n, channels) samples until libsndfile returns none (a declared length is not trusted)."""
    while (block := sound.read(_DECODE_BLOCK, dtype=dtype, always_2d=True)).shape[0]:
        yield block


def _decode_with_ffmpeg(data: BinaryIO, *, mono: bool = False,
                        max_seconds: float | None = None) -> tuple[np.ndarray, int]:
    """Decode the first audio stream with PyAV into float32 (n, channels), at most ``max_seconds``."""
    with av.open(data, mode="r") as container:
        if not container.streams.audio:
            raise ParameterError("source", expected="a file with an audio stream", got="no audio stream",
                                 fix="pass the audio file, not a video-only or text file")
        stream = container.streams.audio[0]
        if stream.codec_context is None or not (stream.codec_context.sample_rate or stream.rate):
            raise ParameterError("source", expected="an audio stream FFmpeg can decode",
                                 got="a stream with no decoder or no sample rate",
                                 fix="check the file is complete; convert it with ffmpeg if needed")
        sr = stream.codec_context.sample_rate or stream.rate
        channels = stream.codec_context.channels
        # Packed float32 at the stream's own rate and channel count: FFmpeg converts, nothing is resampled.
        converter = av.AudioResampler(format="flt", layout=stream.codec_context.layout, rate=sr)

        def pieces() -> Iterator[np.ndarray]:
            for frame in container.decode(stream):
                for piece in converter.resample(frame):
                    yield piece.to_ndarray().reshape(-1, channels)
            for piece in converter.resample(None):
                yield piece.to_ndarray().reshape(-1, channels)

        y = _gather(pieces(), sr, mono=mono, max_seconds=max_seconds)
        # MP4's edit list is authoritative about the length; FFmpeg trims the encoder delay but
        # not the padding of the last frame, so cut to the declared duration.
        if "mp4" in container.format.name and stream.duration and stream.time_base:
            y = y[: round(stream.duration * stream.time_base * sr)]
    return y, int(sr)


def _is_mpeg_audio(raw: bytes) -> bool:
    """An MP3 (ID3v2 tag or MPEG audio frame sync) or ADTS AAC stream: FFmpeg decodes these.

    libsndfile decodes MP3 too (the samples are identical), but its mpg123 writes "part2_3_length … too large"
    lines straight to the process's stderr for LAME files, where a notebook shows them as errors.

    Examples
    --------
    >>> _is_mpeg_audio(b"ID3"), _is_mpeg_audio(bytes([0xFF, 0xF3, 0x64])), _is_mpeg_audio(b"RIFF")
    (True, True, False)
    """
    return raw[:3] == b"ID3" or (len(raw) > 1 and raw[0] == 0xFF and raw[1] & 0xE0 == 0xE0)


def read(source: str | Path | bytes | bytearray | memoryview | BinaryIO, *, mono: bool = False,
         max_seconds: float | None = None) -> Audio:
    """Decode audio from a path, bytes, or a binary file object.

    libsndfile (``soundfile``) is tried first — WAV, FLAC, OGG/Vorbis/Opus — and FFmpeg
    (``av``) decodes MP3 and everything else (MP4/M4A AAC, WebM, MPEG, …). Every format in
    :data:`READ_FORMATS` works. Samples are returned at the file's own rate.

    Parameters
    ----------
    source : str, Path, bytes-like or binary file object
        A path, the encoded file's bytes, or an object with ``read()``.
    mono : bool, keyword-only
        Down-mix to mono with :func:`to_mono` (block by block while decoding).
    max_seconds : float, optional, keyword-only
        Stop decoding and raise :class:`~voicelab.errors.AudioTooLongError` once the audio passes this
        length: memory and time stay bounded by it, whatever length the file declares (an upload limit).

    Returns
    -------
    Audio
        float32 samples of shape (n,) for mono, (n, channels) otherwise, with their rate.

    Raises
    ------
    ParameterError
        Missing file, empty input, bytes neither library can decode, or no audio stream.
    AudioTooLongError
        The audio is longer than ``max_seconds`` (a ``ParameterError``).

    Examples
    --------
    >>> audio = read(encode(np.zeros(24000, dtype=np.float32), 24000, "flac"))
    >>> audio
    Audio(1.00 s, 24000 Hz, mono)
    >>> read(encode(np.zeros(24000, dtype=np.float32), 24000, "flac"), max_seconds=0.5)
    Traceback (most recent call last):
    ...
    voicelab.errors.AudioTooLongError: source: expected audio of at most 0.5 s; got more (decoding stopped \
there) — cut the audio or split it into parts
    """
    what = _describe(source)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ParameterError("source", expected="a path to an audio file",
                                 got=f"no file at {str(path)!r}",
                                 fix="check the path (relative paths start at the current directory)")
        raw = path.read_bytes()
    elif isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
    elif hasattr(source, "read"):
        raw = source.read()
        if not isinstance(raw, bytes):
            raise ParameterError("source", expected="a binary file object (open(path, 'rb'))",
                                 got=f"{type(source).__name__} returning {type(raw).__name__}",
                                 fix="open the file in binary mode")
    else:
        raise ParameterError("source", expected="a path, bytes, or a binary file object",
                             got=type(source).__name__, fix="pass the file's path or its bytes")
    if not raw:
        raise ParameterError("source", expected="encoded audio", got=f"{what} with no bytes",
                             fix="check the upload or recording; nothing was received")
    if max_seconds is not None:
        max_seconds = _check_positive(max_seconds, param="max_seconds", unit="s")
    y: np.ndarray | None = None
    if not _is_mpeg_audio(raw):  # MP3 and ADTS go to FFmpeg (see _is_mpeg_audio)
        try:
            with soundfile.SoundFile(io.BytesIO(raw)) as sound:
                sr = sound.samplerate
                pcm16 = sound.subtype == "PCM_16"  # convert as from_pcm16 does, so PCM16 round-trips exactly
                blocks = _read_blocks(sound, "int16" if pcm16 else "float32")
                y = _gather((from_pcm16(b) if pcm16 else b for b in blocks), sr, mono=mono,
                            max_seconds=max_seconds)
        except (soundfile.LibsndfileError, RuntimeError, TypeError):
            pass
    if y is None:
        try:
            y, sr = _decode_with_ffmpeg(io.BytesIO(raw), mono=mono, max_seconds=max_seconds)
        except ParameterError:
            raise
        except (av.FFmpegError, ValueError) as exc:  # ValueError: also PyAV's UnicodeDecodeError on bad tags
            raise ParameterError(
                "source", expected=f"audio in one of: {', '.join(READ_FORMATS)}",
                got=f"{what} that neither libsndfile nor FFmpeg could decode ({exc.__class__.__name__})",
                fix="check the file is complete and really audio; convert it with ffmpeg if needed") from exc
    if y.shape[0] == 0:
        raise ParameterError("source", expected="at least one audio sample",
                             got=f"{what} decoding to no samples", fix="check the file is not truncated")
    y = y[:, 0] if y.shape[1] == 1 else y
    audio = Audio(np.ascontiguousarray(y, dtype=np.float32), int(sr))
    return audio.mono() if mono else audio


# --------------------------------------------------------------------------- encoding


def _encode_with_ffmpeg(y: np.ndarray, sr: int, fmt: str, bit_rate: int | None) -> bytes:
    codec, muxer, rates, bit_rate_per_channel = _FFMPEG_CODECS[fmt]
    if sr not in rates:  # the codec cannot carry this rate: use the next supported one up
        target = next((r for r in rates if r >= sr), rates[-1])
        y, sr = resample(y, sr, target), target
    channels = 1 if y.ndim == 1 else y.shape[1]
    layout = {1: "mono", 2: "stereo"}.get(channels)
    if layout is None:
        raise ParameterError("y", expected=f"mono or stereo audio for {fmt}", got=f"{channels} channels",
                             fix="down-mix with voicelab.audio.to_mono")
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=muxer) as container:
        stream = cast(av.audio.stream.AudioStream, container.add_stream(codec, rate=sr, layout=layout))
        stream.bit_rate = bit_rate or bit_rate_per_channel * channels
        interleaved = np.ascontiguousarray(y).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(interleaved, format="flt", layout=layout)
        frame.sample_rate, frame.pts, frame.time_base = sr, 0, Fraction(1, sr)
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def encode(y: np.ndarray, sr: int, format: EncodeFormat, *, bit_rate: int | None = None) -> bytes:
    """Encode samples into a file's bytes, in the formats OpenAI's speech endpoint returns.

    ===========  =========================================================================
    ``format``   result
    ===========  =========================================================================
    ``"mp3"``    MPEG-1/2 Layer III (LAME) with an ID3v2 tag and a Xing/LAME header
    ``"opus"``   Opus in an Ogg container (``OggS`` … ``OpusHead``)
    ``"aac"``    AAC-LC in ADTS frames (``0xFFF1``)
    ``"flac"``   FLAC, 16-bit (``fLaC``)
    ``"wav"``    RIFF/WAVE, 16-bit PCM
    ``"pcm"``    raw 24 kHz little-endian int16, no header; resampled to 24 kHz
    ===========  =========================================================================

    Other formats keep ``sr`` when the codec supports it; otherwise (e.g. 44.1 kHz Opus) the audio
    is resampled to the next rate the codec supports.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (n, channels)
        Samples (mp3, opus and aac take mono or stereo; pcm is interleaved).
    sr : int
    format : {"mp3", "opus", "aac", "flac", "wav", "pcm"}
    bit_rate : int, optional, keyword-only
        Bits per second for mp3, opus and aac; default 64 kbit/s per channel (opus: 32).
        Ignored by the lossless formats.

    Returns
    -------
    bytes

    Examples
    --------
    >>> y = np.zeros(48000, dtype=np.float32)
    >>> encode(y, 48000, "wav")[:4], encode(y, 48000, "flac")[:4], len(encode(y, 48000, "pcm"))
    (b'RIFF', b'fLaC', 48000)
    """
    y = validate(y)
    sr = _check_sr(sr)
    if format not in ENCODE_FORMATS:
        raise ParameterError("format", expected=f"one of {', '.join(ENCODE_FORMATS)}", got=repr(format),
                             fix='pass format="wav" (lossless, universal) or "mp3" (small)')
    if format == "pcm":
        return to_pcm16(resample(y, sr, PCM_RATE)).astype("<i2", copy=False).tobytes()
    if format in _SNDFILE_FORMATS:
        container, subtype = _SNDFILE_FORMATS[format]
        buffer = io.BytesIO()
        # our own PCM16 conversion, so wav/flac/pcm and streamed WAV hold the same integers
        soundfile.write(buffer, to_pcm16(y), sr, format=container, subtype=subtype)
        return buffer.getvalue()
    if bit_rate is not None and (isinstance(bit_rate, bool) or not isinstance(bit_rate, (int, np.integer))
                                 or not 6_000 <= bit_rate <= 512_000):
        raise ParameterError("bit_rate", expected="bits per second between 6000 and 512000",
                             got=repr(bit_rate), fix="pass e.g. bit_rate=64_000 or leave the default")
    return _encode_with_ffmpeg(y, sr, format, bit_rate)


def wav_stream_header(sr: int, *, channels: int = 1) -> bytes:
    """A 44-byte RIFF/WAVE header for 16-bit PCM of unknown length, for streamed WAV.

    The RIFF and ``data`` sizes are ``0xFFFFFFFF`` ("until the stream ends"), as OpenAI's
    streamed ``wav`` speech output does; players and :func:`read` accept it. Append
    little-endian int16 samples (``to_pcm16(y).tobytes()``) after it.

    Examples
    --------
    >>> header = wav_stream_header(24000)
    >>> len(header), header[:4], header[8:16], header[-8:-4]
    (44, b'RIFF', b'WAVEfmt ', b'data')
    """
    sr = _check_sr(sr)
    channels = _check_channels(channels)
    block_align = 2 * channels
    # RIFF chunk, then "fmt " chunk (PCM = 1, channels, rate, byte rate, block align, bits), then "data".
    return struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 0xFFFFFFFF, b"WAVE", b"fmt ", 16, 1, int(channels), sr,
                       sr * block_align, block_align, 16, b"data", 0xFFFFFFFF)


# --------------------------------------------------------------------------- the value type

_EMBED_RATE = 16000
_EMBED_SECONDS = 30.0
_EMBED_BIT_RATE = 32_000


@dataclass(frozen=True, eq=False)
class Audio:
    """Samples with their rate. Unpacks as ``y, sr = audio``; displays as a player in notebooks.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (n, channels)
        Float samples (validated and stored as float32).
    sr : int
        Rate in Hz.

    Examples
    --------
    >>> audio = Audio(np.zeros(60000, dtype=np.float32), 24000)
    >>> audio
    Audio(2.50 s, 24000 Hz, mono)
    >>> y, sr = audio
    >>> audio.resample(16000).to_pcm16().shape
    (40000,)
    """

    y: np.ndarray
    sr: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "y", validate(self.y))
        object.__setattr__(self, "sr", _check_sr(self.sr))

    def __iter__(self) -> Iterator[object]:
        return iter((self.y, self.sr))

    @classmethod
    def from_file(cls, source: str | Path | bytes | BinaryIO, *, mono: bool = False) -> Audio:
        """Same as :func:`read`."""
        return read(source, mono=mono)

    @property
    def channels(self) -> int:
        """1 for shape (n,), otherwise the second dimension."""
        return 1 if self.y.ndim == 1 else int(self.y.shape[1])

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.y.shape[0] / self.sr

    def mono(self) -> Audio:
        """Down-mixed copy (itself when already mono)."""
        return self if self.channels == 1 and self.y.ndim == 1 else Audio(to_mono(self.y), self.sr)

    def resample(self, sr: int, *, quality: str = "HQ") -> Audio:
        """This audio at rate ``sr`` (see :func:`resample`)."""
        return Audio(resample(self.y, self.sr, sr, quality=quality), sr)

    def to_pcm16(self) -> np.ndarray:
        """int16 samples (see :func:`to_pcm16`)."""
        return to_pcm16(self.y)

    def encode(self, format: EncodeFormat) -> bytes:
        """File bytes (see :func:`encode`)."""
        return encode(self.y, self.sr, format)

    def __repr__(self) -> str:
        layout = {1: "mono", 2: "stereo"}.get(self.channels, f"{self.channels} channels")
        return f"Audio({self.duration:.2f} s, {self.sr} Hz, {layout})"

    def _repr_html_(self) -> str:
        """An ``<audio>`` player holding at most 30 s of 16 kHz mono 32 kbit/s MP3 (≤ 160 kB of HTML)."""
        excerpt = to_mono(self.y)[: max(1, int(_EMBED_SECONDS * self.sr))]
        embedded = soxr.resample(excerpt, self.sr, _EMBED_RATE) if self.sr != _EMBED_RATE else excerpt
        if embedded.shape[0] == 0:  # a few samples at a high rate round down to none
            embedded = np.zeros(1, dtype=np.float32)
        data = encode(embedded, _EMBED_RATE, "mp3", bit_rate=_EMBED_BIT_RATE)
        src = "data:audio/mpeg;base64," + base64.b64encode(data).decode("ascii")
        note = f"embedded as {_EMBED_RATE // 1000} kHz mono MP3"
        if self.duration > _EMBED_SECONDS:
            note += f"; only the first {_EMBED_SECONDS:.0f} s of {self.duration:.1f} s"
        return (f'<div class="voicelab-audio"><audio controls preload="metadata" src="{src}"></audio>'
                f"<div><small>{html.escape(repr(self))} — {note}</small></div></div>")
