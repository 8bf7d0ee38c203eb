"""G.711 codecs: bit-exact with the ITU reference formulas, and the three Realtime formats."""

from __future__ import annotations

import numpy as np
import pytest

from voicelab.emulator.realtime import codecs
from voicelab.protocol.formats import format_rate

ALL_PCM = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = bytes(range(256))


# The G.711 formulas written out from the ITU-T reference (g711.c), vectorised: an independent oracle for the
# codec the emulator uses (audioop / audioop-lts).
_ULAW_SEGMENT_ENDS = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])


def reference_ulaw_encode(pcm):
    x = pcm.astype(np.int32) >> 2
    mask = np.where(x < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.where(x < 0, -x, x), 8159) + 0x21
    segment = np.searchsorted(_ULAW_SEGMENT_ENDS, magnitude, side="left")
    code = np.where(segment >= 8, 0x7F, (segment << 4) | ((magnitude >> (segment + 1)) & 0x0F)) ^ mask
    return code.astype(np.uint8).tobytes()


def reference_ulaw_decode(data):
    code = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    exponent, mantissa = (code >> 4) & 0x07, code & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(code & 0x80, -magnitude, magnitude).astype(np.int16)


def reference_alaw_encode(pcm):
    x = pcm.astype(np.int32) >> 3
    sign = np.where(x >= 0, 0x80, 0x00)
    magnitude = np.minimum(np.where(x >= 0, x, -x - 1), 0x0FFF)
    exponent = np.where(magnitude >= 32, np.floor(np.log2(np.maximum(magnitude, 1))).astype(np.int32) - 4, 0)
    mantissa = np.where(exponent == 0, magnitude >> 1, magnitude >> exponent) & 0x0F
    return ((sign | (exponent << 4) | mantissa) ^ 0x55).astype(np.uint8).tobytes()


def reference_alaw_decode(data):
    code = np.frombuffer(data, dtype=np.uint8).astype(np.int32) ^ 0x55
    exponent, mantissa = (code >> 4) & 0x07, code & 0x0F
    magnitude = np.where(exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << (exponent - 1))
    return np.where(code & 0x80, magnitude, -magnitude).astype(np.int16)


REFERENCE = {
    "ulaw": (reference_ulaw_encode, reference_ulaw_decode),
    "alaw": (reference_alaw_encode, reference_alaw_decode),
}


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_encode_is_bit_exact_with_reference(law):
    ours = getattr(codecs, f"{law}_encode")(ALL_PCM)
    assert ours == REFERENCE[law][0](ALL_PCM)


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_decode_is_bit_exact_with_reference(law):
    ours = getattr(codecs, f"{law}_decode")(ALL_CODES)
    np.testing.assert_array_equal(ours, REFERENCE[law][1](ALL_CODES))


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_roundtrip_error_is_within_companding_step(law):
    encode, decode = getattr(codecs, f"{law}_encode"), getattr(codecs, f"{law}_decode")
    back = decode(encode(ALL_PCM)).astype(np.int32)
    error = np.abs(back - ALL_PCM.astype(np.int32))
    # G.711 keeps ~13 bits: the error grows with amplitude but stays under 1/16 of it (+ a small floor)
    assert np.all(error <= np.abs(ALL_PCM.astype(np.int32)) / 16 + 16)


@pytest.mark.parametrize(
    "fmt, rate, bytes_per_sample",
    [
        ({"type": "audio/pcm", "rate": 24000}, 24000, 2),
        ({"type": "audio/pcmu"}, 8000, 1),
        ({"type": "audio/pcma"}, 8000, 1),
    ],
    ids=["pcm", "pcmu", "pcma"],
)
def test_formats_roundtrip_a_tone_at_24k(fmt, rate, bytes_per_sample):
    t = np.arange(24000) / 24000
    pcm = (0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
    wire = codecs.encode_output(pcm, fmt)
    assert len(wire) == 24000 * rate // 24000 * bytes_per_sample
    back = codecs.decode_input(wire, fmt)
    assert back.dtype == np.int16 and abs(back.size - pcm.size) <= 3
    n = min(back.size, pcm.size)
    core = slice(1000, n - 1000)  # away from resampler edges
    correlation = np.corrcoef(back[core].astype(float), pcm[core].astype(float))[0, 1]
    assert correlation > 0.99
    assert format_rate(fmt) == rate
