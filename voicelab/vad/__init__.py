"""Voice activity detection: detectors, OpenAI's server_vad / semantic_vad turn detection, evaluation.

- :mod:`~voicelab.vad.detectors` — :class:`SileroDetector`, :class:`EnergyDetector` (speech probability
  per frame; batch and streaming).
- :mod:`~voicelab.vad.server_vad` — :class:`ServerVAD` / :class:`ServerVADParams`, the sans-I/O state
  machine with OpenAI's parameters, and its events.
- :mod:`~voicelab.vad.semantic` — :class:`SemanticVAD`, an approximation of ``semantic_vad``.
- :mod:`~voicelab.vad.evaluation` — frame metrics, ROC/AUC, turn metrics, parameter sweeps.
- :mod:`~voicelab.vad.plots` — waveform + probability overlays, ROC and trade-off curves.
- :mod:`~voicelab.vad.table` — :class:`~voicelab.vad.table.Table`, the tidy result of sweeps (no pandas).

The emulator's realtime turn detection runs these classes; :func:`turn_detector` builds one from a session's
``audio.input.turn_detection``.
"""

from __future__ import annotations

from typing import Any

from voicelab.errors import ParameterError
from voicelab.vad.detectors import Detector, DetectorStream, EnergyDetector, SileroDetector, frame_levels_db
from voicelab.vad.semantic import EAGERNESS_MAX_WAIT_MS, SemanticVAD, utterance_cue
from voicelab.vad.server_vad import (
    ServerVAD,
    ServerVADParams,
    SpeechStarted,
    SpeechStopped,
    TimeoutTriggered,
    VADEvent,
    VADState,
)

__all__ = [
    "EAGERNESS_MAX_WAIT_MS",
    "Detector",
    "DetectorStream",
    "EnergyDetector",
    "SemanticVAD",
    "ServerVAD",
    "ServerVADParams",
    "SileroDetector",
    "SpeechStarted",
    "SpeechStopped",
    "TimeoutTriggered",
    "VADEvent",
    "VADState",
    "frame_levels_db",
    "turn_detector",
    "utterance_cue",
]


def turn_detector(config: dict[str, Any] | None, *, detector: Detector | None = None,
                  sr: int = 24000) -> ServerVAD | None:
    """The turn detector for a session's ``audio.input.turn_detection`` setting.

    ``None`` (manual commits) → ``None``; ``{"type": "server_vad", …}`` → :class:`ServerVAD`;
    ``{"type": "semantic_vad", …}`` → :class:`SemanticVAD`. Bad values raise
    :class:`~voicelab.errors.ParameterError` naming the field.

    Examples
    --------
    >>> turn_detector({"type": "server_vad", "silence_duration_ms": 700}).params.silence_duration_ms
    700
    >>> turn_detector({"type": "semantic_vad", "eagerness": "high"})
    SemanticVAD(eagerness='high', state=QUIET, position_ms=0)
    >>> turn_detector(None) is None
    True
    """
    if config is None:
        return None
    if not isinstance(config, dict):
        raise ParameterError("turn_detection", expected="an object or null", got=type(config).__name__)
    kind = config.get("type", "server_vad")
    if kind == "server_vad":
        return ServerVAD(ServerVADParams.from_turn_detection(config), detector=detector, sr=sr)
    if kind == "semantic_vad":
        return SemanticVAD.from_turn_detection(config, detector=detector, sr=sr)
    raise ParameterError("turn_detection.type", expected="'server_vad' or 'semantic_vad'", got=repr(kind))
