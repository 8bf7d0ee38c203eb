"""Measure detectors and turn detection against labelled speech.

Two levels:

**Frames** — a detector's probabilities against per-frame truth (a frame is speech when more than half
of it lies inside a labelled segment, as :func:`voicelab.samples.frame_labels`):
:func:`frame_scores` (precision / recall / F1 at a threshold), :func:`roc_curve` and :func:`auc`.

**Turns** — the events of a :class:`~voicelab.vad.ServerVAD` (or :class:`~voicelab.vad.SemanticVAD`) run
over one utterance, against its segments (:func:`turn_metrics`). Each labelled sample is *one* user
turn made of phrases separated by pauses. Definitions (all in ms on the audio timeline):

- ``start_latency_ms`` — when speech was *reported* (``SpeechStarted.at_ms``) minus the labelled start
  of speech: what a barge-in waits for.
- ``eot_latency_ms`` (end-of-turn latency) — ``audio_end_ms`` of the first ``SpeechStopped`` decided
  after the labelled end of the last phrase, minus that end: how long the user waits before the model
  may answer. ``None`` if the turn never ended (the sample is followed by ``pad_s`` of its own trailing
  background, see :func:`prepare`).
- **false cut** — a ``SpeechStopped`` decided before the labelled end of the utterance: the user was
  interrupted. A cut is charged to the pause it happened in (``speech_end_ms`` within
  ``[pause_start - 150 ms, pause_end]``); ``false_cut_rate`` = pauses cut / pauses.
- **false start** — a turn whose speech (``speech_start_ms`` → ``speech_end_ms``) touches no labelled
  segment: noise taken for speech.
- **billed audio** — each committed turn is ``[audio_start_ms, audio_end_ms)`` (prefix padding and
  trailing silence included, as OpenAI commits it; an unfinished turn runs to the end of the audio).
  User audio is 1 token per 100 ms; voicelab rounds each committed turn up to a whole token. Summaries
  report ``billed_tokens`` per utterance: all of its committed turns (a false cut adds a turn, and
  with it another prefix padding and another trailing silence).

:func:`prepare` computes each detector's probabilities **once** per sample; :func:`evaluate` and
:func:`sweep` then only re-run the state machine, so a sweep of hundreds of settings takes seconds.

Examples
--------
>>> import numpy as np
>>> truth = np.array([0, 0, 1, 1, 1, 0], dtype=bool)
>>> probs = np.array([0.1, 0.6, 0.9, 0.8, 0.2, 0.1])
>>> {k: round(v, 3) for k, v in frame_scores(probs, truth, threshold=0.5).items()}
{'precision': 0.667, 'recall': 0.667, 'f1': 0.667, 'accuracy': 0.667}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np

from voicelab.errors import ParameterError
from voicelab.protocol.billing import audio_tokens
from voicelab.protocol.session import SERVER_VAD_DEFAULTS
from voicelab.vad.detectors import Detector, EnergyDetector, SileroDetector, frame_levels_db
from voicelab.vad.semantic import SemanticVAD
from voicelab.vad.server_vad import (
    ServerVAD,
    ServerVADParams,
    SpeechStarted,
    SpeechStopped,
    VADEvent,
)
from voicelab.vad.table import Table

__all__ = [
    "EvaluationSet",
    "PreparedSample",
    "Turn",
    "auc",
    "cue_table",
    "evaluate",
    "frame_scores",
    "frame_table",
    "frame_truth",
    "prepare",
    "recommend",
    "roc_curve",
    "summarize",
    "sweep",
    "turn_metrics",
    "turns",
]

_PAUSE_SLACK_MS = 150.0


# ------------------------------------------------------------------------------------------------ frames


def frame_truth(segments: Sequence[tuple[float, float]], n_frames: int, frame_ms: float) -> np.ndarray:
    """Per-frame truth from speech segments in seconds: more than half of the frame inside a segment.

    Examples
    --------
    >>> frame_truth([(0.05, 0.1)], 5, 20).astype(int)
    array([0, 0, 0, 1, 1])
    """
    frame = frame_ms / 1000.0
    starts = np.arange(n_frames) * frame
    overlap = np.zeros(n_frames)
    for s, e in segments:
        overlap += np.clip(np.minimum(starts + frame, e) - np.maximum(starts, s), 0.0, None)
    return overlap > frame / 2 + 1e-12


def _check_pair(probs: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(probs, dtype=float).reshape(-1)
    t = np.asarray(truth, dtype=bool).reshape(-1)
    if p.shape != t.shape:
        raise ParameterError("truth", expected=f"one label per probability ({p.size})",
                             got=f"{t.size} labels")
    return p, t


def frame_scores(probs: np.ndarray, truth: np.ndarray, *, threshold: float = 0.5) -> dict[str, float]:
    """Precision, recall, F1 and accuracy of ``probs >= threshold`` against ``truth``.

    Undefined ratios (no predicted or no true speech) are ``0.0``.

    Examples
    --------
    >>> frame_scores([0.9, 0.9, 0.1, 0.1], [1, 0, 1, 0], threshold=0.5)["f1"]
    0.5
    """
    p, t = _check_pair(np.asarray(probs), np.asarray(truth))
    pred = p >= threshold
    tp = float(np.sum(pred & t))
    fp = float(np.sum(pred & ~t))
    fn = float(np.sum(~pred & t))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = float(np.mean(pred == t)) if t.size else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "accuracy": accuracy}


def roc_curve(probs: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Receiver operating characteristic: false- and true-positive rates over all thresholds.

    Returns
    -------
    fpr, tpr, thresholds : ndarray
        Starting at (0, 0) (threshold ``inf``) and ending at (1, 1); frames with equal probability
        move together.

    Examples
    --------
    >>> fpr, tpr, thr = roc_curve([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0])
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    """
    p, t = _check_pair(np.asarray(probs), np.asarray(truth))
    positives, negatives = int(t.sum()), int((~t).sum())
    if positives == 0 or negatives == 0:
        raise ParameterError("truth", expected="both speech and non-speech frames",
                             got=f"{positives} speech and {negatives} non-speech frames")
    order = np.argsort(-p, kind="stable")
    p_sorted, t_sorted = p[order], t[order]
    last_of_group = np.r_[np.nonzero(np.diff(p_sorted))[0], p_sorted.size - 1]
    tps = np.cumsum(t_sorted)[last_of_group]
    fps = (last_of_group + 1) - tps
    tpr = np.r_[0.0, tps / positives]
    fpr = np.r_[0.0, fps / negatives]
    return fpr, tpr, np.r_[np.inf, p_sorted[last_of_group]]


def auc(fpr: np.ndarray, tpr: np.ndarray) -> float:
    """Area under a curve by the trapezoid rule (for :func:`roc_curve` output).

    Examples
    --------
    >>> auc(*roc_curve([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0])[:2])
    0.75
    """
    x, y = np.asarray(fpr, dtype=float), np.asarray(tpr, dtype=float)
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2.0))


# ------------------------------------------------------------------------------------------------ turns


@dataclass(frozen=True)
class Turn:
    """One detected turn: from a ``SpeechStarted`` to its ``SpeechStopped`` (``None`` if still open)."""

    audio_start_ms: int
    speech_start_ms: int
    started_at_ms: int
    audio_end_ms: int | None = None
    speech_end_ms: int | None = None


def turns(events: Iterable[VADEvent]) -> list[Turn]:
    """Pair ``SpeechStarted``/``SpeechStopped`` events into turns (timeouts are skipped).

    Examples
    --------
    >>> turns([SpeechStarted(700, 1000, 1128), SpeechStopped(2512, 2000)])[0].audio_end_ms
    2512
    """
    out: list[Turn] = []
    open_turn: SpeechStarted | None = None
    for e in events:
        if isinstance(e, SpeechStarted):
            open_turn = e
        elif isinstance(e, SpeechStopped) and open_turn is not None:
            out.append(Turn(open_turn.audio_start_ms, open_turn.speech_start_ms, open_turn.at_ms,
                            e.audio_end_ms, e.speech_end_ms))
            open_turn = None
    if open_turn is not None:
        out.append(Turn(open_turn.audio_start_ms, open_turn.speech_start_ms, open_turn.at_ms))
    return out


def turn_metrics(events: Iterable[VADEvent], segments: Sequence[tuple[float, float]], *,
                 end_ms: float) -> dict[str, Any]:
    """Turn-level metrics of one utterance (see the module docs for the definitions).

    Parameters
    ----------
    events : iterable of VADEvent
        What the state machine emitted for the whole utterance.
    segments : sequence of (start_s, end_s)
        Labelled speech segments of the utterance, in seconds (one user turn).
    end_ms : float
        Length of the audio that was fed (closes an unfinished turn for billing).

    Returns
    -------
    dict
        ``start_latency_ms``, ``eot_latency_ms`` (``None`` if missed), ``false_cuts``, ``pauses_cut``
        (one bool per pause), ``false_starts``, ``n_turns``, ``billed_ms``, ``billed_tokens``.

    Examples
    --------
    >>> events = [SpeechStarted(700, 1024, 1152), SpeechStopped(2016, 1504),
    ...           SpeechStarted(2016, 2112, 2240), SpeechStopped(3520, 3008)]
    >>> m = turn_metrics(events, [(1.0, 1.5), (2.1, 3.0)], end_ms=5000)
    >>> m["start_latency_ms"], m["eot_latency_ms"], m["false_cuts"], m["pauses_cut"], m["billed_tokens"]
    (152.0, 520.0, 1, (True,), 30)
    """
    segs_ms = [(s * 1000.0, e * 1000.0) for s, e in segments]
    if not segs_ms:
        raise ParameterError("segments", expected="at least one speech segment", got="none")
    true_start, true_end = segs_ms[0][0], segs_ms[-1][1]
    pauses = [(segs_ms[i][1], segs_ms[i + 1][0]) for i in range(len(segs_ms) - 1)]
    detected = turns(events)

    def touches_speech(t: Turn) -> bool:
        t_end = t.speech_end_ms if t.speech_end_ms is not None else end_ms
        return any(t.speech_start_ms < e and t_end > s for s, e in segs_ms)

    real = [t for t in detected if touches_speech(t)]
    start_latency = float(real[0].started_at_ms - true_start) if real else None
    ends = [t for t in real if t.audio_end_ms is not None and t.audio_end_ms >= true_end]
    first_end = ends[0].audio_end_ms if ends else None
    eot_latency = float(first_end - true_end) if first_end is not None else None
    cuts = [t for t in real if t.audio_end_ms is not None and t.audio_end_ms < true_end]
    pauses_cut = tuple(
        any(t.speech_end_ms is not None and ps - _PAUSE_SLACK_MS <= t.speech_end_ms <= pe for t in cuts)
        for ps, pe in pauses)
    billed = [(t.audio_end_ms if t.audio_end_ms is not None else end_ms) - t.audio_start_ms for t in detected]
    return {
        "start_latency_ms": start_latency,
        "eot_latency_ms": eot_latency,
        "false_cuts": len(cuts),
        "pauses_cut": pauses_cut,
        "false_starts": len(detected) - len(real),
        "n_turns": len(detected),
        "billed_ms": float(sum(billed)),
        "billed_tokens": sum(audio_tokens(ms, "user") for ms in billed),
    }


# ------------------------------------------------------------------------------------------------ data set


@dataclass
class PreparedSample:
    """One labelled sample with its detector outputs, computed once.

    ``probs[detector_name]`` and ``levels_db[detector_name]`` are on that detector's frame grid;
    ``truth[detector_name]`` is the matching per-frame truth.
    """

    name: str
    segments: tuple[tuple[float, float], ...]
    condition: str
    language: str
    duration_ms: float
    padded_ms: float
    probs: dict[str, np.ndarray] = field(default_factory=dict)
    levels_db: dict[str, np.ndarray] = field(default_factory=dict)
    truth: dict[str, np.ndarray] = field(default_factory=dict)
    frame_ms: dict[str, float] = field(default_factory=dict)
    phrases: tuple[str, ...] = ()  # what is said in each segment (voicelab.samples; empty if unknown)

    @property
    def pauses_ms(self) -> list[float]:
        segs = self.segments
        return [(segs[i + 1][0] - segs[i][1]) * 1000.0 for i in range(len(segs) - 1)]


@dataclass
class EvaluationSet:
    """Prepared samples plus the detectors used (see :func:`prepare`)."""

    samples: list[PreparedSample]
    detectors: dict[str, Detector]

    def __len__(self) -> int:
        return len(self.samples)

    def __repr__(self) -> str:
        conds = sorted({s.condition for s in self.samples})
        return (f"EvaluationSet({len(self.samples)} samples, detectors={sorted(self.detectors)}, "
                f"conditions={conds})")

    def where(self, *, condition: str | None = None, language: str | None = None) -> EvaluationSet:
        """The samples of one condition (``"clean"``, ``"snr20"``, …) and/or language."""
        kept = [s for s in self.samples if (condition is None or s.condition == condition)
                and (language is None or s.language == language)]
        return EvaluationSet(kept, self.detectors)

    @property
    def pause_lengths_ms(self) -> list[int]:
        """Distinct labelled pause lengths, rounded to 100 ms."""
        return sorted({int(round(p / 100.0) * 100) for s in self.samples for p in s.pauses_ms})


def _extend_with_background(y: np.ndarray, sr: int, speech_end_s: float, pad_s: float) -> np.ndarray:
    """Append ``pad_s`` of the sample's own trailing background (tiled), so turns can end."""
    if pad_s <= 0:
        return y
    tail = y[min(len(y) - 1, round((speech_end_s + 0.05) * sr)):]
    if tail.size < sr // 50:  # less than 20 ms of background: pad with silence
        tail = np.zeros(sr // 10, dtype=np.float32)
    n = round(pad_s * sr)
    reps = -(-n // tail.size)
    return np.concatenate([y, np.tile(tail, reps)[:n]]).astype(np.float32)


def prepare(names: Sequence[str] | None = None, *, detectors: Sequence[Detector] | None = None,
            pad_s: float = 3.0, progress: bool = True,
            loader: Callable[[str], Any] | None = None) -> EvaluationSet:
    """Load labelled samples and run each detector over each of them once.

    Parameters
    ----------
    names : sequence of str, optional
        Sample names from :func:`voicelab.samples.manifest` (default: all).
    detectors : sequence of Detector, optional
        Default: ``SileroDetector()`` and ``EnergyDetector()``.
    pad_s : float
        Seconds of the sample's own trailing background appended, so slow settings can still end the
        turn inside the audio (turn metrics only; frame metrics use the labelled duration).
    progress : bool
        Show a ``tqdm.auto`` progress bar.
    loader : callable, optional
        ``name -> SampleInfo-like`` for tests; default reads :mod:`voicelab.samples`.

    Returns
    -------
    EvaluationSet

    Examples
    --------
    >>> evalset = prepare(["en_weather", "en_weather_snr5"], progress=False)   # doctest: +SKIP
    >>> evalset  # doctest: +SKIP
    EvaluationSet(2 samples, detectors=['energy', 'silero'], conditions=['clean', 'snr5'])
    """
    from tqdm.auto import tqdm

    from voicelab import samples as sample_set

    dets: list[Detector] = list(detectors) if detectors is not None else [SileroDetector(), EnergyDetector()]
    infos = {i.name: i for i in sample_set.manifest()} if loader is None else {}
    chosen = list(names) if names is not None else list(infos)
    prepared: list[PreparedSample] = []
    for name in tqdm(chosen, desc="detectors", disable=not progress, leave=False):
        if loader is None:
            if name not in infos:
                raise ParameterError("names", expected="sample names from voicelab.samples.manifest()",
                                     got=repr(name), fix=f"pick from: {', '.join(infos)}")
            info = infos[name]
            audio = sample_set.load(name)
        else:
            info = loader(name)
            audio = info.audio
        y, sr = audio.y, audio.sr
        segments = tuple((float(s), float(e)) for s, e in info.segments)
        condition = "clean" if info.snr_db is None else f"snr{info.snr_db:g}"
        duration_ms = 1000.0 * len(y) / sr
        y_padded = _extend_with_background(y, sr, segments[-1][1], pad_s)
        sample = PreparedSample(name=name, segments=segments, condition=condition,
                                language=getattr(info, "language", "?"), duration_ms=duration_ms,
                                padded_ms=1000.0 * len(y_padded) / sr,
                                phrases=tuple(getattr(info, "phrases", ())))
        for det in dets:
            probs = det.probabilities(y_padded, sr)
            sample.probs[det.name] = probs
            sample.levels_db[det.name] = frame_levels_db(y_padded, sr, frame_ms=det.frame_ms)
            sample.truth[det.name] = frame_truth(segments, probs.size, det.frame_ms)
            sample.frame_ms[det.name] = float(det.frame_ms)
        prepared.append(sample)
    return EvaluationSet(prepared, {d.name: d for d in dets})


def frame_table(evalset: EvaluationSet, *, threshold: float = 0.5) -> Table:
    """Frame precision / recall / F1 at ``threshold`` and ROC AUC, per detector and condition.

    Frames are pooled over the samples of a condition (labelled duration only, not the padding).

    Examples
    --------
    >>> frame_table(prepare(progress=False)).where(detector="silero", condition="clean")  # doctest: +SKIP
    detector  condition  precision  recall     f1    auc
    silero    clean          0.955   0.963  0.959  0.990
    """
    rows = []
    conditions = sorted({s.condition for s in evalset.samples}, key=_condition_key)
    for det in sorted(evalset.detectors):
        for cond in conditions:
            group = [s for s in evalset.samples if s.condition == cond]
            probs, truth = _pooled(group, det)
            scores = frame_scores(probs, truth, threshold=threshold)
            rows.append({"detector": det, "condition": cond, "precision": scores["precision"],
                         "recall": scores["recall"], "f1": scores["f1"],
                         "auc": auc(*roc_curve(probs, truth)[:2])})
    return Table(rows)


def _pooled(group: Sequence[PreparedSample], det: str) -> tuple[np.ndarray, np.ndarray]:
    probs, truth = [], []
    for s in group:
        n = int(s.duration_ms // s.frame_ms[det])
        probs.append(s.probs[det][:n])
        truth.append(s.truth[det][:n])
    return np.concatenate(probs), np.concatenate(truth)


def _condition_key(cond: str) -> tuple[int, float]:
    return (0, 0.0) if cond == "clean" else (1, -float(cond.removeprefix("snr")))


# ------------------------------------------------------------------------------------------------ runs


VADFactory = Callable[[float], ServerVAD]


def _run(sample: PreparedSample, det: str, make_vad: VADFactory) -> dict[str, Any]:
    vad = make_vad(sample.frame_ms[det])
    if isinstance(vad, SemanticVAD):
        events = vad.feed_probabilities(sample.probs[det], levels_db=sample.levels_db[det])
    else:
        events = vad.feed_probabilities(sample.probs[det])
    return turn_metrics(events, sample.segments, end_ms=vad.position_ms)


class _GridDetector:
    """Carries only a frame length: the state machine needs nothing else to replay probabilities."""

    name = "replay"

    def __init__(self, frame_ms: float) -> None:
        self.frame_ms = frame_ms

    def probabilities(self, y: np.ndarray, sr: int) -> np.ndarray:  # pragma: no cover - never called
        raise NotImplementedError

    def stream(self, sr: int = 24000) -> Any:  # pragma: no cover - never called
        raise NotImplementedError


def _server_factory(params: ServerVADParams) -> VADFactory:
    return lambda frame_ms: ServerVAD(params, detector=_GridDetector(frame_ms))


def _semantic_factory(eagerness: str) -> VADFactory:
    return lambda frame_ms: SemanticVAD(eagerness, detector=_GridDetector(frame_ms))  # type: ignore[arg-type]


def evaluate(evalset: EvaluationSet, params: ServerVADParams | str | None = None, *,
             detector: str = "silero") -> Table:
    """Turn metrics of every sample for one setting.

    Parameters
    ----------
    evalset : EvaluationSet
        From :func:`prepare`.
    params : ServerVADParams or str, optional
        A ``server_vad`` setting (default OpenAI's), or a ``semantic_vad`` eagerness
        (``"low"``, ``"medium"``, ``"high"``, ``"auto"``).
    detector : str
        Which prepared detector's probabilities to replay.

    Returns
    -------
    Table
        One row per sample.

    Examples
    --------
    >>> rows = evaluate(evalset, ServerVADParams(silence_duration_ms=700))  # doctest: +SKIP
    >>> rows = evaluate(evalset, "low")                                    # doctest: +SKIP
    """
    factory = _factory(params)
    _check_detector(evalset, detector)
    rows = []
    for s in evalset.samples:
        m = _run(s, detector, factory)
        rows.append({"sample": s.name, "condition": s.condition, **m})
    return Table(rows)


def _factory(params: ServerVADParams | str | None) -> VADFactory:
    if params is None:
        return _server_factory(ServerVADParams())
    if isinstance(params, str):
        SemanticVAD(params)  # type: ignore[arg-type]
        return _semantic_factory(params)
    if isinstance(params, ServerVADParams):
        return _server_factory(params)
    raise ParameterError("params", expected="a ServerVADParams or a semantic_vad eagerness",
                         got=type(params).__name__)


def _check_detector(evalset: EvaluationSet, detector: str) -> None:
    if detector not in evalset.detectors:
        raise ParameterError("detector", expected=f"one of {sorted(evalset.detectors)}", got=repr(detector),
                             fix="prepare() the evaluation set with that detector")


def summarize(per_sample: Table, *, pause_lengths_ms: Sequence[int] | None = None,
              pauses_of: dict[str, list[float]] | None = None) -> dict[str, Any]:
    """Aggregate :func:`evaluate` rows: mean latencies, cut rates, billed tokens per utterance.

    ``pauses_of`` maps a sample name to its pause lengths (ms) for the per-length cut rates.

    Examples
    --------
    >>> rows = Table([{"sample": "a", "start_latency_ms": 150.0, "eot_latency_ms": 600.0, "false_cuts": 1,
    ...                "pauses_cut": (True, False), "false_starts": 0, "billed_tokens": 40}])
    >>> s = summarize(rows)
    >>> s["eot_latency_ms"], s["false_cut_rate"], s["billed_tokens"]
    (600.0, 0.5, 40.0)
    """
    rows = list(per_sample)
    starts = [r["start_latency_ms"] for r in rows if r["start_latency_ms"] is not None]
    eots = [r["eot_latency_ms"] for r in rows if r["eot_latency_ms"] is not None]
    all_pauses = [cut for r in rows for cut in r["pauses_cut"]]
    out: dict[str, Any] = {
        "start_latency_ms": float(np.mean(starts)) if starts else None,
        "eot_latency_ms": float(np.mean(eots)) if eots else None,
        "eot_p90_ms": float(np.percentile(eots, 90)) if eots else None,
        "false_cut_rate": float(np.mean(all_pauses)) if all_pauses else 0.0,
        "cuts_per_turn": float(np.mean([r["false_cuts"] for r in rows])) if rows else 0.0,
    }
    if pauses_of is not None and pause_lengths_ms:
        for length in pause_lengths_ms:
            hits = [cut for r in rows for cut, p in zip(r["pauses_cut"], pauses_of[r["sample"]], strict=True)
                    if int(round(p / 100.0) * 100) == length]
            out[f"cut_{length}ms"] = float(np.mean(hits)) if hits else None
    out["false_starts"] = int(sum(r["false_starts"] for r in rows))
    out["missed_ends"] = int(sum(r["eot_latency_ms"] is None for r in rows))
    out["billed_tokens"] = float(np.mean([r["billed_tokens"] for r in rows])) if rows else 0.0
    return out


def sweep(evalset: EvaluationSet, *, thresholds: Sequence[float] = (0.5,),
          silence_durations_ms: Sequence[int] = (500,), prefix_paddings_ms: Sequence[int] = (300,),
          detectors: Sequence[str] = ("silero",), min_speech_ms: int = 100, progress: bool = True) -> Table:
    """Replay the state machine over a grid of settings; one summary row per setting.

    Parameters
    ----------
    evalset : EvaluationSet
        From :func:`prepare` (probabilities are computed there, once).
    thresholds, silence_durations_ms, prefix_paddings_ms : sequences
        The grid (``server_vad`` parameters).
    detectors : sequence of str
        Prepared detectors to replay.
    min_speech_ms : int
        voicelab's minimum speech run (kept fixed across the grid).
    progress : bool
        Show a ``tqdm.auto`` progress bar.

    Returns
    -------
    Table
        Columns: ``detector``, ``threshold``, ``silence_duration_ms``, ``prefix_padding_ms``, then the
        :func:`summarize` figures (``cut_<N>ms`` for each labelled pause length).

    Examples
    --------
    >>> table = sweep(evalset, thresholds=[0.3, 0.5], silence_durations_ms=[300, 700])  # doctest: +SKIP
    >>> len(table)  # doctest: +SKIP
    4
    """
    from tqdm.auto import tqdm

    for det in detectors:
        _check_detector(evalset, det)
    grid = list(product(detectors, thresholds, silence_durations_ms, prefix_paddings_ms))
    lengths = evalset.pause_lengths_ms
    pauses_of = {s.name: s.pauses_ms for s in evalset.samples}
    rows = []
    for det, thr, silence, pad in tqdm(grid, desc="sweep", disable=not progress, leave=False):
        params = ServerVADParams(threshold=thr, silence_duration_ms=silence, prefix_padding_ms=pad,
                                 min_speech_ms=min_speech_ms)
        factory = _server_factory(params)
        per_sample = Table({"sample": s.name, **_run(s, det, factory)} for s in evalset.samples)
        rows.append({"detector": det, "threshold": float(thr), "silence_duration_ms": int(silence),
                     "prefix_padding_ms": int(pad),
                     **summarize(per_sample, pause_lengths_ms=lengths, pauses_of=pauses_of)})
    return Table(rows)


def recommend(table: Table, *, pause_ms: int, threshold: float = SERVER_VAD_DEFAULTS["threshold"],
              prefix_padding_ms: int = SERVER_VAD_DEFAULTS["prefix_padding_ms"], detector: str = "silero",
              baseline_silence_ms: int = SERVER_VAD_DEFAULTS["silence_duration_ms"]) -> dict[str, Any]:
    """The shortest ``silence_duration_ms`` of a :func:`sweep` that cut none of the ``pause_ms`` pauses.

    Parameters
    ----------
    table : Table
        A :func:`sweep` result containing ``cut_<pause_ms>ms``.
    pause_ms : int
        The pause length users must be allowed (one of the labelled lengths, e.g. 600).
    threshold, prefix_padding_ms, detector
        Which slice of the sweep to read.
    baseline_silence_ms : int
        The setting to compare with (OpenAI's default, 500 ms).

    Returns
    -------
    dict
        ``silence_duration_ms`` (``None`` if no setting in the sweep is safe), its ``eot_latency_ms``,
        ``false_cut_rate`` and ``billed_tokens``, the baseline's, and the differences
        ``extra_latency_ms`` and ``extra_tokens``.

    Examples
    --------
    >>> rows = [{"detector": "silero", "threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": s,
    ...          "eot_latency_ms": s + 96.0, "false_cut_rate": c, "cut_600ms": c, "billed_tokens": 50.0}
    ...         for s, c in ((500, 0.75), (700, 0.0))]
    >>> advice = recommend(Table(rows), pause_ms=600)
    >>> advice["silence_duration_ms"], advice["extra_latency_ms"]
    (700, 200.0)
    """
    column = f"cut_{pause_ms}ms"
    if column not in table.columns:
        raise ParameterError("pause_ms", expected="a labelled pause length present in the sweep",
                             got=repr(pause_ms), fix=f"columns are {table.columns}")
    rows = table.where(detector=detector, threshold=float(threshold), prefix_padding_ms=prefix_padding_ms)
    rows = rows.sorted("silence_duration_ms")
    if not len(rows):
        raise ParameterError("table", expected="rows for that detector/threshold/prefix_padding_ms",
                             got="none")
    safe = [r for r in rows if r[column] == 0.0]
    base = rows.where(silence_duration_ms=baseline_silence_ms)
    base_row = base[0] if len(base) else None
    best = safe[0] if safe else None
    out: dict[str, Any] = {
        "pause_ms": pause_ms, "threshold": float(threshold), "detector": detector,
        "silence_duration_ms": best["silence_duration_ms"] if best else None,
        "eot_latency_ms": best["eot_latency_ms"] if best else None,
        "false_cut_rate": best["false_cut_rate"] if best else None,
        "billed_tokens": best["billed_tokens"] if best else None,
        "baseline_silence_ms": baseline_silence_ms,
        "baseline_cut_rate": base_row[column] if base_row else None,
        "baseline_eot_latency_ms": base_row["eot_latency_ms"] if base_row else None,
        "baseline_billed_tokens": base_row["billed_tokens"] if base_row else None,
    }
    if best and base_row and best["eot_latency_ms"] is not None and base_row["eot_latency_ms"] is not None:
        out["extra_latency_ms"] = best["eot_latency_ms"] - base_row["eot_latency_ms"]
        out["extra_tokens"] = best["billed_tokens"] - base_row["billed_tokens"]
    else:
        out["extra_latency_ms"] = out["extra_tokens"] = None
    return out


def cue_table(evalset: EvaluationSet, *, detector: str = "silero", falling_db_per_s: float = 20.0,
              tolerance_ms: float = 200.0) -> Table:
    """How often :class:`~voicelab.vad.SemanticVAD`'s acoustic cue says "finished" at the end of an
    utterance vs in a pause inside it.

    Every silence the state machine enters within ``tolerance_ms`` of the end of a labelled phrase is
    classified: the last phrase's end is an *utterance end*, the others are *pauses*. A useful cue says
    "finished" at most utterance ends and few pauses.

    Returns
    -------
    Table
        Rows ``where`` = ``"utterance end"`` / ``"pause"`` with ``silences``, ``finished`` and
        ``finished_rate``.

    Examples
    --------
    >>> cue_table(evalset)  # doctest: +SKIP
    where          silences  finished  finished_rate
    utterance end        20        17          0.850
    pause                33        26          0.788
    """
    _check_detector(evalset, detector)
    counts = {"utterance end": [0, 0], "pause": [0, 0]}
    for s in evalset.samples:
        vad = SemanticVAD("low", detector=_GridDetector(s.frame_ms[detector]),
                          falling_db_per_s=falling_db_per_s)
        vad.feed_probabilities(s.probs[detector], levels_db=s.levels_db[detector])
        ends = [e * 1000.0 for _, e in s.segments]
        for at_ms, cue in vad.cue_history:
            distance = [abs(at_ms - e) for e in ends]
            k = int(np.argmin(distance))
            if distance[k] > tolerance_ms:
                continue
            key = "utterance end" if k == len(ends) - 1 else "pause"
            counts[key][0] += 1
            counts[key][1] += cue == "finished"
    return Table({"where": k, "silences": n, "finished": f, "finished_rate": f / n if n else 0.0}
                 for k, (n, f) in counts.items())
