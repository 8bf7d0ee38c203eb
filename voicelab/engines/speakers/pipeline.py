"""Speaker diarization: who spoke when, and what they said.

1. A VAD finds the speech regions (the caller passes one: :func:`voicelab.vad.regions.speech_regions`, Silero,
   in the emulator; engines do not import the VAD layer); regions longer than
   :data:`MAX_WINDOW_S` are cut into equal windows no longer than that, so a change of speaker without a
   pause is still seen at window resolution.
2. Each window is embedded (:func:`voicelab.engines.speakers.encoder.embed`); windows of at least
   :data:`MIN_CLUSTER_S` are clustered (:func:`voicelab.engines.speakers.clustering.cluster`), shorter ones
   join the most similar cluster.
3. Known speakers (reference clips) name the clusters they match; the others are ``A``, ``B``, ….
4. Whisper transcribes the whole clip once with word times; each word goes to the window holding its
   midpoint, and consecutive windows of one speaker become one segment.

Examples
--------
>>> import numpy as np
>>> diarize(np.zeros(16000, np.float32), 16000, regions=lambda y, sr: []).segments
[]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from .clustering import SAME_SPEAKER_SIMILARITY, centroids, cluster, label_clusters, match_known
from .encoder import embed

__all__ = ["MAX_WINDOW_S", "MIN_CLUSTER_S", "Diarization", "SpeakerSegment", "diarize", "speaker_windows"]

MAX_WINDOW_S = 3.0
"""Longest window embedded as one piece (s)."""
MIN_CLUSTER_S = 0.8
"""Windows shorter than this do not shape the clusters; they join the nearest one."""

Regions = list[tuple[float, float]]


@dataclass(frozen=True)
class SpeakerSegment:
    """One speaker turn: its label, times in seconds and transcript text."""

    speaker: str
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Diarization:
    """The result of :func:`diarize`: the turns in order, the full text, the language and the duration."""

    segments: list[SpeakerSegment]
    text: str
    language: str
    duration: float
    windows: list[tuple[float, float, str]] = field(default_factory=list)
    voices: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    """Each speaker label's voice in this clip: the unit-length mean embedding of its windows (for matching
    speakers across clips, :class:`voicelab.engines.speakers.registry.SpeakerRegistry`)."""


def speaker_windows(regions: Regions, *, max_window_s: float = MAX_WINDOW_S) -> Regions:
    """Cut speech regions into windows no longer than ``max_window_s`` (equal parts per region).

    Examples
    --------
    >>> [(round(a, 2), round(b, 2)) for a, b in speaker_windows([(0.0, 2.0), (3.0, 10.0)])]
    [(0.0, 2.0), (3.0, 5.33), (5.33, 7.67), (7.67, 10.0)]
    """
    windows: Regions = []
    for start, end in regions:
        parts = max(1, int(np.ceil((end - start) / max_window_s - 1e-9)))
        edges = np.linspace(start, end, parts + 1)
        windows.extend((float(a), float(b)) for a, b in itertools.pairwise(edges))
    return windows


def _window_speakers(
    y: np.ndarray, sr: int, windows: Regions, known: Mapping[str, np.ndarray], threshold: float
) -> tuple[list[str], dict[str, np.ndarray]]:
    """The speaker label of each window, and each label's centroid embedding."""
    embeddings = np.stack([embed(y[int(a * sr):max(int(b * sr), int(a * sr) + 1)], sr) for a, b in windows])
    long = np.array([b - a >= MIN_CLUSTER_S for a, b in windows])
    if not long.any():
        long[:] = True
    labels = np.full(len(windows), -1, dtype=int)
    labels[long] = cluster(embeddings[long], threshold=threshold)
    centres = centroids(embeddings[long], labels[long])
    short = ~long
    if short.any():
        labels[short] = np.argmax(embeddings[short] @ centres.T, axis=1)
    names = match_known(centres, known) if known else {}
    speakers = [str(label) for label in label_clusters(labels, names, reserved=known.keys())]
    voices = {speaker: centres[k] for k, speaker in zip(labels.tolist(), speakers, strict=True)}
    return speakers, voices


def diarize(
    y: np.ndarray,
    sr: int,
    *,
    language: str | None = None,
    known: Mapping[str, np.ndarray] | None = None,
    regions: Callable[[np.ndarray, int], Regions],
    threshold: float = SAME_SPEAKER_SIMILARITY,
) -> Diarization:
    """Split ``y`` into speaker turns with their text.

    Parameters
    ----------
    y : ndarray, shape (n,)
        Mono float samples in [-1, 1].
    sr : int
        Sample rate of ``y`` in Hz.
    language : str, optional
        ISO 639-1 code of the speech (``None`` detects it).
    known : mapping of str to ndarray, optional
        Known speaker name → reference embedding (:func:`~voicelab.engines.speakers.encoder.embed` of a
        2–10 s clip of that person).
    threshold : float
        Clustering threshold (cosine similarity), see :mod:`voicelab.engines.speakers.clustering`.
    regions : callable
        ``regions(y, sr)`` → speech regions in seconds: Silero VAD
        (:func:`voicelab.vad.regions.speech_regions`), for instance tuned by a ``server_vad`` chunking
        strategy.

    Returns
    -------
    Diarization
        Turns in time order; empty when no speech is heard.
    """
    from voicelab.engines import stt

    find = regions
    y = np.asarray(y, dtype=np.float32)
    duration = len(y) / sr
    windows = speaker_windows(find(y, sr))
    if not windows:
        return Diarization([], "", language or "", duration)
    speakers, voices = _window_speakers(y, sr, windows, known or {}, threshold)
    transcript = stt.transcribe(y, sr, language=language, word_timestamps=True, speech=find)
    texts: list[list[str]] = [[] for _ in windows]
    starts = np.array([a for a, _ in windows])
    for word in transcript.words:
        middle = (word.start + word.end) / 2
        index = int(np.clip(np.searchsorted(starts, middle, side="right") - 1, 0, len(windows) - 1))
        texts[index].append(word.word)
    segments: list[SpeakerSegment] = []
    for (start, end), speaker, words in zip(windows, speakers, texts, strict=True):
        text = "".join(words)
        if segments and segments[-1].speaker == speaker:
            last = segments[-1]
            segments[-1] = SpeakerSegment(speaker, last.start, end, last.text + text)
        else:
            segments.append(SpeakerSegment(speaker, start, end, text))
    segments = [SpeakerSegment(s.speaker, round(s.start, 3), round(s.end, 3), s.text.strip())
                for s in segments if s.text.strip()]
    return Diarization(
        segments,
        transcript.text.strip(),
        transcript.language,
        duration,
        windows=[(a, b, s) for (a, b), s in zip(windows, speakers, strict=True)],
        voices={s.speaker: voices[s.speaker] for s in segments},
    )
