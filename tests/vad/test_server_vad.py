"""ServerVAD state machine: OpenAI's server_vad rules on hand-made probability sequences and real audio."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicelab.errors import ParameterError
from voicelab.vad import (
    EnergyDetector,
    ServerVAD,
    ServerVADParams,
    SpeechStarted,
    SpeechStopped,
    TimeoutTriggered,
    VADState,
    turn_detector,
)

from .conftest import SR

F = 32  # Silero frame, ms


def frames(*spec: tuple[float, int]) -> np.ndarray:
    """Build probabilities from (value, duration_ms) runs, on the 32 ms grid."""
    out = []
    for value, ms in spec:
        assert ms % F == 0, "keep hand-made cases on the frame grid"
        out.extend([value] * (ms // F))
    return np.asarray(out)


def run(probs, **params) -> list:
    vad = ServerVAD(ServerVADParams(**params))
    return vad.feed_probabilities(probs)


def test_one_turn_with_prefix_padding_and_silence():
    probs = frames((0.0, 1024), (0.9, 640), (0.0, 960))
    events = run(probs, prefix_padding_ms=300, silence_duration_ms=500)
    assert events == [
        SpeechStarted(audio_start_ms=1024 - 300, speech_start_ms=1024, at_ms=1024 + 128),
        # silence starts at 1664; 500 ms rounded up to the grid is 16 frames = 512 ms
        SpeechStopped(audio_end_ms=1664 + 512, speech_end_ms=1664),
    ]


@pytest.mark.parametrize(
    ("blip_ms", "started"),
    [(32, False), (64, False), (96, False), (128, True)],
    ids=["32ms", "64ms", "96ms", "128ms"],
)
def test_blips_shorter_than_min_speech_do_not_start_a_turn(blip_ms, started):
    probs = frames((0.0, 320), (0.95, blip_ms), (0.0, 960))
    events = run(probs, min_speech_ms=100)
    assert any(isinstance(e, SpeechStarted) for e in events) is started


def test_frames_below_threshold_are_not_speech():
    probs = frames((0.0, 320), (0.49, 1280), (0.0, 640))
    assert run(probs, threshold=0.5) == []
    assert [type(e) for e in run(probs, threshold=0.49)] == [SpeechStarted, SpeechStopped]


@pytest.mark.parametrize(
    ("pause_ms", "turns"),
    [(448, 1), (480, 1), (512, 2), (544, 2)],
    ids=["pause448<500", "pause480<500", "pause512>=500", "pause544>500"],
)
def test_pause_just_under_or_over_silence_duration(pause_ms, turns):
    probs = frames((0.0, 320), (0.9, 640), (0.1, pause_ms), (0.9, 640), (0.0, 1280))
    events = run(probs, silence_duration_ms=500)
    assert sum(isinstance(e, SpeechStopped) for e in events) == turns
    assert sum(isinstance(e, SpeechStarted) for e in events) == turns


def test_prefix_padding_is_clamped_at_stream_start():
    events = run(frames((0.9, 640), (0.0, 640)), prefix_padding_ms=300)
    assert events[0] == SpeechStarted(audio_start_ms=0, speech_start_ms=0, at_ms=128)
    events = run(frames((0.0, 96), (0.9, 640), (0.0, 640)), prefix_padding_ms=300)
    assert events[0].audio_start_ms == 0 and events[0].speech_start_ms == 96


def test_prefix_padding_never_reaches_into_the_previous_turn():
    probs = frames((0.0, 320), (0.9, 320), (0.0, 512), (0.9, 320), (0.0, 640))
    events = run(probs, silence_duration_ms=500, prefix_padding_ms=300)
    started = [e for e in events if isinstance(e, SpeechStarted)]
    stopped = [e for e in events if isinstance(e, SpeechStopped)]
    assert len(started) == 2
    assert stopped[0].audio_end_ms == 640 + 512
    assert started[1].speech_start_ms == 1152
    assert started[1].audio_start_ms == 1152  # not 852: that audio was committed with turn 1


def test_states_move_through_the_enum():
    vad = ServerVAD()
    seen = []
    for p in frames((0.0, 64), (0.9, 256), (0.0, 64), (0.9, 64), (0.0, 640)):
        vad.feed_probabilities([p])
        seen.append(vad.state)
    assert seen[:2] == [VADState.QUIET] * 2
    assert seen[2:5] == [VADState.STARTING] * 3
    assert seen[5] is VADState.SPEAKING
    assert VADState.STOPPING in seen
    assert seen[-1] is VADState.QUIET


def test_idle_timeout_from_stream_start_and_after_a_turn():
    probs = frames((0.0, 5120), (0.9, 640), (0.0, 6400))
    events = run(probs, idle_timeout_ms=5000, silence_duration_ms=500)
    assert events[0] == TimeoutTriggered(audio_start_ms=0, audio_end_ms=5024)
    assert isinstance(events[1], SpeechStarted) and isinstance(events[2], SpeechStopped)
    stop = events[2].audio_end_ms
    assert events[3] == TimeoutTriggered(audio_start_ms=stop, audio_end_ms=stop + 5024)
    assert len(events) == 4


def test_idle_timeout_armed_from_response_playback_end():
    vad = ServerVAD(ServerVADParams(idle_timeout_ms=2000))
    vad.disarm_idle_timeout()
    assert vad.feed_probabilities(np.zeros(100)) == []  # 3.2 s, clock stopped (response running)
    vad.arm_idle_timeout(at_ms=3000)  # playback ended at 3.0 s
    events = vad.feed_probabilities(np.zeros(100))
    assert events[0] == TimeoutTriggered(audio_start_ms=3000, audio_end_ms=5024)


def test_no_timeout_without_idle_timeout_ms():
    assert run(np.zeros(1000)) == []


def test_chunk_size_independence_on_real_audio(speech_in_silence):
    y = np.concatenate([speech_in_silence, speech_in_silence])
    reference = None
    for chunk in (7, 160, 480, 4096, len(y)):
        vad = ServerVAD(ServerVADParams(silence_duration_ms=700))
        events = []
        for i in range(0, len(y), chunk):
            events += vad.feed(y[i:i + chunk])
        events += vad.flush()
        if reference is None:
            reference = events
            assert [type(e) for e in events] == [SpeechStarted, SpeechStopped] * 2
        assert events == reference, f"chunk={chunk}"


def test_feed_matches_feed_probabilities(speech_in_silence):
    det = EnergyDetector()
    probs = det.probabilities(speech_in_silence, SR)
    a = ServerVAD(detector=det)
    from_audio = a.feed(speech_in_silence) + a.flush()
    b = ServerVAD(detector=det)
    assert from_audio == b.feed_probabilities(probs)
    assert b.position_ms == round(len(probs) * det.frame_ms)


def test_real_speech_turn_brackets_the_utterance(speech_in_silence, utterance):
    vad = ServerVAD()
    events = vad.feed(speech_in_silence) + vad.flush()
    started, stopped = events
    speech_end_ms = 1000 + len(utterance) / SR * 1000
    assert 900 <= started.speech_start_ms <= 1200
    assert started.audio_start_ms == started.speech_start_ms - 300
    assert speech_end_ms - 300 <= stopped.speech_end_ms <= speech_end_ms + 100
    assert stopped.audio_end_ms - stopped.speech_end_ms == 512


def test_reset_restarts_the_timeline():
    vad = ServerVAD()
    first = vad.feed_probabilities(frames((0.0, 320), (0.9, 640), (0.0, 640)))
    vad.reset()
    assert vad.position_ms == 0 and vad.state is VADState.QUIET
    assert vad.feed_probabilities(frames((0.0, 320), (0.9, 640), (0.0, 640))) == first


def test_event_payloads_match_the_wire_names():
    assert SpeechStarted(audio_start_ms=5).payload() == {
        "type": "input_audio_buffer.speech_started", "audio_start_ms": 5}
    assert SpeechStopped(audio_end_ms=7).payload() == {
        "type": "input_audio_buffer.speech_stopped", "audio_end_ms": 7}
    assert TimeoutTriggered(1, 2).payload() == {
        "type": "input_audio_buffer.timeout_triggered", "audio_start_ms": 1, "audio_end_ms": 2}


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"threshold": 1.5}, "threshold"),
        ({"threshold": -0.1}, "threshold"),
        ({"threshold": float("nan")}, "threshold"),
        ({"threshold": "high"}, "threshold"),
        ({"threshold": True}, "threshold"),
        ({"prefix_padding_ms": -1}, "prefix_padding_ms"),
        ({"prefix_padding_ms": 2.5}, "prefix_padding_ms"),
        ({"silence_duration_ms": -100}, "silence_duration_ms"),
        ({"idle_timeout_ms": 0}, "idle_timeout_ms"),
        ({"idle_timeout_ms": "5s"}, "idle_timeout_ms"),
        ({"min_speech_ms": -5}, "min_speech_ms"),
    ],
    ids=["thr>1", "thr<0", "thr-nan", "thr-str", "thr-bool", "pad<0", "pad-float", "silence<0", "idle-0",
         "idle-str", "min-speech<0"],
)
def test_bad_params_name_the_parameter(kwargs, param):
    with pytest.raises(ParameterError) as exc:
        ServerVADParams(**kwargs)
    assert exc.value.param == param
    assert param in str(exc.value)


@pytest.mark.parametrize(
    ("probs", "why"),
    [([0.2, 1.2], "above 1"), ([-0.1], "negative"), ([np.nan], "nan")],
    ids=["above-1", "negative", "nan"],
)
def test_bad_probabilities(probs, why):
    with pytest.raises(ParameterError) as exc:
        ServerVAD().feed_probabilities(probs)
    assert exc.value.param == "probs", why


def test_params_object_is_checked():
    with pytest.raises(ParameterError) as exc:
        ServerVAD({"threshold": 0.5})  # type: ignore[arg-type]
    assert exc.value.param == "params"


def test_turn_detector_from_session_config():
    vad = turn_detector({"type": "server_vad", "threshold": 0.7, "prefix_padding_ms": 200,
                         "silence_duration_ms": 800, "idle_timeout_ms": None, "create_response": True,
                         "interrupt_response": True})
    assert vad.params == ServerVADParams(threshold=0.7, prefix_padding_ms=200, silence_duration_ms=800)
    assert turn_detector(None) is None
    with pytest.raises(ParameterError) as exc:
        turn_detector({"type": "server_vad", "threshold": 2})
    assert exc.value.param == "threshold"
    with pytest.raises(ParameterError) as exc:
        turn_detector({"type": "push_to_talk"})
    assert exc.value.param == "turn_detection.type"


def test_deterministic_repr():
    assert repr(ServerVAD()) == ("ServerVAD(ServerVADParams(threshold=0.5, prefix_padding_ms=300, "
                                 "silence_duration_ms=500, idle_timeout_ms=None, min_speech_ms=100), "
                                 "state=QUIET, position_ms=0)")


def test_clear_drops_the_turn_in_progress_and_keeps_the_timeline():
    vad = ServerVAD(ServerVADParams(prefix_padding_ms=300))
    events = vad.feed_probabilities(frames((0.0, 320), (0.9, 640)))
    assert [type(e) for e in events] == [SpeechStarted]
    vad.clear()  # client cleared / committed the buffer
    assert vad.state is VADState.QUIET and vad.position_ms == 960
    events = vad.feed_probabilities(frames((0.0, 640), (0.9, 640), (0.0, 640)))
    # silence right after clear() ends nothing; the next turn is dated on the same timeline
    assert events[0] == SpeechStarted(audio_start_ms=1600 - 300, speech_start_ms=1600, at_ms=1600 + 128)
    assert isinstance(events[1], SpeechStopped) and len(events) == 2


def test_clear_floors_the_prefix_padding():
    vad = ServerVAD(ServerVADParams(prefix_padding_ms=300))
    vad.feed_probabilities(frames((0.0, 320)))
    vad.clear()
    events = vad.feed_probabilities(frames((0.0, 64), (0.9, 640)))
    assert events[0].speech_start_ms == 384 and events[0].audio_start_ms == 320


def test_update_applies_new_settings_mid_stream():
    vad = ServerVAD(ServerVADParams(silence_duration_ms=500))
    vad.feed_probabilities(frames((0.0, 320), (0.9, 640)))
    vad.update(ServerVADParams(silence_duration_ms=200))
    events = vad.feed_probabilities(frames((0.0, 640)))
    assert events == [SpeechStopped(audio_end_ms=960 + 224, speech_end_ms=960)]
    vad.update(ServerVADParams(idle_timeout_ms=1000))
    events = vad.feed_probabilities(frames((0.0, 1024)))
    assert events == [TimeoutTriggered(audio_start_ms=1600, audio_end_ms=2624)]
    with pytest.raises(ParameterError):
        vad.update({"silence_duration_ms": 100})  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    probs=st.lists(st.sampled_from([0.0, 0.2, 0.49, 0.5, 0.8, 1.0]), min_size=1, max_size=300),
    cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=8),
    silence=st.sampled_from([0, 100, 300, 500, 900]),
    pad=st.sampled_from([0, 300, 1000]),
    idle=st.sampled_from([None, 700, 2000]),
)
def test_state_machine_invariants(probs, cuts, silence, pad, idle):
    params = ServerVADParams(silence_duration_ms=silence, prefix_padding_ms=pad, idle_timeout_ms=idle)
    whole = ServerVAD(params).feed_probabilities(probs)
    split = ServerVAD(params)
    pieces, last = [], 0
    for cut in sorted(c for c in cuts if c <= len(probs)):
        pieces.append(probs[last:cut])
        last = cut
    pieces.append(probs[last:])
    assert [e for piece in pieces for e in split.feed_probabilities(piece)] == whole
    previous_end, open_turn = 0, None
    for e in whole:
        if isinstance(e, SpeechStarted):
            assert open_turn is None
            assert previous_end <= e.audio_start_ms <= e.speech_start_ms < e.at_ms
            assert e.audio_start_ms == max(e.speech_start_ms - pad, previous_end)
            open_turn = e
        elif isinstance(e, SpeechStopped):
            assert open_turn is not None
            assert e.audio_end_ms - e.speech_end_ms >= silence
            assert e.audio_end_ms - e.speech_end_ms < silence + 2 * F
            previous_end, open_turn = e.audio_end_ms, None
        else:
            assert open_turn is None and idle is not None
            assert e.audio_end_ms - e.audio_start_ms >= idle
