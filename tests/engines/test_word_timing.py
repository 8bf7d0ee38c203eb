"""True word and segment times: words start where the speech starts, not where the silence before it does.

Clips are Piper speech with known silence around it: 1.0 s or 2.5 s before "The quick brown fox…", 1.5 s
between two sentences. The speech onset is measured twice: by the VAD (:func:`speech_regions`) and, as an
independent check, by the signal itself (first sample above -40 dBFS after each silence we inserted). The
REST surface (``verbose_json``) is tested in ``tests/emulator/routes/test_transcription_options.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from voicelab.engines import stt, tts
from voicelab.engines.word_timing import snap_span
from voicelab.vad.regions import regions_from_probabilities, speech_regions

FIRST = "The quick brown fox jumps over the lazy dog."
SECOND = "It was a sunny morning in the park."
PAUSE_S = 1.5
TOLERANCE_S = 0.1


def _onset(y: np.ndarray, sr: int) -> float:
    """Seconds to the first sample above -40 dBFS."""
    return float(np.argmax(np.abs(y) > 0.01)) / sr


@pytest.fixture(scope="module")
def sentences():
    return tts.synthesize(FIRST, voice="alloy", seed=1), tts.synthesize(SECOND, voice="alloy", seed=1)


def _clip(sentences, lead_s: float) -> tuple[np.ndarray, int, float, float]:
    """Silence, sentence 1, pause, sentence 2, silence; and the true onsets of both sentences."""
    first, second = sentences
    sr = first.sr
    silence = lambda s: np.zeros(int(s * sr), np.float32)  # noqa: E731
    parts = [silence(lead_s), first.y, silence(PAUSE_S), second.y, silence(0.5)]
    y = np.concatenate(parts).astype(np.float32)
    onset1 = lead_s + _onset(first.y, sr)
    onset2 = lead_s + first.y.size / sr + PAUSE_S + _onset(second.y, sr)
    return y, sr, onset1, onset2


@pytest.mark.slow
@pytest.mark.parametrize("lead_s", [1.0, 2.5], ids=["1.0s-silence", "2.5s-silence"])
def test_words_and_segments_start_at_the_speech_onset(sentences, lead_s):
    y, sr, onset1, onset2 = _clip(sentences, lead_s)
    regions = speech_regions(y, sr)
    assert len(regions) == 2  # the VAD hears two stretches of speech, split by the pause
    assert abs(regions[0][0] - onset1) <= TOLERANCE_S and abs(regions[1][0] - onset2) <= TOLERANCE_S
    result = stt.transcribe(y, sr, word_timestamps=True, speech=speech_regions)
    words = result.words
    expected = (FIRST + " " + SECOND).lower().replace(".", "").split()
    assert [w.word.strip(" .").lower() for w in words] == expected
    after_pause = next(w for w in words if w.word.strip() == "It")
    for word, onset in ((words[0], onset1), (after_pause, onset2)):
        assert abs(word.start - onset) <= TOLERANCE_S, (word, onset)
        assert word.start < word.end
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    # segments: the first starts at the speech, and none starts or ends inside the pause
    assert abs(result.segments[0].start - onset1) <= TOLERANCE_S
    pause = (regions[0][1], regions[1][0])
    for segment in result.segments:
        assert not pause[0] + TOLERANCE_S < segment.start < pause[1] - TOLERANCE_S
        assert segment.start == segment.words[0].start and segment.end == segment.words[-1].end


@pytest.mark.slow
def test_without_snapping_whisper_lets_the_first_word_absorb_the_silence(sentences):
    # the defect the snapping fixes, shown on the same clip: Whisper's own times (no speech= given)
    y, sr, onset1, _ = _clip(sentences, 1.0)
    raw = stt.transcribe(y, sr, word_timestamps=True)
    assert onset1 - raw.words[0].start > TOLERANCE_S


def test_snap_moves_only_times_that_fall_in_silence():
    regions = [(1.0, 2.5), (4.0, 5.0)]
    assert snap_span(0.0, 1.16, regions) == (1.0, 1.16)
    assert snap_span(1.2, 1.5, regions) == (1.2, 1.5)
    assert snap_span(2.9, 4.3, regions) == (4.0, 4.3)
    assert snap_span(4.5, 5.6, regions) == (4.5, 5.0)
    assert snap_span(2.6, 3.0, regions) == (2.6, 3.0)  # nothing heard in it: left alone
    assert snap_span(0.0, 1.0, []) == (0.0, 1.0)


def test_regions_need_a_real_pause_to_split():
    frame = 0.032
    probs = np.r_[np.zeros(10), np.ones(20), np.zeros(3), np.ones(20), np.zeros(20), np.ones(5), np.zeros(10)]
    regions = regions_from_probabilities(probs, frame)
    assert [(round(a / frame), round(b / frame)) for a, b in regions] == [(10, 53), (73, 78)]


def test_bad_languages_name_their_parameter_before_whisper_runs():
    from voicelab.errors import ParameterError

    y = np.zeros(16000, np.float32)
    with pytest.raises(ParameterError) as refused:
        stt.transcribe(y, 16000, languages=["en", "klingon"])
    assert refused.value.param == "languages"
    with pytest.raises(ParameterError) as refused:
        stt.transcribe(y, 16000, keywords="Qwen")  # a string, not a list of strings
    assert refused.value.param == "keywords"
    with pytest.raises(ParameterError) as refused:
        stt.transcribe_with_options(y, 16000, delay="soon")
    assert refused.value.param == "delay"
