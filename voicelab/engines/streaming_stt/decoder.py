"""One Whisper decoding pass over a short window, without the 30 s padding.

faster-whisper pads every clip to Whisper's 30 s window (3000 mel frames) before the encoder runs, so a 2 s
utterance costs as much encoder time as a 30 s one. CTranslate2 (≥ 4) accepts shorter mel inputs, so
:class:`WindowDecoder` computes the log-mel features of the audio it is given, pads them with silence to
``max(min_input_s, audio + pad_s)`` (10 s and 2 s by default) and decodes greedily without timestamps.
One probe here (load average 3.6): Whisper base encoded 10 s in 0.07 s, the 30 s window in 0.52 s.

Why not trim to the audio alone: with an encoder input shorter than about 8–10 s Whisper loops.
Measured here on 45 prefixes (20 %…100 %) of the English samples, clean and noisy: inputs of audio + 1, 2 or
3 s of silence looped on 10–12 of them (``"The weather is nice today. The weather is nice today. …"``);
``max(10 s, audio + 2 s)`` looped on none (``docs/engines.md``).

The decoder can force a *prefix* (text already committed by the streaming transcriber): the prefix tokens
are fed to the decoder as given, in one parallel step, and only the continuation is generated. A *prompt*
(the text of earlier windows, or the session's transcription prompt) conditions the decoder through
Whisper's ``<|startofprev|>`` slot, as ``initial_prompt`` does in faster-whisper.

Work per pass is bounded before it starts: the window is at most ``max_window_s`` long (longer input is a
:class:`~voicelab.errors.ParameterError`) and at most ``tokens_per_s · duration + 8`` tokens are generated
(capped at 224, half Whisper's context).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from voicelab.errors import ParameterError

if TYPE_CHECKING:
    from voicelab.engines.stt import TokenLogprob

__all__ = [
    "SAMPLE_RATE",
    "Hypothesis",
    "WindowDecoder",
]

SAMPLE_RATE = 16_000
_MAX_PROMPT_TOKENS = 223  # Whisper's text context is 448 tokens; faster-whisper gives the prompt half
_MAX_NEW_TOKENS = 224
_CONTEXT = 448  # Whisper's text positions


@dataclass(frozen=True)
class Hypothesis:
    """The result of one pass: ``text`` continues ``prefix`` (it starts with a space for spaced languages).

    ``seconds`` is the wall-clock time the pass took; ``audio_s`` the length of the window decoded.
    """

    text: str
    language: str
    audio_s: float
    seconds: float
    tokens: int
    avg_logprob: float


class WindowDecoder:
    """Greedy Whisper decoding of a window of 16 kHz audio, encoder input trimmed to the audio.

    Parameters
    ----------
    model : faster_whisper.WhisperModel
        A loaded model (Whisper base from :func:`voicelab.engines.stt.load_model`, or Whisper tiny.en from
        :func:`voicelab.engines.streaming_stt.weights.load_tiny_en`).
    name : str
        Shown in reports.
    max_window_s : float
        Longest window one pass accepts (default 30 s, Whisper's window).
    tokens_per_s : float
        Bound on generated tokens per second of audio (default 12: fast Japanese is ≈ 8 tokens/s).
    min_input_s : float
        Shortest encoder input (default 10 s); shorter windows are padded with silence.
    pad_s : float
        Silence always appended after the audio (default 2 s).

    Examples
    --------
    >>> from voicelab.engines import stt
    >>> from voicelab import samples
    >>> from voicelab.audio import resample
    >>> decoder = WindowDecoder(stt.load_model(), name="whisper-base")  # doctest: +SKIP
    >>> y, sr = samples.load("en_weather")
    >>> decoder.decode(resample(y, sr, 16000), language="en").text  # doctest: +SKIP
    " The weather is nice today. Let's go for a walk in the park."
    """

    def __init__(self, model: Any, *, name: str, max_window_s: float = 30.0, tokens_per_s: float = 12.0,
                 min_input_s: float = 10.0, pad_s: float = 2.0) -> None:
        self.model = model
        self.name = name
        self.max_window_s = float(max_window_s)
        self.tokens_per_s = float(tokens_per_s)
        self.min_input_s = float(min_input_s)
        self.pad_s = float(pad_s)
        if not 0 < self.max_window_s <= 30 or not 0 <= self.min_input_s <= 30:
            raise ParameterError("max_window_s", expected="windows of at most 30 s (Whisper's window)",
                                 got=f"max_window_s={max_window_s!r}, min_input_s={min_input_s!r}")
        self.multilingual = bool(model.model.is_multilingual)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, multilingual={self.multilingual})"

    # ----------------------------------------------------------------- public API
    def languages(self) -> tuple[str, ...]:
        """Language codes this model transcribes (``("en",)`` for an English-only model)."""
        if not self.multilingual:
            return ("en",)
        from faster_whisper.tokenizer import _LANGUAGE_CODES

        return tuple(_LANGUAGE_CODES)

    def encode(self, y16: np.ndarray) -> Any:
        """Encoder output for the window (a CTranslate2 ``StorageView``); checks the window's length."""
        import ctranslate2

        y16 = np.asarray(y16, dtype=np.float32).reshape(-1)
        seconds = len(y16) / SAMPLE_RATE
        if seconds > self.max_window_s + 1e-9:
            raise ParameterError("y16", expected=f"at most {self.max_window_s:g} s of audio per pass",
                                 got=f"{seconds:.2f} s", fix="split the audio into windows")
        input_s = min(30.0, max(self.min_input_s, seconds + self.pad_s))
        frames = 2 * math.ceil(input_s * 50)  # 100 frames/s; the encoder's convolution halves the count
        padded = np.zeros(frames * 160 + 400, np.float32)
        padded[: len(y16)] = y16
        features = self.model.feature_extractor(padded, padding=0)[:, :frames]
        return self.model.model.encode(ctranslate2.StorageView.from_array(
            np.ascontiguousarray(features[None], dtype=np.float32)), to_cpu=True)

    def detect_language(self, y16: np.ndarray, candidates: Sequence[str] = ()) -> str:
        """The most likely language of the window (``"en"`` for an English-only model); with
        ``candidates`` (a session's ``languages``), the most likely of those."""
        if not self.multilingual:
            return "en"
        return self._language_of(self.encode(y16), candidates)

    def _language_of(self, encoded: Any, candidates: Sequence[str]) -> str:
        ranked = [(str(token)[2:-2], float(p)) for token, p in self.model.model.detect_language(encoded)[0]]
        allowed = [(code, p) for code, p in ranked if code in candidates] if candidates else ranked
        return max(allowed or ranked, key=lambda pair: pair[1])[0]

    def token_logprobs(self, y16: np.ndarray, text: str, *, language: str) -> list[TokenLogprob]:
        """Whisper's log probability of each token of ``text`` for the window (teacher-forced, from
        CTranslate2's alignment, as :func:`voicelab.engines.stt.transcribe` reports them)."""
        from faster_whisper.tokenizer import Tokenizer

        from voicelab.engines.stt import token_logprobs

        tokenizer = Tokenizer(self.model.hf_tokenizer, self.multilingual, task="transcribe",
                              language=language if self.multilingual else None)
        tokens = tokenizer.encode(text if text[:1].isspace() else " " + text) if text.strip() else []
        if not tokens:
            return []
        encoded = self.encode(y16)
        frames = min(encoded.shape[1] * 2, math.ceil(len(y16) / 160) + 1)
        result = self.model.model.align(encoded, tokenizer.sot_sequence, [tokens], frames)[0]
        return token_logprobs(self.model.hf_tokenizer,
                              list(zip(tokens, result.text_token_probs, strict=False)))

    def decode(self, y16: np.ndarray, *, language: str | None = None, prefix: str = "",
               prompt: str | None = None, languages: Sequence[str] = (),
               beam_size: int = 1) -> Hypothesis:
        """Transcribe one window, continuing ``prefix``.

        Parameters
        ----------
        y16 : ndarray, shape (n,)
            16 kHz float32 mono audio, at most ``max_window_s`` long.
        language : str, optional
            ISO 639-1 code; ``None`` detects it from the window.
        prefix : str
            Text the transcript of this window must start with (forced, not generated).
        prompt : str, optional
            Earlier text that conditions the decoder (only its last 223 tokens are used).
        languages : sequence of str
            Without ``language``: the language is the most likely of these (all when empty).
        beam_size : int
            1 (greedy, default) or a beam search of this width.

        Returns
        -------
        Hypothesis
            ``text`` is the generated continuation only (without ``prefix``).
        """
        from faster_whisper.tokenizer import Tokenizer

        started = time.perf_counter()
        encoded = self.encode(y16)
        audio_s = len(y16) / SAMPLE_RATE
        if language is None:
            language = "en" if not self.multilingual else self._language_of(encoded, languages)
        tokenizer = Tokenizer(self.model.hf_tokenizer, self.multilingual, task="transcribe",
                              language=language if self.multilingual else None)
        new_tokens = min(_MAX_NEW_TOKENS, math.ceil(self.tokens_per_s * audio_s) + 8)
        forced = tokenizer.encode(prefix if prefix[:1].isspace() else " " + prefix) if prefix else []
        start = [*tokenizer.sot_sequence, tokenizer.no_timestamps, *forced]
        if len(start) + new_tokens > _CONTEXT:
            raise ParameterError("prefix", expected=f"at most {_CONTEXT - new_tokens - 4} tokens",
                                 got=f"{len(forced)} tokens", fix="use a shorter window")
        earlier: list[int] = []
        if prompt and prompt.strip():
            room = min(_MAX_PROMPT_TOKENS, _CONTEXT - len(start) - new_tokens - 1)
            if room > 0:
                earlier = [tokenizer.sot_prev, *tokenizer.encode(" " + prompt.strip())[-room:]]
        tokens = earlier + start
        result = self.model.model.generate(
            encoded, [tokens], beam_size=max(1, int(beam_size)),
            max_length=min(_CONTEXT, len(tokens) + new_tokens),
            return_scores=True, suppress_blank=not prefix, suppress_tokens=[-1],
        )[0]
        generated = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
        if generated[: len(forced)] == forced:  # CTranslate2 returns the forced prefix with the result
            generated = generated[len(forced):]
        text = tokenizer.decode(generated)
        score = float(result.scores[0]) if result.scores else 0.0
        return Hypothesis(text=text, language=language, audio_s=round(audio_s, 3),
                          seconds=time.perf_counter() - started, tokens=len(generated),
                          avg_logprob=score)
