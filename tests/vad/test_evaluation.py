"""Evaluation metrics on tiny hand-made labels with known answers, and sweeps over prepared samples."""

from __future__ import annotations

import numpy as np
import pytest

from voicelab.errors import ParameterError
from voicelab.vad import EnergyDetector, ServerVADParams, SpeechStarted, SpeechStopped
from voicelab.vad.evaluation import (
    Turn,
    auc,
    cue_table,
    evaluate,
    frame_scores,
    frame_table,
    frame_truth,
    prepare,
    recommend,
    roc_curve,
    summarize,
    sweep,
    turn_metrics,
    turns,
)
from voicelab.vad.table import Table


@pytest.mark.parametrize(
    ("probs", "truth", "expected"),
    [
        ([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0], {"precision": 1.0, "recall": 1.0, "f1": 1.0, "accuracy": 1.0}),
        ([0.9, 0.8, 0.7, 0.2], [1, 0, 0, 0], {"precision": 1 / 3, "recall": 1.0, "f1": 0.5, "accuracy": 0.5}),
        ([0.1, 0.1, 0.1, 0.1], [1, 1, 0, 0], {"precision": 0.0, "recall": 0.0, "f1": 0.0, "accuracy": 0.5}),
        ([0.5, 0.49, 0.6, 0.0], [1, 1, 1, 0],
         {"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "accuracy": 0.75}),
    ],
    ids=["perfect", "over-eager", "deaf", "threshold-inclusive"],
)
def test_frame_scores_known_answers(probs, truth, expected):
    assert frame_scores(probs, truth, threshold=0.5) == pytest.approx(expected)


def test_roc_and_auc_known_answers():
    fpr, tpr, thr = roc_curve([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0])
    assert fpr.tolist() == [0.0, 0.0, 0.5, 0.5, 1.0]
    assert tpr.tolist() == [0.0, 0.5, 0.5, 1.0, 1.0]
    assert thr[0] == np.inf and thr[1:].tolist() == [0.9, 0.8, 0.3, 0.1]
    assert auc(fpr, tpr) == pytest.approx(0.75)
    assert auc(*roc_curve([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0])[:2]) == pytest.approx(1.0)
    assert auc(*roc_curve([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0])[:2]) == pytest.approx(0.0)


def test_roc_ties_move_together():
    fpr, tpr, _ = roc_curve([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0])
    assert fpr.tolist() == [0.0, 1.0] and tpr.tolist() == [0.0, 1.0]
    assert auc(fpr, tpr) == pytest.approx(0.5)


def test_roc_needs_both_classes():
    with pytest.raises(ParameterError) as exc:
        roc_curve([0.1, 0.9], [1, 1])
    assert exc.value.param == "truth"


def test_mismatched_lengths():
    with pytest.raises(ParameterError) as exc:
        frame_scores([0.1, 0.2, 0.3], [1, 0])
    assert exc.value.param == "truth"


def test_frame_truth_majority_rule():
    # 20 ms frames; a segment 30–75 ms covers frame 1 by 10 ms (half: no), frames 2 and 3 by 20 and 15 ms
    assert frame_truth([(0.030, 0.075)], 5, 20).tolist() == [False, False, True, True, False]


def test_turns_pairs_events_and_keeps_an_open_turn():
    events = [SpeechStarted(0, 100, 228), SpeechStopped(1000, 488), SpeechStarted(1200, 1500, 1628)]
    assert turns(events) == [Turn(0, 100, 228, 1000, 488), Turn(1200, 1500, 1628, None, None)]


def test_turn_metrics_one_clean_turn():
    events = [SpeechStarted(700, 1024, 1152), SpeechStopped(3520, 3008)]
    m = turn_metrics(events, [(1.0, 1.5), (2.1, 3.0)], end_ms=5000)
    assert m == {"start_latency_ms": 152.0, "eot_latency_ms": 520.0, "false_cuts": 0, "pauses_cut": (False,),
                 "false_starts": 0, "n_turns": 1, "billed_ms": 2820.0, "billed_tokens": 29}


def test_turn_metrics_cut_inside_the_second_pause():
    segments = [(1.0, 1.5), (1.8, 2.5), (3.4, 4.0)]  # pauses of 300 and 900 ms
    events = [SpeechStarted(700, 1000, 1128), SpeechStopped(3020, 2508),  # cut in the 900 ms pause
              SpeechStarted(3100, 3400, 3528), SpeechStopped(4512, 4000)]
    m = turn_metrics(events, segments, end_ms=6000)
    assert m["false_cuts"] == 1
    assert m["pauses_cut"] == (False, True)
    assert m["eot_latency_ms"] == 512.0
    assert m["billed_tokens"] == 24 + 15  # 2320 ms → 24 tokens, 1412 ms → 15


def test_turn_metrics_noise_turn_is_a_false_start_and_missing_end():
    events = [SpeechStarted(0, 100, 228), SpeechStopped(800, 300),  # noise before speech
              SpeechStarted(700, 1000, 1128)]  # speech that never ends
    m = turn_metrics(events, [(1.0, 2.0)], end_ms=2500)
    assert m["false_starts"] == 1
    assert m["start_latency_ms"] == 128.0
    assert m["eot_latency_ms"] is None
    assert m["billed_ms"] == 800 + 1800


def test_prepare_computes_each_detector_once_per_sample(tiny_set):
    assert len(tiny_set) == 2
    assert repr(tiny_set) == ("EvaluationSet(2 samples, detectors=['energy', 'silero'], "
                              "conditions=['clean', 'snr20'])")
    s = tiny_set.samples[0]
    for det in ("silero", "energy"):
        assert s.probs[det].shape == s.truth[det].shape == s.levels_db[det].shape
    assert s.padded_ms == pytest.approx(s.duration_ms + 3000, abs=1)
    assert tiny_set.pause_lengths_ms == [600]


def test_frame_table_has_a_row_per_detector_and_condition(tiny_set):
    table = frame_table(tiny_set)
    assert [(r["detector"], r["condition"]) for r in table] == [
        ("energy", "clean"), ("energy", "snr20"), ("silero", "clean"), ("silero", "snr20")]
    silero_clean = table.where(detector="silero", condition="clean")[0]
    assert silero_clean["f1"] > 0.8 and silero_clean["auc"] > 0.9


def test_sweep_is_tidy_and_moves_the_right_way(tiny_set):
    table = sweep(tiny_set, thresholds=[0.5], silence_durations_ms=[300, 1000], prefix_paddings_ms=[0, 300],
                  detectors=["silero", "energy"], progress=False)
    assert len(table) == 2 * 2 * 2
    assert table.columns[:4] == ["detector", "threshold", "silence_duration_ms", "prefix_padding_ms"]
    assert "cut_600ms" in table.columns
    short = table.where(detector="silero", silence_duration_ms=300, prefix_padding_ms=300)[0]
    long = table.where(detector="silero", silence_duration_ms=1000, prefix_padding_ms=300)[0]
    assert short["cut_600ms"] == 1.0 and long["cut_600ms"] == 0.0
    assert long["eot_latency_ms"] - short["eot_latency_ms"] == pytest.approx(704, abs=64)
    no_pad = table.where(detector="silero", silence_duration_ms=1000, prefix_padding_ms=0)[0]
    assert long["billed_tokens"] - no_pad["billed_tokens"] == pytest.approx(3.0, abs=0.01)


def test_evaluate_server_and_semantic(tiny_set):
    rows = evaluate(tiny_set, ServerVADParams(silence_duration_ms=1000))
    assert [r["sample"] for r in rows] == ["clean", "noisy"]
    assert all(r["false_cuts"] == 0 and r["n_turns"] == 1 for r in rows)
    high = summarize(evaluate(tiny_set, "high"))
    low = summarize(evaluate(tiny_set, "low"))
    assert high["eot_latency_ms"] < low["eot_latency_ms"]
    with pytest.raises(ParameterError) as exc:
        evaluate(tiny_set, "sometimes")
    assert exc.value.param == "eagerness"
    with pytest.raises(ParameterError) as exc:
        evaluate(tiny_set, detector="webrtc")
    assert exc.value.param == "detector"


@pytest.mark.slow
def test_prepare_on_the_labelled_sample_set():
    from voicelab import samples

    names = [s.name for s in samples.manifest() if s.name.startswith("en_weather")]
    evalset = prepare(names, detectors=[EnergyDetector()], progress=False)
    assert {s.condition for s in evalset.samples} == {"clean", "snr20", "snr10", "snr5"}
    table = sweep(evalset, detectors=["energy"], silence_durations_ms=[300, 1200], progress=False)
    assert table.where(silence_duration_ms=1200)[0]["false_cut_rate"] <= \
        table.where(silence_duration_ms=300)[0]["false_cut_rate"]


def test_recommend_reads_the_shortest_safe_silence():
    rows = [{"detector": "silero", "threshold": 0.5, "silence_duration_ms": s, "prefix_padding_ms": 300,
             "eot_latency_ms": s + 96.0, "false_cut_rate": c, "cut_600ms": c, "billed_tokens": 40 + s / 100}
            for s, c in ((300, 1.0), (500, 0.5), (700, 0.0), (900, 0.0))]
    advice = recommend(Table(rows), pause_ms=600)
    assert advice["silence_duration_ms"] == 700
    assert advice["baseline_cut_rate"] == 0.5
    assert advice["extra_latency_ms"] == 200.0
    assert advice["extra_tokens"] == pytest.approx(2.0)
    with pytest.raises(ParameterError) as exc:
        recommend(Table(rows), pause_ms=450)
    assert exc.value.param == "pause_ms"
    none_safe = recommend(Table(rows[:2]), pause_ms=600)
    assert none_safe["silence_duration_ms"] is None and none_safe["extra_latency_ms"] is None


def test_cue_table_counts_utterance_ends_and_pauses(tiny_set):
    table = cue_table(tiny_set)
    assert table.column("where").tolist() == ["utterance end", "pause"]
    ends, pauses = table[0], table[1]
    assert ends["silences"] == 2  # each sample ends once
    assert pauses["silences"] == 2  # one 600 ms pause per sample
    assert 0 <= ends["finished"] <= 2 and ends["finished_rate"] == ends["finished"] / 2
