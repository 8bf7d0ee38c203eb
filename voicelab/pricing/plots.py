"""Plots of cost estimates (matplotlib). Each takes ``ax=None`` and returns the artist(s) it drew.

Examples
--------
>>> from matplotlib.figure import Figure
>>> from voicelab.pricing.estimate import Conversation, speech_to_speech
>>> ax = Figure().subplots()
>>> lines = plot_cost_vs_turns([speech_to_speech(Conversation(minutes=5, turns=10))], ax=ax)
>>> len(lines)
1
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from voicelab.errors import ParameterError
from voicelab.plots import _axes  # importing voicelab.plots registers the Japanese font (no □)
from voicelab.pricing.estimate import ApproachCost, ConversationEstimate, ScenarioResult, scenario

__all__ = ["explore", "explorer", "plot_approaches", "plot_cost_vs_turns", "plot_turn_parts"]

EXPLORER_MODELS = ("gpt-realtime", "gpt-realtime-mini", "gpt-4o-realtime-preview", "chained")


def _legend_beside(ax: Any) -> Any:
    """A legend to the right of the axes, where it cannot cover a bar or a line (use constrained layout)."""
    return ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)


def _estimates(
    estimates: ConversationEstimate | Iterable[ConversationEstimate],
) -> list[ConversationEstimate]:
    items = [estimates] if isinstance(estimates, ConversationEstimate) else list(estimates)
    if not items or not all(isinstance(e, ConversationEstimate) for e in items):
        raise ParameterError("estimates", expected="one or more ConversationEstimate", got=repr(items)[:60])
    return items


def plot_cost_vs_turns(
    estimates: ConversationEstimate | Iterable[ConversationEstimate],
    *,
    cumulative: bool = True,
    ax: Any = None,
) -> list[Any]:
    """Cost against turn number, one line per estimate: cumulative (default) or per response.

    Returns
    -------
    list of matplotlib.lines.Line2D

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from voicelab.pricing.estimate import speech_to_speech
    >>> [line] = plot_cost_vs_turns(speech_to_speech(), cumulative=False, ax=Figure().subplots())
    """
    ax = _axes(ax)
    lines = []
    for estimate in _estimates(estimates):
        x = [turn.turn for turn in estimate.turns]
        y = [float(turn.cumulative if cumulative else turn.cost) for turn in estimate.turns]
        (line,) = ax.plot(x, y, marker="o", markersize=3, label=estimate.label)
        lines.append(line)
    ax.set_xlabel("turn")
    ax.set_ylabel("cumulative cost (USD)" if cumulative else "cost of the response (USD)")
    _legend_beside(ax)
    ax.grid(True, alpha=0.3)
    return lines


def plot_turn_parts(estimate: ConversationEstimate, *, ax: Any = None) -> list[Any]:
    """Stacked bars of each turn's cost by part (input, cached input, output, …).

    Returns
    -------
    list of matplotlib.container.BarContainer, one per part

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from voicelab.pricing.estimate import speech_to_speech
    >>> bars = plot_turn_parts(speech_to_speech(), ax=Figure().subplots())
    >>> [b.get_label() for b in bars]
    ['input', 'cached input', 'output']
    """
    ax = _axes(ax)
    (estimate,) = _estimates(estimate)
    x = [turn.turn for turn in estimate.turns]
    bottom = [0.0] * len(x)
    containers = []
    for name in [name for name, _ in estimate.turns[0].parts]:
        heights = [float(dict(turn.parts)[name]) for turn in estimate.turns]
        containers.append(ax.bar(x, heights, bottom=bottom, label=name))
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.set_xlabel("turn")
    ax.set_ylabel("cost of the response (USD)")
    ax.set_title(estimate.label, fontsize="medium")
    _legend_beside(ax)
    return containers


def plot_approaches(rows: Sequence[ApproachCost], *, value: str = "total", ax: Any = None) -> Any:
    """Horizontal bars comparing approaches (``value``: ``total``, ``per_call`` or ``per_minute``).

    Returns
    -------
    matplotlib.container.BarContainer

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from voicelab.pricing.estimate import compare_approaches
    >>> bars = plot_approaches(compare_approaches(calls=1000), ax=Figure().subplots())
    >>> len(bars)
    5
    """
    if value not in {"total", "per_call", "per_minute"}:
        raise ParameterError("value", expected="'total', 'per_call' or 'per_minute'", got=repr(value))
    if not rows:
        raise ParameterError("rows", expected="ApproachCost rows from compare_approaches()", got="nothing")
    ax = _axes(ax)
    labels = [row.label for row in rows]
    values = [float(getattr(row, value)) for row in rows]
    bars = ax.barh(labels, values)
    ax.invert_yaxis()
    ax.bar_label(
        bars, labels=[f"${v:,.2f}" if v >= 1 else f"${v:.4f}" for v in values], padding=3, fontsize="small"
    )
    lengths = {round(row.minutes, 2) for row in rows}
    each = f" of {rows[0].minutes:.3g} min" if len(lengths) == 1 else " (each call its own length)"
    titles = {
        "total": f"cost of {rows[0].calls:,} calls{each} (USD)",
        "per_call": "cost per call (USD)",
        "per_minute": "cost per call minute (USD)",
    }
    ax.set_xlabel(titles[value])
    ax.margins(x=0.25)
    return bars


def explore(
    model: str = "gpt-realtime",
    minutes: float = 5.0,
    turns: int = 10,
    caching: bool = True,
    retention_ratio: float = 1.0,
    token_limit: int = 26_904,
    vad: bool = True,
    concurrent_calls: int = 10,
    at: Any = None,
    ax: Any = None,
) -> ScenarioResult:
    """Price a scenario and draw each response's cost by part; made for ``ipywidgets.interact``.

    ``retention_ratio=1.0`` with the default ``token_limit`` (32 000 − 4 096 − 1 000 instruction tokens)
    is the session default, ``truncation: "auto"``.

    Returns
    -------
    ScenarioResult
        Displayed under the sliders; its repr is the summary.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> explore("gpt-realtime", 5, 10, ax=Figure().subplots())  # doctest: +ELLIPSIS
    gpt-realtime: 5 min, 10 turns → $0.3604 per call, ...
    """
    result = scenario(
        model,
        minutes=minutes,
        turns=turns,
        concurrent_calls=concurrent_calls,
        caching=caching,
        vad=vad,
        retention_ratio=retention_ratio,
        token_limit=token_limit,
        at=at,
    )
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(9, 3.5), layout="constrained")  # room for the legend beside
    plot_turn_parts(result.estimate, ax=ax)
    return result


def explorer(*, at: Any = None, dpi: int = 80) -> Any:
    """Sliders for :func:`explore` and a chart that is redrawn whenever one of them moves.

    The figure is drawn on a :class:`matplotlib.figure.Figure` of its own and put in an
    ``ipywidgets.Output`` as a PNG, so it redraws the same way whatever matplotlib backend the
    notebook uses (``interact`` relies on the inline backend flushing figures, which it does not
    from a slider's callback).

    Parameters
    ----------
    at : date-like, optional
        Price as of this date (see :func:`voicelab.pricing.cost`).
    dpi : int
        Resolution of the chart.

    Returns
    -------
    ipywidgets.VBox
        The controls (``.controls``, a dict by parameter name), then the output (``.output``).

    Examples
    --------
    >>> box = explorer(at="2026-03-01")
    >>> box.output.outputs[-1]["text"].splitlines()[0]  # doctest: +ELLIPSIS
    'gpt-realtime: 5 min, 10 turns → $0.3604 per call, ...'
    >>> box.controls["model"].value = "gpt-realtime-mini"   # a browser's slider does the same
    >>> box.output.outputs[-1]["text"].splitlines()[0]  # doctest: +ELLIPSIS
    'gpt-realtime-mini: 5 min, 10 turns → ...'
    """
    import io

    import ipywidgets as w
    from IPython.display import Image
    from matplotlib.figure import Figure

    style = {"description_width": "10em"}
    layout = w.Layout(width="32em")

    def slider(kind: Any, description: str, **kwargs: Any) -> Any:
        return kind(description=description, style=style, layout=layout, continuous_update=False, **kwargs)

    controls = {
        "model": w.Dropdown(options=list(EXPLORER_MODELS), value="gpt-realtime", description="model",
                            style=style, layout=layout),
        "minutes": slider(w.FloatSlider, "minutes per call", value=5, min=1, max=60, step=1),
        "turns": slider(w.IntSlider, "turns per call", value=10, min=1, max=120),
        "caching": w.Checkbox(value=True, description="prompt caching", style=style, layout=layout),
        "retention_ratio": slider(w.FloatSlider, "retention_ratio", value=1.0, min=0.1, max=1.0, step=0.05),
        "token_limit": slider(w.IntSlider, "token limit", value=26_904, min=1_000, max=26_904, step=100),
        "vad": w.Checkbox(value=True, description="server VAD", style=style, layout=layout),
        "concurrent_calls": slider(w.IntSlider, "calls at once", value=10, min=1, max=200),
    }
    output = w.Output(layout=w.Layout(min_height="330px"))

    def redraw(_change: Any = None) -> None:
        figure = Figure(figsize=(9, 3.5), dpi=dpi, layout="constrained")
        ax = figure.subplots()
        result = explore(**{name: control.value for name, control in controls.items()}, at=at, ax=ax)
        png = io.BytesIO()
        figure.savefig(png, format="png", dpi=dpi)
        output.outputs = ()
        output.append_display_data(Image(png.getvalue()))
        output.append_stdout(f"{result!r}\n")

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    columns = w.HBox([w.VBox(list(controls.values())[:4]), w.VBox(list(controls.values())[4:])])
    box = _explorer_class()([columns, output])
    box.controls = controls
    box.output = output
    return box


@functools.cache
def _explorer_class() -> Any:
    """A VBox whose text form is one line (what a notebook shows where widgets are not rendered)."""
    import ipywidgets as w

    class ScenarioExplorer(w.VBox):
        def __repr__(self) -> str:
            v = {name: control.value for name, control in self.controls.items()}
            return (f"ScenarioExplorer({v['model']}, {v['minutes']:g} min, {v['turns']} turns, "
                    f"{v['concurrent_calls']} calls at once)")

    return ScenarioExplorer
