"""The event timeline plot, from records, a live session's log, and a replayed recording."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from voicelab.errors import ParameterError
from voicelab.timeline import TimelineData, timeline

RECORDS = [
    {"t": 0.5, "type": "input_audio_buffer.speech_started", "at": 0.2},
    {"t": 1.9, "type": "input_audio_buffer.speech_stopped", "at": 1.4},
    {"t": 1.95, "type": "input_audio_buffer.committed"},
    {"t": 2.1, "type": "voicelab.response_audio", "item_id": "a1", "start": 2.2, "end": 5.0},
    {"t": 3.0, "type": "voicelab.barge_in"},
    {"t": 3.0, "type": "voicelab.response_audio", "item_id": "a1", "start": 2.2, "end": 3.0},
    {"t": 3.1, "type": "voicelab.turn", "index": 0, "start": 1.4, "first_audio": 2.2, "done": 2.6},
]


def test_timeline_data_from_records():
    data = TimelineData.from_records(RECORDS)
    assert data.speech == [(0.2, 1.4)]
    assert [label for _, label in data.vad] == ["start", "stop", "commit"]
    assert data.audio == [(2.2, 3.0)]  # the barge-in's shorter span wins
    assert data.latencies == [(1.4, 2.2, 0)]
    assert data.barge_ins == [3.0]


def test_timeline_draws_rows_and_latency_label():
    fig, ax = plt.subplots()
    out = timeline(RECORDS, ax=ax, title="speech-to-speech")
    assert out is ax and ax.get_title() == "speech-to-speech"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["assistant", "VAD", "user"]
    assert "0.80 s" in [t.get_text() for t in ax.texts]
    assert len(ax.collections) >= 3  # speech bars, VAD ticks, audio bars
    plt.close(fig)


def test_timeline_with_stages_has_pipeline_rows():
    data = TimelineData(
        speech=[(0, 1)],
        stages=[("stt", 1, 1.3), ("llm", 1.3, 1.6), ("tts", 1.6, 2.0)],
        audio=[(1.8, 3)],
        latencies=[(1, 1.8, 0)],
    )
    fig, ax = plt.subplots()
    timeline(data, ax=ax, xlim=(0, 4))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["assistant", "tts", "llm", "stt", "VAD", "user"]
    assert ax.get_xlim() == (0, 4)
    plt.close(fig)


def test_timeline_rejects_other_things():
    with pytest.raises(ParameterError, match="source"):
        timeline(42)
