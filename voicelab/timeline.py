"""Event timeline of a voice conversation: user speech, VAD events, response audio, pipeline stages,
latencies.

The plot reads the session event log (the same records ``RealtimeSession.log`` holds and ``events.jsonl``
stores), so a live session, a replayed recording and a chained pipeline run plot the same way. The records it
uses, all with times in seconds on the session clock:

- ``input_audio_buffer.speech_started`` / ``speech_stopped`` with ``at`` (when that audio was sent);
  ``input_audio_buffer.committed`` / ``timeout_triggered`` at ``t``;
- ``voicelab.user_speech`` ``{start, end}`` (a chained pipeline's utterance);
- ``voicelab.response_audio`` ``{item_id, start, end}`` (playback of an assistant item; the last record of an
  item wins, so a barge-in shortens it);
- ``voicelab.stage`` ``{name, start, end}`` (stt / llm / tts of the chained pipeline);
- ``voicelab.turn`` ``{index, start, first_audio, done}`` (latencies).

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> records = [{"t": 0.2, "type": "voicelab.user_speech", "start": 0.0, "end": 1.0},
...            {"t": 1.5, "type": "voicelab.response_audio", "item_id": "a", "start": 1.6, "end": 2.4},
...            {"t": 2.4, "type": "voicelab.turn", "index": 0, "start": 1.0, "first_audio": 1.6, "done": 2.0}]
>>> data = TimelineData.from_records(records)
>>> data.speech, data.latencies
([(0.0, 1.0)], [(1.0, 1.6, 0)])
>>> ax = timeline(records)
>>> ax.get_xlabel()
'Time (s)'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import voicelab.fonts  # noqa: F401  (registers the Japanese fallback font)
from voicelab.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["TimelineData", "timeline"]

_VAD_LABELS = {
    "input_audio_buffer.speech_started": "start",
    "input_audio_buffer.speech_stopped": "stop",
    "input_audio_buffer.committed": "commit",
    "input_audio_buffer.timeout_triggered": "timeout",
}
_COLORS = {
    "user": "tab:blue",
    "assistant": "tab:orange",
    "stt": "tab:green",
    "llm": "tab:purple",
    "tts": "tab:red",
    "vad": "0.35",
    "latency": "tab:red",
    "barge_in": "tab:red",
}


@dataclass
class TimelineData:
    """What the timeline draws, as plain lists of times in seconds."""

    speech: list[tuple[float, float]] = field(default_factory=list)
    vad: list[tuple[float, str]] = field(default_factory=list)
    audio: list[tuple[float, float]] = field(default_factory=list)
    stages: list[tuple[str, float, float]] = field(default_factory=list)
    latencies: list[tuple[float, float, int]] = field(default_factory=list)
    barge_ins: list[float] = field(default_factory=list)

    @classmethod
    def from_records(cls, records: list[dict[str, Any]]) -> TimelineData:
        """Collect spans and markers from event-log records."""
        data = cls()
        open_speech: float | None = None
        audio_by_item: dict[str, tuple[float, float]] = {}
        for rec in records:
            kind = rec.get("type", "")
            t = float(rec.get("t", 0.0))
            if kind in _VAD_LABELS:
                at = rec.get("at")
                at = t if at is None else float(at)
                data.vad.append((at, _VAD_LABELS[kind]))
                if kind.endswith("speech_started"):
                    open_speech = at
                elif kind.endswith("speech_stopped"):
                    data.speech.append((open_speech if open_speech is not None else at, at))
                    open_speech = None
            elif kind == "voicelab.user_speech":
                data.speech.append((float(rec["start"]), float(rec["end"])))
            elif kind == "voicelab.response_audio":
                audio_by_item[str(rec.get("item_id"))] = (float(rec["start"]), float(rec["end"]))
            elif kind == "voicelab.stage":
                data.stages.append((str(rec["name"]), float(rec["start"]), float(rec["end"])))
            elif kind == "voicelab.turn" and rec.get("first_audio") is not None:
                data.latencies.append(
                    (float(rec["start"]), float(rec["first_audio"]), int(rec.get("index", 0)))
                )
            elif kind == "voicelab.barge_in":
                data.barge_ins.append(t)
        if open_speech is not None:
            end = max([open_speech] + [float(r.get("t", 0.0)) for r in records])
            data.speech.append((open_speech, end))
        data.audio = sorted(audio_by_item.values())
        return data

    @property
    def end(self) -> float:
        """The last time anything happens."""
        times = [e for _, e in self.speech] + [e for _, e in self.audio] + [e for _, _, e in self.stages]
        times += [t for t, _ in self.vad] + [b for _, b, _ in self.latencies]
        return max(times, default=1.0)


def _as_data(source: Any) -> TimelineData:
    if isinstance(source, TimelineData):
        return source
    if isinstance(source, list):
        return TimelineData.from_records(source)
    for attr in ("timeline_data",):
        if hasattr(source, attr):
            return getattr(source, attr)()
    for attr in ("log", "events"):
        value = getattr(source, attr, None)
        if isinstance(value, list):
            return TimelineData.from_records(value)
    raise ParameterError(
        "source",
        expected="a RealtimeSession, a Recording, a ChainedRun, TimelineData or a list of event-log records",
        got=type(source).__name__,
    )


def timeline(
    source: Any, *, ax: Axes | None = None, title: str | None = None, xlim: tuple[float, float] | None = None
) -> Axes:
    """Plot a conversation's event timeline: speech, VAD events, response audio and latencies.

    Rows from top to bottom: the user's speech, VAD events (ticks), pipeline stages when there are any
    (STT, LLM, TTS of a chained pipeline), and the assistant's audio as it plays. A red arrow per turn spans
    from the end of the user's turn to the first response audio, labelled with that latency.

    Parameters
    ----------
    source : RealtimeSession, Recording, ChainedRun, TimelineData or list of dict
        Anything with an event log (``.log`` / ``.events``), or the records themselves.
    ax : matplotlib Axes, optional, keyword-only
        Where to draw; default the current axes.
    title : str, optional
    xlim : (float, float), optional
        Time range to show, e.g. the same for two timelines side by side.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (an Artist, holding the bars, ticks and arrows).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, (a, b) = plt.subplots(1, 2)
    >>> _ = timeline(TimelineData(speech=[(0, 1)], audio=[(1.5, 2)], latencies=[(1, 1.5, 0)]), ax=a,
    ...              title="speech-to-speech")
    >>> [t.get_text() for t in a.get_yticklabels()]
    ['assistant', 'VAD', 'user']
    >>> plt.close(fig)
    """
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    data = _as_data(source)
    rows = ["user", "VAD"] + (["stt", "llm", "tts"] if data.stages else []) + ["assistant"]
    y = {name: len(rows) - 1 - i for i, name in enumerate(rows)}
    h = 0.6

    def bars(spans: list[tuple[float, float]], row: str, color: str, **kw: Any) -> None:
        if spans:
            ax.broken_barh(
                [(s, max(e - s, 1e-3)) for s, e in spans], (y[row] - h / 2, h), facecolors=color, **kw
            )

    bars(data.speech, "user", _COLORS["user"], label="user speech")
    if data.vad:
        ax.vlines(
            [t for t, _ in data.vad], y["VAD"] - h / 2, y["VAD"] + h / 2, colors=_COLORS["vad"], linewidth=1.2
        )
        for i, (t, label) in enumerate(data.vad):
            # alternate above and below the ticks: "stop" and "commit" arrive a few ms apart
            above = i % 2 == 0
            ax.annotate(
                label,
                (t, y["VAD"] + (h / 2 if above else -h / 2)),
                fontsize=8,
                ha="left",
                va="bottom" if above else "top",
                color=_COLORS["vad"],
            )
    for name in ("stt", "llm", "tts"):
        bars([(s, e) for n, s, e in data.stages if n == name], name, _COLORS[name], alpha=0.8)
    bars(data.audio, "assistant", _COLORS["assistant"], label="response audio")
    for t in data.barge_ins:
        ax.axvline(t, color=_COLORS["barge_in"], linestyle=":", linewidth=1)
    for start, first_audio, _index in data.latencies:
        ax.annotate(
            "",
            xy=(first_audio, y["assistant"] + h / 2 + 0.05),
            xytext=(start, y["assistant"] + h / 2 + 0.05),
            arrowprops={"arrowstyle": "->", "color": _COLORS["latency"], "lw": 1.2},
        )
        ax.text(
            (start + first_audio) / 2,
            y["assistant"] + h / 2 + 0.12,
            f"{first_audio - start:.2f} s",
            ha="center",
            va="bottom",
            fontsize=7,
            color=_COLORS["latency"],
        )
    ax.set_yticks([y[r] for r in reversed(rows)], list(reversed(rows)))
    ax.set_ylim(-0.6, len(rows) - 0.2)
    ax.set_xlabel("Time (s)")
    ax.set_xlim(*(xlim or (0.0, data.end * 1.05 + 0.05)))
    if title:
        ax.set_title(title)
    return ax
