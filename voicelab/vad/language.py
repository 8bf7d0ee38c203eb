"""Japanese next to English for turn detection: speech rate, phrase endings, and where a pause gets cut.

Japanese is timed by the mora (each kana: こ・ん・に・ち・は is five), English by the stressed syllable.
Japanese speakers pause briefly at a 読点 (、) inside a sentence and end sentences on particles
(…ですね、…よ、…か) that fall in pitch and energy. What that means for ``server_vad``:

* :func:`speech_rate` — morae (Japanese, OpenJTalk's reading) or syllables (English, a spelling rule) per
  second of labelled speech, and the pauses between phrases;
* :func:`phrase_endings` — for every pause inside an utterance: the phrase before it, how it ends
  (読点, ね, よ, か, or a full stop), how long the detector kept hearing the phrase's fading end (``tail_ms``:
  labelled end → last frame above the threshold; negative when the particle fades below it early) and, for
  each ``silence_duration_ms``, whether the turn was cut there;
* :func:`split_turns` — what one setting makes of an utterance: the phrases each detected turn holds
  (「明日の会議は、」 | 「午後3時からですよ。」 when a short silence_duration cuts at the 読点).

All three replay the probabilities :func:`~voicelab.vad.evaluation.prepare` computed once.

Examples
--------
>>> syllable_count("The weather is nice today."), ending("そうですね。"), ending("明日の会議は、")
(7, 'ね', '読点 、')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from voicelab.errors import ParameterError
from voicelab.vad.evaluation import (
    EvaluationSet,
    PreparedSample,
    Turn,
    _check_detector,
    _server_factory,
    turns,
)
from voicelab.vad.server_vad import ServerVADParams
from voicelab.vad.table import Table

__all__ = [
    "detected_turns",
    "ending",
    "phrase_endings",
    "speech_rate",
    "split_turns",
    "syllable_count",
    "timing_units",
]

_PARTICLES = ("よね", "ね", "よ", "か", "な", "わ")


def syllable_count(text: str) -> int:
    """English syllables by spelling: vowel groups per word, a silent final *e* dropped, at least one a word.

    A rule of thumb (right for the sample sentences, wrong for some words such as "create").

    Examples
    --------
    >>> syllable_count("Let's go for a walk in the park."), syllable_count("coffee, please")
    (8, 3)
    """
    total = 0
    for word in re.findall(r"[a-z']+", text.lower()):
        groups = len(re.findall(r"[aeiouy]+", word))
        if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and groups > 1:
            groups -= 1
        total += max(groups, 1)
    return total


def timing_units(text: str, language: str) -> tuple[str, int]:
    """(unit, count): morae of Japanese (OpenJTalk's reading), syllables of anything else.

    Examples
    --------
    >>> timing_units("こんにちは。", "ja"), timing_units("Hello.", "en")
    (('mora', 5), ('syllable', 2))
    """
    if language == "ja":
        from voicelab.engines.tts_openjtalk import pronunciation

        return "mora", pronunciation(text)[1]
    return "syllable", syllable_count(text)


def ending(phrase: str) -> str:
    """How a phrase ends: ``"読点 、"``, a sentence-final particle (``"ね"``, ``"よ"``, ``"か"``…),
    ``"。"`` or ``"."`` (any other full stop).

    Examples
    --------
    >>> ending("明日は雨が降るかもしれませんよ。"), ending("駅はどこですか。"), ending("Walk two blocks.")
    ('よ', 'か', '.')
    """
    text = phrase.strip()
    if text.endswith(("、", ",")):
        return "読点 、" if text.endswith("、") else ","
    body = text.rstrip("。.!?！？")
    for particle in _PARTICLES:
        if body.endswith(particle):
            return particle
    return "。" if text.endswith("。") else "."


def _phrases(sample: PreparedSample) -> tuple[str, ...]:
    if len(sample.phrases) != len(sample.segments):
        raise ParameterError(
            "evalset", expected="samples prepared with their phrases (voicelab.samples)",
            got=f"{sample.name}: {len(sample.phrases)} phrases, {len(sample.segments)} segments")
    return sample.phrases


def speech_rate(evalset: EvaluationSet, *, condition: str = "clean") -> Table:
    """Timing units per second of labelled speech, per utterance.

    Returns
    -------
    Table
        ``sample``, ``language``, ``unit`` (mora / syllable), ``units``, ``speech_s``, ``units_per_s``,
        ``ms_per_unit``, ``pauses_ms`` (the labelled pauses between phrases).

    Examples
    --------
    >>> speech_rate(prepare(["ja_greeting", "en_weather"], progress=False))  # doctest: +SKIP
    """
    rows = []
    for s in evalset.where(condition=condition).samples:
        phrases = _phrases(s)
        unit, n = "", 0
        for phrase in phrases:
            unit, count = timing_units(phrase, s.language)
            n += count
        speech_s = sum(e - b for b, e in s.segments)
        rows.append({"sample": s.name, "language": s.language, "unit": unit, "units": n,
                     "speech_s": round(speech_s, 2), "units_per_s": round(n / speech_s, 2),
                     "ms_per_unit": round(1000 * speech_s / n),
                     "pauses_ms": tuple(round(p) for p in s.pauses_ms)})
    return Table(rows)


def _last_voiced_ms(sample: PreparedSample, detector: str, threshold: float, start_s: float, end_s: float,
                    limit_s: float) -> float | None:
    """End of the last frame at or above ``threshold`` between a phrase's start and ``limit_s``."""
    frame = sample.frame_ms[detector]
    probs = sample.probs[detector]
    first, last = int(start_s * 1000 // frame), min(int(limit_s * 1000 // frame), probs.size)
    voiced = np.nonzero(probs[first:last] >= threshold)[0]
    return None if voiced.size == 0 else (first + voiced[-1] + 1) * frame


def detected_turns(sample: PreparedSample, params: ServerVADParams, *,
                   detector: str = "silero") -> list[Turn]:
    """The turns ``server_vad`` with ``params`` detects in one prepared utterance (probabilities replayed).

    Examples
    --------
    >>> [t.speech_end_ms for t in detected_turns(sample, ServerVADParams())]  # doctest: +SKIP
    [2080, 4032]
    """
    vad = _server_factory(params)(sample.frame_ms[detector])
    return turns(vad.feed_probabilities(sample.probs[detector]))


def phrase_endings(evalset: EvaluationSet, *, silence_durations_ms: Sequence[int] = (200, 300, 500, 700),
                   threshold: float = 0.5, prefix_padding_ms: int = 300, detector: str = "silero") -> Table:
    """Every pause inside an utterance, the phrase ending before it, and which settings cut the turn there.

    Parameters
    ----------
    evalset : EvaluationSet
        From :func:`~voicelab.vad.evaluation.prepare` (its samples carry their phrases).
    silence_durations_ms : sequence of int
        The ``silence_duration_ms`` values to replay; one ``cut_<N>ms`` column each.
    threshold, prefix_padding_ms : float, int
        The other ``server_vad`` settings (OpenAI's defaults).
    detector : str
        Which prepared detector's probabilities to replay.

    Returns
    -------
    Table
        ``sample``, ``condition``, ``language``, ``phrase`` (before the pause), ``ending``, ``pause_ms``,
        ``tail_ms`` (last frame above ``threshold`` minus the labelled end of the phrase), ``cut_<N>ms``.

    Examples
    --------
    >>> phrase_endings(evalset, silence_durations_ms=[200, 500])  # doctest: +SKIP
    """
    _check_detector(evalset, detector)
    rows = []
    for s in evalset.samples:
        phrases = _phrases(s)
        detected = {
            ms: detected_turns(s, ServerVADParams(threshold=threshold, silence_duration_ms=ms,
                                                  prefix_padding_ms=prefix_padding_ms), detector=detector)
            for ms in silence_durations_ms
        }
        for k in range(len(s.segments) - 1):
            (start, end), (next_start, _) = s.segments[k], s.segments[k + 1]
            voiced = _last_voiced_ms(s, detector, threshold, start, end, next_start)
            row: dict[str, Any] = {
                "sample": s.name, "condition": s.condition, "language": s.language, "phrase": phrases[k],
                "ending": ending(phrases[k]), "pause_ms": round((next_start - end) * 1000),
                "tail_ms": None if voiced is None else round(voiced - end * 1000),
            }
            for ms, found in detected.items():
                row[f"cut_{ms}ms"] = any(
                    t.speech_end_ms is not None and end * 1000 - 150 <= t.speech_end_ms <= next_start * 1000
                    for t in found
                )
            rows.append(row)
    return Table(rows)


def split_turns(sample: PreparedSample, params: ServerVADParams, *, detector: str = "silero") -> list[str]:
    """The phrases of each turn the setting detects in one utterance, joined (Japanese without spaces).

    A phrase belongs to the turn whose speech overlaps it most.

    Examples
    --------
    >>> split_turns(evalset.samples[0], ServerVADParams(silence_duration_ms=200))  # doctest: +SKIP
    ['明日の会議は、', '午後3時からですよ。']
    """
    phrases = _phrases(sample)
    found = detected_turns(sample, params, detector=detector)
    end_of_audio = sample.padded_ms
    groups: list[list[str]] = [[] for _ in found]
    for phrase, (start, end) in zip(phrases, sample.segments, strict=True):
        overlaps = [
            min(end * 1000, t.speech_end_ms if t.speech_end_ms is not None else end_of_audio)
            - max(start * 1000, t.speech_start_ms)
            for t in found
        ]
        if overlaps and max(overlaps) > 0:
            groups[int(np.argmax(overlaps))].append(phrase)
    joiner = "" if sample.language == "ja" else " "
    return [joiner.join(g) for g in groups if g]
