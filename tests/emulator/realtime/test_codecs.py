"""G.711 codecs: bit-exact with the ITU reference (CPython's audioop on 3.11), and the three Realtime
formats."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

from voicelab.emulator.realtime import codecs
from voicelab.protocol.formats import format_rate

ALL_PCM = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = bytes(range(256))


@pytest.fixture(scope="module")
def audioop():
    if sys.version_info >= (3, 13):
        pytest.skip("audioop was removed in Python 3.13")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop as module
    return module


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_encode_is_bit_exact_with_reference(audioop, law):
    ours = getattr(codecs, f"{law}_encode")(ALL_PCM)
    reference = getattr(audioop, f"lin2{law}")(ALL_PCM.tobytes(), 2)
    assert ours == reference


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_decode_is_bit_exact_with_reference(audioop, law):
    ours = getattr(codecs, f"{law}_decode")(ALL_CODES)
    reference = np.frombuffer(getattr(audioop, f"{law}2lin")(ALL_CODES, 2), dtype=np.int16)
    np.testing.assert_array_equal(ours, reference)


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
