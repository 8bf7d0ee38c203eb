"""VAD plots: waveform with speech probability and detected turns; ROC curves; trade-off curves.

Same habits as :mod:`voicelab.plots`: ``ax=None`` means the current axes, each function returns what it
drew, nothing calls ``plt.show()``, time is in seconds on the x axis.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from voicelab.errors import ParameterError
from voicelab.plots import _axes  # importing voicelab.plots registers the Japanese font (no □)
from voicelab.vad.evaluation import (
    EvaluationSet,
    PreparedSample,
    _condition_key,
    _pooled,
    auc,
    roc_curve,
    turns,
)
from voicelab.vad.server_vad import ServerVADParams, VADEvent
from voicelab.vad.table import Table

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

__all__ = ["billed_vs_threshold", "roc", "tradeoff", "turn_splits", "vad_overlay"]


def vad_overlay(y: np.ndarray, sr: int, probs: np.ndarray, *, frame_ms: float, threshold: float = 0.5,
                events: Iterable[VADEvent] | None = None,
                segments: Sequence[tuple[float, float]] | None = None, ax: Axes | None = None) -> Line2D:
    """Waveform, per-frame speech probability (right axis), threshold line and detected turns.

    Parameters
    ----------
    y, sr : ndarray, int
        The audio.
    probs : ndarray
        One probability per frame (from a detector).
    frame_ms : float
        The detector's frame length.
    threshold : float
        Drawn as a dashed horizontal line on the probability axis.
    events : iterable of VADEvent, optional
        Each detected turn is shaded from ``audio_start_ms`` to ``audio_end_ms`` (what is committed and
        billed); the speech part (``speech_start_ms`` → ``speech_end_ms``) is shaded darker.
    segments : sequence of (start_s, end_s), optional
        Labelled speech, drawn as a black bar under the waveform.
    ax : matplotlib Axes, optional
        Where to draw the waveform (the probability goes on ``ax.twinx()``).

    Returns
    -------
    matplotlib.lines.Line2D
        The probability curve.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> line = vad_overlay(np.zeros(24000, np.float32), 24000, np.zeros(31), frame_ms=32, ax=ax)
    >>> line.get_label()
    'speech probability'
    >>> plt.close(fig)
    """
    from voicelab.plots import waveform

    probs = np.asarray(probs, dtype=float).reshape(-1)
    if not frame_ms or frame_ms <= 0:
        raise ParameterError("frame_ms", expected="the detector's positive frame length in ms",
                             got=repr(frame_ms))
    ax = _axes(ax)
    waveform(y, sr, ax=ax, color="0.6", alpha=0.8)
    peak = float(np.max(np.abs(y))) if np.size(y) else 1.0
    ax.set_ylim(-1.05 * max(peak, 1e-3), 1.05 * max(peak, 1e-3))
    if segments:
        for k, (s, e) in enumerate(segments):
            ax.hlines(-1.0 * max(peak, 1e-3), s, e, colors="k", linewidth=4,
                      label="labelled speech" if k == 0 else "_nolegend_")
    if events is not None:
        for k, t in enumerate(turns(events)):
            end = t.audio_end_ms if t.audio_end_ms is not None else len(y) / sr * 1000
            speech_end = t.speech_end_ms if t.speech_end_ms is not None else end
            ax.axvspan(t.audio_start_ms / 1000, end / 1000, color="C2", alpha=0.15,
                       label="committed turn" if k == 0 else None)
            ax.axvspan(t.speech_start_ms / 1000, speech_end / 1000, color="C2", alpha=0.25,
                       label="detected speech" if k == 0 else None)
    twin = ax.twinx()
    times = (np.arange(probs.size) + 0.5) * frame_ms / 1000.0
    (line,) = twin.plot(times, probs, color="C1", linewidth=1.2, label="speech probability")
    twin.axhline(threshold, color="C3", linestyle="--", linewidth=1, label=f"threshold {threshold:g}")
    twin.set_ylim(-0.02, 1.02)
    twin.set_ylabel("Speech probability")
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    twin.legend(handles=handles, loc="upper right", fontsize="small")
    return line


def roc(evalset: EvaluationSet, *, detector: str = "silero", conditions: Sequence[str] | None = None,
        ax: Axes | None = None) -> list[Line2D]:
    """ROC curve of one detector, one line per condition (clean, snr20, …), AUC in the legend.

    Returns
    -------
    list of matplotlib.lines.Line2D

    Examples
    --------
    >>> lines = roc(voicelab.vad.evaluation.prepare(progress=False), detector="energy")  # doctest: +SKIP
    """
    ax = _axes(ax)
    conds = list(conditions) if conditions is not None else sorted(
        {s.condition for s in evalset.samples}, key=_condition_key)
    lines = []
    for cond in conds:
        group = [s for s in evalset.samples if s.condition == cond]
        if not group:
            raise ParameterError("conditions", expected="conditions present in the set", got=repr(cond))
        fpr, tpr, _ = roc_curve(*_pooled(group, detector))
        (line,) = ax.plot(fpr, tpr, label=f"{cond} (AUC {auc(fpr, tpr):.3f})")
        lines.append(line)
    ax.plot([0, 1], [0, 1], color="0.7", linestyle=":", linewidth=1)
    ax.set_xlabel("False-positive rate (non-speech frames called speech)")
    ax.set_ylabel("True-positive rate (speech frames found)")
    ax.set_title(f"ROC — {detector}")
    ax.legend(loc="lower right", fontsize="small")
    return lines


def _lines_by(table: Table, x: str, y: str, group: str, ax: Axes, *, label: str,
              annotate: str | None = None, annotate_only: object = None) -> list[Line2D]:
    for col in (x, y, group):
        if col not in table.columns:
            raise ParameterError("table", expected=f"a column {col!r}", got=f"columns {table.columns}")
    lines = []
    for value in sorted({r[group] for r in table}):
        sub = table.where(**{group: value}).sorted(x)
        xs, ys = sub.column(x), sub.column(y)
        (line,) = ax.plot(xs, ys, marker="o", markersize=4, label=label.format(value))
        lines.append(line)
        if annotate and (annotate_only is None or value == annotate_only):
            for row, xv, yv in zip(sub, xs, ys, strict=True):
                ax.annotate(f"{row[annotate]}", (xv, yv), textcoords="offset points", xytext=(3, 3),
                            fontsize="x-small", color=line.get_color())
    ax.legend(fontsize="small")
    return lines


def tradeoff(table: Table, *, x: str = "eot_latency_ms", y: str = "false_cut_rate", group: str = "threshold",
             annotate: str | None = "silence_duration_ms", annotate_only: object = None,
             ax: Axes | None = None) -> list[Line2D]:
    """False cuts against end-of-turn latency from a :func:`~voicelab.vad.evaluation.sweep` table.

    One line per ``group`` value (default: threshold), points labelled with ``annotate``
    (default: silence_duration_ms) — on every line, or only on the line of ``group == annotate_only``.
    Pick the point nearest the lower-left corner you can afford.

    Returns
    -------
    list of matplotlib.lines.Line2D

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> rows = [{"threshold": 0.5, "silence_duration_ms": s, "eot_latency_ms": s + 96.0,
    ...          "false_cut_rate": c} for s, c in ((300, 0.6), (500, 0.5), (900, 0.0))]
    >>> fig, ax = plt.subplots()
    >>> [line.get_label() for line in tradeoff(Table(rows), ax=ax)]
    ['threshold = 0.5']
    >>> plt.close(fig)
    """
    ax = _axes(ax)
    lines = _lines_by(table, x, y, group, ax, label=f"{group} = {{}}", annotate=annotate,
                      annotate_only=annotate_only)
    ax.set_xlabel("End-of-turn latency (ms)" if x == "eot_latency_ms" else x)
    ax.set_ylabel("Pauses cut (fraction)" if y == "false_cut_rate" else y)
    return lines


def billed_vs_threshold(table: Table, *, group: str = "silence_duration_ms", y: str = "billed_tokens",
                        ax: Axes | None = None) -> list[Line2D]:
    """Billed input-audio tokens per utterance (1 token / 100 ms) against the VAD threshold.

    Returns
    -------
    list of matplotlib.lines.Line2D

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> rows = [{"threshold": t, "silence_duration_ms": 500, "billed_tokens": 50 - t} for t in (0.3, 0.7)]
    >>> fig, ax = plt.subplots()
    >>> billed_vs_threshold(Table(rows), ax=ax)[0].get_ydata().tolist()
    [49.7, 49.3]
    >>> plt.close(fig)
    """
    ax = _axes(ax)
    lines = _lines_by(table, "threshold", y, group, ax, label=f"{group} = {{}}")
    ax.set_xlabel("threshold")
    ax.set_ylabel("Billed audio tokens per utterance" if y == "billed_tokens" else y)
    return lines


def turn_splits(sample: PreparedSample, silence_durations_ms: Sequence[int], *, threshold: float = 0.5,
                prefix_padding_ms: int = 300, detector: str = "silero", ax: Axes | None = None) -> list[str]:
    """Where each ``silence_duration_ms`` ends turns in one utterance, under its labelled phrases.

    The top row shows the labelled phrases (their text written on them) and the pauses between them; each
    row below is one ``silence_duration_ms``: a bar per detected turn (``speech_start_ms`` →
    ``speech_end_ms``), a new colour at every cut.

    Returns
    -------
    list of str
        The y tick labels, top to bottom.

    Examples
    --------
    >>> turn_splits(sample, [200, 500])  # doctest: +SKIP
    ['labelled', '200 ms', '500 ms']
    """
    from voicelab.vad.language import detected_turns

    ax = _axes(ax)
    labels = ["labelled", *(f"{ms} ms" for ms in silence_durations_ms)]
    rows = len(labels)
    phrases = sample.phrases or ("",) * len(sample.segments)
    for k, ((start, end), phrase) in enumerate(zip(sample.segments, phrases, strict=True)):
        ax.broken_barh([(start, end - start)], (rows - 1 - 0.35, 0.7), color="0.75")
        ax.text((start + end) / 2, rows - 1, phrase, ha="center", va="center", fontsize="small")
        if k + 1 < len(sample.segments):
            ax.axvspan(end, sample.segments[k + 1][0], color="C3", alpha=0.08)
    for row, ms in enumerate(silence_durations_ms):
        params = ServerVADParams(threshold=threshold, silence_duration_ms=int(ms),
                                 prefix_padding_ms=prefix_padding_ms)
        for k, t in enumerate(detected_turns(sample, params, detector=detector)):
            end = t.speech_end_ms if t.speech_end_ms is not None else sample.padded_ms
            ax.broken_barh([(t.speech_start_ms / 1000, (end - t.speech_start_ms) / 1000)],
                           (rows - 2 - row - 0.3, 0.6), color=f"C{k % 10}", alpha=0.8)
    ax.set_yticks(range(rows - 1, -1, -1), labels)
    ax.set_ylim(-0.6, rows - 0.4)
    ax.set_xlim(0, sample.duration_ms / 1000)
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("silence_duration_ms")
    ax.set_title(f"{sample.name}: turns detected (threshold {threshold:g})", fontsize="medium")
    return labels
