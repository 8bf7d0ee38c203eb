"""Browser microphone capture for notebooks: :class:`Recorder`.

The browser captures at its native rate through an AudioWorklet and sends float32 samples to the
kernel as binary buffers; the kernel resamples them to 24 kHz PCM16 with
:class:`voicelab.audio.ResampleStream`. Audio arrives as :class:`voicelab.audio.Audio` chunks
(callbacks and async iterators) and as one recording (:attr:`Recorder.audio`).
"""

from __future__ import annotations

import asyncio
import pathlib
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import anywidget
import numpy as np
import traitlets

from voicelab.audio import Audio, ResampleStream, from_pcm16, to_pcm16
from voicelab.errors import ParameterError, WidgetError
from voicelab.widgets._common import Callbacks, ChunkFanout, ChunkIterator, new_uid

__all__ = ["TARGET_RATE", "Recorder", "RecorderState"]

TARGET_RATE = 24_000
"""Rate of every chunk the recorder hands out (Hz): the Realtime API's PCM16 rate."""


class RecorderState(StrEnum):
    """Where the browser capture is."""

    IDLE = "idle"
    REQUESTING = "requesting"  # waiting for getUserMedia / the permission prompt
    RECORDING = "recording"
    STOPPING = "stopping"
    ERROR = "error"


ChunkCallback = Callable[[Audio], Any]


class Recorder(anywidget.AnyWidget):
    """A record button with a level meter; the microphone audio arrives in the kernel at 24 kHz.

    Parameters
    ----------
    chunk_ms : int
        Size of the pieces the browser sends (ms at the device rate), 10–500. Default 20.

    Attributes
    ----------
    state : str
        One of :class:`RecorderState` (synced from the browser).
    error : str
        The browser's message when the microphone failed, else ``""``.
    duration : float
        Seconds recorded so far (24 kHz audio received).
    device_rate : int
        The browser context's native rate (0 until a recording started).
    note : str
        A line the widget shows next to its button (e.g. how long :meth:`recording_or` still waits).

    Examples
    --------
    >>> rec = Recorder()
    >>> rec                                     # doctest: +SKIP
    >>> _ = rec.on_chunk(lambda chunk: print(chunk.duration))   # each 24 kHz piece as it arrives
    >>> async for chunk in rec.stream(): ...                # doctest: +SKIP
    >>> y, sr = rec.audio                                   # doctest: +SKIP
    >>> speech = await rec.recording_or("en_weather")       # doctest: +SKIP
    """

    _esm = pathlib.Path(__file__).parent / "recorder.js"

    _uid = traitlets.Unicode().tag(sync=True)
    chunk_ms = traitlets.Int(20).tag(sync=True)
    state = traitlets.Unicode(RecorderState.IDLE.value).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    duration = traitlets.Float(0.0).tag(sync=True)
    device_rate = traitlets.Int(0).tag(sync=True)
    note = traitlets.Unicode("").tag(sync=True)

    def __init__(self, *, chunk_ms: int = 20, **kwargs: Any) -> None:
        if isinstance(chunk_ms, bool) or not isinstance(chunk_ms, int) or not 10 <= chunk_ms <= 500:
            raise ParameterError("chunk_ms", expected="an int between 10 and 500", got=repr(chunk_ms),
                                 fix="pass chunk_ms=20")
        super().__init__(_uid=new_uid(), chunk_ms=chunk_ms, **kwargs)
        self._lock = threading.Lock()
        self._chunks: list[np.ndarray] = []
        self._resampler: ResampleStream | None = None
        self._pending_error: WidgetError | None = None
        self._callbacks: Callbacks[ChunkCallback] = Callbacks()
        self._fanout: ChunkFanout[Audio] = ChunkFanout()
        self._stopped = threading.Event()
        self._stop_waiters: list[asyncio.Future[None]] = []
        self._received_samples = 0
        self._frontend_seen = threading.Event()
        self.latencies_ms: list[float] = []
        """Per chunk: browser send time → kernel receive time, in ms (same host clock)."""
        self.on_msg(self._handle_message)

    # ------------------------------------------------------------------ front end → kernel
    def _handle_message(self, _widget: Any, content: dict[str, Any], buffers: list[Any]) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind is not None:
            self._frontend_seen.set()  # any message means a browser holds this widget ("ready" comes first)
        if kind == "start":
            self._on_start(int(content.get("sr") or 0))
        elif kind == "chunk":
            self._on_chunk(content, buffers)
        elif kind == "stop":
            self._on_stop()
        elif kind == "error":
            self._on_error(str(content.get("name") or "Error"),
                           str(content.get("message") or "microphone failed"))

    def _on_start(self, sr: int) -> None:
        if sr <= 0:
            self._on_error("InvalidStateError", f"the browser reported an invalid sample rate {sr}")
            return
        with self._lock:
            self._chunks = []
            self._received_samples = 0
            self._resampler = ResampleStream(sr, TARGET_RATE)
            self._pending_error = None
            self._stopped.clear()
            self.latencies_ms = []
        self.device_rate = sr
        self.duration = 0.0
        self.error = ""
        self.state = RecorderState.RECORDING.value

    def _on_chunk(self, content: dict[str, Any], buffers: list[Any]) -> None:
        received = time.time()
        if not buffers:
            return
        sr = int(content.get("sr") or 0)
        if self._resampler is None or (sr and sr != self._resampler.sr):
            self._on_start(sr)  # a chunk without a start message (e.g. the kernel restarted mid-way)
        assert self._resampler is not None
        if content.get("format") == "s16":
            samples = from_pcm16(bytes(buffers[0]))
        else:
            samples = np.frombuffer(bytes(buffers[0]), dtype="<f4").astype(np.float32)
        if samples.size == 0:
            return
        if "t" in content:
            self.latencies_ms.append(received * 1000.0 - float(content["t"]))
            if len(self.latencies_ms) > 20_000:  # about 7 minutes of 20 ms chunks: keep the recent half
                del self.latencies_ms[:10_000]
        self._received_samples += samples.size
        self._emit(self._resampler.process(samples))

    def _on_stop(self) -> None:
        if self._resampler is not None:
            self._emit(self._resampler.flush())
            self._resampler = None
        self.state = RecorderState.IDLE.value
        self._finish(None)

    def _on_error(self, name: str, message: str) -> None:
        self._resampler = None
        self._pending_error = WidgetError(f"Recorder: {message} ({name})")
        self.error = message
        self.state = RecorderState.ERROR.value
        self._finish(self._pending_error)

    def _emit(self, y24: np.ndarray) -> None:
        if y24.size == 0:
            return
        # Round to PCM16 so every chunk is exactly what the Realtime API will be sent.
        y24 = from_pcm16(to_pcm16(np.asarray(y24, dtype=np.float32)))
        chunk = Audio(y24, TARGET_RATE)
        with self._lock:
            self._chunks.append(y24)
            total = sum(c.shape[0] for c in self._chunks)
        self.duration = total / TARGET_RATE
        for callback in self._callbacks:
            callback(chunk)
        self._fanout.publish(chunk)

    def _finish(self, exc: WidgetError | None) -> None:
        self._stopped.set()
        if exc is None:
            self._fanout.close()
        else:
            self._fanout.fail(exc)
        waiters, self._stop_waiters = self._stop_waiters, []
        for fut in waiters:
            loop = fut.get_loop()
            if not loop.is_closed():
                loop.call_soon_threadsafe(_resolve, fut)

    # ------------------------------------------------------------------ kernel → front end
    def start(self) -> None:
        """Ask the browser to start recording (the same as clicking the button)."""
        self.send({"cmd": "start"})

    def stop(self) -> None:
        """Ask the browser to stop; the last chunk and the end of :meth:`stream` follow."""
        self.send({"cmd": "stop"})

    # ------------------------------------------------------------------ consuming audio
    def on_chunk(self, callback: ChunkCallback, *, remove: bool = False) -> ChunkCallback:
        """Call ``callback(chunk: Audio)`` for each 24 kHz piece as it arrives (``remove=True`` to detach)."""
        return self._callbacks.register(callback, remove=remove)

    def stream(self) -> ChunkIterator[Audio]:
        """An async iterator of 24 kHz :class:`~voicelab.audio.Audio` chunks from now until the next stop.

        It raises :class:`~voicelab.errors.WidgetError` if the microphone fails.
        """
        self._raise_pending()
        return self._fanout.subscribe()

    def __aiter__(self) -> ChunkIterator[Audio]:
        return self.stream()

    async def wait_stopped(self, timeout: float | None = None) -> Audio:
        """Wait until the current recording ends and return it (raises WidgetError on failure)."""
        if not self._stopped.is_set():
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._stop_waiters.append(fut)
            if self._stopped.is_set():  # finished between the check and the append
                _resolve(fut)
            await asyncio.wait_for(fut, timeout)
        return self.audio

    async def recording_or(self, fallback: Audio | str, *, timeout: float = 30.0,
                           browser_timeout: float = 5.0) -> Audio:
        """The recording, or ``fallback`` with a printed note when there is none; never raises for no mic.

        For a notebook cell that must run with nobody at the microphone (Run All, nbval, a script):

        - a recording exists (and is not still going on): it is returned;
        - a browser shows the widget: wait up to ``timeout`` seconds for someone to click ● Record, speak and
          click ■ Stop (the widget counts down); a recording in progress is waited for until it stops;
        - no browser answered within ``browser_timeout`` seconds, the microphone failed, or nobody recorded
          in time: print why and return ``fallback``.

        Browser messages reach the kernel while this awaits (ipykernel ≥ 7.4 dispatches widget messages
        during an awaiting cell), so call it with ``await`` in the cell after the one that shows the widget.

        Parameters
        ----------
        fallback : Audio or str
            Audio to use instead, or the name of a :mod:`voicelab.samples` utterance.
        timeout : float
            Seconds to wait for a recording once a browser shows the widget.
        browser_timeout : float
            Seconds to wait for a browser to show the widget at all.

        Examples
        --------
        >>> rec = Recorder()
        >>> speech = asyncio.run(rec.recording_or("en_weather", browser_timeout=0.1))
        No browser shows the recorder (the notebook runs unattended): using the sample 'en_weather' instead.
        >>> speech
        Audio(4.42 s, 24000 Hz, mono)
        """
        reason = await self.wait_for_use(timeout=timeout, browser_timeout=browser_timeout)
        if not reason:
            return self.audio
        if isinstance(fallback, str):
            from voicelab import samples

            name, fallback = fallback, samples.load(fallback)
            print(f"{reason}: using the sample {name!r} instead.")
        else:
            print(f"{reason}: using the fallback audio instead ({fallback!r}).")
        return fallback

    async def wait_for_use(self, *, timeout: float = 30.0, browser_timeout: float = 5.0) -> str:
        """Wait until someone records something (see :meth:`recording_or`); ``""`` then, else why not.

        Returns at once when a recording exists and is not still going on. While a browser shows the
        widget, its status line counts down. Returns the reason nothing was recorded: no browser answered
        within ``browser_timeout`` s, the microphone failed, or ``timeout`` s passed with nobody recording.
        """
        for name, value in (("timeout", timeout), ("browser_timeout", browser_timeout)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 3600:
                raise ParameterError(name, expected="seconds between 0 and 3600", got=repr(value),
                                     fix=f"pass {name}=30")
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            while True:
                waited = loop.time() - start
                state = self.state
                if self._pending_error is not None or state == RecorderState.ERROR.value:
                    return f"The microphone failed ({self.error or self._pending_error})"
                if self._has_audio() and state == RecorderState.IDLE.value:
                    return ""
                busy = state in (RecorderState.REQUESTING.value, RecorderState.RECORDING.value,
                                 RecorderState.STOPPING.value)
                if not self._frontend_seen.is_set() and waited >= browser_timeout:
                    return "No browser shows the recorder (the notebook runs unattended)"
                if not busy and waited >= timeout:
                    return f"Nothing was recorded in {timeout:g} s"
                if self._frontend_seen.is_set():
                    self.note = ("recording… click ■ Stop when done" if busy else
                                 f"waiting {max(0.0, timeout - waited):.0f} s for you: "
                                 "click ● Record, speak, then ■ Stop")
                await asyncio.sleep(0.1)
        finally:
            self.note = ""

    def _has_audio(self) -> bool:
        with self._lock:
            return bool(self._chunks)

    @property
    def audio(self) -> Audio:
        """The whole recording so far, 24 kHz mono float32 (PCM16-exact)."""
        self._raise_pending()
        with self._lock:
            chunks = list(self._chunks)
        if not chunks:
            raise WidgetError("Recorder: nothing recorded yet — click ● Record, speak, then click ■ Stop")
        return Audio(np.concatenate(chunks), TARGET_RATE)

    def pcm16(self) -> bytes:
        """The whole recording as 24 kHz PCM16 little-endian bytes (the Realtime API's format)."""
        return to_pcm16(self.audio.y).astype("<i2").tobytes()

    def clear(self) -> None:
        """Forget the recorded audio (and a reported error)."""
        with self._lock:
            self._chunks = []
        self._pending_error = None
        self.duration = 0.0
        if self.state == RecorderState.ERROR.value:
            self.state = RecorderState.IDLE.value
            self.error = ""

    def _raise_pending(self) -> None:
        if self._pending_error is not None:
            raise self._pending_error

    def __repr__(self) -> str:
        return f"Recorder(rate={TARGET_RATE}, chunk_ms={self.chunk_ms})"


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
