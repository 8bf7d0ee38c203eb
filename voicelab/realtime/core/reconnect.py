"""The connection's phases and the reconnect policy of a client session.

Examples
--------
>>> [ReconnectPolicy().delay(n) for n in (1, 2, 3)]
[1.0, 2.0, 4.0]
>>> Phase.READY.value
'ready'
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from voicelab.errors import ParameterError

__all__ = ["Phase", "ReconnectPolicy"]


class Phase(enum.Enum):
    """Where the connection is. Every transition is guarded in :class:`~voicelab.realtime.core.ClientCore`."""

    IDLE = "idle"  # not yet connected
    CONNECTING = "connecting"  # socket opening, waiting for session.created
    CONFIGURING = "configuring"  # session.update sent, waiting for session.updated
    READY = "ready"  # conversation can proceed
    RECONNECTING = "reconnecting"  # socket lost; client events are held back
    CLOSED = "closed"  # closed on purpose, or gave up


@dataclass(frozen=True)
class ReconnectPolicy:
    """How often and how patiently to reconnect.

    Parameters
    ----------
    max_attempts : int
        Tries after a drop (default 3).
    initial_delay : float
        Seconds before the first try; each next try doubles it (1, 2, 4 s by default).
    max_delay : float
        Upper bound of one delay.

    Examples
    --------
    >>> [ReconnectPolicy().delay(n) for n in (1, 2, 3)]
    [1.0, 2.0, 4.0]
    >>> ReconnectPolicy(initial_delay=0.5, max_delay=1.0).delay(3)
    1.0
    """

    max_attempts: int = 3
    initial_delay: float = 1.0
    max_delay: float = 4.0

    def __post_init__(self) -> None:
        if self.max_attempts < 0:
            raise ParameterError("max_attempts", expected="a count ≥ 0", got=repr(self.max_attempts))
        if self.initial_delay < 0 or self.max_delay < self.initial_delay:
            raise ParameterError(
                "initial_delay",
                expected="0 ≤ initial_delay ≤ max_delay",
                got=f"{self.initial_delay}, max_delay={self.max_delay}",
            )

    def delay(self, attempt: int) -> float:
        """Seconds to wait before try number ``attempt`` (1-based)."""
        return float(min(self.initial_delay * 2 ** (attempt - 1), self.max_delay))
