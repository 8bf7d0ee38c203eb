"""The transport-agnostic pump around one :class:`ServerCore`: core calls, effects, and outgoing events.

A session core is driven the same way whatever carries it (the Realtime WebSocket, a WebRTC data channel and
audio track, a simulated SIP call): client events in, server events and effects out. :class:`SessionPump`
runs every call into the core on a small shared pool (one connection's calls one at a time, in order), runs
the effects the core asks for (the responder on the event loop, the blocking speech engines in threads),
feeds their results back, and queues the server events to the transport's sender, in order. A transport
subclasses it and supplies three things: :meth:`SessionPump.receive` (its receive loop, feeding
:meth:`SessionPump.client_text`), :meth:`SessionPump.send_text` and :meth:`SessionPump.close_transport`.

Listeners (sideband WebSockets attached with ``?call_id=``) get a copy of every event the transport publishes
and may send client events to the same core.

Examples
--------
>>> from voicelab.emulator.realtime.core import ServerCore
>>> pump = SessionPump(ServerCore(seed=1), None, None, FaultConfig())
>>> sideband = asyncio.Queue()
>>> pump.listeners.append(sideband)
>>> pump.publish({"type": "input_audio_buffer.cleared", "event_id": "event_1"}, None)
>>> pump.outbox.qsize(), sideband.qsize()
(1, 1)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..mcp.client import McpClient
from .core import SR, ServerCore, speech_pieces
from .core.text import speech_units
from .core.transcription import TranscriptionDetails
from .effects import (
    CallMcpTool,
    Close,
    FinalizeTranscriber,
    GenerateReply,
    ListMcpTools,
    StepTranscriber,
    StopResponse,
    Synthesize,
    Transcribe,
)
from .faults import FaultConfig
from .futures import settle
from .live_stt import LivePasses
from .outbox import Outbox, slow_reader_error
from .scheduler import HEAVY_TEXT_CHARS, shared_scheduler

__all__ = ["SessionPump", "to_pcm24k"]

log = logging.getLogger(__name__)


# The core calls of ALL connections run on a small shared pool (each connection's calls still one at a time
# and in order), scheduled fairly between connections (voicelab.emulator.realtime.scheduler): a few busy
# threads instead of one per connection, so a hundred sessions do not contend for the GIL as a hundred
# runnable threads.
_CORE_WORKERS = 2
_DEFAULT_OUTBOX_BYTES = 64 * 1024 * 1024


_CLOSE = object()


@dataclass
class SessionPump:
    """One session's core, its effect tasks and its outgoing events, whatever transport carries them.

    Subclasses implement :meth:`receive`, :meth:`send_text`, :meth:`close_transport` and may override
    :meth:`publish` (WebRTC sends output audio on its track instead of as events) and :meth:`client_text`
    (transport-only client events).
    """

    core: ServerCore
    responder: Any
    engines: Any
    faults: FaultConfig
    outbox: Outbox = field(default_factory=lambda: Outbox(_DEFAULT_OUTBOX_BYTES))
    tasks: dict[str, set[asyncio.Task]] = field(default_factory=dict)
    heard: dict[str, asyncio.Future] = field(default_factory=dict)
    live: LivePasses = field(default_factory=LivePasses)
    mcp: McpClient = field(default_factory=McpClient)
    listeners: list[asyncio.Queue] = field(default_factory=list)
    sent: int = 0
    closed: bool = False
    core_thread: bool = (
        True  # False runs the core inline on the event loop (measured: far worse p99 under load)
    )

    # ------------------------------------------------------------------ the transport's part
    async def receive(self) -> None:
        """The transport's receive loop: feed client events to :meth:`client_text` until the peer leaves."""
        raise NotImplementedError

    async def send_text(self, text: str) -> None:
        """Send one server event (JSON text) to the peer. Raises if the peer went away."""
        raise NotImplementedError

    async def close_transport(self, code: int, reason: str) -> None:
        """Close the transport (the core said :class:`Close`, e.g. ``session_expired``)."""
        raise NotImplementedError

    def transport_open(self) -> bool:
        """Whether events can still be sent."""
        return not self.closed

    async def abort_slow_reader(self, error: dict[str, Any]) -> None:
        """The peer stopped reading and the outbox overflowed: tell it why if possible, and hang up."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.send_text(json.dumps(error)), 0.5)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.close_transport(1008, "slow_reader"), 0.5)

    def client_text(self, text: str | bytes) -> asyncio.Future:
        """One client event (JSON text) from the peer or from a listener, to the core in order."""
        return self.core_call("handle_text", text, heavy=len(text) > HEAVY_TEXT_CHARS)

    def publish(self, event: dict[str, Any], text: str | None) -> None:
        """Queue one server event to the transport's sender and to every listener."""
        self.outbox.put(event, text if text is not None else json.dumps(event))
        for queue in self.listeners:
            queue.put_nowait((event, text))

    # ------------------------------------------------------------------ lifecycle
    async def run(self, expires_in: float, expiry_message: str) -> None:
        """Start the session (``session.created``), pump until the peer leaves or the session closes."""
        # Every call into the core runs on the shared core pool, this connection's calls one at a time and in
        # order (the next is submitted when the previous has finished and its outputs are dispatched): the
        # event loop only moves bytes, and the native parts of the work (Silero VAD, resampling) of different
        # connections run in parallel on several cores.
        self.open()
        sender = asyncio.create_task(self._send_loop())
        watchdog = asyncio.create_task(self._disconnect_when_overflowing(sender))
        expiry = self._loop.call_later(max(expires_in, 0.0), self.core_call, "expire", expiry_message)
        self.core_call("start")
        try:
            await self.receive()
        finally:
            self.closed = True
            expiry.cancel()
            if not self.outbox.overflowed:  # else it is disconnecting the slow reader: let it finish
                watchdog.cancel()
            for group in self.tasks.values():
                for task in group:
                    task.cancel()
            self.outbox.put_control(_CLOSE)
            for queue in self.listeners:
                queue.put_nowait(_CLOSE)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(sender, 5)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(watchdog, 5)
            self._stop_core_calls()

    async def _disconnect_when_overflowing(self, sender: asyncio.Task) -> None:
        """A client that stopped reading: once the outbox overflows, disconnect it (module ``outbox``)."""
        await self.outbox.overflow.wait()
        self.closed = True
        sender.cancel()
        await self.abort_slow_reader(slow_reader_error(self.outbox.max_bytes, self.core.ids.new("event")))

    def open(self) -> None:
        """Prepare the core-call queue on the running loop (``run`` does it; tests driving a pump call it)."""
        self._core_stopped = not self.core_thread
        self._loop = asyncio.get_running_loop()
        self._lane = shared_scheduler(_CORE_WORKERS).lane(self._loop)
        self._rng = random.Random(self.faults.seed)

    # ------------------------------------------------------------------ the core, on the shared pool
    def core_call(self, method: str, *args: Any, heavy: bool = False) -> asyncio.Future:
        """Run ``core.<method>(*args)`` on the pool; its outputs are dispatched in call order, even when the
        caller is cancelled meanwhile (nothing the core said is lost). ``heavy``: a long call (a large
        append), which the scheduler keeps off part of the pool."""

        def work() -> list[tuple[Any, str | None]]:
            outputs = getattr(self.core, method)(*args)
            return [(o, json.dumps(o)) if isinstance(o, dict) else (o, None) for o in outputs]

        if not self.core_thread:
            future = self._loop.create_future()
            future.set_result(work())
            self._dispatch_done(future)
            return future
        return self._submit(work, dispatch=True, heavy=heavy)

    async def core_value(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A core query (``messages_for``, ``note_heard``) on the pool, in order with the other calls."""
        if not self.core_thread:
            return fn(*args)
        return await asyncio.shield(self._submit(lambda: fn(*args), dispatch=False))

    def _submit(self, work: Callable[[], Any], *, dispatch: bool, heavy: bool = False) -> asyncio.Future:
        """Queue ``work`` behind this connection's earlier core calls; the returned future gets its result.
        When it has run, on the loop and in call order: its outputs are dispatched (whatever became of the
        caller), then the caller is answered, then this connection's next call may start."""
        caller = self._loop.create_future()
        if self._core_stopped:  # the connection is over: as a shut-down executor, run nothing more
            caller.cancel()
            return caller

        def finished(running: Future) -> None:
            if dispatch:
                self._dispatch_done(running)
            if settle(caller, running) and dispatch and not caller.cancelled():
                caller.exception()  # a failure is logged by _dispatch_done already: mark it retrieved

        self._lane.submit(work, finished, heavy=heavy)
        return caller

    def _stop_core_calls(self) -> None:
        """The connection is closed: calls not started yet are cancelled (the running one still finishes)."""
        self._core_stopped = True
        if not hasattr(self, "_lane"):
            return
        dropped: Future = Future()
        dropped.cancel()
        for finished in self._lane.close():
            finished(dropped)

    def _dispatch_done(self, future: asyncio.Future | Future) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            log.error("realtime core failed: %r", error)
            return
        self.dispatch(future.result())

    # ------------------------------------------------------------------ outputs
    def dispatch(self, outputs: Iterable[tuple[Any, str | None]]) -> None:
        """Queue events (with their JSON text); start or stop the work the effects ask for."""
        for output, text in outputs:
            if isinstance(output, dict):
                self.publish(output, text)
            elif isinstance(output, Close):
                self.outbox.put_control(output)
                for queue in self.listeners:
                    queue.put_nowait((output, None))
            elif isinstance(output, StopResponse):
                for task in self.tasks.pop(output.response_id, set()):
                    if task is not asyncio.current_task():
                        task.cancel()
            elif isinstance(output, GenerateReply):
                self._spawn(output.response_id, self._generate(output))
            elif isinstance(output, Synthesize):
                self._spawn(output.response_id, self._speak(output))
            elif isinstance(output, Transcribe):
                self._spawn("transcribe", self._transcribe(output))
            elif isinstance(output, StepTranscriber):
                self._spawn("transcribe", self._live_step(output))
            elif isinstance(output, FinalizeTranscriber):
                self._live_finalize(output)
            elif isinstance(output, ListMcpTools):
                self._spawn("mcp", self._list_mcp_tools(output))
            elif isinstance(output, CallMcpTool):
                self._spawn(output.response_id, self._call_mcp_tool(output))

    def _spawn(self, key: str, coro: Any) -> None:
        if self.closed:
            coro.close()
            return
        task = asyncio.create_task(coro)
        group = self.tasks.setdefault(key, set())
        group.add(task)
        task.add_done_callback(group.discard)

    async def _send_loop(self) -> None:
        while True:
            event, text, size = await self.outbox.get()
            if event is _CLOSE:
                return
            if isinstance(event, Close):
                with contextlib.suppress(Exception):
                    await self.close_transport(event.code, event.reason)
                self.closed = True
                return
            if self.faults.latency_ms or self.faults.jitter_ms:
                await asyncio.sleep(
                    (self.faults.latency_ms + self._rng.uniform(0, self.faults.jitter_ms)) / 1000
                )
            if not self.transport_open():
                return
            try:
                await self.send_text(text or json.dumps(event))
            except Exception:  # the peer went away
                self.closed = True
                return
            finally:
                self.outbox.sent(size)
            self.sent += 1
            if self.faults.drop_after is not None and self.sent >= self.faults.drop_after:
                with contextlib.suppress(Exception):
                    await self.close_transport(1011, "injected fault: connection dropped")
                self.closed = True
                return

    # ------------------------------------------------------------------ effects
    def _heard(
        self, item_id: str, pcm: np.ndarray, language: str | None = None, prompt: str | None = None
    ) -> asyncio.Future:
        """One shared transcription per item (used by the input transcription and by the responder)."""
        future = self.heard.get(item_id)
        if future is None:
            y = pcm.astype(np.float32) / 32768.0
            future = asyncio.ensure_future(
                asyncio.to_thread(self.engines.transcribe, y, SR, language=language, prompt=prompt)
            )
            self._remember_heard(item_id, future)
        return future

    def _remember_heard(self, item_id: str, future: asyncio.Future) -> None:
        self.heard[item_id] = future
        while len(self.heard) > 64:
            self.heard.pop(next(iter(self.heard)))

    async def _transcribe(self, effect: Transcribe) -> None:
        with_options = getattr(self.engines, "transcribe_input", None) and effect.model and effect.visible
        if effect.pcm.size >= SR // 10 and with_options:
            await self._transcribe_with_options(effect)
            return
        if effect.pcm.size < SR // 10:
            heard: asyncio.Future = asyncio.get_running_loop().create_future()
            heard.set_result("")
        else:
            heard = self._heard(effect.item_id, effect.pcm, effect.language, effect.prompt)
        await self._report_transcript(effect.item_id, heard, "transcription_ready", effect.item_id)

    async def _transcribe_with_options(self, effect: Transcribe) -> None:
        """Input transcription honouring the session's options (keywords, languages, delay, logprobs). Its
        text is registered as what the item said before the engine starts, so a response to the same turn
        waits for it instead of transcribing again."""
        y = effect.pcm.astype(np.float32) / 32768.0
        running = asyncio.ensure_future(
            asyncio.to_thread(
                self.engines.transcribe_input,
                y,
                SR,
                language=effect.language,
                prompt=effect.prompt,
                keywords=effect.keywords,
                languages=effect.languages,
                delay=effect.delay,
                logprobs=effect.logprobs,
                diarize=effect.diarize,
            )
        )
        if effect.item_id not in self.heard:
            heard: asyncio.Future = asyncio.get_running_loop().create_future()
            running.add_done_callback(lambda done: settle(heard, done, lambda result: result.text.strip()))
            self._remember_heard(effect.item_id, heard)
        await self._report_transcript(
            effect.item_id, running, "transcription_ready", effect.item_id, model=effect.model,
            logprobs=effect.logprobs,
        )  # fmt: skip

    async def _report_transcript(
        self, item_id: str, heard: asyncio.Future, method: str, key: Any, *, model: str | None = None,
        logprobs: bool = False,
    ) -> None:  # fmt: skip
        """When ``heard`` has the text: ``core.<method>(key, text)``, or ``transcription_failed``. A
        transcript (``text``, ``language``, ``tokens``) instead of a text goes with its details (logprobs,
        languages) for a session transcribing with ``model``."""
        try:
            result = await asyncio.shield(heard)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("input transcription failed: %r", exc)
            self.core_call("transcription_failed", item_id, _failure("Transcription failed", exc))
            return
        if isinstance(result, str):
            self.core_call(method, key, result)
            return
        details = TranscriptionDetails.from_transcript(result, model=model or "", logprobs=logprobs)
        self.core_call(method, key, str(result.text).strip(), details)

    async def _live_step(self, effect: StepTranscriber) -> None:
        try:
            partial = await asyncio.shield(self.live.step(effect.turn, effect.transcriber))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the turn's finalize falls back to whole-utterance transcription
            log.warning("streaming transcription pass failed: %r", exc)
            return
        self.core_call("transcription_partial", effect.turn, partial.delta)

    def _live_finalize(self, effect: FinalizeTranscriber) -> None:
        """The words of the turn, as soon as its transcriber is final: for the responder (``heard``) and for
        the input transcription events."""
        y = effect.pcm.astype(np.float32) / 32768.0

        def whole_utterance() -> Any:
            options = {"language": effect.language, "prompt": effect.prompt}
            if self.engines.transcribe_input is not None:
                return self.engines.transcribe_input(
                    y, SR, **options, keywords=effect.keywords, languages=effect.languages,
                    delay=effect.delay, logprobs=effect.logprobs,
                )  # fmt: skip
            return _Heard(str(self.engines.transcribe(y, SR, **options)), effect.language)

        final = asyncio.ensure_future(
            self.live.finalize(effect.turn, effect.transcriber, effect.speech_end_ms, whole_utterance)
        )
        heard: asyncio.Future = asyncio.get_running_loop().create_future()
        final.add_done_callback(lambda done: settle(heard, done, lambda result: str(result.text).strip()))
        self._remember_heard(effect.item_id, heard)
        reported = self._report_transcript(
            effect.item_id, final, "transcription_final", effect.turn, model=effect.model,
            logprobs=effect.logprobs,
        )  # fmt: skip
        self._spawn("transcribe", reported)

    async def _generate(self, effect: GenerateReply) -> None:
        try:
            for item_id, pcm in effect.unheard:
                text = "" if pcm.size < SR // 10 else await asyncio.shield(self._heard(item_id, pcm))
                await self.core_value(self.core.note_heard, item_id, text)
            if self.responder is None:
                raise RuntimeError("no responder on app.state")
            messages = await self.core_value(self.core.messages_for, effect.response_id)
            if effect.thinking_s:
                await asyncio.sleep(effect.thinking_s)  # a reasoning model thinks before it answers
            # parallel_tool_calls only when the session or response set it: older responders keep working
            wanted = effect.parallel_tool_calls
            parallel = {} if wanted is None else {"parallel_tool_calls": wanted}
            reply = await self.responder.respond(
                messages,
                instructions=effect.instructions,
                tools=effect.tools or None,
                tool_choice=effect.tool_choice,
                **parallel,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("responder failed: %r", exc)
            self.core_call("response_failed", effect.response_id, _failure("The responder failed", exc))
            return
        calls = list(reply.tool_calls or [])
        # a voice model says a short preamble before it calls a tool (async function calling)
        text = reply.text or (getattr(reply, "preamble", "") if calls else "")
        self.core_call("reply_ready", effect.response_id, text or "", calls)

    async def _list_mcp_tools(self, effect: ListMcpTools) -> None:
        """An MCP server's tools, listed over HTTP on the event loop (async I/O, bounded by a timeout)."""
        from ..mcp.client import McpFailure

        try:
            tools = await self.mcp.list_tools(effect.endpoint)
        except McpFailure as failure:
            self.core_call("mcp_tools_failed", effect.item_id, failure.error["message"])
            return
        self.core_call("mcp_tools_listed", effect.item_id, tools)

    async def _call_mcp_tool(self, effect: CallMcpTool) -> None:
        """One MCP tool call; cancelled with its response (``StopResponse``)."""
        result = await self.mcp.call_tool(effect.endpoint, effect.name, effect.arguments)
        self.core_call("mcp_call_finished", effect.response_id, effect.item_id, result.output, result.error)

    async def _speak(self, effect: Synthesize) -> None:
        """Synthesise sentence by sentence (the next one while the current one plays) and feed the audio to
        the core: whole sentences without pacing; with pacing, one ``audio_chunk_ms`` chunk at a time at
        playback speed, so the core only ever says what the client has been sent by now. Nothing is queued
        ahead, so input events (``speech_started``) go out at once, and a cancel (barge-in, truncate,
        ``response.cancel``) stops the audio where it is: no delta of that response follows its
        ``response.done``, and its usage and item audio are what was actually sent."""
        sentences = speech_units(effect.text)
        pacer = _Pacer() if self.faults.pacing else None
        chunk_samples = self.core.audio_chunk_ms * SR // 1000
        upcoming: asyncio.Task[np.ndarray] | None = None
        try:
            upcoming = asyncio.ensure_future(self._synthesize(sentences[0], effect))
            for index, sentence in enumerate(sentences):
                current, upcoming = upcoming, None
                assert current is not None
                pcm = await current
                if index + 1 < len(sentences):  # the next sentence is synthesised while this one plays
                    upcoming = asyncio.ensure_future(self._synthesize(sentences[index + 1], effect))
                if pacer is None:
                    self.core_call("audio_ready", effect.response_id, pcm, sentence)
                    continue
                for chunk, words in speech_pieces(pcm, sentence, chunk_samples):
                    await pacer.wait(chunk.size / SR)
                    self.core_call("audio_ready", effect.response_id, chunk, words)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("speech synthesis failed: %r", exc)
            self.core_call("response_failed", effect.response_id, _failure("Speech synthesis failed", exc))
            return
        finally:
            if upcoming is not None:  # cancelled, failed or stopped early: the next sentence is not needed
                upcoming.cancel()
                if upcoming.done() and not upcoming.cancelled():
                    upcoming.exception()  # retrieved: a failure of audio nobody will play is not an error
        self.core_call("synthesis_finished", effect.response_id)

    async def _synthesize(self, sentence: str, effect: Synthesize) -> np.ndarray:
        if not sentence.strip():
            return np.zeros(0, np.int16)
        shift = {"semitones": effect.semitones} if effect.semitones else {}  # a custom voice's rendering
        y, sr = await asyncio.to_thread(
            self.engines.synthesize, sentence.strip(), voice=effect.voice, speed=effect.speed, **shift
        )
        return to_pcm24k(y, sr)


class _Pacer:
    """Playback-speed clock for output audio: the first chunk goes at once, each next one when the client has
    played the ones before it. If synthesis falls behind, the clock restarts from now (the client's player
    restarts after an underrun) instead of bursting to catch up."""

    def __init__(self) -> None:
        self._due: float | None = None

    async def wait(self, seconds: float) -> None:
        """Wait until a chunk of ``seconds`` may be sent, and book its playback time."""
        now = time.monotonic()
        if self._due is None or self._due <= now:
            self._due = now
        else:
            await asyncio.sleep(self._due - now)
        self._due += seconds


def to_pcm24k(y: np.ndarray, sr: int) -> np.ndarray:
    from voicelab import audio as vaudio

    y = np.asarray(y, dtype=np.float32)
    if y.ndim > 1:
        y = vaudio.to_mono(y)
    if sr != SR:
        y = vaudio.resample(y, sr, SR)
    return vaudio.to_pcm16(y)


@dataclass(frozen=True)
class _Heard:
    """A whole-utterance fallback's text, shaped like a transcript (no tokens)."""

    text: str
    language: str | None
    tokens: tuple[Any, ...] = ()


def _failure(what: str, exc: Exception) -> str:
    """The message of an effect's failure: a parameter error's own words (the client can fix it), never the
    text of an internal exception (that goes to the log).

    Examples
    --------
    >>> _failure("Speech synthesis failed", ValueError("embedded null character"))
    'Speech synthesis failed (the server logged the error).'
    """
    from voicelab.errors import ParameterError

    if isinstance(exc, ParameterError):
        return f"{what}: {exc}"
    return f"{what} (the server logged the error)."
