"""G.711 μ-law and A-law in vectorised numpy, and the Realtime API's three audio formats.

``audioop`` is deprecated in 3.11 (a ``DeprecationWarning``, an error under ``filterwarnings = error``) and
gone in 3.13, so the ITU-T G.711 companding is written out here. The Realtime API's ``audio/pcmu`` and
``audio/pcma`` carry 8 kHz mono; ``audio/pcm`` is 24 kHz mono little-endian PCM16. :func:`decode_input` turns
any of them into 24 kHz PCM16 samples, :func:`encode_output` does the reverse for the assistant's audio.
"""

from __future__ import annotations

import numpy as np

from voicelab import audio as vaudio
from voicelab.protocol.formats import PCM_RATE, format_rate

__all__ = [
    "alaw_decode",
    "alaw_encode",
    "decode_input",
    "encode_output",
    "ulaw_decode",
    "ulaw_encode",
]

_BIAS = 0x84
_ULAW_SEGMENT_ENDS = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])


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
    x = np.asarray(pcm, dtype=np.int32) >> 2  # 14-bit, as in the ITU/Sun reference g711.c
    mask = np.where(x < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.where(x < 0, -x, x), 8159) + 0x21
    segment = np.searchsorted(_ULAW_SEGMENT_ENDS, magnitude, side="left")
    code = np.where(segment >= 8, 0x7F, (segment << 4) | ((magnitude >> (segment + 1)) & 0x0F)) ^ mask
    return code.astype(np.uint8).tobytes()


def ulaw_decode(data: bytes) -> np.ndarray:
    """Decode G.711 μ-law bytes to PCM16 samples.

    Examples
    --------
    >>> ulaw_decode(bytes([0xFF, 0x80, 0x00])).tolist()
    [0, 32124, -32124]
    """
    code = ~np.frombuffer(bytes(data), dtype=np.uint8).astype(np.int32) & 0xFF
    sign = code & 0x80
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


def alaw_encode(pcm: np.ndarray) -> bytes:
    """Encode PCM16 samples as G.711 A-law bytes.

    Examples
    --------
    >>> import numpy as np
    >>> alaw_encode(np.array([0, 32767, -32768], dtype=np.int16)).hex()
    'd5aa2a'
    """
    x = np.asarray(pcm, dtype=np.int32) >> 3  # 13-bit
    sign = np.where(x >= 0, 0x80, 0x00)
    magnitude = np.where(x >= 0, x, -x - 1)
    magnitude = np.minimum(magnitude, 0x0FFF)
    exponent = np.where(magnitude >= 32, np.floor(np.log2(np.maximum(magnitude, 1))).astype(np.int32) - 4, 0)
    mantissa = np.where(exponent == 0, magnitude >> 1, magnitude >> exponent) & 0x0F
    code = (sign | (exponent << 4) | mantissa) ^ 0x55
    return code.astype(np.uint8).tobytes()


def alaw_decode(data: bytes) -> np.ndarray:
    """Decode G.711 A-law bytes to PCM16 samples.

    Examples
    --------
    >>> alaw_decode(bytes([0xD5, 0xAA, 0x2A])).tolist()
    [8, 32256, -32256]
    """
    code = np.frombuffer(bytes(data), dtype=np.uint8).astype(np.int32) ^ 0x55
    sign = code & 0x80
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = np.where(exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << (exponent - 1))
    return np.where(sign != 0, magnitude, -magnitude).astype(np.int16)


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
