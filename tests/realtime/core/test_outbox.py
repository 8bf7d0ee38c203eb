"""Audio and events held while disconnected, replayed or dropped (and counted), and the input-audio clock."""

from __future__ import annotations

import pytest

from voicelab.errors import ParameterError
from voicelab.realtime.core import (
    ClientCore,
    Phase,
    ResponseState,
)

from .conftest import CONFIG, ev, pcm_ms, ready_core, response_created


def test_append_audio_counts_sent_ms_and_maps_audio_clock_to_session_time():
    core = ready_core()
    for i in range(5):
        core.append_audio(pcm_ms(200), t=10.0 + 0.2 * i)
    assert core.audio_sent_ms == pytest.approx(1000)
    assert core.input_time(300) == pytest.approx(10.3)
    assert core.input_time(0) == pytest.approx(10.0)


def test_odd_byte_count_is_a_parameter_error():
    with pytest.raises(ParameterError, match="pcm16"):
        ready_core().append_audio(b"\x00\x00\x00", t=0)


def test_audio_appended_while_disconnected_is_replayed_after_config_is_reapplied():
    core = ready_core()
    core.append_audio(pcm_ms(500), t=0.0)
    core.send(ev("response.create"), t=0.1)
    core.receive(response_created(), t=0.2)
    notes = core.disconnected(t=1.0, code=1006)
    assert [n["type"] for n in notes] == ["voicelab.disconnected", "voicelab.response_lost"]
    assert core.responses["resp_1"].state is ResponseState.LOST and core.active_response is None
    assert core.reconnect_attempt(1, delay=1.0, t=1.0, code=1006)["attempt"] == 1
    assert core.append_audio(pcm_ms(300), t=1.1) == []
    assert core.append_audio(pcm_ms(200), t=1.2) == []
    assert core.pending_audio_ms == pytest.approx(500)
    core.connecting(t=2.0)
    r = core.receive(ev("session.created", session={}), t=2.1)
    assert r.send == [{"type": "session.update", "session": CONFIG}]  # config first, audio only after
    assert any(n["type"] == "voicelab.reconnected" for n in r.notes)
    r = core.receive(ev("session.updated", session={}), t=2.2)
    assert [e["type"] for e in r.send] == ["input_audio_buffer.append"] * 2
    assert {"type": "voicelab.replayed", "audio_ms": 500.0, "events": 2} in r.notes
    assert core.audio_replayed_ms == pytest.approx(500) and core.audio_sent_ms == pytest.approx(1000)
    assert core.reconnects == 1


def test_server_audio_clock_restarts_after_reconnect():
    core = ready_core()
    for i in range(10):
        core.append_audio(pcm_ms(100), t=0.1 * i)  # 1 s on the first connection
    core.disconnected(t=1.0)
    core.connecting(t=1.0)
    core.receive(ev("session.created", session={}), t=1.0)
    core.receive(ev("session.updated", session={}), t=1.0)
    for i in range(10):
        core.append_audio(pcm_ms(100), t=5.0 + 0.1 * i)
    core.receive(ev("input_audio_buffer.speech_started", audio_start_ms=300, item_id="u"), t=6)
    core.receive(ev("input_audio_buffer.speech_stopped", audio_end_ms=500, item_id="u"), t=6)
    core.receive(response_created(), t=6.1)
    assert core.turns[-1].speech_started_t == pytest.approx(5.3)
    assert core.turns[-1].start_t == pytest.approx(5.5)


def test_drop_policy_reports_audio_instead_of_replaying():
    core = ready_core(on_disconnect="drop")
    core.disconnected(t=1.0)
    core.append_audio(pcm_ms(250), t=1.1)
    assert core.audio_dropped_ms == pytest.approx(250) and core.pending_audio_ms == 0


def test_replay_buffer_is_bounded_and_counts_what_it_drops():
    core = ready_core(max_pending_ms=1000)
    core.disconnected(t=0)
    for _ in range(15):
        core.append_audio(pcm_ms(100), t=0)
    assert core.pending_audio_ms == pytest.approx(1000)
    assert core.audio_dropped_ms == pytest.approx(500)


def test_close_reports_held_audio_as_dropped_and_refuses_more():
    core = ready_core()
    core.disconnected(t=0)
    core.append_audio(pcm_ms(200), t=0)
    notes = core.closed(t=1, intentional=False, reason="gave up")
    assert notes[0] == {"type": "voicelab.audio_dropped", "audio_ms": 200.0, "events": 1, "reason": "closed"}
    assert core.phase is Phase.CLOSED
    with pytest.raises(ParameterError, match="session"):
        core.append_audio(pcm_ms(20), t=2)
    assert core.disconnected(t=3) == []  # no reconnect after close


def test_bad_on_disconnect_value():
    with pytest.raises(ParameterError, match="on_disconnect"):
        ClientCore(on_disconnect="ignore")


@pytest.mark.parametrize(
    "policy, max_pending, reason, dropped",
    [
        ("drop", 30_000, "appended while disconnected", 300.0),
        ("replay", 200, "replay buffer full", 100.0),
    ],
    ids=["drop-policy", "replay-overflow"],
)
def test_audio_dropped_during_an_outage_is_reported_when_back(policy, max_pending, reason, dropped):
    core = ready_core(on_disconnect=policy, max_pending_ms=max_pending)
    core.disconnected(t=0)
    for _ in range(3):
        core.append_audio(pcm_ms(100), t=0.1)
    core.connecting(t=1)
    core.receive(ev("session.created", session={}), t=1)
    r = core.receive(ev("session.updated", session={}), t=1)
    note = next(n for n in r.notes if n["type"] == "voicelab.audio_dropped")
    assert note == {"type": "voicelab.audio_dropped", "audio_ms": dropped, "reason": reason}
