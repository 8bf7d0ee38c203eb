"""G.711 μ-law and A-law, and the Realtime API's three audio formats.

The ITU-T G.711 companding comes from ``audioop``: the standard library's up to Python 3.12 (imported with
its deprecation warning silenced), the ``audioop-lts`` package's from 3.13 on (the same C code, kept up by
its maintainers). The Realtime API's ``audio/pcmu`` and ``audio/pcma`` carry 8 kHz mono;
``audio/pcm`` is 24 kHz mono little-endian PCM16. :func:`decode_input` turns any of them into 24 kHz PCM16
samples, :func:`encode_output` does the reverse for the assistant's audio.
"""

from __future__ import annotations

import base64
import binascii
import sys
import warnings

import numpy as np

from voicelab import audio as vaudio
from voicelab.protocol.formats import PCM_RATE, format_rate

if sys.version_info >= (3, 13):  # pragma: no cover - the audioop-lts package
    import audioop
else:
    with warnings.catch_warnings():  # "deprecated, removed in 3.13": audioop-lts takes over there
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop

__all__ = [
    "alaw_decode",
    "alaw_encode",
    "b64decode_in_slices",
    "decode_input",
    "encode_output",
    "ulaw_decode",
    "ulaw_encode",
]


_B64_SLICE = 1 << 20  # characters per slice (a multiple of 4)


def b64decode_in_slices(text: str) -> bytes:
    """Strict base64 decoding of a large string in 1 MiB slices: the decoder holds the GIL while it runs, so
    the event loop (and other connections' threads) get a turn between slices instead of waiting ~100 ms for
    a 15 MiB event. Same result and same errors as ``base64.b64decode(text, validate=True)``.

    Examples
    --------
    >>> b64decode_in_slices(base64.b64encode(bytes(range(256)) * 9000).decode()) == bytes(range(256)) * 9000
    True
    >>> b64decode_in_slices("AA==" + "A" * (1 << 20))
    Traceback (most recent call last):
    ...
    binascii.Error: Excess data after padding
    """
    if len(text) <= _B64_SLICE:
        return base64.b64decode(text, validate=True)
    if "=" in text[: len(text) - 2]:  # padding only at the very end, as in one piece
        raise binascii.Error("Excess data after padding")
    return b"".join(
        base64.b64decode(text[i : i + _B64_SLICE], validate=True) for i in range(0, len(text), _B64_SLICE)
    )


def ulaw_encode(pcm: np.ndarray) -> bytes:
    """Encode PCM16 samples as G.711 μ-law bytes (one byte per sample).

    Parameters
    ----------
    pcm : ndarray of int16, shape (n,)

    Returns
    -------
    bytes
        ``n`` μ-law bytes.

    Examples
    --------
    >>> import numpy as np
    >>> ulaw_encode(np.array([0, 32767, -32768], dtype=np.int16)).hex()
    'ff8000'
    """
    return audioop.lin2ulaw(_pcm16_bytes(pcm), 2)


def ulaw_decode(data: bytes) -> np.ndarray:
    """Decode G.711 μ-law bytes to PCM16 samples.

    Examples
    --------
    >>> ulaw_decode(bytes([0xFF, 0x80, 0x00])).tolist()
    [0, 32124, -32124]
    """
    return np.frombuffer(audioop.ulaw2lin(bytes(data), 2), dtype=np.int16).copy()


def alaw_encode(pcm: np.ndarray) -> bytes:
    """Encode PCM16 samples as G.711 A-law bytes.

    Examples
    --------
    >>> import numpy as np
    >>> alaw_encode(np.array([0, 32767, -32768], dtype=np.int16)).hex()
    'd5aa2a'
    """
    return audioop.lin2alaw(_pcm16_bytes(pcm), 2)


def alaw_decode(data: bytes) -> np.ndarray:
    """Decode G.711 A-law bytes to PCM16 samples.

    Examples
    --------
    >>> alaw_decode(bytes([0xD5, 0xAA, 0x2A])).tolist()
    [8, 32256, -32256]
    """
    return np.frombuffer(audioop.alaw2lin(bytes(data), 2), dtype=np.int16).copy()


def _pcm16_bytes(pcm: np.ndarray) -> bytes:
    """Native-endian int16 bytes, as ``audioop`` reads them."""
    return np.ascontiguousarray(pcm, dtype=np.int16).tobytes()


def decode_input(data: bytes, fmt: dict) -> np.ndarray:
    """Turn client audio bytes in format ``fmt`` into 24 kHz PCM16 samples.

    Parameters
    ----------
    data : bytes
        The decoded base64 payload of ``input_audio_buffer.append``.
    fmt : dict
        The session's ``audio.input.format``.

    Returns
    -------
    ndarray of int16, shape (n,)
        24 kHz mono samples (G.711 input is resampled from 8 kHz).

    Examples
    --------
    >>> import numpy as np
    >>> decode_input(ulaw_encode(np.zeros(80, np.int16)), {"type": "audio/pcmu"}).shape
    (240,)
    """
    kind = fmt.get("type") or "audio/pcm"
    if kind == "audio/pcm":
        usable = len(data) - len(data) % 2
        return np.frombuffer(bytes(data[:usable]), dtype="<i2").astype(np.int16)
    pcm8k = ulaw_decode(data) if kind == "audio/pcmu" else alaw_decode(data)
    if pcm8k.size == 0:
        return pcm8k
    y = vaudio.resample(vaudio.from_pcm16(pcm8k), format_rate(kind), PCM_RATE)
    return vaudio.to_pcm16(y)


def encode_output(pcm24k: np.ndarray, fmt: dict) -> bytes:
    """Encode 24 kHz PCM16 samples into the session's ``audio.output.format``.

    Examples
    --------
    >>> import numpy as np
    >>> len(encode_output(np.zeros(240, np.int16), {"type": "audio/pcma"}))
    80
    >>> len(encode_output(np.zeros(240, np.int16), {"type": "audio/pcm", "rate": 24000}))
    480
    """
    kind = fmt.get("type") or "audio/pcm"
    pcm24k = np.asarray(pcm24k, dtype=np.int16)
    if kind == "audio/pcm":
        return pcm24k.astype("<i2").tobytes()
    if pcm24k.size == 0:
        return b""
    pcm8k = vaudio.to_pcm16(vaudio.resample(vaudio.from_pcm16(pcm24k), PCM_RATE, format_rate(kind)))
    return ulaw_encode(pcm8k) if kind == "audio/pcmu" else alaw_encode(pcm8k)
