"""Plots of audio: waveform and spectrogram (matplotlib).

Same habits as librosa's ``display``: each function takes ``ax=None`` (the current axes), returns
the artist it drew, never calls ``plt.show()``, and puts time in seconds on the x axis. Stereo
input is down-mixed to mono first.

``timeline`` (a Realtime session's events and audio on one time axis) lives in :mod:`voicelab.timeline`
and is re-exported here.

Japanese text
    Importing this module registers the font IPAexGothic, shipped inside the PyPI package
    ``matplotlib-fontja`` (IPA Font License v1.0), and appends it to ``rcParams["font.family"]`` as a
    fallback: Latin text keeps matplotlib's default font (DejaVu Sans), and each character DejaVu Sans lacks
    (kana, kanji, full-width punctuation) is drawn with IPAexGothic instead of □ with a "Glyph missing"
    warning. No system font is needed. :mod:`voicelab.vad.plots` and :mod:`voicelab.pricing.plots` import this
    module, so their figures get it too; :func:`use_japanese_font` applies it again after a style change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from matplotlib import mlab

from voicelab.audio import _check_sr, to_mono
from voicelab.errors import ParameterError
from voicelab.fonts import JAPANESE_FONT, use_japanese_font
from voicelab.timeline import timeline

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.collections import PolyCollection, QuadMesh
    from matplotlib.lines import Line2D


__all__ = ["JAPANESE_FONT", "speaker_turns", "spectrogram", "timeline", "use_japanese_font", "waveform"]

def _axes(ax: Axes | None) -> Axes:
    """``ax``, or pyplot's current axes when it is None (the plot modules of vad and pricing use it too)."""
    if ax is None:
        import matplotlib.pyplot as plt

        return plt.gca()
    return ax


def waveform(
    y: np.ndarray,
    sr: int,
    *,
    ax: Axes | None = None,
    max_points: int = 4000,
    offset: float = 0.0,
    **kwargs: Any,
) -> Line2D | PolyCollection:
    """Plot amplitude against time; long signals are drawn as a min/max envelope.

    A signal of at most ``max_points`` samples is drawn sample by sample (a line). A longer one
    is cut into ``max_points // 2`` equal spans and each span is drawn from its minimum to its
    maximum (a filled envelope), so a one-hour recording plots as fast as a one-second one and
    no peak is lost.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (n, channels)
        Samples; multi-channel input is down-mixed to mono.
    sr : int
        Rate in Hz.
    ax : matplotlib Axes, optional, keyword-only
        Where to draw; default the current axes.
    max_points : int, keyword-only
        Above this many samples, draw the envelope.
    offset : float, keyword-only
        Time in seconds of the first sample (to place an excerpt on a longer timeline).
    **kwargs
        Passed to ``ax.plot`` (line) or ``ax.fill_between`` (envelope), e.g. ``color``, ``alpha``.

    Returns
    -------
    matplotlib.lines.Line2D or matplotlib.collections.PolyCollection
        The line or the envelope.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> artist = waveform(np.zeros(48000, dtype=np.float32), 24000, ax=ax)
    >>> ax.get_xlabel(), type(artist).__name__ in ("PolyCollection", "FillBetweenPolyCollection")
    ('Time (s)', True)
    >>> plt.close(fig)
    """
    y = to_mono(y)
    sr = _check_sr(sr)
    if isinstance(max_points, bool) or not isinstance(max_points, (int, np.integer)) or max_points < 2:
        raise ParameterError("max_points", expected="an integer ≥ 2", got=repr(max_points),
                             fix="pass max_points=4000")
    ax = _axes(ax)
    kwargs.setdefault("color", "C0")
    artist: Line2D | PolyCollection
    if y.shape[0] <= max_points:
        times = offset + np.arange(y.shape[0]) / sr
        (artist,) = ax.plot(times, y, **kwargs)
    else:
        starts = np.linspace(0, y.shape[0], max_points // 2, endpoint=False).astype(np.int64)
        lows, highs = np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts)
        artist = ax.fill_between(offset + starts / sr, lows, highs, linewidth=0.5, **kwargs)
    ax.set_xlim(offset, offset + y.shape[0] / sr)
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Amplitude")
    return artist


def _field(segment: Any, name: str) -> Any:
    return segment[name] if isinstance(segment, dict) else getattr(segment, name)


def speaker_turns(
    y: np.ndarray,
    sr: int,
    segments: Any,
    *,
    ax: Axes | None = None,
    max_points: int = 4000,
) -> list[Line2D | PolyCollection]:
    """Plot the waveform with each speaker's turns coloured (one colour per speaker, with a legend).

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (n, channels)
        The diarized audio.
    sr : int
        Rate in Hz.
    segments : iterable
        Diarized segments with ``speaker``, ``start``, ``end`` (seconds): the SDK's
        ``TranscriptionDiarizedSegment`` objects or dicts.
    ax : matplotlib Axes, optional, keyword-only
        Where to draw; default the current axes.
    max_points : int, keyword-only
        Passed to :func:`waveform` for each piece.

    Returns
    -------
    list
        The artist of each coloured turn, in time order (the grey whole waveform is drawn underneath).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> turns = [{"speaker": "A", "start": 0.0, "end": 1.0}, {"speaker": "B", "start": 1.2, "end": 2.0}]
    >>> artists = speaker_turns(np.zeros(48000, np.float32), 24000, turns, ax=ax)
    >>> len(artists), [t.get_text() for t in ax.get_legend().get_texts()]
    (2, ['A', 'B'])
    >>> plt.close(fig)
    """
    y = to_mono(y)
    sr = _check_sr(sr)
    ax = _axes(ax)
    waveform(y, sr, ax=ax, color="0.8", max_points=max_points)
    colours: dict[str, str] = {}
    artists: list[Line2D | PolyCollection] = []
    for segment in segments:
        speaker = str(_field(segment, "speaker"))
        first = speaker not in colours
        colour = colours.setdefault(speaker, f"C{len(colours) % 10}")
        start = max(0, int(float(_field(segment, "start")) * sr))
        end = min(len(y), max(start + 2, int(float(_field(segment, "end")) * sr)))
        artist = waveform(y[start:end], sr, ax=ax, offset=start / sr, color=colour, max_points=max_points,
                          label=speaker if first else None)
        artists.append(artist)
    ax.set_xlim(0, len(y) / sr)
    if colours:
        ax.legend(title="speaker", loc="upper right")
    return artists


def spectrogram(
    y: np.ndarray,
    sr: int,
    *,
    ax: Axes | None = None,
    y_axis: Literal["linear", "log"] = "linear",
    n_fft: int = 512,
    hop_length: int | None = None,
    top_db: float = 80.0,
    offset: float = 0.0,
    cmap: str = "magma",
    **kwargs: Any,
) -> QuadMesh:
    """Plot a power spectrogram in dB (0 dB = the loudest bin) against time and frequency.

    The short-time Fourier transform is matplotlib's ``mlab.specgram`` (Hann window); values are
    ``10·log10(power / max power)`` clipped at ``-top_db``.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (n, channels)
        Samples; multi-channel input is down-mixed to mono.
    sr : int
        Rate in Hz.
    ax : matplotlib Axes, optional, keyword-only
        Where to draw; default the current axes.
    y_axis : {"linear", "log"}, keyword-only
        Frequency scale. ``"log"`` suits speech (harmonics spread evenly); the 0 Hz row is dropped.
    n_fft : int, keyword-only
        Window length in samples (512 at 24 kHz ≈ 21 ms, 47 Hz per bin).
    hop_length : int, keyword-only
        Step between windows; default ``n_fft // 4``.
    top_db : float, keyword-only
        Dynamic range shown, in dB.
    offset : float, keyword-only
        Time in seconds of the first sample.
    cmap : str, keyword-only
        Colour map.
    **kwargs
        Passed to ``ax.pcolormesh``.

    Returns
    -------
    matplotlib.collections.QuadMesh
        The image; ``fig.colorbar(mesh, label="dB")`` adds a scale.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> t = np.arange(24000) / 24000
    >>> mesh = spectrogram(np.sin(2 * np.pi * 1000 * t).astype(np.float32), 24000, ax=ax, y_axis="log")
    >>> ax.get_yscale(), ax.get_ylabel(), round(float(mesh.get_array().max()), 1)
    ('log', 'Frequency (Hz)', 0.0)
    >>> plt.close(fig)
    """
    y = to_mono(y)
    sr = _check_sr(sr)
    if y_axis not in ("linear", "log"):
        raise ParameterError("y_axis", expected='"linear" or "log"', got=repr(y_axis),
                             fix='pass y_axis="log"')
    for name, value in (("n_fft", n_fft), ("hop_length", hop_length if hop_length is not None else 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ParameterError(name, expected="a positive integer number of samples", got=repr(value),
                                 fix="leave the default")
    hop = hop_length if hop_length is not None else max(1, n_fft // 4)
    if hop > n_fft:
        raise ParameterError("hop_length", expected=f"at most n_fft ({n_fft})", got=repr(hop_length),
                             fix="leave the default n_fft // 4")
    if y.shape[0] < n_fft + hop:  # two windows at least: pad short signals with silence
        y = np.pad(y, (0, n_fft + hop - y.shape[0]))
    spec, freq_bins, window_times = mlab.specgram(y, NFFT=n_fft, Fs=sr, noverlap=n_fft - hop, mode="psd",
                                                  window=np.hanning(n_fft), scale_by_freq=False)
    power, freqs, times = np.asarray(spec), np.asarray(freq_bins), np.asarray(window_times)
    floor = np.finfo(np.float32).tiny
    db = 10.0 * np.log10(np.maximum(power, floor) / max(float(power.max()), floor))
    db = np.maximum(db, -float(top_db))
    if y_axis == "log":
        freqs, db = freqs[1:], db[1:]
    ax = _axes(ax)
    mesh = ax.pcolormesh(offset + times, freqs, db, shading="nearest", cmap=cmap,
                         vmin=-float(top_db), vmax=0.0, **kwargs)
    if y_axis == "log":
        ax.set_yscale("log")
    ax.set_ylim(float(freqs[0]), sr / 2)
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Frequency (Hz)")
    return mesh


