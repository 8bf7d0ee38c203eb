"""The I/O side of streaming recognition: the STT executor, the passes of one connection, engine warm-up.

The core (:mod:`.core.live_transcription`) asks for passes (:class:`~.effects.StepTranscriber`) and for the
end of a turn (:class:`~.effects.FinalizeTranscriber`). A pass takes 0.05–0.5 s of CPU, so the passes of all
connections run on one small process-wide executor of their own (:func:`stt_executor`) — never on the event
loop and never on the core pool, whose short calls (VAD, events) would otherwise wait behind Whisper. Each
connection has at most one pass of a turn queued or running, so the executor serves the connections in turn
(first come, first served) and a busy session cannot starve another. :class:`LivePasses` keeps one
connection's running passes, so that ``finalize`` waits for the pass still running on the same transcriber
(``step`` and ``finalize`` must not overlap).

:func:`warm_up` loads and exercises the engines once per process (Whisper base's window decoder, Silero VAD,
the TTS voice), so the first turn is not slower than the rest; :func:`warm_up_in_background` starts it
without waiting (``voicelab serve`` at start, and each Realtime session at its creation — only the first
call does the work).

Examples
--------
>>> transcriber = streaming_transcriber("en", None)  # doctest: +SKIP
>>> type(transcriber).__name__  # doctest: +SKIP
'StreamingTranscriber'
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from .core import SR

__all__ = [
    "STT_WORKERS",
    "LivePasses",
    "streaming_transcriber",
    "stt_executor",
    "warm_up",
    "warm_up_in_background",
]

log = logging.getLogger(__name__)

#: Threads of the STT executor (Whisper runs one decode at a time per model; the second thread lets one
#: connection's resampling/feature work overlap another's decode).
STT_WORKERS = 2
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_warm: Future[None] | None = None


def stt_executor() -> ThreadPoolExecutor:
    """The process-wide executor for streaming-recognition passes, created on first use."""
    with _pool_lock:
        return _executor_locked()


def _executor_locked() -> ThreadPoolExecutor:  # with _pool_lock held
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=STT_WORKERS, thread_name_prefix="realtime-stt")
    return _pool


def streaming_transcriber(
    language: str | None,
    prompt: str | None,
    *,
    keywords: Sequence[str] = (),
    languages: Sequence[str] = (),
    delay: str | None = None,
    logprobs: bool = False,
) -> Any:
    """A new ``StreamingTranscriber`` over Whisper base for 24 kHz input (the default factory), honouring a
    session's transcription options: ``keywords`` become Whisper hotwords of every pass, ``languages``
    restrict language detection, ``delay`` sets the beam width of the final pass
    (:data:`voicelab.engines.stt.DELAY_BEAM_SIZES`), ``logprobs`` gives the final transcript per-token log
    probabilities.

    The first pass after 1 s of speech, then one per 500 ms (the engine's defaults are 500 / 300 ms): on
    the noisy labelled samples, early passes over very short audio committed wrong first words ("Turn block"
    for "Turn left"); the turn's end does not wait for regular passes (the closing pass runs in the VAD's
    silence), so the latency at ``speech_stopped`` does not depend on them.

    Raises
    ------
    voicelab.errors.ParameterError
        ``language`` or ``languages`` is not one Whisper transcribes, or ``delay`` is unknown.
    """
    from voicelab.engines.streaming_stt import StreamingTranscriber, load_decoder
    from voicelab.engines.stt import DELAY_BEAM_SIZES
    from voicelab.errors import ParameterError

    if delay is not None and delay not in DELAY_BEAM_SIZES:
        raise ParameterError("delay", expected=" or ".join(map(repr, DELAY_BEAM_SIZES)), got=repr(delay))
    return StreamingTranscriber(
        load_decoder(),
        sr=SR,
        language=language,
        prompt=prompt,
        first_pass_ms=1000,
        step_ms=500,
        keywords=keywords,
        languages=languages,
        beam_size=DELAY_BEAM_SIZES.get(delay or "minimal", 1),
        logprobs=logprobs,
    )


def warm_up(
    synthesize: Callable[..., Any] | None = None,
    factory: Callable[[str | None, str | None], Any] | None = streaming_transcriber,
) -> None:
    """Load the engines and run each once (1 s of low noise through a transcriber, a short sentence through
    ``synthesize``), so that the first turn pays no load time."""
    if factory is not None:
        noise = np.random.default_rng(0).normal(0, 1e-3, SR).astype(np.float32)
        transcriber = factory("en", None)
        transcriber.feed(noise)
        transcriber.step()
        transcriber.finalize()
    if synthesize is not None:
        synthesize("Hello.", voice="alloy", speed=1.0)
    with contextlib.suppress(Exception):  # Silero's weights (the VAD of every session)
        from voicelab.vad.server_vad import ServerVAD

        ServerVAD().feed(np.zeros(SR // 10, np.float32))


def warm_up_in_background(
    synthesize: Callable[..., Any] | None = None,
    factory: Callable[[str | None, str | None], Any] | None = streaming_transcriber,
) -> Future[None]:
    """Start :func:`warm_up` on the STT executor once per process; later calls return the same future.

    On the executor, not in a thread of its own: Whisper (CTranslate2) must only run on threads that live as
    long as the process. Measured here: after one decode in a thread that then exited, every later decode in
    the process took 10–20× the wall time and 10× the CPU (1.2–1.9 s instead of 0.15 s of CPU for 0.5–2 s of
    audio), as if the dead thread's worker team kept spinning.
    """
    global _warm
    with _pool_lock:
        if _warm is None:
            _warm = _executor_locked().submit(_logged_warm_up, synthesize, factory)
        return _warm


def _logged_warm_up(synthesize: Callable[..., Any] | None, factory: Any) -> None:
    try:
        warm_up(synthesize, factory)
    except Exception as exc:  # a broken engine shows up (and is reported) at the first turn instead
        log.warning("engine warm-up failed: %r", exc)


class LivePasses:
    """The passes of one connection's streaming transcribers (at most one running per turn)."""

    def __init__(self) -> None:
        self._running: dict[int, asyncio.Future[Any]] = {}

    def step(self, turn: int, transcriber: Any) -> asyncio.Future[Any]:
        """Run ``transcriber.step()`` on the STT executor; the future gets its ``Partial``."""
        future = asyncio.get_running_loop().run_in_executor(stt_executor(), transcriber.step)
        self._running[turn] = future
        future.add_done_callback(lambda done: self._forget(turn, done))
        return future

    async def finalize(
        self, turn: int, transcriber: Any, speech_end_ms: int | None, fallback: Callable[[], Any]
    ) -> Any:
        """After the turn's running pass, ``transcriber.finalize`` on the STT executor: its final transcript
        (``text``, ``language``, ``tokens``). If the streaming engine fails, ``fallback()`` (whole-utterance
        transcription, a ``voicelab.engines.stt.Transcript``) is run there instead."""
        loop = asyncio.get_running_loop()
        running = self._running.get(turn)
        if running is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(running)
        try:
            return await loop.run_in_executor(
                stt_executor(), lambda: transcriber.finalize(speech_end_ms=speech_end_ms)
            )
        except Exception as exc:
            log.warning("streaming transcription failed (%r); transcribing the whole utterance", exc)
            return await loop.run_in_executor(stt_executor(), fallback)

    def _forget(self, turn: int, done: asyncio.Future[Any]) -> None:
        if self._running.get(turn) is done:
            del self._running[turn]
