"""voicelab.plots: waveform and spectrogram draw what the signal holds, on the right axes."""

from __future__ import annotations

import doctest

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PolyCollection, QuadMesh
from matplotlib.lines import Line2D

import voicelab.plots
from voicelab.errors import ParameterError
from voicelab.plots import spectrogram, waveform


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("plot helpers must not call plt.show()")

    monkeypatch.setattr(plt, "show", refuse)


def tone(freq: float, seconds: float, sr: int) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * freq * np.arange(round(seconds * sr)) / sr)).astype(np.float32)


def test_docstring_examples_run():
    result = doctest.testmod(voicelab.plots)
    assert result.attempted >= 8 and result.failed == 0


def test_short_waveform_is_a_line_in_seconds(ax):
    y = tone(100.0, 0.1, 24000)
    line = waveform(y, 24000, ax=ax, color="C3")
    assert isinstance(line, Line2D)
    np.testing.assert_allclose(line.get_xdata()[[0, -1]], [0.0, (len(y) - 1) / 24000])
    np.testing.assert_array_equal(line.get_ydata(), y)
    assert ax.get_xlabel() == "Time (s)"
    assert ax.get_xlim() == pytest.approx((0.0, 0.1))


def test_long_waveform_is_an_envelope_that_keeps_every_peak(ax, rng):
    sr = 24000
    y = (0.01 * rng.standard_normal(sr * 600)).astype(np.float32)  # 10 minutes
    y[sr * 123 + 17] = 0.9  # one click, a single sample wide
    y[sr * 456 + 3] = -0.8
    envelope = waveform(y, sr, ax=ax, max_points=2000)
    assert isinstance(envelope, PolyCollection)
    vertices = np.concatenate([path.vertices for path in envelope.get_paths()])
    assert len(vertices) < 5000  # drawn from ~1000 spans, not 14 million samples
    assert vertices[:, 1].max() == pytest.approx(0.9)
    assert vertices[:, 1].min() == pytest.approx(-0.8)
    top = vertices[np.argmax(vertices[:, 1]), 0]
    assert top == pytest.approx(123.0, abs=600 / 1000)  # the click sits at its time, within one span
    assert ax.get_xlim() == pytest.approx((0.0, 600.0))


def test_waveform_offset_and_stereo_and_current_axes():
    fig = plt.figure()
    try:
        stereo = np.stack([tone(50.0, 0.05, 8000), np.zeros(400, dtype=np.float32)], axis=1)
        line = waveform(stereo, 8000, offset=2.0)
        assert line.axes is plt.gca()
        assert line.get_xdata()[0] == 2.0
        np.testing.assert_allclose(line.get_ydata(), stereo.mean(axis=1), rtol=1e-6)
    finally:
        plt.close(fig)


@pytest.mark.parametrize("y_axis", ["linear", "log"], ids=["linear", "log"])
def test_spectrogram_shows_a_tone_at_its_frequency_in_db(ax, y_axis):
    sr = 24000
    mesh = spectrogram(tone(1500.0, 1.0, sr), sr, ax=ax, y_axis=y_axis, top_db=60.0)
    assert isinstance(mesh, QuadMesh)
    db = np.asarray(mesh.get_array()).reshape(-1, mesh.get_coordinates().shape[1] - 1)
    assert db.max() == pytest.approx(0.0) and db.min() >= -60.0
    freqs = mesh.get_coordinates()[:, 0, 1]
    centres = (freqs[:-1] + freqs[1:]) / 2
    loudest_row = np.argmax(db.mean(axis=1))
    assert centres[loudest_row] == pytest.approx(1500.0, abs=sr / 512)  # within one bin
    assert ax.get_yscale() == y_axis
    assert ax.get_ylim()[1] == pytest.approx(sr / 2)
    assert ax.get_xlabel() == "Time (s)" and ax.get_ylabel() == "Frequency (Hz)"
    times = mesh.get_coordinates()[0, :, 0]
    assert times.min() >= -0.02 and times.max() <= 1.02


def test_spectrogram_of_silence_and_of_a_very_short_signal(ax):
    mesh = spectrogram(np.zeros(100, dtype=np.float32), 16000, ax=ax)
    assert np.isfinite(np.asarray(mesh.get_array())).all()


BAD_CALLS = {
    "y-axis": (lambda ax: spectrogram(tone(440.0, 0.1, 8000), 8000, ax=ax, y_axis="mel"), "y_axis"),
    "n-fft": (lambda ax: spectrogram(tone(440.0, 0.1, 8000), 8000, ax=ax, n_fft=0), "n_fft"),
    "hop": (
        lambda ax: spectrogram(tone(440.0, 0.1, 8000), 8000, ax=ax, n_fft=256, hop_length=512),
        "hop_length",
    ),
    "rate": (lambda ax: spectrogram(tone(440.0, 0.1, 8000), 0, ax=ax), "sr"),
    "nan": (lambda ax: waveform(np.array([np.nan], dtype=np.float32), 8000, ax=ax), "y"),
    "3-d": (lambda ax: waveform(np.zeros((4, 2, 2), dtype=np.float32), 8000, ax=ax), "y"),
    "max-points": (lambda ax: waveform(tone(440.0, 0.1, 8000), 8000, ax=ax, max_points=1), "max_points"),
}


@pytest.mark.parametrize("case", list(BAD_CALLS), ids=list(BAD_CALLS))
def test_bad_input_raises_parameter_error(ax, case):
    call, param = BAD_CALLS[case]
    with pytest.raises(ParameterError) as info:
        call(ax)
    assert info.value.param == param and info.value.fix


def test_timeline_is_re_exported_by_plots_and_the_realtime_package():
    import voicelab.realtime
    from voicelab.timeline import timeline

    assert voicelab.plots.timeline is timeline and voicelab.realtime.timeline is timeline
    assert "timeline" in voicelab.plots.__all__


# ------------------------------------------------------------------ Japanese text


JAPANESE = "日本語のタイトル：音声の波形（ｋＨｚ）、ゆっくり話す"


def _fonts_drawing(text):
    from matplotlib import font_manager

    return [str(path) for path in font_manager.fontManager._find_fonts_by_props(text.get_fontproperties())]


@pytest.mark.parametrize("module", ["voicelab.plots", "voicelab.vad.plots", "voicelab.pricing.plots"])
def test_japanese_text_renders_with_the_shipped_font_without_missing_glyphs(module):
    import importlib
    import warnings

    from matplotlib.ft2font import FT2Font

    importlib.import_module(module)
    fig, ax = plt.subplots()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "Glyph … missing from font(s)" would be raised here
            waveform(np.zeros(2400, dtype=np.float32), 24_000, ax=ax)
            title = ax.set_title(JAPANESE)
            label = ax.set_xlabel("時間 (s)")
            fig.canvas.draw()
        shipped = voicelab.plots.use_japanese_font()
        assert "matplotlib_fontja" in str(shipped)
        for text in (title, label):
            fonts = _fonts_drawing(text)
            assert fonts[0].endswith("DejaVuSans.ttf")  # Latin text keeps the default font
            assert str(shipped) in fonts  # … and the shipped font is the fallback, not a system font
        covered = FT2Font(str(shipped)).get_charmap()
        assert all(ord(ch) in covered for ch in JAPANESE if not ch.isascii())
    finally:
        plt.close(fig)


def test_use_japanese_font_is_idempotent():
    import matplotlib

    before = list(matplotlib.rcParams["font.family"])
    voicelab.plots.use_japanese_font()
    voicelab.plots.use_japanese_font()
    assert matplotlib.rcParams["font.family"] == before
    assert before.count(voicelab.plots.JAPANESE_FONT) == 1
