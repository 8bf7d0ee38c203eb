"""Speaker diarization: speaker-attribution error of ``gpt-4o-transcribe-diarize`` offline.

Run: ``.venv/bin/python benchmarks/diarization.py [--quick]``.

Clips: two-speaker dialogues of four turns (A B A B, 0.5 s pauses) built from
- the emulator's own voices (Piper "joe" pitch-shifted per OpenAI voice name) for English, and OpenJTalk
  "mei" renderings for Japanese, over several voice pairs from far apart (onyx/shimmer) to neighbours;
- the repository's labelled sample set (``data/samples``, :mod:`voicelab.samples`): pairs of utterances of
  different voices, clean and with 10 dB SNR noise. These are synthesised too;
- recordings of three real people from the ``pocketsphinx==5.1.1`` sdist (:mod:`recorded_speakers`; fetched
  once by ``make bench-data``): each utterance cut to its speech (first to last Silero VAD region),
  resampled to 24 kHz, and two utterances of each speaker alternated (A B A B), for every pair of speakers
  and two choices of utterances;
- a real 30 s two-person telephone call with reference turns (RTTM) from the ``pyannote.audio==4.0.7`` wheel:
  scored as it is (with its overlaps), and as two A B A B clips of its turns (each turn's longest stretch
  where the other person is silent, 0.5 s pauses, 24 kHz).

Metric: *speaker-attribution error* = speech time given to the wrong speaker / speech time, over 10 ms frames
where the reference has speech and the diarizer placed a window, after the best one-to-one mapping of
predicted labels to true speakers (Hungarian assignment; an extra predicted speaker maps to nobody and counts
as wrong). Missed speech and false alarms are not counted (they are the VAD's, measured in
``benchmarks/vad.py``): this is DER's confusion term only. Also printed: whether the segment label sequence
is exactly right, and the number of speakers found. The load average is printed; the error rates do not
depend on it.
"""

from __future__ import annotations

import itertools
import os
import sys
import time

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["attribution_error", "main"]

EN = ("Good morning, how can I help you today?", "I would like to book a table for two people tonight.",
      "Certainly, what time would you prefer?", "Around eight o'clock, if that is possible.")
JA = ("おはようございます。ご用件をお伺いします。", "今夜、二人で予約をお願いしたいのですが。",
      "かしこまりました。何時がよろしいですか。", "八時ごろでお願いします。")
EN_PAIRS = (("onyx", "shimmer"), ("onyx", "nova"), ("echo", "coral"), ("alloy", "nova"), ("ash", "marin"),
            ("alloy", "fable"))
JA_PAIRS = (("onyx", "shimmer"), ("alloy", "nova"), ("echo", "coral"))
SAMPLE_PAIRS = (("en_directions", "en_order"), ("en_weather", "en_directions"), ("ja_greeting", "ja_station"))
GAP_S = 0.5


def attribution_error(truth: list[tuple[float, float, str]], predicted: list[tuple[float, float, str]],
                      duration: float) -> float:
    """Fraction of scored speech frames attributed to the wrong speaker after the best label mapping.

    Examples
    --------
    >>> attribution_error([(0, 1, "x"), (1, 2, "y")], [(0, 1, "A"), (1, 2, "B")], 2.0)
    0.0
    >>> attribution_error([(0, 1, "x"), (1, 2, "y")], [(0, 2, "A")], 2.0)
    0.5
    """
    n = int(np.ceil(duration * 100))
    true_frames = np.full(n, -1)
    pred_frames = np.full(n, -1)
    true_names = sorted({s for *_, s in truth})
    pred_names = sorted({s for *_, s in predicted})
    for start, end, who in truth:
        true_frames[int(start * 100):int(end * 100)] = true_names.index(who)
    for start, end, who in predicted:
        pred_frames[int(start * 100):int(end * 100)] = pred_names.index(who)
    scored = (true_frames >= 0) & (pred_frames >= 0)
    if not scored.any():
        return 0.0
    overlap = np.zeros((len(pred_names), len(true_names)))
    for p, t in zip(pred_frames[scored], true_frames[scored], strict=True):
        overlap[p, t] += 1
    rows, cols = linear_sum_assignment(-overlap)
    return float(1 - overlap[rows, cols].sum() / scored.sum())


Turns = list[tuple[float, float, str]]


def _dialogue(pieces: list[tuple[np.ndarray, str]], sr: int) -> tuple[np.ndarray, Turns]:
    gap = np.zeros(int(GAP_S * sr), np.float32)
    out, truth, t = [], [], GAP_S
    out.append(gap)
    for y, who in pieces:
        truth.append((t, t + len(y) / sr, who))
        out += [y.astype(np.float32), gap]
        t += len(y) / sr + GAP_S
    return np.concatenate(out), truth


def _score(name: str, y: np.ndarray, sr: int, truth: list[tuple[float, float, str]], language: str,
           rows: list[tuple[str, float, bool, int, float]], expected: list[str] | None = None) -> None:
    from voicelab.engines.speakers import diarize
    from voicelab.vad.regions import speech_regions

    start = time.perf_counter()
    result = diarize(y, sr, language=language, regions=speech_regions)
    elapsed = time.perf_counter() - start
    error = attribution_error(truth, result.windows, len(y) / sr)
    order = [s.speaker for s in result.segments]
    expected = expected or ["A", "B", "A", "B"][:len(truth)]
    speakers = len({s for *_, s in result.windows})
    rows.append((name, error, order == expected, speakers, elapsed / (len(y) / sr)))
    verdict = "ok" if order == expected else "WRONG"
    print(f"{name:<38} error {error:6.1%}  labels {' '.join(order):<12} {verdict:<5}"
          f" speakers {speakers}  RTF {elapsed / (len(y) / sr):.2f}", flush=True)


def _trimmed(y: np.ndarray, sr: int) -> np.ndarray:
    """``y`` at 24 kHz, cut at the silences before its first and after its last speech region."""
    import soxr

    from voicelab.vad.regions import speech_regions

    regions = speech_regions(y, sr)
    if regions:
        y = y[int(regions[0][0] * sr):int(regions[-1][1] * sr)]
    return np.asarray(soxr.resample(y, sr, 24000), np.float32)


def _recorded(rows: list[tuple[str, float, bool, int, float]], quick: bool) -> None:
    from recorded_speakers import archive_path, load_recordings

    try:
        recordings = load_recordings()
    except FileNotFoundError:
        print(f"recorded speakers: skipped, {archive_path()} is absent (run `make bench-data`)")
        return
    speech = {who: [_trimmed(y, sr) for y, sr in utterances] for who, utterances in recordings.items()}
    pairs = list(itertools.combinations(speech, 2))
    for a, b in pairs[:1] if quick else pairs:
        for first in (0,) if quick else (0, 2):
            pieces = [(speech[who][(first + turn // 2) % len(speech[who])], who)
                      for turn, who in enumerate((a, b, a, b))]
            y, truth = _dialogue(pieces, 24000)
            _score(f"recorded {a}/{b} #{first // 2 + 1}", y, 24000, truth, "en", rows)
    _conversation(rows)


def _longest_alone(turn: tuple[float, float, str], turns: Turns) -> tuple[float, float, str]:
    """The longest part of ``turn`` where nobody else speaks.

    Examples
    --------
    >>> _longest_alone((0.0, 3.0, "x"), [(0.0, 3.0, "x"), (0.5, 1.0, "y"), (2.5, 4.0, "y")])
    (1.0, 2.5, 'x')
    """
    start, end, who = turn
    others = [(s, e) for s, e, w in turns if (s, e, w) != turn]
    edges = sorted({start, end} | {t for s, e in others for t in (s, e) if start < t < end})
    best = (start, start)
    for a, b in itertools.pairwise(edges):
        free = not any(s < b and a < e for s, e in others)
        if free and b - a > best[1] - best[0]:
            best = (a, b)
    return (*best, who)


def _conversation(rows: list[tuple[str, float, bool, int, float]]) -> None:
    """The pyannote sample call as it is, and two A B A B clips cut from its reference turns."""
    import soxr
    from recorded_speakers import WHEEL, archive_path, load_conversation

    try:
        y, sr, turns = load_conversation()
    except FileNotFoundError:
        print(f"recorded call: skipped, {archive_path(WHEEL)} is absent (run `make bench-data`)")
        return
    y24 = np.asarray(soxr.resample(y, sr, 24000), np.float32)
    letters = {who: "AB"[i] for i, who in enumerate(dict.fromkeys(who for *_, who in turns))}
    order = [letters[who] for *_, who in turns]
    expected = [who for i, who in enumerate(order) if i == 0 or who != order[i - 1]]
    _score("call as it is (overlap)", y24, 24000, turns, "en", rows, expected)
    alone = [piece for piece in (_longest_alone(turn, turns) for turn in turns) if piece[1] - piece[0] >= 0.2]
    for number, chosen in enumerate((alone[0:4], alone[4:8]), 1):
        pieces = [(y24[int(start * 24000):int(end * 24000)], who) for start, end, who in chosen]
        clip, truth = _dialogue(pieces, 24000)
        _score(f"call turns #{number}", clip, 24000, truth, "en", rows)


def main(argv: list[str] | None = None) -> int:
    from voicelab import samples
    from voicelab.engines.speakers import SAME_SPEAKER_SIMILARITY
    from voicelab.engines.tts import synthesize

    quick = "--quick" in (argv if argv is not None else sys.argv[1:])
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (2 cores, shared); "
          f"threshold {SAME_SPEAKER_SIMILARITY}")
    rows: list[tuple[str, float, bool, int, float]] = []
    groups = {"en": EN_PAIRS[:2] if quick else EN_PAIRS, "ja": JA_PAIRS[:1] if quick else JA_PAIRS}
    for language, pairs in groups.items():
        lines = EN if language == "en" else JA
        for a, b in pairs:
            voices = itertools.cycle((a, b))
            pieces = [(synthesize(text, voice=v, language=language).y, v)
                      for text, v in zip(lines, voices, strict=False)]
            y, truth = _dialogue(pieces, 24000)
            _score(f"{language} voices {a}/{b}", y, 24000, truth, language, rows)
    for first, second in SAMPLE_PAIRS[:1] if quick else SAMPLE_PAIRS:
        for suffix in ("", "_snr10"):
            pieces = [(samples.load(first + suffix).y, "x"), (samples.load(second + suffix).y, "y")]
            y, truth = _dialogue(pieces, 24000)
            _score(f"samples {first}+{second}{suffix}", y, 24000, truth, first[:2], rows)
    _recorded(rows, quick)
    summaries = (("emulator voices, English", "en voices"), ("emulator voices, Japanese", "ja voices"),
                 ("sample set", "samples"), ("recorded people (pocketsphinx)", "recorded "),
                 ("recorded call (pyannote)", "call "))
    for label, prefix in summaries:
        chosen = [r for r in rows if r[0].startswith(prefix)]
        if chosen:
            error = np.mean([r[1] for r in chosen])
            print(f"{label}: mean attribution error {error:.1%}, label sequence right "
                  f"{sum(r[2] for r in chosen)}/{len(chosen)}, "
                  f"mean RTF {np.mean([r[4] for r in chosen]):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
