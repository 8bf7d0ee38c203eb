"""Fault options: server defaults from settings, per-connection overrides from the query."""

from __future__ import annotations

import pytest

from voicelab.emulator.realtime.faults import FaultConfig
from voicelab.emulator.settings import EmulatorSettings
from voicelab.errors import ParameterError


def test_defaults_from_settings():
    faults = FaultConfig.from_settings(EmulatorSettings(realtime_pacing=False))
    assert faults == FaultConfig(pacing=False, seed=0)
    assert FaultConfig.from_settings(EmulatorSettings(realtime_pacing=True)).pacing is True


def test_query_overrides():
    faults = FaultConfig().with_query(
        {
            "fault_drop_after": "3",
            "fault_expire_after": "1.5",
            "fault_status": "429",
            "fault_latency_ms": "20",
            "fault_jitter_ms": "5",
            "pacing": "on",
        }
    )
    assert (faults.drop_after, faults.expire_after_s, faults.connect_status) == (3, 1.5, 429)
    assert (faults.latency_ms, faults.jitter_ms, faults.pacing) == (20.0, 5.0, True)
    assert FaultConfig(pacing=True).with_query({"model": "gpt-realtime"}).pacing is True


@pytest.mark.parametrize(
    "query, param",
    [
        ({"fault_drop_after": "many"}, "fault_drop_after"),
        ({"fault_drop_after": "-1"}, "fault_drop_after"),
        ({"fault_status": "200"}, "fault_status"),
        ({"fault_status": "700"}, "fault_status"),
        ({"fault_latency_ms": "nan"}, "fault_latency_ms"),
        ({"pacing": "sometimes"}, "pacing"),
    ],
    ids=["not-a-number", "negative", "status-too-low", "status-too-high", "nan", "pacing-word"],
)
def test_bad_query_values_name_the_parameter(query, param):
    with pytest.raises(ParameterError) as raised:
        FaultConfig().with_query(query)
    assert raised.value.param == param
