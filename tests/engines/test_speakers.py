"""voicelab.engines.speakers: the checked checkpoint, embeddings that tell voices apart, diarize."""

from __future__ import annotations

import io
import pickle
import shutil

import numpy as np
import pytest

from voicelab.engines.speakers import SAME_SPEAKER_SIMILARITY, diarize, embed
from voicelab.engines.speakers.checkpoint import load_state_dict
from voicelab.engines.speakers.weights import RESEMBLYZER_SHA256, encoder_weights_file
from voicelab.engines.tts import synthesize
from voicelab.errors import EngineError, ModelIntegrityError
from voicelab.vad.regions import speech_regions

SENTENCES = ("The weather today is lovely and the station is not far from here.",
             "Could you tell me how to get to the museum before it closes?")


def test_checkpoint_reader_refuses_code():
    payload = pickle.dumps(0x1950A86A20F9469CFC6C) + pickle.dumps(1001) + pickle.dumps({}) + pickle.dumps(
        shutil.rmtree
    )
    with pytest.raises(EngineError, match=r"refusing to load global shutil\.rmtree"):
        load_state_dict(io.BytesIO(payload))


def test_weights_are_checked_by_sha256(tmp_path, monkeypatch):
    path = encoder_weights_file(tmp_path, trust_stamp=False)
    assert path.name == "pretrained.pt"
    monkeypatch.setitem(RESEMBLYZER_SHA256, "pretrained.pt", "0" * 64)  # type: ignore[index]
    with pytest.raises(ModelIntegrityError):
        encoder_weights_file(tmp_path, trust_stamp=False)


@pytest.fixture(scope="module")
def voice_embeddings():
    out = {}
    for voice in ("onyx", "shimmer"):
        for index, text in enumerate(SENTENCES):
            speech = synthesize(text, voice=voice)
            out[voice, index] = embed(speech.y, speech.sr)
    return out


def test_same_voice_scores_above_threshold_and_distinct_voices_below(voice_embeddings):
    e = voice_embeddings
    same = [float(e[v, 0] @ e[v, 1]) for v in ("onyx", "shimmer")]
    other = float(e["onyx", 0] @ e["shimmer", 1])
    assert min(same) > SAME_SPEAKER_SIMILARITY > other, (same, other)


def test_diarize_two_voices_alternating():
    lines = [("onyx", "Good morning, how can I help you today?"),
             ("nova", "I would like to book a table for two people tonight."),
             ("onyx", "Certainly, what time would you prefer?")]
    gap = np.zeros(12000, np.float32)
    y = np.concatenate([piece for voice, text in lines for piece in (synthesize(text, voice=voice).y, gap)])
    result = diarize(y, 24000, language="en", regions=speech_regions)
    assert [s.speaker for s in result.segments] == ["A", "B", "A"]
    assert "book a table" in result.segments[1].text.lower()
    assert result.segments[0].end < result.segments[1].start < result.segments[2].start
    assert set(result.voices) == {"A", "B"}  # each label's voice, for matching across clips
    assert float(result.voices["A"] @ result.voices["B"]) < SAME_SPEAKER_SIMILARITY


def test_registry_keeps_one_label_per_voice_across_clips(voice_embeddings):
    from voicelab.engines.speakers import SpeakerRegistry

    e = voice_embeddings
    registry = SpeakerRegistry()
    clips = [{"A": e["onyx", 0]}, {"A": e["shimmer", 0]}, {"A": e["onyx", 1]},  # each clip labels its own "A"
             {"A": e["shimmer", 1], "B": e["onyx", 0]}]
    assert [registry.assign(clip) for clip in clips] == [
        {"A": "A"}, {"A": "B"}, {"A": "A"}, {"A": "B", "B": "A"}
    ]
    assert registry.labels == ["A", "B"]


def test_unknown_speakers_never_take_a_known_speakers_name():
    from voicelab.engines.speakers.clustering import label_clusters

    assert label_clusters([0, 1, 0], {}, reserved=["A"]).tolist() == ["B", "C", "B"]
