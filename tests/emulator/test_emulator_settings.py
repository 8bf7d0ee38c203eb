"""voicelab.emulator.settings: keyword arguments, then VOICELAB_* environment variables, then defaults."""

from __future__ import annotations

import argparse

import pytest

from voicelab.emulator.cli import add_arguments, settings_from_args
from voicelab.emulator.settings import EmulatorSettings
from voicelab.errors import ParameterError


def test_environment_fills_what_the_arguments_leave_out(monkeypatch):
    monkeypatch.setenv("VOICELAB_API_KEY", "fake-from-env")
    monkeypatch.setenv("VOICELAB_FIXED_TIME", "2026-01-02T03:04:05Z")
    monkeypatch.setenv("VOICELAB_REALTIME_PACING", "false")
    settings = EmulatorSettings(port=0)
    assert (settings.api_key, settings.fixed_time, settings.realtime_pacing, settings.port) == (
        "fake-from-env",
        "2026-01-02T03:04:05Z",
        False,
        0,
    )
    assert EmulatorSettings(api_key=None).api_key is None  # an explicit argument wins over the environment


def test_serve_options_win_over_the_environment_and_absent_ones_fall_back_to_it(monkeypatch):
    monkeypatch.setenv("VOICELAB_PORT", "9100")
    monkeypatch.setenv("VOICELAB_LLM_MODEL", "llama")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    settings = settings_from_args(parser.parse_args(["--port", "9200"]))
    assert (settings.port, settings.llm_model, settings.host) == (9200, "llama", "127.0.0.1")


def test_a_bad_environment_value_is_a_parameter_error_naming_the_setting(monkeypatch):
    monkeypatch.setenv("VOICELAB_FAULT_STATUS", "200")
    with pytest.raises(ParameterError) as info:
        EmulatorSettings()
    assert info.value.param == "fault_status" and "400..599" in str(info.value)


def test_replace_validates_and_keeps_secrets_out_of_the_repr():
    settings = EmulatorSettings(api_key="fake-secret-value").replace(port=0)
    assert settings.port == 0 and settings.api_key == "fake-secret-value"
    assert "fake-secret" not in repr(settings)
    with pytest.raises(ParameterError):
        settings.replace(fault_rate=1.5)


def test_limits_are_settings_with_documented_defaults(monkeypatch):
    defaults = EmulatorSettings()
    assert (defaults.max_sessions, defaults.max_input_buffer_seconds, defaults.max_outbox_bytes) == (
        100,
        900.0,
        16 * 1024 * 1024,
    )
    assert defaults.max_event_bytes == 15 * 1024 * 1024  # OpenAI's documented maximum
    assert (defaults.max_request_bytes, defaults.header_timeout_s) == (40 * 1024 * 1024, 10.0)
    assert (defaults.max_minted_keys, defaults.max_engine_jobs) == (1000, 4)
    monkeypatch.setenv("VOICELAB_MAX_SESSIONS", "7")
    monkeypatch.setenv("VOICELAB_HEADER_TIMEOUT_S", "2.5")
    configured = EmulatorSettings()
    assert (configured.max_sessions, configured.header_timeout_s) == (7, 2.5)
    with pytest.raises(ParameterError) as bad:
        EmulatorSettings(max_sessions=0)
    assert bad.value.param == "max_sessions"
