"""Per-turn figures of voice agents, the same for speech-to-speech and chained: latency, tokens, cost.

Examples
--------
>>> table = MetricsTable([{"approach": "s2s", "turn": 0, "kind": "voice", "first_audio_s": 0.81,
...                        "total_s": 1.9, "tokens": 420, "cost_usd": 0.0123}])
>>> print(table)
approach  turn  kind   first audio (s)  total (s)  tokens  cost (USD)
s2s       0     voice  0.81             1.90       420     0.012300
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["MetricsTable", "compare", "turn_metrics"]

_COLUMNS = [
    ("approach", "approach", "{}"),
    ("turn", "turn", "{}"),
    ("kind", "kind", "{}"),
    ("first_audio_s", "first audio (s)", "{:.2f}"),
    ("total_s", "total (s)", "{:.2f}"),
    ("tokens", "tokens", "{}"),
    ("cost_usd", "cost (USD)", "{:.6f}"),
]


def _fmt(value: Any, spec: str) -> str:
    return "-" if value is None else spec.format(value)


@dataclass(frozen=True)
class MetricsTable:
    """Rows of per-turn figures; prints as an aligned table, ``.rows`` for plots; ``.mean(column,
    approach)``."""

    rows: list[dict[str, Any]]

    def mean(self, column: str, approach: str | None = None) -> float | None:
        values = [
            r[column]
            for r in self.rows
            if r.get(column) is not None and (approach is None or r["approach"] == approach)
        ]
        return sum(values) / len(values) if values else None

    def __repr__(self) -> str:
        cells = [[title for _, title, _ in _COLUMNS]]
        cells += [[_fmt(row.get(key), spec) for key, _, spec in _COLUMNS] for row in self.rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(_COLUMNS))]
        return "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
        )

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{title}</th>" for _, title, _ in _COLUMNS)
        body = "".join(
            "<tr>" + "".join(f"<td>{_fmt(row.get(k), s)}</td>" for k, _, s in _COLUMNS) + "</tr>"
            for row in self.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def turn_metrics(source: Any, *, approach: str | None = None) -> MetricsTable:
    """Per-turn time to first audio, total time, tokens and cost of a RealtimeSession or a ChainedAgent.

    A Realtime turn's cost is its ``response.done`` usage priced for the session's model (plus nothing for
    transcription, which is billed per item and shown in ``session.cost``); a chained turn's is the sum of its
    three stages.
    """
    from voicelab.pricing import cost

    rows: list[dict[str, Any]] = []
    if hasattr(source, "core"):  # RealtimeSession
        model = source.core.session.get("model") or source.model
        for turn in source.turns:
            usage = turn.response.usage if turn.response else None
            rows.append(
                {
                    "approach": approach or "speech-to-speech",
                    "turn": turn.index,
                    "kind": turn.kind,
                    "first_audio_s": turn.time_to_first_audio,
                    "total_s": turn.total_time,
                    "tokens": (usage or {}).get("total_tokens"),
                    "cost_usd": cost(usage, model).total if usage else None,
                }
            )
    else:  # ChainedAgent
        for turn in source.turns:
            rows.append(
                {
                    "approach": approach or "chained",
                    "turn": turn.index,
                    "kind": "voice",
                    "first_audio_s": turn.time_to_first_audio,
                    "total_s": turn.total_time,
                    "tokens": sum(turn.tokens.values()),
                    "cost_usd": turn.cost.total,
                }
            )
    return MetricsTable(rows)


def compare(**runs: Any) -> MetricsTable:
    """One table over several runs: ``compare(speech_to_speech=session, chained=agent)``."""
    rows: list[dict[str, Any]] = []
    for name, run in runs.items():
        rows += turn_metrics(run, approach=name.replace("_", "-")).rows
    return MetricsTable(rows)
