"""Price tables: schema, shipped data, dates, aliases, user tables (voicelab/pricing/tables.py)."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from decimal import Decimal

import jsonschema
import pytest

from voicelab.errors import ParameterError, UnknownModelError
from voicelab.pricing import tables as T
from voicelab.pricing.tables import (
    CACHED_RATE,
    INPUT_RATE,
    RATE_FIELDS,
    Category,
    PriceTable,
    builtin_dir,
    load_table,
    quote,
    register_table,
)

SCHEMA = json.loads((builtin_dir() / "schema.json").read_text())
BUILTIN_FILES = sorted(p for p in builtin_dir().glob("*.toml"))



def _as_json(value):
    """TOML dates → ISO strings, so the JSON schema can check the parsed file."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


# ---------------------------------------------------------------------------------------------- shipped data


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=lambda p: p.name)
def test_builtin_table_matches_the_json_schema(path):
    with path.open("rb") as handle:
        data = _as_json(tomllib.load(handle))
    jsonschema.validate(data, SCHEMA)


def test_builtin_rows_have_source_date_and_sane_rates():
    [table] = load_table(builtin_dir())
    assert table.rows, "no price rows"
    for row in table.rows:
        where = f"{row.model} {row.effective}"
        assert row.source.strip(), where
        assert isinstance(row.effective, date), where
        assert row.rates, where
        for name, value in row.rates:
            assert name in RATE_FIELDS, where
            assert value >= 0, where
            assert row.source_of(name).strip(), where
        for modality, cached in CACHED_RATE.items():
            if row.rate(cached) is not None:
                assert row.rate(cached) <= row.rate(INPUT_RATE[modality]), where
    # every row has a model; a model without prices says why (not published, and when that was checked)
    priced = {row.model for row in table.rows}
    assert priced <= set(table.models)
    for name, info in table.models.items():
        assert name in priced or "checked" in info.not_published, name


def test_realtime_models_carry_the_documented_audio_token_rates():
    [table] = load_table(builtin_dir())
    realtime = [m for m in table.models.values() if m.category is Category.REALTIME]
    assert len(realtime) >= 4
    for info in realtime:
        assert info.input_audio_tokens_per_second == 10, info.name  # 1 token / 100 ms
        assert info.output_audio_tokens_per_second == 20, info.name  # 1 token / 50 ms
        assert info.token_rate_source


@pytest.mark.parametrize(
    ("model", "field", "expected"),
    [
        ("gpt-realtime", "audio_input", "32"),
        ("gpt-realtime", "audio_cached_input", "0.40"),
        ("gpt-realtime", "audio_output", "64"),
        ("gpt-realtime", "text_cached_input", "0.40"),
        ("gpt-realtime", "image_input", "5"),
        ("gpt-realtime-mini", "text_cached_input", "0.06"),
        ("gpt-realtime-mini", "audio_cached_input", "0.30"),
        ("gpt-4o-mini-realtime-preview", "text_cached_input", "0.30"),
        # the traps in other tables: the page says $6 and $3 per 1M audio tokens,
        # and $0.60 text in for mini-tts
        ("gpt-4o-transcribe", "audio_input", "6"),
        ("gpt-4o-mini-transcribe", "audio_input", "3"),
        ("gpt-4o-mini-tts", "text_input", "0.60"),
        ("gpt-4o-mini-tts", "audio_output", "12"),
        ("whisper-1", "per_minute", "0.006"),
        ("tts-1", "per_million_characters", "15"),
        ("tts-1-hd", "per_million_characters", "30"),
        ("gpt-audio", "audio_output", "64"),
        ("gpt-4o-mini-audio-preview", "text_input", "0.15"),
    ],
    ids=lambda v: str(v),
)
def test_published_figures(model, field, expected):
    assert quote(model, at="2026-03-01").row.rate(field) == Decimal(expected)


def test_models_without_caching_discount_bill_cached_at_input_rate():
    row = quote("gpt-audio").row
    assert row.rate("text_cached_input") is None
    assert row.cached_rate("text") == Decimal("2.5")


# ------------------------------------------------------------------------------------------- dates and names


@pytest.mark.parametrize(
    ("model", "at", "audio_in", "audio_cached", "effective"),
    [
        ("gpt-4o-realtime-preview", "2024-10-01", "100", "20", date(2024, 10, 1)),
        ("gpt-4o-realtime-preview", "2024-12-16", "100", "20", date(2024, 10, 1)),
        ("gpt-4o-realtime-preview", "2024-12-17", "40", "2.50", date(2024, 12, 17)),
        ("gpt-4o-realtime-preview", "2026-01-01", "40", "2.50", date(2024, 12, 17)),
        ("gpt-4o-realtime-preview-2024-10-01", "2026-01-01", "100", "20", date(2024, 10, 1)),
        ("gpt-4o-realtime-preview-2024-12-17", "2025-02-01", "40", "2.50", date(2024, 12, 17)),
    ],
    ids=["launch-day", "day-before-cut", "cut-day", "today-ish", "old-snapshot-keeps-price", "new-snapshot"],
)
def test_date_picks_the_row_in_force(model, at, audio_in, audio_cached, effective):
    q = quote(model, at=at)
    assert q.row.rate("audio_input") == Decimal(audio_in)
    assert q.row.rate("audio_cached_input") == Decimal(audio_cached)
    assert q.row.effective == effective


def test_cached_audio_cut_was_87_5_percent():
    before = quote("gpt-4o-realtime-preview", at="2024-12-01").row.rate("audio_cached_input")
    after = quote("gpt-4o-realtime-preview", at="2025-01-01").row.rate("audio_cached_input")
    assert (before - after) / before == Decimal("0.875")


@pytest.mark.parametrize(
    ("requested", "canonical"),
    [
        ("gpt-realtime-2025-08-28", "gpt-realtime"),
        ("gpt-realtime-1.5", "gpt-realtime"),
        ("GPT-Realtime", "gpt-realtime"),
        ("gpt-realtime-mini-2025-12-15", "gpt-realtime-mini"),  # an unlisted dated snapshot still resolves
        ("gpt-4o-realtime-preview-2025-06-03", "gpt-4o-realtime-preview"),
        ("gpt-4o-mini-tts-2025-12-15", "gpt-4o-mini-tts"),
    ],
    ids=lambda v: v,
)
def test_aliases_and_snapshots_resolve(requested, canonical):
    assert quote(requested).model.name == canonical


def test_dates_accept_date_datetime_and_iso_strings():
    from datetime import datetime

    assert quote("gpt-realtime", at=date(2025, 9, 1)).at == date(2025, 9, 1)
    assert quote("gpt-realtime", at=datetime(2025, 9, 1, 12)).at == date(2025, 9, 1)
    assert quote("gpt-realtime", at="2025-09-01").at == date(2025, 9, 1)


def test_unknown_model_lists_close_names():
    with pytest.raises(UnknownModelError) as info:
        quote("gpt-realtme")
    assert "gpt-realtime" in info.value.close
    assert "did you mean" in str(info.value)
    assert isinstance(info.value, KeyError)


def test_no_prices_before_a_model_existed():
    with pytest.raises(UnknownModelError, match="on 2025-01-01"):
        quote("gpt-realtime", at="2025-01-01")


def test_snapshot_before_its_date_is_unknown():
    with pytest.raises(UnknownModelError, match="appeared on 2024-12-17"):
        quote("gpt-4o-realtime-preview-2024-12-17", at="2024-11-01")


@pytest.mark.parametrize("at", ["yesterday", "2024-13-01", 20240101], ids=["word", "bad-month", "int"])
def test_bad_date_is_a_parameter_error(at):
    with pytest.raises(ParameterError) as info:
        quote("gpt-realtime", at=at)
    assert info.value.param == "at"


@pytest.mark.parametrize("model", ["", None, 42], ids=["empty", "none", "int"])
def test_bad_model_name(model):
    with pytest.raises(ParameterError) as info:
        quote(model)
    assert info.value.param == "model"


# ---------------------------------------------------------------------------------------------- user tables

FUTURE = """
name = "acme"
[[price]]
model = "gpt-realtime"
effective = 2027-01-01
source = "hypothetical 2027 price list"
text_input = 3.0
text_cached_input = 0.3
text_output = 12.0
audio_input = 24.0
audio_cached_input = 0.3
audio_output = 48.0

[[adjustment]]
name = "EU data residency uplift"
multiplier = 1.1
models = ["gpt-realtime*"]
effective = 2026-06-01
source = "contract addendum 7"
"""


def test_env_dir_adds_a_dated_row_and_an_uplift(tmp_path, monkeypatch):
    (tmp_path / "acme.toml").write_text(FUTURE)
    monkeypatch.setenv("VOICELAB_PRICING_DIR", str(tmp_path))
    assert quote("gpt-realtime", at="2026-12-31").row.rate("audio_output") == Decimal("64.0")
    future = quote("gpt-realtime", at="2027-02-01")
    assert future.row.rate("audio_output") == Decimal("48.0")
    assert future.row.table == "acme"
    assert [a.name for a in future.adjustments] == ["EU data residency uplift"]
    assert quote("gpt-realtime", at="2026-05-31").adjustments == ()
    assert quote("gpt-realtime-mini", at="2026-07-01").adjustments[0].multiplier == Decimal("1.1")
    assert quote("whisper-1", at="2026-07-01").adjustments == ()


def test_register_table_from_file_and_unregister(tmp_path):
    path = tmp_path / "acme.toml"
    path.write_text(FUTURE)
    [table] = register_table(path)
    assert quote("gpt-realtime", at="2027-02-01").row.rate("audio_input") == Decimal("24.0")
    T.unregister_table(table)
    assert quote("gpt-realtime", at="2027-02-01").row.rate("audio_input") == Decimal("32.0")
    with pytest.raises(ParameterError):
        T.unregister_table(table)


def test_registered_row_with_same_date_replaces_the_builtin_one():
    register_table(
        {
            "name": "override",
            "price": [
                {"model": "whisper-1", "effective": "2023-03-01", "source": "negotiated", "per_minute": 0.005}
            ],
        }
    )
    assert quote("whisper-1").row.rate("per_minute") == Decimal("0.005")


def test_user_table_can_add_a_new_model():
    register_table(
        {
            "name": "mine",
            "model": [
                {
                    "name": "my-realtime",
                    "category": "realtime",
                    "input_audio_tokens_per_second": 10,
                    "output_audio_tokens_per_second": 20,
                    "token_rate_source": "same as gpt-realtime",
                }
            ],
            "price": [
                {
                    "model": "my-realtime",
                    "effective": "2026-01-01",
                    "source": "quote",
                    "audio_input": 1,
                    "audio_output": 2,
                }
            ],
        }
    )
    assert quote("my-realtime").model.category is Category.REALTIME


def test_json_table_loads(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps(
            {
                "name": "j",
                "price": [
                    {"model": "tts-1", "effective": "2030-01-01", "source": "x", "per_million_characters": 10}
                ],
            }
        )
    )
    [table] = load_table(path)
    assert table.rows[0].rate("per_million_characters") == Decimal(10)


def test_load_missing_path_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match="existing price table"):
        load_table(tmp_path / "nope.toml")


def test_malformed_toml_is_a_parameter_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[[price]\nmodel = ")
    with pytest.raises(ParameterError, match="valid TOML"):
        load_table(path)


def test_price_for_undefined_model_is_rejected_on_merge():
    register_table(
        {
            "name": "orphan",
            "price": [{"model": "nobody", "effective": "2026-01-01", "source": "x", "text_input": 1}],
        }
    )
    with pytest.raises(ParameterError, match="\\[\\[model\\]\\]"):
        quote("gpt-realtime")


GOOD_ROW = {
    "model": "gpt-realtime",
    "effective": "2026-01-01",
    "source": "s",
    "text_input": 1.0,
    "text_cached_input": 0.1,
}


@pytest.mark.parametrize(
    ("change", "field", "schema_rejects"),
    [
        ({"source": None}, "price[0].source", True),
        ({"source": ""}, "price[0].source", True),
        ({"effective": None}, "price[0].effective", True),
        ({"effective": "soon"}, "price[0].effective", True),
        ({"text_input": -1.0, "text_cached_input": None}, "price[0].text_input", True),
        ({"text_cached_input": 2.0}, "price[0].text_cached_input", False),
        ({"text_input": None}, "price[0].text_cached_input", True),
        ({"text_inptu": 1.0}, "price[0].text_inptu", True),
        ({"text_input": "cheap"}, "price[0].text_input", True),
        ({"model": None}, "price[0].model", True),
    ],
    ids=[
        "no-source",
        "empty-source",
        "no-date",
        "bad-date",
        "negative",
        "cached-above-input",
        "cached-alone",
        "typo",
        "not-a-number",
        "no-model",
    ],
)
def test_bad_rows_are_rejected_naming_the_field(change, field, schema_rejects):
    row = {**GOOD_ROW, **change}
    row = {k: v for k, v in row.items() if v is not None}
    with pytest.raises(ParameterError) as info:
        PriceTable.from_mapping({"name": "t", "price": [row]}, origin="t.toml")
    assert info.value.param == f"t.toml: {field}"
    if schema_rejects:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"name": "t", "price": [row]}, SCHEMA)


def test_good_row_passes_both_checks():
    PriceTable.from_mapping({"name": "t", "price": [GOOD_ROW]})
    jsonschema.validate({"name": "t", "price": [GOOD_ROW]}, SCHEMA)


def test_duplicate_row_is_rejected():
    with pytest.raises(ParameterError, match="one row per model and effective date"):
        PriceTable.from_mapping({"price": [GOOD_ROW, GOOD_ROW]})


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"name": "m", "category": "video"}, "model[0].category"),
        (
            {"name": "m", "category": "realtime", "input_audio_tokens_per_second": 10},
            "model[0].token_rate_source",
        ),
        ({"name": "m", "category": "realtime", "aliases": "m2"}, "model[0].aliases"),
    ],
    ids=["category", "rate-without-source", "aliases-not-list"],
)
def test_bad_model_entries(entry, field):
    with pytest.raises(ParameterError) as info:
        PriceTable.from_mapping({"model": [entry]}, origin="t")
    assert info.value.param == f"t: {field}"


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"name": "d", "effective": "2026-01-01", "source": "s"}, "adjustment[0].multiplier"),
        (
            {"name": "d", "multiplier": -0.5, "effective": "2026-01-01", "source": "s"},
            "adjustment[0].multiplier",
        ),
        (
            {"name": "d", "multiplier": 0.9, "effective": "2026-01-01", "until": "2025-01-01", "source": "s"},
            "adjustment[0].until",
        ),
        ({"name": "d", "multiplier": 0.9, "effective": "2026-01-01"}, "adjustment[0].source"),
    ],
    ids=["no-multiplier", "negative", "until-before", "no-source"],
)
def test_bad_adjustments(entry, field):
    with pytest.raises(ParameterError) as info:
        PriceTable.from_mapping({"adjustment": [entry]}, origin="t")
    assert info.value.param == f"t: {field}"


def test_missing_builtin_tables_say_how_to_fix(monkeypatch, tmp_path):
    from voicelab.errors import PricingError

    monkeypatch.setattr(T, "__file__", str(tmp_path / "a" / "b" / "tables.py"))
    monkeypatch.setattr(T.sys, "prefix", str(tmp_path))
    with pytest.raises(PricingError, match="VOICELAB_PRICING_DIR"):
        builtin_dir()


def test_models_the_catalogue_bills_by_the_minute_have_a_per_minute_price():
    from voicelab.protocol.models import CATALOGUE

    by_minute = [m.name for m in CATALOGUE if m.billing == "minutes"]
    assert {"whisper-1", "gpt-realtime-whisper", "gpt-realtime-translate"} <= set(by_minute)
    for name in by_minute:
        assert quote(name).row.rate("per_minute") is not None, name
