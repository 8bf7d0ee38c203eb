"""Recognition that runs while the user speaks: a sans-I/O incremental transcriber.

:class:`StreamingTranscriber` takes audio chunks as they arrive (:meth:`~StreamingTranscriber.feed`, cheap,
safe on the event loop) and re-decodes the growing utterance in *passes* (:meth:`~StreamingTranscriber.step`,
CPU work: run it in a worker thread) whenever :attr:`~StreamingTranscriber.pass_due`. Each pass decodes the
current window with the committed text forced as the decoder's prefix and commits what three consecutive
passes agree on (:class:`~voicelab.engines.streaming_stt.agreement.LocalAgreement`); the newly committed text
is the :attr:`Partial.delta` (it is only ever appended to). :meth:`~StreamingTranscriber.finalize` at the end
of the turn commits the rest and returns the final transcript.

Threads: :meth:`~StreamingTranscriber.feed`, :meth:`~StreamingTranscriber.pause` and
:attr:`~StreamingTranscriber.pass_due` may be called on the event loop while a pass runs in a worker thread
(fed audio is handed over under a lock). :meth:`~StreamingTranscriber.step` and
:meth:`~StreamingTranscriber.finalize` must not overlap: run them one at a time per transcriber.

Why it is fast at the end of a turn: server VAD fires ``speech_stopped`` only ``silence_duration_ms`` (500 ms
by default) after the speech ended. The caller reports the start of that silence with
:meth:`~StreamingTranscriber.pause`; one pass then runs as soon as ``settle_ms`` of the silence has arrived,
and if speech does not resume, :meth:`~StreamingTranscriber.finalize` reuses that pass instead of decoding
again (``FinalTranscript.reused``).

Bounds (checked before the work starts): a pass decodes at most ``max_window_s`` of audio. Longer speech
without a turn end is split into windows: in the last 2 s before the limit nothing more is committed (so the
committed text stays well before the cut), the window is cut at the quietest 100 ms of the last 1.5 s, its
whole text is committed, and the next window is conditioned on it (Whisper's previous-text prompt). Audio
after ``max_utterance_s`` is ignored (``FinalTranscript.truncated``), so
:meth:`~StreamingTranscriber.finalize` does at most ``ceil(max_utterance_s / max_window_s)`` passes even if
:meth:`~StreamingTranscriber.step` was never called.

Examples
--------
>>> from voicelab import samples
>>> from voicelab.audio import chunks
>>> transcriber = StreamingTranscriber(load_decoder("whisper-base"), language="en")  # doctest: +SKIP
>>> y, sr = samples.load("en_weather")
>>> deltas = []
>>> for chunk in chunks(y, sr, ms=20):  # doctest: +SKIP
...     transcriber.feed(chunk)
...     if transcriber.pass_due:
...         deltas.append(transcriber.step().delta)
>>> final = transcriber.finalize()  # doctest: +SKIP
>>> "".join(deltas) + final.delta == final.text  # doctest: +SKIP
True
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from voicelab.audio import ResampleStream, validate
from voicelab.errors import EngineError, ParameterError

from .agreement import LocalAgreement, split_units
from .decoder import SAMPLE_RATE, Hypothesis, WindowDecoder

if TYPE_CHECKING:
    from voicelab.engines.stt import TokenLogprob

__all__ = [
    "FinalTranscript",
    "Partial",
    "StreamingTranscriber",
    "TranscriberState",
]

_MS = SAMPLE_RATE // 1000
_LANGUAGE_AFTER_S = 1.0  # detect the language once this much audio is in
_MIN_PASS_MS = 100  # step() on less audio returns without decoding
_FREEZE_S = 2.0  # no commits in the last seconds of a window …
_CUT_SEARCH_S = 1.5  # … which is cut at the quietest point of its last seconds


class TranscriberState(enum.Enum):
    """``LISTENING`` accepts audio; ``FINAL`` after :meth:`StreamingTranscriber.finalize`."""

    LISTENING = "listening"
    FINAL = "final"


@dataclass(frozen=True)
class Partial:
    """The result of one pass.

    ``delta`` is the text committed by this pass (append it; it never changes), ``committed`` all committed
    text so far, ``tail`` the rest of the newest hypothesis (unstable), ``audio_ms`` the audio the pass
    covered (from the first sample fed), ``seconds`` the time the pass took.
    """

    delta: str
    committed: str
    tail: str
    language: str | None
    audio_ms: int
    seconds: float


@dataclass(frozen=True)
class FinalTranscript:
    """The end of a turn.

    ``delta`` is the text not yet delivered by partial results (``"".join(partial deltas) + delta ==
    text``); ``audio_ms`` the audio the transcript covers (from the first sample fed, after trimming at
    ``speech_end_ms + tail_ms`` and at ``max_utterance_s``); ``seconds`` the time
    :meth:`StreamingTranscriber.finalize` took; ``reused`` whether it reused
    the pass run during the closing silence instead of decoding again; ``passes`` and ``pass_seconds``
    count all passes of the turn (their CPU cost); ``truncated`` whether audio past ``max_utterance_s``
    was ignored; ``tokens`` Whisper's per-token log probabilities of ``text`` (``logprobs=True``; for a
    transcript longer than one window, each window's text aligned with its audio).
    """

    text: str
    delta: str
    language: str | None
    audio_ms: int
    seconds: float
    reused: bool
    passes: int
    pass_seconds: float
    truncated: bool
    tokens: tuple[TokenLogprob, ...] = ()


class StreamingTranscriber:
    """Incremental transcription of one utterance (one turn): feed audio, step passes, finalize.

    Parameters
    ----------
    decoder : WindowDecoder
        The engine (see :func:`~voicelab.engines.streaming_stt.load_decoder`).
    sr : int
        Rate of the audio given to :meth:`feed` (24000 for the Realtime API's PCM16; 16000 also works).
    language : str, optional
        ISO 639-1 code; ``None`` detects it once 1 s of audio is in.
    prompt : str, optional
        Text conditioning the decoder (the session's ``transcription.prompt``).
    step_ms : int
        New audio needed before another pass is due (default 300 ms).
    first_pass_ms : int
        Audio needed before the first pass (default 500 ms).
    settle_ms : int
        Silence after :meth:`pause` before the closing pass runs (default 250 ms).
    max_window_s : float
        Longest audio one pass decodes (default 20 s, at least 5 s).
    max_utterance_s : float
        Audio after this is ignored (default 120 s).
    keywords : sequence of str
        Words or phrases to expect (OpenAI's ``keywords``): Whisper *hotwords*, put before the prompt in the
        decoder's previous-text slot of every pass (as faster-whisper does with ``hotwords``).
    languages : sequence of str
        Without ``language``: the detected language is the most likely of these (OpenAI's ``languages``).
    beam_size : int
        Beam width of the pass that makes the transcript final (the closing pass and :meth:`finalize`);
        regular passes stay greedy. A session's ``delay`` picks it
        (:data:`voicelab.engines.stt.DELAY_BEAM_SIZES`).
    agreement : int
        Consecutive passes that must agree before a word is committed (default 3, LocalAgreement-3). With 2,
        early passes over 1–1.5 s of noisy speech committed words the whole utterance then contradicts
        ("Turn block" for "Turn left", "to blocks" for "two blocks"): on the 12 English labelled samples,
        streamed in 100 ms chunks with passes after 1 s and every 0.5 s, WER 3.3 % with 2, 1.1 % with 3 —
        the same as Whisper base on the whole recording (measured 2026-11-30). The latency at the end of a
        turn does not depend on it (the closing pass commits everything); only the deltas come later.
    logprobs : bool
        Give the final transcript Whisper's per-token log probabilities (``FinalTranscript.tokens``, one
        alignment pass over the utterance in :meth:`finalize`).
    """

    def __init__(self, decoder: WindowDecoder, *, sr: int = 24000, language: str | None = None,
                 prompt: str | None = None, step_ms: int = 300, first_pass_ms: int = 500,
                 settle_ms: int = 250, max_window_s: float = 20.0, max_utterance_s: float = 120.0,
                 keywords: Sequence[str] = (), languages: Sequence[str] = (), beam_size: int = 1,
                 agreement: int = 3, logprobs: bool = False) -> None:
        for name, value in (("step_ms", step_ms), ("first_pass_ms", first_pass_ms), ("settle_ms", settle_ms)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ParameterError(name, expected="a non-negative integer number of milliseconds",
                                     got=repr(value))
        if not 5.0 <= max_window_s <= decoder.max_window_s:
            raise ParameterError("max_window_s", expected=f"from 5 to {decoder.max_window_s:g} s",
                                 got=repr(max_window_s))
        if not max_window_s <= max_utterance_s:
            raise ParameterError("max_utterance_s", expected=f"at least max_window_s ({max_window_s:g} s)",
                                 got=repr(max_utterance_s))
        for name, codes in (("language", [language] if language is not None else []),
                            ("languages", list(languages))):
            unknown = [code for code in codes if code not in decoder.languages()]
            if unknown:
                raise ParameterError(name, expected=f"languages {decoder.name} transcribes",
                                     got=", ".join(map(repr, unknown)),
                                     fix="use Whisper base for this language")
        if not isinstance(beam_size, int) or isinstance(beam_size, bool) or not 1 <= beam_size <= 8:
            raise ParameterError("beam_size", expected="an integer from 1 to 8", got=repr(beam_size))
        hotwords = ", ".join(word.strip() for word in keywords if word.strip())
        self.decoder = decoder
        self.sr = int(sr)
        self.language = language
        self.prompt = _join(hotwords, prompt or "") or None
        self.languages = tuple(languages)
        self.beam_size = beam_size
        self.agreement = agreement
        self.logprobs = bool(logprobs)
        self.step_ms = step_ms
        self.first_pass_ms = first_pass_ms
        self.settle_ms = settle_ms
        self.max_window = int(max_window_s * SAMPLE_RATE)
        self.max_samples = int(max_utterance_s * SAMPLE_RATE)
        self.state = TranscriberState.LISTENING
        self._resampler = ResampleStream(self.sr, SAMPLE_RATE) if self.sr != SAMPLE_RATE else None
        self._pieces: list[np.ndarray] = []  # fed but not yet joined into _audio (guarded by _feed_lock)
        self._kept = 0  # 16 kHz samples kept (at most max_samples)
        self._feed_lock = threading.Lock()
        self._audio = np.zeros(0, np.float32)  # 16 kHz, from the first sample fed (at most max_samples)
        self._received = 0  # 16 kHz samples received, including any beyond max_samples
        self._window_start = 0
        self._earlier_text = ""  # committed text of closed windows
        self._windows: list[tuple[int, int, str]] = []  # closed windows: start, end, text
        self._agreement = LocalAgreement(self.agreement)
        self._last_pass_end = 0  # end of the audio decoded by the latest pass (16 kHz samples)
        self._last: Hypothesis | None = None
        self._last_window = 0  # start of the window the latest pass decoded
        self._last_beam = 1  # its beam width (finalize reuses only a pass decoded with the final beam)
        self._pause_at: int | None = None
        self._passes = 0
        self._pass_seconds = 0.0
        self._delivered = ""

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.decoder.name}, state={self.state.name}, "
                f"audio_ms={self.audio_ms}, committed={self.committed!r})")

    # ----------------------------------------------------------------- cheap calls (event loop)
    @property
    def audio_ms(self) -> int:
        """Audio received so far (ms)."""
        return self._received // _MS

    @property
    def committed(self) -> str:
        """All committed text so far."""
        return _join(self._earlier_text, self._agreement.committed_text)

    def feed(self, y: np.ndarray) -> None:
        """Append a chunk of float32 mono audio at ``self.sr`` (O(chunk): resampling only).

        Raises
        ------
        voicelab.errors.ParameterError
            Not float mono audio (PCM16 must be converted with ``voicelab.audio.from_pcm16``).
        voicelab.errors.EngineError
            The transcriber is final.
        """
        self._check_listening()
        y = validate(y)
        if y.ndim != 1:
            raise ParameterError("y", expected="mono samples of shape (n,)", got=f"shape {y.shape}",
                                 fix="down-mix with voicelab.audio.to_mono")
        out = self._resampler.process(y) if self._resampler is not None else y
        self._append(out)

    def pause(self, at_ms: int | None) -> None:
        """The VAD heard silence start at ``at_ms`` (ms from the first sample fed); ``None``: speech again.

        While a pause is set, no regular pass starts; one pass (the closing pass) is due as soon as
        ``settle_ms`` of the silence has been fed, so that :meth:`finalize` can reuse it when the VAD then
        ends the turn. Calling it again during the same pause keeps the first ``at_ms`` (so it can be
        called after every chunk while the VAD is STOPPING).
        """
        if at_ms is None:
            self._pause_at = None
        elif self._pause_at is None:
            self._pause_at = max(0, int(at_ms)) * _MS

    @property
    def pass_due(self) -> bool:
        """Whether :meth:`step` has work to do now."""
        if self.state is not TranscriberState.LISTENING:
            return False
        end = self._kept  # a plain read: the worker thread alone joins the fed pieces
        if self._pause_at is not None:
            settled = self._pause_at + self.settle_ms * _MS
            # no regular pass during a pause (the worker stays free), one closing pass after settle_ms
            return self._last_pass_end < settled <= end
        if end - self._window_start < self.first_pass_ms * _MS:
            return False
        return end - self._last_pass_end >= self.step_ms * _MS

    # ----------------------------------------------------------------- CPU work (worker thread)
    def step(self) -> Partial:
        """Run one pass over the audio fed so far; return what it committed.

        Takes one decoding pass of at most ``max_window_s`` of audio (plus, when the window is full, the
        pass that closes it).
        """
        self._check_listening()
        started = time.perf_counter()
        end = self._available()
        if end - self._window_start < _MIN_PASS_MS * _MS:  # nothing to hear yet: no pass
            return Partial(delta="", committed=self.committed, tail=self._agreement.tail_text,
                           language=self.language, audio_ms=end // _MS, seconds=0.0)
        self._close_full_windows(end)
        closing = self._pause_at is not None  # the pass finalize() may reuse: decode it as a final one
        hypothesis = self._decode(self._window_start, end, beam_size=self.beam_size if closing else 1)
        units = split_units(hypothesis.text, hypothesis.language)
        if end - self._window_start > self.max_window - _FREEZE_S * SAMPLE_RATE:
            self._agreement.observe(units)  # the window closes soon: commit nothing near the cut
        else:
            self._agreement.insert(units)
        delta = self._new_text()
        return Partial(delta=delta, committed=self.committed, tail=self._agreement.tail_text,
                       language=self.language, audio_ms=end // _MS, seconds=time.perf_counter() - started)

    def finalize(self, *, speech_end_ms: int | None = None, tail_ms: int = 250) -> FinalTranscript:
        """End of the turn: commit everything and return the final transcript.

        Parameters
        ----------
        speech_end_ms : int, optional
            Where speech ended (ms from the first sample fed; ``SpeechStopped.speech_end_ms`` minus the
            turn's ``audio_start_ms``). Audio later than ``speech_end_ms + tail_ms`` is not decoded, and a
            pass that already covered that much audio is reused.
        tail_ms : int
            Audio kept after ``speech_end_ms`` (default 250 ms).
        """
        self._check_listening()
        started = time.perf_counter()
        if self._resampler is not None:
            self._append(self._resampler.flush())
        end = self._available()
        if speech_end_ms is not None:
            end = min(end, max(0, int(speech_end_ms) + int(tail_ms)) * _MS)
        reused = (self._last is not None and self._last_pass_end >= end
                  and self._last_window == self._window_start and self._last_beam == self.beam_size)
        if reused:  # the newest pass already covered the turn: its hypothesis is final
            self._agreement.commit_latest()
        else:
            self._close_full_windows(end)
            if end > self._window_start:
                hypothesis = self._decode(self._window_start, end, beam_size=self.beam_size)
                self._agreement.commit_all(split_units(hypothesis.text, hypothesis.language))
        self.state = TranscriberState.FINAL
        if self.language is None and self._last is not None:  # under 1 s of audio: the pass's own guess
            self.language = self._last.language
        delta = self._new_text()
        text = self._delivered
        tokens: list[TokenLogprob] = []
        if self.logprobs and text.strip():
            windows = [*self._windows, (self._window_start, end, self._agreement.committed_text)]
            for first, last, window_text in windows:
                if window_text.strip():
                    tokens += self.decoder.token_logprobs(self._audio[first:last], window_text,
                                                          language=self.language or "en")
        return FinalTranscript(text=text, delta=delta, language=self.language, audio_ms=end // _MS,
                               seconds=time.perf_counter() - started, reused=reused, passes=self._passes,
                               pass_seconds=self._pass_seconds, truncated=self._received > self.max_samples,
                               tokens=tuple(tokens))

    # ----------------------------------------------------------------- internals
    def _check_listening(self) -> None:
        if self.state is not TranscriberState.LISTENING:
            raise EngineError("this StreamingTranscriber is final (finalize() was called); "
                              "create a new one for the next turn")

    def _new_text(self) -> str:
        """Committed text not delivered yet (committed text only grows, so it extends what was delivered)."""
        text = self.committed
        if not text.startswith(self._delivered):  # cannot happen: committed units are never rewritten
            raise EngineError(f"committed text changed: {self._delivered!r} → {text!r}")
        delta, self._delivered = text[len(self._delivered):], text
        return delta

    def _append(self, y16: np.ndarray) -> None:
        with self._feed_lock:
            self._received += len(y16)
            room = self.max_samples - self._kept
            if room > 0 and len(y16):
                piece = np.asarray(y16[:room], dtype=np.float32)
                self._pieces.append(piece)
                self._kept += len(piece)

    def _available(self) -> int:
        with self._feed_lock:
            pieces, self._pieces = self._pieces, []
        if pieces:
            self._audio = np.concatenate([self._audio, *pieces])
        return len(self._audio)

    def _decode(self, start: int, end: int, *, beam_size: int = 1) -> Hypothesis:
        window = self._audio[start:end]
        if self.language is None and (end - start) >= _LANGUAGE_AFTER_S * SAMPLE_RATE:
            self.language = self.decoder.detect_language(window, self.languages)
        hypothesis = self.decoder.decode(window, language=self.language, languages=self.languages,
                                         prefix="".join(self._agreement.committed),
                                         prompt=_join(self.prompt or "", self._earlier_text) or None,
                                         beam_size=beam_size)
        self._passes += 1
        self._pass_seconds += hypothesis.seconds
        self._last, self._last_pass_end, self._last_window = hypothesis, end, start
        self._last_beam = beam_size
        return hypothesis

    def _close_full_windows(self, end: int) -> None:
        """While over ``max_window`` samples wait: decode up to a quiet cut, commit all, open a window."""
        while end - self._window_start > self.max_window:
            cut = _quiet_cut(self._audio, self._window_start + self.max_window, search_s=_CUT_SEARCH_S)
            hypothesis = self._decode(self._window_start, cut, beam_size=self.beam_size)
            self._agreement.commit_all(split_units(hypothesis.text, hypothesis.language))
            self._windows.append((self._window_start, cut, self._agreement.committed_text))
            self._earlier_text = self.committed
            self._agreement = LocalAgreement(self.agreement)
            self._window_start = cut
            self._last = None


def _join(earlier: str, later: str) -> str:
    if not earlier:
        return later
    if not later:
        return earlier
    return earlier + ("" if later[:1].isspace() else " ") + later


def _quiet_cut(y16: np.ndarray, limit: int, *, search_s: float, frame_ms: int = 100) -> int:
    """The middle of the quietest ``frame_ms`` frame in the ``search_s`` before ``limit`` (a pause)."""
    frame = frame_ms * _MS
    lo = max(0, limit - int(search_s * SAMPLE_RATE))
    count = (limit - lo) // frame
    if count < 1:
        return limit
    frames = y16[lo: lo + count * frame].reshape(count, frame)
    energy = np.einsum("ij,ij->i", frames, frames)
    return lo + int(np.argmin(energy)) * frame + frame // 2

