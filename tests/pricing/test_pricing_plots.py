"""Cost plots of the estimates (voicelab/pricing/plots.py)."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from voicelab.errors import ParameterError
from voicelab.pricing.estimate import (
    Conversation,
    compare_approaches,
    speech_to_speech,
)
from voicelab.pricing.plots import explore, plot_approaches, plot_cost_vs_turns, plot_turn_parts


def test_plot_cost_vs_turns_draws_the_cumulative_cost():
    ax = Figure().subplots()
    a = speech_to_speech(Conversation(minutes=5, turns=10))
    b = speech_to_speech(Conversation(minutes=5, turns=10), "gpt-realtime-mini")
    lines = plot_cost_vs_turns([a, b], ax=ax)
    assert [line.get_label() for line in lines] == [a.label, b.label]
    assert list(lines[0].get_ydata()) == pytest.approx([row["cumulative"] for row in a.to_rows()])
    [per_turn] = plot_cost_vs_turns(a, cumulative=False, ax=Figure().subplots())
    assert list(per_turn.get_ydata()) == pytest.approx([row["cost"] for row in a.to_rows()])


def test_plot_turn_parts_stacks_to_the_turn_cost():
    call = speech_to_speech(Conversation(minutes=5, turns=10))
    bars = plot_turn_parts(call, ax=Figure().subplots())
    tops = [rect.get_y() + rect.get_height() for rect in bars[-1]]
    assert tops == pytest.approx([row["cost"] for row in call.to_rows()])


def test_plot_approaches_and_default_axes():
    import matplotlib.pyplot as plt

    rows = compare_approaches(calls=1000)
    fig = plt.figure()
    try:
        bars = plot_approaches(rows)  # ax=None: the current axes
        assert bars.patches[0].axes is fig.axes[0]
        assert [p.get_width() for p in bars.patches] == pytest.approx([r.total for r in rows])
    finally:
        plt.close(fig)
    with pytest.raises(ParameterError):
        plot_approaches(rows, value="median", ax=Figure().subplots())
    with pytest.raises(ParameterError):
        plot_cost_vs_turns([], ax=Figure().subplots())


def test_explore_draws_on_a_new_figure_and_returns_the_result():
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    try:
        result = explore("gpt-realtime", minutes=2, turns=4, concurrent_calls=3)
        new = set(plt.get_fignums()) - before
        assert len(new) == 1
        [number] = new
        assert len(plt.figure(number).axes[0].patches) == 4 * 3  # 4 turns × input/cached/output bars
        assert result.lines.concurrent_calls == 3
    finally:
        for number in set(plt.get_fignums()) - before:
            plt.close(number)
