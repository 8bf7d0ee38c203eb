"""The reconnect policy's delays and checks."""

from __future__ import annotations

import pytest

from voicelab.errors import ParameterError
from voicelab.realtime.core import (
    ReconnectPolicy,
)


@pytest.mark.parametrize(
    "policy, delays",
    [(ReconnectPolicy(), [1.0, 2.0, 4.0]), (ReconnectPolicy(5, 0.01, 0.02), [0.01, 0.02, 0.02, 0.02, 0.02])],
    ids=["default-1-2-4", "fast-capped"],
)
def test_reconnect_policy_delays(policy, delays):
    assert [policy.delay(n) for n in range(1, policy.max_attempts + 1)] == delays


def test_reconnect_policy_validates():
    with pytest.raises(ParameterError):
        ReconnectPolicy(initial_delay=5, max_delay=1)
