"""Scenario estimators against hand-computed figures (voicelab/pricing/estimate.py, plots.py)."""

from __future__ import annotations

import doctest
import importlib
import itertools
from decimal import Decimal

import pytest
from matplotlib.figure import Figure

from voicelab.errors import ParameterError
from voicelab.pricing import clear_registered_tables, register_table
from voicelab.pricing.estimate import (
    Conversation,
    chained,
    compare_approaches,
    concurrency,
    one_shot_costs,
    scenario,
    speech_to_speech,
    speech_to_speech_minute,
    to_table,
)
from voicelab.pricing.plots import explore, explorer, plot_approaches, plot_cost_vs_turns, plot_turn_parts


@pytest.fixture(autouse=True)
def _clean_tables(monkeypatch):
    monkeypatch.delenv("VOICELAB_PRICING_DIR", raising=False)
    clear_registered_tables()
    yield
    clear_registered_tables()


# ---------------------------------------------------------------------------------------------- per minute


@pytest.mark.parametrize(
    ("model", "kwargs", "expected_in", "expected_out"),
    [
        # 60 s of user audio = 600 tokens × $32/M; 60 s of assistant audio = 1 200 tokens × $64/M
        ("gpt-realtime", {}, "0.0192", "0.0768"),
        # seed 002 assumed 600 output tokens per minute: 600 × $64/M
        ("gpt-realtime", {"output_tokens_per_second": 10}, "0.0192", "0.0384"),
        # mini: 600 × $10/M, 1 200 × $20/M
        ("gpt-realtime-mini", {}, "0.006", "0.024"),
        ("gpt-4o-realtime-preview", {"at": "2024-11-01"}, "0.06", "0.24"),
    ],
    ids=["gpt-realtime", "seed-002-assumption", "mini", "preview-2024-10"],
)
def test_speech_to_speech_minute(model, kwargs, expected_in, expected_out):
    minute = speech_to_speech_minute(model, **kwargs)
    assert minute.input_cost == Decimal(expected_in)
    assert minute.output_cost == Decimal(expected_out)
    assert minute.total_decimal == Decimal(expected_in) + Decimal(expected_out)


def test_seed_002_figure_versus_documented_rate():
    assert speech_to_speech_minute("gpt-realtime", output_tokens_per_second=10).total == pytest.approx(0.0576)
    assert speech_to_speech_minute("gpt-realtime").total == pytest.approx(0.096)
    assert speech_to_speech_minute("gpt-realtime").output_tokens == 1200


# ---------------------------------------------------------------------------------------------- conversation

TWO_TURNS = Conversation(minutes=1, turns=2, user_share=0.5, assistant_share=0.5, instructions_tokens=0)
# each 30 s turn: user 15 s → 150 audio tokens (no VAD), assistant 15 s → 300 audio tokens,
# transcript 15/60 × 150 wpm × 1.3 = 48.75 → 49 text tokens out


def test_context_is_rebilled_each_turn_by_hand():
    call = speech_to_speech(TWO_TURNS, vad=False)
    t1, t2 = call.turns
    assert (t1.input_tokens, t1.output_tokens) == (150, 349)
    assert (t2.input_tokens, t2.output_tokens) == (600, 349)  # 150 + 300 + 150
    # turn 1: 150 × $32 + 49 × $16 + 300 × $64 = 4 800 + 784 + 19 200 µ$
    assert t1.cost == Decimal("0.024784")
    # turn 2: 600 × $32 + 784 + 19 200 µ$
    assert t2.cost == Decimal("0.039184")
    assert call.total_decimal == Decimal("0.063968")
    assert call.per_minute == pytest.approx(0.063968)


def test_caching_by_hand():
    shape = Conversation(minutes=1, turns=2, user_share=0.5, assistant_share=0.5, instructions_tokens=1024)
    cached = speech_to_speech(shape, vad=False)
    uncached = speech_to_speech(shape, vad=False, caching=False)
    # turn 1 (nothing cached yet): 1 024 × $4 + 150 × $32 + 784 + 19 200 µ$ = 4 096 + 4 800 + 19 984
    assert cached.turns[0].cost == uncached.turns[0].cost == Decimal("0.02888")
    # turn 2: the previous input (1 024 + 150 = 1 174) is cached in 128-token blocks → 1 152:
    #   text 1 024 × $0.40 = 409.6; audio (600 − 128) × $32 = 15 104; audio cached 128 × $0.40 = 51.2;
    #   output 19 984 µ$
    assert cached.turns[1].cached_tokens == 1152
    assert cached.turns[1].cost == Decimal("0.0355488")
    # uncached turn 2: 1 024 × $4 + 600 × $32 + 19 984 = 4 096 + 19 200 + 19 984 µ$
    assert uncached.turns[1].cost == Decimal("0.04328")
    parts = dict(cached.turns[1].parts)
    assert parts["cached input"] == Decimal("0.0004608")  # 409.6 + 51.2 µ$


def test_cost_grows_with_turns_and_caching_mini_truncation_cut_it():
    shape = Conversation(minutes=15, turns=30)
    base = speech_to_speech(shape, caching=False)
    costs = [turn.cost for turn in base.turns]
    assert all(b > a for a, b in itertools.pairwise(costs))  # every response dearer than the last
    assert base.turns[-1].cost > 5 * base.turns[0].cost
    assert speech_to_speech(shape).total < base.total / 2
    assert speech_to_speech(shape, "gpt-realtime-mini", caching=False).total < base.total / 3
    truncated = speech_to_speech(shape, caching=False, truncation=0.5, post_instructions_token_limit=4_000)
    assert truncated.total < base.total


def test_vad_trims_silence():
    shape = Conversation(minutes=1, turns=2, user_share=0.25, assistant_share=0.5, instructions_tokens=0)
    # user buffer 15 s → 150 tokens; with VAD 7.5 s speech + 0.8 s padding = 8.3 s → 83 tokens
    assert speech_to_speech(shape, vad=False).turns[0].input_tokens == 150
    assert speech_to_speech(shape, vad=True).turns[0].input_tokens == 83
    assert speech_to_speech(shape, vad=True).total < speech_to_speech(shape, vad=False).total


def test_truncation_keeps_the_context_under_the_limit():
    shape = Conversation(minutes=20, turns=40, instructions_tokens=500)
    limit = 3_000
    auto = speech_to_speech(shape, truncation="auto", post_instructions_token_limit=limit)
    ratio = speech_to_speech(shape, truncation=0.6, post_instructions_token_limit=limit)
    for estimate in (auto, ratio):
        assert all(turn.input_tokens - 500 <= limit for turn in estimate.turns)
        assert any(turn.truncated for turn in estimate.turns)
    # retention_ratio truncates rarely (amortised), "auto" on every turn once full
    assert sum(t.truncated for t in ratio.turns) < sum(t.truncated for t in auto.turns) / 3
    # a truncation breaks the cached prefix; with 500 instruction tokens (< 1 024) nothing stays cached
    assert all(turn.cached_tokens == 0 for turn in auto.turns if turn.truncated)
    assert ratio.total < auto.total  # fewer cache misses
    disabled = speech_to_speech(shape, truncation="disabled", post_instructions_token_limit=limit)
    assert not any(t.truncated for t in disabled.turns)


def test_disabled_truncation_notes_an_overflow():
    call = speech_to_speech(Conversation(minutes=60, turns=60), truncation="disabled")
    assert call.notes and "would fail" in call.notes[0]


def test_input_transcription_is_billed_separately():
    shape = TWO_TURNS
    plain = speech_to_speech(shape, vad=False)
    with_stt = speech_to_speech(shape, vad=False, transcription_model="whisper-1")
    # whisper-1: 15 s per turn = 0.25 min × $0.006 = $0.0015 per turn
    assert dict(with_stt.turns[0].parts)["transcription"] == Decimal("0.0015")
    assert with_stt.total_decimal - plain.total_decimal == Decimal("0.003")
    assert with_stt.models == ("gpt-realtime", "whisper-1")


def test_chained_by_hand():
    shape = Conversation(
        minutes=1,
        turns=1,
        user_share=0.5,
        assistant_share=0.5,
        instructions_tokens=100,
        words_per_minute=150,
        tokens_per_word=1.0,
        characters_per_word=6.0,
    )
    call = chained(shape, stt_model="whisper-1", chat_model="gpt-4o-mini", tts_model="tts-1", vad=False)
    parts = dict(call.turns[0].parts)
    assert parts["speech-to-text"] == Decimal("0.003")  # 30 s × $0.006/min
    assert parts["chat input"] == Decimal("0.00002625")  # (100 + 75) × $0.15/M
    assert parts["chat output"] == Decimal("0.000045")  # 75 × $0.60/M
    assert parts["text-to-speech"] == Decimal("0.00675")  # 450 characters × $15/M
    assert call.total_decimal == Decimal("0.00982125")
    priced = chained(
        shape,
        stt_model="whisper-1",
        chat_model="gpt-4o-mini",
        tts_model="tts-1",
        vad=False,
        chat_prices={"text_input": 1, "text_output": 2},
    )
    assert dict(priced.turns[0].parts)["chat input"] == Decimal("0.000175")  # 175 × $1/M
    assert dict(priced.turns[0].parts)["chat output"] == Decimal("0.00015")  # 75 × $2/M


def test_chained_context_is_rebilled_as_text():
    call = chained(Conversation(minutes=10, turns=20))
    inputs = [turn.input_tokens for turn in call.turns]
    assert inputs == sorted(inputs) and inputs[-1] > inputs[0]
    assert call.total < speech_to_speech(Conversation(minutes=10, turns=20)).total / 3


def test_one_shot_costs_by_hand():
    rows = {r.model: r for r in one_shot_costs(1.0)}
    assert rows["whisper-1"].cost == Decimal("0.006")
    # 150 wpm × 6 characters = 900 characters × $15/M
    assert rows["tts-1"].cost == Decimal("0.0135")
    assert rows["tts-1-hd"].cost == Decimal("0.027")
    # gpt-4o-mini-tts: 195 text tokens × $0.60/M + 1 min × $0.015 (page estimate)
    assert rows["gpt-4o-mini-tts"].cost == Decimal("0.015117")
    # gpt-4o-transcribe: 1 min × $0.006 (estimate) + 195 transcript tokens × $10/M
    assert rows["gpt-4o-transcribe"].cost == Decimal("0.00795")
    # gpt-audio: 600 × $32 + 195 × $10 + 1 200 × $64 = 19 200 + 1 950 + 76 800 µ$
    assert rows["gpt-audio"].cost == Decimal("0.09795")
    assert [r.to_dict()["task"] for r in one_shot_costs()][:1] == ["transcription"]


def test_compare_approaches_for_a_thousand_calls():
    rows = compare_approaches(Conversation(minutes=5, turns=10), calls=1000)
    assert len(rows) == 5
    for row in rows:
        assert row.total == pytest.approx(float(row.per_call) * 1000)
        assert row.per_minute == pytest.approx(float(row.per_call) / 5)
        assert row.per_call == row.estimate.total_decimal
    by_label = {row.label: row for row in rows}
    assert by_label["gpt-realtime, no caching"].total > by_label["gpt-realtime"].total
    assert by_label["gpt-realtime-mini"].total < by_label["gpt-realtime"].total
    assert min(rows, key=lambda r: r.total).approach == "chained"


def test_concurrency():
    call = speech_to_speech(Conversation(minutes=5, turns=10))
    ten = concurrency(call, 10)
    assert ten.calls_per_hour == 120
    assert ten.per_hour == pytest.approx(call.total * 120)
    assert float(ten.average_per_minute) == pytest.approx(call.total * 10 / 5)
    assert float(ten.peak_per_minute) == pytest.approx(call.peak_per_minute * 10)
    assert ten.peak_per_minute >= ten.average_per_minute
    assert "10 calls at once" in repr(ten)


def test_adjustments_reach_the_estimators():
    before = speech_to_speech(TWO_TURNS, vad=False, at="2026-06-01").total_decimal
    register_table(
        {
            "name": "d",
            "adjustment": [
                {
                    "name": "discount",
                    "multiplier": 0.5,
                    "models": ["gpt-realtime"],
                    "effective": "2026-01-01",
                    "source": "s",
                }
            ],
        }
    )
    after = speech_to_speech(TWO_TURNS, vad=False, at="2026-06-01")
    assert after.total_decimal == before / 2
    assert "adjustment" in dict(after.turns[0].parts)
    assert speech_to_speech_minute("gpt-realtime", at="2026-06-01").total == pytest.approx(0.048)


def test_rows_are_tidy():
    call = speech_to_speech(TWO_TURNS)
    rows = call.to_rows()
    assert [r["turn"] for r in rows] == [1, 2]
    assert {"label", "minute", "input", "cached input", "output", "cost", "cumulative"} <= set(rows[0])
    assert rows[-1]["cumulative"] == pytest.approx(call.total)
    assert call.summary()["turns"] == 2
    assert "turn cost" in call.table()
    assert repr(call).startswith("gpt-realtime: 1 min, 2 turns → $")


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": -1}, "minutes"),
        ({"turns": 0}, "turns"),
        ({"turns": 2.5}, "turns"),
        ({"user_share": 1.5}, "user_share"),
        ({"user_share": 0.6, "assistant_share": 0.6}, "user_share"),
        ({"instructions_tokens": -1}, "instructions_tokens"),
        ({"words_per_minute": 0}, "words_per_minute"),
    ],
    ids=[
        "zero-minutes",
        "negative-minutes",
        "zero-turns",
        "fractional-turns",
        "share",
        "shares-sum",
        "instructions",
        "wpm",
    ],
)
def test_bad_conversation(kwargs, param):
    with pytest.raises(ParameterError) as info:
        Conversation(**kwargs)
    assert info.value.param == param


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: speech_to_speech(model="tts-1"), "model"),
        (lambda: speech_to_speech(truncation=1.5), "truncation"),
        (lambda: speech_to_speech(truncation="sometimes"), "truncation"),
        (lambda: speech_to_speech(post_instructions_token_limit=0), "post_instructions_token_limit"),
        (lambda: chained(stt_model="tts-1"), "stt_model"),
        (lambda: chained(tts_model="whisper-1"), "tts_model"),
        (lambda: chained(chat_model="tts-1"), "chat_model"),
        (lambda: compare_approaches(calls=0), "calls"),
        (lambda: concurrency(speech_to_speech(), 0), "calls"),
        (lambda: speech_to_speech_minute("whisper-1"), "model"),
        (lambda: speech_to_speech_minute(user_seconds=-1), "user_seconds"),
        (lambda: one_shot_costs(0), "minutes"),
    ],
    ids=[
        "s2s-not-realtime",
        "ratio-above-1",
        "truncation-word",
        "limit-zero",
        "stt-not-transcription",
        "tts-not-speech",
        "chat-without-text-prices",
        "calls-zero",
        "concurrency-zero",
        "minute-not-realtime",
        "minute-negative",
        "one-shot-zero",
    ],
)
def test_bad_estimator_arguments(call, param):
    with pytest.raises(ParameterError) as info:
        call()
    assert info.value.param == param


# ---------------------------------------------------------------------------------------------- plots


def test_plot_cost_vs_turns_draws_the_cumulative_cost():
    ax = Figure().subplots()
    a = speech_to_speech(Conversation(minutes=5, turns=10))
    b = speech_to_speech(Conversation(minutes=5, turns=10), "gpt-realtime-mini")
    lines = plot_cost_vs_turns([a, b], ax=ax)
    assert [line.get_label() for line in lines] == [a.label, b.label]
    assert list(lines[0].get_ydata()) == pytest.approx([row["cumulative"] for row in a.to_rows()])
    [per_turn] = plot_cost_vs_turns(a, cumulative=False, ax=Figure().subplots())
    assert list(per_turn.get_ydata()) == pytest.approx([row["cost"] for row in a.to_rows()])


def test_plot_turn_parts_stacks_to_the_turn_cost():
    call = speech_to_speech(Conversation(minutes=5, turns=10))
    bars = plot_turn_parts(call, ax=Figure().subplots())
    tops = [rect.get_y() + rect.get_height() for rect in bars[-1]]
    assert tops == pytest.approx([row["cost"] for row in call.to_rows()])


def test_plot_approaches_and_default_axes():
    import matplotlib.pyplot as plt

    rows = compare_approaches(calls=1000)
    fig = plt.figure()
    try:
        bars = plot_approaches(rows)  # ax=None: the current axes
        assert bars.patches[0].axes is fig.axes[0]
        assert [p.get_width() for p in bars.patches] == pytest.approx([r.total for r in rows])
    finally:
        plt.close(fig)
    with pytest.raises(ParameterError):
        plot_approaches(rows, value="median", ax=Figure().subplots())
    with pytest.raises(ParameterError):
        plot_cost_vs_turns([], ax=Figure().subplots())


def test_legends_sit_beside_the_axes_not_over_the_bars():
    fig = Figure(figsize=(9, 3.5), layout="constrained")
    ax = fig.subplots()
    plot_turn_parts(speech_to_speech(Conversation(minutes=15, turns=30)), ax=ax)
    fig.canvas.draw()
    legend, axes = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert legend.x0 >= axes.x1  # entirely to the right of the plotting area


def test_explorer_redraws_the_chart_when_a_control_moves():
    box = explorer(at="2026-03-01")
    first = box.output.outputs
    assert [list(o.get("data", {"stream": 0})) for o in first] == [["image/png", "text/plain"], ["stream"]]
    assert first[1]["text"].startswith("gpt-realtime: 5 min, 10 turns")
    box.controls["turns"].value = 30
    second = box.output.outputs
    assert len(second) == 2  # replaced, not appended
    assert second[1]["text"].startswith("gpt-realtime: 5 min, 30 turns")
    assert second[0]["data"]["image/png"] != first[0]["data"]["image/png"]  # a new chart, not the old one
    box.controls["model"].value = "chained"
    assert box.output.outputs[1]["text"].startswith("chained")
    # labels are wide enough to be read whole
    assert all(c.style.description_width == "10em" for c in box.controls.values())


# ---------------------------------------------------------------------------------------------- docs


@pytest.mark.parametrize("module", ["tables", "usage", "breakdown", "estimate", "plots", "cli", "_format"])
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"voicelab.pricing.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_scenario_matches_the_estimators():
    result = scenario("gpt-realtime-mini", minutes=5, turns=10, concurrent_calls=10, at="2026-03-01")
    direct = speech_to_speech(Conversation(minutes=5, turns=10), "gpt-realtime-mini", at="2026-03-01")
    assert result.estimate.total_decimal == direct.total_decimal
    assert result.lines.per_hour == pytest.approx(direct.total * 120)
    assert result.to_dict()["concurrent_calls"] == 10
    chained_result = scenario("chained", minutes=5, turns=10)
    assert chained_result.estimate.approach == "chained"
    truncated = scenario(minutes=30, turns=60, retention_ratio=0.5, token_limit=4_000, caching=False)
    assert any(turn.truncated for turn in truncated.estimate.turns)
    assert "truncated at 4,000" in truncated.estimate.label


def test_explore_draws_on_a_new_figure_and_returns_the_result():
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    try:
        result = explore("gpt-realtime", minutes=2, turns=4, concurrent_calls=3)
        new = set(plt.get_fignums()) - before
        assert len(new) == 1
        [number] = new
        assert len(plt.figure(number).axes[0].patches) == 4 * 3  # 4 turns × input/cached/output bars
        assert result.lines.concurrent_calls == 3
    finally:
        for number in set(plt.get_fignums()) - before:
            plt.close(number)


def test_to_table_of_each_result_kind_and_bad_input():
    call = speech_to_speech(Conversation(minutes=5, turns=10))
    assert to_table([call]).splitlines()[1].startswith("gpt-realtime")
    assert "1,000 calls" in to_table(compare_approaches(calls=1000)).splitlines()[0]
    assert "whisper-1" in to_table(one_shot_costs())
    assert "at once" in to_table([concurrency(call, 2)])
    with pytest.raises(ParameterError):
        to_table([])
    with pytest.raises(ParameterError):
        to_table([call, concurrency(call, 2)])
    with pytest.raises(ParameterError):
        to_table([1, 2])


def test_package_exports_resolve():
    import voicelab.pricing as pricing

    for module in (
        pricing,
        *(
            importlib.import_module(f"voicelab.pricing.{m}")
            for m in ("tables", "usage", "breakdown", "estimate", "plots", "cli")
        ),
    ):
        assert module.__all__
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_chat_prices_reject_unknown_rate_names():
    with pytest.raises(ParameterError) as info:
        chained(chat_prices={"text_inptu": 1.0})
    assert info.value.param == "text_inptu"
