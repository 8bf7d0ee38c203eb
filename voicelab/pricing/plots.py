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

from collections.abc import Iterable, Sequence
from typing import Any

import voicelab.plots  # noqa: F401  (registers the Japanese font: no □ in Japanese labels)
from voicelab.errors import ParameterError
from voicelab.pricing.estimate import ApproachCost, ConversationEstimate, ScenarioResult, scenario

__all__ = ["explore", "plot_approaches", "plot_cost_vs_turns", "plot_turn_parts"]


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.gca()


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
    ax.legend(fontsize="small")
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
    ax.legend(fontsize="small")
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
    titles = {
        "total": f"cost of {rows[0].calls:,} calls of {rows[0].minutes:g} min (USD)",
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

        _, ax = plt.subplots(figsize=(8, 3.5))
    plot_turn_parts(result.estimate, ax=ax)
    return result
