"""voicelab.emulator.routes._encoding: incremental encoders give complete, correctly sized files."""

from __future__ import annotations

import numpy as np
import pytest

from voicelab import audio
from voicelab.emulator.routes._encoding import StreamEncoder

# Extra length a decoder reports: MP3 and AAC pad to whole frames and a streamed MP3 has no gapless header.
PADDING = {"mp3": 0.08, "aac": 0.08, "opus": 0.0, "flac": 0.0, "wav": 0.0}


@pytest.fixture
def tone(rng):
    t = np.arange(int(24000 * 1.5)) / 24000
    return (0.3 * np.sin(2 * np.pi * 330 * t) + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav"])
def test_pieces_encode_into_one_file_of_the_right_length(fmt, tone):
    encoder = StreamEncoder(fmt)
    parts = [encoder.encode(piece) for piece in np.array_split(tone, 5)] + [encoder.finish()]
    data = b"".join(parts)
    decoded = audio.read(data)
    assert decoded.duration == pytest.approx(1.5, abs=0.001 + PADDING[fmt])
    assert decoded.duration >= 1.5 - 0.001
    assert encoder.duration == pytest.approx(1.5)
    if fmt != "flac":  # FLAC needs its total length in the header, so it is written at the end
        assert sum(1 for p in parts[:-1] if p) >= 3, "bytes must leave as pieces are encoded"


def test_pcm_is_raw_24k_int16(tone):
    encoder = StreamEncoder("pcm16")
    data = encoder.encode(tone) + encoder.finish()
    assert len(data) == tone.size * 2
    np.testing.assert_allclose(audio.from_pcm16(data), tone, atol=1 / 32767)


def test_empty_stream_is_still_a_valid_file():
    encoder = StreamEncoder("flac")
    assert audio.read(encoder.finish()).sr == 24000
