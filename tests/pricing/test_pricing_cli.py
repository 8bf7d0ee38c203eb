"""``voicelab cost`` (voicelab/pricing/cli.py) driven through argparse, as the top-level CLI does."""

from __future__ import annotations

import argparse
import io
import json

import pytest

from voicelab.pricing import cli

from .conftest import DOC_USAGE

DOC_EVENT = {"type": "response.done", "event_id": "e1", "response": {"usage": DOC_USAGE}}



def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="voicelab cost")
    cli.add_arguments(parser)
    return cli.run(parser.parse_args(list(argv)))


def test_prices_a_usage_file(tmp_path, capsys):
    path = tmp_path / "usage.json"
    path.write_text(json.dumps(DOC_EVENT))
    assert run(str(path), "--model", "gpt-realtime") == 0
    out = capsys.readouterr().out
    assert "gpt-realtime · realtime usage · prices effective 2025-08-28" in out
    assert out.strip().endswith("$0.0069656")


def test_prices_a_usage_from_stdin(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO('{"type": "duration", "seconds": 90}'))
    assert run("-", "--model", "whisper-1") == 0
    assert "$0.0090000" in capsys.readouterr().out


def test_a_list_of_usages_is_summed(tmp_path, capsys):
    path = tmp_path / "session.json"
    path.write_text(json.dumps([DOC_EVENT, DOC_EVENT["response"]]))
    assert run(str(path), "--model", "gpt-realtime") == 0
    assert "2 usages, total $0.0139312" in capsys.readouterr().out


def test_historical_date_and_json_output(tmp_path, capsys):
    path = tmp_path / "usage.json"
    path.write_text(json.dumps(DOC_EVENT))
    assert run(str(path), "--model", "gpt-4o-realtime-preview", "--at", "2024-11-01", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total_exact"] == "0.020535" and data["effective"] == "2024-10-01"


def test_extra_table_applies_for_the_run_only(tmp_path, capsys):
    table = tmp_path / "discount.toml"
    table.write_text(
        'name = "acme"\n[[adjustment]]\nname = "negotiated"\nmultiplier = 0.5\n'
        'models = ["whisper-1"]\neffective = 2020-01-01\nsource = "contract"\n'
    )
    usage = tmp_path / "u.json"
    usage.write_text('{"type": "duration", "seconds": 60}')
    assert run(str(usage), "--model", "whisper-1", "--table", str(table)) == 0
    assert capsys.readouterr().out.strip().endswith("$0.0030000")
    assert run(str(usage), "--model", "whisper-1") == 0
    assert capsys.readouterr().out.strip().endswith("$0.0060000")


def test_scenario_prints_summary_concurrency_and_comparison(capsys):
    assert (
        run(
            "--model",
            "gpt-realtime",
            "--minutes",
            "5",
            "--turns",
            "10",
            "--concurrency",
            "10",
            "--calls",
            "1000",
            "--per-turn",
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("gpt-realtime: 5 min, 10 turns → $0.3604 per call")
    assert "10 calls at once → $43.25/hour (120 calls of 5 min)" in out
    assert "1,000 calls" in out and "chained whisper-1 + gpt-4o-mini + tts-1" in out
    assert "cumulative" in out  # the per-turn table


def test_scenario_json_matches_the_estimator(capsys):
    from voicelab.pricing.estimate import Conversation, speech_to_speech

    assert run("--model", "gpt-realtime-mini", "--minutes", "3", "--turns", "6", "--no-cache", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    expected = speech_to_speech(Conversation(minutes=3, turns=6), "gpt-realtime-mini", caching=False)
    assert data["summary"]["total"] == pytest.approx(expected.total)
    assert len(data["turns"]) == 6


def test_chained_scenario(capsys):
    assert (
        run("--chained", "--minutes", "2", "--turns", "4", "--stt-model", "whisper-1", "--tts-model", "tts-1")
        == 0
    )
    assert capsys.readouterr().out.startswith("chained whisper-1 + gpt-4.1-mini + tts-1: 2 min, 4 turns")


def test_list_models(capsys):
    assert run("--list-models") == 0
    out = capsys.readouterr().out
    assert "gpt-realtime " in out and "whisper-1" in out and "per_minute 0.006" in out
    assert "per_minute 0.017" in out and "per_minute 0.034" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "not published: no price found for gpt-transcribe" in lines["gpt-transcribe"]
    assert "not published: no price found for gpt-audio-1.5" in lines["gpt-audio-1.5"]
    assert "audio_output 64" in lines["gpt-realtime-2"] and "text_output 24" in lines["gpt-realtime-2"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["USAGE", "--model", "gpt-realtme"], "did you mean: gpt-realtime"),
        (["USAGE"], "model: expected a model name"),
        (["MISSING", "--model", "gpt-realtime"], "No such file"),
        (["BADJSON", "--model", "gpt-realtime"], "Expecting"),
        (["--minutes", "0"], "minutes: expected a positive number"),
        (["--turns", "3", "--retention-ratio", "2"], "truncation: expected"),
        ([], "give a usage JSON file"),
    ],
    ids=["unknown-model", "no-model", "missing-file", "bad-json", "bad-minutes", "bad-ratio", "nothing"],
)
def test_errors_exit_2_with_a_message(tmp_path, capsys, argv, message):
    usage = tmp_path / "u.json"
    usage.write_text(json.dumps(DOC_EVENT))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    argv = [
        {"USAGE": str(usage), "MISSING": str(tmp_path / "nope.json"), "BADJSON": str(bad)}.get(a, a)
        for a in argv
    ]
    assert run(*argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("voicelab cost:") and message in err


def test_top_level_voicelab_cost_dispatches_here(capsys):
    # voicelab.cli imports every subcommand's module; skip until the other subcommands exist in the tree
    pytest.importorskip("voicelab.emulator.cli")
    pytest.importorskip("voicelab.lab")
    from voicelab.cli import main

    assert main(["cost", "--model", "gpt-realtime", "--minutes", "2", "--turns", "1"]) == 0
    assert capsys.readouterr().out.startswith("gpt-realtime: 2 min, 1 turns")


@pytest.mark.parametrize(
    ("model", "total"),
    [("gpt-realtime-whisper", "$0.0255000"), ("gpt-realtime-translate", "$0.0510000")],
)
def test_per_minute_models_from_stdin(monkeypatch, capsys, model, total):
    monkeypatch.setattr("sys.stdin", io.StringIO('{"type": "duration", "seconds": 90}'))
    assert run("-", "--model", model) == 0
    out = capsys.readouterr().out
    assert f"{model} · duration usage · prices effective 2026-05-07" in out
    assert out.strip().endswith(total)


def test_unpublished_price_exits_2_naming_it(tmp_path, capsys):
    usage = tmp_path / "u.json"
    usage.write_text(json.dumps({"type": "duration", "seconds": 60}))
    assert run(str(usage), "--model", "gpt-transcribe") == 2
    assert "not published by OpenAI" in capsys.readouterr().err
