"""voicelab.audio: conversions, resampling, chunking, decoding, encoding, loudness, the Audio type."""

from __future__ import annotations

import base64
import doctest
import io
import re
from fractions import Fraction

import av
import numpy as np
import pytest
import soundfile
from hypothesis import given, settings
from hypothesis import strategies as st

import voicelab.audio
from voicelab import samples
from voicelab.audio import (
    ENCODE_FORMATS,
    READ_FORMATS,
    Audio,
    ResampleStream,
    chunks,
    duration,
    encode,
    from_base64,
    from_pcm16,
    limit,
    loudness,
    normalize_loudness,
    normalize_peak,
    read,
    resample,
    to_base64,
    to_mono,
    to_pcm16,
    true_peak_db,
    validate,
    wav_stream_header,
)
from voicelab.errors import AudioTooLongError, ParameterError, VoicelabError

LSB = 1 / 32767


def tone(freq: float, seconds: float, sr: int, *, amplitude: float = 0.5, channels: int = 1) -> np.ndarray:
    t = np.arange(round(seconds * sr)) / sr
    y = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return y if channels == 1 else np.repeat(y[:, None], channels, axis=1)


def peak_frequency(y: np.ndarray, sr: int) -> float:
    y = to_mono(y)
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.fft.rfftfreq(len(y), 1 / sr)[np.argmax(spectrum)])


def test_docstring_examples_run():
    result = doctest.testmod(voicelab.audio, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 20
    assert result.failed == 0


# --------------------------------------------------------------------------- conversions


def test_pcm16_round_trip_of_every_int16_value_is_exact():
    every = np.arange(-32767, 32768, dtype=np.int16)
    np.testing.assert_array_equal(to_pcm16(from_pcm16(every)), every)
    np.testing.assert_array_equal(to_pcm16(from_pcm16(every.tobytes())), every)


def test_float_round_trip_through_pcm16_is_within_one_lsb(rng):
    y = rng.uniform(-1, 1, size=(10_000, 2)).astype(np.float32)
    back = from_pcm16(to_pcm16(y))
    assert back.shape == y.shape
    assert np.max(np.abs(back - y)) <= LSB


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.5, 32767), (-7.0, -32767), (1.0, 32767), (-1.0, -32767), (0.5, 16384)],
    ids=["over", "under", "full", "neg-full", "half"],
)
def test_to_pcm16_clips_instead_of_wrapping(value, expected):
    assert to_pcm16(np.array([value], dtype=np.float32))[0] == expected


def test_pcm16_bytes_are_little_endian():
    assert to_pcm16(np.array([LSB, -LSB], dtype=np.float32)).tobytes() == b"\x01\x00\xff\xff"
    np.testing.assert_allclose(from_pcm16(b"\x01\x00\xff\xff"), [LSB, -LSB], rtol=1e-6)


def test_base64_round_trip(rng):
    pcm = rng.integers(-32768, 32768, size=4801, dtype=np.int16)
    text = to_base64(pcm)
    assert base64.b64decode(text) == pcm.astype("<i2").tobytes()
    np.testing.assert_array_equal(from_base64(text), pcm)
    assert to_base64(pcm.tobytes()) == text


def test_to_mono_averages_channels():
    y = np.array([[1.0, 0.0], [0.2, 0.4], [-1.0, -1.0]], dtype=np.float32)
    np.testing.assert_allclose(to_mono(y), [0.5, 0.3, -1.0], rtol=1e-6)
    mono = np.zeros(3, dtype=np.float32)
    assert to_mono(mono) is mono


def test_validate_converts_float64_to_float32():
    assert validate(np.zeros(3)).dtype == np.float32


@pytest.mark.parametrize(
    ("n", "sr", "seconds"),
    [(24000, 24000, 1.0), (36000, 24000, 1.5), (441, 44100, 0.01)],
    ids=["1s", "1.5s", "10ms"],
)
def test_duration(n, sr, seconds):
    assert duration(np.zeros(n, dtype=np.float32), sr) == pytest.approx(seconds)
    assert duration(np.zeros((n, 2), dtype=np.float32), sr) == pytest.approx(seconds)


# --------------------------------------------------------------------------- chunks


@pytest.mark.parametrize(
    ("sr", "ms", "size"),
    [(24000, 20, 480), (16000, 32, 512), (48000, 10, 480)],
    ids=["24k-20ms", "16k-32ms", "48k-10ms"],
)
def test_chunks_have_the_requested_length_and_rebuild_the_signal(rng, sr, ms, size):
    y = rng.uniform(-1, 1, size=size * 10 + 7).astype(np.float32)
    parts = list(chunks(y, sr, ms=ms))
    assert [len(p) for p in parts] == [size] * 10 + [7]
    np.testing.assert_array_equal(np.concatenate(parts), y)


def test_chunks_do_not_drift_when_ms_is_not_a_whole_number_of_samples():
    sr = 22050  # 30 ms = 661.5 samples
    y = np.zeros(sr * 3, dtype=np.float32)
    parts = list(chunks(y, sr, ms=30))
    assert {len(p) for p in parts} == {661, 662}
    assert len(parts) == 100
    assert sum(len(p) for p in parts[:50]) == round(50 * 661.5)


def test_chunks_of_stereo_keep_channels():
    parts = list(chunks(np.zeros((1000, 2), dtype=np.float32), 24000))
    assert [p.shape for p in parts] == [(480, 2), (480, 2), (40, 2)]


# --------------------------------------------------------------------------- resampling


@pytest.mark.parametrize(
    ("sr", "target_sr"),
    [(48000, 24000), (44100, 24000), (16000, 24000), (24000, 16000), (8000, 48000)],
    ids=["48k-24k", "44k1-24k", "16k-24k", "24k-16k", "8k-48k"],
)
@pytest.mark.parametrize("channels", [1, 2], ids=["mono", "stereo"])
def test_resample_length_and_tone_frequency(sr, target_sr, channels):
    y = tone(1000.0, 1.0, sr, channels=channels)
    out = resample(y, sr, target_sr)
    assert out.dtype == np.float32
    expected_shape = (target_sr,) if channels == 1 else (target_sr, channels)
    assert out.shape == expected_shape
    assert peak_frequency(out, target_sr) == pytest.approx(1000.0, abs=1.0)
    # the amplitude survives (away from the filter's edges)
    assert np.max(np.abs(out[target_sr // 10 : -target_sr // 10])) == pytest.approx(0.5, abs=0.01)


def test_resample_removes_content_above_the_new_nyquist():
    y = tone(11000.0, 1.0, 48000)  # above 8 kHz: must not alias into the 16 kHz output
    out = resample(y, 48000, 16000)[1600:-1600]  # away from the switch-on/off transients
    assert np.sqrt(np.mean(out**2)) < 1e-4 * np.sqrt(np.mean(y**2))  # below -80 dB


def test_resample_to_the_same_rate_is_identity():
    y = tone(440.0, 0.1, 24000)
    assert resample(y, 24000, 24000) is y


@pytest.mark.parametrize(
    ("sr", "target_sr", "channels"),
    [(48000, 24000, 1), (44100, 24000, 2), (16000, 24000, 1)],
    ids=["48k-24k-mono", "44k1-24k-stereo", "16k-24k-mono"],
)
def test_streaming_resample_equals_one_shot(rng, sr, target_sr, channels):
    shape = (sr,) if channels == 1 else (sr, channels)
    y = rng.uniform(-0.5, 0.5, size=shape).astype(np.float32)
    stream = ResampleStream(sr, target_sr, channels=channels)
    cuts = np.cumsum(rng.integers(1, 3000, size=40))
    pieces = [stream.process(part) for part in np.split(y, cuts[cuts < sr]) if len(part)]
    pieces.append(stream.flush())
    streamed = np.concatenate(pieces)
    one_shot = resample(y, sr, target_sr)
    assert streamed.shape == one_shot.shape
    np.testing.assert_allclose(streamed, one_shot, atol=1e-6)


# --------------------------------------------------------------------------- encoding


def _strip_id3(data: bytes) -> bytes:
    if data[:3] != b"ID3":
        return data
    size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]  # syncsafe integer
    return data[10 + size :]


def test_encode_mp3_has_id3_tag_then_frame_sync():
    data = encode(tone(440.0, 1.0, 24000), 24000, "mp3")
    frames = _strip_id3(data)
    assert data[:3] == b"ID3" or data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xe3")
    assert frames[0] == 0xFF and frames[1] & 0xE0 == 0xE0  # 11-bit frame sync


def test_encode_opus_is_ogg_with_opus_head():
    data = encode(tone(440.0, 1.0, 24000), 24000, "opus")
    assert data[:4] == b"OggS"
    assert data[28:36] == b"OpusHead"  # first page: 27-byte header + 1 segment-table byte


def test_encode_aac_is_adts():
    data = encode(tone(440.0, 1.0, 24000), 24000, "aac")
    assert data[:2] in (b"\xff\xf1", b"\xff\xf9")
    frame_length = ((data[3] & 0x03) << 11) | (data[4] << 3) | (data[5] >> 5)
    assert data[frame_length : frame_length + 2] in (b"\xff\xf1", b"\xff\xf9")  # the next frame follows


def test_encode_flac_and_wav_magic_and_exact_samples():
    y = tone(440.0, 0.5, 24000)
    flac, wav = encode(y, 24000, "flac"), encode(y, 24000, "wav")
    assert flac[:4] == b"fLaC"
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    for data in (flac, wav):
        decoded, sr = soundfile.read(io.BytesIO(data), dtype="int16")
        assert sr == 24000
        np.testing.assert_array_equal(decoded, to_pcm16(y))


@pytest.mark.parametrize("sr", [24000, 48000, 16000], ids=["24k", "48k", "16k"])
def test_encode_pcm_is_raw_24k_s16le(sr):
    y = tone(1000.0, 1.0, sr)
    data = encode(y, sr, "pcm")
    assert len(data) == 2 * 24000
    np.testing.assert_array_equal(np.frombuffer(data, dtype="<i2"), to_pcm16(resample(y, sr, 24000)))


@pytest.mark.parametrize(
    ("fmt", "sr", "rate_out"),
    [("opus", 44100, 48000), ("mp3", 44100, 44100), ("aac", 24000, 24000)],
    ids=["opus", "mp3", "aac"],
)
def test_encode_picks_a_rate_the_codec_supports(fmt, sr, rate_out):
    with av.open(io.BytesIO(encode(tone(440.0, 0.5, sr), sr, fmt))) as container:
        assert container.streams.audio[0].rate == rate_out


@pytest.mark.parametrize("fmt", ENCODE_FORMATS[:-1], ids=list(ENCODE_FORMATS[:-1]))
def test_encode_then_read_keeps_the_tone(fmt):
    y = tone(440.0, 1.0, 24000, channels=2)
    audio = read(encode(y, 24000, fmt))
    assert audio.channels == 2
    assert peak_frequency(audio.y, audio.sr) == pytest.approx(440.0, abs=2.0)


def test_wav_stream_header_is_readable_with_unknown_length():
    header = wav_stream_header(24000)
    assert len(header) == 44
    assert header[4:8] == header[40:44] == b"\xff\xff\xff\xff"
    y = tone(440.0, 0.25, 24000)
    audio = read(header + to_pcm16(y).tobytes())
    assert audio.sr == 24000
    np.testing.assert_array_equal(audio.to_pcm16(), to_pcm16(y))
    stereo = wav_stream_header(48000, channels=2)
    assert int.from_bytes(stereo[22:24], "little") == 2
    assert int.from_bytes(stereo[28:32], "little") == 48000 * 4


# --------------------------------------------------------------------------- reading


def _ffmpeg_file(y: np.ndarray, sr: int, codec: str, muxer: str) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=muxer) as container:
        stream = container.add_stream(codec, rate=sr, layout="mono")
        frame = av.AudioFrame.from_ndarray(y.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = sr, 0, Fraction(1, sr)
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return buffer.getvalue()


def _sndfile(y: np.ndarray, sr: int, container: str, subtype: str) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, y, sr, format=container, subtype=subtype)
    return buffer.getvalue()


# suffix → (maker of a 1.5 s 24 kHz 440 Hz tone file, expected duration)
SECONDS = 1.5
READ_CASES = {
    "flac": lambda y: encode(y, 24000, "flac"),
    "mp3": lambda y: encode(y, 24000, "mp3"),
    "mp4": lambda y: _ffmpeg_file(y, 24000, "aac", "mp4"),
    # .mpeg / .mpga are what OpenAI calls MP3 uploads; an MPEG-PS stream with MP2 is covered below
    "mpeg": lambda y: encode(y, 24000, "mp3"),
    "mpga": lambda y: encode(y, 24000, "mp3"),
    "m4a": lambda y: _ffmpeg_file(y, 24000, "aac", "ipod"),
    "ogg": lambda y: _sndfile(y, 24000, "OGG", "VORBIS"),
    "wav": lambda y: encode(y, 24000, "wav"),
    "webm": lambda y: _ffmpeg_file(y, 24000, "libopus", "webm"),
}


def test_read_cases_cover_every_read_format():
    assert set(READ_CASES) == set(READ_FORMATS)


@pytest.mark.parametrize("suffix", list(READ_CASES), ids=list(READ_CASES))
def test_read_decodes_each_format_to_the_right_duration(tmp_path, suffix):
    y = tone(440.0, SECONDS, 24000)
    data = READ_CASES[suffix](y)
    path = tmp_path / f"tone.{suffix}"
    path.write_bytes(data)
    for source in (path, str(path), data, io.BytesIO(data)):
        audio = read(source)
        assert isinstance(audio, Audio)
        assert audio.y.dtype == np.float32 and audio.y.ndim == 1
        assert abs(audio.duration - SECONDS) <= 0.010, f"{suffix}: {audio.duration:.4f} s"
        assert peak_frequency(audio.y, audio.sr) == pytest.approx(440.0, abs=2.0)


def test_read_mpeg_program_stream_with_mp2():
    seconds = 32 * 1152 / 24000  # MP2 cannot signal padding: a whole number of 1152-sample frames
    data = _ffmpeg_file(tone(440.0, seconds, 24000), 24000, "mp2", "mpeg")
    assert data[:4] == b"\x00\x00\x01\xba"  # MPEG-PS pack header
    audio = read(data)
    assert abs(audio.duration - seconds) <= 0.010
    assert peak_frequency(audio.y, audio.sr) == pytest.approx(440.0, abs=2.0)


def test_read_stereo_and_mono_down_mix():
    left, right = tone(440.0, 0.5, 48000), tone(880.0, 0.5, 48000)
    data = encode(np.stack([left, right], axis=1), 48000, "flac")
    stereo = read(data)
    assert stereo.y.shape == (24000, 2) and stereo.sr == 48000
    np.testing.assert_allclose(stereo.y[:, 1], right, atol=LSB)
    mono = read(data, mono=True)
    assert mono.y.shape == (24000,)
    np.testing.assert_allclose(mono.y, (left + right) / 2, atol=LSB)


# --------------------------------------------------------------------------- loudness


def test_loudness_of_a_1khz_sine_matches_bs1770():
    # a full-scale 997 Hz sine reads -3.01 LUFS; at amplitude 0.1 (-20 dB) it reads -23.01
    assert loudness(tone(997.0, 2.0, 48000, amplitude=0.1), 48000) == pytest.approx(-23.01, abs=0.05)
    assert loudness(tone(997.0, 2.0, 48000, amplitude=1.0, channels=2), 48000) == pytest.approx(0.0, abs=0.05)


def test_loudness_of_silence_is_minus_infinity():
    assert loudness(np.zeros(24000, dtype=np.float32), 24000) == -np.inf


@pytest.mark.parametrize("target", [-23.0, -16.0, -30.0], ids=["ebu", "podcast", "quiet"])
def test_normalize_loudness_reaches_the_target(rng, target):
    y = (0.05 * rng.standard_normal(48000)).astype(np.float32)
    out = normalize_loudness(y, 24000, target_lufs=target)
    assert out.dtype == np.float32 and out.shape == y.shape
    assert loudness(out, 24000) == pytest.approx(target, abs=0.01)


@pytest.mark.parametrize("peak_db", [-1.0, -6.0, 0.0], ids=["-1dB", "-6dB", "0dB"])
def test_normalize_peak(peak_db):
    y = tone(440.0, 0.5, 24000, amplitude=0.1, channels=2)
    out = normalize_peak(y, peak_db=peak_db)
    assert out.dtype == np.float32
    assert np.max(np.abs(out)) == pytest.approx(10 ** (peak_db / 20), rel=1e-5)


# --------------------------------------------------------------------------- Audio


def test_audio_value_type():
    y = tone(440.0, 2.5, 24000, channels=2)
    audio = Audio(y, 24000)
    assert repr(audio) == "Audio(2.50 s, 24000 Hz, stereo)"
    samples, sr = audio
    assert samples is audio.y and sr == 24000
    assert audio.channels == 2 and audio.duration == 2.5
    mono = audio.mono()
    assert repr(mono) == "Audio(2.50 s, 24000 Hz, mono)" and mono.y.ndim == 1
    assert mono.mono() is mono
    assert audio.resample(16000).y.shape == (40000, 2)
    assert audio.to_pcm16().dtype == np.int16
    assert Audio.from_file(audio.encode("flac")).y.shape == y.shape
    with pytest.raises(AttributeError):
        audio.sr = 16000  # type: ignore[misc]


def _embedded_mp3(html: str) -> bytes:
    match = re.search(r'src="data:audio/mpeg;base64,([A-Za-z0-9+/=]+)"', html)
    assert match, html[:200]
    return base64.b64decode(match.group(1))


def test_audio_html_embeds_a_small_player():
    audio = Audio(tone(440.0, 2.0, 48000, channels=2), 48000)
    html = audio._repr_html_()
    assert "<audio controls" in html and "Audio(2.00 s, 48000 Hz, stereo)" in html
    assert "only the first" not in html
    embedded = read(_embedded_mp3(html))
    assert embedded.sr == 16000 and embedded.channels == 1
    assert embedded.duration == pytest.approx(2.0, abs=0.01)


def test_audio_html_caps_long_audio():
    audio = Audio(np.zeros((48000 * 120, 2), dtype=np.float32), 48000)  # 2 minutes of 48 kHz stereo (46 MB)
    html = audio._repr_html_()
    assert len(html) < 200_000
    assert "only the first 30 s of 120.0 s" in html
    assert read(_embedded_mp3(html)).duration == pytest.approx(30.0, abs=0.01)


# --------------------------------------------------------------------------- bad input

NAN = np.array([0.0, np.nan], dtype=np.float32)
INF = np.array([0.0, np.inf], dtype=np.float32)
EMPTY = np.zeros(0, dtype=np.float32)
INT16 = np.zeros(10, dtype=np.int16)
CUBE = np.zeros((10, 2, 2), dtype=np.float32)
OK = np.zeros(24000, dtype=np.float32)
GARBAGE = b"this is not audio, just some text that neither libsndfile nor FFmpeg can decode" * 20

BAD_CALLS = {
    # samples
    "nan": (lambda: validate(NAN), "y", "NaN"),
    "inf": (lambda: to_pcm16(INF), "y", "inf"),
    "empty": (lambda: resample(EMPTY, 24000, 16000), "y", "empty"),
    "int-dtype": (lambda: to_mono(INT16), "y", "int16"),
    "list": (lambda: validate([0.0, 0.1]), "y", "list"),
    "3-d": (lambda: encode(CUBE, 24000, "wav"), "y", "(10, 2, 2)"),
    "3-d-audio": (lambda: Audio(CUBE, 24000), "y", "(10, 2, 2)"),
    "nan-chunk": (lambda: ResampleStream(48000, 24000).process(NAN), "chunk", "NaN"),
    "wrong-channels-chunk": (
        lambda: ResampleStream(48000, 24000, channels=2).process(OK),
        "chunk",
        "(24000,)",
    ),
    "nan-loudness": (lambda: loudness(NAN, 24000), "y", "NaN"),
    # rates
    "rate-zero": (lambda: resample(OK, 0, 24000), "sr", "0"),
    "rate-negative": (lambda: duration(OK, -16000), "sr", "-16000"),
    "rate-float": (lambda: Audio(OK, 24000.5), "sr", "24000.5"),
    "rate-bool": (lambda: chunks(OK, True).__next__(), "sr", "True"),
    "target-rate-zero": (lambda: resample(OK, 24000, 0), "target_sr", "0"),
    "stream-rate-zero": (lambda: ResampleStream(0, 24000), "sr", "0"),
    "encode-rate-zero": (lambda: encode(OK, 0, "mp3"), "sr", "0"),
    "header-rate-zero": (lambda: wav_stream_header(0), "sr", "0"),
    "loudness-rate-zero": (lambda: loudness(OK, 0), "sr", "0"),
    # formats and bytes
    "unknown-format": (lambda: encode(OK, 24000, "ogg-vorbis"), "format", "ogg-vorbis"),
    "undecodable-bytes": (lambda: read(GARBAGE), "source", "could decode"),
    "truncated-file": (lambda: read(encode(OK, 24000, "mp3")[:40]), "source", "could decode"),
    "empty-bytes": (lambda: read(b""), "source", "no bytes"),
    "missing-file": (lambda: read("/nonexistent/voice.wav"), "source", "no file"),
    "text-file-object": (lambda: read(io.StringIO("RIFF")), "source", "str"),
    "not-a-source": (lambda: read(42), "source", "int"),
    "odd-pcm-bytes": (lambda: from_pcm16(b"\x00\x00\x01"), "data", "3 bytes"),
    "float-to-from-pcm16": (lambda: from_pcm16(OK), "data", "float32"),
    "float-to-base64": (lambda: to_base64(OK), "pcm", "float32"),
    "bad-base64": (lambda: from_base64("not base64!"), "audio", "not valid base64"),
    "odd-base64": (lambda: from_base64(base64.b64encode(b"abc").decode()), "audio", "3 bytes"),
    # options
    "chunk-ms-zero": (lambda: list(chunks(OK, 24000, ms=0)), "ms", "0"),
    "chunk-ms-nan": (lambda: list(chunks(OK, 24000, ms=float("nan"))), "ms", "nan"),
    "chunk-under-one-sample": (lambda: list(chunks(OK, 8000, ms=0.01)), "ms", "0.01"),
    "resample-quality": (lambda: resample(OK, 24000, 16000, quality="best"), "quality", "best"),
    "stream-quality": (lambda: ResampleStream(24000, 16000, quality="hq"), "quality", "hq"),
    "stream-channels-zero": (lambda: ResampleStream(48000, 24000, channels=0), "channels", "0"),
    "loudness-too-short": (lambda: loudness(OK[:4800], 24000), "y", "0.200 s"),
    "normalize-silence": (lambda: normalize_loudness(OK, 24000), "y", "silence"),
    "peak-of-silence": (lambda: normalize_peak(OK), "y", "silence"),
    "bit-rate-too-low": (lambda: encode(OK, 24000, "mp3", bit_rate=8), "bit_rate", "8"),
    "surround-mp3": (lambda: encode(np.zeros((2400, 6), dtype=np.float32), 24000, "mp3"), "y", "6 channels"),
}


@pytest.mark.parametrize("case", list(BAD_CALLS), ids=list(BAD_CALLS))
def test_bad_input_raises_parameter_error_with_expected_got_and_fix(case):
    call, param, got_fragment = BAD_CALLS[case]
    with pytest.raises(ParameterError) as info:
        call()
    error = info.value
    assert isinstance(error, VoicelabError) and isinstance(error, ValueError)
    assert error.param == param
    assert error.expected and error.fix, str(error)
    assert got_fragment in error.got
    assert str(error).startswith(f"{param}: expected {error.expected}; got {error.got} — {error.fix}")


@pytest.mark.parametrize(
    "fmt", ["flac", "mp3", "ogg", "mp4", "webm"], ids=["flac", "mp3", "ogg", "mp4", "webm"]
)
def test_read_of_corrupted_files_raises_parameter_error_or_decodes(rng, fmt):
    data = READ_CASES[fmt](tone(440.0, 0.5, 24000))
    for _ in range(15):
        cut = int(rng.integers(1, len(data)))
        noise = rng.integers(0, 256, size=int(rng.integers(1, 400)), dtype=np.uint8).tobytes()
        for damaged in (data[:cut], data[:64] + noise, noise):
            try:
                audio = read(damaged)
            except ParameterError as error:
                assert error.param == "source"
            else:
                assert audio.y.dtype == np.float32 and np.isfinite(audio.y).all()


def test_big_endian_int16_is_converted_by_value():
    big = np.array([1, -2, 300], dtype=">i2")
    assert from_base64(to_base64(big)).tolist() == [1, -2, 300]
    np.testing.assert_array_equal(to_pcm16(from_pcm16(big)), [1, -2, 300])


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=5000),
    sr=st.sampled_from([8000, 11025, 16000, 22050, 24000, 44100, 48000]),
    ms=st.floats(min_value=0.5, max_value=250.0),
)
def test_chunks_always_rebuild_the_signal_and_keep_their_length(n, sr, ms):
    y = np.arange(n, dtype=np.float32) / n
    parts = list(chunks(y, sr, ms=ms))
    np.testing.assert_array_equal(np.concatenate(parts), y)
    step = sr * ms / 1000
    assert all(abs(len(p) - step) <= 1 for p in parts[:-1])
    assert 0 < len(parts[-1]) <= round(step) + 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=-4.0, max_value=4.0, width=32), min_size=1, max_size=200))
def test_pcm16_never_wraps_and_round_trips_within_one_lsb(values):
    y = np.array(values, dtype=np.float32)
    pcm = to_pcm16(y)
    assert np.all(np.sign(pcm) == np.sign(np.round(np.clip(y, -1, 1) * 32767)))
    clipped = np.clip(y, -1, 1)
    assert np.max(np.abs(from_pcm16(pcm) - clipped)) <= LSB


@pytest.mark.parametrize(
    ("n", "sr", "channels"),
    [(3, 200_000, 1), (1, 8000, 1), (5000, 7000, 2), (44100, 44100, 6)],
    ids=["3-samples-200k", "1-sample-8k", "7k-stereo", "44k1-6ch"],
)
def test_audio_html_works_for_tiny_odd_rate_and_surround_audio(n, sr, channels):
    y = np.full((n,) if channels == 1 else (n, channels), 0.1, dtype=np.float32)
    html = Audio(y, sr)._repr_html_()
    embedded = read(_embedded_mp3(html))
    assert embedded.sr == 16000 and embedded.channels == 1
    assert embedded.duration == pytest.approx(n / sr, abs=0.01)


# --------------------------------------------------------------------------- true peak and the limiter


def test_true_peak_finds_the_peak_between_samples():
    t = np.arange(48000) / 48000
    y = np.sin(2 * np.pi * 12000 * t + np.pi / 4).astype(np.float32)  # every sample at ±0.707
    assert 20 * np.log10(np.abs(y).max()) == pytest.approx(-3.01, abs=0.01)
    assert true_peak_db(y, 48000) == pytest.approx(0.0, abs=0.1)
    assert true_peak_db(np.zeros(4800, dtype=np.float32), 48000) == -np.inf


@pytest.mark.parametrize("channels", [1, 2], ids=["mono", "stereo"])
def test_limit_holds_the_true_peak_and_leaves_quiet_parts_alone(channels):
    t = np.arange(48000) / 24000
    y = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    y[24000:24480] *= 4.0  # a 20 ms burst at 1.2 (+1.6 dBFS)
    if channels == 2:
        y = np.stack([y, 0.5 * y], axis=1)
    out = limit(y, 24000, ceiling_db=-1.0)
    assert out.shape == y.shape and out.dtype == np.float32
    assert true_peak_db(out, 24000) <= -1.0
    # far from the burst (more than look-ahead before it, release after it) nothing changed
    assert np.array_equal(out[:23000], y[:23000]) and np.array_equal(out[27000:], y[27000:])
    # the burst was turned down, not clipped: its shape (ratio to the input) changes smoothly
    gain = (out if channels == 1 else out[:, 0])[23800:25000] / (y if channels == 1 else y[:, 0])[23800:25000]
    finite = np.isfinite(gain) & (np.abs((y if channels == 1 else y[:, 0])[23800:25000]) > 0.05)
    assert np.abs(np.diff(gain[finite])).max() < 0.05


def test_limit_does_nothing_under_the_ceiling(rng):
    y = (0.1 * rng.standard_normal(24000)).astype(np.float32)
    assert np.array_equal(limit(y, 24000, ceiling_db=-1.0), y)


def test_normalize_loudness_with_a_true_peak_ceiling_reaches_both():
    speech = samples.load("en_weather")
    plain = normalize_loudness(speech.y, speech.sr, target_lufs=-14.0)
    assert true_peak_db(plain, speech.sr) > 0.0  # this target clips without a limiter
    safe = normalize_loudness(speech.y, speech.sr, target_lufs=-14.0, true_peak_db=-1.0)
    assert loudness(safe, speech.sr) == pytest.approx(-14.0, abs=0.1)
    assert true_peak_db(safe, speech.sr) <= -1.0


@pytest.mark.parametrize("bad", [0.5, float("nan"), -100.0, True, "-1"], ids=repr)
def test_limit_and_normalize_reject_a_bad_ceiling(bad):
    y = np.zeros(24000, dtype=np.float32)
    y[100] = 0.5
    with pytest.raises(ParameterError) as info:
        limit(y, 24000, ceiling_db=bad)
    assert info.value.param == "ceiling_db"
    with pytest.raises(ParameterError) as info:
        normalize_loudness(y + 0.01, 24000, true_peak_db=bad)
    assert info.value.param == "true_peak_db"
@pytest.mark.parametrize("fmt", ["flac", "wav", "mp3", "aac"])
def test_read_stops_at_max_seconds(fmt):
    """Decoding stops once past the cap (libsndfile and FFmpeg paths); within it, nothing changes."""
    y = (0.1 * np.sin(np.arange(3 * 16000) / 16000 * 2 * np.pi * 440)).astype(np.float32)
    data = encode(np.stack([y, y], axis=1), 16000, fmt)
    with pytest.raises(AudioTooLongError) as caught:
        read(data, mono=True, max_seconds=1.0)
    assert caught.value.max_seconds == 1.0 and caught.value.param == "source"
    whole, capped = read(data, mono=True), read(data, mono=True, max_seconds=5.0)
    assert capped.sr == whole.sr and capped.channels == 1
    np.testing.assert_allclose(capped.y, whole.y, atol=1e-6)
    with pytest.raises(ParameterError, match="max_seconds"):
        read(data, max_seconds=0)


def test_reading_an_mp3_writes_nothing_to_stderr(capfd):
    """libsndfile's mpg123 printed "part2_3_length … too large" for LAME files: notebooks showed errors."""
    speech = samples.load("en_weather")
    data = voicelab.audio.encode(speech.y, speech.sr, "mp3")
    decoded = voicelab.audio.read(data)
    assert capfd.readouterr().err == ""
    assert decoded.sr == speech.sr and len(decoded.y) == len(speech.y)  # LAME's gapless header honoured
    assert np.corrcoef(decoded.y, speech.y)[0, 1] > 0.95
