"""SemanticVAD: eagerness sets the waits, the end-of-utterance cue picks one of them."""

from __future__ import annotations

import numpy as np
import pytest

from voicelab.errors import ParameterError
from voicelab.vad import EAGERNESS_MAX_WAIT_MS, SemanticVAD, SpeechStarted, SpeechStopped, turn_detector
from voicelab.vad.semantic import utterance_cue

from .conftest import SR

F = 32


def silence_until_stop(vad: SemanticVAD, speech_ms: int = 640, max_ms: int = 10_000,
                       levels=None) -> int | None:
    """Feed speech then silence; return the silence (ms) it took to end the turn, or None."""
    n_speech = speech_ms // F
    probs = np.r_[np.zeros(10), np.ones(n_speech), np.zeros(max_ms // F)]
    events = vad.feed_probabilities(probs, levels_db=levels)
    stops = [e for e in events if isinstance(e, SpeechStopped)]
    return None if not stops else stops[0].audio_end_ms - stops[0].speech_end_ms


@pytest.mark.parametrize(("eagerness", "max_ms"), [("low", 8000), ("medium", 4000), ("high", 2000),
                                                   ("auto", 4000)], ids=["low", "medium", "high", "auto"])
def test_unfinished_utterance_waits_the_maximum(eagerness, max_ms):
    assert EAGERNESS_MAX_WAIT_MS[eagerness] == max_ms
    vad = SemanticVAD(eagerness)
    vad.feed_probabilities(np.r_[np.zeros(10), np.ones(20)])
    vad.hint("I would like to book a table for")
    waited = silence_until_stop(vad, speech_ms=0)
    assert waited == -(-max_ms // F) * F  # max wait rounded up to the frame grid


@pytest.mark.parametrize(("eagerness", "finished", "unknown"),
                         [("low", 1000, 2000), ("medium", 500, 1000), ("high", 250, 500)],
                         ids=["low", "medium", "high"])
def test_finished_and_unknown_waits(eagerness, finished, unknown):
    vad = SemanticVAD(eagerness)
    assert silence_until_stop(vad) == -(-unknown // F) * F  # no audio, no hint
    vad.reset()
    vad.feed_probabilities(np.r_[np.zeros(10), np.ones(20)])
    vad.hint("Book a table for two, please.")
    assert silence_until_stop(vad, speech_ms=0) == -(-finished // F) * F


def test_falling_level_is_a_finished_cue():
    vad = SemanticVAD("medium")
    speech = 20
    n_silence = 10_000 // F
    falling = np.r_[np.full(10, -70.0), np.full(speech - 8, -20.0), np.linspace(-20, -32, 8),
                    np.full(n_silence, -70.0)]
    flat = np.r_[np.full(10, -70.0), np.full(speech, -20.0), np.full(n_silence, -70.0)]
    assert silence_until_stop(vad, speech_ms=speech * F, levels=falling) == 512
    vad.reset()
    assert silence_until_stop(vad, speech_ms=speech * F, levels=flat) == 1024


def test_hint_is_cleared_when_the_next_turn_starts():
    vad = SemanticVAD("high")
    vad.hint("and")
    events = vad.feed_probabilities(np.r_[np.zeros(5), np.ones(20), np.zeros(20)])
    assert [type(e) for e in events] == [SpeechStarted, SpeechStopped]  # 500 ms: the hint was dropped


@pytest.mark.parametrize(
    ("text", "cue"),
    [("What time is it?", "finished"), ("Stop!", "finished"), ("I think.", "finished"),
     ("お願いします。", "finished"), ("Well, I think that", "unfinished"), ("so, um", "unfinished"),
     ("first,", "unfinished"), ("wait...", "unfinished"), ("Hello there", "unknown"), ("", "unknown"),
     (None, "unknown")],
    ids=["question", "exclamation", "period", "ja-period", "connective", "filler", "comma", "ellipsis",
         "bare", "empty", "none"],
)
def test_utterance_cue(text, cue):
    assert utterance_cue(text) == cue


def test_semantic_on_real_audio_is_chunk_independent(speech_in_silence):
    y = np.concatenate([speech_in_silence, np.zeros(2 * SR, dtype=np.float32)])
    ref = None
    for chunk in (480, 2399, len(y)):
        vad = SemanticVAD("medium")
        events = []
        for i in range(0, len(y), chunk):
            events += vad.feed(y[i:i + chunk])
        events += vad.flush()
        ref = ref or events
        assert events == ref
    assert [type(e) for e in ref] == [SpeechStarted, SpeechStopped]


def test_bad_eagerness():
    with pytest.raises(ParameterError) as exc:
        SemanticVAD("eager")  # type: ignore[arg-type]
    assert exc.value.param == "eagerness"
    with pytest.raises(ParameterError) as exc:
        turn_detector({"type": "semantic_vad", "eagerness": "fast"})
    assert exc.value.param == "eagerness"


def test_levels_must_match_probabilities():
    with pytest.raises(ParameterError) as exc:
        SemanticVAD().feed_probabilities(np.zeros(4), levels_db=np.zeros(3))
    assert exc.value.param == "levels_db"


def test_semantic_from_session_config_defaults_to_auto():
    vad = turn_detector({"type": "semantic_vad"}, sr=SR)
    assert isinstance(vad, SemanticVAD) and vad.eagerness == "auto" and vad.max_wait_ms == 4000
