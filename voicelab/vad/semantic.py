"""An approximation of OpenAI's ``semantic_vad``: the wait after speech depends on whether the user
sounds finished.

OpenAI's semantic VAD runs a turn-detection model over the words; it only documents ``eagerness``
(``low``/``medium``/``high``/``auto`` = ``medium``) and the maximum waits 8 s / 4 s / 2 s. voicelab
cannot run that model offline, so :class:`SemanticVAD` keeps :class:`~voicelab.vad.ServerVAD`'s start
detection (threshold 0.5, 300 ms prefix padding, 100 ms minimum speech) and chooses the silence that
ends a turn from an **end-of-utterance cue**, re-evaluated on every frame of the silence:

======================  ===============================================  ==================
cue                     when                                             wait
======================  ===============================================  ==================
``"unfinished"``        transcript hint ends with ``,`` ``…`` ``-`` or    the maximum
                        a connective/filler (and, but, so, um, uh, …)     (8 / 4 / 2 s)
``"finished"``          transcript hint ends with ``.`` ``!`` ``?``        maximum / 8
                        (or ``。！？``), or — without a hint — the level    (1 / 0.5 / 0.25 s)
                        of the last 256 ms of speech fell by at least
                        ``falling_db_per_s`` (default 20 dB/s: a
                        sentence-final fade)
``"unknown"``           anything else                                    maximum / 4
                                                                         (2 / 1 / 0.5 s)
======================  ===============================================  ==================

The transcript hint (:meth:`SemanticVAD.hint`) wins over the acoustic cue; it is cleared when the
next turn starts. The level slope is a least-squares fit of frame RMS (dBFS) against time over the
speech frames just before the silence, computed on the detector's own frame grid, so the result is
deterministic and independent of chunk size. Without audio (``feed_probabilities`` without
``levels_db``) the acoustic cue is ``"unknown"``.

Examples
--------
>>> vad = SemanticVAD("high")
>>> vad.max_wait_ms, vad.wait_ms("finished"), vad.wait_ms("unknown")
(2000, 250, 500)
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any, Literal

import numpy as np

from voicelab.errors import ParameterError
from voicelab.protocol.session import SEMANTIC_VAD_MAX_WAIT_MS
from voicelab.vad.detectors import Detector, DetectorStream, _level_db
from voicelab.vad.server_vad import ServerVAD, ServerVADParams, VADEvent, VADState

__all__ = ["EAGERNESS_MAX_WAIT_MS", "Eagerness", "SemanticVAD", "utterance_cue"]

Eagerness = Literal["low", "medium", "high", "auto"]
Cue = Literal["finished", "unfinished", "unknown"]

EAGERNESS_MAX_WAIT_MS: dict[str, int] = SEMANTIC_VAD_MAX_WAIT_MS
_WAIT_FRACTION: dict[str, float] = {"finished": 1 / 8, "unknown": 1 / 4, "unfinished": 1.0}
_FINAL = re.compile(r"[.!?。！？]+[\"'”’)\]]*\s*$")
_OPEN = re.compile(r"([,;:、，\-–—]|\.\.\.|…)\s*$")
_CONNECTIVES = {
    "and", "but", "or", "so", "because", "um", "uh", "er", "erm", "like", "then", "if", "the", "a", "an",
    "to", "of", "with", "that", "which", "when", "while", "although", "well", "for", "in", "on", "at",
    "by", "from", "about", "into", "my", "your", "our", "their", "his", "her", "is", "are", "was", "i",
}
_CUE_WINDOW_MS = 256.0


def utterance_cue(text: str | None) -> Cue:
    """End-of-utterance cue from a (partial) transcript.

    Examples
    --------
    >>> utterance_cue("Book a table for two."), utterance_cue("I'd like, um"), utterance_cue("Hello there")
    ('finished', 'unfinished', 'unknown')
    """
    if not text or not text.strip():
        return "unknown"
    text = text.strip()
    if _OPEN.search(text):
        return "unfinished"
    if _FINAL.search(text):
        return "finished"
    words = re.findall(r"[\w']+", text.lower())
    if words and words[-1] in _CONNECTIVES:
        return "unfinished"
    return "unknown"


class _LevelScorer:
    def score(self, frame: np.ndarray) -> float:
        return _level_db(frame)


class SemanticVAD(ServerVAD):
    """``semantic_vad`` approximation with :class:`ServerVAD`'s interface (``feed``, ``feed_probabilities``,
    ``flush``, ``reset``, ``state``) plus :meth:`hint` for a transcript.

    Parameters
    ----------
    eagerness : {"low", "medium", "high", "auto"}
        ``auto`` = ``medium``. Sets the maximum wait (8 / 4 / 2 s) and the shorter cue-based waits.
    detector : Detector, optional
        Silero by default.
    sr : int
        Rate of the audio given to :meth:`feed`. Default 24000.
    falling_db_per_s : float
        Level slope (dB/s, positive number) at the end of speech that counts as a sentence-final fade.

    Examples
    --------
    >>> import numpy as np
    >>> vad = SemanticVAD("medium")
    >>> probs = np.r_[np.zeros(5), np.ones(20), np.zeros(40)]
    >>> [type(e).__name__ for e in vad.feed_probabilities(probs)]   # no audio, no hint: waits 1 s
    ['SpeechStarted', 'SpeechStopped']
    >>> vad.reset()
    >>> [type(e).__name__ for e in vad.feed_probabilities(probs[:25])]
    ['SpeechStarted']
    >>> vad.hint("and then")        # the transcript so far sounds unfinished: wait the full 4 s
    >>> vad.feed_probabilities(probs[25:])
    []
    """

    def __init__(self, eagerness: Eagerness = "auto", *, detector: Detector | None = None, sr: int = 24000,
                 falling_db_per_s: float = 20.0) -> None:
        if eagerness not in EAGERNESS_MAX_WAIT_MS:
            raise ParameterError("eagerness", expected="one of 'low', 'medium', 'high', 'auto'",
                                 got=repr(eagerness))
        if not (isinstance(falling_db_per_s, (int, float)) and falling_db_per_s > 0):
            raise ParameterError("falling_db_per_s", expected="a positive slope in dB/s",
                                 got=repr(falling_db_per_s))
        self.eagerness = eagerness
        self.max_wait_ms = EAGERNESS_MAX_WAIT_MS[eagerness]
        self.falling_db_per_s = float(falling_db_per_s)
        params = ServerVADParams(silence_duration_ms=self.wait_ms("unknown"))
        self._hint: str | None = None
        self._levels: list[float] = []
        self._level_offset = 0
        self._level_stream: DetectorStream | None = None
        self._acoustic_cue: Cue = "unknown"
        #: (ms where a silence began, acoustic cue decided there) for the last 256 silences
        self.cue_history: deque[tuple[int, Cue]] = deque(maxlen=256)
        super().__init__(params, detector=detector, sr=sr)

    @classmethod
    def from_turn_detection(cls, config: dict[str, Any], **kwargs: Any) -> SemanticVAD:
        """Build from a session's ``turn_detection`` dict with ``type`` ``semantic_vad``."""
        return cls(config.get("eagerness") or "auto", **kwargs)

    def wait_ms(self, cue: Cue) -> int:
        """Silence that ends a turn for a given cue at this eagerness."""
        return round(self.max_wait_ms * _WAIT_FRACTION[cue])

    def hint(self, text: str | None) -> None:
        """Give the transcript of the current utterance so far (``None`` clears it)."""
        self._hint = text

    @property
    def cue(self) -> Cue:
        """The end-of-utterance cue in force now."""
        from_text = utterance_cue(self._hint)
        return from_text if from_text != "unknown" else self._acoustic_cue

    def feed_probabilities(self, probs: np.ndarray | list[float], *,
                           levels_db: np.ndarray | list[float] | None = None) -> list[VADEvent]:
        """As :meth:`ServerVAD.feed_probabilities`; ``levels_db`` (one dBFS value per frame, e.g. from
        :func:`~voicelab.vad.frame_levels_db`) enables the acoustic cue without audio."""
        if levels_db is not None:
            levels = np.asarray(levels_db, dtype=np.float64).reshape(-1)
            if levels.size != np.asarray(probs).reshape(-1).size:
                raise ParameterError("levels_db", expected="one level per probability",
                                     got=f"{levels.size} levels for {np.asarray(probs).size} probabilities")
            self._levels.extend(levels.tolist())
        return super().feed_probabilities(probs)

    def feed(self, samples: np.ndarray) -> list[VADEvent]:
        """As :meth:`ServerVAD.feed`; frame levels for the acoustic cue come from the same stream."""
        if self._stream is None:
            self._stream = self.detector.stream(self.sr)
            if isinstance(self._stream, DetectorStream):
                self._stream.levels = self._levels  # the stream appends one level per frame
        return super().feed(samples)

    def flush(self) -> list[VADEvent]:
        if self._level_stream is not None:
            self._levels.extend(self._level_stream.flush().tolist())
        return super().flush()

    def __repr__(self) -> str:
        return (f"SemanticVAD(eagerness={self.eagerness!r}, state={self.state.name}, "
                f"position_ms={self.position_ms})")

    # ----------------------------------------------------------------- hooks
    def _on_reset(self) -> None:
        self._hint = None
        self._levels = []
        self._level_offset = 0
        self._level_stream = None
        self._acoustic_cue = "unknown"
        self.cue_history = deque(maxlen=256)

    def _on_audio(self, samples: np.ndarray, first_frame: int) -> None:
        if isinstance(self._stream, DetectorStream) and self._stream.levels is self._levels:
            return  # levels already collected by the detector's stream
        if self._level_stream is None:
            assert self._stream is not None
            self._level_stream = DetectorStream(_LevelScorer(), sr=self.sr,
                                                frame_samples=self._stream.frame_samples)
        self._levels.extend(self._level_stream.process(samples).tolist())

    def _on_turn_start(self) -> None:
        self._hint = None
        self._acoustic_cue = "unknown"

    def _on_silence_start(self, frame: int) -> None:
        self._acoustic_cue = self._falling_cue(frame)
        self.cue_history.append((self._ms(frame), self._acoustic_cue))
        # keep memory bounded on long sessions: levels before this turn are never needed again
        drop = self._m.utterance_start - self._level_offset
        if drop > 4096:
            del self._levels[:drop]
            self._level_offset += drop

    def _falling_cue(self, silence_frame: int) -> Cue:
        n = max(3, round(_CUE_WINDOW_MS / self.frame_ms))
        lo = max(self._m.utterance_start, silence_frame - n) - self._level_offset
        hi = silence_frame - self._level_offset
        if lo < 0 or hi > len(self._levels) or hi - lo < 3:
            return "unknown"
        levels = np.asarray(self._levels[lo:hi])
        t = np.arange(levels.size) * (self.frame_ms / 1000.0)
        slope = float(np.polyfit(t, levels, 1)[0])
        return "finished" if slope <= -self.falling_db_per_s else "unknown"

    def _silence_needed_ms(self) -> float:
        if self._m.state is not VADState.STOPPING:
            return float(self.max_wait_ms)
        return float(self.wait_ms(self.cue))
