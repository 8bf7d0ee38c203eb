"""Browser playback for notebooks: :class:`Player`.

The kernel sends PCM16 chunks as binary buffers; the browser queues them on one AudioContext per
page (created after a user gesture), can be interrupted at once, and reports how many ms of each
stream were actually played — the number ``conversation.item.truncate`` needs.
"""

from __future__ import annotations

import asyncio
import itertools
import pathlib
import threading
import uuid
from collections.abc import Callable
from enum import StrEnum
from typing import Any, BinaryIO

import anywidget
import numpy as np
import traitlets

from voicelab.audio import Audio, to_pcm16
from voicelab.errors import ParameterError
from voicelab.widgets._common import Callbacks, new_uid

__all__ = ["STREAM_RATE", "Player", "PlayerState"]

STREAM_RATE = 24_000
"""Default rate of raw PCM16 bytes given to :meth:`Player.feed` (the Realtime API's rate)."""

_PIECE_SECONDS = 0.5  # play() splits long audio so played-ms reports stay fine-grained


class PlayerState(StrEnum):
    """What the browser side is doing."""

    LOCKED = "locked"    # no AudioContext yet: the page needs a click ("click to enable audio")
    IDLE = "idle"
    PLAYING = "playing"


PlayedCallback = Callable[[str, float, "str | None"], Any]

AudioSource = Audio | np.ndarray | bytes | bytearray | memoryview | str | pathlib.Path | BinaryIO


class Player(anywidget.AnyWidget):
    """Plays audio in the browser: whole signals, files, or a stream of PCM16 chunks.

    Attributes
    ----------
    state : str
        One of :class:`PlayerState`, as the browser last reported.
    audio_enabled : bool
        Whether the page's AudioContext is running (after a user gesture).
    stream_id : str
        The stream that :meth:`feed` appends to (a new one per :meth:`play`).
    played_ms : float
        Milliseconds of ``stream_id`` actually played, as the browser reported.

    Examples
    --------
    >>> player = Player()
    >>> player                                           # doctest: +SKIP
    >>> player.play(voicelab.samples.load("hello"))      # doctest: +SKIP
    >>> for chunk in chunks: player.feed(chunk)          # doctest: +SKIP
    >>> player.interrupt(); player.played_ms             # doctest: +SKIP
    """

    _esm = pathlib.Path(__file__).parent / "player.js"

    _uid = traitlets.Unicode().tag(sync=True)
    state = traitlets.Unicode(PlayerState.LOCKED.value).tag(sync=True)
    audio_enabled = traitlets.Bool(False).tag(sync=True)
    stream_id = traitlets.Unicode("").tag(sync=True)
    played_ms = traitlets.Float(0.0).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(_uid=new_uid(), **kwargs)
        self._lock = threading.Lock()
        self._sent_ms: dict[str, float] = {}
        self._played: dict[str, float] = {}
        self._final: dict[str, str] = {}
        self._started_at: dict[str, float] = {}
        self._seq = itertools.count()
        self._interrupt_waiters: dict[int, asyncio.Future[dict[str, float]]] = {}
        self._played_callbacks: Callbacks[PlayedCallback] = Callbacks()
        self.on_msg(self._handle_message)

    # ------------------------------------------------------------------ kernel → browser
    def new_stream(self, stream_id: str | None = None) -> str:
        """Start a new stream (later chunks are accounted to it); returns its id."""
        stream_id = stream_id or f"s_{uuid.uuid4().hex[:12]}"
        with self._lock:
            self._sent_ms.setdefault(stream_id, 0.0)
            self._played.setdefault(stream_id, 0.0)
        self.stream_id = stream_id
        self.played_ms = self._played[stream_id]
        return stream_id

    def feed(self, chunk: Audio | np.ndarray | bytes | bytearray | memoryview, *, sr: int = STREAM_RATE,
             stream: str | None = None) -> None:
        """Queue one chunk after what is already queued.

        Parameters
        ----------
        chunk : bytes, int16 or float ndarray, or Audio
            Raw bytes and int16 arrays are PCM16 at ``sr`` (default 24 kHz, the Realtime API's
            format); float arrays are samples in [-1, 1]; an :class:`~voicelab.audio.Audio` carries its rate.
        sr : int
            Rate of ``chunk`` when it is not an ``Audio``.
        stream : str, optional
            Stream to account the chunk to (e.g. a response item id); default the current one.

        Examples
        --------
        >>> player.feed(base64.b64decode(event.delta), stream=event.item_id)  # doctest: +SKIP
        """
        pcm, rate, channels = _as_pcm16(chunk, sr)
        if pcm.shape[0] == 0:
            return
        if stream is not None and stream != self.stream_id:
            self.new_stream(stream)
        elif not self.stream_id:
            self.new_stream()
        sid = self.stream_id
        seq = next(self._seq)
        with self._lock:
            self._sent_ms[sid] = self._sent_ms.get(sid, 0.0) + 1000.0 * pcm.shape[0] / rate
            self._final.pop(sid, None)
        self.send({"cmd": "chunk", "stream": sid, "sr": rate, "channels": channels, "seq": seq},
                  [pcm.astype("<i2").tobytes()])

    def play(self, source: AudioSource, *, sr: int | None = None) -> str:
        """Stop what is playing and play ``source``: Audio, an array or PCM16 bytes with ``sr``, or a file.

        Returns the new stream's id.

        Examples
        --------
        >>> player.play("speech.wav")                     # doctest: +SKIP
        >>> player.play(y, sr=16000)                      # doctest: +SKIP
        """
        audio = _as_audio(source, sr)
        self.interrupt()
        stream = self.new_stream()
        piece = max(1, int(_PIECE_SECONDS * audio.sr))
        for start in range(0, audio.y.shape[0], piece):
            self.feed(Audio(audio.y[start:start + piece], audio.sr), stream=stream)
        return stream

    def interrupt(self) -> int:
        """Stop playback at once and drop everything queued; returns the request's sequence number.

        The browser answers with the played ms (see :attr:`played_ms`, :meth:`interrupt_async`).
        """
        seq = next(self._seq)
        self.send({"cmd": "interrupt", "seq": seq})
        return seq

    async def interrupt_async(self, *, timeout: float = 1.0) -> float:
        """Interrupt and wait for the browser's report; returns the ms of the current stream that were played.

        Without an answer in ``timeout`` seconds (no browser attached), returns the last reported value.
        """
        fut: asyncio.Future[dict[str, float]] = asyncio.get_running_loop().create_future()
        seq = self.interrupt()
        self._interrupt_waiters[seq] = fut
        try:
            await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            pass
        finally:
            self._interrupt_waiters.pop(seq, None)
        return self.played_ms_for(self.stream_id) if self.stream_id else 0.0

    # ------------------------------------------------------------------ bookkeeping
    def on_played(self, callback: PlayedCallback, *, remove: bool = False) -> PlayedCallback:
        """Call ``callback(stream, played_ms, final_reason)`` on each report from the browser.

        ``final_reason`` is ``None`` while the stream plays, then ``"finished"``, ``"interrupted"``,
        ``"user"`` or ``"closed"``. :class:`~voicelab.widgets.LiveSession` uses it to tell the Realtime
        session how much of each response item was heard (for ``conversation.item.truncate``).
        """
        return self._played_callbacks.register(callback, remove=remove)

    def played_ms_for(self, stream: str) -> float:
        """Milliseconds of ``stream`` the browser reported as played (never more than was sent)."""
        with self._lock:
            return min(self._played.get(stream, 0.0), self._sent_ms.get(stream, 0.0))

    def sent_ms_for(self, stream: str) -> float:
        """Milliseconds of audio sent to the browser for ``stream``."""
        with self._lock:
            return self._sent_ms.get(stream, 0.0)

    def finished(self, stream: str) -> str | None:
        """How ``stream`` ended (``"finished"``, ``"interrupted"``, ``"user"``, ``"closed"``), or None."""
        with self._lock:
            return self._final.get(stream)

    def started_at(self, stream: str) -> float | None:
        """Epoch seconds at which the browser scheduled the first sample of ``stream`` (None before)."""
        return self._started_at.get(stream)

    def _handle_message(self, _widget: Any, content: dict[str, Any], _buffers: list[Any]) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "state":
            self.audio_enabled = bool(content.get("audio_enabled"))
            state = str(content.get("state") or "")
            if state in {s.value for s in PlayerState}:
                self.state = state
        elif kind == "played":
            self._on_played(str(content.get("stream")), float(content.get("ms") or 0.0),
                            str(content.get("reason") or "") if content.get("final") else None)
        elif kind == "started":
            self._started_at[str(content.get("stream"))] = float(content.get("t") or 0.0) / 1000.0
        elif kind == "interrupted":
            streams = content.get("streams") or {}
            for stream, ms in streams.items():
                self._on_played(str(stream), float(ms), str(content.get("reason") or "interrupted"))
            fut = self._interrupt_waiters.get(content.get("seq"))  # type: ignore[arg-type]
            if fut is not None and not fut.done():
                fut.get_loop().call_soon_threadsafe(_set_result, fut, dict(streams))

    def _on_played(self, stream: str, ms: float, final_reason: str | None) -> None:
        with self._lock:
            sent = self._sent_ms.get(stream, 0.0)
            value = min(max(ms, 0.0), sent)
            self._played[stream] = value
            # "finished" means everything sent so far has played: a queue that ran dry while more chunks were
            # on their way (an underrun) is not the end of the stream.
            if final_reason and (final_reason != "finished" or value >= sent - 1.0):
                self._final[stream] = final_reason
        if stream == self.stream_id:
            self.played_ms = value
        for callback in self._played_callbacks:
            callback(stream, value, final_reason)

    def __repr__(self) -> str:
        return "Player()"


def _set_result(fut: asyncio.Future[dict[str, float]], value: dict[str, float]) -> None:
    if not fut.done():
        fut.set_result(value)


def _as_pcm16(chunk: object, sr: int) -> tuple[np.ndarray, int, int]:
    """Chunk → (int16 array (n,) or (n, ch), rate, channels)."""
    if isinstance(chunk, Audio):
        pcm, rate = to_pcm16(chunk.y), chunk.sr
    elif isinstance(chunk, (bytes, bytearray, memoryview)):
        raw = bytes(chunk)
        if len(raw) % 2:
            raise ParameterError("chunk", expected="PCM16 bytes (an even number)", got=f"{len(raw)} bytes",
                                 fix="pass whole 16-bit samples")
        pcm, rate = np.frombuffer(raw, dtype="<i2"), sr
    elif isinstance(chunk, np.ndarray):
        if chunk.dtype == np.int16:
            pcm = chunk
        elif chunk.dtype.kind == "f":
            pcm = to_pcm16(chunk) if chunk.size else chunk.astype(np.int16)
        else:
            raise ParameterError("chunk", expected="int16 PCM or float samples", got=f"dtype {chunk.dtype}",
                                 fix="pass float32 in [-1, 1] or int16")
        rate = sr
    else:
        raise ParameterError("chunk", expected="bytes, a numpy array or voicelab.audio.Audio",
                             got=type(chunk).__name__)
    if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or not 3000 <= rate <= 768_000:
        raise ParameterError("sr", expected="a sample rate between 3000 and 768000 Hz", got=repr(rate),
                             fix="pass sr=24000 for Realtime API audio")
    if pcm.ndim not in (1, 2):
        raise ParameterError("chunk", expected="shape (n,) or (n, channels)", got=f"shape {pcm.shape}")
    channels = 1 if pcm.ndim == 1 else int(pcm.shape[1])
    if not 1 <= channels <= 8:
        raise ParameterError("chunk", expected="1 to 8 channels", got=f"{channels} channels",
                             fix="pass samples as (n, channels), not (channels, n)")
    return np.ascontiguousarray(pcm), int(rate), channels


def _as_audio(source: object, sr: int | None) -> Audio:
    if isinstance(source, Audio):
        return source
    if isinstance(source, np.ndarray):
        if sr is None:
            raise ParameterError("sr", expected="the sample rate of the array", got="None",
                                 fix="pass player.play(y, sr=24000) or an Audio value")
        if source.dtype == np.int16:
            return Audio(source.astype(np.float32) / 32767.0, sr)
        return Audio(source, sr)
    if isinstance(source, (bytes, bytearray, memoryview)) and sr is not None:
        pcm = np.frombuffer(bytes(source), dtype="<i2")
        return Audio(pcm.astype(np.float32) / 32767.0, sr)
    if isinstance(source, (str, pathlib.Path, bytes, bytearray, memoryview)) or hasattr(source, "read"):
        return _read(source)
    raise ParameterError("source", expected="Audio, a numpy array, PCM16 bytes with sr, or a file",
                         got=type(source).__name__)


def _read(source: object) -> Audio:
    from voicelab import audio as audio_mod

    reader = getattr(audio_mod, "read", None)
    if reader is not None:
        result = reader(source)
        return result if isinstance(result, Audio) else Audio(*result)
    import io

    import soundfile as sf

    data = io.BytesIO(bytes(source)) if isinstance(source, (bytes, bytearray, memoryview)) else source
    y, rate = sf.read(data, dtype="float32", always_2d=False)
    return Audio(y, int(rate))
