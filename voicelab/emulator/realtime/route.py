"""``GET /v1/realtime`` WebSocket: authentication, faults, and the I/O loop around :class:`ServerCore`.

The socket loop only moves bytes: text frames go to ``core.handle_text``; the core's outputs are server events
(queued to the sender task, in order) and effects, which :class:`Connection` runs — the responder on the event
loop, the blocking speech engines in threads (``asyncio.to_thread``) — feeding their results back to the core.

Receiving and sending are concurrent: the receiver keeps feeding client events to the core while answers
stream. Real-time pacing of output audio (``EmulatorSettings.realtime_pacing``, ``?pacing=on``) happens where
the audio is fed to the core, one chunk per chunk of playback time, never in the outgoing queue. So the queue
holds no backlog of audio: ``input_audio_buffer.speech_started`` goes out as soon as the VAD hears the user,
and a barge-in cancel ends the answer at the audio actually sent (``response.done`` ``cancelled``, and no
delta of that response after it).

Authentication: ``Authorization: Bearer <key|ek_…>``, or for browsers the subprotocols
``["realtime", "openai-insecure-api-key.<key>"]`` (the server answers with ``realtime``). An ephemeral key's
session config is applied at start and the session is closed with OpenAI's ``session_expired`` error at its
``expires_at``. ``OpenAI-Beta: realtime=v1`` is refused as OpenAI does (error event, close code 4000).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from fastapi import APIRouter, WebSocket
from starlette.responses import JSONResponse
from starlette.websockets import WebSocketDisconnect, WebSocketState

from voicelab.errors import ParameterError
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.models import check_model

from ..auth import KeyStore, auth_error, request_token
from ..settings import EmulatorSettings
from .core import SR, ServerCore, speech_pieces
from .effects import CallMcpTool, Close, GenerateReply, ListMcpTools, StopResponse, Synthesize, Transcribe
from .faults import FaultConfig
from .mcp_client import McpClient

__all__ = ["BETA_CLOSE_CODE", "Engines", "default_vad_factory", "energy_vad_factory", "router"]

log = logging.getLogger(__name__)
router = APIRouter()

BETA_CLOSE_CODE = 4000
_SENTENCE = re.compile(r"[^.!?。！？]+[.!?。！？]*\s*|[.!?。！？]+\s*")

# The core calls of ALL connections run on this small shared pool (each connection's calls still one at a
# time and in order): a few busy threads instead of one per connection, so a hundred sessions do not contend
# for the GIL as a hundred runnable threads.
_CORE_WORKERS = 2
_core_pool: ThreadPoolExecutor | None = None
_core_pool_lock = threading.Lock()


def _core_executor() -> ThreadPoolExecutor:
    """The process-wide pool for core calls, created on first use."""
    global _core_pool
    with _core_pool_lock:
        if _core_pool is None:
            _core_pool = ThreadPoolExecutor(max_workers=_CORE_WORKERS, thread_name_prefix="realtime-core")
        return _core_pool


@dataclass
class Engines:
    """The blocking engines the connection calls in threads (real ones by default; tests may swap them).

    ``synthesize(text, voice=, speed=) -> (samples, sr)``;
    ``transcribe(y_float32, sr, language=, prompt=) -> str``.
    """

    synthesize: Callable[..., tuple[np.ndarray, int]]
    transcribe: Callable[..., str]
    vad_factory: Callable[[dict[str, Any]], Any] | None

    @classmethod
    def default(cls, *, vad_detector: str = "silero") -> Engines:
        """The offline engines; ``vad_detector="energy"`` swaps Silero for the cheap energy detector (10× less
        CPU per stream, for many concurrent sessions)."""
        if vad_detector not in ("silero", "energy"):
            raise ParameterError("vad_detector", expected="'silero' or 'energy'", got=repr(vad_detector))
        factory = default_vad_factory if vad_detector == "silero" else energy_vad_factory
        return cls(synthesize=_synthesize, transcribe=_transcribe, vad_factory=factory)


def _synthesize(text: str, *, voice: str, speed: float) -> tuple[np.ndarray, int]:
    from voicelab.engines import tts

    audio = tts.synthesize(text, voice=voice if voice in tts.VOICES else "alloy", speed=speed)
    return audio.y, audio.sr


def _transcribe(y: np.ndarray, sr: int, *, language: str | None = None, prompt: str | None = None) -> str:
    from voicelab.engines import stt

    return stt.transcribe(y, sr, language=language, prompt=prompt).text.strip()


def default_vad_factory(config: dict[str, Any]) -> Any:
    """``server_vad`` → ``voicelab.vad.ServerVAD``; ``semantic_vad`` → ``SemanticVAD`` (Silero frames)."""
    from voicelab.vad.semantic import SemanticVAD
    from voicelab.vad.server_vad import ServerVAD, ServerVADParams

    if config.get("type") == "semantic_vad":
        return SemanticVAD.from_turn_detection(config)
    return ServerVAD(ServerVADParams.from_turn_detection(config))


def energy_vad_factory(config: dict[str, Any]) -> Any:
    """Like :func:`default_vad_factory` with ``voicelab.vad.EnergyDetector`` frames instead of Silero."""
    from voicelab.vad.detectors import EnergyDetector
    from voicelab.vad.semantic import SemanticVAD
    from voicelab.vad.server_vad import ServerVAD, ServerVADParams

    if config.get("type") == "semantic_vad":
        return SemanticVAD.from_turn_detection(config, detector=EnergyDetector())
    return ServerVAD(ServerVADParams.from_turn_detection(config), detector=EnergyDetector())


def _state(app: Any, name: str, default: Any = None) -> Any:
    return getattr(app.state, name, default)


@router.websocket("/realtime")
async def realtime(websocket: WebSocket) -> None:
    """The GA Realtime API over WebSocket (see module docs)."""
    app = websocket.app
    settings = _state(app, "settings") or EmulatorSettings()
    base = _state(app, "realtime_faults") or FaultConfig.from_settings(settings)
    query = dict(websocket.query_params)
    offered = [
        p.strip() for p in (websocket.headers.get("sec-websocket-protocol") or "").split(",") if p.strip()
    ]
    subprotocol = "realtime" if "realtime" in offered else None
    try:
        faults = base.with_query(query)
    except ParameterError as exc:
        await _refuse(websocket, subprotocol, "invalid_value", str(exc), exc.param, 1008)
        return
    if faults.connect_status:
        status = faults.connect_status
        body = {
            "error": {
                "message": "Rate limit reached for requests (injected by voicelab: fault_status)."
                if status == 429
                else f"Injected fault: HTTP {status}.",
                "type": "requests" if status == 429 else "server_error",
                "param": None,
                "code": "rate_limit_exceeded" if status == 429 else "injected_fault",
            }
        }
        headers = {"retry-after": "1"} if status == 429 else None
        try:
            await websocket.send_denial_response(JSONResponse(body, status_code=status, headers=headers))
        except RuntimeError:  # server without the denial-response extension
            await websocket.close(code=1013)
        return
    if "realtime=v1" in (websocket.headers.get("openai-beta") or "").replace(" ", ""):
        await _refuse(
            websocket,
            subprotocol,
            "beta_api_shape_disabled",
            "The Realtime beta API shape is no longer available (OpenAI-Beta: realtime=v1). Remove the "
            "OpenAI-Beta header and use the GA interface.",
            None,
            BETA_CLOSE_CODE,
        )
        return
    token = request_token(websocket.headers)
    keys: KeyStore | None = _state(app, "keys")
    ephemeral = None
    if keys is not None:
        result = keys.check(token, realtime=True)
        if not result.ok:
            refusal = auth_error(result, token, realtime=True)
            await _refuse(websocket, subprotocol, "invalid_api_key", refusal.message, None, 1008)
            return
        ephemeral = keys.lookup(token)
    intent = "transcription" if query.get("intent") == "transcription" else "conversation"
    key_session = dict(getattr(ephemeral, "session", None) or {})
    model = query.get("model") or key_session.get("model")
    if intent == "conversation" and not model:
        model = "gpt-realtime"
    if intent == "conversation":
        try:
            check_model(str(model), "realtime")
        except ProtocolError as exc:  # OpenAI's wording (openai/openai-realtime-console#561), then close
            await _refuse(websocket, subprotocol, exc.code or "model_not_found", exc.message, exc.param, 1008)
            return
    now = time.time()
    engines = _state(app, "realtime_engines") or Engines.default(vad_detector=settings.realtime_vad_detector)
    if key_session.get("type") in ("realtime", "transcription"):  # the key was minted for this kind
        intent = "transcription" if key_session["type"] == "transcription" else "conversation"
    try:
        core = ServerCore(
            model=model, intent=intent, now=now, vad_factory=engines.vad_factory, session=key_session
        )
    except ProtocolError as exc:  # the key's session was validated at mint time: this is a bug, say so loudly
        log.error("ephemeral key carries a session the realtime core refuses: %s (param %s)", exc, exc.param)
        code = exc.code or "server_error"
        await _refuse(websocket, subprotocol, code, exc.message, exc.param, 1011, error_type="server_error")
        return
    await websocket.accept(subprotocol=subprotocol)
    deadline = core.session["expires_at"]
    expiry_message = "Your session hit the maximum duration of 60 minutes."
    key_expires = getattr(ephemeral, "expires_at", None)
    if key_expires is not None and key_expires < deadline:
        deadline, expiry_message = (
            key_expires,
            "Your session expired: its ephemeral key (client secret) expired.",
        )
    if faults.expire_after_s is not None and now + faults.expire_after_s < deadline:
        deadline, expiry_message = (
            now + faults.expire_after_s,
            "Your session expired (injected by voicelab: fault_expire_after).",
        )
    mcp = _state(app, "realtime_mcp") or McpClient(timeout_s=settings.mcp_timeout_s)
    connection = Connection(websocket, core, _state(app, "responder"), engines, faults, mcp=mcp)
    await connection.run(deadline - now, expiry_message)


async def _refuse(
    websocket: WebSocket,
    subprotocol: str | None,
    code: str,
    message: str,
    param: str | None,
    close_code: int,
    *,
    error_type: str = "invalid_request_error",
) -> None:
    """Accept, send one OpenAI-shaped error event, close — what OpenAI does with a bad connection."""
    from .ids import IdFactory

    await websocket.accept(subprotocol=subprotocol)
    event = {
        "type": "error",
        "event_id": IdFactory().new("event"),
        "error": {
            "type": error_type,
            "code": code,
            "message": message,
            "param": param,
            "event_id": None,
        },
    }
    with contextlib.suppress(Exception):
        await websocket.send_text(json.dumps(event))
        await websocket.close(code=close_code, reason=code[:120])


_CLOSE = object()


@dataclass
class Connection:
    """The I/O side of one connection: a receiver, a sender and the effect tasks."""

    websocket: WebSocket
    core: ServerCore
    responder: Any
    engines: Engines
    faults: FaultConfig
    mcp: McpClient = field(default_factory=McpClient)
    outbox: asyncio.Queue = field(default_factory=asyncio.Queue)
    tasks: dict[str, set[asyncio.Task]] = field(default_factory=dict)
    heard: dict[str, asyncio.Future] = field(default_factory=dict)
    sent: int = 0
    closed: bool = False
    core_thread: bool = (
        True  # False runs the core inline on the event loop (measured: far worse p99 under load)
    )

    async def run(self, expires_in: float, expiry_message: str) -> None:
        # Every call into the core runs on the shared core pool, this connection's calls one at a time and in
        # order (the next is submitted when the previous has finished and its outputs are dispatched): the
        # event loop only moves bytes, and the native parts of the work (Silero VAD, resampling) of different
        # connections run in parallel on several cores.
        self._pending: deque[tuple[Callable[[], Any], asyncio.Future, bool]] = deque()
        self._core_busy = False
        self._core_stopped = not self.core_thread
        self._loop = asyncio.get_running_loop()
        self._rng = random.Random(self.faults.seed)
        sender = asyncio.create_task(self._send_loop())
        expiry = self._loop.call_later(max(expires_in, 0.0), self.core_call, "expire", expiry_message)
        self.core_call("start")
        try:
            while not self.closed:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message.get("text") is not None:
                    self.core_call("handle_text", message["text"])
                elif message.get("bytes") is not None:
                    self.core_call("binary_frame")
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self.closed = True
            expiry.cancel()
            for group in self.tasks.values():
                for task in group:
                    task.cancel()
            self.outbox.put_nowait(_CLOSE)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(sender, 5)
            self._stop_core_calls()

    # ------------------------------------------------------------------ the core, on the shared pool
    def core_call(self, method: str, *args: Any) -> asyncio.Future:
        """Run ``core.<method>(*args)`` on the pool; its outputs are dispatched in call order, even when the
        caller is cancelled meanwhile (nothing the core said is lost)."""

        def work() -> list[tuple[Any, str | None]]:
            outputs = getattr(self.core, method)(*args)
            return [(o, json.dumps(o)) if isinstance(o, dict) else (o, None) for o in outputs]

        if not self.core_thread:
            future = self._loop.create_future()
            future.set_result(work())
            self._dispatch_done(future)
            return future
        return self._submit(work, dispatch=True)

    async def core_value(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A core query (``messages_for``, ``note_heard``) on the pool, in order with the other calls."""
        if not self.core_thread:
            return fn(*args)
        return await asyncio.shield(self._submit(lambda: fn(*args), dispatch=False))

    def _submit(self, work: Callable[[], Any], *, dispatch: bool) -> asyncio.Future:
        """Queue ``work`` behind this connection's earlier core calls; the returned future gets its result."""
        caller = self._loop.create_future()
        if self._core_stopped:  # the connection is over: as a shut-down executor, run nothing more
            caller.cancel()
            return caller
        self._pending.append((work, caller, dispatch))
        if not self._core_busy:
            self._submit_next()
        return caller

    def _submit_next(self) -> None:
        if self._core_stopped or not self._pending:
            self._core_busy = False
            return
        work, caller, dispatch = self._pending.popleft()
        self._core_busy = True
        running = self._loop.run_in_executor(_core_executor(), work)
        running.add_done_callback(lambda done: self._core_finished(done, caller, dispatch))

    def _core_finished(self, running: asyncio.Future, caller: asyncio.Future, dispatch: bool) -> None:
        """On the loop, in call order: dispatch the outputs (whatever became of the caller), answer the
        caller, then start this connection's next call."""
        try:
            if dispatch:
                self._dispatch_done(running)
            if caller.done():
                return
            if running.cancelled():
                caller.cancel()
            elif (error := running.exception()) is not None:
                caller.set_exception(error)
                if dispatch:
                    caller.exception()  # logged by _dispatch_done already
            else:
                caller.set_result(running.result())
        finally:
            self._submit_next()

    def _stop_core_calls(self) -> None:
        """The connection is closed: calls not started yet are cancelled (the running one still finishes)."""
        self._core_stopped = True
        while self._pending:
            _, caller, _ = self._pending.popleft()
            caller.cancel()

    def _dispatch_done(self, future: asyncio.Future) -> None:
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
                self.outbox.put_nowait((output, text))
            elif isinstance(output, Close):
                self.outbox.put_nowait((output, None))
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
        websocket = self.websocket
        while True:
            queued = await self.outbox.get()
            if queued is _CLOSE:
                return
            event, text = queued
            if isinstance(event, Close):
                with contextlib.suppress(Exception):
                    await websocket.close(code=event.code, reason=event.reason)
                self.closed = True
                return
            if self.faults.latency_ms or self.faults.jitter_ms:
                await asyncio.sleep(
                    (self.faults.latency_ms + self._rng.uniform(0, self.faults.jitter_ms)) / 1000
                )
            if websocket.client_state is not WebSocketState.CONNECTED:
                return
            try:
                await websocket.send_text(text or json.dumps(event))
            except Exception:  # the peer went away
                self.closed = True
                return
            self.sent += 1
            if self.faults.drop_after is not None and self.sent >= self.faults.drop_after:
                with contextlib.suppress(Exception):
                    await websocket.close(code=1011, reason="injected fault: connection dropped")
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
            self.heard[item_id] = future
            while len(self.heard) > 64:
                self.heard.pop(next(iter(self.heard)))
        return future

    async def _transcribe(self, effect: Transcribe) -> None:
        try:
            if effect.pcm.size < SR // 10:
                text = ""
            else:
                text = await asyncio.shield(
                    self._heard(effect.item_id, effect.pcm, effect.language, effect.prompt)
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("input transcription failed: %s", type(exc).__name__)
            self.core_call("transcription_failed", effect.item_id, f"Transcription failed: {exc}")
            return
        self.core_call("transcription_ready", effect.item_id, text)

    async def _generate(self, effect: GenerateReply) -> None:
        try:
            for item_id, pcm in effect.unheard:
                text = "" if pcm.size < SR // 10 else await asyncio.shield(self._heard(item_id, pcm))
                await self.core_value(self.core.note_heard, item_id, text)
            if self.responder is None:
                raise RuntimeError("no responder on app.state")
            messages = await self.core_value(self.core.messages_for, effect.response_id)
            reply = await self.responder.respond(
                messages,
                instructions=effect.instructions,
                tools=effect.tools or None,
                tool_choice=effect.tool_choice,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("responder failed: %s", type(exc).__name__)
            self.core_call("response_failed", effect.response_id, f"The responder failed: {exc}")
            return
        calls = list(reply.tool_calls or [])
        # a voice model says a short preamble before it calls a tool (async function calling)
        text = reply.text or (getattr(reply, "preamble", "") if calls else "")
        self.core_call("reply_ready", effect.response_id, text or "", calls)

    async def _list_mcp_tools(self, effect: ListMcpTools) -> None:
        """An MCP server's tools, listed over HTTP on the event loop (async I/O, bounded by a timeout)."""
        from .mcp_client import McpFailure

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
        sentences = _SENTENCE.findall(effect.text) or [effect.text]
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
            log.warning("speech synthesis failed: %s", type(exc).__name__)
            self.core_call("response_failed", effect.response_id, f"Speech synthesis failed: {exc}")
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
        y, sr = await asyncio.to_thread(
            self.engines.synthesize, sentence.strip(), voice=effect.voice, speed=effect.speed
        )
        return _to_pcm24k(y, sr)


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


def _to_pcm24k(y: np.ndarray, sr: int) -> np.ndarray:
    from voicelab import audio as vaudio

    y = np.asarray(y, dtype=np.float32)
    if y.ndim > 1:
        y = vaudio.to_mono(y)
    if sr != SR:
        y = vaudio.resample(y, sr, SR)
    return vaudio.to_pcm16(y)
