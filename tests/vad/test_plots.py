"""VAD plots draw what they say and return their artists."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from voicelab.errors import ParameterError
from voicelab.vad import ServerVAD, SileroDetector
from voicelab.vad import plots as vad_plots
from voicelab.vad.table import Table

from .conftest import SR


def test_overlay_draws_probability_threshold_and_turns(ax, speech_in_silence):
    probs = SileroDetector().probabilities(speech_in_silence, SR)
    events = ServerVAD().feed_probabilities(probs)
    line = vad_plots.vad_overlay(speech_in_silence, SR, probs, frame_ms=32, threshold=0.6, events=events,
                                 segments=[(1.0, 2.0)], ax=ax)
    assert len(line.get_ydata()) == len(probs)
    np.testing.assert_allclose(line.get_xdata()[0], 0.016)
    twin = line.axes
    assert [t.get_text() for t in twin.get_legend().get_texts()] == [
        "labelled speech", "committed turn", "detected speech", "speech probability", "threshold 0.6"]
    spans = [p for p in ax.patches]
    assert len(spans) == 2  # one turn: committed audio + detected speech
    x0 = spans[0].get_x()
    assert x0 == pytest.approx(events[0].audio_start_ms / 1000)


def test_tradeoff_and_billed_curves(ax):
    rows = [{"threshold": t, "silence_duration_ms": s, "eot_latency_ms": s + 100.0,
             "false_cut_rate": 1.0 - s / 1000, "billed_tokens": 40 + s / 100 - 2 * t}
            for t in (0.3, 0.5) for s in (200, 500, 900)]
    table = Table(rows)
    lines = vad_plots.tradeoff(table, ax=ax)
    assert len(lines) == 2
    assert lines[0].get_xdata().tolist() == [300.0, 600.0, 1000.0]
    assert lines[0].get_label() == "threshold = 0.3"
    fig, ax2 = plt.subplots()
    lines = vad_plots.billed_vs_threshold(table, ax=ax2)
    assert [ln.get_label() for ln in lines] == [f"silence_duration_ms = {s}" for s in (200, 500, 900)]
    assert lines[0].get_ydata().tolist() == pytest.approx([41.4, 41.0])
    plt.close(fig)
    with pytest.raises(ParameterError):
        vad_plots.tradeoff(table, x="nope", ax=ax)


def test_roc_plot_has_one_curve_per_condition(ax, tiny_set):
    lines = vad_plots.roc(tiny_set, detector="silero", ax=ax)
    assert [ln.get_label().split(" ")[0] for ln in lines] == ["clean", "snr20"]
    assert all(ln.get_xdata()[0] == 0 and ln.get_xdata()[-1] == 1 for ln in lines)
    with pytest.raises(ParameterError):
        vad_plots.roc(tiny_set, conditions=["snr99"], ax=ax)
