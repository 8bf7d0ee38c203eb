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
from voicelab.pricing.plots import explore, explorer, plot_approaches, plot_cost_vs_turns, plot_turn_parts


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


def test_legends_sit_beside_the_axes_not_over_the_bars():
    fig = Figure(figsize=(9, 3.5), layout="constrained")
    ax = fig.subplots()
    plot_turn_parts(speech_to_speech(Conversation(minutes=15, turns=30)), ax=ax)
    fig.canvas.draw()
    legend, axes = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert legend.x0 >= axes.x1  # entirely to the right of the plotting area


def test_explorer_redraws_the_chart_when_a_control_moves():
    box = explorer(at="2026-03-01")
    first = box.output.outputs
    assert [list(o.get("data", {"stream": 0})) for o in first] == [["image/png", "text/plain"], ["stream"]]
    assert first[1]["text"].startswith("gpt-realtime: 5 min, 10 turns")
    box.controls["turns"].value = 30
    second = box.output.outputs
    assert len(second) == 2  # replaced, not appended
    assert second[1]["text"].startswith("gpt-realtime: 5 min, 30 turns")
    assert second[0]["data"]["image/png"] != first[0]["data"]["image/png"]  # a new chart, not the old one
    box.controls["model"].value = "chained"
    assert box.output.outputs[1]["text"].startswith("chained")
    # labels are wide enough to be read whole
    assert all(c.style.description_width == "10em" for c in box.controls.values())
